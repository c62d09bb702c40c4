"""A standard-library-only client for Warden's HTTP decision service.

    from warden_client import WardenClient, ToolDenied

    warden = WardenClient("http://127.0.0.1:8787", token=os.environ["WARDEN_TOKEN"])
    session = warden.session(agent="support-bot", on_behalf_of="alice@example.com", intent="answer ticket #123")

    @session.audit_agent_tool("send_email")
    def send_email(to: str, subject: str, body: str) -> str:
        ...

    send_email(to="bob@example.com", subject="Hi", body="...", rationale="the user asked for a reply")

Each call asks Warden first; the function runs only when the decision is "allow", and its outcome
is reported afterwards. When the policy asks a person ("pending"), the call waits for the decision
(long-polling GET /v1/calls/{id}). A refused call raises ToolDenied (or RateLimited, ApprovalDenied
with the approver's reason, ApprovalExpired) and the function body never runs. Any failure to reach
Warden raises WardenUnavailable: fail closed.
"""

from __future__ import annotations

import functools
import inspect
import json
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Optional, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class WardenError(Exception):
    """An error answered by Warden, with its stable code."""

    def __init__(self, code: str, message: str, status: int = 0):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = status


class WardenUnavailable(WardenError):
    """Warden could not be reached or did not answer: the tool does not run."""


class ToolDenied(WardenError):
    def __init__(self, decision: dict):
        super().__init__("TOOL_DENIED", f"{decision.get('reason')} (rule {decision.get('ruleId')})")
        self.decision = decision


class RateLimited(ToolDenied):
    def __init__(self, decision: dict):
        super().__init__(decision)
        self.code = "RATE_LIMITED"


class ApprovalDenied(ToolDenied):
    """A person refused the call; `reason` is what they wrote."""

    def __init__(self, decision: dict, reason: Optional[str]):
        super().__init__(decision)
        self.code = "APPROVAL_DENIED"
        self.reason = reason
        self.args = (f"APPROVAL_DENIED: {reason or 'denied by an approver'}",)


class ApprovalExpired(ToolDenied):
    def __init__(self, decision: dict):
        super().__init__(decision)
        self.code = "APPROVAL_EXPIRED"


class WardenClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            try:
                payload = json.loads(err.read() or b"{}").get("error", {})
            except ValueError:
                payload = {}
            raise WardenError(payload.get("code", "HTTP_ERROR"), payload.get("message", str(err)), err.code) from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            raise WardenUnavailable("WARDEN_UNAVAILABLE", str(err)) from None

    def session(self, agent: str, on_behalf_of: str, intent: str, parent: Optional[str] = None) -> "Session":
        body = {"agent": agent, "onBehalfOf": on_behalf_of, "intent": intent}
        if parent:
            body["parent"] = parent
        created = self.request("POST", "/v1/sessions", body)
        return Session(self, created["id"])


class Session:
    def __init__(self, client: WardenClient, session_id: str):
        self.client = client
        self.id = session_id

    def decide(self, tool: str, args: dict, rationale: Optional[str] = None, call_id: Optional[str] = None) -> dict:
        body: dict = {"session": self.id, "tool": tool, "args": args}
        if rationale:
            body["rationale"] = rationale
        if call_id:
            body["callId"] = call_id
        return self.client.request("POST", "/v1/decisions", body)

    def await_approval(self, decision: dict) -> dict:
        """Waits until people decide a pending call; returns the call's state (decision allow, deny or expired)."""
        while True:
            state = self.client.request("GET", f"/v1/calls/{decision['callId']}?wait=30s")
            if state["decision"] != "pending":
                return state

    def outcome(self, call_id: str, ok: bool, duration_ms: float, error_code: Optional[str] = None) -> None:
        body: dict = {"status": "ok" if ok else "error", "durationMs": duration_ms}
        if not ok:
            body["error"] = {"code": error_code or "error"}
        self.client.request("POST", f"/v1/calls/{call_id}/outcome", body)

    def end(self, reason: str = "ended") -> None:
        self.client.request("POST", f"/v1/sessions/{self.id}/end", {"reason": reason})

    def audit_agent_tool(self, tool: Optional[str] = None) -> Callable[[F], F]:
        """Decorator: ask Warden before the function runs; pass `rationale=` to record the model's reason."""

        def wrap(fn: F) -> F:
            name = tool or fn.__name__
            signature = inspect.signature(fn)

            @functools.wraps(fn)
            def guarded(*args: Any, rationale: Optional[str] = None, call_id: Optional[str] = None, **kwargs: Any) -> Any:
                bound = signature.bind(*args, **kwargs)
                decision = self.decide(name, dict(bound.arguments), rationale, call_id)
                if decision["decision"] == "pending":
                    state = self.await_approval(decision)
                    if state["decision"] == "deny":
                        denials = [d for d in state["approval"]["decisions"] if d["decision"] == "deny"]
                        raise ApprovalDenied(decision, denials[0]["reason"] if denials else None)
                    if state["decision"] != "allow":
                        raise ApprovalExpired(decision)
                elif decision["decision"] != "allow":
                    if decision.get("code") == "RATE_LIMITED":
                        raise RateLimited(decision)
                    raise ToolDenied(decision)
                started = time.monotonic()
                try:
                    result = fn(*args, **kwargs)
                except Exception as err:
                    self.outcome(decision["callId"], False, (time.monotonic() - started) * 1000, type(err).__name__)
                    raise
                self.outcome(decision["callId"], True, (time.monotonic() - started) * 1000)
                return result

            return guarded  # type: ignore[return-value]

        return wrap
