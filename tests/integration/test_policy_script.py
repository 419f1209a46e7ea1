"""jupyter_coi/policy.py run by path, as the labextension's build runs it before jupyter_coi is
installed: a real Python process that writes policy.json."""

from __future__ import annotations

import json
import subprocess
import sys

from jupyter_coi import policy


def test_runs_as_a_script_without_the_package(tmp_path):
    # Build steps run it by path, before jupyter_coi is installed.
    out = tmp_path / "policy.json"
    done = subprocess.run(
        [sys.executable, policy.__file__, str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text()) == policy.as_json()
