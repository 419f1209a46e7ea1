"""``import joblib`` in a Pyodide kernel registers the worker pool's joblib backend.

joblib is not imported by the set-up (it would cost every kernel its import time, and most
notebooks never use it): a finder at the front of ``sys.meta_path`` waits for its import.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys


def _register() -> None:
    try:
        from jupyter_coi.pool import joblib_backend

        joblib_backend.register()
    except Exception as error:
        import js

        js.console.warn(f"jupyter-coi | the joblib backend is not registered: {error!r}")


class RegisterJoblibBackend(importlib.abc.MetaPathFinder):
    """Registers the pool's joblib backend once joblib has been imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "joblib":
            return None
        # Out of the way while the other finders look (and for good once joblib is found:
        # a find_spec with no joblib yet, as the pool's own check makes, keeps it).
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            sys.meta_path.insert(0, self)
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _register()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    if "joblib" in sys.modules:
        _register()
    elif not any(isinstance(f, RegisterJoblibBackend) for f in sys.meta_path):
        sys.meta_path.insert(0, RegisterJoblibBackend())
