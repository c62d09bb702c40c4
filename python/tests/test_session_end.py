"""A session ended while a call waits for its approval: SessionEnded at once, never mistaken for a person's denial."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

import httpx
import pytest

from agent_warden import ApprovalDenied, SessionEnded, ToolDenied, Warden
from agent_warden.adapters.plain import run_tool_call

from .service import AGENT, Service

ALICE = "alice@example.com"
OUTSIDE = "customer@outside.example"


def _end_when_asked(service: Service, session_id: str, reason: str) -> None:
    # The call is waiting (its approval is listed as pending) when the operator ends its session.
    service.wait_for_approval_of(session_id)
    service.end_session(session_id, reason)


def test_a_waiting_tool_raises_session_ended_at_once_and_never_runs(warden: Warden, service: Service) -> None:
    sent: List[str] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="reply to a customer") as session:

        @session.tool("send_email")
        def send_email(to: str) -> None:
            sent.append(to)

        with ThreadPoolExecutor(1) as pool:
            operator = pool.submit(_end_when_asked, service, session.id, "the user left")
            started = time.monotonic()
            with pytest.raises(SessionEnded) as ended:
                send_email(to=OUTSIDE, tool_call_id="call_py_ended")
            operator.result()
    # Answered by the end itself, not by the long poll's 30 s or the approval's 15 min deadline.
    assert time.monotonic() - started < 10
    assert not isinstance(ended.value, ApprovalDenied)
    assert ended.value.code == "SESSION_ENDED"
    assert "session ended: the user left" in ended.value.message
    closed = [a for a in service.approvals_with_status("all") if a.get("callId") == "call_py_ended"]
    assert len(closed) == 1 and closed[0]["status"] == "closed"
    assert ended.value.details == {
        "callId": "call_py_ended",
        "tool": "send_email",
        "ruleId": "mail-outside-asks",
        "approvalId": closed[0]["id"],
    }
    assert sent == []
    assert [r["kind"] for r in service.ledger(call="call_py_ended")] == ["call.intent", "approval.request"]


def test_an_async_wait_raises_session_ended(service: Service) -> None:
    async def main() -> SessionEnded:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:
                pending = await session.acheck("send_email", {"to": OUTSIDE})
                assert pending.pending
                operator = asyncio.to_thread(_end_when_asked, service, session.id, "ended by the SOC")
                results = await asyncio.gather(session.await_approval(pending), operator, return_exceptions=True)
                assert results[1] is None
                assert isinstance(results[0], SessionEnded)
                return results[0]

    ended = asyncio.run(main())
    assert ended.code == "SESSION_ENDED"
    assert "session ended: ended by the SOC" in ended.message


def test_an_adapter_hands_the_session_end_to_the_model(warden: Warden, service: Service) -> None:
    sent: List[str] = []

    def send_email(to: str) -> str:
        sent.append(to)
        return "sent"

    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:
        with ThreadPoolExecutor(1) as pool:
            operator = pool.submit(_end_when_asked, service, session.id, "the user left")
            result = run_tool_call(session, "send_email", json.dumps({"to": OUTSIDE}), send_email, call_id="call_py_end_plain")
            operator.result()
    assert not result.ok and result.refusal is not None and result.refusal.code == "SESSION_ENDED"
    assert result.content.startswith("Warden refused this tool call (SESSION_ENDED)")
    assert "no further calls will run" in result.content
    assert sent == []


def _played_wait(call_state: Dict[str, object]) -> httpx.MockTransport:
    """A service that opens a session, asks people about a send_email call, then answers its poll with `call_state`."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sessions":
            return httpx.Response(201, json={"id": "ses_played", "agent": AGENT})
        if request.url.path == "/v1/decisions":
            return httpx.Response(
                200,
                json={
                    "callId": "call_played",
                    "decision": "pending",
                    "effect": "ask",
                    "reason": "mail leaves the company",
                    "ruleId": "mail-outside-asks",
                    "mode": "enforce",
                    "code": None,
                    "retryAfterMs": None,
                    "approval": {"id": "apr_played", "status": "pending"},
                },
            )
        return httpx.Response(200, json={"callId": "call_played", **call_state})

    return httpx.MockTransport(answer)


def test_a_service_that_sends_no_code_still_reads_as_a_denial() -> None:
    # A service older than the `code` field answers a session's end as a plain deny with a closed approval;
    # no such service runs in these tests, so its answers are played by a transport.
    closed = {"at": "2026-01-01T00:00:00Z", "reason": "session ended: gone"}
    approval: Dict[str, object] = {"id": "apr_played", "status": "closed", "closed": closed, "decisions": []}
    transport = _played_wait({"decision": "deny", "approval": approval})
    with Warden("http://warden.test", "wdn_test", transport=transport) as warden:
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()
        pending = session.check("send_email", {"to": OUTSIDE})
        with pytest.raises(ApprovalDenied) as denied:
            session.wait_for_approval(pending)
    assert denied.value.approval_id == "apr_played"


def test_an_approved_call_the_reloaded_policy_refuses_raises_tool_denied() -> None:
    # The policy was reloaded while the call waited and now denies it: Warden answers deny, TOOL_DENIED,
    # with the reason; the client must not read that as a person's denial. Played: the shared test
    # policy cannot be reloaded under a running service here.
    approval: Dict[str, object] = {"id": "apr_played", "status": "approved", "closed": None, "decisions": []}
    why = "the policy changed while the call waited: mail is blocked"
    transport = _played_wait({"decision": "deny", "code": "TOOL_DENIED", "reason": why, "approval": approval})
    with Warden("http://warden.test", "wdn_test", transport=transport) as warden:
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()
        pending = session.check("send_email", {"to": OUTSIDE})
        with pytest.raises(ToolDenied) as denied:
            session.wait_for_approval(pending)
    assert denied.value.code == "TOOL_DENIED"
    assert "policy changed" in denied.value.refusal.reason
