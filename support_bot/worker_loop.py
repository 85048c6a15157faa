"""One asyncio event loop per Celery worker process, shared by every task the process runs.

A reply spends nearly all its time waiting for models (seconds) and little on the CPU
(milliseconds). Run with `async_to_sync`, each task held a pool slot and built a fresh event
loop, and with it a fresh model-client pool, for the whole wait: a prefork worker with four
processes answered four chats at a time. Here tasks hand their coroutine to this loop, so a
`-P threads --concurrency 200` worker answers 200 chats at once over one kept-alive connection
pool, and the process's CPU, not its pool size, is what limits it.

Only inside a worker (support_bot.celery switches it on at `worker_init`): a task called
in-process (tests, eager mode) runs on its own loop with `async_to_sync`, as Django code expects
there.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from asgiref.sync import async_to_sync

T = TypeVar("T")

_lock = threading.Lock()
_enabled = False
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0


def enable(on: bool = True) -> None:
    """support_bot.celery calls this at worker_init; tests, to run as a worker does."""
    global _enabled
    _enabled = on


def shared_loop() -> asyncio.AbstractEventLoop:
    """This process's loop, started on first use; a prefork child starts its own (a loop and
    its thread do not survive fork)."""
    global _loop, _loop_pid
    with _lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="reply-loop", daemon=True)
            thread.start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


def run(coroutine_fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """`coroutine_fn(*args)` to completion: on the shared loop inside a worker, otherwise on a
    loop of its own. Blocks the calling (pool) thread until it is done; raises what it raised."""
    if not _enabled:
        return async_to_sync(coroutine_fn)(*args)
    return asyncio.run_coroutine_threadsafe(coroutine_fn(*args), shared_loop()).result()
