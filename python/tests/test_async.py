"""Async tools and sessions against a real `warden start`: allow, deny, approvals, cancellation, session end."""

from __future__ import annotations

import asyncio
from typing import List

import pytest

from agent_warden import ApprovalDenied, SessionEnded, ToolDenied, Warden, tool

from .service import AGENT, Service

ALICE = "alice@example.com"


def test_async_tools_run_when_allowed_and_never_when_denied(service: Service) -> None:
    ran: List[str] = []

    async def main() -> None:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

                @session.tool("read_ticket")
                async def read_ticket(id: int) -> str:
                    await asyncio.sleep(0)
                    ran.append(f"read {id}")
                    return f"ticket {id}"

                @session.tool("execute_shell")
                async def execute_shell(command: str) -> None:
                    ran.append(command)

                assert await read_ticket(9, tool_call_id="call_py_async") == "ticket 9"
                with pytest.raises(ToolDenied):
                    await execute_shell("rm -rf /")
            assert session.ended
            with pytest.raises(SessionEnded):
                await read_ticket(10)

    asyncio.run(main())
    assert ran == ["read 9"]
    assert [r["kind"] for r in service.ledger(call="call_py_async")] == ["call.intent", "call.outcome"]


def test_async_warden_tool_uses_the_session_of_its_task(service: Service) -> None:
    @tool("lookup_order")
    async def lookup_order(order: str) -> str:
        return order

    async def one(warden: Warden, intent: str) -> str:
        async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent=intent) as session:
            await lookup_order(intent, tool_call_id=f"call_py_{intent}")
            return session.id

    async def main() -> List[str]:
        async with Warden(service.url, service.agent_token) as warden:
            return list(await asyncio.gather(one(warden, "a1"), one(warden, "b2")))

    first, second = asyncio.run(main())
    assert service.ledger(call="call_py_a1")[0]["session"] == first
    assert service.ledger(call="call_py_b2")[0]["session"] == second


def test_one_client_serves_one_event_loop_after_another(service: Service) -> None:
    """A sync program that runs each agent turn with asyncio.run() keeps one Warden for all of them."""
    ran: List[int] = []

    @tool("read_ticket")
    async def read_ticket(id: int) -> str:
        ran.append(id)
        return f"ticket {id}"

    async def turn(warden: Warden, id: int) -> str:
        async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent=f"turn {id}"):
            return await read_ticket(id)

    with Warden(service.url, service.agent_token) as warden:
        assert [asyncio.run(turn(warden, id)) for id in (1, 2, 3)] == ["ticket 1", "ticket 2", "ticket 3"]
    assert ran == [1, 2, 3]


def test_an_async_ask_waits_for_the_approver(service: Service) -> None:
    sent: List[str] = []

    async def main() -> None:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

                @session.tool("send_email")
                async def send_email(to: str) -> str:
                    sent.append(to)
                    return "sent"

                approve = asyncio.to_thread(
                    lambda: service.decide(service.wait_for_approval_of(session.id), "approve")
                )
                results = await asyncio.gather(send_email("a@outside.example"), approve)
                assert results[0] == "sent"

                deny = asyncio.to_thread(
                    lambda: service.decide(service.wait_for_approval_of(session.id), "deny", "no")
                )
                with pytest.raises(ApprovalDenied):
                    await asyncio.gather(send_email("b@outside.example"), deny)

    asyncio.run(main())
    assert sent == ["a@outside.example"]


def test_cancelling_a_task_that_waits_for_approval_runs_nothing(service: Service) -> None:
    sent: List[str] = []

    async def main() -> None:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:

                @session.tool("send_email")
                async def send_email(to: str) -> None:
                    sent.append(to)

                waiting = asyncio.ensure_future(send_email("c@outside.example"))
                await asyncio.to_thread(service.wait_for_approval_of, session.id)
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting

    asyncio.run(main())
    assert sent == []
