"""The LangChain adapter driven by LangChain's own agent loop (create_agent) with a scripted chat model."""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Sequence

import pytest

pytest.importorskip("langchain_core", reason="the [test-langchain] extra is not installed")
pytest.importorskip("langchain.agents", reason="the [test-langchain] extra is not installed")

from langchain.agents import create_agent  # noqa: E402  # pyright: ignore[reportUnknownVariableType]
from langchain.agents.middleware.types import InputAgentState  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.runnables import RunnableConfig  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from agent_warden import ToolDenied, Warden  # noqa: E402
from agent_warden.adapters.langchain import warden_langchain  # noqa: E402

from .service import AGENT, Service  # noqa: E402

ALICE = "alice@example.com"


class ScriptedModel(GenericFakeChatModel):
    """Answers with the scripted messages in turn; binding tools changes nothing (the script names them)."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> "ScriptedModel":
        return self


def scripted(*replies: AIMessage) -> ScriptedModel:
    return ScriptedModel(messages=iter(replies))


ran: List[str] = []


@tool
def read_ticket(id: int) -> str:
    """Reads a support ticket."""
    ran.append(f"read {id}")
    return f"ticket {id}: my invoice is wrong"


@tool
def execute_shell(command: str) -> str:
    """Runs a shell command."""
    ran.append(command)
    return "ran"


@tool
async def send_email(to: str, body: str) -> str:
    """Sends an email."""
    ran.append(f"mail {to}")
    return f"sent to {to}"


def ask(text: str) -> InputAgentState:
    return {"messages": [HumanMessage(content=text)]}


def tool_messages(result: Any) -> List[ToolMessage]:
    messages: List[BaseMessage] = result["messages"]
    return [m for m in messages if isinstance(m, ToolMessage)]


def test_the_agent_loop_runs_allowed_tools_and_reads_refusals(warden: Warden, service: Service) -> None:
    ran.clear()
    odd_id = "toolu 01/shell"
    model = scripted(
        AIMessage(
            content="I'll read the ticket, then look around.",
            tool_calls=[
                {"name": "read_ticket", "args": {"id": 123}, "id": "call_lc_read", "type": "tool_call"},
                {"name": "execute_shell", "args": {"command": "ls /"}, "id": odd_id, "type": "tool_call"},
            ],
        ),
        AIMessage(content="The ticket is about an invoice."),
    )
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="answer ticket #123") as session:
        tools, callbacks = warden_langchain(session, [read_ticket, execute_shell])
        agent = create_agent(model, tools)  # pyright: ignore[reportUnknownVariableType]
        result = agent.invoke(ask("What is ticket 123 about?"), RunnableConfig(callbacks=callbacks))  # pyright: ignore[reportUnknownMemberType]

    read, shell = tool_messages(result)
    assert read.content == "ticket 123: my invoice is wrong" and read.status == "success"
    assert shell.status == "error" and shell.tool_call_id == odd_id
    assert str(shell.content).startswith("Warden refused this tool call (TOOL_DENIED)")
    assert ran == ["read 123"]
    assert result["messages"][-1].content == "The ticket is about an invoice."

    intent = service.ledger(call="call_lc_read", kind="call.intent")[0]["data"]
    assert intent["rationale"] == "I'll read the ticket, then look around."  # type: ignore[index]
    assert intent["args"] == {"id": 123}  # type: ignore[index]
    mapped = "h:" + hashlib.sha256(odd_id.encode()).hexdigest()[:32]
    refused = service.ledger(call=mapped, kind="call.intent")[0]["data"]
    assert '[framework call id: "toolu 01/shell"]' in refused["rationale"]  # type: ignore[index]


def test_a_tool_called_without_a_tool_call_raises_the_refusal(warden: Warden) -> None:
    ran.clear()
    with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="t") as session:
        tools, _ = warden_langchain(session, [execute_shell])
        with pytest.raises(ToolDenied):
            tools[0].invoke({"command": "ls"})
    assert ran == []


def test_an_async_agent_waits_for_the_approver_of_an_ask(service: Service) -> None:
    ran.clear()
    model = scripted(
        AIMessage(
            content="Replying to the customer.",
            tool_calls=[{"name": "send_email", "args": {"to": "c@outside.example", "body": "hi"}, "id": "call_lc_mail"}],
        ),
        AIMessage(
            content="Trying again.",
            tool_calls=[{"name": "send_email", "args": {"to": "d@outside.example", "body": "hi"}, "id": "call_lc_mail2"}],
        ),
        AIMessage(content="Done."),
    )

    async def main() -> Any:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="reply") as session:
                tools, callbacks = warden_langchain(session, [send_email])
                agent = create_agent(model, tools)  # pyright: ignore[reportUnknownVariableType]
                return await agent.ainvoke(ask("reply to them"), RunnableConfig(callbacks=callbacks))  # pyright: ignore[reportUnknownMemberType]

    before = service.approvals()
    with ThreadPoolExecutor(1) as pool:
        approver = pool.submit(_decide_two, service, before)
        result = asyncio.run(main())
        approver.result()
    first, second = tool_messages(result)
    assert first.content == "sent to c@outside.example"
    assert second.status == "error" and "APPROVAL_DENIED" in str(second.content) and "not this one" in str(second.content)
    assert ran == ["mail c@outside.example"]


def _decide_two(service: Service, before: List[Dict[str, object]]) -> None:
    first = service.wait_for_new_approval(before)
    service.decide(first, "approve")
    second = service.wait_for_new_approval([*before, first])
    service.decide(second, "deny", "not this one")



def test_the_inner_tool_runs_with_the_arguments_warden_decided_on(service: Service) -> None:
    ran.clear()
    args: Dict[str, Any] = {"to": "c@outside.example", "body": "hi"}
    before = service.approvals()

    def change_then_approve() -> None:
        held = service.wait_for_new_approval(before)
        args["to"] = "someone@elsewhere.example"  # the caller's dict, changed while the call waits
        service.decide(held, "approve")

    async def main() -> Any:
        async with Warden(service.url, service.agent_token) as warden:
            async with warden.session(agent=AGENT, on_behalf_of=ALICE, intent="reply") as session:
                tools, _ = warden_langchain(session, [send_email])
                return await tools[0].ainvoke(args)

    with ThreadPoolExecutor(1) as pool:
        approver = pool.submit(change_then_approve)
        result = asyncio.run(main())
        approver.result()
    assert result == "sent to c@outside.example"
    assert ran == ["mail c@outside.example"]
