"""Fixtures: one real `warden start` for the whole run, a fresh client and session per test."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Iterator

import pytest

from agent_warden import Warden

from .service import Service, start, stop


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = start(Path(tmp_path_factory.mktemp("warden")))
    yield running
    stop(running)


@pytest.fixture
def warden(service: Service) -> Iterator[Warden]:
    with Warden(service.url, service.agent_token) as client:
        yield client


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

