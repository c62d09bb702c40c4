"""What a refused call tells the model, so an agent loop can go on instead of crashing."""

from __future__ import annotations

from .errors import RateLimited, ResultWithheld, ToolRefused, WardenError, WardenUnavailable

_HINTS = {
    "TOOL_DENIED": "Do not retry this call; use another tool or tell the user it is not permitted.",
    "APPROVAL_DENIED": "A person reviewed this call and refused it; do not retry it, tell the user why.",
    "APPROVAL_EXPIRED": "Nobody approved it in time; tell the user it is waiting for a human decision.",
    "APPROVAL_WAIT_TIMEOUT": "Nobody approved it yet; tell the user it is waiting for a human decision.",
    "APPROVAL_MISMATCH": "The call changed after it was approved; ask again with the arguments you mean.",
    "SESSION_ENDED": "The session ended; no further calls will run in it.",
    "LEDGER_UNAVAILABLE": "Warden could not record the call; try again later.",
    "WARDEN_UNAVAILABLE": "Warden could not be reached; try again later.",
}

# Refusals that come after the tool ran: the model must not read "the tool did not run".
_AFTER_RUN = {
    "RESULT_WITHHELD": "The tool ran, but its result is not shown.",
}


def is_refusal(err: WardenError) -> bool:
    """
    Whether the model should read ``err`` as a refused call rather than the agent crashing on it:
    refusals, an unreachable Warden, the session's end, and a result Warden withheld (the tool ran), as
    in the TypeScript adapters. Anything else (a bad token, a bad request) is a bug and is raised.
    """
    return isinstance(err, (ToolRefused, WardenUnavailable, ResultWithheld)) or err.code in (
        "LEDGER_UNAVAILABLE",
        "INVALID_ARGS",
        "SESSION_ENDED",
    )


def denial_text(err: WardenError) -> str:
    """
    Readable text for the model: what was refused, why, and what it can do instead (the same text as
    the TypeScript adapters' ``denialText``).
    """
    hint = _HINTS.get(err.code, "")
    if isinstance(err, RateLimited):
        hint = f"Wait {-(-err.retry_after_ms // 1000)} s before trying again."
    what = err.message.rstrip(". \n\t")
    ran = _AFTER_RUN.get(err.code, "The tool did not run.")
    return f"Warden refused this tool call ({err.code}): {what}. {ran} {hint}".strip()
