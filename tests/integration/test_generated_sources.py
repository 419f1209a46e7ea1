"""labextension/scripts/generate.py, the one writer of the labextension's generated sources,
run as the build runs it: a real Python process, before jupyter-coi is installed."""

from __future__ import annotations

import json
import subprocess
import sys

from jupyter_coi import policy
from jupyter_coi.kernel import bundle
from support.harness import REPO

SCRIPT = REPO / "labextension" / "scripts" / "generate.py"


def generate(*args: str, cwd=None) -> subprocess.CompletedProcess:
    # -S: no site-packages, so no installed jupyter_coi to lean on.
    return subprocess.run(
        [sys.executable, "-S", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_the_committed_files_are_current(tmp_path):
    done = generate("--check", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_writes_every_file_from_its_module(tmp_path):
    done = generate("--src", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "policy.json").read_text()) == policy.as_json()
    written = (tmp_path / "kernel" / "kernel.json").read_text()
    assert written == bundle.render_json()
    assert generate("--check", "--src", str(tmp_path)).returncode == 0


def test_a_stale_file_fails_the_check_and_is_named(tmp_path):
    assert generate("--src", str(tmp_path)).returncode == 0
    stale = tmp_path / "policy.json"
    stale.write_text(stale.read_text().replace("require-corp", "require-cors"))
    done = generate("--check", "--src", str(tmp_path))
    assert done.returncode == 1
    assert f"{stale} is stale" in done.stdout
