"""The worker pool of a Pyodide kernel: Pyodide interpreters in Web Workers, which the kernel
waits for on shared memory.

As ``concurrent.futures.process`` splits its executor, the queue manager and the worker, this
pool is in four parts:

- :class:`WorkerPoolExecutor`, here: the ``concurrent.futures`` API and the scheduler, which
  hands pending tasks to idle workers and collects their outcomes;
- :mod:`.drive`: the waits that move every pool's work along, since no thread does (no
  released Pyodide can start one);
- :mod:`.workers`: the kernel's record of each worker, the page's messages that start and
  stop them, and the reserve of idle workers that the next pool takes at once;
- :mod:`.worker`: the loop that each worker runs, on its mailbox (:mod:`.mailbox`).

While a cell runs, nothing but shared memory reaches the kernel: tasks and outcomes cross the
mailboxes, and the kernel waits on one doorbell for all its workers. An interrupt cancels the
pending work and stops the running tasks through each worker's own interrupt buffer; a worker
that does not stop in time is replaced.
"""

from __future__ import annotations

import itertools
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from typing import Any

from . import tasks, workers
from .drive import PoolFuture, drive, js, live
from .mailbox import MOST_MESSAGE_BYTES, SIGINT, STATES, MailboxError
from .worker import DONE, TASK
from .workers import MOST_WORKERS, STARTUP_PACKAGES, State, Worker, default_workers

# The page acknowledges a request for workers at once; without an answer, there is no
# jupyter-coi labextension on the page to start them.
PAGE_ANSWERS_WITHIN_S = 10.0
START_WITHIN_S = 180.0
# How long an interrupted task may take to stop before its worker is replaced.
STOP_WITHIN_S = 2.0

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

__all__ = [
    "STARTUP_PACKAGES",
    "BrokenWorkerPool",
    "NotIsolatedError",
    "PoolFuture",
    "WorkerPoolExecutor",
    "default_workers",
]


class NotIsolatedError(RuntimeError):
    """The page is not cross-origin isolated: no shared memory, so no worker pool."""


class BrokenWorkerPool(BrokenExecutor):
    """The pool's workers could not start, or died, or its initializer failed; the reason
    says why."""


def why_not_isolated() -> str | None:
    """Why this kernel cannot share memory with workers, or None when it can."""
    window = js()
    if not getattr(window, "crossOriginIsolated", False):
        return NOT_ISOLATED
    if not hasattr(window, "SharedArrayBuffer"):
        return NO_SHARED_MEMORY
    return None


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


def _checked_workers(max_workers: Any) -> int:
    if max_workers is None:
        return default_workers()
    if not isinstance(max_workers, int) or isinstance(max_workers, bool):
        raise TypeError(f"max_workers must be an int, not {type(max_workers).__name__}")
    if max_workers <= 0:
        raise ValueError("max_workers must be greater than 0")
    if max_workers > MOST_WORKERS:
        warnings.warn(
            f"max_workers={max_workers} is capped at {MOST_WORKERS}: each worker is a Pyodide "
            "interpreter of its own, and one page holds the memory of all of them "
            "(jupyter_coi.pool.workers.MOST_WORKERS)",
            RuntimeWarning,
            stacklevel=3,
        )
        return MOST_WORKERS
    return max_workers


def _checked_tasks_per_child(max_tasks_per_child: Any) -> int | None:
    if max_tasks_per_child is None:
        return None
    if not isinstance(max_tasks_per_child, int) or isinstance(max_tasks_per_child, bool):
        raise TypeError("max_tasks_per_child must be an int or None")
    if max_tasks_per_child <= 0:
        raise ValueError("max_tasks_per_child must be >= 1")
    return max_tasks_per_child


