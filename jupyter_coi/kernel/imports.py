"""Run code right after a module is imported, for the modules a Pyodide kernel adjusts.

The set-up imports none of them (each would cost every kernel its import time, and most
notebooks use none): one finder at the front of ``sys.meta_path`` waits for their import, and
runs the module's callbacks once it has executed. A module already imported gets them at once.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType

Callback = Callable[[ModuleType], None]


def _run(name: str, module: ModuleType, callbacks: list[Callback]) -> None:
    for callback in callbacks:
        try:
            callback(module)
        except Exception as error:
            message = f"jupyter-coi | adjusting {name} failed: {error!r}"
            try:
                import js
            except ImportError:  # not in Pyodide: the tests'
                print(message, file=sys.stderr)
            else:
                js.console.warn(message)


class _ThenCall(importlib.abc.Loader):
    """Executes a module with its own loader, then runs its callbacks.

    A loader of its own for the one module, not a change to the module's loader: a loader
    may load many modules (one ``zipimporter`` loads Pyodide's whole standard library).
    """

    def __init__(self, name: str, loader: importlib.abc.Loader, callbacks: list[Callback]):
        self.name, self.loader, self.callbacks = name, loader, callbacks

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # The module's own loader from here on (importlib.resources, inspect and linecache
        # ask it for the module's files).
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        _run(self.name, module, self.callbacks)


class AfterImport(importlib.abc.MetaPathFinder):
    """Runs the callbacks of a watched module once it has been imported."""

    def __init__(self) -> None:
        self.watched: dict[str, list[Callback]] = {}

    def find_spec(self, name, path=None, target=None):
        callbacks = self.watched.get(name)
        if callbacks is None:
            return None
        # Out of the way while the other finders look, and for good once the module is found.
        del self.watched[name]
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            self.watched[name] = callbacks
            return spec
        spec.loader = _ThenCall(name, spec.loader, callbacks)
        return spec


def _finder() -> AfterImport:
    for finder in sys.meta_path:
        if isinstance(finder, AfterImport):
            return finder
    finder = AfterImport()
    sys.meta_path.insert(0, finder)
    return finder


def after_import(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` once module ``name`` is imported (at once if it is)."""
    module = sys.modules.get(name)
    if module is not None:
        _run(name, module, [callback])
    else:
        _finder().watched.setdefault(name, []).append(callback)
