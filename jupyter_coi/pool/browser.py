"""The worker pool of a Pyodide kernel: Pyodide interpreters in Web Workers, which the kernel
waits for on shared memory.

Why it is built this way:

- No released Pyodide can start a thread, and a Web Worker that the kernel's worker starts
  never runs while the kernel blocks in a cell. So the kernel asks the *page* for workers
  (``postMessage`` from the kernel's worker, which the page receives at once, even while the
  cell runs); jupyter-coi's labextension starts them and hands each its mailbox.
- While a cell runs, nothing but shared memory reaches the kernel. Tasks and outcomes cross
  the mailboxes (:mod:`.mailbox`), and the kernel waits on one doorbell for all its workers.
- There is no thread in the kernel to move work along in the background: work is handed out
  and collected whenever the kernel waits (``result()``, ``map``, ``wait``, ``as_completed``,
  ``shutdown``) and whenever a future is asked ``done()``. Between two cells nothing moves;
  workers that are busy stay busy.
- The kernel waits in slices of a few milliseconds, so that the interrupt button reaches it
  at once (Pyodide looks at its interrupt buffer between Python instructions, not during a
  wait). An interrupt cancels the pending work and stops the running tasks through each
  worker's own interrupt buffer; a worker that does not stop is replaced.
"""

from __future__ import annotations

import itertools
import json
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from concurrent.futures import TimeoutError as FuturesTimeoutError
from pathlib import Path
from typing import Any

from . import tasks
from .mailbox import (
    DOORBELL,
    DOORBELL_SLOTS,
    MESSAGE_KEY,
    MOST_MESSAGE_BYTES,
    SIGINT,
    STATES,
    Mailbox,
    MailboxError,
)
from .worker import DONE, TASK

# Each worker costs a Pyodide (tens of MB; docs/how-to/worker-pool.md has the figures) and a
# few seconds to start: more than 8 rarely pays on a laptop, and a page has one memory budget
# for all.
MOST_WORKERS_BY_DEFAULT = 8
SLICE_MS = 5
# The page acknowledges a request for workers at once; without an answer, there is no
# jupyter-coi labextension on the page to start them.
PAGE_ANSWERS_WITHIN_S = 10.0
START_WITHIN_S = 180.0
# How long an interrupted task may take to stop before its worker is replaced.
STOP_WITHIN_S = 2.0

# Written by the kernel's set-up (jupyter_coi/kernel/setup.py): the packages loaded before it.
STARTUP_PACKAGES = "startup-packages.json"

NOT_ISOLATED = (
    "This page is not cross-origin isolated, so its kernel cannot share memory with Web "
    "Workers and cannot have a worker pool. Serve the site with the isolation headers "
    "(jupyter-coi's JupyterLite addon writes them for common hosts, and `jupyter lite serve` "
    "sends them), or keep the addon's service worker on; the indicator in the status bar says "
    "what is missing. WebKit (Safari) is isolated by the service worker after one reload."
)

NO_SHARED_MEMORY = (
    "This page is cross-origin isolated, but this browser gives it no SharedArrayBuffer "
    "(WebKitGTK does not, as of 2.50), so its kernel cannot share memory with Web Workers and "
    "cannot have a worker pool. Open the page in Chromium or Firefox."
)


class NotIsolatedError(RuntimeError):
    """The page is not cross-origin isolated: no shared memory, so no worker pool."""


class BrokenWorkerPool(BrokenExecutor):
    """The pool's workers could not start, or died; the reason says why."""


def _js() -> Any:
    import js

    return js


def why_not_isolated() -> str | None:
    """Why this kernel cannot share memory with workers, or None when it can."""
    js = _js()
    if not getattr(js, "crossOriginIsolated", False):
        return NOT_ISOLATED
    if not hasattr(js, "SharedArrayBuffer"):
        return NO_SHARED_MEMORY
    return None


def default_workers() -> int:
    """``navigator.hardwareConcurrency``, at most ``MOST_WORKERS_BY_DEFAULT``, at least 1."""
    cores = getattr(getattr(_js(), "navigator", None), "hardwareConcurrency", None) or 1
    return max(1, min(int(cores), MOST_WORKERS_BY_DEFAULT))


