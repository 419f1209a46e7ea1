"""What travels to a worker and back: a call, sent by value, and its outcome.

Both kinds of pool use these, so that a notebook behaves the same on a server and in the
browser: the function goes by value (cloudpickle), as do the modules the user wrote (a
worker has the same packages as the kernel, but not the kernel's files); an exception comes
back with the worker's traceback as text, as ``ProcessPoolExecutor`` does.

This module runs in the kernel, in every worker, and on a server: it imports only the
standard library and cloudpickle.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Any

PROTOCOL = pickle.HIGHEST_PROTOCOL


class WorkerTraceback(Exception):
    """The traceback of an exception raised in a worker, as text: the ``__cause__`` of the
    exception that ``Future.result()`` re-raises in the kernel."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


class WorkerError(Exception):
    """An exception raised in a worker that could not be sent back as itself (it does not
    pickle); its type and message, and the traceback as the cause."""


def _installed_roots() -> tuple[str, ...]:
    # Imported here: only the kernel asks, and a worker starts sooner without it.
    import sysconfig

    paths = sysconfig.get_paths()
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, paths["stdlib"], paths["purelib"]}
    roots.update(paths.get(k, "") for k in ("platlib", "platstdlib"))
    return tuple(os.path.realpath(r) + os.sep for r in roots if r)


_by_value: set[str] = set()
_modules_seen = 0


def _register_users_modules() -> None:
    """Send the user's own modules (files next to the notebook, not installed packages) by
    value: a worker imports installed packages itself but does not have the kernel's files."""
    global _modules_seen
    if len(sys.modules) == _modules_seen:  # the common case, for every task of a map
        return
    _modules_seen = len(sys.modules)
    roots = _installed_roots()
    # The user's files are where the kernel runs (the notebook's folder; in JupyterLite, the
    # file browser's drive): a package installed in development mode elsewhere is not.
    here: tuple[str, ...] = (os.path.realpath(os.getcwd()) + os.sep,)
    if sys.platform == "emscripten":
        here += ("/drive/", "/home/pyodide/")
    for name, module in list(sys.modules.items()):
        if name in _by_value or name == "__main__" or name.split(".")[0] == "jupyter_coi":
            continue
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        real = os.path.realpath(path)
        if not real.startswith(here) or real.startswith(roots):
            continue
        if "site-packages" in real or "dist-packages" in real:
            continue
        _by_value.add(name)
        if "." in name:  # cloudpickle registers top-level modules (and their submodules)
            continue
        import cloudpickle

        with contextlib.suppress(ValueError, TypeError):
            cloudpickle.register_pickle_by_value(module)


# In a worker: the globals of each module whose functions came by value (the notebook's
# ``__main__``, the user's own files), kept for the worker's life. cloudpickle gives each
# unpickled function a fresh globals dict, so what an initializer or a task assigns with
# ``global`` would be gone by the next task; kept here, it stays, as in a process whose
# modules stay imported. Each call still brings the kernel's values of the names its function
# uses: they replace what the kernel sent before, but not what the worker itself assigned
# (``model = None`` in the notebook, ``global model; model = load()`` in the initializer).
_module_globals: dict[str, dict] = {}
_received: dict[str, dict] = {}


def keep_module_globals() -> None:
    """Make this interpreter keep the globals of by-value modules (call it in workers)."""
    import cloudpickle.cloudpickle as cp  # type: ignore[import-untyped]

    if getattr(cp._make_function, "keeps_module_globals", False):
        return
    make, set_state = cp._make_function, cp._function_setstate

    def _make_function(code, globals, name, argdefs, closure):
        module = globals.get("__name__")
        if isinstance(module, str):
            kept = _module_globals.setdefault(module, {})
            kept.update(globals)
            globals = kept
        return make(code, globals, name, argdefs, closure)

    def _function_setstate(obj, state):
        module = obj.__globals__.get("__name__")
        kept = _module_globals.get(module) if isinstance(module, str) else None
        if kept is not None and kept is obj.__globals__:
            received = _received.setdefault(module, {})
            incoming = state[1]["__globals__"]
            for name in list(incoming):
                if name in kept and (name not in received or kept[name] is not received[name]):
                    del incoming[name]  # the worker assigned it
                else:
                    received[name] = incoming[name]
        set_state(obj, state)

    _make_function.keeps_module_globals = True  # type: ignore[attr-defined]
    # pickle finds them by these names in every load, and a pickle made here names them so.
    for name, replacement in (
        ("_make_function", _make_function),
        ("_function_setstate", _function_setstate),
    ):
        replacement.__module__, replacement.__qualname__ = cp.__name__, name
        setattr(cp, name, replacement)


def dumps(value: Any) -> bytes:
    # Imported here: in a Pyodide kernel, cloudpickle may still be loading when this module is
    # imported (jupyter-coi asks for it as the kernel starts).
    import cloudpickle

    _register_users_modules()
    return cloudpickle.dumps(value, protocol=PROTOCOL)


def loads(data: bytes | bytearray | memoryview) -> Any:
    return pickle.loads(data)


def dumps_call(fn: Callable, args: tuple = (), kwargs: dict | None = None) -> bytes:
    """A call as bytes, the function by value."""
    return dumps((fn, tuple(args), dict(kwargs or {})))


def run_chunk(fn: Callable, chunk: Iterable[tuple]) -> list:
    """``map``'s unit of work: ``fn`` over a chunk of argument tuples, in one task."""
    return [fn(*args) for args in chunk]


def run_call(payload: bytes | bytearray | memoryview) -> bytes:
    """Run a call made by :func:`dumps_call`; its outcome as bytes, for :func:`unpack`.

    Never raises for what the call does: a ``KeyboardInterrupt`` or ``SystemExit`` in the
    call is an outcome too, so that a worker outlives the tasks it runs.
    """
    try:
        fn, args, kwargs = loads(payload)
        value = fn(*args, **kwargs)
    except BaseException as error:  # every failure goes back to the kernel
        return _failure(error)
    try:
        return dumps(("ok", value))
    except BaseException as error:
        return _failure(error, note="the result could not be sent back")


def _failure(error: BaseException, note: str | None = None) -> bytes:
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if note:
        text += f"({note})\n"
    try:
        return dumps(("error", error, text))
    except BaseException:  # an exception that does not pickle
        substitute = WorkerError(f"{type(error).__qualname__}: {error}")
        return dumps(("error", substitute, text))


def unpack(data: bytes | bytearray | memoryview) -> tuple[bool, Any]:
    """``(True, value)``, or ``(False, exception)`` with the worker's traceback as its cause."""
    try:
        kind, *rest = loads(data)
    except Exception as error:  # a result whose classes this interpreter cannot import
        return False, error
    if kind == "ok":
        return True, rest[0]
    raised, text = rest
    raised.__cause__ = WorkerTraceback(text)
    return False, raised
