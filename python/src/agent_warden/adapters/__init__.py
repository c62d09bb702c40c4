"""Adapters for agent frameworks: each gates the framework's tools through a Warden session."""
