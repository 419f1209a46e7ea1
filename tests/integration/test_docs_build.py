"""The documentation site builds with warnings as errors, and its generated pages are not empty:
the settings page lists the traits, the browsers page has the engine table."""

from __future__ import annotations

import subprocess
import sys

from support.engines import FEATURES
from support.harness import REPO

SERVER_SETTINGS = (
    "c.CrossOriginIsolation.embedder_policy",
    "c.CrossOriginIsolation.exclude_paths",
    "c.CrossOriginIsolation.report_only",
)
ADDON_SETTINGS = (
    "CrossOriginIsolationAddon.service_worker",
    "CrossOriginIsolationAddon.host_files",
)


def test_docs_build_without_warnings(tmp_path):
    out = tmp_path / "html"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"sphinx failed:\n{done.stderr}\n{done.stdout[-4000:]}"
    settings = (out / "reference" / "settings.html").read_text()
    for name in SERVER_SETTINGS + ADDON_SETTINGS:
        assert name in settings, f"{name} is missing from the settings page"
    browsers = (out / "reference" / "browsers.html").read_text()
    first_row = next(iter(FEATURES.values()))
    assert first_row in browsers
