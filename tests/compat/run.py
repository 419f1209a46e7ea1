"""The compatibility runs: the versions around the main test run's, each in a fresh virtualenv.

The main run (``pytest``, in the environment ``pip install -e ".[test,dev]"`` made) tests the
versions the test extra pins. Each row here tests other versions that users have or will soon
have, with the part of the suite that those versions change:

- ``oldest``: the oldest Python, jupyter_server, JupyterLab and Notebook that pyproject.toml and
  the labextension allow, with the server and indicator tests (jupyterlite-core's oldest is
  ``jupyterlite-0.7``'s);
- ``jupyterlite-0.7``: JupyterLite 0.7 (jupyterlite-core and jupyterlite-pyodide-kernel 0.7,
  Pyodide 0.29), the oldest the lite extra allows, with the JupyterLite and Pyodide kernel tests;
- ``jupyterlite-next``: the next JupyterLite (a pre-release of jupyterlite-core and of
  jupyterlite-pyodide-kernel, with a newer kernel channel), with the JupyterLite and Pyodide
  kernel tests;
- ``voici``: Voici's static dashboards (voici-core 0.10, which needs JupyterLite 0.7), with the
  Voici tests, which only this row collects;
- ``pyodide-next``: the kernel's newest 0.8 release with the newest Pyodide from npm, with the
  Pyodide kernel tests;
- ``jupyterhub-5``: JupyterHub 5, where the main run has 6, with the hub tests;
- ``packages``: the packages people embed, whose table ``docs/reference/compatibility.md`` is.

Every row installs jupyter-coi from one wheel built from this tree (as users get it: the
labextension prebuilt, no npm), into an environment made while the rows before it test.
``tests/run.sh`` runs all rows after the main run; ``python tests/compat/run.py ROW ...`` runs
some. Each row prints its pytest summary, and a table of all rows ends the run; the exit code is
1 if any row failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
# A row's whole run, install included: a hung install or test run fails the row, not CI.
ROW_TIMEOUT = 20 * 60
PIP = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


@dataclass(frozen=True)
class Row:
    name: str
    why: str
    tests: tuple[str, ...]
    # Requirements as pip reads them: pins for this row, on top of the wheel's extras.
    pins: tuple[str, ...] = ()
    # Requirements files (`pip install -r`), from the repository's root.
    files: tuple[str, ...] = ()
    # Installed afterwards without their dependencies, where a release asks for one that is
    # not published (said in `why`).
    without_deps: tuple[str, ...] = ()
    python: str = ""  # "3.10": that interpreter; empty: the one running this script
    extras: str = "test,lite"
    env: dict[str, str] = field(default_factory=dict)
    # False: run in the main run's environment (nothing to install).
    venv: bool = True


# Deselects the worker pool's cases that test its own logic only, the same on every version.
POOL_LOGIC_ONLY = (
    "not corrupt_mailbox and not interpreter_dies and not example_notebook "
    "and not pool_map_and_a_new_pool"
)

ROWS = (
    Row(
        "oldest",
        "the lowest versions pyproject.toml and the labextension allow",
        tests=(
            "tests/unit",
            "tests/integration/test_server_headers.py",
            "tests/integration/test_server_settings.py",
            "tests/integration/test_report_endpoint.py",
            "tests/integration/test_extension_installed.py",
            "tests/browser/test_server_isolated.py",
            "tests/browser/test_indicator.py",
            "-k",
            # On JupyterLab 4.0 the dialog that the command palette opens lacks the class that
            # test waits for (the dialog itself shows): left to be looked into.
            "not firefox and not webkit and not command_palette",
        ),
        python="3.10",
        # docs: tests/unit sets up Sphinx apps with jupyter_coi.sphinx (Sphinx 8 on Python 3.10).
        extras="test,lite,docs",
        pins=(
            "jupyter_server==2.4.0",
            "jupyterlab==4.0.2",
            "notebook==7.0.0",
            "jupyterlite-core==0.8.6",
        ),
    ),
    Row(
        "jupyterlite-next",
        "jupyterlite-core 0.9 and jupyterlite-pyodide-kernel 0.9 pre-releases (JupyterLab 4.7, "
        "the kernel channel coincident 4)",
        tests=(
            "tests/integration/test_lite_addon.py",
            "tests/integration/test_lite_service_worker_build.py",
            "tests/browser/test_pyodide_kernel.py",
            "tests/browser/test_lite_isolated.py",
            "tests/browser/test_lite_service_worker.py",
            "tests/browser/test_parallel_apis.py",
            "tests/browser/test_first_cell.py",
            # Chromium only, to keep CI's time: the main run has the three engines. Without the
            # cases that no JupyterLite or Pyodide version changes (what the pool does with a
            # corrupt mailbox or a dead worker, the example notebooks, a second interrupt); the
            # pool's workers, started on this Pyodide, are test_parallel_apis's.
            "-k",
            "not webkit and not firefox and " + POOL_LOGIC_ONLY,
        ),
        pins=("jupyterlite-core==0.9.0a2", "jupyterlite-pyodide-kernel==0.9.0a1"),
        # Each first-cell case once: the main run repeats them.
        env={"JUPYTER_COI_REPEATS": "1"},
    ),
    Row(
        "jupyterlite-0.7",
        "jupyterlite-core 0.7.6 and jupyterlite-pyodide-kernel 0.7.2 (JupyterLab 4.5, Pyodide "
        "0.29 with Python 3.13), the oldest JupyterLite the lite extra allows",
        tests=(
            "tests/integration/test_lite_addon.py",
            "tests/integration/test_lite_service_worker_build.py",
            "tests/browser/test_pyodide_kernel.py",
            "tests/browser/test_lite_isolated.py",
            "tests/browser/test_parallel_apis.py",
            "tests/browser/test_first_cell.py",
            # Chromium only, as jupyterlite-next, and fewer: what this JupyterLite changes is
            # its build, its app and Pyodide (0.29), which the pool reaches through
            # test_parallel_apis; the web servers and the embeds do not depend on it, and the
            # interrupt controller's own cases (many interrupts, two kernels, a restart) run on
            # the same kernel channel (coincident 1.x) in the main run.
            "-k",
            "not webkit and not firefox and not real_host and not people_embed and "
            "not fifty_interrupts and not two_kernels and not again_after_a_restart and "
            + POOL_LOGIC_ONLY,
        ),
        pins=(
            "jupyterlite-core==0.7.6",
            "jupyterlite-pyodide-kernel==0.7.2",
            # What jupyterlite-core 0.7's `lab` extra asks for: Notebook 7.6's lab extension,
            # which every build copies from the environment, is built for JupyterLab 4.6, and
            # JupyterLite 0.7's notebook page (JupyterLab 4.5) stays blank with it
            # (`RUNTIME-012`, @jupyterlab/docregistry).
            "jupyterlab==4.5.11",
            "notebook==7.5.8",
        ),
        env={"JUPYTER_COI_REPEATS": "1"},
    ),
    Row(
        "voici",
        "voici-core 0.10 (static Voila dashboards) on jupyterlite-core 0.7.6 and "
        "jupyterlite-pyodide-kernel 0.7.0",
        tests=("tests/integration/test_voici_build.py", "tests/browser/test_voici.py"),
        pins=(
            "voici-core==0.10.0",
            "jupyterlite-core==0.7.6",
            # The newest kernel whose extension Voici's app can load: 0.7.1 and 0.7.2 ask for
            # @jupyterlab/pluginmanager, which Voici 0.10 does not share ("No kernel available").
            "jupyterlite-pyodide-kernel==0.7.0",
            # As in jupyterlite-0.7: the lab extensions a build copies, built for JupyterLab 4.5.
            "jupyterlab==4.5.11",
            "notebook==7.5.8",
        ),
        env={"JUPYTER_COI_VOICI": "1"},
    ),
    Row(
        "pyodide-next",
        "jupyterlite-pyodide-kernel 0.8.7 (it asks for a jupyterlite-core 0.8.7 that is not "
        "published: installed over 0.8.6 without its dependencies) with the newest Pyodide on npm",
        tests=(
            "tests/browser/test_pyodide_kernel.py",
            "tests/browser/test_worker_pool.py",
            "-k",
            "not webkit and not firefox and " + POOL_LOGIC_ONLY,
        ),
        without_deps=("jupyterlite-pyodide-kernel==0.8.7",),
        # The kernel's other dependency, which --no-deps leaves out.
        pins=("pkginfo",),
        env={"JUPYTER_COI_PYODIDE": "314.0.8"},
    ),
    Row(
        "jupyterhub-5",
        "JupyterHub 5 (the main run has 6)",
        tests=("tests/browser/test_jupyterhub.py",),
        pins=("jupyterhub==5.5.4",),
    ),
    Row(
        "packages",
        "the packages people embed (bokeh, folium, ipyleaflet, ...), under each COEP, with and "
        "without CORP: the table in docs/reference/compatibility.md",
        tests=("tests/compat/test_embedded_packages.py",),
        files=("tests/compat/requirements-packages.txt",),
        env={"JUPYTER_COI_COMPAT": "packages"},
    ),
)


def requirement_name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def requirements(row: Row) -> list[str]:
    """What the row installs beside the wheel: jupyter-coi's dependencies and the row's extras,
    as the installed jupyter-coi's metadata (from pyproject.toml) names them, each replaced by
    the row's pin where it has one."""
    extras = row.extras.split(",")
    pinned = {requirement_name(pin) for pin in row.pins + row.without_deps}
    wanted = []
    for text in requires("jupyter-coi") or ():
        requirement = Requirement(text)
        marker = requirement.marker
        if marker and not any(marker.evaluate({"extra": extra}) for extra in extras):
            continue
        if requirement_name(text) in pinned:
            continue
        # Given to pip on its own, `; extra == "test"` would be false: the row chose the extra.
        requirement.marker = None
        wanted.append(str(requirement))
    return [*wanted, *row.pins]


