"""The worker pool on a server (jupyter_coi.pool.processes): a ProcessPoolExecutor whose calls
go by value. Its results equal serial ones whatever the chunk size; lambdas, closures, and
the functions, classes and exceptions of an interactive ``__main__`` (a notebook's, which no
worker can import) work under "spawn" and "forkserver", where the standard pool fails; an
exception comes back with the worker's traceback as its cause; and waiting, cancelling and
timeouts are ProcessPoolExecutor's. Real processes throughout."""

from __future__ import annotations

import concurrent.futures
import os
import time

import pytest

from jupyter_coi.pool import WorkerError, WorkerPoolExecutor, default_workers, processes
from support.main_script import run_as_main


@pytest.fixture(scope="module")
def pool():
    with WorkerPoolExecutor(max_workers=2) as pool:
        yield pool


def collatz_steps(n: int) -> int:
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def divide(a: float, b: float) -> float:
    return a / b


def test_default_workers_is_what_max_workers_none_gives():
    assert default_workers() >= 1
    assert processes.default_workers is default_workers
    with WorkerPoolExecutor() as pool:
        assert pool._max_workers == default_workers()


@pytest.mark.parametrize("chunksize", [1, 7])
def test_map_gives_the_serial_results(pool, chunksize):
    numbers = range(1, 60)
    assert list(pool.map(collatz_steps, numbers, chunksize=chunksize)) == [
        collatz_steps(n) for n in numbers
    ]
    assert list(pool.map(pow, range(10), range(10), chunksize=chunksize)) == [
        n**n for n in range(10)
    ]


def test_lambdas_and_closures_run_in_the_workers(pool):
    def adder(k):
        return lambda x: x + k

    assert pool.submit(lambda x, y=1: x * y, 6, y=7).result() == 42
    assert list(pool.map(adder(100), range(5))) == [100, 101, 102, 103, 104]
    assert pool.submit(os.getpid).result() != os.getpid()


def test_a_result_and_an_exception_of_a_class_defined_in_the_notebook_come_back_as_it(pool):
    class Reading:
        def __init__(self, value):
            self.value = value

    class OutOfRange(ValueError):
        pass

    def read(value):
        if value < 0:
            raise OutOfRange(f"{value} is below zero")
        return Reading(value)

    reading = pool.submit(read, 3).result()
    assert type(reading) is Reading and reading.value == 3
    with pytest.raises(OutOfRange, match="-1 is below zero"):
        pool.submit(read, -1).result()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_what_an_interactive_main_defines_runs_under(method):
    result = run_as_main(
        f"""
        import concurrent.futures, json, multiprocessing
        from dataclasses import dataclass
        from jupyter_coi.pool import WorkerPoolExecutor

        @dataclass
        class Square:
            side: int
            area: int

        class NotASide(Exception):
            pass

        def square(side):
            if side < 0:
                raise NotASide(side)
            return Square(side, side * side)

        context = multiprocessing.get_context({method!r})
        try:
            with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as standard:
                standard.submit(square, 2).result()
            standard_failed = None
        except Exception as error:
            standard_failed = type(error).__name__
        with WorkerPoolExecutor(2, mp_context=context) as pool:
            squares = list(pool.map(square, range(5)))
            try:
                pool.submit(square, -1).result()
            except NotASide as error:
                caught = [error.args[0], "in square" in str(error.__cause__)]
        print(json.dumps({{
            "standard_failed": standard_failed,
            "areas": [s.area for s in squares],
            "same_class": all(type(s) is Square for s in squares),
            "caught": caught,
        }}))
        """
    )
    assert result["standard_failed"]
    assert result == {
        "standard_failed": result["standard_failed"],
        "areas": [0, 1, 4, 9, 16],
        "same_class": True,
        "caught": [-1, True],
    }


def test_an_exception_comes_back_with_the_workers_traceback_as_its_cause(pool):
    with pytest.raises(ZeroDivisionError) as caught:
        pool.submit(divide, 1, 0).result()
    cause = caught.value.__cause__
    assert cause is not None
    assert "Traceback (most recent call last)" in str(cause)
    # cloudpickle names the file of a function it sends by value "<dynamic-code>", so the
    # worker's traceback has the function's name and line but not its source.
    assert "in divide" in str(cause)
    assert "ZeroDivisionError: division by zero" in str(cause)
    assert isinstance(pool.submit(divide, 1, 0).exception(), ZeroDivisionError)


def test_wait_and_as_completed_see_the_fast_task_first(pool):
    slow = pool.submit(time.sleep, 0.6)
    fast = pool.submit(divide, 1, 4)
    done, not_done = concurrent.futures.wait([slow, fast], return_when="FIRST_COMPLETED")
    assert done == {fast} and not_done == {slow}
    assert [f.result() for f in concurrent.futures.as_completed([slow, fast])] == [0.25, None]
    assert concurrent.futures.wait([slow, fast]).not_done == set()


def test_shutdown_with_cancel_futures_cancels_what_has_not_started():
    pool = WorkerPoolExecutor(max_workers=1)
    futures = [pool.submit(time.sleep, 0.3) for _ in range(6)]
    started = time.monotonic()
    pool.shutdown(wait=True, cancel_futures=True)
    assert time.monotonic() - started < 6 * 0.3
    assert futures[0].result() is None
    # ProcessPoolExecutor has already queued a call or two beyond the running one (how many
    # depends on the Python version): those run, the rest are cancelled.
    assert futures[-1].cancelled()
    assert all(f.cancelled() or f.result() is None for f in futures)
    with pytest.raises(RuntimeError):
        pool.submit(divide, 1, 1)


def test_map_with_a_timeout_raises_timeout_error_for_a_slow_task():
    with WorkerPoolExecutor(max_workers=1) as pool:
        results = pool.map(time.sleep, [0.8], timeout=0.1)
        start = time.monotonic()
        with pytest.raises(concurrent.futures.TimeoutError):
            list(results)
        assert time.monotonic() - start < 0.6


def test_the_initializer_goes_by_value_too():
    with WorkerPoolExecutor(1, initializer=lambda: os.environ.update(POOL_STARTED="yes")) as pool:
        assert pool.submit(lambda: os.environ.get("POOL_STARTED")).result() == "yes"


class NeedsTwo(Exception):
    """Its own __init__: it pickles, but unpickling calls NeedsTwo(message) and fails."""

    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


class Fragile:
    """Pickles, and fails to unpickle."""

    def __reduce__(self):
        return (Fragile._refuse, ())

    @staticmethod
    def _refuse():
        raise RuntimeError("cannot be rebuilt")


def raise_needs_two(x):
    raise NeedsTwo(x, x + 1)


def fragile(x):
    return Fragile()


@pytest.mark.parametrize(
    "fn, says",
    [
        (raise_needs_two, "NeedsTwo: 1 and 2"),
        (fragile, "could not be sent back"),
    ],
    ids=["an exception that does not unpickle", "a result that does not unpickle"],
)
def test_an_outcome_that_does_not_round_trip_fails_its_future_only(fn, says):
    """It broke the whole pool ('a process terminated abruptly'), and every later submit."""
    with WorkerPoolExecutor(max_workers=1) as pool:
        with pytest.raises(WorkerError, match=says):
            pool.submit(fn, 1).result(timeout=60)
        assert pool.submit(divide, 6, 3).result(timeout=60) == 2
