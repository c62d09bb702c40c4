"""The entry point: a Warden service's URL and an agent token, sessions opened on it, tools guarded by it."""

from __future__ import annotations

from types import TracebackType
from typing import Callable, Dict, Literal, Optional, Type, TypeVar

import httpx

from ._http import DEFAULT_TIMEOUT, Http
from ._tool import GuardedTool, P, guard
from .decision import ApprovalRef
from .session import SessionScope, current_session

R = TypeVar("R")

__all__ = ["Warden", "tool"]


class Warden:
    """
    A client of ``warden start``'s HTTP API with an agent token (``warden token create --role agent``).

    >>> warden = Warden("http://127.0.0.1:8787", token)
    >>> with warden.session(agent="support-bot", on_behalf_of="alice@example.com", intent="ticket #123") as s:
    ...     ...
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: Optional[httpx.BaseTransport] = None,
        async_transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        self._http = Http(url, token, timeout=timeout, transport=transport, async_transport=async_transport)

    @property
    def url(self) -> str:
        return self._http.base_url

    def session(
        self, *, agent: str, on_behalf_of: str, intent: str, parent: Optional[str] = None
    ) -> SessionScope:
        """
        A session for ``with`` or ``async with`` (ended on the way out), or ``.open()`` / ``await .aopen()``
        to hold it yourself. ``parent`` is the id of the session that delegated to this one.
        """
        body: Dict[str, str] = {"agent": agent, "onBehalfOf": on_behalf_of, "intent": intent}
        if parent is not None:
            body["parent"] = parent
        return SessionScope(self._http, body)

    def tool(self, name: str, *, approval_timeout: Optional[float] = None) -> Callable[[Callable[P, R]], GuardedTool[P, R]]:
        """Like ``session.tool``, for the session open around each call (``with warden.session(…)``)."""
        return tool(name, approval_timeout=approval_timeout)

    def decide(
        self, approval: ApprovalRef, decision: Literal["approve", "deny"], *, reason: Optional[str] = None
    ) -> None:
        """
        Approves or denies a pending approval as this client's token (an approver or admin token with a
        name: the ledger records that person). Bound to the digest the approval showed: a call that
        changed since is refused with APPROVAL_MISMATCH.
        """
        self._http.request("POST", f"/v1/approvals/{approval.id}/decision", _decision_of(approval, decision, reason))

    async def adecide(
        self, approval: ApprovalRef, decision: Literal["approve", "deny"], *, reason: Optional[str] = None
    ) -> None:
        await self._http.arequest(
            "POST", f"/v1/approvals/{approval.id}/decision", _decision_of(approval, decision, reason)
        )

    def close(self) -> None:
        self._http.close()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __enter__(self) -> "Warden":
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    async def __aenter__(self) -> "Warden":
        return self

    async def __aexit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        await self.aclose()


def _decision_of(approval: ApprovalRef, decision: str, reason: Optional[str]) -> Dict[str, str]:
    body = {"decision": decision}
    if approval.digest is not None:
        body["digest"] = approval.digest
    if reason is not None:
        body["reason"] = reason
    return body


def tool(name: str, *, approval_timeout: Optional[float] = None) -> Callable[[Callable[P, R]], GuardedTool[P, R]]:
    """
    Decorator for a tool that runs in whatever session is open around its call; with none open it raises
    SessionNotFound and the body does not run.

    >>> @tool("read_ticket")
    ... def read_ticket(id: int) -> str: ...
    """
    return guard(name, current_session, approval_timeout=approval_timeout)
