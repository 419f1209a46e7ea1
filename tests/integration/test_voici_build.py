"""A real `voici build` with jupyter-coi installed: every page Voici writes loads the reload
script, and `jupyter coi check` reads them all. In the ``voici`` compatibility row only
(tests/support/voici_sites.py says why)."""

from __future__ import annotations

import re
import shutil

import pytest

from support.harness import coi_check
from support.pyodide_ui import notebook
from support.voici_sites import voici_build

NOTEBOOKS = {"dashboard.ipynb": notebook("print('a dashboard')"), "report.ipynb": notebook("1")}
# The pages Voici writes in its post_build, after jupyter-coi's addon has run (its own name sorts
# first), besides JupyterLite's: a tree and one rendered page per notebook.
VOICI_PAGES = (
    "voici/index.html",
    "voici/tree/index.html",
    "voici/render/dashboard.html",
    "voici/render/report.html",
)
SCRIPT = re.compile(
    r'<script id="jupyter-coi-reload" src="[./]*coi-reload\.js"( data-register-worker)?></script>'
)


@pytest.fixture(scope="module")
def voici_site(tmp_path_factory, offline):
    return voici_build(tmp_path_factory.mktemp("voici"), NOTEBOOKS, offline)


def test_every_page_voici_writes_loads_the_reload_script(voici_site):
    for path in VOICI_PAGES:
        text = (voici_site.out / path).read_text()
        (registers,) = SCRIPT.findall(text)
        # The tree starts no JupyterLite app: the script registers the worker there itself.
        assert bool(registers) is path.startswith("voici/tree/"), path
        # Before every script that runs, so that a first visit reloads before the app starts.
        before = re.findall(r"<script[^>]*>", text[: text.index("coi-reload.js")])
        assert all('type="application/json"' in tag for tag in before[:-1]), (path, before)


def test_the_check_passes_the_build(voici_site):
    checked = coi_check(str(voici_site.out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "through the service worker on any static host" in checked.stdout


def test_the_check_names_a_dashboard_without_the_script_and_voicis_command(voici_site, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(voici_site.out, out)
    page = out / "voici/render/report.html"
    page.write_text(SCRIPT.sub("", page.read_text()))
    checked = coi_check(str(out))
    # Still isolated where the host files are read; on a host without headers this page is not,
    # so the verdict no longer says the service worker isolates the site.
    assert "through the service worker" not in checked.stdout.splitlines()[-1]
    assert f"{page} does not load coi-reload.js; run `voici build` with jupyter-coi" in (
        checked.stdout
    )
