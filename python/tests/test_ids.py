"""Model tool-call ids as Warden call ids and model text as rationale, as the TypeScript adapters map them."""

from __future__ import annotations

import hashlib

from agent_warden import rationale_of, warden_call_id


def test_accepted_ids_stay_and_others_map_to_a_stable_digest() -> None:
    assert warden_call_id("call_abc123") == "call_abc123"
    assert warden_call_id(None) is None and warden_call_id("") is None
    odd = "toolu 01/xyz"
    assert warden_call_id(odd) == "h:" + hashlib.sha256(odd.encode()).hexdigest()[:32]
    assert warden_call_id("x" * 129) == warden_call_id("x" * 129) != "x" * 129
    # "." and ".." are path segments a URL drops: /v1/calls/../outcome could not report the call.
    for dots in (".", ".."):
        assert warden_call_id(dots) == "h:" + hashlib.sha256(dots.encode()).hexdigest()[:32]
    assert warden_call_id("...") == "..."


def test_the_rationale_is_the_text_plus_a_mapped_id_and_fits_the_limit() -> None:
    assert rationale_of("  Checking.  ", "call_1") == "Checking."
    assert rationale_of(None, "a b") == '[framework call id: "a b"]'
    assert rationale_of("", None) is None
    long = rationale_of("😀" * 9000, None)
    assert long is not None and long.endswith("…")
    assert len(long.encode("utf-16-le")) // 2 <= 16 * 1024
    assert rationale_of("bad \ud800 text", None) == "bad \ufffd text"
