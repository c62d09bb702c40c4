"""A call's decision as Warden answered it, and the refusal it amounts to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ._json import JsonValue, as_object
from .errors import RateLimited, Refusal, ToolDenied, ToolRefused, WardenUnavailable

__all__ = ["ApprovalRef", "Decision"]


@dataclass(frozen=True)
class ApprovalRef:
    """The approval a call waits for (``status`` "pending"), or the remembered one that let it through."""

    id: str
    status: str
    expires_at: Optional[str]
    digest: Optional[str]


@dataclass(frozen=True)
class Decision:
    """
    What Warden decided for one call. ``decision`` is "allow", "deny" or "pending" (people decide: wait
    with ``session.wait_for_approval``). ``args`` are the arguments as recorded, kept to bind an approval
    to exactly the call that was approved.
    """

    call_id: str
    tool: str
    args: JsonValue
    decision: str
    effect: str
    reason: str
    rule_id: Optional[str]
    mode: str
    code: Optional[str]
    retry_after_ms: Optional[int]
    policy: Optional[str]
    approval: Optional[ApprovalRef]

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @property
    def pending(self) -> bool:
        return self.decision == "pending"

    def refusal(self) -> Refusal:
        return Refusal(call_id=self.call_id, tool=self.tool, rule_id=self.rule_id, reason=self.reason)

    def refusal_error(self) -> ToolRefused:
        """The exception a denied call raises: RateLimited when a limit refused it, else ToolDenied."""
        if self.code == "RATE_LIMITED":
            return RateLimited(self.refusal(), self.retry_after_ms or 0)
        return ToolDenied(self.refusal())


def parse_decision(tool: str, args: JsonValue, answer: object) -> Decision:
    """The decision in a POST /v1/decisions answer; an answer of another shape fails closed."""
    body = as_object(answer)
    if body is None:
        raise WardenUnavailable("Warden's decision answer is not an object")
    decision = body.get("decision")
    call_id = body.get("callId")
    if not isinstance(decision, str) or decision not in ("allow", "deny", "pending") or not isinstance(call_id, str):
        raise WardenUnavailable("Warden's decision answer has no decision this client knows")
    return Decision(
        call_id=call_id,
        tool=tool,
        args=args,
        decision=decision,
        effect=_text(body.get("effect")) or decision,
        reason=_text(body.get("reason")) or "",
        rule_id=_text(body.get("ruleId")),
        mode=_text(body.get("mode")) or "enforce",
        code=_text(body.get("code")),
        retry_after_ms=_retry_after(body.get("retryAfterMs")),
        policy=_text(body.get("policy")),
        approval=_approval(body.get("approval")),
    )


# A wait longer than a day is no rate limit Warden sets: such an answer is not Warden's.
_MAX_RETRY_AFTER_MS = 86_400_000


def _retry_after(value: object) -> Optional[int]:
    """``retryAfterMs`` as whole milliseconds; a value that is no sane wait fails closed."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= _MAX_RETRY_AFTER_MS:
        raise WardenUnavailable("Warden's decision answer has a retryAfterMs that is no wait in milliseconds")
    return int(value)


def _approval(value: object) -> Optional[ApprovalRef]:
    ref = as_object(value)
    approval_id = ref.get("id") if ref is not None else None
    if ref is None or not isinstance(approval_id, str):
        return None
    return ApprovalRef(
        id=approval_id,
        status=_text(ref.get("status")) or "pending",
        expires_at=_text(ref.get("expiresAt")),
        digest=_text(ref.get("digest")),
    )


def _text(value: object) -> Optional[str]:
    return value if isinstance(value, str) else None
