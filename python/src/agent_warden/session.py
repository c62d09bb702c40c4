"""A session as Python agents hold it: check calls, wait for approvals, record outcomes, guard tools, end it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from contextvars import ContextVar, Token
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Optional, Type, TypeVar, cast

from ._http import Http
from ._ids import fitted_rationale
from ._json import JsonValue, as_list, as_object, canonical, to_json_value
from .decision import Decision, parse_decision
from .errors import (
    ApprovalDenied,
    ApprovalExpired,
    ApprovalMismatch,
    ApprovalWaitCancelled,
    ApprovalWaitTimeout,
    InvalidArgs,
    OutcomeUnrecorded,
    ResultWithheld,
    SessionEnded,
    SessionNotFound,
    ToolDenied,
    WardenError,
    WardenUnavailable,
)

if TYPE_CHECKING:
    from ._tool import GuardedTool, P

R = TypeVar("R")

__all__ = ["Session", "SessionScope", "current_session"]

# Longest single long poll: the service holds GET /v1/calls/{id}?wait= for at most 60 s.
_POLL_SECONDS = 30.0
# With a sync cancel event, the wait looks at it at least this often.
_CANCEL_CHECK_SECONDS = 1.0
# A result larger than this is not sent with its outcome (the body limit is 1 MiB); its call is still recorded.
_MAX_RESULT_BYTES = 256 * 1024

_current: ContextVar[Optional["Session"]] = ContextVar("agent_warden_session", default=None)


def current_session() -> "Session":
    """The session of the innermost ``with``/``async with warden.session(…)`` around this code."""
    session = _current.get()
    if session is None:
        raise SessionNotFound(
            "SESSION_NOT_FOUND", "no Warden session is open here: call the tool inside `with warden.session(...)`"
        )
    return session


class Session:
    """One agent acting for one user with one declared intent; made by ``warden.session(…)``."""

    def __init__(self, http: Http, answer: object) -> None:
        info = as_object(answer)
        session_id = info.get("id") if info is not None else None
        if info is None or not isinstance(session_id, str):
            raise WardenUnavailable("Warden's session answer has no session id")
        self._http = http
        self.id = session_id
        self.agent = str(info.get("agent", ""))
        self.on_behalf_of = str(info.get("onBehalfOf", ""))
        self.intent = str(info.get("intent", ""))
        parent = info.get("parent")
        self.parent: Optional[str] = parent if isinstance(parent, str) else None
        #: user → agent → sub-agent, as Warden records it with every call.
        self.principal: object = info.get("principal")
        self.ended = False

    def __repr__(self) -> str:
        return f"Session(id={self.id!r}, agent={self.agent!r}, on_behalf_of={self.on_behalf_of!r})"

    def tool(self, name: str, *, approval_timeout: Optional[float] = None) -> Callable[[Callable[P, R]], GuardedTool[P, R]]:
        """
        Decorator: every call of the function is decided by Warden and recorded before its body runs.

        >>> @session.tool("send_email")
        ... def send_email(to: str, body: str) -> str: ...
        >>> send_email(to="bob@example.com", body="hi", rationale="the user asked", tool_call_id="call_1")
        """
        from ._tool import guard

        return guard(name, lambda: self, approval_timeout=approval_timeout)

    # Sync API --------------------------------------------------------------------------------------------

    def check(
        self, tool: str, args: object, *, rationale: Optional[str] = None, call_id: Optional[str] = None
    ) -> Decision:
        """Decides and records a call without running anything; follow with ``record_outcome``."""
        recorded = to_json_value(args)
        answer = self._http.request("POST", "/v1/decisions", _decision_body(self.id, tool, recorded, rationale, call_id))
        return parse_decision(tool, recorded, answer)

    def wait_for_approval(
        self,
        decision: Decision,
        *,
        args: object = None,
        timeout: Optional[float] = None,
        cancel: Optional[threading.Event] = None,
    ) -> Decision:
        """
        For a pending ``check()``: waits (long poll) until people decide, and returns the allowed decision.
        Raises ApprovalDenied (with the approver's reason), ApprovalExpired, SessionEnded at once when the
        session ends meanwhile (here or anywhere), ApprovalWaitTimeout after ``timeout`` seconds,
        ApprovalWaitCancelled when ``cancel`` is set, ApprovalMismatch when ``args`` are given and differ
        from the checked ones; a denied decision raises its refusal.
        """
        _bind(decision, args)
        if not decision.pending:
            return _final(decision)
        started = time.monotonic()
        while True:
            if cancel is not None and cancel.is_set():
                raise ApprovalWaitCancelled(decision.refusal(), _approval_id(decision))
            wait = _next_wait(decision, started, timeout, cancel is not None)
            state = self._http.request("GET", _state_path(decision, wait), timeout=wait + 10)
            settled = _settled(decision, state)
            if settled is not None:
                return settled

    def record_outcome(
        self,
        call_id: str,
        *,
        result: object = None,
        error: Optional[BaseException] = None,
        duration_ms: Optional[float] = None,
    ) -> object:
        """
        Records what became of an allowed call the caller ran itself: its result, or the error it raised.
        Returns the result to hand on: Warden's screened copy when ``secrets.results`` masked something in
        it, else ``result`` itself; raises ResultWithheld when Warden withheld it (the tool still ran).
        """
        answer = self._http.request("POST", f"/v1/calls/{call_id}/outcome", _outcome_body(result, error, duration_ms))
        return _handed_on(call_id, result, answer)

    def record_ran(self, call_id: str, started: float, *, result: object = None, error: Optional[BaseException] = None) -> object:
        """
        ``record_outcome`` for a call whose tool already ran (``started`` from ``time.perf_counter()``):
        a failure to record raises OutcomeUnrecorded, which carries the (unscreened) result or the tool's error.
        Returns the result to hand on, or raises ResultWithheld, as ``record_outcome`` does.
        """
        try:
            answer = self._http.request(
                "POST", f"/v1/calls/{call_id}/outcome", _outcome_body(result, error, _since(started))
            )
        except WardenError as failure:
            raise OutcomeUnrecorded(call_id, unscreened_result=result, tool_error=error) from failure
        return _handed_on(call_id, result, answer)

    def end(self, reason: str = "ended") -> None:
        """Ends the session; later calls get SESSION_ENDED."""
        self._http.request("POST", f"/v1/sessions/{self.id}/end", {"reason": reason})
        self.ended = True

    # Async API -------------------------------------------------------------------------------------------

    async def acheck(
        self, tool: str, args: object, *, rationale: Optional[str] = None, call_id: Optional[str] = None
    ) -> Decision:
        recorded = to_json_value(args)
        answer = await self._http.arequest(
            "POST", "/v1/decisions", _decision_body(self.id, tool, recorded, rationale, call_id)
        )
        return parse_decision(tool, recorded, answer)

    async def await_approval(self, decision: Decision, *, args: object = None, timeout: Optional[float] = None) -> Decision:
        """``wait_for_approval`` for async code; cancel it by cancelling its task (the tool then does not run)."""
        _bind(decision, args)
        if not decision.pending:
            return _final(decision)
        started = time.monotonic()
        while True:
            wait = _next_wait(decision, started, timeout, False)
            state = await self._http.arequest("GET", _state_path(decision, wait), timeout=wait + 10)
            settled = _settled(decision, state)
            if settled is not None:
                return settled
            await asyncio.sleep(0)

    async def arecord_outcome(
        self,
        call_id: str,
        *,
        result: object = None,
        error: Optional[BaseException] = None,
        duration_ms: Optional[float] = None,
    ) -> object:
        answer = await self._http.arequest(
            "POST", f"/v1/calls/{call_id}/outcome", _outcome_body(result, error, duration_ms)
        )
        return _handed_on(call_id, result, answer)

    async def arecord_ran(
        self, call_id: str, started: float, *, result: object = None, error: Optional[BaseException] = None
    ) -> object:
        """
        ``record_ran`` for async code. The report runs to its end even when the task is cancelled
        meanwhile (a timeout around the tool, say): the tool ran, so its outcome is recorded, and then the
        cancellation is raised.
        """
        try:
            answer = await _despite_cancellation(
                self._http.arequest("POST", f"/v1/calls/{call_id}/outcome", _outcome_body(result, error, _since(started)))
            )
        except WardenError as failure:
            raise OutcomeUnrecorded(call_id, unscreened_result=result, tool_error=error) from failure
        return _handed_on(call_id, result, answer)

    async def aend(self, reason: str = "ended") -> None:
        await self._http.arequest("POST", f"/v1/sessions/{self.id}/end", {"reason": reason})
        self.ended = True


class SessionScope:
    """
    ``with warden.session(…) as session`` (or ``async with``): opens the session, makes it the current one
    for ``warden.tool``, and ends it on the way out, whether the block finished or raised (a session
    already ended elsewhere, by an operator or a violation, is left as it is).
    """

    def __init__(self, http: Http, body: Dict[str, str]) -> None:
        self._http = http
        self._body = body
        self._session: Optional[Session] = None
        self._token: Optional[Token[Optional[Session]]] = None

    def open(self) -> Session:
        """Opens the session without a ``with`` block; end it yourself with ``session.end()``."""
        return Session(self._http, self._http.request("POST", "/v1/sessions", self._body))

    async def aopen(self) -> Session:
        return Session(self._http, await self._http.arequest("POST", "/v1/sessions", self._body))

    def __enter__(self) -> Session:
        self._session = self.open()
        self._token = _current.set(self._session)
        return self._session

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        session, token = self._session, self._token
        self._session = self._token = None
        try:
            if session is not None and not session.ended:
                _end_quietly_if_raising(session, exc)
        finally:
            if token is not None:
                _current.reset(token)

    async def __aenter__(self) -> Session:
        self._session = await self.aopen()
        self._token = _current.set(self._session)
        return self._session

    async def __aexit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        session, token = self._session, self._token
        self._session = self._token = None
        try:
            if session is not None and not session.ended:
                try:
                    await session.aend()
                except SessionEnded:
                    session.ended = True
                except WardenUnavailable:
                    if exc is None:
                        raise
        finally:
            if token is not None:
                _current.reset(token)


async def _despite_cancellation(work: Awaitable[R]) -> R:
    """Awaits ``work`` to its end; a cancellation of the awaiting task meanwhile is raised after it."""
    task = asyncio.ensure_future(work)
    cancelled: Optional[asyncio.CancelledError] = None
    while not task.done():
        try:
            await asyncio.wait((task,))  # unlike awaiting the task, a cancellation here does not reach it
        except asyncio.CancelledError as err:
            cancelled = err
    if cancelled is not None:
        failure = None if task.cancelled() else task.exception()
        raise cancelled from failure
    return task.result()


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _end_quietly_if_raising(session: Session, exc: Optional[BaseException]) -> None:
    # When the block already failed, its error is the one to see; otherwise a failed end must be noticed.
    try:
        session.end()
    except SessionEnded:
        session.ended = True
    except WardenUnavailable:
        if exc is None:
            raise


def _decision_body(
    session: str, tool: str, args: JsonValue, rationale: Optional[str], call_id: Optional[str]
) -> Dict[str, Any]:
    body: Dict[str, Any] = {"session": session, "tool": tool, "args": args}
    if rationale:
        # The model's text is context, not arguments: a broken character is replaced, and a text longer
        # than Warden takes is cut, rather than the call refused.
        body["rationale"] = fitted_rationale(rationale)
    if call_id:
        body["callId"] = call_id
    return body


def _outcome_body(result: object, error: Optional[BaseException], duration_ms: Optional[float]) -> Dict[str, Any]:
    body: Dict[str, Any] = {"status": "ok" if error is None else "error"}
    if duration_ms is not None:
        body["durationMs"] = max(0.0, duration_ms)
    if error is not None:
        # The error's class name only: its message may hold arguments or secrets.
        body["error"] = {"code": type(error).__name__[:64]}
    elif result is not None:
        sent = _sendable(result)
        if sent is not None:
            body["result"] = sent
        else:
            # Warden cannot screen what it does not see: it says whether the result may still be handed on.
            body["resultUnsent"] = True
    return body


def _handed_on(call_id: str, result: object, answer: object) -> object:
    """What the caller hands on after Warden screened the reported result (fail closed: only on its word)."""
    fields = cast(Dict[str, object], answer) if isinstance(answer, dict) else {}
    status = fields.get("status")
    if status == "withheld":
        error = fields.get("error")
        message = cast(Dict[str, object], error).get("message") if isinstance(error, dict) else None
        raise ResultWithheld(call_id, message if isinstance(message, str) else "the result was withheld")
    if status == "ok":
        return fields["result"] if "result" in fields else result
    if result is None:
        return None
    # A Warden older than result screening answers 204: it recorded the outcome but did not say whether
    # the result may be shown. Neither did an answer of any other shape: the result is not handed on.
    why = (
        "Warden's answer did not say the result may be handed on"
        if isinstance(answer, dict)
        else "this Warden does not screen reported results (upgrade it)"
    )
    raise ResultWithheld(call_id, f"{why}; the result was withheld")


def _sendable(result: object) -> Optional[JsonValue]:
    """The result as JSON when it is plain JSON of a sendable size; Warden keeps only its digest."""
    try:
        value = to_json_value(result)
    except InvalidArgs:  # a result that is not plain JSON is recorded without its digest
        return None
    return value if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) <= _MAX_RESULT_BYTES else None


def _bind(decision: Decision, args: object) -> None:
    """An approval covers exactly the checked call: other arguments are a different call."""
    if args is None:
        return
    if canonical(to_json_value(args)) != canonical(decision.args):
        raise ApprovalMismatch(decision.refusal(), _approval_id(decision))


def _final(decision: Decision) -> Decision:
    if decision.allowed:
        return decision
    raise decision.refusal_error()


def _approval_id(decision: Decision) -> str:
    return decision.approval.id if decision.approval is not None else ""


def _next_wait(decision: Decision, started: float, timeout: Optional[float], cancellable: bool) -> float:
    wait = _POLL_SECONDS
    if cancellable:
        wait = min(wait, _CANCEL_CHECK_SECONDS)
    if timeout is not None:
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise ApprovalWaitTimeout(decision.refusal(), _approval_id(decision), timeout)
        wait = min(wait, remaining)
    return wait


def _state_path(decision: Decision, wait: float) -> str:
    return f"/v1/calls/{decision.call_id}?wait={max(1, int(wait * 1000))}ms"


def _settled(decision: Decision, state: object) -> Optional[Decision]:
    """The allowed decision once people approved; None while pending; raises when they did not approve."""
    body = as_object(state)
    if body is None:
        raise WardenUnavailable("Warden's call state answer is not an object")
    outcome = body.get("decision")
    approval = as_object(body.get("approval")) or {}
    found_id = approval.get("id")
    approval_id = found_id if isinstance(found_id, str) else _approval_id(decision)
    if outcome == "pending":
        return None
    if outcome == "allow":
        return replace(decision, decision="allow")
    if outcome == "deny":
        if body.get("code") == "SESSION_ENDED":
            raise _session_ended(decision, approval_id, approval)
        if body.get("code") == "TOOL_DENIED":
            # Approved, but the policy was reloaded while the call waited and now refuses it.
            why = body.get("reason")
            reason = why if isinstance(why, str) and why else "the policy changed while the call waited"
            raise ToolDenied(replace(decision, reason=reason).refusal())
        # A person's denial; a service too old to send `code` also answers a session's end this way.
        denials = [as_object(d) or {} for d in as_list(approval.get("decisions"))]
        reasons = [d.get("reason") for d in denials if d.get("decision") == "deny"]
        reason = reasons[0] if reasons and isinstance(reasons[0], str) else None
        raise ApprovalDenied(decision.refusal(), approval_id, reason)
    if outcome == "expired":
        raise ApprovalExpired(decision.refusal(), approval_id)
    raise WardenUnavailable("Warden's call state has no decision this client knows")


def _session_ended(decision: Decision, approval_id: str, approval: Dict[str, Any]) -> SessionEnded:
    """The session ended while the call waited: its approval is closed, with the session's end as its reason."""
    closed = as_object(approval.get("closed")) or {}
    reason = closed.get("reason")
    why = reason if isinstance(reason, str) and reason else "session ended"
    return SessionEnded(
        "SESSION_ENDED",
        f'tool "{decision.tool}" did not run: {why}',
        details={"callId": decision.call_id, "tool": decision.tool, "ruleId": decision.rule_id, "approvalId": approval_id},
    )
