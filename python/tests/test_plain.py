"""Plain functions in a hand-written agent loop: a scripted model's tool calls in, tool messages out."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict, List

from agent_warden import Warden
from agent_warden.adapters.plain import ToolCallResult, arun_tool_call, run_tool_call

from .service import AGENT, Service

ALICE = "alice@example.com"

# What a chat-completions model returns: text and tool calls whose arguments are JSON text.
SCRIPT: List[Dict[str, Any]] = [
    {
        "content": "Reading the ticket first.",
        "tool_calls": [
            {"id": "call_plain_1", "function": {"name": "read_ticket", "arguments": '{"id": 42}'}},
            {"id": "call_plain_2", "function": {"name": "execute_shell", "arguments": '{"command": "id"}'}},
        ],
    }
]


def test_a_hand_written_loop_runs_allowed_calls_and_hands_refusals_to_the_model(
    warden: Warden, service: Service
) -> None:
    ran: List[str] = []

    def read_ticket(id: int) -> Dict[str, Any]:
        ran.append(f"read {id}")
        return {"id": id, "body": "my invoice is wrong"}

    def execute_shell(command: str) -> str:
        ran.append(command)
        return ""

    functions: Dict[str, Callable[..., Any]] = {"read_ticket": read_ticket, "execute_shell": execute_shell}
    messages: List[Dict[str, Any]] = []
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="answer ticket #42") as session:
        for reply in SCRIPT:
            for call in reply["tool_calls"]:
                name = call["function"]["name"]
                result = run_tool_call(
                    session, name, call["function"]["arguments"], functions[name], call_id=call["id"], text=reply["content"]
                )
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result.content})

    assert ran == ["read 42"]
    assert json.loads(messages[0]["content"]) == {"id": 42, "body": "my invoice is wrong"}
    assert messages[1]["content"].startswith("Warden refused this tool call (TOOL_DENIED)")
    intent = service.ledger(call="call_plain_1", kind="call.intent")[0]["data"]
    assert intent["rationale"] == "Reading the ticket first."  # type: ignore[index]
    assert intent["args"] == {"id": 42}  # type: ignore[index]


def test_async_loops_and_async_functions(service: Service) -> None:
    async def lookup_order(order: str) -> str:
        await asyncio.sleep(0)
        return f"order {order} shipped"

    async def main() -> List[ToolCallResult]:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:
                return [
                    await arun_tool_call(session, "lookup_order", {"order": "A-1"}, lookup_order, call_id="call_plain_3"),
                    await arun_tool_call(session, "execute_shell", '{"command": "id"}', lookup_order),
                ]

    allowed, denied = asyncio.run(main())
    assert allowed.ok and allowed.value == "order A-1 shipped"
    assert not denied.ok and denied.refusal is not None and denied.refusal.code == "TOOL_DENIED"
