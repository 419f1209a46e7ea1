"""In a Pyodide kernel, the APIs that notebooks already use for parallel Python run on the
worker pool (:mod:`jupyter_coi.pool`), with nothing to import from jupyter-coi:

- ``multiprocessing.Pool`` (and ``multiprocessing.pool.Pool``, and every context's ``Pool``)
  is :class:`jupyter_coi.pool.mp_pool.Pool`; ``multiprocessing.cpu_count()`` says how many
  workers ``Pool()`` starts;
- ``concurrent.futures.ProcessPoolExecutor`` is
  :class:`jupyter_coi.pool.process_executor.ProcessPoolExecutor`;
- joblib's default backend is the pool's (``"jupyter-coi"``) on an isolated page, so
  ``Parallel(n_jobs=2)`` uses two workers; ``prefer="threads"`` and ``require="sharedmem"``
  still run in the kernel. On a page that is not isolated, joblib keeps its own default (it
  runs in the kernel), and ``parallel_config(backend="jupyter-coi")`` says why there is no pool.

What the pool cannot give honestly (a ``Process`` of one's own, queues, locks, managers and
shared values, which would need memory and objects shared with the kernel) raises
:class:`NotAvailableError`, which says what works instead. Pyodide's own versions of them
fail anyway, with ``ModuleNotFoundError: _multiprocessing``.

Each module is adjusted as it is imported (:mod:`.imports`), so a kernel whose notebook uses
none of them pays nothing.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from .imports import after_import

# The context methods that would need objects shared with the kernel.
SHARED = (
    "Manager",
    "Pipe",
    "Lock",
    "RLock",
    "Condition",
    "Semaphore",
    "BoundedSemaphore",
    "Event",
    "Barrier",
    "Queue",
    "JoinableQueue",
    "SimpleQueue",
    "RawValue",
    "RawArray",
    "Value",
    "Array",
)

WHAT_WORKS = (
    "In a Pyodide kernel, multiprocessing's workers are Pyodide interpreters in Web Workers, "
    "which share no objects with the kernel. Use multiprocessing.Pool or "
    "concurrent.futures.ProcessPoolExecutor (or joblib.Parallel): their tasks take "
    "arguments and return results."
)


class NotAvailableError(NotImplementedError):
    """A part of ``multiprocessing`` that a Pyodide kernel cannot give."""


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NotAvailableError(f"{what} is not available here. {WHAT_WORKS}")

    refuse.__name__ = what.rsplit(".", 1)[-1]
    return refuse


def _cpu_count(self: Any = None) -> int:
    from jupyter_coi.pool.workers import default_workers

    return default_workers()


def _adjust_context(module: ModuleType) -> None:
    base = module.BaseContext
    base.cpu_count = _cpu_count
    for name in SHARED:
        setattr(base, name, _refuse(f"multiprocessing.{name}"))
    # multiprocessing binds its top-level names to the default context as it is imported; a
    # multiprocessing imported before the set-up is bound again here.
    package = sys.modules.get("multiprocessing")
    default = getattr(module, "_default_context", None)
    if package is not None and default is not None and hasattr(package, "cpu_count"):
        for name in ("cpu_count", *SHARED):
            setattr(package, name, getattr(default, name))


def _adjust_process(module: ModuleType) -> None:
    module.BaseProcess.start = _refuse("multiprocessing.Process.start")


def _adjust_pool(module: ModuleType) -> None:
    from jupyter_coi.pool.mp_pool import Pool

    vars(module)["Pool"] = Pool


def _adjust_futures(module: ModuleType) -> None:
    from jupyter_coi.pool.process_executor import ProcessPoolExecutor

    vars(module)["ProcessPoolExecutor"] = ProcessPoolExecutor
    # concurrent.futures keeps the class once it has been looked up.
    package = sys.modules.get("concurrent.futures")
    if package is not None and "ProcessPoolExecutor" in vars(package):
        vars(package)["ProcessPoolExecutor"] = ProcessPoolExecutor


def _adjust_joblib(module: ModuleType) -> None:
    from jupyter_coi.pool import joblib_backend
    from jupyter_coi.pool.browser import why_not_isolated

    joblib_backend.register(make_default=why_not_isolated() is None)


def install() -> None:
    after_import("multiprocessing.context", _adjust_context)
    after_import("multiprocessing.process", _adjust_process)
    after_import("multiprocessing.pool", _adjust_pool)
    after_import("concurrent.futures.process", _adjust_futures)
    after_import("joblib", _adjust_joblib)
