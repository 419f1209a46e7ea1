"""A Pyodide distribution that a JupyterLite test site can run without the internet.

The npm package ``pyodide`` has the core files and ``pyodide-lock.json`` but none of the
wheels the lock lists, and the kernel fetches those from the Pyodide CDN, while the tests
make no request beyond loopback. So: take the core from npm, download the pure-Python wheels the kernel
loads at start-up from PyPI, put them beside the lock and rewrite their hashes there (PyPI's
wheels are not byte-for-byte Pyodide's own builds). ``comm`` is not in the lock at all: the
kernel installs it through piplite, so it goes in the site's ``pypi/`` folder.

Everything is cached under ``JUPYTER_COI_TEST_CACHE`` (default ``~/.cache/jupyter-coi-tests``),
keyed by the Pyodide version (``cached``, which the other downloads of the tests use too).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# What the kernel loads by name at start-up (its worker's initKernel), plus their dependencies
# in the lock. A wheel missing here shows up as the kernel failing to start, offline.
LOCK_WHEELS = (
    "micropip",
    "asttokens",
    "decorator",
    "executing",
    "ipython",
    "jedi",
    "matplotlib-inline",
    "parso",
    "prompt-toolkit",
    "pure-eval",
    "pygments",
    "six",
    "stack-data",
    "traitlets",
    "wcwidth",
    # What the worker pool (jupyter_coi.pool) loads in the kernel and in each worker, and the
    # joblib that its tests and benchmark run on it.
    "cloudpickle",
    "joblib",
)
# Installed through piplite, not the lock.
PIPLITE_WHEELS = {"comm": "0.2.3"}
TIMEOUT = 300


def kernel_pyodide_url(prefix: str | Path | None = None) -> str:
    """The Pyodide URL that the jupyterlite-pyodide-kernel installed in the environment at
    ``prefix`` (this one by default) loads when nothing else is configured: its CDN default,
    which names the version and the file (``pyodide.js`` up to 0.7, ``pyodide.mjs`` after)."""
    found: set[str] = set()
    roots = [
        Path(prefix or sys.prefix)
        / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
    ]
    if prefix is None:
        import jupyterlite_pyodide_kernel

        roots.append(Path(jupyterlite_pyodide_kernel.__file__).parent / "labextension")
    for root in roots:
        for js in root.glob("static/*.js"):
            found.update(
                re.findall(
                    r"https://[\w./-]*?/pyodide/v\d+\.\d+\.\d+/full/pyodide\.m?js",
                    js.read_text(errors="ignore"),
                )
            )
    if len(found) != 1:
        raise RuntimeError(f"cannot tell which Pyodide the kernel wants: found {sorted(found)}")
    return found.pop()


def kernel_pyodide_version(prefix: str | Path | None = None) -> str:
    """The Pyodide version that the installed jupyterlite-pyodide-kernel asks for by default."""
    return re.search(r"/v(\d+\.\d+\.\d+)/", kernel_pyodide_url(prefix)).group(1)


def cache_root() -> Path:
    return Path(os.environ.get("JUPYTER_COI_TEST_CACHE", Path.home() / ".cache/jupyter-coi-tests"))


@dataclass(frozen=True)
class OfflinePyodide:
    version: str
    root: Path

    @property
    def core(self) -> Path:
        """Pyodide's files with the wheels beside the rewritten lock: a site's ``static/pyodide``."""
        return self.root / "pyodide"

    @property
    def pypi(self) -> Path:
        """Wheels for a site's ``pypi/`` folder."""
        return self.root / "pypi"

    def pypi_index(self) -> Path:
        """The piplite index (``all.json``) of the ``pypi`` wheels, for a kernel that is not
        in a JupyterLite build (whose piplite addon would write it): made once, then kept."""
        index = self.pypi / "all.json"
        if not index.exists():
            from jupyterlite_pyodide_kernel.addons.piplite import get_wheel_index

            text = json.dumps(get_wheel_index(sorted(self.pypi.glob("*.whl"))), sort_keys=True)
            partial = index.with_suffix(".partial")
            partial.write_text(text)
            os.replace(partial, index)
        return index

    def install(self, lite_dir: Path) -> None:
        """Make a JupyterLite source folder use this Pyodide: the kernel addon copies
        ``static/pyodide`` into the build and points the kernel's ``pyodideUrl`` at it."""
        shutil.copytree(self.core, lite_dir / "static" / "pyodide", dirs_exist_ok=True)
        # The wheels only: the build's piplite addon writes its own index.
        shutil.copytree(
            self.pypi,
            lite_dir / "pypi",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("*.json", "*.partial"),
        )


def run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rewrite_lock(core: Path, names: tuple[str, ...]) -> None:
    lock_path = core / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    for name in names:
        entry = lock["packages"][name]
        entry["sha256"] = sha256(core / entry["file_name"])
    lock_path.write_text(json.dumps(lock))


def build(version: str, into: Path, work: Path) -> None:
    run(["npm", "pack", f"pyodide@{version}", "--silent"], cwd=work)
    with tarfile.open(next(work.glob("pyodide-*.tgz"))) as tgz:
        tgz.extractall(work, filter="data")
    core = into / "pyodide"
    shutil.move(work / "package", core)
    lock = json.loads((core / "pyodide-lock.json").read_text())
    python = lock["info"]["python"].rsplit(".", 1)[0]
    pins = [f"{lock['packages'][n]['name']}=={lock['packages'][n]['version']}" for n in LOCK_WHEELS]
    download = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        python,
        "--quiet",
    ]
    run([*download, "--dest", str(core), *pins], cwd=work)
    missing = [n for n in LOCK_WHEELS if not (core / lock["packages"][n]["file_name"]).exists()]
    if missing:
        raise RuntimeError(f"PyPI wheels do not match the lock's file names for {missing}")
    rewrite_lock(core, LOCK_WHEELS)
    pypi = into / "pypi"
    pypi.mkdir()
    run(
        [*download, "--dest", str(pypi), *(f"{n}=={v}" for n, v in PIPLITE_WHEELS.items())],
        cwd=work,
    )


def cached(name: str, complete: str, make: Callable[[Path, Path], None]) -> Path:
    """The cache folder ``name``, made by ``make(into, work)`` unless its file ``complete``
    is there already. Made in a temporary folder and renamed into place only when done, so an
    interrupted run never leaves a half-made cache behind."""
    root = cache_root() / name
    if not (root / complete).exists():
        root.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root.parent, prefix=".building-") as tmp:
            into, work = Path(tmp) / "out", Path(tmp) / "work"
            into.mkdir()
            work.mkdir()
            make(into, work)
            shutil.rmtree(root, ignore_errors=True)
            os.replace(into, root)
    return root


def offline_pyodide(version: str | None = None) -> OfflinePyodide:
    """The offline Pyodide for ``version``; by default the one ``JUPYTER_COI_PYODIDE`` names
    (a compatibility run's newer Pyodide), else the kernel's own."""
    version = version or os.environ.get("JUPYTER_COI_PYODIDE") or kernel_pyodide_version()
    root = cached(
        f"pyodide-{version}-offline",
        "pyodide/pyodide-lock.json",
        lambda into, work: build(version, into, work),
    )
    return OfflinePyodide(version, root)


if __name__ == "__main__":
    print(offline_pyodide().root)
