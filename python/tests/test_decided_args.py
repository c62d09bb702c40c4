"""The guarded function receives exactly the arguments Warden decided on, as plain values."""

from __future__ import annotations

import asyncio
import enum
import functools
import json
from typing import Any, AsyncIterator, Coroutine, Dict, Iterator, List

import httpx
import pytest

from agent_warden import InvalidArgs, Warden, tool
from agent_warden.adapters.plain import arun_tool_call, run_tool_call

from .service import AGENT


class Sneaky(str):
    """A string that shows one text and holds another."""

    def __str__(self) -> str:
        return "ls"


def _warden(on_decision: Any, seen: List[Dict[str, Any]]) -> httpx.MockTransport:
    """Allows every call; runs ``on_decision`` while the decision is on its way (as another thread could)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/sessions":
            return httpx.Response(201, json={"id": "ses_t", "agent": AGENT})
        if request.url.path == "/v1/decisions":
            seen.append(json.loads(request.content))
            on_decision()
            body = {"callId": "call_t", "decision": "allow", "effect": "allow", "reason": "ok", "ruleId": "r"}
            return httpx.Response(200, json=body)
        if request.url.path.endswith("/outcome"):
            seen.append({"outcome": json.loads(request.content)})
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(204)

    return httpx.MockTransport(answer)


def test_a_dict_changed_after_the_check_does_not_reach_the_function() -> None:
    payment = {"to": "alice", "amount": 10}
    received: List[Any] = []
    seen: List[Dict[str, Any]] = []
    change = lambda: payment.update(to="mallory", amount=10_000)  # noqa: E731
    with Warden("http://warden.test", "wdn_test", transport=_warden(change, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()

        @session.tool("pay")
        def pay(payment: Dict[str, Any], note: str = "", *, urgent: bool = False) -> str:
            received.append((payment, note, urgent))
            return "ok"

        pay(payment, "rent", urgent=True)
    assert seen[0]["args"] == {"payment": {"to": "alice", "amount": 10}, "note": "rent", "urgent": True}
    assert received == [({"to": "alice", "amount": 10}, "rent", True)]


def test_a_str_subclass_reaches_the_function_as_the_plain_text_that_was_decided() -> None:
    received: List[Any] = []
    seen: List[Dict[str, Any]] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden(lambda: None, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()

        @session.tool("run")
        def run(command: str, *extra: str, **env: str) -> str:
            received.append((command, extra, env))
            return "ok"

        run(Sneaky("rm -rf /"), Sneaky("-v"), HOME=Sneaky("/root"))
    decided = seen[0]["args"]
    command, extra, env = received[0]
    assert type(command) is str and [command, *extra] == [decided["command"], *decided["extra"]]
    assert all(type(x) is str for x in extra) and env == {"HOME": decided["HOME"]}
    assert type(env["HOME"]) is str


def test_async_callables_that_are_not_async_def_are_awaited() -> None:
    async def lookup(id: int, *, scale: int) -> int:
        return id * scale

    class Lookup:
        async def __call__(self, id: int) -> int:
            return id + 1

    async def main() -> List[Any]:
        seen: List[Dict[str, Any]] = []
        async with Warden("http://warden.test", "wdn_test", async_transport=_async(seen)) as warden:
            session = await warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").aopen()
            partial_tool = session.tool("lookup")(functools.partial(lookup, scale=3))
            object_tool = session.tool("lookup")(Lookup())
            return [await partial_tool(id=2), await object_tool(2)]

    assert asyncio.run(main()) == [6, 3]


def test_a_sync_looking_callable_that_returns_a_coroutine_is_refused_and_recorded_as_an_error() -> None:
    async def hidden(id: int) -> int:
        return id

    seen: List[Dict[str, Any]] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden(lambda: None, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()
        def looks_sync(id: int) -> "Coroutine[Any, Any, int]":
            return hidden(id)

        tool = session.tool("lookup")(looks_sync)
        with pytest.raises(TypeError, match="declare it async def"):
            _ = tool(id=1)
    assert seen[-1]["outcome"]["status"] == "error"
    assert seen[-1]["outcome"]["error"] == {"code": "TypeError"}


def test_a_keyword_named_like_another_parameter_is_refused_before_anything_is_sent() -> None:
    ran: List[Any] = []
    seen: List[Dict[str, Any]] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden(lambda: None, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()

        @session.tool("send")
        def send(to: str, /, **options: Any) -> str:
            ran.append((to, options))
            return "ok"

        @session.tool("run")
        def run(*argv: str, **env: str) -> str:
            ran.append((argv, env))
            return "ok"

        @session.tool("configure")
        def configure(**settings: Any) -> str:
            ran.append(settings)
            return "ok"

        # Legal Python, but recorded by name the model's keyword would take the caller's argument's place
        # (or, for **settings itself, be recorded and never reach the function).
        model_says: Any = {"to": "mallory@evil.test"}
        argv: Any = {"argv": ["rm", "-rf", "/"]}
        settings: Any = {"settings": 1}
        for call, path in [
            (lambda: send("bob@example.com", **model_says), "$.to"),
            (lambda: run("ls", **argv), "$.argv"),
            (lambda: configure(**settings), "$.settings"),
        ]:
            with pytest.raises(InvalidArgs) as refused:
                call()
            assert refused.value.path == path
        assert ran == [] and seen == []
        send("bob@example.com", subject="hi")
    assert ran == [("bob@example.com", {"subject": "hi"})]


def _async(seen: List[Dict[str, Any]], on_decision: Any = lambda: None) -> httpx.AsyncBaseTransport:
    sync = _warden(on_decision, seen)

    class Transport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await request.aread()
            return sync.handle_request(request)

    return Transport()


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Small(int):
    """An int that says it is small whatever it holds."""

    def __abs__(self) -> int:
        return 0


class Finite(float):
    """A float that holds 1.0 and converts to NaN."""

    def __float__(self) -> float:
        return float("nan")


class Shown(dict):  # type: ignore[type-arg]
    """A dict whose items() shows other members than it holds."""

    def items(self) -> Any:
        return [("to", "alice")]


class PretendsToBeADict:
    __class__ = dict  # type: ignore[assignment]


def test_subclasses_of_json_types_are_recorded_as_the_value_they_hold() -> None:
    received: List[Any] = []
    seen: List[Dict[str, Any]] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden(lambda: None, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()

        @session.tool("pay")
        def pay(color: str, level: int, amount: float, payment: Dict[str, Any]) -> str:
            received.append((color, level, amount, payment))
            return "ok"

        pay(Color.RED, Level.HIGH, Finite(1.0), Shown(to="mallory"))
    # What json.dumps writes and what the function receives: the held values, as plain types.
    assert seen[0]["args"] == {"color": "red", "level": 3, "amount": 1.0, "payment": {"to": "mallory"}}
    assert received == [("red", 3, 1.0, {"to": "mallory"})]
    assert [type(x) for x in received[0]] == [str, int, float, dict]


def test_a_subclass_cannot_slip_a_value_past_the_json_bounds() -> None:
    ran: List[Any] = []
    seen: List[Dict[str, Any]] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden(lambda: None, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()

        @session.tool("pay")
        def pay(amount: object) -> str:
            ran.append(amount)
            return "ok"

        # 2**53+1 is recorded by Warden (IEEE doubles) as 2**53: the ledger would not hold what ran.
        for bad, path in [(Small(2**53 + 1), "$.amount"), ([PretendsToBeADict()], "$.amount[0]")]:
            with pytest.raises(InvalidArgs) as refused:
                pay(bad)
            assert refused.value.path == path
    assert ran == [] and seen == []


def test_a_generator_tool_is_refused_and_a_returned_generator_never_runs() -> None:
    def numbers() -> Iterator[str]:
        yield "secret"

    async def more() -> AsyncIterator[str]:
        yield "secret"

    with pytest.raises(TypeError, match="generator function"):
        tool("numbers")(numbers)
    with pytest.raises(TypeError, match="generator function"):
        tool("more")(functools.partial(more))

    started: List[str] = []

    def lazy(ran: List[str]) -> Iterator[str]:
        ran.append("the body ran")
        yield "secret"

    seen: List[Dict[str, Any]] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden(lambda: None, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()

        @session.tool("lazy")
        def hides_a_generator() -> Iterator[str]:
            return lazy(started)

        with pytest.raises(TypeError, match="returned a generator"):
            hides_a_generator()
        with pytest.raises(TypeError, match="returned a generator"):
            run_tool_call(session, "lazy", "{}", lambda: lazy(started), call_id="call_1")
    assert started == []
    assert [(s["outcome"]["status"], s["outcome"]["error"]) for s in seen if "outcome" in s] == [
        ("error", {"code": "TypeError"})
    ] * 2


def test_an_async_tool_that_returns_an_async_generator_is_refused() -> None:
    started: List[str] = []

    async def lazy() -> AsyncIterator[str]:
        started.append("the body ran")
        yield "secret"

    async def hides_one() -> AsyncIterator[str]:
        return lazy()

    async def main() -> List[Dict[str, Any]]:
        seen: List[Dict[str, Any]] = []
        async with Warden("http://warden.test", "wdn_test", async_transport=_async(seen)) as warden:
            session = await warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").aopen()
            with pytest.raises(TypeError, match="returned a generator"):
                await session.tool("lazy")(hides_one)()
            with pytest.raises(TypeError, match="returned a generator"):
                await arun_tool_call(session, "lazy", "{}", hides_one)
        return seen

    outcomes = [(s["outcome"]["status"], s["outcome"]["error"]) for s in asyncio.run(main()) if "outcome" in s]
    assert outcomes == [("error", {"code": "TypeError"})] * 2
    assert started == []


def test_a_coroutine_a_tool_returns_unawaited_is_refused_and_never_runs() -> None:
    started: List[str] = []

    async def send() -> str:
        started.append("the body ran")
        return "sent"

    async def hides_one() -> "Coroutine[Any, Any, str]":
        return send()

    def looks_sync() -> "Coroutine[Any, Any, str]":
        return send()

    async def main() -> List[Dict[str, Any]]:
        seen: List[Dict[str, Any]] = []
        async with Warden("http://warden.test", "wdn_test", async_transport=_async(seen)) as warden:
            session = await warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").aopen()
            with pytest.raises(TypeError, match="returned an awaitable"):
                await session.tool("send")(hides_one)()
            with pytest.raises(TypeError, match="returned an awaitable"):
                await arun_tool_call(session, "send", "{}", hides_one)
        return seen

    outcomes = [(s["outcome"]["status"], s["outcome"]["error"]) for s in asyncio.run(main()) if "outcome" in s]
    seen: List[Dict[str, Any]] = []
    with Warden("http://warden.test", "wdn_test", transport=_warden(lambda: None, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()
        with pytest.raises(TypeError, match="arun_tool_call"):
            run_tool_call(session, "send", "{}", looks_sync)
    outcomes += [(s["outcome"]["status"], s["outcome"]["error"]) for s in seen if "outcome" in s]
    assert outcomes == [("error", {"code": "TypeError"})] * 3
    assert started == []


def test_run_tool_call_runs_the_function_with_the_arguments_that_were_decided() -> None:
    recipients = ["alice@example.com"]
    arguments = {"to": recipients, "amount": Small(5)}
    received: List[Any] = []
    seen: List[Dict[str, Any]] = []

    def send(to: List[str], amount: int) -> str:
        received.append((to, amount, type(amount)))
        return "sent"

    change = lambda: recipients.append("mallory@example.com")  # noqa: E731
    with Warden("http://warden.test", "wdn_test", transport=_warden(change, seen)) as warden:
        session = warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").open()
        assert run_tool_call(session, "send", arguments, send, call_id="call_1").ok

        async def main() -> None:
            async with Warden("http://warden.test", "wdn_test", async_transport=_async(seen, change)) as other:
                own = await other.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").aopen()
                recipients[:] = ["alice@example.com"]
                assert (await arun_tool_call(own, "send", {"to": recipients, "amount": 5}, send)).ok

        asyncio.run(main())
    assert seen[0]["args"] == {"to": ["alice@example.com"], "amount": 5}
    assert received[0] == (["alice@example.com"], 5, int)
    assert received[1] == (["alice@example.com"], 5, int)


def test_a_tool_that_ran_has_its_outcome_recorded_when_its_task_is_cancelled_meanwhile() -> None:
    seen: List[Dict[str, Any]] = []
    sync = _warden(lambda: None, seen)

    class SlowOutcome(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await request.aread()
            if request.url.path.endswith("/outcome"):
                await asyncio.sleep(0.2)  # the timeout below strikes while the outcome is on its way
            return sync.handle_request(request)

    async def main() -> None:
        async with Warden("http://warden.test", "wdn_test", async_transport=SlowOutcome()) as warden:
            session = await warden.session(agent=AGENT, on_behalf_of="u@example.com", intent="t").aopen()

            async def pay(amount: int) -> str:
                await asyncio.sleep(0.05)
                return "paid"

            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(session.tool("pay")(pay)(10), 0.1)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(arun_tool_call(session, "pay", {"amount": 10}, pay), 0.1)

    asyncio.run(main())
    assert [s["outcome"]["result"] for s in seen if "outcome" in s] == ["paid", "paid"]
