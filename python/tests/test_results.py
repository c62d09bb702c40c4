"""Results a tool returns are screened by Warden (``secrets.results``) before the caller hands them on."""

from __future__ import annotations

import json
from typing import Callable, Dict, List

import httpx
import pytest

from agent_warden import ResultWithheld, Warden
from agent_warden.adapters.plain import run_tool_call

from .service import AGENT

ALICE = "alice@example.com"
KEY = "AKIAIOSFODNN7EXAMPLE"


def test_a_result_holding_a_credential_comes_back_masked(warden: Warden) -> None:
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="look up an order") as session:

        @session.tool("lookup_order")
        def lookup_order(id: int) -> Dict[str, str]:
            return {"order": str(id), "note": f"paid with key {KEY}"}

        clean = {"order": "7", "note": "paid"}

        @session.tool("read_ticket")
        def read_ticket(id: int) -> Dict[str, str]:
            return clean

        masked = lookup_order(id=7)
        assert KEY not in json.dumps(masked)
        assert masked["order"] == "7"
        # Nothing to mask: the tool's own object is handed on.
        assert read_ticket(id=1) is clean
        # The plain adapter hands the screened value to the model too.
        def leaky(id: int) -> str:
            return f"key {KEY}"

        answer = run_tool_call(session, "lookup_order", '{"id": 8}', leaky)
        assert answer.ok and KEY not in str(answer.value)


def _played_warden(outcome: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    """A Warden played by a transport (the shared test service redacts): it allows every call and answers
    each outcome report with ``outcome``."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sessions":
            return httpx.Response(201, json={"id": "ses_t", "agent": AGENT})
        if request.url.path == "/v1/decisions":
            decision = {"callId": "call_t", "decision": "allow", "effect": "allow", "reason": "ok", "ruleId": "r"}
            return httpx.Response(200, json={**decision, "mode": "enforce", "code": None, "retryAfterMs": None})
        if request.url.path.endswith("/outcome"):
            return outcome(request)
        return httpx.Response(204)

    return httpx.MockTransport(answer)


def _service_that_withholds(sent: List[Dict[str, object]]) -> httpx.MockTransport:
    """A Warden whose policy blocks results: it withholds every reported result, noting what was sent."""

    def withhold(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        error = {"code": "RESULT_WITHHELD", "message": 'the result of tool "lookup_order" holds a credential'}
        return httpx.Response(200, json={"status": "withheld", "error": error})

    return _played_warden(withhold)


def test_a_withheld_result_raises_and_is_not_handed_on() -> None:
    sent: List[Dict[str, object]] = []
    with Warden("http://warden.test", "wdn_test", transport=_service_that_withholds(sent)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()

        @session.tool("lookup_order")
        def lookup_order(id: int) -> str:
            return f"key {KEY}"

        with pytest.raises(ResultWithheld) as withheld:
            lookup_order(id=7)
    assert withheld.value.code == "RESULT_WITHHELD"
    assert withheld.value.call_id == "call_t"
    assert KEY not in str(withheld.value)
    assert sent[0]["result"] == f"key {KEY}"


def test_a_result_that_cannot_be_sent_says_so() -> None:
    # Warden cannot screen what it does not see: it is told, and decides whether the result may pass.
    sent: List[Dict[str, object]] = []
    with Warden("http://warden.test", "wdn_test", transport=_service_that_withholds(sent)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()

        @session.tool("lookup_order")
        def lookup_order(id: int) -> object:
            return {1, 2, 3}  # a set is not JSON

        with pytest.raises(ResultWithheld):
            lookup_order(id=7)
    assert sent[0]["resultUnsent"] is True
    assert "result" not in sent[0]


def test_the_plain_adapter_tells_the_model_a_withheld_result_ran() -> None:
    sent: List[Dict[str, object]] = []
    with Warden("http://warden.test", "wdn_test", transport=_service_that_withholds(sent)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()

        def leaky(id: int) -> str:
            return f"key {KEY}"

        answer = run_tool_call(session, "lookup_order", '{"id": 8}', leaky)
    # The agent loop goes on: the model reads that the tool ran and why its result is not shown.
    assert not answer.ok
    assert answer.refusal is not None and answer.refusal.code == "RESULT_WITHHELD"
    assert "The tool ran, but its result is not shown." in answer.content
    assert "did not run" not in answer.content
    assert KEY not in answer.content


def test_a_warden_that_does_not_screen_reported_results_has_them_withheld() -> None:
    # A Warden older than result screening answers 204: the result is not handed on unscreened.
    older = _played_warden(lambda _: httpx.Response(204))
    with Warden("http://warden.test", "wdn_test", transport=older) as warden:
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()

        @session.tool("lookup_order")
        def lookup_order(id: int) -> str:
            return f"key {KEY}"

        @session.tool("ping")
        def ping() -> None:
            return None

        with pytest.raises(ResultWithheld, match="does not screen"):
            lookup_order(id=7)
        assert ping() is None


def test_an_answer_that_does_not_clear_the_result_withholds_it() -> None:
    # Only Warden's "ok" hands a result on: any other answer to a reported result withholds it.
    unclear = _played_warden(lambda _: httpx.Response(200, json={"status": "maybe", "result": f"key {KEY}"}))
    with Warden("http://warden.test", "wdn_test", transport=unclear) as warden:
        session = warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t").open()

        @session.tool("lookup_order")
        def lookup_order(id: int) -> str:
            return f"key {KEY}"

        with pytest.raises(ResultWithheld, match="did not say"):
            lookup_order(id=7)
