"""A loader's batch runs without a task of its own (``loaders.base._drive``) and still
behaves as one would: it may wait, give the loop a turn, and any failure rejects the
batch's keys instead of leaving them waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from c360.graphql.loaders.base import DbLoader


class _Db:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.uncancelled_waits = False


class _Waiting(DbLoader[int, str]):
    def __init__(self, behaviour: str) -> None:
        super().__init__(_Db())  # type: ignore[arg-type]
        self.behaviour = behaviour
        self.batches: list[list[int]] = []

    async def batch_load_fn(self, keys: list[int]) -> list[str]:
        self.batches.append(list(keys))
        read: asyncio.Future[None] = self.loop.create_future()
        self.loop.call_soon(read.set_result, None)
        await read  # as a read of the database would
        if self.behaviour == "turn":
            await asyncio.sleep(0)
        elif self.behaviour == "odd":
            await _Odd()
        elif self.behaviour == "fail":
            raise RuntimeError("the read failed")
        return [f"row {key}" for key in keys]


class _Odd:
    def __await__(self) -> Any:
        yield "not a future"


@pytest.mark.parametrize("behaviour", ["plain", "turn"])
async def test_the_keys_of_one_tick_are_loaded_in_one_batch(behaviour: str) -> None:
    loader = _Waiting(behaviour)
    assert await asyncio.gather(loader.load(1), loader.load(2), loader.load(1)) == [
        "row 1",
        "row 2",
        "row 1",
    ]
    assert loader.batches == [[1, 2]]


@pytest.mark.parametrize("behaviour", ["fail", "odd"])
async def test_a_failing_batch_rejects_its_keys(behaviour: str) -> None:
    loader = _Waiting(behaviour)
    results = await asyncio.wait_for(
        asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True), timeout=5
    )
    assert all(isinstance(result, RuntimeError) for result in results)
