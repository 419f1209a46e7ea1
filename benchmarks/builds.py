"""The JupyterLite sites the benchmarks run on: built once, then served as plain files.

A `jupyter lite build` takes as long as a small benchmark run does, and the test of the
benchmarks (tests/integration/test_benchmarks.py) runs them all, several of them on the same
build. So with ``JUPYTER_COI_BENCH_BUILDS`` naming a folder, each distinct build (its contents,
its Pyodide, its addons) is made there by the first benchmark that needs it, and the others
take it as it is. That folder is for one session's builds: nothing in it is checked against
a changed jupyter-coi or JupyterLite. Without it, a benchmark builds in a temporary folder of
its own.

A variant of a build that differs only in its ``jupyter-lite.json`` (an extension disabled, a
setting overridden) is a copy of hard links with that one file written anew, not a build.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.lite_sites import DEFAULT_BUILD_POLICY, new_site
from support.offline_pyodide import OfflinePyodide
from support.pyodide_ui import notebook

BUILDS = "JUPYTER_COI_BENCH_BUILDS"

# The cell that pyodide_interrupt.py interrupts, and pool.py beside a pool's. Its first line
# shows once the kernel runs it: a kernel without jupyter-coi's interrupt plugin says nothing
# else when it has started.
SPIN = """caught = 0
print("spinning")
while True:
    try:
        while True:
            pass
    except KeyboardInterrupt:
        caught += 1
        print(f"interrupt {caught} caught")"""
# The cell that first_cell.py runs as soon as it shows.
FIRST = "print('first cell', 6 * 7)"


@contextmanager
def builds_folder() -> Iterator[Path]:
    """Where this run's builds go: the shared folder, or one that goes when the run ends."""
    shared = os.environ.get(BUILDS)
    if shared:
        Path(shared).mkdir(parents=True, exist_ok=True)
        yield Path(shared)
    else:
        with tempfile.TemporaryDirectory(prefix="jupyter-coi-bench-") as tmp:
            yield Path(tmp)


def lite_build(
    folder: Path,
    name: str,
    contents: dict[str, str] | None = None,
    pyodide: OfflinePyodide | None = None,
    args: tuple[str, ...] = (),
) -> Path:
    """The output of `jupyter lite build` of a site with ``contents`` (its ``files/``), the
    offline ``pyodide`` if given, and these build ``args``, in ``folder``: made unless a
    build of the same inputs is there already."""
    inputs = json.dumps([contents, pyodide and str(pyodide.root), args], sort_keys=True)
    out = folder / f"{name}-{hashlib.sha256(inputs.encode()).hexdigest()[:12]}"
    if (out / "jupyter-lite.json").exists():
        return out
    # Built aside and renamed into place whole, so that a build cut short is never taken.
    with tempfile.TemporaryDirectory(dir=folder, prefix=".building-") as tmp:
        site = new_site(Path(tmp), contents or {})
        if pyodide is not None:
            pyodide.install(site.lite_dir)
        done = site.build("--output-dir", str(site.out), *args)
        if done.returncode != 0:
            raise RuntimeError(f"jupyter lite build failed:\n{done.log}")
        shutil.rmtree(out, ignore_errors=True)
        os.replace(site.out, out)
    return out


def pyodide_build(folder: Path, pyodide: OfflinePyodide) -> Path:
    """The offline Pyodide site that pyodide_interrupt.py and first_cell.py run on, one build
    with the notebooks of both (pool.py's depend on its worker count: it builds its own)."""
    contents = {"spin.ipynb": notebook(SPIN), "first.ipynb": notebook(FIRST)}
    return lite_build(folder, "pyodide", contents, pyodide)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system
        shutil.copy2(src, dst)


def variant(build: Path, into: Path, config: dict) -> Path:
    """A copy of ``build`` in ``into`` whose ``jupyter-lite.json`` has ``config`` merged into
    its ``jupyter-config-data``, as a ``jupyter-lite.json`` beside the site's sources puts it
    there (``disabledExtensions`` adds to the build's own list)."""
    shutil.copytree(build, into, copy_function=_link_or_copy)
    path = into / "jupyter-lite.json"
    data = json.loads(path.read_text())
    page = data.setdefault("jupyter-config-data", {})
    for key, value in config.items():
        if key == "disabledExtensions":
            page[key] = [*page.get(key, []), *value]
        else:
            page[key] = value
    # A hard link: writing through it would change the build too.
    path.unlink()
    path.write_text(json.dumps(data))
    return into


class _Handler(SimpleHTTPRequestHandler):
    extra_headers: ClassVar[dict[str, str]] = {}
    # Not left to the system's MIME list: WebAssembly is only compiled as it streams in with
    # its own type, and a module worker's script must be JavaScript.
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".json": "application/json",
    }

    def end_headers(self):
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def serve(directory: Path, headers: dict[str, str] | None = None) -> Iterator[str]:
    """The URL of ``directory`` served on loopback with ``headers`` on every response; by
    default the isolation headers that `jupyter lite serve` sends for a site that sets nothing
    (jupyter-coi's addon), as it would serve the build."""
    handler = type(
        "Handler",
        (_Handler,),
        {"extra_headers": DEFAULT_BUILD_POLICY.headers() if headers is None else headers},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=directory))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
