"""How the browser's pools make progress without a thread: whenever the kernel waits.

No released Pyodide can start a thread, so nothing moves a pool's work along in the
background. Work is handed out and collected whenever the kernel waits (``result()``, ``map``,
``wait``, ``as_completed``, ``shutdown``) and whenever a future is asked ``done()``: those
calls :func:`drive` every live pool until what they wait for holds. Between two cells nothing
moves; workers that are busy stay busy.

The kernel waits on one doorbell, which every worker rings when it writes, in slices of
``SLICE_MS``, so that the interrupt button reaches it at once. An interrupt stops every
pool's work, then propagates.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future
from concurrent.futures import TimeoutError as FuturesTimeoutError
from concurrent.futures import wait as futures_wait
from typing import Any, Protocol

from .mailbox import DOORBELL, DOORBELL_SLOTS, SLICE_MS


class Driven(Protocol):
    def _pump(self) -> None: ...

    def _interrupted(self) -> None: ...


_doorbell: Any = None
live: weakref.WeakSet[Driven] = weakref.WeakSet()


def js() -> Any:
    import js

    return js


def shared_doorbell() -> Any:
    """The kernel's doorbell: an ``Int32Array`` on shared memory, made once."""
    global _doorbell
    if _doorbell is None:
        _doorbell = js().Int32Array.new(js().SharedArrayBuffer.new(4 * DOORBELL_SLOTS))
    return _doorbell


def pump_all() -> None:
    for pool in list(live):
        pool._pump()


def drive(until: Callable[[], bool], timeout: float | None = None) -> bool:
    """Move every live pool's work along until ``until()`` holds; False if ``timeout`` (in
    seconds) passed first."""
    # One of the pool's waits: IPython leaves it out of tracebacks, so that an interrupt's
    # ends at the user's line, as a server's does.
    __tracebackhide__ = True
    atomics = js().Atomics
    doorbell = shared_doorbell()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            if not live:
                # Nothing left that could make `until` come true.
                return until()
            # Read before looking, so that a ring in between ends the wait at once.
            seen = atomics.load(doorbell, DOORBELL)
            pump_all()
            if until():
                return True
            wait_ms: float = SLICE_MS
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                wait_ms = min(wait_ms, left * 1000)
            atomics.wait(doorbell, DOORBELL, seen, wait_ms)
    except KeyboardInterrupt as interrupt:
        for pool in list(live):
            pool._interrupted()
        # Raised afresh from here: the frames it landed in are the pools' bookkeeping, which
        # an interrupt's traceback should not show as where the user's code stopped.
        raise interrupt.with_traceback(None) from None


def wait(futures: list[Future], timeout: float | None = None, first: bool = False):
    """``concurrent.futures.wait`` for all of ``futures`` (or, with ``first``, one of them):
    ``(done, not_done)``. On futures of the browser's pools it drives them itself, which keeps
    the standard library's waiting frames out of an interrupt's traceback."""
    __tracebackhide__ = True
    if not futures or not all(isinstance(f, PoolFuture) for f in futures):
        when = FIRST_COMPLETED if first else ALL_COMPLETED
        return futures_wait(futures, timeout=timeout, return_when=when)
    # Future.done, not PoolFuture.done, which would drive the pools from inside drive.
    settled = Future.done
    enough = any if first else all
    drive(lambda: enough(settled(f) for f in futures), timeout)
    done = {f for f in futures if settled(f)}
    return done, set(futures) - done


class _DrivingEvent:
    """Stands in for the ``threading.Event`` of a ``concurrent.futures.wait`` or
    ``as_completed`` waiter: with no other thread to set it, waiting on it moves the pools'
    work along until one of our futures sets it."""

    def __init__(self) -> None:
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        __tracebackhide__ = True
        return drive(self.is_set, timeout)


class _Waiters(list):
    """``Future._waiters``, whose waiters get a :class:`_DrivingEvent`."""

    def append(self, waiter: Any) -> None:
        if not isinstance(getattr(waiter, "event", None), _DrivingEvent):
            waiter.event = _DrivingEvent()
        super().append(waiter)


class PoolFuture(Future):
    """A ``Future`` whose waits move the pools' work along, since no thread does."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters = _Waiters()

    def done(self) -> bool:
        if not super().done():
            pump_all()
        return super().done()

    def running(self) -> bool:
        pump_all()
        return super().running()

    def result(self, timeout: float | None = None) -> Any:
        __tracebackhide__ = True
        if not drive(super().done, timeout):
            raise FuturesTimeoutError
        return super().result(0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        __tracebackhide__ = True
        if not drive(super().done, timeout):
            raise FuturesTimeoutError
        return super().exception(0)
