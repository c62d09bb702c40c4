"""Framework tool-call ids as Warden call ids, and the model's text as a call's rationale."""

from __future__ import annotations

import hashlib
import json
import re
from typing import List, Optional

# The ids Warden accepts from callers (src/ids.ts CALLER_ID_PATTERN): never "." or "..", which a URL
# path /v1/calls/{id} loses, so the call's outcome could not be reported.
_CALLER_ID = re.compile(r"^(?!\.\.?$)[A-Za-z0-9_.:-]{1,128}$")
# Warden refuses longer rationales (counted in UTF-16 units); the model's text is cut to fit.
MAX_RATIONALE = 16 * 1024


def warden_call_id(framework_id: Optional[str]) -> Optional[str]:
    """
    The Warden call id for a framework's tool-call id: the id itself when Warden accepts it, else ``h:`` and
    the first 32 hex digits of its SHA-256, so the same framework id always maps to the same Warden id.

    >>> warden_call_id("call_abc123")
    'call_abc123'
    >>> warden_call_id("toolu 01/xyz")[:2]
    'h:'
    """
    if not framework_id:
        return None
    if _CALLER_ID.fullmatch(framework_id):
        return framework_id
    return "h:" + hashlib.sha256(framework_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def rationale_of(text: Optional[str], framework_id: Optional[str]) -> Optional[str]:
    """The rationale to record: the model's text, plus the framework's call id when it had to be mapped."""
    parts: List[str] = []
    if text and text.strip():
        parts.append(valid_text(text.strip()))
    if framework_id and warden_call_id(framework_id) != framework_id:
        parts.append(f"[framework call id: {_cut(json.dumps(framework_id, ensure_ascii=False), 1024)}]")
    if not parts:
        return None
    return fitted_rationale("\n".join(parts))


def fitted_rationale(text: str) -> str:
    """``text`` as Warden takes a rationale: valid Unicode, cut (with "…") to its length limit."""
    text = valid_text(text)
    return text if _utf16_length(text) <= MAX_RATIONALE else _cut(text, MAX_RATIONALE - 1) + "…"


def valid_text(text: str) -> str:
    """``text`` with unpaired surrogates (which Warden refuses) replaced by U+FFFD; pairs become their character."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _utf16_length(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _cut(text: str, limit: int) -> str:
    """The longest prefix of at most ``limit`` UTF-16 units, never splitting a character."""
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text