_doorbell: Any = None
_live: weakref.WeakSet = weakref.WeakSet()
_numbers = itertools.count(1)


def _shared_doorbell() -> Any:
    global _doorbell
    if _doorbell is None:
        js = _js()
        _doorbell = js.Int32Array.new(js.SharedArrayBuffer.new(4 * DOORBELL_SLOTS))
    return _doorbell


def _post(message: dict) -> None:
    from pyodide.ffi import to_js

    js = _js()
    js.postMessage(to_js({MESSAGE_KEY: message}, dict_converter=js.Object.fromEntries))


def _pump_all() -> None:
    for pool in list(_live):
        pool._pump()


def _drive(until: Callable[[], bool], timeout: float | None = None) -> bool:
    """Move every live pool's work along until ``until()`` holds; False if ``timeout`` (in
    seconds) passed first. An interrupt stops every pool's work, then propagates."""
    atomics = _js().Atomics
    doorbell = _shared_doorbell()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            if not _live:
                # Nothing left that could make `until` come true.
                return until()
            # Read before looking, so that a ring in between ends the wait at once.
            seen = atomics.load(doorbell, DOORBELL)
            _pump_all()
            if until():
                return True
            wait_ms: float = SLICE_MS
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                wait_ms = min(wait_ms, left * 1000)
            atomics.wait(doorbell, DOORBELL, seen, wait_ms)
    except KeyboardInterrupt:
        for pool in list(_live):
            pool._interrupted()
        raise


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
        return _drive(self.is_set, timeout)


class _Waiters(list):
    def append(self, waiter: Any) -> None:
        if not isinstance(getattr(waiter, "event", None), _DrivingEvent):
            waiter.event = _DrivingEvent()
        super().append(waiter)


class PoolFuture(Future):
    """A ``Future`` whose waits move the pool's work along, since no thread does."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters = _Waiters()

    def done(self) -> bool:
        if not super().done():
            _pump_all()
        return super().done()

    def running(self) -> bool:
        _pump_all()
        return super().running()

    def result(self, timeout: float | None = None) -> Any:
        if not _drive(super().done, timeout):
            raise FuturesTimeoutError
        return super().result(0)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if not _drive(super().done, timeout):
            raise FuturesTimeoutError
        return super().exception(0)


class _Worker:
    """The kernel's record of one pool worker."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.mailbox = Mailbox("kernel")
        self.status = "starting"  # starting, idle, busy, stopping, failed
        self.future: PoolFuture | None = None
        self.since = time.monotonic()
        self.reason = ""


def _kernel_packages() -> list[str]:
    """What the workers load so that they can import what the kernel's cells have loaded:
    packages of Pyodide's lock by name (from the kernel's own index), wheels installed from a
    URL by that URL. Not the kernel's own machinery (IPython and the rest, loaded before the
    first cell, as ``STARTUP_PACKAGES`` recorded), which would only slow each worker's start."""
    import pyodide_js

    loaded = pyodide_js.loadedPackages.to_py()
    try:
        machinery = set(json.loads((Path(__file__).parent / STARTUP_PACKAGES).read_text()))
    except (OSError, ValueError):
        machinery = set()
    wanted = {"cloudpickle"}
    for name, source in loaded.items():
        if name in machinery:
            continue
        source = str(source)
        if source == "default channel":
            wanted.add(name)
        elif "://" in source or source.endswith(".whl"):
            wanted.add(source)
    return sorted(wanted)


def _pyodide_config() -> dict:
    import pyodide_js

    js = _js()
    config = pyodide_js._api.config
    out = {}
    for name in ("indexURL", "lockFileURL", "packageBaseUrl"):
        value = getattr(config, name, None)
        if isinstance(value, str) and value:
            # Absolute: the workers are started from the page, whose URL is not the kernel's.
            out[name] = js.URL.new(value, js.location.href).href
    return out


