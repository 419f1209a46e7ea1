"""How ``jupyter_coi.pool`` gets into every Pyodide kernel, with nothing to install.

The labextension runs one silent cell in each new Pyodide kernel (``labextension/src/
interrupt/controller.ts``); that cell starts with the code rendered here, which writes the
pool package into the kernel's ``site-packages`` (its in-memory file system), records which
packages the kernel loaded before its first cell (the workers skip those, see
``jupyter_coi.pool.browser``), starts loading cloudpickle (which sends functions to the
workers), and makes ``import joblib`` register the ``"jupyter-coi"`` backend. It runs on
every page, isolated or not, so that a pool on a page that is not isolated says why it
cannot start instead of failing to import.

:func:`provide` runs *inside Pyodide*; everything it needs is imported in its body. This
module imports only the standard library; ``labextension/scripts/generate.py`` writes
``labextension/src/pool/kernel-pool.json`` from :func:`render_json`.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

POOL = Path(__file__).resolve().parent / "pool"
STARTUP_PACKAGES = "startup-packages.json"


def package_files() -> dict[str, str]:
    """The files the kernel gets: the pool package, under a ``jupyter_coi`` of its own."""
    files = {"jupyter_coi/__init__.py": '"""jupyter-coi\'s modules in a Pyodide kernel."""\n'}
    for path in sorted(POOL.glob("*.py")):
        if path.name == "processes.py":  # the server's pool
            continue
        files[f"jupyter_coi/pool/{path.name}"] = path.read_text(encoding="utf-8")
    return files


def provide(files, startup_packages):  # pragma: no cover - runs in Pyodide
    import importlib
    import importlib.abc
    import json
    import os
    import sys
    import sysconfig

    site = sysconfig.get_paths()["purelib"]
    if os.path.exists(os.path.join(site, "jupyter_coi", "pool", "__init__.py")):
        return  # a restarted kernel keeps nothing, so this is a second setup of one kernel
    for name, text in files.items():
        path = os.path.join(site, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    try:
        import pyodide_js

        loaded = sorted(pyodide_js.loadedPackages.to_py())
        with open(os.path.join(site, "jupyter_coi", "pool", startup_packages), "w") as out:
            json.dump(loaded, out)
        if "cloudpickle" not in loaded:
            pyodide_js.loadPackage("cloudpickle")  # in the background, while the kernel idles
    except ImportError:
        pass
    importlib.invalidate_caches()

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
                try:
                    from jupyter_coi.pool import joblib_backend

                    joblib_backend.register()
                except Exception as error:
                    import js

                    js.console.warn(
                        f"jupyter-coi | the joblib backend is not registered: {error!r}"
                    )

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
            return spec

    if "joblib" in sys.modules:
        from jupyter_coi.pool import joblib_backend

        joblib_backend.register()
    else:
        sys.meta_path.insert(0, RegisterJoblibBackend())


def render() -> dict:
    """The kernel code: :func:`provide`, then a call with the files, then cleanup."""
    source = inspect.getsource(provide).replace("# pragma: no cover - runs in Pyodide", "").rstrip()
    source = source.replace("def provide(", "def __jupyter_coi_pool__(", 1)
    call = (
        f"try:\n    __jupyter_coi_pool__({package_files()!r}, {STARTUP_PACKAGES!r})\n"
        "except Exception as error:\n"
        "    import js\n"
        "    js.console.warn(f'jupyter-coi | no worker pool in this kernel: {error!r}')\n"
        "    del js\n"
        "finally:\n    del __jupyter_coi_pool__\n"
    )
    return {"code": source + "\n\n\n" + call}


def render_json() -> str:
    return json.dumps(render(), indent=2, sort_keys=True) + "\n"
