"""LangChain (langchain-core) tools whose every call goes through a Warden session."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union, cast

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tools import BaseTool
from pydantic import ConfigDict

from .._ids import rationale_of, warden_call_id
from .._json import JsonValue, to_json_value
from .._rationale_log import RationaleLog
from .._refusal import denial_text, is_refusal
from ..decision import Decision
from ..errors import ResultWithheld, WardenError
from ..session import Session

__all__ = ["RationaleHandler", "WardenTool", "warden_langchain", "warden_langchain_tools"]


class RationaleHandler(BaseCallbackHandler):
    """
    Notes each chat model reply's text for the tool calls in that reply, for the gated tools to record as
    the calls' rationale. Pass it in the run's callbacks: ``agent.invoke(input, {"callbacks": [handler]})``.
    """

    # Inline even in async runs: the note must be in place before the agent runs the tools the reply asks for.
    run_inline = True

    def __init__(self, log: RationaleLog) -> None:
        super().__init__()
        self.log = log

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                if isinstance(generation, ChatGeneration) and isinstance(generation.message, AIMessage):
                    message = generation.message
                    ids = [call["id"] for call in message.tool_calls if call.get("id")]
                    if ids:
                        self.log.note([i for i in ids if i is not None], message.text)


class WardenTool(BaseTool):
    """
    A gated stand-in for a LangChain tool: same name, description and argument schema, but its body runs
    only when Warden allows the call. The model's tool-call id becomes the Warden call id. Called by a model
    (with a tool call), a refusal comes back as a ``ToolMessage`` with ``status="error"`` that the model
    reads, and the agent loop goes on; called directly with plain arguments, it raises the refusal. A
    result Warden withheld (RESULT_WITHHELD) is handed on the same way. Only the content the model reads
    is screened: a ``content_and_artifact`` tool's artifact, which LangChain keeps from the model, is not.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseTool
    session: Session
    rationales: Optional[RationaleLog] = None

    def run(self, tool_input: Union[str, dict[str, Any]], *args: Any, tool_call_id: Optional[str] = None, **kwargs: Any) -> Any:
        refused, decision, decided = self._decide(tool_input, tool_call_id)
        if decision is None:
            return self._refusal(refused, tool_call_id)
        started = time.perf_counter()
        try:
            output = self.inner.run(_as_input(tool_input, decided), *args, tool_call_id=tool_call_id, **kwargs)
        except BaseException as err:
            self.session.record_ran(decision.call_id, started, error=err)
            raise
        content = _content(output)
        try:
            return _screened(output, content, self.session.record_ran(decision.call_id, started, result=content))
        except ResultWithheld as withheld:
            return self._refusal(withheld, tool_call_id)

    async def arun(
        self, tool_input: Union[str, dict[str, Any]], *args: Any, tool_call_id: Optional[str] = None, **kwargs: Any
    ) -> Any:
        refused, decision, decided = await self._adecide(tool_input, tool_call_id)
        if decision is None:
            return self._refusal(refused, tool_call_id)
        started = time.perf_counter()
        try:
            output = await self.inner.arun(
                _as_input(tool_input, decided), *args, tool_call_id=tool_call_id, **kwargs
            )
        except BaseException as err:
            await self.session.arecord_ran(decision.call_id, started, error=err)
            raise
        content = _content(output)
        try:
            return _screened(
                output, content, await self.session.arecord_ran(decision.call_id, started, result=content)
            )
        except ResultWithheld as withheld:
            return self._refusal(withheld, tool_call_id)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        # run() and arun() above are the only ways in: they decide before they delegate to the inner tool.
        raise TypeError("a Warden-gated tool runs through invoke()/run(), which ask Warden first")

    def _context(self, tool_call_id: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
        text = self.rationales.take(tool_call_id) if self.rationales is not None else None
        return rationale_of(text, tool_call_id), warden_call_id(tool_call_id)

    def _decide(
        self, tool_input: Union[str, dict[str, Any]], tool_call_id: Optional[str]
    ) -> Tuple[Optional[WardenError], Optional[Decision], JsonValue]:
        rationale, call_id = self._context(tool_call_id)
        decided: JsonValue = None
        try:
            decided = _decided(tool_input)
            decision = self.session.check(self.name, decided, rationale=rationale, call_id=call_id)
            return None, self.session.wait_for_approval(decision), decided
        except WardenError as err:
            return _refusal_or_raise(err), None, decided

    async def _adecide(
        self, tool_input: Union[str, dict[str, Any]], tool_call_id: Optional[str]
    ) -> Tuple[Optional[WardenError], Optional[Decision], JsonValue]:
        rationale, call_id = self._context(tool_call_id)
        decided: JsonValue = None
        try:
            decided = _decided(tool_input)
            decision = await self.session.acheck(self.name, decided, rationale=rationale, call_id=call_id)
            return None, await self.session.await_approval(decision), decided
        except WardenError as err:
            return _refusal_or_raise(err), None, decided

    def _refusal(self, refused: Optional[WardenError], tool_call_id: Optional[str]) -> Any:
        assert refused is not None
        if tool_call_id is None:
            raise refused
        # A ToolMessage whatever the tool's response format: LangChain passes it through as the call's answer.
        artifact = {"warden": {"code": refused.code, "details": refused.details}}
        return ToolMessage(denial_text(refused), tool_call_id=tool_call_id, name=self.name, status="error", artifact=artifact)


def _decided(tool_input: Union[str, dict[str, Any]]) -> JsonValue:
    """
    The model's arguments as plain JSON (new dicts and lists), before the tool's schema turns them into
    objects: what Warden decides on, records, and hands the inner tool (InvalidArgs when JSON cannot
    carry them faithfully).
    """
    return to_json_value(tool_input if isinstance(tool_input, dict) else {"input": tool_input})


def _as_input(tool_input: Union[str, dict[str, Any]], decided: JsonValue) -> Any:
    """The inner tool's input rebuilt from what was decided, never the caller's own objects (a dict
    changed after the check, a ``str`` subclass that reads as something else)."""
    plain = cast(Dict[str, Any], decided)
    return plain if isinstance(tool_input, dict) else plain["input"]


def _content(output: Any) -> Any:
    return output.content if isinstance(output, ToolMessage) else output


def _screened(output: Any, content: Any, handed_on: Any) -> Any:
    """The tool's output with the content Warden screened (``secrets.results``) in place of its own."""
    if handed_on is content:
        return output
    return output.model_copy(update={"content": handed_on}) if isinstance(output, ToolMessage) else handed_on


def _refusal_or_raise(err: WardenError) -> WardenError:
    if is_refusal(err):
        return err
    raise err



def warden_langchain_tools(
    session: Session, tools: Sequence[BaseTool], *, rationales: Optional[RationaleLog] = None
) -> List[WardenTool]:
    """Gated stand-ins for ``tools`` (see WardenTool); ``rationales`` is filled by a RationaleHandler."""
    return [
        WardenTool(
            name=tool.name,
            description=tool.description,
            args_schema=tool.args_schema,
            return_direct=tool.return_direct,
            response_format=tool.response_format,
            inner=tool,
            session=session,
            rationales=rationales,
        )
        for tool in tools
    ]


def warden_langchain(
    session: Session, tools: Sequence[BaseTool]
) -> Tuple[List[WardenTool], List[BaseCallbackHandler]]:
    """
    Gates ``tools`` through ``session`` and returns the callbacks that record the model's text as each
    call's rationale (without them, calls are still gated, just without a rationale).

    >>> tools, callbacks = warden_langchain(session, [get_weather, send_email])
    >>> agent = create_agent(model, tools)
    >>> agent.invoke({"messages": [("user", "…")]}, {"callbacks": callbacks})
    """
    log = RationaleLog()
    return warden_langchain_tools(session, tools, rationales=log), [RationaleHandler(log)]