def _require_cloudpickle() -> None:
    # The kernel's set-up loads it before the first cell; this is for a kernel where that
    # failed (the browser's console says why).
    try:
        import cloudpickle  # noqa: F401
    except ImportError:
        import pyodide_js
        from pyodide.ffi import can_run_sync, run_sync

        if not can_run_sync():
            raise RuntimeError(
                "cloudpickle, which sends functions to the workers, is not loaded in this "
                "kernel: run `import cloudpickle` in a cell of its own, then this one again"
            ) from None
        run_sync(pyodide_js.loadPackage("cloudpickle"))


class WorkerPoolExecutor(Executor):
    """A ``concurrent.futures`` executor whose workers are Pyodide interpreters in Web
    Workers of this page.

    Like ``ProcessPoolExecutor``: each worker is a separate interpreter, functions (lambdas
    and closures too) go to it by value, arguments and results are pickled, and an exception
    is re-raised by ``result()`` with the worker's traceback as its ``__cause__``. Each worker
    loads the Pyodide packages that the kernel has loaded, from where the kernel got them.

    ``max_workers`` defaults to :func:`default_workers`. Raises :class:`NotIsolatedError` at
    once on a page that is not cross-origin isolated.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        why = why_not_isolated()
        if why:
            raise NotIsolatedError(why)
        if max_workers is None:
            max_workers = default_workers()
        if not isinstance(max_workers, int) or isinstance(max_workers, bool):
            raise TypeError(f"max_workers must be an int, not {type(max_workers).__name__}")
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        _require_cloudpickle()
        self._max_workers = max_workers
        self._id = f"pool-{next(_numbers)}"
        self._pending: deque[tuple[PoolFuture, bytes]] = deque()
        self._broken: str | None = None
        self._shutdown = False
        self._closed = False
        self._doorbell = _shared_doorbell()
        self._spawn_config = {
            **_pyodide_config(),
            "packages": _kernel_packages(),
        }
        self._workers = [_Worker(n) for n in range(max_workers)]
        _live.add(self)
        _post(
            {
                "op": "spawn",
                "pool": self._id,
                "doorbell": self._doorbell.buffer,
                "workers": [
                    {"number": w.number, "mailbox": w.mailbox.buffer} for w in self._workers
                ],
                **self._spawn_config,
            }
        )
        # Workers die with the pool object, as with the kernel (the page stops them then).
        self._finalizer = weakref.finalize(self, _post, {"op": "close", "pool": self._id})

    @property
    def max_workers(self) -> int:
        return self._max_workers

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> PoolFuture:
        if self._broken:
            raise BrokenWorkerPool(self._broken)
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        payload = TASK + tasks.dumps_call(fn, args, kwargs)
        if len(payload) > MOST_MESSAGE_BYTES:
            raise ValueError(
                f"the call pickles to {len(payload)} bytes, more than the {MOST_MESSAGE_BYTES} "
                "that can cross to a worker"
            )
        future = PoolFuture()
        self._pending.append((future, payload))
        self._pump()
        return future

    def map(
        self,
        fn: Callable,
        *iterables: Iterable,
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator:
        """Like ``ProcessPoolExecutor.map``: with ``chunksize`` > 1, each task runs ``fn``
        over that many items, which saves a round trip per item for short calls."""
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        if chunksize == 1:
            return super().map(fn, *iterables, timeout=timeout)
        chunks = _chunks(zip(*iterables, strict=False), chunksize)
        results = super().map(tasks.run_chunk, itertools.repeat(fn), chunks, timeout=timeout)
        return itertools.chain.from_iterable(results)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """As ``Executor.shutdown``. With ``wait=False``, the workers stop once the work
        submitted so far is done, which happens only while the kernel waits for some of it."""
        self._shutdown = True
        if cancel_futures:
            while self._pending:
                future, _ = self._pending.popleft()
                future.cancel()
        if wait:
            _drive(self._idle)
            self._close()
        else:
            self._pump()

    # What moves the work along.

    def _idle(self) -> bool:
        if self._closed:
            return True
        return not self._pending and not any(w.status == "busy" for w in self._workers)

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            _live.discard(self)
            self._finalizer()

    def _pump(self) -> None:
        """Look at every worker once, without waiting: collect outcomes, notice failures and
        hand pending tasks to idle workers."""
        if self._closed:
            return
        now = time.monotonic()
        for worker in self._workers:
            self._look_at(worker, now)
        if self._pending and all(w.status == "failed" for w in self._workers):
            self._break("; ".join(sorted({w.reason for w in self._workers})))
        for worker in self._workers:
            if not self._pending:
                break
            if worker.status == "idle":
                self._hand_out(worker)
        if self._shutdown and self._idle():
            self._close()

    def _look_at(self, worker: _Worker, now: float) -> None:
        mailbox = worker.mailbox
        state = mailbox.slot("state")
        if worker.status == "failed":
            return
        if state == STATES["failed"]:
            self._fail(worker, mailbox.failure())
        elif worker.status == "starting":
            if state == STATES["ready"]:
                worker.status = "idle"
            elif state == STATES["requested"] and now - worker.since > PAGE_ANSWERS_WITHIN_S:
                self._fail(
                    worker,
                    "the page did not start the worker: this page has no jupyter-coi "
                    "labextension to start it, or it runs an older one",
                )
            elif now - worker.since > START_WITHIN_S:
                self._fail(worker, f"the worker did not start within {START_WITHIN_S:.0f} s")
        elif worker.status in ("busy", "stopping"):
            if mailbox.has_message():
                # What goes wrong here is this worker's alone, so it fails this worker alone:
                # raised, it would reach whichever future was asked, and a message left unread
                # would raise again at every later look at the pool.
                try:
                    message = mailbox.receive(waiting=lambda: self._check_alive(worker))
                except BrokenWorkerPool as error:
                    self._fail(worker, str(error))
                    return
                except MailboxError as error:
                    self._fail(worker, f"{error}; a new worker takes its place")
                    # Its Web Worker still runs, but nothing it writes can be trusted now.
                    self._replace(worker)
                    return
                future, worker.future = worker.future, None
                worker.status = "idle"
                if bytes(message[:1]) == DONE and future is not None and not future.done():
                    ok, value = tasks.unpack(memoryview(message)[1:])
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
            elif worker.status == "stopping" and now - worker.since > STOP_WITHIN_S:
                self._replace(worker)

    def _check_alive(self, worker: _Worker) -> None:
        if worker.mailbox.slot("state") == STATES["failed"]:
            raise BrokenWorkerPool(worker.mailbox.failure())

    def _hand_out(self, worker: _Worker) -> None:
        while self._pending:
            future, payload = self._pending.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            worker.status, worker.future, worker.since = "busy", future, time.monotonic()
            try:
                worker.mailbox.send(payload, waiting=lambda: self._check_alive(worker))
            except BrokenWorkerPool as error:
                self._fail(worker, str(error))
            return

    def _fail(self, worker: _Worker, reason: str) -> None:
        worker.status, worker.reason = "failed", reason
        future, worker.future = worker.future, None
        if future is not None and not future.done():
            future.set_exception(BrokenWorkerPool(f"worker {worker.number} failed: {reason}"))

    def _break(self, reason: str) -> None:
        self._broken = f"the pool's workers could not start or died: {reason}"
        while self._pending:
            future, _ = self._pending.popleft()
            if future.set_running_or_notify_cancel():
                future.set_exception(BrokenWorkerPool(self._broken))
        self._close()

    def _replace(self, worker: _Worker) -> None:
        """A fresh worker in the place of one that did not stop or whose mailbox is corrupt
        (the page terminates it)."""
        fresh = _Worker(worker.number)
        self._workers[self._workers.index(worker)] = fresh
        _post(
            {
                "op": "replace",
                "pool": self._id,
                "doorbell": self._doorbell.buffer,
                "workers": [{"number": fresh.number, "mailbox": fresh.mailbox.buffer}],
                **self._spawn_config,
            }
        )

    def _interrupted(self) -> None:
        """The user interrupted the kernel: cancel what has not started, stop what runs."""
        while self._pending:
            future, _ = self._pending.popleft()
            future.cancel()
        for worker in self._workers:
            if worker.status == "busy":
                running, worker.future = worker.future, None
                if running is not None and not running.done():
                    running.set_exception(CancelledError("stopped by an interrupt"))
                worker.mailbox.store("interrupt", SIGINT)
                worker.status, worker.since = "stopping", time.monotonic()


def _chunks(items: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk
