"""What crosses between the kernel and a pool worker (jupyter_coi.pool.tasks), in-process: a
call goes by value and its outcome comes back; an exception comes back with the worker's
traceback as its cause, one that does not pickle as a WorkerError; the user's own modules go
by value, installed ones and jupyter_coi by name."""

from __future__ import annotations

import pickle
import sys
import threading

from jupyter_coi.pool import tasks


def test_a_closure_goes_by_value_and_its_result_comes_back():
    k = 6
    payload = tasks.dumps_call(lambda x, y=1: x * k + y, (7,), {"y": 0})
    assert tasks.unpack(tasks.run_call(payload)) == (True, 42)


def test_an_exception_comes_back_with_the_workers_traceback():
    def fail(x):
        raise KeyError(f"no {x}")

    ok, error = tasks.unpack(tasks.run_call(tasks.dumps_call(fail, ("key",))))
    assert not ok and isinstance(error, KeyError)
    cause = error.__cause__
    assert isinstance(cause, tasks.WorkerTraceback)
    assert "in fail" in cause.text and "KeyError: 'no key'" in cause.text


def test_an_exception_that_does_not_pickle_comes_back_as_a_worker_error():
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("no")

    def fail():
        raise Unpicklable("held a lock")

    ok, error = tasks.unpack(tasks.run_call(tasks.dumps_call(fail)))
    assert not ok and isinstance(error, tasks.WorkerError)
    assert "Unpicklable: held a lock" in str(error)


def test_keyboard_interrupt_in_a_task_is_an_outcome_not_the_workers_end():
    def interrupted():
        raise KeyboardInterrupt

    ok, error = tasks.unpack(tasks.run_call(tasks.dumps_call(interrupted)))
    assert not ok and isinstance(error, KeyboardInterrupt)


def test_a_result_that_does_not_pickle_says_so():
    ok, error = tasks.unpack(tasks.run_call(tasks.dumps_call(threading.Lock)))
    assert not ok and "the result could not be sent back" in str(error.__cause__)


def test_the_users_module_goes_by_value(tmp_path, monkeypatch):
    (tmp_path / "helpers_for_pool_test.py").write_text("def triple(x):\n    return 3 * x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import helpers_for_pool_test

    payload = tasks.dumps_call(helpers_for_pool_test.triple, (5,))
    del sys.modules["helpers_for_pool_test"]
    (tmp_path / "helpers_for_pool_test.py").unlink()
    # The module is gone, as it is from a worker: the function came with the call.
    assert tasks.unpack(tasks.run_call(payload)) == (True, 15)


def test_installed_modules_and_jupyter_coi_go_by_name():
    payload = tasks.dumps_call(pickle.dumps, ())
    assert b"pickle" in payload and len(payload) < 200
    assert len(tasks.dumps_call(tasks.run_chunk, ())) < 200
