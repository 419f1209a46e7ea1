"""The benchmarks run and print their figures (their speed goals are read, not asserted)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from support.harness import REPO

BENCHMARKS = REPO / "benchmarks"


def run_benchmark(command: str, timeout: float, env: dict[str, str] | None = None) -> str:
    """Run ``command``, a script of benchmarks/ and its arguments as its usage line writes them;
    what it printed, once it succeeded."""
    script, *args = shlex.split(command)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def bench_env(tmp_path_factory, offline) -> dict[str, str]:
    """The benchmarks' environment: one folder of JupyterLite builds for them all
    (benchmarks/builds.py), so that a build two benchmarks share is made once, and the
    offline Pyodide made (or found) once, before the first of them."""
    builds = tmp_path_factory.mktemp("benchmark-builds")
    return {**os.environ, "JUPYTER_COI_BENCH_BUILDS": str(builds)}


def test_server_overhead_prints_ratios():
    out = run_benchmark("server_overhead.py --rounds 2 --requests 5", timeout=300)
    for endpoint in ("static asset", "api/status"):
        row = next(line for line in out.splitlines() if line.startswith(endpoint))
        assert re.search(r"\d+ r/s +\d+ r/s +\d+\.\d{3}", row), row
    assert re.search(r"transform per response: \d+\.\d+ us", out)


def test_lite_load_prints_medians_and_ratios(bench_env):
    out = run_benchmark("lite_load.py --visits 1", timeout=600, env=bench_env)
    for variant in (
        "(a) real headers",
        "(b) jupyter-coi service worker",
        "(c) coi-serviceworker (npm)",
    ):
        assert re.search(re.escape(variant) + r" +\d+ms +\d+ms", out), out
    assert re.search(r"ratio b/a = \d+\.\d{3}", out)
    assert re.search(r"ratio b/c = \d+\.\d{3}", out)
    assert "(b) controlling worker /service-worker.js; JupyterLite's worker API answers" in out


def test_pyodide_interrupt_prints_latency_side_by_side(bench_env):
    out = run_benchmark(
        "pyodide_interrupt.py --interrupts 5 --baseline 2 --timeout 2", timeout=600, env=bench_env
    )
    figures = (
        r"5 interrupts, lost \d+; min \d+\.\d ms, median \d+\.\d ms, p95 \d+\.\d ms, max \d+\.\d ms"
    )
    assert re.search(r"\(a\) with jupyter-coi: " + figures, out), out
    # without the plugin nothing stops the loop: that is the comparison
    assert "(b) jupyterlite-pyodide-kernel alone: 2 interrupts, lost 2" in out, out
    assert re.search(r"goal \(median < 20 ms, p95 < 50 ms, none lost\): (met|NOT met)", out)


def test_pool_prints_speedups_starts_overheads_and_memory(bench_env):
    """One engine, one worker, a few interrupts: every figure of the pool's benchmark prints."""
    out = run_benchmark(
        "pool.py --engines chromium --workers 1 --interrupts 3", timeout=900, env=bench_env
    )
    assert re.search(r"== chromium: \d+ cores, tasks of \d+ ms, 4 tasks", out), out
    # Serial, then each API's time, speed-up and verdict.
    api = r" +\d+\.\d\ds +\d+\.\d\dx +(met|NOT)"
    assert re.search(rf"\n +1 +\d+\.\d\ds{api}{api}{api} +0\.85x", out), out
    assert re.search(
        r"first pool of the page \(1 workers\) to its first result: \d+\.\d\d s; a bare "
        r"loadPyodide in a worker: \d+\.\d\d s; ratio \d+\.\d\d",
        out,
    ), out
    assert re.search(
        r"first pool, the kernel started its 1 workers \(prestartWorkers\): run as the kernel "
        r"is ready \d+\.\d\d s \(ratio \d+\.\d\d\); run 3 s later \d+ ms \(ratio \d+\.\d\d; goal "
        r"<= 1\.10: (met|NOT met)\)",
        out,
    ), out
    assert re.search(
        r"later pool to its first result: WorkerPoolExecutor \d+ ms, multiprocessing.Pool \d+ ms",
        out,
    ), out
    assert re.search(r"per-task overhead: \d+\.\d+ ms \(chunksize 1\)", out), out
    assert re.search(r"32 MB argument: \d+ ms \(\d+ MB/s\); 32 MB result: \d+ ms", out), out
    assert re.search(r"the first of each, which grows the heaps: \d+ and \d+ ms", out), out
    assert re.search(r"plain cell \d+\.\d ms, blocked in map \d+\.\d ms", out), out
    assert re.search(
        r"memory: page with its kernel \d+ MB, with 1 workers \d+ MB: -?\d+ MB a worker", out
    ), out


def test_first_cell_prints_both_variants_and_the_ratio(bench_env):
    # No warm-up visits: they are untimed, and the figures print without them.
    out = run_benchmark(
        "first_cell.py --visits 1 --warm-up 0 --engines chromium", timeout=600, env=bench_env
    )
    assert re.search(r"\(a\) with jupyter-coi +\d+ms +\d+ms", out), out
    assert re.search(r"\(b\) without jupyter-coi +\d+ms +\d+ms", out), out
    assert re.search(r"ratio a/b = \d+\.\d{3}, difference [+-]\d+ ms; goal .*: (met|NOT met)", out)
