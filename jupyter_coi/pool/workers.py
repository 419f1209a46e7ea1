"""The kernel's pool workers: its record of each, the page's messages that start and stop
them, and the reserve of idle workers that outlive their pool.

A worker is a Pyodide interpreter in a Web Worker that the page starts when the kernel asks
(a worker that the kernel's own Web Worker started would never run while a cell blocks it).
Starting one costs a second or more, most of it Python's own start-up, so a pool that shuts
down hands its idle workers to the kernel's reserve, and the kernel's next pool takes them
back at once, as loky's reusable executor keeps its processes. The reserve is bounded
(:func:`most_parked`), and the page stops a worker that has waited longer than its idle time
(a setting of the page, ``idleWorkerSeconds``) and every worker when the kernel restarts.
A worker still starting is parked too, so that the next pool has it sooner. A parked
worker's ``reserve`` slot says ``parked``; the kernel takes it back, and the page's idle
timer retires it, each with a compare-and-exchange on that slot, so that exactly one wins.

Only a worker that ran nothing but tasks is parked: one that ran a pool's ``initializer``
keeps what it set up, which the next pool did not ask for.
"""

from __future__ import annotations

import enum
import functools
import importlib
import itertools
import json
import time
from collections import deque
from pathlib import Path
from typing import Any

from .drive import js, shared_doorbell
from .mailbox import MESSAGE_KEY, RESERVE, STATES, Mailbox

# Each worker costs a Pyodide (tens of MB; docs/how-to/worker-pool.md has the figures) and a
# second or more to start: more than 8 rarely pays on a laptop, and a page has one memory
# budget for all.
MOST_WORKERS_BY_DEFAULT = 8
# What a page is let hold, whatever a pool asks for: beyond it, `max_workers` is capped.
MOST_WORKERS = 16

# What every worker needs, pure Python, that the kernel has: sent to each worker as files,
# which it writes in a millisecond, where loading the package takes a tenth of a second.
SHIPPED = ("cloudpickle",)

# Written by the kernel's set-up (jupyter_coi/kernel/setup.py): the packages loaded before it.
STARTUP_PACKAGES = "startup-packages.json"


class State(enum.Enum):
    STARTING = "starting"  # asked of the page; its interpreter loads
    IDLE = "idle"
    BUSY = "busy"  # running a task, or the pool's initializer
    STOPPING = "stopping"  # interrupted; replaced if it does not stop in time
    FAILED = "failed"


class Worker:
    """The kernel's record of one pool worker."""

    def __init__(self, number: int, packages: frozenset[str]) -> None:
        self.number = number
        self.mailbox = Mailbox("kernel")
        self.state = State.STARTING
        self.future: Any = None
        self.since = time.monotonic()
        self.reason = ""
        self.packages = packages
        # Tasks run, for max_tasks_per_child; whether it ran an initializer (then it is not
        # parked).
        self.tasks = 0
        self.initialized = False
        self.initializing = False

    def __repr__(self) -> str:
        return f"<pool worker {self.number} {self.state.value}>"


_numbers = itertools.count(1)
_parked: deque[Worker] = deque()


def default_workers() -> int:
    """``navigator.hardwareConcurrency``, at most ``MOST_WORKERS_BY_DEFAULT``, at least 1."""
    cores = getattr(getattr(js(), "navigator", None), "hardwareConcurrency", None) or 1
    return max(1, min(int(cores), MOST_WORKERS_BY_DEFAULT))


def most_parked() -> int:
    """How many idle workers the reserve keeps: as many as a default pool has."""
    return default_workers()


def post(message: dict) -> None:
    from pyodide.ffi import to_js

    window = js()
    window.postMessage(to_js({MESSAGE_KEY: message}, dict_converter=window.Object.fromEntries))


def start(count: int, config: dict) -> list[Worker]:
    """Ask the page for ``count`` new workers, which load ``config["packages"]``."""
    if count <= 0:
        return []
    packages = frozenset(config["packages"])
    started = [Worker(next(_numbers), packages) for _ in range(count)]
    post(
        {
            "op": "start",
            "doorbell": shared_doorbell().buffer,
            "workers": [{"number": w.number, "mailbox": w.mailbox.buffer} for w in started],
            **config,
        }
    )
    return started


def stop(workers: list[Worker]) -> None:
    if workers:
        post({"op": "stop", "workers": [w.number for w in workers]})


