"""Running code as a notebook's ``__main__``: ``python -c``, whose ``__main__`` has no file, so
that nothing can import its functions by name (spawned processes re-import a script's)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def run_as_main(code: str) -> dict:
    """Run ``code`` with ``python -c``; the JSON object it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])
