"""Independent statements run side by side on the machine's cores.

A small package's statements are a few milliseconds each, mostly DuckDB planning them, and
a small package's connection runs each on one thread (``engine.is_small``): its tables load,
its checks run and its rules query one after another on one core. DuckDB plans and runs a
statement without the GIL, so :func:`side_by_side` gives each extra worker thread a
connection of its own to the same in-memory database (a cursor) and shares the work out:
the tables are loaded, the checks asked and the rules run on every core. A large package's
checks are shared out the same way (each is one statement); its loads are not.

Results come back in the order of the items, whatever thread ran them, so findings and
their order do not depend on the workers. The calling thread is a worker too, on the
connection itself: with one worker, everything runs as it would without this module.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from semicon.schemas.interrupts import interrupts_held, is_interrupt

I = TypeVar("I")  # noqa: E741
S = TypeVar("S")
T = TypeVar("T")

#: workers at most, whatever the number of cores
MAX_WORKERS = 4
#: statements a connection's session must run first: settings DuckDB keeps per connection
SESSION_SQL = "SET TimeZone = 'UTC'"  # a datetime without a zone is read as UTC


def workers(*, small: bool) -> int:
    """How many workers validation uses: :func:`cores` for a small package, one for a
    large one (a load's statement already uses every core, and loads side by side would
    add up in memory)."""
    return cores() if small else 1


def cores() -> int:
    """The usable cores, at most :data:`MAX_WORKERS` and ``SEMICON_VALIDATE_THREADS``."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1
    value = os.environ.get("SEMICON_VALIDATE_THREADS", "")
    if value.isdigit() and int(value) > 0:
        count = min(count, int(value))
    return max(1, min(count, MAX_WORKERS))


@contextlib.contextmanager
def same_connection(con: Any) -> Iterator[Any]:
    """The default session: the connection itself."""
    yield con


def side_by_side(con: Any, items: Sequence[I], run: Callable[[S, I], T], *, workers: int,
                 session: Callable[[Any], AbstractContextManager[S]] = same_connection,
                 ) -> list[T]:
    """``run(state, item)`` for every item, on up to ``workers`` threads; the results in
    the order of ``items``.

    Each worker opens ``session(connection)`` once and passes what it yields to ``run``:
    the calling thread on ``con``, each other thread on a cursor of ``con`` (after
    :data:`SESSION_SQL`). The first item that raises (in item order) raises here, after
    every worker has stopped; workers take no new item once one has failed.
    """
    count = min(workers, len(items))
    if count <= 1:
        with session(con) as state:
            return [run(state, item) for item in items]
    results: list[Any] = [None] * len(items)
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()
    pending = iter(range(len(items)))

    def work(connection: Any) -> None:
        with session(connection) as state:
            while True:
                with lock:
                    i = None if errors else next(pending, None)
                if i is None:
                    return
                try:
                    results[i] = run(state, items[i])
                except BaseException as exc:  # raised by the caller, in item order
                    with lock:
                        errors[i] = exc
                    return

    def worker(cursor: Any) -> None:
        try:
            cursor.execute(SESSION_SQL)
            work(cursor)
        except BaseException as exc:  # a session that cannot open fails the first item
            with lock:
                errors.setdefault(-1, exc)
        finally:
            cursor.close()

    cursors = [con.cursor() for _ in range(count - 1)]
    threads = [threading.Thread(target=worker, args=(c,), name=f"semicon-worker-{n}")
               for n, c in enumerate(cursors, start=1)]
    with interrupts_held():  # every thread started, or none: each is joined below
        for thread in threads:
            thread.start()
    try:
        work(con)
    except BaseException as exc:
        with lock:
            errors.setdefault(-1, exc)
    finally:
        with lock:  # workers may still be recording their failures
            interrupted = any(map(is_interrupt, errors.values()))
        _join(threads, cursors, interrupted=interrupted)
    if errors:
        stops = [i for i, exc in errors.items() if is_interrupt(exc)]
        raise errors[min(stops or errors)]
    return results


class InThread(Generic[T]):
    """``call()`` in a thread of its own, started at once (or, on Ctrl+C, not at all):
    :meth:`result` waits for it and gives its value, or raises its error in the caller's
    thread."""

    def __init__(self, call: Callable[[], T], *, name: str) -> None:
        self._value: list[T] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), name=name)
        with interrupts_held():  # started and known, or not started at all
            self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._value.append(call())
        except BaseException as exc:  # raised by result(), in the caller's thread
            self._error = exc

    def running(self) -> bool:
        """Whether the call has not returned yet."""
        return self._thread.is_alive()

    def join(self) -> list[T]:
        """Wait for the call; its value in a list, empty if it raised."""
        self._thread.join()
        return self._value

    def result(self) -> T:
        """The call's value, once it returns (its error, if it raised)."""
        self.join()
        if self._error is not None:
            raise self._error
        return self._value[0]


def _join(threads: list[threading.Thread], cursors: list[Any], *, interrupted: bool) -> None:
    """Wait for the worker threads; after Ctrl+C, interrupt their statements first."""
    try:
        if not interrupted:
            for thread in threads:
                thread.join()
            return
    except KeyboardInterrupt:
        pass
    for cursor in cursors:
        with contextlib.suppress(Exception):
            cursor.interrupt()
    for thread in threads:
        thread.join()
    if not interrupted:
        raise KeyboardInterrupt
