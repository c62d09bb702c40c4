"""Plain functions called by a hand-written agent loop: one model tool call in, a result or refusal text out."""

from __future__ import annotations

import inspect
import json
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Optional, Union

from .._ids import rationale_of, warden_call_id
from .._refusal import denial_text, is_refusal
from .._tool import refuse_generator
from ..errors import ResultWithheld, WardenError
from ..session import Session

__all__ = ["ToolCallResult", "arun_tool_call", "run_tool_call"]


@dataclass(frozen=True)
class ToolCallResult:
    """What became of one tool call: ``ok`` with the function's ``value``, or the ``refusal`` the model reads."""

    ok: bool
    value: Any = None
    refusal: Optional[WardenError] = None

    @property
    def content(self) -> str:
        """Text for the model's tool message: the value (JSON when it is not a string) or the refusal."""
        if self.refusal is not None:
            return denial_text(self.refusal)
        return self.value if isinstance(self.value, str) else json.dumps(self.value, default=str)


def _arguments(arguments: Union[str, Mapping[str, Any]]) -> Any:
    """Arguments as the model sent them: a JSON text is parsed for the ledger, other text kept as text."""
    if not isinstance(arguments, str):
        return dict(arguments)
    if not arguments.strip():
        return {}
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


def _call(fn: Callable[..., Any], decided: Any) -> Any:
    """
    ``fn`` with the arguments as Warden decided them (fresh plain JSON), never the caller's own objects:
    a list the caller still holds could change while the call waits, a subclass hold another value.
    """
    return fn(**decided) if isinstance(decided, dict) else fn(decided)


def run_tool_call(
    session: Session,
    name: str,
    arguments: Union[str, Mapping[str, Any]],
    fn: Callable[..., Any],
    *,
    call_id: Optional[str] = None,
    text: Optional[str] = None,
    approval_timeout: Optional[float] = None,
) -> ToolCallResult:
    """
    Runs ``fn(**arguments)`` for a model's tool call once Warden allows it, with the arguments as Warden
    decided them (plain JSON rebuilt from the decided copy, never the caller's own objects). ``call_id`` is the model's
    tool-call id (mapped to a Warden call id as the TypeScript adapters do) and ``text`` the model's text
    that came with the call (the rationale). A refusal comes back as ``ToolCallResult(ok=False)``, the
    body not run, and so does a result Warden withheld (RESULT_WITHHELD: the body ran, nothing of its
    result is handed on); an error raised by ``fn`` itself is recorded and raised.
    """
    args = _arguments(arguments)
    try:
        decision = session.check(name, args, rationale=rationale_of(text, call_id), call_id=warden_call_id(call_id))
        decision = session.wait_for_approval(decision, timeout=approval_timeout)
    except WardenError as err:
        if is_refusal(err):
            return ToolCallResult(ok=False, refusal=err)
        raise
    started = time.perf_counter()
    try:
        value = _call(fn, decision.args)
        if inspect.iscoroutine(value):
            value.close()  # never started: what it does would run only if awaited
            raise TypeError(f"tool {name!r} is async: run it with arun_tool_call")
        refuse_generator(name, value)
    except BaseException as err:
        session.record_ran(decision.call_id, started, error=err)
        raise
    try:
        return ToolCallResult(ok=True, value=session.record_ran(decision.call_id, started, result=value))
    except ResultWithheld as withheld:
        return ToolCallResult(ok=False, refusal=withheld)


async def arun_tool_call(
    session: Session,
    name: str,
    arguments: Union[str, Mapping[str, Any]],
    fn: Callable[..., Union[Any, Awaitable[Any]]],
    *,
    call_id: Optional[str] = None,
    text: Optional[str] = None,
    approval_timeout: Optional[float] = None,
) -> ToolCallResult:
    """``run_tool_call`` for async code; ``fn`` may be sync or async."""
    args = _arguments(arguments)
    try:
        decision = await session.acheck(
            name, args, rationale=rationale_of(text, call_id), call_id=warden_call_id(call_id)
        )
        decision = await session.await_approval(decision, timeout=approval_timeout)
    except WardenError as err:
        if is_refusal(err):
            return ToolCallResult(ok=False, refusal=err)
        raise
    started = time.perf_counter()
    try:
        value = _call(fn, decision.args)
        if inspect.isawaitable(value):
            value = await value
        refuse_generator(name, value)
    except BaseException as err:
        await session.arecord_ran(decision.call_id, started, error=err)
        raise
    try:
        return ToolCallResult(ok=True, value=await session.arecord_ran(decision.call_id, started, result=value))
    except ResultWithheld as withheld:
        return ToolCallResult(ok=False, refusal=withheld)
