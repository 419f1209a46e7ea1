"""The worker pool (``jupyter_coi.pool``) in JupyterLite's Pyodide kernel, offline, in headless
Chromium and Firefox: what it buys and what it costs, side by side in one run.

In one kernel per engine:

- speed-up: a CPU-bound pure-Python function (about 200 ms a call, calibrated in the kernel),
  over the same tasks serially in the kernel and on pools of 1, 2, ... N workers;
- pool start: from ``WorkerPoolExecutor(n)`` to the first result, for the page's first pool
  and for a second one (warm: the browser has Pyodide's files in its cache);
- per-task overhead: ``map`` of a function that does nothing, chunksize 1 and 100;
- a 32 MB argument, and a 32 MB result;
- interrupt: from the click on the interrupt button to the ``KeyboardInterrupt`` line on
  screen, in a plain busy cell and in a cell blocked in the pool's ``map``;
- memory: the proportional set size of all the browser's processes with the kernel alone,
  and with a pool of N workers (``measureUserAgentSpecificMemory`` leaves workers out).

    python benchmarks/pool.py [--engines chromium firefox] [--workers N] [--interrupts 20]

Goals: speed-up at least 0.85 x min(workers, cores) for tasks of 100 ms or more; warm pool
start under 1.5 s; per-task overhead under 5 ms; interrupt under 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

# The plain cell that the interrupt benchmark spins in, to compare the pool's interrupts with.
from pyodide_interrupt import SPIN

from support.engines import firefox_launch_options
from support.harness import CHROMIUM_ARGS, require_chromium
from support.lite_sites import lite_serve, new_site
from support.offline_pyodide import offline_pyodide
from support.pyodide_ui import LiteNotebook, notebook

MEASURE = """\
import json, time
from jupyter_coi.pool import WorkerPoolExecutor

def spin(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total

def nothing(x):
    return x

started = time.perf_counter(); spin(200_000); per_call = time.perf_counter() - started
size = int(200_000 * 0.2 / per_call)  # about 200 ms a call
tasks = [size] * (4 * WORKERS)
out = {'task_ms': None, 'serial_s': None, 'pools': [], 'cores': int(__import__('js').navigator.hardwareConcurrency)}
started = time.perf_counter(); expected = [spin(n) for n in tasks]; out['serial_s'] = time.perf_counter() - started
out['task_ms'] = 1000 * out['serial_s'] / len(tasks)
def all_up(pool, n):
    # Until n naps of 0.2 s end together: then every worker has one.
    for _ in range(200):
        started = time.perf_counter(); list(pool.map(time.sleep, [0.2] * n))
        if time.perf_counter() - started < 0.3:
            return
    raise RuntimeError('the workers did not all start')

for n in range(1, WORKERS + 1):
    started = time.perf_counter()
    with WorkerPoolExecutor(max_workers=n) as pool:
        pool.submit(nothing, 1).result()
        first_s = time.perf_counter() - started
        all_up(pool, n)
        # Warm, as the kernel is when it runs the serial loop: a worker's first seconds of
        # Python run before the engine has optimised Pyodide's interpreter loop for it.
        list(pool.map(spin, [size] * n))
        started = time.perf_counter(); got = list(pool.map(spin, tasks)); pool_s = time.perf_counter() - started
        assert got == expected
        out['pools'].append({'workers': n, 'start_s': first_s, 'pool_s': pool_s})
started = time.perf_counter()
with WorkerPoolExecutor(max_workers=1) as pool:
    pool.submit(nothing, 1).result()
    out['warm_start_s'] = time.perf_counter() - started
    for chunksize in (1, 100):
        count = 2000
        started = time.perf_counter(); list(pool.map(nothing, range(count), chunksize=chunksize))
        out[f'overhead_ms_chunk_{chunksize}'] = 1000 * (time.perf_counter() - started) / count
    big = bytes(32 << 20)
    started = time.perf_counter(); pool.submit(len, big).result(); out['there_32mb_ms'] = 1000 * (time.perf_counter() - started)
    started = time.perf_counter(); pool.submit(bytes, 32 << 20).result(); out['back_32mb_ms'] = 1000 * (time.perf_counter() - started)
print('BENCH', json.dumps(out))
"""

HOLD = """\
from jupyter_coi.pool import WorkerPoolExecutor
held = WorkerPoolExecutor(max_workers=WORKERS)
list(held.map(abs, range(WORKERS)))
print('held', 6 * 7)  # 42 on screen only once it ran, not in a traceback's source
"""


POOL_SPIN = """\
from jupyter_coi.pool import WorkerPoolExecutor
def forever(x):
    while True:
        pass
pool = WorkerPoolExecutor(max_workers=WORKERS)
pool.submit(abs, 1).result()
print('pool ready')
caught = 0
while True:
    try:
        list(pool.map(forever, range(WORKERS)))
    except KeyboardInterrupt:
        caught += 1
        print(f"interrupt {caught} caught")
"""


# Where Debian installs each browser: its processes are those whose program is in there (the
# commands in /usr/bin are a script and a link).
INSTALLED = {"chromium": "/usr/lib/chromium/", "firefox": "/usr/lib/firefox-esr/"}


def browser_pss_mb(folder: str) -> float:
    """The proportional set size of all the browser's processes (those whose program is in
    ``folder``): what the page, its kernel and its workers cost the machine."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not os.path.realpath(entry / "exe").startswith(folder):
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def notebooks(workers: int) -> dict[str, str]:
    def fill(code: str) -> str:
        return code.replace("WORKERS", str(workers))

    return {
        "measure.ipynb": notebook(fill(MEASURE)),
        "memory.ipynb": notebook("print('kernel up')", fill(HOLD)),
        "plain.ipynb": notebook(SPIN),
        "pool.ipynb": notebook(fill(POOL_SPIN)),
    }


