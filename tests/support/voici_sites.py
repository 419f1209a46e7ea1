"""Voici test sites: a real `voici build` of dashboard notebooks, with jupyter-coi's addon, the
offline Pyodide, and the wheels a dashboard's widgets need, served without headers.

Voici 0.10 needs jupyterlite-core 0.7, so these tests run in the ``voici`` compatibility row
(tests/compat/run.py), which sets ``JUPYTER_COI_VOICI``; the main run does not collect them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .harness import ANSI, jupyter_env
from .lite_sites import LiteSite, Served, plain_server
from .offline_pyodide import OfflinePyodide, cached, run

# What `%pip install ipywidgets` fetches in the kernel, from the site's own `pypi/` folder
# (piplite looks there before PyPI, which the tests never reach).
VOICI = str(Path(sys.executable).with_name("voici"))
WIDGET_WHEELS = {"ipywidgets": "8.1.9", "jupyterlab_widgets": "3.0.17"}


def widget_wheels() -> Path:
    pins = [f"{name}=={version}" for name, version in WIDGET_WHEELS.items()]

    def download(into: Path, work: Path) -> None:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
        run([*command, "--only-binary=:all:", "--dest", str(into), *pins], cwd=work)

    return cached(
        "widget-wheels-" + "-".join(pins).replace("==", "-"),
        "ipywidgets-{}-py3-none-any.whl".format(WIDGET_WHEELS["ipywidgets"]),
        download,
    )


def voici_build(root: Path, notebooks: dict[str, str], offline: OfflinePyodide) -> LiteSite:
    """``voici build`` of ``notebooks`` (name -> JSON) into ``root/lite/_output``."""
    site = LiteSite(lite_dir=root / "lite", home=root / "home")
    contents = site.lite_dir / "notebooks"
    contents.mkdir(parents=True)
    site.home.mkdir()
    for name, text in notebooks.items():
        (contents / name).write_text(text)
    offline.install(site.lite_dir)
    for wheel in widget_wheels().glob("*.whl"):
        (site.lite_dir / "pypi" / wheel.name).write_bytes(wheel.read_bytes())
    done = subprocess.run(
        # The console script: voici-core 0.10's `python -m voici_core` imports a `voici` module
        # that only the full `voici` package has.
        [VOICI, "build", "--contents", "notebooks", "--output-dir", "_output"],
        env=jupyter_env(site.home),
        cwd=site.lite_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    site.build_log = ANSI.sub("", done.stdout + done.stderr)
    assert done.returncode == 0, site.build_log
    return site


def served_voici(
    root: Path, notebooks: dict[str, str], offline: OfflinePyodide
) -> Iterator[Served]:
    """The build from a server that sends no headers, as GitHub Pages."""
    yield from plain_server(voici_build(root, notebooks, offline))
