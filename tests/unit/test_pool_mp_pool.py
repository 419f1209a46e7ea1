"""``multiprocessing.Pool`` on the worker pool (jupyter_coi.pool.mp_pool), here over the
server's process pool, which a Pyodide kernel's set-up makes ``multiprocessing.pool.Pool``:
every call gives what the standard library's Pool gives for the same code (compared side by
side), with callbacks, timeouts, errors, initializer, maxtasksperchild and the pool's life
(close, join, terminate, the context manager). And the kernel's adjustments of
``multiprocessing``, ``concurrent.futures`` and joblib (jupyter_coi.kernel.parallel), in a
fresh interpreter. Real processes throughout; the browser's run is tests/browser/
test_parallel_apis.py."""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import pickle
import subprocess
import sys
import time

import pytest

from jupyter_coi.pool import mp_pool
from support.harness import REPO


def square(x: int) -> int:
    return x * x


def add(a: int, b: int) -> int:
    return a + b


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"three is bad: {x}")
    return x


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


_seed = None


def remember(seed: int) -> None:
    global _seed
    _seed = seed


def seed(_: object = None) -> int | None:
    return _seed


@pytest.fixture(scope="module")
def ours():
    with mp_pool.Pool(2) as pool:
        yield pool


@pytest.fixture(scope="module")
def theirs():
    with multiprocessing.pool.Pool(2) as pool:
        yield pool


@pytest.mark.parametrize("chunksize", [None, 1, 3, 100])
def test_every_call_gives_what_the_standard_pool_gives(ours, theirs, chunksize):
    items = list(range(23))
    pairs = [(i, 10 * i) for i in range(17)]
    for pool in (ours, theirs):
        assert pool.map(square, items, chunksize) == [square(i) for i in items]
        assert pool.starmap(add, pairs, chunksize) == [a + b for a, b in pairs]
        assert list(pool.imap(square, items, chunksize or 1)) == [square(i) for i in items]
        assert sorted(pool.imap_unordered(square, items, chunksize or 1)) == sorted(
            square(i) for i in items
        )
        assert pool.map_async(square, items, chunksize).get(60) == [square(i) for i in items]
        assert pool.starmap_async(add, pairs, chunksize).get(60) == [a + b for a, b in pairs]
    assert ours.map(square, []) == theirs.map(square, []) == []
    assert list(ours.imap(square, [])) == list(theirs.imap(square, [])) == []


def test_apply_and_apply_async(ours, theirs):
    for pool in (ours, theirs):
        assert pool.apply(add, (2, 3)) == 5
        assert pool.apply(add, (), {"a": 1, "b": 2}) == 3
        result = pool.apply_async(square, (7,))
        assert result.get(timeout=60) == 49
        assert result.ready() and result.successful()
        result.wait(1)


def test_callbacks_get_the_results_and_the_errors(ours, theirs):
    for pool in (ours, theirs):
        got: list = []
        errors: list = []
        pool.apply_async(square, (4,), callback=got.append).get(60)
        pool.map_async(square, [1, 2], callback=got.append).get(60)
        failing = pool.map_async(fail_on_three, range(5), error_callback=errors.append)
        failing.wait(60)
        with pytest.raises(ValueError, match="three is bad"):
            failing.get(60)
        assert not failing.successful()
        applied = pool.apply_async(fail_on_three, (3,), error_callback=errors.append)
        with pytest.raises(ValueError, match="three is bad"):
            applied.get(60)
        # The standard library calls back from its result thread: wait for it.
        deadline = time.monotonic() + 10
        while len(errors) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert got == [16, [1, 4]], pool
        assert [str(e) for e in errors] == ["three is bad: 3"] * 2, pool


