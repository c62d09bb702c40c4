"""agent-warden: every tool call of a Python agent decided, approved when needed, and recorded by Warden."""

from ._ids import rationale_of, warden_call_id
from ._tool import GuardedTool
from .decision import ApprovalRef, Decision
from .errors import (
    AgentUnknown,
    ApprovalDenied,
    ApprovalExpired,
    ApprovalMismatch,
    ApprovalWaitCancelled,
    ApprovalWaitTimeout,
    CallIdConflict,
    Forbidden,
    InvalidArgs,
    InvalidRequest,
    LedgerUnavailable,
    OutcomeUnrecorded,
    RateLimited,
    Refusal,
    SessionEnded,
    SessionNotFound,
    ToolDenied,
    ToolRefused,
    Unauthenticated,
    WardenError,
    WardenUnavailable,
)
from .session import Session, SessionScope, current_session
from .warden import Warden, tool

__all__ = [
    "AgentUnknown",
    "ApprovalDenied",
    "ApprovalExpired",
    "ApprovalMismatch",
    "ApprovalRef",
    "ApprovalWaitCancelled",
    "ApprovalWaitTimeout",
    "CallIdConflict",
    "Decision",
    "Forbidden",
    "GuardedTool",
    "InvalidArgs",
    "InvalidRequest",
    "LedgerUnavailable",
    "OutcomeUnrecorded",
    "RateLimited",
    "Refusal",
    "Session",
    "SessionEnded",
    "SessionNotFound",
    "SessionScope",
    "ToolDenied",
    "ToolRefused",
    "Unauthenticated",
    "Warden",
    "WardenError",
    "WardenUnavailable",
    "current_session",
    "rationale_of",
    "tool",
    "warden_call_id",
]
