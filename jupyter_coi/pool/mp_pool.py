"""``multiprocessing.Pool`` on the worker pool, for Pyodide kernels.

Pyodide's ``multiprocessing`` imports, but its ``Pool`` cannot start (no ``_multiprocessing``,
no processes). In a Pyodide kernel, jupyter-coi's set-up puts this :class:`Pool` in its place
(``multiprocessing.pool.Pool``, which ``multiprocessing.Pool()`` and every context's ``Pool``
make), so that a notebook written for a server runs unchanged: its workers are the pool's
Pyodide interpreters (:class:`jupyter_coi.pool.WorkerPoolExecutor`), separate interpreters
as processes are.

What differs from the standard library's, because no thread runs beside the kernel's: the
work moves along only while the kernel waits for some of it (``get``, ``wait``, iterating an
``imap``, ``join``) or asks ``ready()``; callbacks run then, in the kernel's thread. ``imap``
and ``imap_unordered`` submit every task at once, as the standard library's task thread does
as soon as it can. A failing ``initializer`` breaks the pool (the standard library restarts
the worker for ever).

On a server this class works too, over the process pool, though there the standard
library's ``multiprocessing.Pool`` is the one to use.

Its waits are marked ``__tracebackhide__``: IPython leaves them out of a traceback, so that
an interrupt during ``map`` ends at the user's line.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import drive, tasks

RUN, CLOSE, TERMINATE = "RUN", "CLOSE", "TERMINATE"


def _executor_class() -> Any:
    from . import WorkerPoolExecutor

    return WorkerPoolExecutor


def _default_workers() -> int:
    from . import default_workers

    return default_workers()


class ApplyResult:
    """What ``apply_async`` returns: one call's result, later."""

    def __init__(
        self,
        future: concurrent.futures.Future,
        callback: Callable | None,
        error_callback: Callable | None,
    ) -> None:
        self._future = future
        if callback is not None or error_callback is not None:
            future.add_done_callback(_calling_back(callback, error_callback))

    def ready(self) -> bool:
        return self._future.done()

    def successful(self) -> bool:
        if not self.ready():
            raise ValueError(f"{self!r} not ready")
        return self._future.exception() is None

    def wait(self, timeout: float | None = None) -> None:
        __tracebackhide__ = True
        drive.wait([self._future], timeout=timeout)

    def get(self, timeout: float | None = None) -> Any:
        __tracebackhide__ = True
        try:
            return self._future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise multiprocessing.TimeoutError from None


AsyncResult = ApplyResult


class MapResult:
    """What ``map_async`` and ``starmap_async`` return: the list of results, later. An error
    is that of the first chunk, in order, that raised one."""

    def __init__(
        self,
        futures: list[concurrent.futures.Future],
        callback: Callable | None,
        error_callback: Callable | None,
    ) -> None:
        self._futures = futures
        self._left = len(futures)
        self._callbacks = (callback, error_callback)
        if not futures:
            self._call_back()
        for future in futures:
            future.add_done_callback(self._one_done)

    def _one_done(self, _: concurrent.futures.Future) -> None:
        self._left -= 1
        if self._left == 0:
            self._call_back()

    def _call_back(self) -> None:
        callback, error_callback = self._callbacks
        error = self._error()
        if error is None:
            if callback is not None:
                callback(self._value())
        elif error_callback is not None:
            error_callback(error)

    def _error(self) -> BaseException | None:
        return next((e for f in self._futures if (e := _error_of(f)) is not None), None)

    def _value(self) -> list:
        return list(itertools.chain.from_iterable(f.result() for f in self._futures))

    def ready(self) -> bool:
        return all(f.done() for f in self._futures)

    def successful(self) -> bool:
        if not self.ready():
            raise ValueError(f"{self!r} not ready")
        return self._error() is None

    def wait(self, timeout: float | None = None) -> None:
        __tracebackhide__ = True
        drive.wait(self._futures, timeout=timeout)

    def get(self, timeout: float | None = None) -> list:
        __tracebackhide__ = True
        _, not_done = drive.wait(self._futures, timeout=timeout)
        if not_done:
            raise multiprocessing.TimeoutError
        error = self._error()
        if error is not None:
            raise error
        return self._value()


def _error_of(future: concurrent.futures.Future) -> BaseException | None:
    if future.cancelled():
        return concurrent.futures.CancelledError()
    return future.exception()


def _calling_back(
    callback: Callable | None, error_callback: Callable | None
) -> Callable[[concurrent.futures.Future], None]:
    def call(future: concurrent.futures.Future) -> None:
        error = _error_of(future)
        if error is None:
            if callback is not None:
                callback(future.result())
        elif error_callback is not None:
            error_callback(error)

    return call


class IMapIterator:
    """What ``imap`` and ``imap_unordered`` return: results as an iterator, each also by
    ``next(timeout)``."""

    def __init__(self, futures: list[concurrent.futures.Future], ordered: bool) -> None:
        self._waiting = list(futures)
        self._ordered = ordered
        self._items: Iterator[Any] = iter(())

    def __iter__(self) -> IMapIterator:
        return self

    def __next__(self) -> Any:
        __tracebackhide__ = True
        return self.next()

    def next(self, timeout: float | None = None) -> Any:
        __tracebackhide__ = True
        while True:
            for item in self._items:
                return item
            if not self._waiting:
                raise StopIteration
            candidates = self._waiting[:1] if self._ordered else self._waiting
            done, _ = drive.wait(candidates, timeout=timeout, first=True)
            if not done:
                raise multiprocessing.TimeoutError
            # The earliest of those done, so that a run is repeatable.
            future = next(f for f in self._waiting if f in done)
            self._waiting.remove(future)
            self._items = iter(future.result())


