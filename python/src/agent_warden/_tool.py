"""The tool decorator: the function runs only when Warden allowed its call, and its outcome is recorded."""

from __future__ import annotations

import functools
import inspect
import sys
import time
import types
from typing import Any, Awaitable, Callable, Dict, Generic, List, Optional, Tuple, TypeVar, cast

from ._json import JsonValue, format_path, to_json_value
from .errors import InvalidArgs
from .session import Session

if sys.version_info >= (3, 10):
    from typing import ParamSpec
else:
    from typing_extensions import ParamSpec

P = ParamSpec("P")
R = TypeVar("R")

# Keyword-only arguments every guarded tool takes for Warden; the wrapped function never sees them.
CALL_KEYWORDS = ("rationale", "tool_call_id")


class GuardedTool(Generic[P, R]):
    """
    A function whose every call Warden decides first. Call it as the function itself, with two more
    keyword-only arguments for Warden: ``rationale=`` (the model's reason) and ``tool_call_id=`` (the
    model's id for the call, which becomes the Warden call id). ``.using(rationale=…, tool_call_id=…)``
    gives the same with the function's exact signature, for strict type checkers.

    A refused call raises (ToolDenied, RateLimited, ApprovalDenied, …, WardenUnavailable) and the body
    never runs. An async function gives an async tool.
    """

    __name__: str
    __doc__: Optional[str]

    def __init__(
        self,
        name: str,
        fn: Callable[P, R],
        session_of: Callable[[], Session],
        approval_timeout: Optional[float],
    ) -> None:
        # As a method, the tool binds as its function would: a plain function to the instance it is read
        # from, a classmethod to its class, a staticmethod to nothing. The instance or class is not an
        # argument: it is neither recorded nor sent.
        target: Callable[..., Any] = fn
        self._binds: Optional[str] = "instance" if inspect.isfunction(fn) else None
        if isinstance(fn, (classmethod, staticmethod)):
            target = cast(Callable[..., Any], cast(Any, fn).__func__)
            self._binds = "class" if isinstance(fn, classmethod) else None
        signature = inspect.signature(target)
        taken = [k for k in CALL_KEYWORDS if k in signature.parameters]
        if taken:
            raise TypeError(f"tool {name!r}: parameter {taken[0]!r} is reserved for Warden (the model's context)")
        if _is_generator_callable(target):
            raise TypeError(f"tool {name!r} is a generator function: {_GENERATOR_WHY}")
        self.tool_name = name
        self._fn = target
        self._signature = signature
        self._session_of = session_of
        self._approval_timeout = approval_timeout
        self._is_async = _is_async_callable(target)
        functools.update_wrapper(self, target)

    def __get__(self, instance: object, owner: Optional[type] = None) -> "GuardedTool[..., R]":
        """The tool as a method: bound to the instance (or, for a classmethod, the class) it is read from."""
        if self._binds == "class":
            bound: Callable[..., R] = types.MethodType(self._fn, owner if owner is not None else type(instance))
        elif self._binds == "instance" and instance is not None:
            bound = types.MethodType(self._fn, instance)
        else:
            return self
        return GuardedTool(self.tool_name, bound, self._session_of, self._approval_timeout)

    # PEP 612 cannot add keyword-only parameters to a ParamSpec: the call form takes any arguments (the
    # signature is checked when it is bound, before Warden is asked); `.using()` keeps the exact one.
    def __call__(self, *args: Any, rationale: Optional[str] = None, tool_call_id: Optional[str] = None, **kwargs: Any) -> R:
        return self._invoke(args, kwargs, rationale, tool_call_id)

    def using(self, *, rationale: Optional[str] = None, tool_call_id: Optional[str] = None) -> Callable[P, R]:
        """The tool for one call with the model's rationale and/or tool-call id."""

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            return self._invoke(args, kwargs, rationale, tool_call_id)

        return call

    def _invoke(
        self, args: Tuple[Any, ...], kwargs: Dict[str, Any], rationale: Optional[str], call_id: Optional[str]
    ) -> R:
        if self._binds == "class":
            raise TypeError(f"tool {self.tool_name!r} is a classmethod: call it through its class or an instance")
        if self._is_async:
            return cast(R, self._run_async(args, kwargs, rationale, call_id))
        return self._run_sync(args, kwargs, rationale, call_id)

    def _recorded(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> JsonValue:
        """The arguments by parameter name, defaults included: what the body will receive."""
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        named: Dict[str, Any] = {}
        params = self._signature.parameters
        for name, value in bound.arguments.items():
            kind = params[name].kind
            if kind is inspect.Parameter.VAR_KEYWORD:
                # Python lets **kwargs hold a key named like a positional-only, *args or **kwargs
                # parameter; recorded by name, it would stand in for that parameter's value (a model's
                # keyword taking the place of the caller's positional argument) or vanish from the call.
                clash = next((key for key in value if key in params), None)
                if clash is not None:
                    raise InvalidArgs(
                        f"a keyword argument has the name of the parameter {clash!r}: it cannot be recorded by name",
                        format_path([clash]),
                    )
                named.update(value)
            elif kind is inspect.Parameter.VAR_POSITIONAL:
                named[name] = list(value)
            else:
                named[name] = value
        return to_json_value(named)

    def _decided_call(self, decided: JsonValue) -> Tuple[List[Any], Dict[str, Any]]:
        """
        The body's arguments rebuilt from the JSON Warden decided on, never the caller's own objects: a
        dict changed after the check (by another thread, or a callback) or a ``str`` subclass whose
        methods say otherwise would run what nobody decided. ``to_json_value`` made fresh plain values.
        """
        named = cast(Dict[str, Any], decided)
        params = self._signature.parameters
        positional: List[Any] = []
        keywords: Dict[str, Any] = {}
        # Before a *args parameter, arguments can only be given by position.
        by_position = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params.values())
        for name, param in params.items():
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                keywords.update({k: v for k, v in named.items() if k not in params})
            elif param.kind is inspect.Parameter.VAR_POSITIONAL:
                positional.extend(named[name])
            elif param.kind is inspect.Parameter.POSITIONAL_ONLY or (
                param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and by_position
            ):
                positional.append(named[name])
            else:
                keywords[name] = named[name]
        return positional, keywords

    def _run_sync(self, args: Tuple[Any, ...], kwargs: Dict[str, Any], rationale: Optional[str], call_id: Optional[str]) -> R:
        session = self._session_of()
        decided = self._recorded(args, kwargs)
        decision = session.check(self.tool_name, decided, rationale=rationale, call_id=call_id)
        decision = session.wait_for_approval(decision, timeout=self._approval_timeout)
        positional, keywords = self._decided_call(decided)
        started = time.perf_counter()
        try:
            result = cast(Callable[..., R], self._fn)(*positional, **keywords)
            if inspect.isawaitable(result):
                # A callable that hides its coroutine: what it does runs only if awaited, and it was not.
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError(
                    f"tool {self.tool_name!r} returned an awaitable from a call made as sync: declare it async def"
                )
            refuse_generator(self.tool_name, result)
        except BaseException as err:
            session.record_ran(decision.call_id, started, error=err)
            raise
        # The result as Warden screened it (secrets.results), or ResultWithheld.
        return cast(R, session.record_ran(decision.call_id, started, result=result))

    async def _run_async(self, args: Tuple[Any, ...], kwargs: Dict[str, Any], rationale: Optional[str], call_id: Optional[str]) -> Any:
        session = self._session_of()
        decided = self._recorded(args, kwargs)
        decision = await session.acheck(self.tool_name, decided, rationale=rationale, call_id=call_id)
        decision = await session.await_approval(decision, timeout=self._approval_timeout)
        positional, keywords = self._decided_call(decided)
        started = time.perf_counter()
        try:
            result = await cast(Callable[..., Awaitable[Any]], self._fn)(*positional, **keywords)
            refuse_generator(self.tool_name, result)
        except BaseException as err:
            await session.arecord_ran(decision.call_id, started, error=err)
            raise
        return await session.arecord_ran(decision.call_id, started, result=result)


_GENERATOR_WHY = (
    "its body would run only as the result is iterated, after the call's outcome was recorded, unscreened"
    " and past the session's end: return the values instead"
)


def refuse_generator(tool: str, result: object) -> None:
    """
    Raises TypeError for a generator result (closed, never started) or an awaitable one (a coroutine is
    closed, never started): its body would run only as it is iterated or awaited, unguarded.
    """
    if inspect.isgenerator(result):
        result.close()
    elif inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()
        raise TypeError(
            f"tool {tool!r} returned an awaitable: what it does would run only when awaited, after the call's"
            " outcome was recorded, unscreened: await it in the tool and return its value"
        )
    elif not inspect.isasyncgen(result):
        return
    raise TypeError(f"tool {tool!r} returned a generator: {_GENERATOR_WHY}")


def _is_generator_callable(fn: object) -> bool:
    while isinstance(fn, functools.partial):
        fn = cast("functools.partial[Any]", fn).func
    return inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)


def _is_async_callable(fn: object) -> bool:
    """An ``async def`` function, also behind ``functools.partial`` or as an object's ``async def __call__``."""
    while isinstance(fn, functools.partial):
        fn = cast("functools.partial[Any]", fn).func
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(type(fn), "__call__", None)
    return not inspect.isfunction(fn) and not inspect.ismethod(fn) and inspect.iscoroutinefunction(call)


def guard(
    name: str, session_of: Callable[[], Session], *, approval_timeout: Optional[float] = None
) -> Callable[[Callable[P, R]], GuardedTool[P, R]]:
    def decorate(fn: Callable[P, R]) -> GuardedTool[P, R]:
        return GuardedTool(name, fn, session_of, approval_timeout)

    return decorate
