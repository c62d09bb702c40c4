"""OpenAI Agents SDK function tools whose every call goes through a Warden session, asks included."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any, Dict, List, Optional, Sequence, Union

from agents import Agent, FunctionTool, RunContextWrapper, RunHooks, ToolApprovalItem
from agents.items import ModelResponse
from agents.tool_context import ToolContext
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from .._ids import rationale_of, warden_call_id
from .._json import as_object
from .._rationale_log import RationaleLog
from .._refusal import denial_text, is_refusal
from ..decision import ApprovalRef, Decision
from ..errors import ResultWithheld, WardenError
from ..session import Session
from ..warden import Warden

__all__ = ["RationaleHooks", "WardenAgents"]


class RationaleHooks(RunHooks[Any]):
    """Run hooks that note each model response's text for the tool calls in it (the calls' rationale)."""

    def __init__(self, log: RationaleLog) -> None:
        self.log = log

    async def on_llm_end(self, context: RunContextWrapper[Any], agent: Agent[Any], response: ModelResponse) -> None:
        text = "".join(
            part.text
            for item in response.output
            if isinstance(item, ResponseOutputMessage)
            for part in item.content
            if isinstance(part, ResponseOutputText)
        )
        ids = [item.call_id for item in response.output if isinstance(item, ResponseFunctionToolCall)]
        self.log.note(ids, text)


# What Warden answered for one model tool call: its decision, or the refusal the model will read.
_Answer = Union[Decision, WardenError]


class WardenAgents:
    """
    Gates OpenAI Agents SDK function tools through ``session``. Warden decides each call in the tool's
    ``needs_approval`` hook: an allowed call runs, a denied one returns Warden's refusal text to the model,
    and an ``ask`` interrupts the run (``result.interruptions``) as the SDK's approval flow does. Decide an
    interruption with ``approve``/``reject``, which decide the Warden approval as the given approver and
    then the SDK's, and resume with ``Runner.run(agent, state)``. A call the SDK approves but Warden does
    not stays waiting for Warden's decision, so nothing runs on the SDK's word alone.

    >>> warden_agents = WardenAgents(session)
    >>> agent = Agent(name="support", tools=warden_agents.tools([send_email]))
    >>> result = await Runner.run(agent, "reply to the customer", hooks=warden_agents.hooks)
    >>> for item in result.interruptions:
    ...     state = result.to_state()
    ...     await warden_agents.approve(approver, state, item)
    >>> result = await Runner.run(agent, state, hooks=warden_agents.hooks)
    """

    def __init__(self, session: Session, *, approval_timeout: Optional[float] = None) -> None:
        self.session = session
        self.approval_timeout = approval_timeout
        self._rationales = RationaleLog()
        self.hooks = RationaleHooks(self._rationales)
        # Framework call id → Warden's answer, from the needs_approval hook until the tool runs.
        self._answers: Dict[str, _Answer] = {}

    def tools(self, tools: Sequence[FunctionTool]) -> List[FunctionTool]:
        """Gated copies of ``tools``: same names and schemas; Warden decides every call."""
        return [self._gate(tool) for tool in tools]

    def approval_of(self, item: ToolApprovalItem) -> Optional[ApprovalRef]:
        """The Warden approval behind an interruption, when Warden asked for it."""
        answer = self._answers.get(_call_id_of(item))
        return answer.approval if isinstance(answer, Decision) else None

    async def approve(self, approver: Warden, state: Any, item: ToolApprovalItem) -> None:
        """Approves the interruption in Warden as ``approver`` (a named approver token), then in the SDK."""
        approval = self.approval_of(item)
        if approval is not None:
            await approver.adecide(approval, "approve")
        state.approve(item)

    async def reject(self, approver: Warden, state: Any, item: ToolApprovalItem, reason: str) -> None:
        """Denies it in Warden with ``reason`` (recorded, and the model's rejection text), then in the SDK."""
        approval = self.approval_of(item)
        if approval is not None:
            await approver.adecide(approval, "deny", reason=reason)
        self._answers.pop(_call_id_of(item), None)
        state.reject(item, rejection_message=reason)

    def _gate(self, tool: FunctionTool) -> FunctionTool:
        inner = tool.on_invoke_tool

        async def needs_approval(context: RunContextWrapper[Any], params: Dict[str, Any], call_id: str) -> bool:
            # The SDK may ask again for the same call when a run resumes: Warden decides each call once.
            if call_id not in self._answers:
                self._answers[call_id] = await self._decide(tool.name, params, call_id)
            answer = self._answers[call_id]
            return isinstance(answer, Decision) and answer.pending

        async def invoke(context: ToolContext[Any], arguments: str) -> Any:
            call_id = context.tool_call_id
            args = _parse(arguments)
            answer = self._answers.pop(call_id, None) or await self._decide(tool.name, args, call_id)
            try:
                if isinstance(answer, WardenError):
                    raise answer
                decision = await self.session.await_approval(answer, args=args, timeout=self.approval_timeout)
            except WardenError as err:
                if is_refusal(err):
                    return denial_text(err)
                raise
            started = time.perf_counter()
            try:
                result = await inner(context, arguments)
            except BaseException as err:
                await self.session.arecord_ran(decision.call_id, started, error=err)
                raise
            try:
                return await self.session.arecord_ran(decision.call_id, started, result=result)
            except ResultWithheld as withheld:
                return denial_text(withheld)

        return dataclasses.replace(tool, on_invoke_tool=invoke, needs_approval=needs_approval)

    async def _decide(self, name: str, args: Any, call_id: str) -> _Answer:
        text = self._rationales.take(call_id)
        try:
            return await self.session.acheck(
                name, args, rationale=rationale_of(text, call_id), call_id=warden_call_id(call_id)
            )
        except WardenError as err:
            if is_refusal(err):
                return err
            raise


def _call_id_of(item: ToolApprovalItem) -> str:
    raw: object = item.raw_item
    fields = as_object(raw)
    call_id: object = fields.get("call_id") if fields is not None else getattr(raw, "call_id", None)
    return call_id if isinstance(call_id, str) else ""


def _parse(arguments: str) -> Any:
    """The model's JSON arguments for the ledger; text that is not JSON is recorded as text."""
    if not arguments.strip():
        return {}
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments
