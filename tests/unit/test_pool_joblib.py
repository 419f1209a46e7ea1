"""The joblib backend "jupyter-coi" (jupyter_coi.pool.joblib_backend): through
``parallel_config`` and through ``Parallel(backend=...)`` it gives the serial results from
other processes, with lambdas, closures and an interactive ``__main__``'s functions; a task's
exception is raised in the caller; n_jobs=-1 means every worker; a timeout and
``return_as="generator"`` work. Importing the module does not import joblib, and without
joblib the pool imports and registers nothing. Real processes throughout."""

from __future__ import annotations

import os
import time
from pathlib import Path

import joblib
import pytest

from jupyter_coi.pool import default_workers, joblib_backend
from support.main_script import run_as_main

MODULE = Path(joblib_backend.__file__)


def square(i: int) -> int:
    return i * i


def square_and_pid(i: int) -> tuple[int, int]:
    return i * i, os.getpid()


def test_parallel_config_gives_the_serial_results_from_other_processes():
    with joblib.parallel_config(backend="jupyter-coi", n_jobs=2):
        results = joblib.Parallel()(joblib.delayed(square_and_pid)(i) for i in range(10))
    assert [value for value, _ in results] == [square(i) for i in range(10)]
    assert os.getpid() not in {pid for _, pid in results}


def test_the_backend_argument_with_a_lambda_and_a_closure():
    def adder(k):
        return lambda x: x + k

    parallel = joblib.Parallel(n_jobs=2, backend="jupyter-coi")
    assert parallel(joblib.delayed(lambda x: x * x)(i) for i in range(10)) == [
        square(i) for i in range(10)
    ]
    assert parallel(joblib.delayed(adder(5))(i) for i in range(10)) == list(range(5, 15))


def test_what_an_interactive_main_defines_runs_under_spawn():
    result = run_as_main(
        """
        import json, multiprocessing
        import joblib
        import jupyter_coi.pool

        def cube(i):
            return i ** 3

        with joblib.parallel_config(
            backend="jupyter-coi", n_jobs=2, mp_context=multiprocessing.get_context("spawn")
        ):
            print(json.dumps(joblib.Parallel()(joblib.delayed(cube)(i) for i in range(6))))
        """
    )
    assert result == [0, 1, 8, 27, 64, 125]


def test_an_exception_in_a_task_is_raised_in_the_caller():
    def inverse(x):
        return 1 / x

    with pytest.raises(ZeroDivisionError) as caught:
        joblib.Parallel(n_jobs=2, backend="jupyter-coi")(
            joblib.delayed(inverse)(i) for i in range(-3, 4)
        )
    assert "in inverse" in str(caught.value.__cause__)
    # The backend is left working after the abort.
    assert joblib.Parallel(n_jobs=2, backend="jupyter-coi")(
        joblib.delayed(inverse)(i) for i in (1, 2)
    ) == [1.0, 0.5]


def test_n_jobs_minus_one_means_every_worker():
    with joblib.parallel_config(backend="jupyter-coi"):
        assert joblib.effective_n_jobs(-1) == default_workers()
        assert joblib.effective_n_jobs(-2) == max(default_workers() - 1, 1)
    results = joblib.Parallel(n_jobs=-1, backend="jupyter-coi")(
        joblib.delayed(square)(i) for i in range(100)
    )
    assert results == [square(i) for i in range(100)]


def test_one_job_runs_in_the_caller():
    results = joblib.Parallel(n_jobs=1, backend="jupyter-coi")(
        joblib.delayed(square_and_pid)(i) for i in range(3)
    )
    assert results == [(0, os.getpid()), (1, os.getpid()), (4, os.getpid())]


def test_a_parallel_call_inside_a_task_runs_in_its_worker():
    def sum_of_squares(n):
        return sum(joblib.Parallel(n_jobs=2)(joblib.delayed(square)(i) for i in range(n)))

    assert joblib.Parallel(n_jobs=2, backend="jupyter-coi")(
        joblib.delayed(sum_of_squares)(n) for n in range(5)
    ) == [0, 0, 1, 5, 14]


def test_return_as_generator_and_a_timeout():
    outputs = joblib.Parallel(n_jobs=2, backend="jupyter-coi", return_as="generator")(
        joblib.delayed(square)(i) for i in range(10)
    )
    assert not isinstance(outputs, list)
    assert list(outputs) == [square(i) for i in range(10)]

    start = time.monotonic()
    with pytest.raises(TimeoutError):
        joblib.Parallel(n_jobs=2, backend="jupyter-coi", timeout=0.2)(
            joblib.delayed(time.sleep)(s) for s in (0, 0.8)
        )
    assert time.monotonic() - start < 0.6

    with pytest.raises(ValueError, match="generator_unordered"):
        joblib.Parallel(n_jobs=2, backend="jupyter-coi", return_as="generator_unordered")(
            joblib.delayed(square)(i) for i in range(3)
        )


def test_importing_the_module_does_not_import_joblib():
    result = run_as_main(
        f"""
        import importlib.util, json, sys

        spec = importlib.util.spec_from_file_location("joblib_backend", {str(MODULE)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        imported = "joblib" in sys.modules
        module.WorkerPoolBackend
        print(json.dumps([imported, "joblib" in sys.modules]))
        """
    )
    assert result == [False, True]


def test_without_joblib_the_pool_imports_and_registers_nothing():
    # As in a Pyodide kernel that has not loaded joblib: no finder finds it.
    result = run_as_main(
        """
        import importlib.util, json, sys

        class WithoutJoblib:
            def __init__(self, finder):
                self.finder = finder

            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] == "joblib":
                    return None
                return self.finder.find_spec(name, path, target)

            def __getattr__(self, attribute):
                return getattr(self.finder, attribute)

        sys.meta_path[:] = [WithoutJoblib(finder) for finder in sys.meta_path]
        assert importlib.util.find_spec("joblib") is None

        from jupyter_coi.pool import WorkerPoolExecutor, joblib_backend

        joblib_backend.register_if_loaded()
        with WorkerPoolExecutor(1) as pool:
            works = pool.submit(lambda: 6 * 7).result() == 42
        print(json.dumps(["joblib" in sys.modules, works]))
        """
    )
    assert result == [False, True]


def test_with_joblib_importing_the_pool_registers_the_backend():
    result = run_as_main(
        """
        import json, sys
        import jupyter_coi.pool
        from joblib.parallel import BACKENDS

        print(json.dumps(BACKENDS["jupyter-coi"].__name__))
        """
    )
    assert result == "WorkerPoolBackend"


def test_parallel_calls_share_one_pool_until_an_error_aborts_it():
    """As loky does: a pool takes seconds to start in the browser, so joblib's calls keep it."""
    with joblib.parallel_config(backend="jupyter-coi", n_jobs=2):
        first = {
            pid for _, pid in joblib.Parallel()(joblib.delayed(square_and_pid)(i) for i in range(8))
        }
        second = {
            pid for _, pid in joblib.Parallel()(joblib.delayed(square_and_pid)(i) for i in range(8))
        }
        assert second <= first
        kept = joblib_backend._shared["pool"]
        with pytest.raises(ZeroDivisionError):
            joblib.Parallel()(joblib.delayed(lambda x: 1 / x)(i) for i in (1, 0))
        assert joblib_backend._shared.get("pool") is not kept
        assert joblib.Parallel()(joblib.delayed(square)(i) for i in range(4)) == [0, 1, 4, 9]
