"""A ``concurrent.futures`` executor for notebooks, that uses more than one core in the
browser too.

    from jupyter_coi.pool import WorkerPoolExecutor

    with WorkerPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(simulate, range(100)))

In a Pyodide kernel on a cross-origin isolated page (``sys.platform == "emscripten"``), the
workers are Pyodide interpreters in Web Workers, which the kernel waits for on shared memory
(:mod:`.browser`); jupyter-coi's labextension puts this package into every Pyodide kernel it
starts. On a server, the same import gives a process pool (:mod:`.processes`), so that one
notebook runs in both places. Either way each worker is a separate interpreter, like a
process: functions go to it by value, and it shares no Python objects with the kernel.

Importing this module registers the joblib backend ``"jupyter-coi"`` when joblib is there.
"""

from __future__ import annotations

import sys

from . import joblib_backend
from .tasks import WorkerError, WorkerTraceback

if sys.platform == "emscripten":
    from .browser import NotIsolatedError, WorkerPoolExecutor, default_workers
else:
    from .processes import NotIsolatedError, WorkerPoolExecutor, default_workers

joblib_backend.register_if_loaded()

__all__ = [
    "NotIsolatedError",
    "WorkerError",
    "WorkerPoolExecutor",
    "WorkerTraceback",
    "default_workers",
]
