"""The worker pool on a server: a process pool.

A notebook that uses :class:`WorkerPoolExecutor` runs unchanged in JupyterLite's Pyodide
kernel, where the workers are Pyodide interpreters in Web Workers, and on a server kernel
(Binder, a local JupyterLab), where this module makes them processes. Both kinds of worker are
separate interpreters, so both kinds of pool send the function of each call by value: a
lambda, a closure, or a function defined in the notebook runs in a worker whatever the start
method (with "spawn", and with "forkserver", Python 3.14's default on Linux, a worker cannot
import a function from the kernel's ``__main__`` by reference).
"""

from __future__ import annotations

import concurrent.futures
import os
import pickle
import sys
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from typing import Any

from . import tasks

# ProcessPoolExecutor refuses more workers than this on Windows.
_WINDOWS_MAX_WORKERS = 61


class NotIsolatedError(RuntimeError):
    """The page is not cross-origin isolated, so the browser's pool cannot start workers.

    Only the browser's pool raises it. A server's pool never does: the class is here so that
    ``from jupyter_coi.pool import NotIsolatedError`` (and ``except NotIsolatedError``) works
    in a notebook wherever it runs.
    """


def default_workers() -> int:
    """How many workers ``max_workers=None`` gives: the CPUs this process may use."""
    count_cpus = getattr(os, "process_cpu_count", os.cpu_count)  # process_cpu_count: 3.13+
    count = max(count_cpus() or 1, 1)
    if sys.platform == "win32":
        count = min(count, _WINDOWS_MAX_WORKERS)
    return count


class _ByValue:
    """A task's result on its way back: pickled with cloudpickle, so that an instance of a
    class defined in the notebook arrives as an instance of the kernel's class, as it does
    from the browser's workers. Unpickling it gives the value itself."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Callable, tuple[bytes]]:
        return _reduce_by_value(self.value)


def _reduce_by_value(value: Any) -> tuple[Callable, tuple[bytes]]:
    return (tasks.loads, (tasks.dumps(value),))


def _send_exceptions_of_this_type_by_value(error: BaseException) -> None:
    """Make the worker's result queue pickle this exception's type with cloudpickle, if
    standard pickle cannot (an exception class defined in the notebook): the kernel then gets
    the exception itself, with the traceback as its cause, instead of a pickling error."""
    try:
        pickle.dumps(error)
    except Exception:
        ForkingPickler.register(type(error), _reduce_by_value)


_ALWAYS_ROUND_TRIP = {bytes, bytearray, str, int, float, complex, bool, type(None)}


def _round_trips(value: Any) -> bool:
    """Whether ``value`` comes out of the kernel's side of the result queue again. One that
    does not (an exception class with an ``__init__`` of its own, a ``__reduce__`` that
    fails) is unpickled in the pool's own thread, and breaks the whole pool. The trial costs a
    second pickling, spared for the built-in types that always come back."""
    if type(value) in _ALWAYS_ROUND_TRIP:
        return True
    try:
        tasks.loads(tasks.dumps(value))
    except Exception:
        return False
    return True


def _call_by_value(payload: bytes) -> _ByValue:
    """What each worker process runs: a call made by :func:`tasks.dumps_call`. An outcome
    that would not come back whole fails its own future with a :class:`tasks.WorkerError`,
    as in the browser's pool."""
    tasks.keep_module_globals()
    fn, args, kwargs = tasks.loads(payload)
    try:
        value = fn(*args, **kwargs)
    except BaseException as error:
        _send_exceptions_of_this_type_by_value(error)
        if not _round_trips(error):
            raise tasks.WorkerError(
                f"{type(error).__qualname__}: {error} (the exception could not be sent back)"
            ) from error
        raise
    if not _round_trips(value):
        raise tasks.WorkerError(f"the result, a {type(value).__qualname__}, could not be sent back")
    return _ByValue(value)


class WorkerPoolExecutor(concurrent.futures.ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` that sends each call's function (and the initializer) by
    value, and brings results back by value.

    ``max_workers=None`` means :func:`default_workers`; the other arguments are
    ``ProcessPoolExecutor``'s. Futures, ``map`` (with ``chunksize`` and ``timeout``),
    ``shutdown`` and exceptions behave as ``ProcessPoolExecutor``'s: an exception raised in a
    worker is re-raised by ``Future.result()`` with the worker's traceback as its
    ``__cause__``.
    """

    def __init__(self, max_workers: int | None = None, **kwargs: Any) -> None:
        initializer = kwargs.pop("initializer", None)
        if initializer is not None:
            if not callable(initializer):
                raise TypeError("initializer must be a callable")
            initargs = tuple(kwargs.pop("initargs", ()))
            kwargs["initializer"] = _call_by_value
            kwargs["initargs"] = (tasks.dumps_call(initializer, initargs),)
        super().__init__(
            max_workers=default_workers() if max_workers is None else max_workers, **kwargs
        )

    # ProcessPoolExecutor.map submits its chunks through this method, so map goes by value too.
    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        return super().submit(_call_by_value, tasks.dumps_call(fn, args, kwargs))