def take(count: int, packages: frozenset[str]) -> list[Worker]:
    """Up to ``count`` parked workers, now the caller's; the most recently parked first (its
    engine is the warmest). A parked worker that lacks some of ``packages`` (the kernel loaded
    more since it started) is asked to load them, and is starting again until it has."""
    taken: list[Worker] = []
    failed: list[Worker] = []
    while _parked and len(taken) < count:
        worker = _parked.pop()
        if not worker.mailbox.swap("reserve", RESERVE["parked"], RESERVE["in_use"]):
            continue  # the page retired it: its Web Worker is gone
        state = worker.mailbox.slot("state")
        if state == STATES["failed"]:
            failed.append(worker)
            continue
        worker.state = State.IDLE if state == STATES["ready"] else State.STARTING
        worker.since = time.monotonic()
        if not packages <= worker.packages:
            _load(worker, packages)
        taken.append(worker)
    stop(failed)
    return taken


def _load(worker: Worker, packages: frozenset[str]) -> None:
    """Have ``worker`` load what it lacks of ``packages``; it says ``ready`` again once it
    has (:func:`.worker.serve`)."""
    from .worker import LOAD

    worker.mailbox.store("state", STATES["started"])
    worker.mailbox.send(LOAD + json.dumps(sorted(packages - worker.packages)).encode())
    worker.packages = packages
    worker.state = State.STARTING


def release(workers: list[Worker]) -> None:
    """The pool is done with ``workers``: park the idle, clean ones the reserve has room for,
    stop the others."""
    parked: list[Worker] = []
    stopped: list[Worker] = []
    for worker in workers:
        fit = worker.state in (State.IDLE, State.STARTING) and not worker.initialized
        if fit and len(_parked) < most_parked():
            worker.future = None
            worker.mailbox.store("reserve", RESERVE["parked"])
            _parked.append(worker)
            parked.append(worker)
        else:
            stopped.append(worker)
    stop(stopped)
    if parked:
        post({"op": "park", "workers": [w.number for w in parked]})


def prestart(count: Any) -> list[Worker]:
    """Start up to ``count`` workers into the reserve, before any pool asks (the page setting
    ``prestartWorkers``): the kernel's first pool then finds them running, or nearly. At most
    :func:`most_parked`; the page's idle timer leaves this many workers running."""
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        return []
    started = start(min(count, most_parked()), spawn_config())
    release(started)
    return started


def spawn_config() -> dict:
    """What a new worker needs: where Pyodide is, the packages to load, and the files to write
    (``sources``, path under ``site-packages`` -> text)."""
    sources = _shipped_sources()
    shipped = {path.split("/", 1)[0] for path in sources}
    return {**_pyodide_config(), "packages": _kernel_packages(shipped), "sources": sources}


@functools.cache
def _shipped_sources() -> dict[str, str]:
    """The files of the packages in ``SHIPPED`` that the kernel has."""
    out = {}
    for name in SHIPPED:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # the workers load it as a package instead
        if module.__file__ is None:
            continue
        root = Path(module.__file__).parent
        for path in sorted(root.rglob("*.py")):
            out[path.relative_to(root.parent).as_posix()] = path.read_text(encoding="utf-8")
    return out


def _kernel_packages(shipped: set[str]) -> list[str]:
    """What the workers load so that they can import what the kernel's cells have loaded:
    packages of Pyodide's lock by name (from the kernel's own index), wheels installed from a
    URL by that URL. Not the kernel's own machinery (IPython and the rest, loaded before the
    first cell, as ``STARTUP_PACKAGES`` recorded), which would only slow each worker's start."""
    import pyodide_js

    loaded = pyodide_js.loadedPackages.to_py()
    try:
        machinery = set(json.loads((Path(__file__).parent / STARTUP_PACKAGES).read_text()))
    except (OSError, ValueError):
        machinery = set()
    wanted = {"cloudpickle"} - shipped
    for name, source in loaded.items():
        if name in machinery or name in shipped:
            continue
        source = str(source)
        if source == "default channel":
            wanted.add(name)
        elif "://" in source or source.endswith(".whl"):
            wanted.add(source)
    return sorted(wanted)


def _pyodide_config() -> dict:
    import pyodide_js

    window = js()
    config = pyodide_js._api.config
    out = {}
    for name in ("indexURL", "lockFileURL", "packageBaseUrl"):
        value = getattr(config, name, None)
        if isinstance(value, str) and value:
            # Absolute: the workers are started from the page, whose URL is not the kernel's.
            out[name] = window.URL.new(value, window.location.href).href
    return out
