"""Whatever a server answers in Warden's place, the client raises its own typed errors and runs nothing."""

from __future__ import annotations

from typing import Callable, List

import httpx
import pytest

from agent_warden import Warden, WardenUnavailable

from .service import AGENT


def _warden_answering(decision_body: bytes, status: int = 200) -> httpx.MockTransport:
    """Sessions open as usual; every decision is answered with ``decision_body`` as raw bytes."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sessions":
            return httpx.Response(201, json={"id": "ses_t", "agent": AGENT})
        if request.url.path == "/v1/decisions":
            return httpx.Response(status, content=decision_body, headers={"content-type": "application/json"})
        return httpx.Response(204)

    return httpx.MockTransport(answer)


DENIED = b'{"callId":"c","decision":"deny","effect":"deny","reason":"r","code":"RATE_LIMITED","retryAfterMs":'


@pytest.mark.parametrize(
    "body",
    [
        DENIED + b"Infinity}",
        DENIED + b"NaN}",
        DENIED + b"-5}",
        DENIED + b"1e300}",
        DENIED + b'"soon"}',
        DENIED + b"true}",
        b'{"callId":"c","decision":"allow","effect":"allow","reason":"r","x":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"callId":"c","decision":"allow","effect":"allow","reason":"r","score":NaN}',
    ],
    ids=["infinity", "nan", "negative", "huge", "text", "bool", "too-deep", "nan-elsewhere"],
)
def test_a_malformed_decision_fails_closed_with_a_typed_error(body: bytes) -> None:
    ran: List[int] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden_answering(body)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()

        @session.tool("lookup_order")
        def lookup_order(id: int) -> int:
            ran.append(id)
            return id

        with pytest.raises(WardenUnavailable):
            lookup_order(id=1)
    assert ran == []


def test_an_error_answer_too_deep_to_parse_is_a_typed_error() -> None:
    body = b'{"error":' + b"[" * 5000 + b"]" * 5000 + b"}"
    with Warden("http://warden.test", "wdn_test", transport=_warden_answering(body, 400)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()
        with pytest.raises(WardenUnavailable):
            session.check("lookup_order", {"id": 1})


@pytest.mark.parametrize(
    "token", ["wdn_tëst", "wdn_\u2028x", "wdn_\x00x", "wdn x", ""], ids=["accent", "separator", "nul", "space", "empty"]
)
def test_a_token_no_header_can_carry_is_refused_up_front(token: str) -> None:
    make: Callable[[], Warden] = lambda: Warden("http://warden.test", token)  # noqa: E731
    with pytest.raises(ValueError, match="visible ASCII"):
        make()