class Pool:
    """``multiprocessing.Pool``, whose workers are the worker pool's (in a Pyodide kernel,
    Pyodide interpreters in Web Workers of the page)."""

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable | None = None,
        initargs: Iterable = (),
        maxtasksperchild: int | None = None,
        context: Any = None,
    ) -> None:
        # `context` is accepted as the standard library's is: there is one kind of worker.
        if processes is None:
            processes = _default_workers()
        if not isinstance(processes, int) or isinstance(processes, bool):
            raise TypeError("processes must be an int or None")
        if processes < 1:
            raise ValueError("Number of processes must be at least 1")
        if maxtasksperchild is not None and (
            not isinstance(maxtasksperchild, int) or maxtasksperchild <= 0
        ):
            raise ValueError("maxtasksperchild must be a positive int or None")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        options: dict[str, Any] = {}
        if initializer is not None:
            options.update(initializer=initializer, initargs=tuple(initargs))
        if maxtasksperchild is not None:
            options["max_tasks_per_child"] = maxtasksperchild
        self._state = RUN
        self._executor = _executor_class()(processes, **options)
        self._processes = self._executor._max_workers

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.Pool state={self._state} pool_size={self._processes}>"

    def __reduce__(self) -> Any:
        raise NotImplementedError("pool objects cannot be passed between processes or pickled")

    def __enter__(self) -> Pool:
        self._check_running()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.terminate()

    # Calls.

    def apply(self, func: Callable, args: Iterable = (), kwds: dict | None = None) -> Any:
        __tracebackhide__ = True
        return self.apply_async(func, args, kwds).get()

    def apply_async(
        self,
        func: Callable,
        args: Iterable = (),
        kwds: dict | None = None,
        callback: Callable | None = None,
        error_callback: Callable | None = None,
    ) -> ApplyResult:
        self._check_running()
        future = self._executor.submit(func, *tuple(args), **dict(kwds or {}))
        return ApplyResult(future, callback, error_callback)

    def map(self, func: Callable, iterable: Iterable, chunksize: int | None = None) -> list:
        __tracebackhide__ = True
        return self.map_async(func, iterable, chunksize).get()

    def map_async(
        self,
        func: Callable,
        iterable: Iterable,
        chunksize: int | None = None,
        callback: Callable | None = None,
        error_callback: Callable | None = None,
    ) -> MapResult:
        items = _singles(iterable)
        return MapResult(self._submit_chunks(func, items, chunksize), callback, error_callback)

    def starmap(self, func: Callable, iterable: Iterable, chunksize: int | None = None) -> list:
        __tracebackhide__ = True
        return self.starmap_async(func, iterable, chunksize).get()

    def starmap_async(
        self,
        func: Callable,
        iterable: Iterable,
        chunksize: int | None = None,
        callback: Callable | None = None,
        error_callback: Callable | None = None,
    ) -> MapResult:
        items = [tuple(args) for args in iterable]
        return MapResult(self._submit_chunks(func, items, chunksize), callback, error_callback)

    def imap(self, func: Callable, iterable: Iterable, chunksize: int = 1) -> IMapIterator:
        return IMapIterator(self._submit_chunks(func, _singles(iterable), chunksize), True)

    def imap_unordered(
        self, func: Callable, iterable: Iterable, chunksize: int = 1
    ) -> IMapIterator:
        return IMapIterator(self._submit_chunks(func, _singles(iterable), chunksize), False)

    # The pool's life.

    def close(self) -> None:
        """No more tasks; the workers go once the submitted ones are done."""
        if self._state == RUN:
            self._state = CLOSE
            self._executor.shutdown(wait=False)

    def terminate(self) -> None:
        """Stop at once: pending tasks are cancelled and running ones stopped."""
        if self._state == TERMINATE:
            return
        self._state = TERMINATE
        terminate = getattr(self._executor, "terminate", None) or getattr(
            self._executor, "terminate_workers", None
        )
        if terminate is not None:
            terminate()
        else:  # a server's ProcessPoolExecutor before Python 3.14
            self._executor.shutdown(wait=False, cancel_futures=True)
            for process in list((self._executor._processes or {}).values()):
                process.terminate()

    def join(self) -> None:
        """Wait until the workers are gone; after :meth:`close` or :meth:`terminate`."""
        if self._state == RUN:
            raise ValueError("Pool is still running")
        self._executor.shutdown(wait=True)

    def _check_running(self) -> None:
        if self._state != RUN:
            raise ValueError("Pool not running")

    def _submit_chunks(
        self, func: Callable, items: list[tuple], chunksize: int | None
    ) -> list[concurrent.futures.Future]:
        self._check_running()
        if chunksize is None:
            # The standard library's choice: about four chunks a worker.
            chunksize, extra = divmod(len(items), self._processes * 4)
            chunksize += bool(extra)
        if chunksize < 1 and items:
            raise ValueError(f"Chunksize must be 1+, not {chunksize}")
        size = max(chunksize, 1)
        return [
            self._executor.submit(tasks.run_chunk, func, items[i : i + size])
            for i in range(0, len(items), size)
        ]


def _singles(iterable: Iterable) -> list[tuple]:
    return [(item,) for item in iterable]
