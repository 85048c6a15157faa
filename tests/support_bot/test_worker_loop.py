"""Reply tasks in a Celery worker share one event loop per process, so they wait side by side."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from support_bot import worker_loop

TASKS = 20


@pytest.fixture
def in_a_worker() -> Iterator[None]:
    worker_loop.enable(True)
    yield
    worker_loop.enable(False)


async def _loop_of_caller() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_in_a_worker_every_task_runs_on_the_one_shared_loop(in_a_worker: None) -> None:
    loops = {worker_loop.run(_loop_of_caller) for _ in range(3)}
    assert loops == {worker_loop.shared_loop()}
    assert worker_loop.shared_loop().is_running()


def test_tasks_from_many_pool_threads_wait_at_the_same_time(in_a_worker: None) -> None:
    """The pool's threads only block on their futures: all TASKS coroutines are in flight at
    once (each waits until every one has started), which one loop per task never allows."""
    started = 0
    all_in: asyncio.Event | None = None

    async def one() -> int:
        nonlocal started, all_in
        all_in = all_in or asyncio.Event()
        started += 1
        if started == TASKS:
            all_in.set()
        await asyncio.wait_for(all_in.wait(), timeout=10)
        return started

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(worker_loop.run(one))) for _ in range(TASKS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert results == [TASKS] * TASKS


def test_a_task_error_reaches_the_pool_thread(in_a_worker: None) -> None:
    async def fails() -> None:
        raise ConnectionError("redis went away")

    with pytest.raises(ConnectionError, match="redis went away"):
        worker_loop.run(fails)


def test_outside_a_worker_a_task_runs_on_a_loop_of_its_own() -> None:
    assert worker_loop.run(_loop_of_caller) is not worker_loop.shared_loop()
