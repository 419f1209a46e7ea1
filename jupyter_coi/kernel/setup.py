"""The set-up of a Pyodide kernel, awaited before the kernel runs any code of the user's.

The page learns how it went from one message that the kernel's worker posts (``MESSAGE_KEY``):
``{"nonce": ..., "buffer": SharedArrayBuffer}`` when the interrupt buffer is in place, or
``{"nonce": ..., "error": why}``. Everything else the set-up gives (the pool's package,
cloudpickle, the joblib hook) the first cell can see for itself.
"""

from __future__ import annotations

import json
import os
from typing import Any

from . import history, interrupt, parallel

# What the set-up posts to the page, under this key, from the kernel's worker.
MESSAGE_KEY = "jupyter-coi:kernel"


def _post(nonce: str, **fields: Any) -> None:
    import js
    from pyodide.ffi import to_js

    message = {MESSAGE_KEY: {"nonce": nonce, **fields}}
    js.postMessage(to_js(message, dict_converter=js.Object.fromEntries))


def _record_startup_packages() -> list[str]:
    """The packages loaded before the user's first cell: the kernel's own machinery, which the
    pool's workers do not need to load (``jupyter_coi.pool.workers``)."""
    import pyodide_js

    from jupyter_coi.pool.workers import STARTUP_PACKAGES

    loaded = sorted(pyodide_js.loadedPackages.to_py())
    pool = os.path.join(os.path.dirname(os.path.dirname(__file__)), "pool")
    with open(os.path.join(pool, STARTUP_PACKAGES), "w", encoding="utf-8") as out:
        json.dump(loaded, out)
    return loaded


async def setup(nonce: str, pool: dict[str, Any] | None = None) -> None:
    """Each part on its own: one that fails is said in the browser's console (or, for the
    interrupt buffer, to the page), and the others are still given.

    ``pool`` holds the page's pool settings that the kernel acts on: ``prestartWorkers``."""
    import js
    from IPython import get_ipython

    shell = get_ipython()
    try:
        try:
            _post(nonce, buffer=interrupt.install(shell))
        except interrupt.NoInterruptBuffer as why:
            _post(nonce, error=str(why))
        except Exception as error:
            _post(nonce, error=f"installing the interrupt buffer failed: {error!r}")
        try:
            loaded = _record_startup_packages()
            parallel.install()
            # A pool can start only on an isolated page, and it sends functions with
            # cloudpickle: loaded here, so that a first cell that makes a pool has it.
            if getattr(js, "crossOriginIsolated", False) and "cloudpickle" not in loaded:
                import pyodide_js

                await pyodide_js.loadPackage("cloudpickle", messageCallback=lambda _: None)
            if getattr(js, "crossOriginIsolated", False):
                from jupyter_coi.pool.workers import prestart

                prestart((pool or {}).get("prestartWorkers", 0))
        except Exception as error:
            js.console.warn(f"jupyter-coi | the worker pool's set-up failed: {error!r}")
    finally:
        if shell is not None:
            history.forget_this_cell(shell)