def test_errors_and_timeouts_raise_what_the_standard_pool_raises(ours, theirs):
    for pool in (ours, theirs):
        with pytest.raises(ValueError, match="three is bad"):
            pool.map(fail_on_three, range(5))
        it = pool.imap(fail_on_three, range(5))
        assert [next(it) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(ValueError, match="three is bad"):
            next(it)
        slow = pool.apply_async(nap, (1.0,))
        with pytest.raises(multiprocessing.TimeoutError):
            slow.get(timeout=0.05)
        with pytest.raises(ValueError, match="not ready"):
            slow.successful()
        assert slow.get(60) == 1.0
        lazy = pool.imap(nap, [1.0])
        with pytest.raises(multiprocessing.TimeoutError):
            lazy.next(timeout=0.05)
        assert lazy.next(timeout=60) == 1.0


def test_the_pools_life_is_the_standard_pools():
    for make in (mp_pool.Pool, multiprocessing.pool.Pool):
        pool = make(2)
        with pytest.raises(ValueError, match="Pool is still running"):
            pool.join()
        pending = pool.map_async(square, range(10))
        pool.close()
        with pytest.raises(ValueError, match="Pool not running"):
            pool.apply_async(square, (1,))
        pool.join()
        assert pending.get(1) == [square(i) for i in range(10)], make
        with make(2) as pool:
            assert pool.map(square, [3]) == [9]
        with pytest.raises(ValueError, match="Pool not running"):
            pool.map(square, [3])
        pool.join()
        with pytest.raises(NotImplementedError, match="cannot be passed between processes"):
            pickle.dumps(pool)


def test_terminate_stops_what_runs():
    pool = mp_pool.Pool(2)
    running = pool.map_async(nap, [30, 30])
    time.sleep(0.5)
    started = time.monotonic()
    pool.terminate()
    pool.join()
    assert time.monotonic() - started < 10
    assert not running.ready() or not running.successful()


def test_what_the_initializer_sets_with_global_stays_for_the_tasks():
    """Both functions go by value (this file is the user's, as a notebook is), and the
    module-level ``_seed = None`` goes with each: the worker keeps its own assignment.
    (``maxtasksperchild`` is tested in the browser: CPython 3.11's ProcessPoolExecutor can
    hang when a worker leaves after its tasks, gh-115634.)"""
    with mp_pool.Pool(2, initializer=remember, initargs=(42,)) as pool:
        assert pool.map(seed, range(8), 1) == [42] * 8


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"processes": 0}, ValueError, "at least 1"),
        ({"processes": "2"}, TypeError, "processes must be an int"),
        ({"processes": 1, "maxtasksperchild": 0}, ValueError, "maxtasksperchild"),
        ({"processes": 1, "initializer": 3}, TypeError, "initializer must be a callable"),
    ],
)
def test_bad_arguments_are_refused_as_the_standard_pool_refuses(kwargs, error, message):
    with pytest.raises(error, match=message):
        mp_pool.Pool(**kwargs)


def test_the_pools_size_and_repr():
    with mp_pool.Pool(3) as pool:
        assert pool._processes == 3
        assert repr(pool) == "<jupyter_coi.pool.mp_pool.Pool state=RUN pool_size=3>"


KERNEL = r"""
import concurrent.futures, sys
from jupyter_coi.kernel import parallel
parallel.install()
import multiprocessing
import multiprocessing.pool
from jupyter_coi.pool.mp_pool import Pool
from jupyter_coi.pool.process_executor import ProcessPoolExecutor
print("pool", multiprocessing.pool.Pool is Pool)
print("context pool", multiprocessing.get_context("spawn").Pool.__func__ is not None)
from concurrent.futures import ProcessPoolExecutor as looked_up
print("executor", looked_up is ProcessPoolExecutor)
import concurrent.futures.process as module
print("module", module.ProcessPoolExecutor is ProcessPoolExecutor)
for make in (multiprocessing.Queue, multiprocessing.Manager, multiprocessing.Lock,
             lambda: multiprocessing.Value("i", 0),
             lambda: multiprocessing.Process(target=print).start()):
    try:
        make()
    except parallel.NotAvailableError as error:
        print("refused", str(error).split(" is not")[0], "| names:",
              "multiprocessing.Pool" in str(error))
"""


def test_a_kernels_multiprocessing_and_process_pool_are_the_pools(tmp_path):
    """In a fresh interpreter, as a kernel's set-up does it, before multiprocessing is
    imported (the Pyodide kernel's case) and after (a kernel that imported it earlier)."""
    for before in ("", "import multiprocessing, concurrent.futures.process\n"):
        script = tmp_path / "kernel.py"
        script.write_text(before + KERNEL)
        out = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            check=True,
        ).stdout
        assert "pool True" in out and "executor True" in out and "module True" in out, out
        refused = [line for line in out.splitlines() if line.startswith("refused")]
        assert refused == [
            "refused multiprocessing.Queue | names: True",
            "refused multiprocessing.Manager | names: True",
            "refused multiprocessing.Lock | names: True",
            "refused multiprocessing.Value | names: True",
            "refused multiprocessing.Process.start | names: True",
        ], out
