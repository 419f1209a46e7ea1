"""labextension/scripts/generate.py, the one writer of the labextension's generated sources,
run as the build runs it: a real Python process, before jupyter-coi is installed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from jupyter_coi import policy
from jupyter_coi.kernel import bundle
from support.harness import REPO

SCRIPT = REPO / "labextension" / "scripts" / "generate.py"

# Runs generate.py and writes every file it opened, as JSON, to the path in argv[1].
_RECORD_OPENED = """
import json, os, runpy, sys
opened = set()
def record(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        opened.add(os.fsdecode(args[0]))
out = sys.argv.pop(1)
sys.argv.pop(0)
sys.addaudithook(record)
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit:
    pass
with open(out, "w") as f:
    json.dump(sorted(opened), f)
"""


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


def test_the_pre_commit_hook_runs_when_any_file_it_reads_changes(tmp_path):
    """Every file of the repository that ``--check`` opens matches the `generated` hook's
    `files`: a change to an input nobody listed would leave a stale file committed."""
    record = tmp_path / "opened.json"
    # The modules' sources are read, not their cached bytecode: none is cached under this prefix.
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
    done = subprocess.run(
        [sys.executable, "-S", "-c", _RECORD_OPENED, str(record), str(SCRIPT), "--check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    opened = {Path(p).resolve() for p in json.loads(record.read_text())}
    read = {p.relative_to(REPO).as_posix() for p in opened if p.is_relative_to(REPO)}
    assert {"jupyter_coi/policy.py", "labextension/src/pool/worker.js"} <= read

    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    [hook] = [h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "generated"]
    assert [path for path in sorted(read) if not re.search(hook["files"], path)] == []