def interrupts(page, url: str, path: str, count: int, ready: str | None) -> list[float | None]:
    nb = LiteNotebook(page, url, path)
    nb.kernel_reports()
    nb.run(0)
    if ready:
        nb.wait_output(0, ready, timeout=120)
    page.wait_for_timeout(500)
    got: list[float | None] = []
    for _ in range(count):
        page.wait_for_timeout(300)
        caught = len(got) - got.count(None) + 1
        got.append(nb.interrupt_until(f"interrupt {caught} caught", 5))
    return got


def median(values: list[float | None]) -> str:
    ok = [v for v in values if v is not None]
    lost = len(values) - len(ok)
    return f"{statistics.median(ok):.1f} ms" + (f" ({lost} lost)" if lost else "") if ok else "lost"


def run_engine(browser, name: str, url: str, workers: int, count: int) -> dict:
    page = browser.new_page()
    nb = LiteNotebook(page, url, "measure.ipynb")
    nb.kernel_reports()
    nb.run(0, wait_running=False)
    out = nb.wait_output(0, r"BENCH \{.*\}|Error", timeout=900)
    if "BENCH" not in out:
        raise RuntimeError(out)
    figures = json.loads(out.split("BENCH", 1)[1].strip().splitlines()[0])
    page.close()
    return figures


def measure_memory(browser, name: str, url: str, figures: dict) -> None:
    """In a browser of its own, so that no earlier page's memory is in the figures."""
    page = browser.new_page()
    nb = LiteNotebook(page, url, "memory.ipynb")
    nb.kernel_reports()
    nb.run_to_end(0, timeout=120)
    page.wait_for_timeout(2000)
    alone = browser_pss_mb(INSTALLED[name])
    nb.run(1, wait_running=False)
    nb.wait_output(1, "held 42", timeout=120)
    page.wait_for_timeout(2000)
    figures["memory_mb"] = (alone, browser_pss_mb(INSTALLED[name]))
    page.close()


