"""The OpenAI Agents SDK adapter driven by the SDK's Runner with a scripted model, interruptions included."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, List, Optional

import pytest

pytest.importorskip("agents", reason="the [test-openai-agents] extra is not installed")

from agents import (  # noqa: E402
    Agent,
    FunctionTool,
    Model,
    ModelResponse,
    Runner,
    ToolCallOutputItem,
    Usage,
    function_tool,
    set_tracing_disabled,
)
from agents.items import TResponseOutputItem, TResponseStreamEvent  # noqa: E402
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText  # noqa: E402

from agent_warden import Warden  # noqa: E402
from agent_warden.adapters.openai_agents import WardenAgents  # noqa: E402

from .service import AGENT, Service  # noqa: E402

ALICE = "alice@example.com"
set_tracing_disabled(True)


class ScriptedModel(Model):
    """A model that answers each turn with the next scripted output items; no network, no API key."""

    def __init__(self, *turns: List[TResponseOutputItem]) -> None:
        self.turns = list(turns)

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return ModelResponse(output=self.turns.pop(0), usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[TResponseStreamEvent]:
        raise AssertionError("these tests run the model without streaming")


def text(content: str) -> TResponseOutputItem:
    return ResponseOutputMessage(
        id="msg",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=content, annotations=[])],
    )


def call(name: str, arguments: str, call_id: str) -> TResponseOutputItem:
    return ResponseFunctionToolCall(id="fc", type="function_call", name=name, arguments=arguments, call_id=call_id)


ran: List[str] = []


@function_tool
def read_ticket(id: int) -> str:
    """Reads a support ticket."""
    ran.append(f"read {id}")
    return f"ticket {id}: my invoice is wrong"


@function_tool
def execute_shell(command: str) -> str:
    """Runs a shell command."""
    ran.append(command)
    return "ran"


@function_tool
async def send_email(to: str, body: str) -> str:
    """Sends an email."""
    ran.append(f"mail {to}")
    return f"sent to {to}"


def outputs(items: List[Any]) -> List[str]:
    return [str(item.output) for item in items if isinstance(item, ToolCallOutputItem)]


def agent_with(gated: WardenAgents, model: ScriptedModel, tools: List[FunctionTool]) -> Agent[Any]:
    return Agent(name="support", instructions="Help the customer.", model=model, tools=list(gated.tools(tools)))


def test_the_runner_runs_allowed_tools_and_hands_refusals_to_the_model(service: Service) -> None:
    ran.clear()
    model = ScriptedModel(
        [
            text("Checking the ticket first."),
            call("read_ticket", '{"id": 123}', "call_oa_read"),
            call("execute_shell", '{"command": "ls /"}', "call_oa_shell"),
        ],
        [text("The ticket is about an invoice.")],
    )

    async def main() -> Any:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="answer ticket #123") as session:
                gated = WardenAgents(session)
                return await Runner.run(agent_with(gated, model, [read_ticket, execute_shell]), "?", hooks=gated.hooks)

    result = asyncio.run(main())
    read, shell = outputs(result.new_items)
    assert read == "ticket 123: my invoice is wrong"
    assert shell.startswith("Warden refused this tool call (TOOL_DENIED)")
    assert ran == ["read 123"]
    assert result.final_output == "The ticket is about an invoice."
    intent = service.ledger(call="call_oa_read", kind="call.intent")[0]["data"]
    assert intent["rationale"] == "Checking the ticket first."  # type: ignore[index]
    assert intent["args"] == {"id": 123}  # type: ignore[index]


def _ask_script(call_id: str, to: str) -> ScriptedModel:
    return ScriptedModel(
        [text("Replying to the customer."), call("send_email", f'{{"to": "{to}", "body": "hi"}}', call_id)],
        [text("Done.")],
    )


def test_an_ask_interrupts_the_run_and_an_approval_in_warden_resumes_it(service: Service) -> None:
    ran.clear()
    model = _ask_script("call_oa_mail", "c@outside.example")

    async def main() -> Any:
        async with Warden(service.url, service.agent_token) as warden, Warden(
            service.url, service.approver_token
        ) as approver:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="reply") as session:
                gated = WardenAgents(session)
                agent = agent_with(gated, model, [send_email])
                first = await Runner.run(agent, "reply to them", hooks=gated.hooks)
                assert ran == [] and len(first.interruptions) == 1
                item = first.interruptions[0]
                assert gated.approval_of(item) is not None
                state = first.to_state()
                await gated.approve(approver, state, item)
                return await Runner.run(agent, state, hooks=gated.hooks)

    result = asyncio.run(main())
    assert ran == ["mail c@outside.example"]
    assert outputs(result.new_items) == ["sent to c@outside.example"]
    assert result.final_output == "Done."
    kinds = [r["kind"] for r in service.ledger(call="call_oa_mail")]
    assert "call.outcome" in kinds


def test_a_rejected_interruption_is_denied_in_warden_and_never_runs(service: Service) -> None:
    ran.clear()
    model = _ask_script("call_oa_mail2", "d@outside.example")
    approvals: List[Optional[str]] = []

    async def main() -> Any:
        async with Warden(service.url, service.agent_token) as warden, Warden(
            service.url, service.approver_token
        ) as approver:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="reply") as session:
                gated = WardenAgents(session)
                agent = agent_with(gated, model, [send_email])
                first = await Runner.run(agent, "reply to them", hooks=gated.hooks)
                item = first.interruptions[0]
                approval = gated.approval_of(item)
                approvals.append(approval.id if approval else None)
                state = first.to_state()
                await gated.reject(approver, state, item, "not before the audit")
                return await Runner.run(agent, state, hooks=gated.hooks)

    result = asyncio.run(main())
    assert ran == []
    assert "not before the audit" in outputs(result.new_items)[0]
    decided = [a for a in service.approvals_with_status("decided") if a["id"] == approvals[0]]
    assert decided and decided[0]["status"] == "denied"