def find_python(version: str) -> str:
    """The interpreter for ``version``: ``pythonX.Y`` on PATH, or one that pyenv built (pyenv's
    shim on PATH may name a version it has not selected, so each candidate must run)."""
    if not version:
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{version}")]
    candidates += [str(p / "bin/python") for p in sorted(pyenv.glob(f"{version}.*"), reverse=True)]
    for candidate in filter(None, candidates):
        ran = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=30)
        if ran.returncode == 0 and ran.stdout.split()[-1].startswith(f"{version}."):
            return candidate
    raise RuntimeError(
        f"Python {version} is not installed; the compatibility row that needs it runs in it. "
        f"Install it (`pyenv install {version}`, or your system's python{version} package) "
        "and run again."
    )


def build_wheel(into: Path) -> Path:
    """jupyter-coi's wheel from this tree, as a release builds it (the labextension for
    production)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(REPO), "-w", str(into)],
        check=True,
        timeout=ROW_TIMEOUT,
    )
    (wheel,) = into.glob("jupyter_coi-*.whl")
    return wheel


# Set-ups run beside the tests of the rows before them, at a lower priority than those tests.
NICE = ["nice", "-n", "10"] if shutil.which("nice") else []


@dataclass(frozen=True)
class Prepared:
    """A row's environment, ready for its tests."""

    python: str
    env: dict[str, str]
    seconds: float  # how long making it took


