"""How the direct executor waits for many resolvers at once (``compiled.execute._all``):
like ``asyncio.gather``, but without a task per resolver, stopping at the first error
and never cancelling the (shared) futures the resolvers wait for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from c360.graphql.compiled.execute import Unanswerable, _all


async def test_results_come_back_in_order_whether_a_resolver_waited_or_not() -> None:
    loop = asyncio.get_running_loop()
    later: asyncio.Future[str] = loop.create_future()

    async def at_once() -> str:
        return "now"

    async def waits() -> str:
        return "then " + await later

    async def waits_twice() -> str:
        first = await later
        second: asyncio.Future[str] = loop.create_future()
        loop.call_soon(second.set_result, "again")
        return f"{first} {await second}"

    loop.call_soon(later.set_result, "ok")
    done: asyncio.Future[str] = loop.create_future()
    done.set_result("done")
    answers = await _all([waits(), at_once(), waits_twice(), done], loop)
    assert answers == ["then ok", "now", "ok again", "done"]


async def test_waiting_resolvers_get_no_task_of_their_own() -> None:
    loop = asyncio.get_running_loop()
    shared: asyncio.Future[int] = loop.create_future()
    seen: list[asyncio.Task[Any] | None] = []
    request = asyncio.current_task()

    async def field(n: int) -> int:
        value = await shared
        seen.append(asyncio.current_task())
        return value + n

    loop.call_soon(shared.set_result, 10)
    assert await _all([field(n) for n in range(50)], loop) == [10 + n for n in range(50)]
    # They ran on in the future's callback, not in tasks (the request's own task is
    # the only one, and it was waiting meanwhile).
    assert all(task in (None, request) for task in seen)


async def test_the_first_error_stops_the_rest_and_leaves_the_shared_future_alone() -> None:
    loop = asyncio.get_running_loop()
    shared: asyncio.Future[int] = loop.create_future()
    failing: asyncio.Future[int] = loop.create_future()
    finished: list[str] = []
    closed: list[str] = []

    async def field(name: str, future: asyncio.Future[int]) -> int:
        try:
            value = await future
        except GeneratorExit:
            closed.append(name)
            raise
        finished.append(name)
        return value

    async def broken() -> int:
        await failing
        raise RuntimeError("section failed")

    loop.call_soon(failing.set_result, 0)
    with pytest.raises(RuntimeError, match="section failed"):
        await _all([field("a", shared), broken(), field("b", shared)], loop)
    assert closed == ["a", "b"] and finished == []
    # Another part of the request may still wait for the same loader key.
    assert not shared.cancelled()
    shared.set_result(1)


async def test_a_resolver_may_give_the_loop_a_turn_or_be_refused_for_a_bad_yield() -> None:
    loop = asyncio.get_running_loop()

    async def sleeps() -> int:
        await asyncio.sleep(0)
        return 1

    class Odd:
        def __await__(self) -> Any:
            yield "not a future"

    async def yields_oddly() -> None:
        await Odd()

    assert await _all([sleeps(), sleeps()], loop) == [1, 1]
    with pytest.raises(Unanswerable):
        await _all([yields_oddly()], loop)


async def test_cancelling_the_request_closes_the_waiting_resolvers() -> None:
    loop = asyncio.get_running_loop()
    never: asyncio.Future[int] = loop.create_future()
    closed: list[bool] = []

    async def field() -> int:
        try:
            return await never
        except GeneratorExit:
            closed.append(True)
            raise

    request = loop.create_task(_all([field(), field()], loop))
    await asyncio.sleep(0)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert closed == [True, True]
    assert not never.cancelled()
