"""``concurrent.futures.ProcessPoolExecutor`` on the worker pool, for Pyodide kernels.

Pyodide's ``ProcessPoolExecutor`` refuses to start (its Python lacks
``multiprocessing.synchronize``). In a Pyodide kernel, jupyter-coi's set-up puts this class in
its place, so that ``from concurrent.futures import ProcessPoolExecutor`` gives a pool whose
workers are Pyodide interpreters in Web Workers (:class:`.browser.WorkerPoolExecutor`),
separate interpreters as processes are. It takes the standard library's arguments;
``mp_context`` is accepted and has nothing to choose, since there is one kind of worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .browser import WorkerPoolExecutor


class ProcessPoolExecutor(WorkerPoolExecutor):
    """``concurrent.futures.ProcessPoolExecutor``, with Pyodide interpreters for processes."""

    def __init__(
        self,
        max_workers: int | None = None,
        mp_context: Any = None,
        initializer: Callable | None = None,
        initargs: tuple = (),
        *,
        max_tasks_per_child: int | None = None,
    ) -> None:
        super().__init__(
            max_workers, initializer, initargs, max_tasks_per_child=max_tasks_per_child
        )

    # Python 3.14's names for stopping the workers at once.
    def terminate_workers(self) -> None:
        self.terminate()

    def kill_workers(self) -> None:
        self.terminate()