def set_up(row: Row, wheel: Path, work: Path) -> Prepared:
    """A fresh virtualenv with the wheel, the row's pins and requirements files; the main run's
    environment for a row without one. Raises what the commands raise."""
    started = time.monotonic()
    env = {**os.environ, **row.env}
    if not row.venv:
        return Prepared(sys.executable, env, 0.0)
    venv = work / row.name
    subprocess.run(
        [find_python(row.python), "-m", "venv", "--clear", str(venv)], check=True, timeout=120
    )
    python = str(venv / "bin/python")
    deadline = started + ROW_TIMEOUT
    installs = [[python, *PIP, "--no-deps", str(wheel)]]
    installs.append([python, *PIP, *requirements(row), *(f"--requirement={f}" for f in row.files)])
    if row.without_deps:
        installs.append([python, *PIP, "--no-deps", *row.without_deps])
    for command in installs:
        subprocess.run([*NICE, *command], cwd=REPO, check=True, timeout=deadline - time.monotonic())
    # The tests start `jupyter ...` as subprocesses: this venv's, not the main run's.
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)
    env.pop("PYTHONHOME", None)
    return Prepared(python, env, time.monotonic() - started)


def run_tests(row: Row, prepared: Prepared) -> int:
    """The row's tests in its environment; pytest's exit code, 124 when they outlive the row's
    time (what its set-up left of it)."""
    subprocess.run(
        [prepared.python, "-m", "pip", "list", "--disable-pip-version-check"], env=prepared.env
    )
    remaining = ROW_TIMEOUT - prepared.seconds
    try:
        return subprocess.run(
            [prepared.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", *row.tests],
            cwd=REPO,
            env=prepared.env,
            timeout=remaining,
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"compat {row.name}: no result in {ROW_TIMEOUT} s", flush=True)
        return 124


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "rows", nargs="*", help=f"rows to run (all by default): {[r.name for r in ROWS]}"
    )
    names = parser.parse_args(argv).rows
    unknown = sorted(set(names) - {r.name for r in ROWS})
    if unknown:
        parser.error(f"no such row: {', '.join(unknown)}; rows: {', '.join(r.name for r in ROWS)}")
    rows = [r for r in ROWS if not names or r.name in names]
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="jupyter-coi-compat-") as tmp,
        ThreadPoolExecutor(max_workers=1) as setups,
    ):
        work = Path(tmp)
        wheel = build_wheel(work / "wheel") if any(r.venv for r in rows) else Path()
        # One set-up at a time, in the rows' order: each row's environment is made while the
        # rows before it test, so that a row waits for its install only when it is the first.
        pending = {row.name: setups.submit(set_up, row, wheel, work) for row in rows}
        for row in rows:
            print(f"\n=== compat {row.name}: {row.why}", flush=True)
            started = time.monotonic()
            try:
                prepared = pending[row.name].result()
            except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                print(f"compat {row.name}: could not be set up: {e}", flush=True)
                code, seconds = 2, 0.0
            else:
                waited = time.monotonic() - started
                print(
                    f"compat {row.name}: set up in {prepared.seconds:.0f} s, "
                    f"{waited:.0f} s of it waited for",
                    flush=True,
                )
                code = run_tests(row, prepared)
                seconds = time.monotonic() - started
            results.append((row, code, seconds))
            if row.venv:
                shutil.rmtree(work / row.name, ignore_errors=True)
    print("\n=== compatibility runs")
    for row, code, seconds in results:
        print(f"{'passed' if code == 0 else 'FAILED':7} {row.name:22} {seconds:6.0f} s  {row.why}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
