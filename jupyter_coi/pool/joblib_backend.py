"""The joblib backend ``"jupyter-coi"``: joblib's batches run on a :class:`WorkerPoolExecutor`.

    import joblib

    with joblib.parallel_config(backend="jupyter-coi", n_jobs=-1):
        results = joblib.Parallel()(joblib.delayed(simulate)(seed) for seed in range(100))

In the browser the workers are the Pyodide interpreters of the browser's pool, on a server
they are processes, as :mod:`jupyter_coi.pool` chooses. Importing ``jupyter_coi.pool``
registers the backend when joblib can be imported; in a Pyodide kernel, importing joblib
registers it, as joblib's default backend on an isolated page (``jupyter_coi.kernel.parallel``).

Importing this module does not import joblib: a Pyodide kernel has joblib only if it loaded
it, and ``jupyter_coi.pool`` must import without it. The backend class is made, and joblib
imported, when :func:`register` runs or ``WorkerPoolBackend`` is first looked up.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable
from typing import Any

BACKEND = "jupyter-coi"


def register(make_default: bool = False) -> None:
    """Register the backend with joblib, as ``"jupyter-coi"``; with ``make_default``, as
    joblib's default backend too (a Pyodide kernel's set-up does so on an isolated page)."""
    _joblib("joblib").register_parallel_backend(
        BACKEND, _backend_class(), make_default=make_default
    )


def register_if_loaded() -> None:
    """Register the backend if joblib is there; do nothing (and raise nothing) if it is not."""
    try:
        if "joblib" in sys.modules or importlib.util.find_spec("joblib") is not None:
            register()
    except ImportError:
        pass


def __getattr__(name: str) -> Any:
    if name == "WorkerPoolBackend":
        return _backend_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _PendingBatch:
    """A submitted batch as joblib before 1.5 waits for it: with ``get(timeout)``."""

    def __init__(self, future: Any, retrieve: Callable[[Any, float | None], Any]) -> None:
        self.future = future
        self._retrieve = retrieve

    def get(self, timeout: float | None = None) -> Any:
        return self._retrieve(self.future, timeout)


# On a server, the pool that joblib's calls share, as joblib's default backend (loky) shares
# its processes: made by the first call that needs it, kept by the next calls with the same
# size and options, replaced when they differ, shut down when joblib aborts (an error, a
# timeout, an interrupt). In the browser each call has a pool of its own, shut down when the
# call ends: its workers wait in the kernel's reserve, and the next pool, joblib's or another,
# takes them back at once.
_shared: dict[str, Any] = {}
_IN_BROWSER = sys.platform == "emscripten"


def _reusable_pool(workers: int, options: dict) -> Any:
    from . import WorkerPoolExecutor

    if _IN_BROWSER:
        return WorkerPoolExecutor(max_workers=workers, **options)

    key = (workers, tuple(sorted(options.items())))
    pool = _shared.get("pool")
    # Shut down or broken: the browser's pool and ProcessPoolExecutor name these differently.
    done = any(getattr(pool, name, False) for name in ("_shutdown", "_shutdown_thread", "_broken"))
    if pool is not None and (_shared.get("key") != key or done):
        _shared.clear()
        pool.shutdown(wait=True)
        pool = None
    if pool is None:
        pool = WorkerPoolExecutor(max_workers=workers, **options)
        _shared.update(pool=pool, key=key)
    return pool


def _forget_pool(pool: Any) -> None:
    if _shared.get("pool") is pool:
        _shared.clear()


def _joblib(module: str) -> Any:
    # By name, so that type checking needs neither joblib (an optional dependency) nor its
    # types (it ships none).
    return importlib.import_module(module)


@functools.cache
def _backend_class() -> type:
    import concurrent.futures

    # What joblib's own backends are built from; joblib 1.3 to 1.6 (Pyodide has 1.5.3) have
    # these, and 1.5.3's _parallel_backends module is 1.6.0's.
    backends = _joblib("joblib._parallel_backends")
    AutoBatchingMixin: Any = backends.AutoBatchingMixin
    ParallelBackendBase: Any = backends.ParallelBackendBase
    FallbackToBackend = backends.FallbackToBackend
    SequentialBackend = backends.SequentialBackend

    class WorkerPoolBackend(AutoBatchingMixin, ParallelBackendBase):
        """Runs joblib's batches of tasks on a ``jupyter_coi.pool.WorkerPoolExecutor``.

        Keyword arguments given with the backend's name, as in
        ``parallel_config(backend="jupyter-coi", max_tasks_per_child=10)``, go to the
        executor.

        joblib waits for a backend in one of two ways. With ``supports_retrieve_callback``,
        its loop only looks at state that a callback from another thread sets, and sleeps;
        nothing in that loop touches the future, so in the browser, where no other thread
        exists and the pool makes progress only inside the kernel's calls to ``done()`` or
        ``result()``, it would sleep for ever. Without it, as here, joblib (1.5.3 and 1.6.0
        alike) takes each job in turn and calls :meth:`retrieve_result`, which blocks in
        ``future.result(timeout)`` (before 1.5, ``get(timeout)`` on what :meth:`apply_async`
        returned); the done-callback that :meth:`submit` adds still tells
        joblib that a batch is finished, so that it counts it and dispatches the next one (in
        the browser the callback runs inside that ``result()`` call, in the kernel's thread;
        on a server, in the executor's thread).
        """

        supports_retrieve_callback = False
        # retrieve_result waits with the timeout joblib gives it.
        supports_timeout = True
        # joblib keeps each job until it has retrieved it, in order; "generator_unordered"
        # would need the callback retrieval (see configure).
        supports_return_generator = True
        uses_threads = False
        supports_sharedmem = False
        # n_jobs=None stays joblib's "1 unless parallel_config says otherwise".
        default_n_jobs = 1

        def __init__(
            self,
            nesting_level: int | None = None,
            inner_max_num_threads: int | None = None,
            **executor_options: Any,
        ) -> None:
            # Kept here, not in joblib's backend_kwargs: joblib before 1.5 takes no others.
            super().__init__(
                nesting_level=nesting_level, inner_max_num_threads=inner_max_num_threads
            )
            self._executor_options = executor_options
            self._pool: Any = None
            self._pool_size = 0

        def effective_n_jobs(self, n_jobs: int | None) -> int:
            if n_jobs == 0:
                raise ValueError("n_jobs == 0 in Parallel has no meaning")
            if n_jobs is None:
                return 1
            if n_jobs < 0:
                from . import default_workers

                return max(default_workers() + 1 + n_jobs, 1)
            return n_jobs

        def configure(
            self, n_jobs: int | None = 1, parallel: Any = None, **joblib_options: Any
        ) -> int:
            # joblib_options are joblib's own (prefer, require, max_nbytes, a
            # multiprocessing context...): none of them applies to this pool.
            workers = self.effective_n_jobs(n_jobs)
            if workers == 1:
                raise FallbackToBackend(SequentialBackend(nesting_level=self.nesting_level))
            if getattr(parallel, "return_as", None) == "generator_unordered":
                raise ValueError(
                    f"The {BACKEND!r} joblib backend does not support "
                    "return_as='generator_unordered'; use 'generator' or 'list'."
                )
            self._pool = _reusable_pool(workers, self._executor_options)
            self._pool_size = workers
            self.parallel = parallel
            return workers

        def submit(self, func: Any, callback: Any = None) -> concurrent.futures.Future:
            future = self._pool.submit(func)
            if callback is not None:
                future.add_done_callback(callback)
            return future

        def apply_async(self, func: Any, callback: Any = None) -> _PendingBatch:
            # What joblib before 1.5 calls instead of submit.
            return _PendingBatch(self.submit(func, callback), self.retrieve_result)

        def retrieve_result(
            self, out: concurrent.futures.Future, timeout: float | None = None
        ) -> Any:
            try:
                return out.result(timeout=timeout)
            except concurrent.futures.TimeoutError:
                # Before Python 3.11 the executor's TimeoutError is not the built-in one,
                # which is what joblib raises for a timeout.
                raise TimeoutError(f"a batch of tasks took longer than {timeout} s") from None

        def terminate(self) -> None:
            # On a server the pool stays for the next Parallel call (see _reusable_pool); in
            # the browser its workers go to the kernel's reserve.
            if _IN_BROWSER:
                self._shut_down(wait=True, cancel_futures=False)
            self._pool = None
            self.reset_batch_stats()

        def abort_everything(self, ensure_ready: bool = True) -> None:
            # joblib aborts to raise a task's error (or a timeout, or an interrupt) at once:
            # waiting for the tasks still running would only delay it.
            self._shut_down(wait=False, cancel_futures=True)
            self.reset_batch_stats()
            if ensure_ready:
                self.configure(n_jobs=self.parallel.n_jobs, parallel=self.parallel)

        def get_nested_backend(self) -> tuple[Any, None]:
            # A Parallel call inside a task runs in a worker, which has no threads in the
            # browser (joblib's default for nesting is its threading backend), and whose
            # siblings already keep every core busy.
            level = (self.nesting_level or 0) + 1
            return SequentialBackend(nesting_level=level), None

        def _shut_down(self, wait: bool, cancel_futures: bool) -> None:
            pool, self._pool = self._pool, None
            if pool is not None:
                _forget_pool(pool)
                pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    # Found by pickle (and shown in reprs) as this module's attribute, see __getattr__.
    WorkerPoolBackend.__qualname__ = "WorkerPoolBackend"
    return WorkerPoolBackend
