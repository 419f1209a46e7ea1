"""The benchmarks run and print their figures (their speed goals are read, not asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def test_server_overhead_prints_ratios():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "server_overhead.py"), "--rounds", "2", "--requests", "5"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for endpoint in ("static asset", "api/status"):
        row = next(line for line in done.stdout.splitlines() if line.startswith(endpoint))
        assert re.search(r"\d+ r/s +\d+ r/s +\d+\.\d{3}", row), row
    assert re.search(r"transform per response: \d+\.\d+ us", done.stdout)


def test_lite_load_prints_medians_and_ratios():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "lite_load.py"), "--visits", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for variant in ("(a) real headers", "(b) jupyter-coi service worker", "(c) coi-serviceworker (npm)"):
        assert re.search(re.escape(variant) + r" +\d+ms +\d+ms", done.stdout), done.stdout
    assert re.search(r"ratio b/a = \d+\.\d{3}", done.stdout)
    assert re.search(r"ratio b/c = \d+\.\d{3}", done.stdout)
    assert "(b) controlling worker /service-worker.js; JupyterLite's worker API answers" in done.stdout
