"""Sync tools against a real `warden start`: allow, deny, rate limits, approvals, outcomes, session end."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import pytest

from agent_warden import (
    ApprovalDenied,
    ApprovalExpired,
    ApprovalMismatch,
    ApprovalWaitCancelled,
    ApprovalWaitTimeout,
    InvalidArgs,
    OutcomeUnrecorded,
    RateLimited,
    SessionEnded,
    SessionNotFound,
    ToolDenied,
    Warden,
    WardenUnavailable,
    tool,
)

from .service import AGENT, Service, start, stop

ALICE = "alice@example.com"


def test_an_allowed_call_runs_and_is_recorded_with_the_model_context(warden: Warden, service: Service) -> None:
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="answer ticket #123") as session:

        @session.tool("read_ticket")
        def read_ticket(id: int, verbose: bool = False) -> str:
            return f"ticket {id}: my invoice is wrong"

        assert read_ticket(123, rationale="the user asked about ticket 123", tool_call_id="call_py_1") == (
            "ticket 123: my invoice is wrong"
        )
        assert read_ticket.using(rationale="again")(id=7) == "ticket 7: my invoice is wrong"
        assert read_ticket.__name__ == "read_ticket"

    intents = service.ledger(session=session.id, kind="call.intent")
    first = intents[0]
    assert first["callId"] == "call_py_1"
    data = first["data"]
    assert isinstance(data, dict)
    assert data["tool"] == "read_ticket"
    assert data["args"] == {"id": 123, "verbose": False}
    assert data["rationale"] == "the user asked about ticket 123"
    outcomes = service.ledger(call="call_py_1", kind="call.outcome")
    assert [o["data"]["status"] for o in outcomes] == ["ok"]  # type: ignore[index]


def test_a_rationale_longer_than_warden_takes_is_cut_rather_than_the_call_refused(
    warden: Warden, service: Service
) -> None:
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="a talkative model") as session:

        @session.tool("read_ticket")
        def read_ticket(id: int) -> str:
            return f"ticket {id}"

        assert read_ticket(5, rationale="😀" * 9000, tool_call_id="call_py_long_reason") == "ticket 5"
        decision = session.check("read_ticket", {"id": 6}, rationale="x" * 20_000)
        session.record_outcome(decision.call_id, result="ticket 6")
    for call in ("call_py_long_reason", decision.call_id):
        recorded = service.ledger(call=call, kind="call.intent")[0]["data"]["rationale"]  # type: ignore[index]
        assert isinstance(recorded, str) and recorded.endswith("…")
        # Cut to the limit (UTF-16 units), never inside a character: an emoji takes two.
        assert 16 * 1024 - 1 <= len(recorded.encode("utf-16-le")) // 2 <= 16 * 1024


def test_a_denied_call_raises_and_the_body_never_runs(warden: Warden) -> None:
    ran: List[str] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

        @session.tool("execute_shell")
        def execute_shell(command: str) -> str:
            ran.append(command)
            return "done"

        with pytest.raises(ToolDenied) as denied:
            execute_shell(command="cat /etc/passwd", rationale="curious")
    assert denied.value.code == "TOOL_DENIED"
    assert denied.value.refusal.rule_id == "no-shell"
    assert "never run shell commands" in denied.value.refusal.reason
    assert ran == []


def test_arguments_that_are_not_plain_json_are_refused_before_asking(warden: Warden, service: Service) -> None:
    ran: List[object] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

        @session.tool("lookup_order")
        def lookup_order(ids: object) -> None:
            ran.append(ids)

        for bad, path in [({1, 2}, "$.ids"), ([1, float("nan")], "$.ids[1]"), ({"a": (1,)}, "$.ids.a"), (2**60, "$.ids")]:
            with pytest.raises(InvalidArgs) as refused:
                lookup_order(bad)
            assert refused.value.code == "INVALID_ARGS"
            assert refused.value.path == path
        cyclic: List[object] = []
        cyclic.append(cyclic)
        with pytest.raises(InvalidArgs):
            lookup_order(cyclic)
    assert ran == []
    assert service.ledger(session=session.id, kind="call.intent") == []


def test_the_model_context_keywords_are_reserved() -> None:
    def send(to: str, rationale: str) -> None: ...

    with pytest.raises(TypeError, match="reserved"):
        tool("send_email")(send)


def test_a_failing_body_is_recorded_as_an_error_and_raises_unchanged(warden: Warden, service: Service) -> None:
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

        @session.tool("fail")
        def fail() -> None:
            raise KeyError("secret-looking detail")

        with pytest.raises(KeyError):
            fail(tool_call_id="call_py_fail")
    outcome = service.ledger(call="call_py_fail", kind="call.outcome")[0]["data"]
    assert outcome["status"] == "error"  # type: ignore[index]
    assert outcome["error"] == {"code": "KeyError"}  # type: ignore[index]


def test_rate_limits_raise_with_the_time_to_wait(warden: Warden) -> None:
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

        @session.tool("ping")
        def ping() -> str:
            return "pong"

        assert [ping(), ping()] == ["pong", "pong"]
        with pytest.raises(RateLimited) as limited:
            ping()
    assert limited.value.code == "RATE_LIMITED"
    assert limited.value.refusal.rule_id == "limit:ping-rate"
    assert limited.value.retry_after_ms > 0


def test_the_session_ends_with_its_block_and_refuses_later_calls(warden: Warden, service: Service) -> None:
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

        @session.tool("read_ticket")
        def read_ticket(id: int) -> int:
            return id

    assert session.ended
    assert [r["kind"] for r in service.ledger(session=session.id, kind="session.end")] == ["session.end"]
    with pytest.raises(SessionEnded) as ended:
        read_ticket(1)
    assert ended.value.code == "SESSION_ENDED"


def test_a_block_that_raises_still_ends_its_session(warden: Warden, service: Service) -> None:
    opened: List[str] = []
    with pytest.raises(RuntimeError):
        with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:
            opened.append(session.id)
            raise RuntimeError("the agent crashed")
    assert service.ledger(session=opened[0], kind="session.end") != []


def test_warden_tool_takes_the_session_open_around_the_call(warden: Warden, service: Service) -> None:
    ran: List[int] = []

    @warden.tool("read_ticket")
    def read_ticket(id: int) -> int:
        ran.append(id)
        return id

    with pytest.raises(SessionNotFound) as none_open:
        read_ticket(1)
    assert none_open.value.code == "SESSION_NOT_FOUND"
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="outer") as outer:
        read_ticket(2, tool_call_id="call_py_outer")
        with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="inner", parent=outer.id) as inner:
            read_ticket(3, tool_call_id="call_py_inner")
        read_ticket(4)
    assert ran == [2, 3, 4]
    assert service.ledger(call="call_py_inner")[0]["session"] == inner.id
    assert service.ledger(call="call_py_outer")[0]["session"] == outer.id
    assert inner.parent == outer.id


def test_methods_classmethods_and_staticmethods_are_tools(warden: Warden, service: Service) -> None:
    class Desk:
        """Tools as methods: the instance or class is bound, never an argument recorded or sent."""

        prefix = "ticket"

        def __init__(self, name: str) -> None:
            self.name = name

        @tool("read_ticket")
        def read_ticket(self, id: int) -> str:
            return f"{self.name}: {self.prefix} {id}"

        @tool("lookup_order")
        @classmethod
        def lookup_order(cls, order: str) -> str:
            return f"{cls.prefix} {order}"

        @tool("ping")
        @staticmethod
        def ping(text: str = "ping") -> str:
            return text

        @staticmethod
        @tool("ping")
        def pong() -> str:
            return "pong"

    desk = Desk("desk 1")
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="methods") as session:
        assert desk.read_ticket(7, tool_call_id="call_py_method") == "desk 1: ticket 7"
        assert desk.read_ticket.using(rationale="typed")(id=8) == "desk 1: ticket 8"
        assert Desk.lookup_order("A-1", tool_call_id="call_py_classmethod") == "ticket A-1"
        assert desk.lookup_order(order="A-2") == "ticket A-2"
        assert Desk.ping("hi", tool_call_id="call_py_staticmethod") == "hi"
        assert desk.pong() == "pong"
        assert desk.read_ticket.__name__ == "read_ticket"
    intents = {r["callId"]: r["data"] for r in service.ledger(session=session.id, kind="call.intent")}
    assert intents["call_py_method"]["args"] == {"id": 7}  # type: ignore[index]
    assert intents["call_py_classmethod"]["args"] == {"order": "A-1"}  # type: ignore[index]
    assert intents["call_py_staticmethod"]["args"] == {"text": "hi"}  # type: ignore[index]
    assert len(intents) == 6


def test_an_unreachable_warden_fails_closed(closed_port: int) -> None:
    with Warden(f"http://127.0.0.1:{closed_port}", "wdn_not-checked") as warden:
        with pytest.raises(WardenUnavailable) as unavailable:
            warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()
    assert unavailable.value.code == "WARDEN_UNAVAILABLE"


def test_a_warden_that_goes_away_mid_session_runs_no_more_tools(tmp_path: Path) -> None:
    own = start(tmp_path)
    ran: List[object] = []
    try:
        warden = Warden(own.url, own.agent_token)
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()

        @session.tool("read_ticket")
        def read_ticket(id: int) -> int:
            ran.append(id)
            return id

        @session.tool("lookup_order")
        def lookup_order(order: str) -> str:
            # Warden stops while the tool runs: the tool ran, its outcome cannot be recorded.
            stop(own)
            ran.append(order)
            return f"order {order} shipped"

        assert read_ticket(1) == 1
        with pytest.raises(OutcomeUnrecorded) as unrecorded:
            lookup_order("A-1")
    finally:
        stop(own)
    assert unrecorded.value.code == "OUTCOME_UNRECORDED"
    assert unrecorded.value.unscreened_result == "order A-1 shipped"
    assert isinstance(unrecorded.value.__cause__, WardenUnavailable)
    with pytest.raises(WardenUnavailable):
        read_ticket(2)
    assert ran == [1, "A-1"]


def _approve_when_asked(service: Service, session_id: str, decision: str, reason: str = "") -> None:
    approval = service.wait_for_approval_of(session_id)
    service.decide(approval, decision, reason or None)


def test_an_ask_runs_once_a_person_approves(warden: Warden, service: Service) -> None:
    sent: List[Dict[str, str]] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="reply to a customer") as session:

        @session.tool("send_email")
        def send_email(to: str, body: str) -> str:
            sent.append({"to": to, "body": body})
            return f"sent to {to}"

        with ThreadPoolExecutor(1) as pool:
            approver = pool.submit(_approve_when_asked, service, session.id, "approve")
            assert send_email(to="customer@outside.example", body="hi", rationale="reply") == (
                "sent to customer@outside.example"
            )
            approver.result()
    assert sent == [{"to": "customer@outside.example", "body": "hi"}]


def test_an_ask_a_person_denies_raises_their_reason(warden: Warden, service: Service) -> None:
    sent: List[str] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="reply to a customer") as session:

        @session.tool("send_email")
        def send_email(to: str, body: str) -> None:
            sent.append(to)

        with ThreadPoolExecutor(1) as pool:
            approver = pool.submit(_approve_when_asked, service, session.id, "deny", "not before the audit")
            with pytest.raises(ApprovalDenied) as denied:
                send_email(to="customer@outside.example", body="hi")
            approver.result()
    assert denied.value.code == "APPROVAL_DENIED"
    assert denied.value.approver_reason == "not before the audit"
    assert denied.value.refusal.rule_id == "mail-outside-asks"
    assert sent == []


def test_an_approval_nobody_gives_in_time_expires(warden: Warden) -> None:
    refunded: List[str] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

        @session.tool("refund")
        def refund(order: str) -> None:
            refunded.append(order)

        with pytest.raises(ApprovalExpired) as expired:
            refund("A-1")
    assert expired.value.code == "APPROVAL_EXPIRED"
    assert expired.value.refusal.rule_id == "refunds-ask"
    assert refunded == []


def test_waiting_for_an_approval_stops_at_its_timeout(warden: Warden) -> None:
    sent: List[str] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

        @session.tool("send_email", approval_timeout=0.2)
        def send_email(to: str) -> None:
            sent.append(to)

        with pytest.raises(ApprovalWaitTimeout) as timed_out:
            send_email(to="customer@outside.example")
    assert timed_out.value.code == "APPROVAL_WAIT_TIMEOUT"
    assert sent == []


def test_check_wait_and_record_outcome_for_frameworks_that_run_tools_themselves(
    warden: Warden, service: Service
) -> None:
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:
        allowed = session.check("read_ticket", {"id": 5}, rationale="look it up", call_id="call_py_check")
        assert allowed.allowed and allowed.rule_id == "support-reads"
        session.record_outcome(allowed.call_id, result={"id": 5}, duration_ms=1.5)

        denied = session.check("execute_shell", {"command": "ls"})
        assert denied.decision == "deny"
        with pytest.raises(ToolDenied):
            session.wait_for_approval(denied)

        pending = session.check("send_email", {"to": "x@outside.example"})
        assert pending.pending and pending.approval is not None
        with pytest.raises(ApprovalMismatch):
            session.wait_for_approval(pending, args={"to": "y@outside.example"})
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(ApprovalWaitCancelled):
            session.wait_for_approval(pending, cancel=cancel)
    outcome = service.ledger(call="call_py_check", kind="call.outcome")[0]["data"]
    assert outcome["status"] == "ok"  # type: ignore[index]
