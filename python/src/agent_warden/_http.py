"""Warden's HTTP API over httpx, sync and async, with error answers raised as the exceptions of errors.py."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Dict, Mapping, Optional
from urllib.parse import urlsplit

import httpx

from ._json import as_object
from .errors import WardenError, WardenUnavailable, error_for

DEFAULT_TIMEOUT = 10.0


class Http:
    """One Warden URL and bearer token; the httpx clients are made on first use and closed by ``close``."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: Optional[httpx.BaseTransport] = None,
        async_transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the Warden url must be http:// or https:// with a host")
        # An HTTP header carries visible ASCII: anything else would fail in the first request, untyped.
        if not token or any(not ("!" <= ch <= "~") for ch in token):
            raise ValueError("the Warden token must be a non-empty string of visible ASCII characters")
        self.base_url = url.rstrip("/")
        self._headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        self._timeout = timeout
        self._transport = transport
        self._async_transport = async_transport
        self._client: Optional[httpx.Client] = None
        # An async client's connections belong to the event loop they were opened on: one client per loop,
        # so that a program running each turn with asyncio.run() (a new loop) does not reuse a dead one.
        self._async_clients: Dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._lock = threading.Lock()

    def _sync_client(self) -> httpx.Client:
        with self._lock:  # threads sharing one session make one client
            if self._client is None:
                self._client = httpx.Client(headers=self._headers, timeout=self._timeout, transport=self._transport)
            return self._client

    def _async_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self._lock:
            # A closed loop's client can be neither used nor closed: it is dropped with its loop.
            for closed in [known for known in self._async_clients if known.is_closed()]:
                del self._async_clients[closed]
            client = self._async_clients.get(loop)
            if client is None:
                client = httpx.AsyncClient(headers=self._headers, timeout=self._timeout, transport=self._async_transport)
                self._async_clients[loop] = client
            return client

    def request(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> object:
        client = self._sync_client()
        try:
            response = client.request(
                method, self.base_url + path, content=_encode(body), headers=_content_type(body), timeout=timeout or self._timeout
            )
        except httpx.HTTPError as err:
            raise _unavailable(err) from None
        return _answer(response)

    async def arequest(
        self, method: str, path: str, body: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None
    ) -> object:
        client = self._async_client()
        try:
            response = await client.request(
                method, self.base_url + path, content=_encode(body), headers=_content_type(body), timeout=timeout or self._timeout
            )
        except httpx.HTTPError as err:
            raise _unavailable(err) from None
        return _answer(response)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        self.close()
        # Only this loop's client can be closed here; another loop's connections go with their loop.
        with self._lock:
            client = self._async_clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def _encode(body: Optional[Mapping[str, Any]]) -> Optional[bytes]:
    # allow_nan=False: a NaN that slipped past the argument check must not become invalid JSON on the wire.
    return None if body is None else json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _content_type(body: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    return {} if body is None else {"content-type": "application/json"}


def _unavailable(err: httpx.HTTPError) -> WardenUnavailable:
    # The exception's class says what failed (refused, timed out); its text may carry the URL, never the token.
    return WardenUnavailable(f"Warden could not be reached ({type(err).__name__})")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _parse(content: bytes) -> object:
    """Strict JSON, or None: no NaN or Infinity (Python's parser takes them), no nesting past the stack."""
    try:
        return json.loads(content, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None


def _answer(response: httpx.Response) -> object:
    if response.status_code == 204:
        return None
    payload = _parse(response.content)
    if response.is_success:
        if payload is None:
            raise WardenUnavailable("Warden answered with something other than JSON", status=response.status_code)
        return payload
    body = as_object(payload)
    error = as_object(body.get("error")) if body is not None else None
    code = error.get("code") if error is not None else None
    if error is None or not isinstance(code, str):
        # A proxy's error page or a crash: nothing Warden decided, so the call cannot go ahead.
        raise WardenUnavailable(f"Warden answered HTTP {response.status_code}", status=response.status_code)
    message = error.get("message")
    issues = error.get("issues")
    err: WardenError = error_for(
        code,
        message if isinstance(message, str) else code,
        response.status_code,
        None if issues is None else {"issues": issues},
    )
    raise err