def interrupt_figures(browser, url: str, count: int, figures: dict) -> None:
    page = browser.new_page()
    figures["plain_interrupt"] = interrupts(page, url, "plain.ipynb", count, None)
    page.close()
    page = browser.new_page()
    figures["pool_interrupt"] = interrupts(page, url, "pool.ipynb", count, "pool ready")
    page.close()


def report(name: str, f: dict, workers: int) -> None:
    cores = f["cores"]
    print(f"\n== {name}: {cores} cores, tasks of {f['task_ms']:.0f} ms, {4 * workers} tasks")
    print(
        f"{'workers':>8} {'serial':>9} {'pool':>9} {'speed-up':>9} {'goal':>7} {'1st result':>10}"
    )
    for p in f["pools"]:
        n = p["workers"]
        speedup = f["serial_s"] / p["pool_s"]
        goal = 0.85 * min(n, cores)
        verdict = "met" if speedup >= goal else "NOT met"
        print(
            f"{n:>8} {f['serial_s']:>8.2f}s {p['pool_s']:>8.2f}s {speedup:>8.2f}x "
            f"{goal:>6.2f}x {p['start_s']:>9.2f}s  {verdict}"
        )
    first = f["pools"][0]["start_s"]
    warm = f["warm_start_s"]
    print(
        f"pool start (1 worker): first {first:.2f} s, warm {warm:.2f} s "
        f"(goal warm < 1.5 s: {'met' if warm < 1.5 else 'NOT met'})"
    )
    one, hundred = f["overhead_ms_chunk_1"], f["overhead_ms_chunk_100"]
    print(
        f"per-task overhead: {one:.3f} ms (chunksize 1), {hundred:.4f} ms (chunksize 100) "
        f"(goal < 5 ms: {'met' if one < 5 else 'NOT met'})"
    )
    there, back = f["there_32mb_ms"], f["back_32mb_ms"]
    print(
        f"32 MB argument: {there:.0f} ms ({32 / there * 1000:.0f} MB/s); "
        f"32 MB result: {back:.0f} ms ({32 / back * 1000:.0f} MB/s)"
    )
    plain, pool = f["plain_interrupt"], f["pool_interrupt"]
    ok = [v for v in pool if v is not None]
    met = ok and len(ok) == len(pool) and statistics.median(ok) < 100 and max(ok) < 100
    print(
        f"interrupt, click to KeyboardInterrupt on screen: plain cell {median(plain)}, "
        f"blocked in map {median(pool)}, max {max(ok) if ok else float('nan'):.1f} ms "
        f"(goal < 100 ms: {'met' if met else 'NOT met'})"
    )
    if "memory_mb" in f:
        alone, held = f["memory_mb"]
        print(
            f"memory: page with its kernel {alone:.0f} MB, with {workers} workers {held:.0f} MB: "
            f"{(held - alone) / workers:.0f} MB a worker"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["chromium", "firefox"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--interrupts", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pyodide = offline_pyodide()
    results = {}
    with tempfile.TemporaryDirectory(prefix="jupyter-coi-bench-") as tmp:
        site = new_site(Path(tmp) / "site", notebooks(args.workers))
        pyodide.install(site.lite_dir)
        with (
            contextlib.contextmanager(lite_serve)(site) as served,
            sync_playwright() as p,
        ):
            for name in args.engines:

                def launch(name=name):
                    if name == "chromium":
                        return p.chromium.launch(
                            executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS
                        )
                    return p.firefox.launch(**firefox_launch_options())

                browser = launch()
                try:
                    figures = run_engine(browser, name, served.url, args.workers, args.interrupts)
                    interrupt_figures(browser, served.url, args.interrupts, figures)
                finally:
                    browser.close()
                browser = launch()
                try:
                    measure_memory(browser, name, served.url, figures)
                finally:
                    browser.close()
                results[name] = figures
    print(f"Pyodide {pyodide.version}, {args.workers} workers at most, one run")
    for name, figures in results.items():
        report(name, figures, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
