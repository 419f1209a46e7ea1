"""The labextension's TypeScript unit tests (jest), run as part of the one test command."""

from __future__ import annotations

import re
import shutil
import subprocess

from support.harness import REPO

LABEXTENSION = REPO / "labextension"


def test_jest_suite_passes():
    npm = shutil.which("npm")
    assert npm, "npm is needed for the labextension's unit tests (Node.js >= 20)"
    assert (LABEXTENSION / "node_modules").is_dir(), (
        "labextension/node_modules is missing: `pip install -e .` runs `npm install` there"
    )
    done = subprocess.run(
        [npm, "test", "--silent", "--", "--ci"],
        cwd=LABEXTENSION,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    passed = re.search(r"Tests:\s+(\d+) passed, (\d+) total", out)
    assert passed and passed.group(1) == passed.group(2) and int(passed.group(1)) >= 20, out
