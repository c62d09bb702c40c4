"""Exceptions with the stable codes of Warden's API: callers branch on ``code``, never on message text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Type

__all__ = [
    "AgentUnknown",
    "ApprovalDenied",
    "ApprovalExpired",
    "ApprovalMismatch",
    "ApprovalWaitCancelled",
    "ApprovalWaitTimeout",
    "CallIdConflict",
    "Forbidden",
    "InvalidArgs",
    "InvalidRequest",
    "LedgerUnavailable",
    "OutcomeUnrecorded",
    "RateLimited",
    "Refusal",
    "ResultWithheld",
    "SessionEnded",
    "SessionNotFound",
    "ToolDenied",
    "ToolRefused",
    "Unauthenticated",
    "WardenError",
    "WardenUnavailable",
    "error_for",
]


class WardenError(Exception):
    """Base of every error this package raises on purpose. ``status`` is the HTTP status, when there was one."""

    code: str
    status: Optional[int]
    details: Dict[str, Any]

    def __init__(
        self, code: str, message: str, *, status: Optional[int] = None, details: Optional[Mapping[str, Any]] = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = dict(details or {})

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class WardenUnavailable(WardenError):
    """Warden could not be reached or gave no usable answer: fail closed, the tool did not run."""

    def __init__(self, message: str, *, status: Optional[int] = None) -> None:
        super().__init__("WARDEN_UNAVAILABLE", message, status=status)


@dataclass(frozen=True)
class Refusal:
    """The decision a refused call carried: which call, which tool, the rule and its reason."""

    call_id: str
    tool: str
    rule_id: Optional[str]
    reason: str


class ToolRefused(WardenError):
    """A call Warden refused before the tool ran; ``refusal`` says which rule and why."""

    refusal: Refusal

    def __init__(self, code: str, message: str, refusal: Refusal, **details: Any) -> None:
        super().__init__(
            code,
            message,
            details={"callId": refusal.call_id, "tool": refusal.tool, "ruleId": refusal.rule_id, **details},
        )
        self.refusal = refusal


class ToolDenied(ToolRefused):
    """The policy said deny (or the tool is outside the agent's job description)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__("TOOL_DENIED", f'tool "{refusal.tool}" denied: {refusal.reason}', refusal)


class RateLimited(ToolRefused):
    """A rate limit of the policy ran dry; ``retry_after_ms`` says when a call may pass again."""

    def __init__(self, refusal: Refusal, retry_after_ms: int) -> None:
        super().__init__(
            "RATE_LIMITED",
            f'tool "{refusal.tool}" rate limited: {refusal.reason}',
            refusal,
            retryAfterMs=retry_after_ms,
        )
        self.retry_after_ms = retry_after_ms


class ApprovalDenied(ToolRefused):
    """An approver refused the call; ``approver_reason`` is their text, meant for the agent."""

    def __init__(self, refusal: Refusal, approval_id: str, approver_reason: Optional[str]) -> None:
        said = f": {approver_reason}" if approver_reason else ""
        super().__init__(
            "APPROVAL_DENIED",
            f'tool "{refusal.tool}" was denied by an approver{said}',
            refusal,
            approvalId=approval_id,
            approverReason=approver_reason,
        )
        self.approval_id = approval_id
        self.approver_reason = approver_reason


class ApprovalExpired(ToolRefused):
    """Nobody approved the call before its deadline; it did not run."""

    def __init__(self, refusal: Refusal, approval_id: str) -> None:
        super().__init__(
            "APPROVAL_EXPIRED", f'tool "{refusal.tool}" was not approved in time', refusal, approvalId=approval_id
        )
        self.approval_id = approval_id


class ApprovalMismatch(ToolRefused):
    """The call to run differs from the one that was approved; it did not run."""

    def __init__(self, refusal: Refusal, approval_id: str) -> None:
        super().__init__(
            "APPROVAL_MISMATCH",
            f'tool "{refusal.tool}" was approved with other arguments than these',
            refusal,
            approvalId=approval_id,
        )
        self.approval_id = approval_id


class ApprovalWaitTimeout(ToolRefused):
    """This process stopped waiting for people to decide (its own timeout); the approval may still be open."""

    def __init__(self, refusal: Refusal, approval_id: str, waited_seconds: float) -> None:
        super().__init__(
            "APPROVAL_WAIT_TIMEOUT",
            f'tool "{refusal.tool}" still awaits approval after {waited_seconds:g} s; it did not run',
            refusal,
            approvalId=approval_id,
        )
        self.approval_id = approval_id


class ApprovalWaitCancelled(ToolRefused):
    """The wait for an approval was cancelled (a sync ``cancel`` event was set); the tool did not run."""

    def __init__(self, refusal: Refusal, approval_id: str) -> None:
        super().__init__(
            "APPROVAL_WAIT_CANCELLED",
            f'the wait for approval of tool "{refusal.tool}" was cancelled; it did not run',
            refusal,
            approvalId=approval_id,
        )
        self.approval_id = approval_id


class OutcomeUnrecorded(WardenError):
    """
    The tool ran, but Warden could not record its outcome. Unlike a refusal (nothing ran), do not retry:
    ``unscreened_result`` is what the tool returned, or ``tool_error`` what it raised; ``__cause__`` is the
    failure. Warden did not screen that result (``secrets.results``): it may hold a credential, so it is
    for the program's own handling, never for the model.
    """

    def __init__(
        self, call_id: str, *, unscreened_result: object = None, tool_error: Optional[BaseException] = None
    ) -> None:
        super().__init__(
            "OUTCOME_UNRECORDED",
            f"the tool ran, but the outcome of call {call_id} could not be recorded",
            details={"callId": call_id},
        )
        self.unscreened_result = unscreened_result
        self.tool_error = tool_error


class ResultWithheld(WardenError):
    """
    The tool ran, and Warden withheld its result: under ``secrets.results: block`` it held a credential or
    a secret the session was given, or it could not be screened (not plain JSON, too large to send) while
    the session holds a secret. Hand nothing of it on; the outcome is recorded as RESULT_WITHHELD.
    """

    def __init__(self, call_id: str, message: str) -> None:
        super().__init__("RESULT_WITHHELD", message, details={"callId": call_id})
        self.call_id = call_id


class InvalidArgs(WardenError):
    """Arguments that are not plain JSON (a set, a tuple, NaN, a cycle, …); nothing was sent, nothing ran."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__("INVALID_ARGS", f"invalid tool arguments at {path}: {message}", details={"path": path})
        self.path = path


class InvalidRequest(WardenError):
    """Warden refused the request's shape (INVALID_REQUEST, PAYLOAD_TOO_LARGE)."""


class Unauthenticated(WardenError):
    """The token is unknown or revoked."""


class Forbidden(WardenError):
    """The token's role or agent may not do this."""


class SessionEnded(WardenError):
    """
    The session has ended; it runs no more calls. A call waiting for its approval when the session ended
    (here or in any other process) raises it at once, ``details`` naming the call, tool, rule and approval.
    """


class SessionNotFound(WardenError):
    """No such session, or no session open in this context for ``warden.tool``."""


class CallIdConflict(WardenError):
    """This tool-call id was already used for another call."""


class AgentUnknown(WardenError):
    """The agent is not in the policy's agents registry."""


class LedgerUnavailable(WardenError):
    """Warden could not make the record durable; the call did not run."""


_BY_CODE: Dict[str, Type[WardenError]] = {
    "INVALID_REQUEST": InvalidRequest,
    "PAYLOAD_TOO_LARGE": InvalidRequest,
    "UNAUTHENTICATED": Unauthenticated,
    "FORBIDDEN": Forbidden,
    "SESSION_ENDED": SessionEnded,
    "SESSION_NOT_FOUND": SessionNotFound,
    "CALL_ID_CONFLICT": CallIdConflict,
    "AGENT_UNKNOWN": AgentUnknown,
    "LEDGER_UNAVAILABLE": LedgerUnavailable,
}


def error_for(code: str, message: str, status: Optional[int], details: Optional[Mapping[str, Any]] = None) -> WardenError:
    """The exception for an error answer of the API: its class by code, WardenError for codes it does not know."""
    cls = _BY_CODE.get(code, WardenError)
    return cls(code, message, status=status, details=details)