class WorkerPoolExecutor(Executor):
    """A ``concurrent.futures`` executor whose workers are Pyodide interpreters in Web
    Workers of this page.

    Like ``ProcessPoolExecutor``: each worker is a separate interpreter, functions (lambdas
    and closures too) go to it by value, arguments and results are pickled, and an exception
    is re-raised by ``result()`` with the worker's traceback as its ``__cause__``. Each worker
    loads the Pyodide packages that the kernel has loaded, from where the kernel got them.

    ``max_workers`` defaults to :func:`default_workers`, and is capped at ``MOST_WORKERS``
    with a warning. ``initializer(*initargs)`` runs in each worker before its first task; if
    it raises, the pool is broken, as ``ProcessPoolExecutor``'s. With
    ``max_tasks_per_child``, a worker that has run that many tasks is replaced by a fresh
    one. Raises :class:`NotIsolatedError` at once on a page that is not cross-origin
    isolated.

    The workers outlive the pool: when it shuts down, the idle ones wait for the kernel's
    next pool (:mod:`.workers`), which then starts at once.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        initializer: Callable | None = None,
        initargs: tuple = (),
        *,
        max_tasks_per_child: int | None = None,
    ) -> None:
        why = why_not_isolated()
        if why:
            raise NotIsolatedError(why)
        count = _checked_workers(max_workers)
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._max_tasks_per_child = _checked_tasks_per_child(max_tasks_per_child)
        _require_cloudpickle()
        self._max_workers = count
        self._initializer = (
            None if initializer is None else TASK + tasks.dumps_call(initializer, initargs)
        )
        self._pending: deque[tuple[PoolFuture, bytes]] = deque()
        self._broken: str | None = None
        self._shutdown = False
        self._closed = False
        self._spawn_config = workers.spawn_config()
        taken = workers.take(count, frozenset(self._spawn_config["packages"]))
        self._workers = taken + workers.start(count - len(taken), self._spawn_config)
        live.add(self)
        # Workers go back to the reserve with the pool object too (or the page stops them).
        self._finalizer = weakref.finalize(self, workers.release, self._workers)

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
            self._cancel_pending()
        if wait:
            drive(self._idle)
            self._close()
        else:
            self._pump()

    def terminate(self) -> None:
        """Stop at once: cancel the pending work, fail the running tasks with
        ``CancelledError`` and stop their workers (``multiprocessing.Pool.terminate``)."""
        self._shutdown = True
        self._cancel_pending()
        for worker in self._workers:
            if worker.state in (State.BUSY, State.STOPPING):
                self._end_task(worker, CancelledError("the pool was terminated"))
                worker.state = State.FAILED
        self._close()

    # What moves the work along.

    def _idle(self) -> bool:
        if self._closed:
            return True
        return not self._pending and not any(w.state is State.BUSY for w in self._workers)

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            live.discard(self)
            self._finalizer()

    def _cancel_pending(self) -> None:
        while self._pending:
            future, _ = self._pending.popleft()
            future.cancel()

    def _pump(self) -> None:
        """Look at every worker once, without waiting: collect outcomes, notice failures and
        hand pending tasks to idle workers."""
        if self._closed:
            return
        now = time.monotonic()
        for worker in list(self._workers):
            self._look_at(worker, now)
        if self._broken:
            return
        if self._pending and all(w.state is State.FAILED for w in self._workers):
            reasons = "; ".join(sorted({w.reason for w in self._workers}))
            self._break(f"the pool's workers could not start or died: {reasons}")
            return
        for worker in self._workers:
            if worker.state is State.IDLE and (self._pending or self._needs_initializer(worker)):
                self._hand_out(worker)
        if self._shutdown and self._idle():
            self._close()

    def _needs_initializer(self, worker: Worker) -> bool:
        return self._initializer is not None and not worker.initialized

    def _look_at(self, worker: Worker, now: float) -> None:
        mailbox = worker.mailbox
        if worker.state is State.FAILED:
            return
        state = mailbox.slot("state")
        if state == STATES["failed"]:
            if worker.state is State.STARTING:
                self._fail(worker, mailbox.failure())
            else:
                # It died after it had started (its interpreter suffered a fatal error): a new
                # one can take its place, where one that could not start would fail again.
                self._fail(worker, f"{mailbox.failure()}; a new worker takes its place")
                if not self._closed:
                    self._replace(worker)
        elif worker.state is State.STARTING:
            if state == STATES["ready"]:
                worker.state = State.IDLE
            elif state == STATES["requested"] and now - worker.since > PAGE_ANSWERS_WITHIN_S:
                self._fail(
                    worker,
                    "the page did not start the worker: this page has no jupyter-coi "
                    "labextension to start it, or it runs an older one",
                )
            elif now - worker.since > START_WITHIN_S:
                self._fail(worker, f"the worker did not start within {START_WITHIN_S:.0f} s")
        elif worker.state in (State.BUSY, State.STOPPING):
            if mailbox.has_message():
                self._collect(worker)
            elif worker.state is State.STOPPING and now - worker.since > STOP_WITHIN_S:
                self._replace(worker)

    def _collect(self, worker: Worker) -> None:
        # What goes wrong here is this worker's alone, so it fails this worker alone: raised,
        # it would reach whichever future was asked, and a message left unread would raise
        # again at every later look at the pool.
        try:
            message = worker.mailbox.receive(waiting=lambda: self._check_alive(worker))
        except BrokenWorkerPool as error:
            self._fail(worker, str(error))
            return
        except MailboxError as error:
            self._fail(worker, f"{error}; a new worker takes its place")
            # Its Web Worker still runs, but nothing it writes can be trusted now.
            self._replace(worker)
            return
        future, worker.future = worker.future, None
        initializing, worker.initializing = worker.initializing, False
        stopped = worker.state is State.STOPPING
        worker.state = State.IDLE
        if bytes(message[:1]) != DONE:
            return
        ok, value = tasks.unpack(memoryview(message)[1:])
        if initializing:
            worker.initialized = True
            if not ok and not stopped:
                self._break(
                    f"the pool is broken: its initializer raised {type(value).__name__}: {value}"
                )
            return
        if future is not None and not _settled(future):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        worker.tasks += 1
        limit = self._max_tasks_per_child
        if limit is not None and worker.tasks >= limit and not self._closed:
            self._replace(worker)

    def _check_alive(self, worker: Worker) -> None:
        if worker.mailbox.slot("state") == STATES["failed"]:
            raise BrokenWorkerPool(worker.mailbox.failure())

    def _hand_out(self, worker: Worker) -> None:
        if self._needs_initializer(worker):
            assert self._initializer is not None
            worker.initializing = True
            self._send(worker, None, self._initializer)
            return
        while self._pending:
            future, payload = self._pending.popleft()
            if future.set_running_or_notify_cancel():
                self._send(worker, future, payload)
                return

    def _send(self, worker: Worker, future: PoolFuture | None, payload: bytes) -> None:
        worker.state, worker.future, worker.since = State.BUSY, future, time.monotonic()
        try:
            worker.mailbox.send(payload, waiting=lambda: self._check_alive(worker))
        except BrokenWorkerPool as error:
            self._fail(worker, str(error))

    def _end_task(self, worker: Worker, error: BaseException) -> None:
        future, worker.future = worker.future, None
        if future is not None and not _settled(future):
            future.set_exception(error)

    def _fail(self, worker: Worker, reason: str) -> None:
        worker.state, worker.reason = State.FAILED, reason
        self._end_task(worker, BrokenWorkerPool(f"worker {worker.number} failed: {reason}"))

    def _break(self, why: str) -> None:
        self._broken = why
        while self._pending:
            future, _ = self._pending.popleft()
            if future.set_running_or_notify_cancel():
                future.set_exception(BrokenWorkerPool(self._broken))
        for worker in self._workers:
            if worker.state in (State.BUSY, State.STOPPING):
                self._end_task(worker, BrokenWorkerPool(self._broken))
                worker.state = State.FAILED
        self._close()

    def _replace(self, worker: Worker) -> None:
        """Another worker in the place of one that did not stop, whose mailbox is corrupt or
        that ran its ``max_tasks_per_child`` (the page stops it): a parked one if there is
        one, else a new one."""
        workers.stop([worker])
        packages = frozenset(self._spawn_config["packages"])
        fresh = workers.take(1, packages) or workers.start(1, self._spawn_config)
        self._workers[self._workers.index(worker)] = fresh[0]

    def _interrupted(self) -> None:
        """The user interrupted the kernel: cancel what has not started, stop what runs."""
        self._cancel_pending()
        for worker in self._workers:
            if worker.state is State.BUSY:
                self._end_task(worker, CancelledError("stopped by an interrupt"))
                worker.mailbox.store("interrupt", SIGINT)
                worker.state, worker.since = State.STOPPING, time.monotonic()


def _settled(future: Future) -> bool:
    """Whether a future is done, without the look at every pool that ``PoolFuture.done()``
    takes: the scheduler asks in the middle of its own look, which must not start another."""
    return Future.done(future)


def _chunks(items: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk
