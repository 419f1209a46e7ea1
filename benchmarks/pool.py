"""The worker pool (``jupyter_coi.pool``) in JupyterLite's Pyodide kernel, offline, in headless
Chromium and Firefox: what it buys and what it costs, side by side in one run.

In one kernel per engine:

- speed-up: a CPU-bound pure-Python function (about 200 ms a call, calibrated in the kernel),
  over the same tasks serially in the kernel and on 1, 2, ... N workers, through each API a
  notebook uses: ``WorkerPoolExecutor``, ``multiprocessing.Pool`` and joblib's default;
- pool start, to the first result: the page's first pool (every worker starts), against a bare
  ``loadPyodide`` in a Web Worker of the page (the engine's own start, the median of 3); the
  first pool on a site whose kernels start their workers with them (``prestartWorkers``), run
  as soon as the kernel is ready and 3 s later, as a person who reads first; and a later
  pool, of each API, whose workers come from the reserve the pools before it left;
- per-task overhead: ``map`` of a function that does nothing, chunksize 1 and 100;
- a 32 MB argument, and a 32 MB result (the median of 3, after one of each);
- interrupt: from the click on the interrupt button to the ``KeyboardInterrupt`` line on
  screen, in a plain busy cell and in a cell blocked in the pool's ``map``;
- memory: the proportional set size of all the browser's processes with the kernel alone,
  and with a pool of N workers (``measureUserAgentSpecificMemory`` leaves workers out).

    python benchmarks/pool.py [--engines chromium firefox] [--workers N] [--interrupts 20]
                              [--picture docs/_static/pictures/pool-benchmark.png]

Goals: speed-up at least 0.85 x min(workers, cores) for tasks of 100 ms or more (1.7x on 2
cores); the first pool no slower than a bare loadPyodide plus 10%; a later pool under 100 ms;
32 MB each way under 40 ms; per-task overhead under 5 ms; interrupt under 100 ms. With
``--picture``, speed-up against workers and the pool start times, for each engine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

# SPIN: the plain cell that the interrupt benchmark spins in, to compare the pool's with.
from builds import SPIN, builds_folder, lite_build, serve, variant

from support.engines import firefox_launch_options
from support.harness import CHROMIUM_ARGS, require_chromium
from support.offline_pyodide import offline_pyodide
from support.pyodide_ui import CPU_WORK, LiteNotebook, notebook, pool_workers

MEASURE = (
    """\
import json, multiprocessing, time
import joblib
from jupyter_coi.pool import WorkerPoolExecutor

"""
    + CPU_WORK
    + """
def nothing(x):
    return x

def all_up(pool, n):
    # Until n naps of 0.2 s end together: then every worker has one.
    for _ in range(200):
        started = time.perf_counter(); list(pool.map(time.sleep, [0.2] * n))
        if time.perf_counter() - started < 0.3:
            return
    raise RuntimeError('the workers did not all start')

def first_result_s(make, first):
    started = time.perf_counter()
    pool = make()
    first(pool)
    return pool, time.perf_counter() - started

out = {'cores': int(__import__('js').navigator.hardwareConcurrency), 'pools': []}
# The page's first pool: nothing in the reserve, every worker starts now.
pool, out['first_pool_s'] = first_result_s(lambda: WorkerPoolExecutor(max_workers=WORKERS), lambda p: p.submit(nothing, 1).result())
all_up(pool, WORKERS)
started = time.perf_counter(); spin(200_000); per_call = time.perf_counter() - started
size = int(200_000 * 0.2 / per_call)  # about 200 ms a call
tasks = [size] * (4 * WORKERS)
# Warm, as the kernel is when it runs the serial loop: a worker's first seconds of Python run
# before the engine has optimised Pyodide's interpreter loop for it.
list(pool.map(spin, [size] * (2 * WORKERS)))
pool.shutdown()
started = time.perf_counter(); expected = [spin(n) for n in tasks]; out['serial_s'] = time.perf_counter() - started
out['task_ms'] = 1000 * out['serial_s'] / len(tasks)
# Later pools: their workers come from the reserve that the pools before them left.
later = {}
pool, later['WorkerPoolExecutor'] = first_result_s(lambda: WorkerPoolExecutor(max_workers=WORKERS), lambda p: p.submit(nothing, 1).result())
pool.shutdown()
multiprocessing.Pool(WORKERS).terminate()  # its modules imported, as in a kernel that used it before
pool, later['multiprocessing.Pool'] = first_result_s(lambda: multiprocessing.Pool(WORKERS), lambda p: p.apply(nothing, (1,)))
pool.terminate()
out['later_pool_ms'] = {k: 1000 * v for k, v in later.items()}
for n in range(1, WORKERS + 1):
    row = {'workers': n}
    with WorkerPoolExecutor(max_workers=n) as pool:
        started = time.perf_counter(); got = list(pool.map(spin, tasks)); row['WorkerPoolExecutor'] = time.perf_counter() - started
        assert got == expected
    with multiprocessing.Pool(n) as pool:
        started = time.perf_counter(); got = pool.map(spin, tasks, 1); row['multiprocessing.Pool'] = time.perf_counter() - started
        assert got == expected
    started = time.perf_counter(); got = joblib.Parallel(n_jobs=n)(joblib.delayed(spin)(t) for t in tasks); row['joblib'] = time.perf_counter() - started
    assert got == expected
    out['pools'].append(row)
with WorkerPoolExecutor(max_workers=1) as pool:
    pool.submit(nothing, 1).result()
    for chunksize in (1, 100):
        count = 2000
        started = time.perf_counter(); list(pool.map(nothing, range(count), chunksize=chunksize))
        out[f'overhead_ms_chunk_{chunksize}'] = 1000 * (time.perf_counter() - started) / count
    big = bytes(32 << 20)
    # The first of each grows the kernel's and the worker's heaps (a WebAssembly heap never
    # shrinks, so later ones reuse them).
    started = time.perf_counter(); pool.submit(len, big).result(); out['first_there_32mb_ms'] = 1000 * (time.perf_counter() - started)
    started = time.perf_counter(); pool.submit(bytes, 32 << 20).result(); out['first_back_32mb_ms'] = 1000 * (time.perf_counter() - started)
    there, back = [], []
    for _ in range(3):
        started = time.perf_counter(); pool.submit(len, big).result(); there.append(time.perf_counter() - started)
        started = time.perf_counter(); pool.submit(bytes, 32 << 20).result(); back.append(time.perf_counter() - started)
    out['there_32mb_ms'] = 1000 * sorted(there)[1]
    out['back_32mb_ms'] = 1000 * sorted(back)[1]
print('BENCH', json.dumps(out))
"""
)

# A bare Pyodide in a Web Worker of the page, as fast as the engine starts one: what a pool's
# first worker is measured against.
BARE_PYODIDE = """async (indexURL) => {
  const source = `self.onmessage = async (e) => {
    const t0 = performance.now();
    const { loadPyodide } = await import(e.data + 'pyodide.mjs');
    await loadPyodide({ indexURL: e.data });
    postMessage(performance.now() - t0);
  };`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const times = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const worker = new Worker(url, { type: 'module' });
    await new Promise(resolve => { worker.onmessage = resolve; worker.postMessage(indexURL); });
    times.push(performance.now() - started);
    worker.terminate();
  }
  times.sort((a, b) => a - b);
  return times[1] / 1000;
}"""

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


PRESTARTED = """\
import time
started = time.perf_counter()
from jupyter_coi.pool import WorkerPoolExecutor
pool = WorkerPoolExecutor(max_workers=WORKERS)
pool.submit(abs, 1).result()
print('PRESTARTED', time.perf_counter() - started)
"""

# Seconds a person reads before running the first cell, in the second prestarted figure.
READING_S = 3


def notebooks(workers: int) -> dict[str, str]:
    def fill(code: str) -> str:
        return code.replace("WORKERS", str(workers))

    return {
        "measure.ipynb": notebook(fill(MEASURE)),
        "memory.ipynb": notebook("print('kernel up')", fill(HOLD)),
        "plain.ipynb": notebook(SPIN),
        "pool.ipynb": notebook(fill(POOL_SPIN)),
        "prestarted.ipynb": notebook(fill(PRESTARTED)),
    }


def interrupts(page, url: str, path: str, count: int, ready: str) -> list[float | None]:
    nb = LiteNotebook(page, url, path)
    nb.kernel_reports()
    nb.run(0)
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
    figures["bare_pyodide_s"] = page.evaluate(BARE_PYODIDE, f"{url}static/pyodide/")
    page.close()
    return figures


def prestarting(build: Path, into: Path, workers: int) -> Path:
    """A copy of the built site whose pages start ``workers`` workers with each kernel: the
    setting in the build's own ``jupyter-lite.json``, as a site's ``overrides.json`` puts it
    there (each page of the benchmark has a browser context, and cache, of its own)."""
    overrides = json.loads((build / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = overrides.get("settingsOverrides", {})
    settings.setdefault("jupyter-coi:pool", {})["prestartWorkers"] = workers
    return variant(build, into, {"settingsOverrides": settings})


def prestarted_first_pool(browser, url: str, workers: int, figures: dict) -> None:
    """The first pool's first result on a page whose kernel started its workers: the cell run
    as soon as the kernel is ready, and after ``READING_S``."""
    for key, wait_s in (("prestarted_at_once_s", 0), ("prestarted_after_reading_s", READING_S)):
        page = browser.new_page()
        nb = LiteNotebook(page, url, "prestarted.ipynb")
        nb.kernel_reports()
        page.wait_for_timeout(wait_s * 1000)
        nb.run(0, wait_running=False)
        out = nb.wait_output(0, r"PRESTARTED [\d.]+|Error", timeout=120)
        if "PRESTARTED" not in out:
            raise RuntimeError(out)
        started = pool_workers(page)
        if started != workers:
            raise RuntimeError(f"{started} workers on a page that prestarts {workers}")
        figures[key] = float(out.split("PRESTARTED", 1)[1].split()[0])
        page.close()


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
    figures["plain_interrupt"] = interrupts(page, url, "plain.ipynb", count, "spinning")
    page.close()
    page = browser.new_page()
    figures["pool_interrupt"] = interrupts(page, url, "pool.ipynb", count, "pool ready")
    page.close()


APIS = ("WorkerPoolExecutor", "multiprocessing.Pool", "joblib")


def report(name: str, f: dict, workers: int) -> None:
    cores = f["cores"]
    print(f"\n== {name}: {cores} cores, tasks of {f['task_ms']:.0f} ms, {4 * workers} tasks")
    print(f"{'workers':>8} {'serial':>8} " + " ".join(f"{api:>22}" for api in APIS) + "   goal")
    for p in f["pools"]:
        n = p["workers"]
        goal = 0.85 * min(n, cores)
        cells = []
        for api in APIS:
            speedup = f["serial_s"] / p[api]
            cells.append(
                f"{p[api]:>6.2f}s {speedup:>5.2f}x {'met' if speedup >= goal else 'NOT':>6}"
            )
        print(
            f"{n:>8} {f['serial_s']:>7.2f}s "
            + " ".join(f"{c:>22}" for c in cells)
            + f" {goal:>5.2f}x"
        )
    bare, first = f["bare_pyodide_s"], f["first_pool_s"]
    print(
        f"first pool of the page ({workers} workers) to its first result: {first:.2f} s; a bare "
        f"loadPyodide in a worker: {bare:.2f} s; ratio {first / bare:.2f} "
        f"(goal <= 1.10: {'met' if first <= 1.1 * bare else 'NOT met'})"
    )
    at_once, after = f["prestarted_at_once_s"], f["prestarted_after_reading_s"]
    print(
        f"first pool, the kernel started its {workers} workers (prestartWorkers): run as the "
        f"kernel is ready {at_once:.2f} s (ratio {at_once / bare:.2f}); run {READING_S} s later "
        f"{after * 1000:.0f} ms (ratio {after / bare:.2f}; goal <= 1.10: "
        f"{'met' if after <= 1.1 * bare else 'NOT met'})"
    )
    later = f["later_pool_ms"]
    print(
        "later pool to its first result: "
        + ", ".join(f"{api} {ms:.0f} ms" for api, ms in later.items())
        + f" (goal < 100 ms: {'met' if max(later.values()) < 100 else 'NOT met'})"
    )
    one, hundred = f["overhead_ms_chunk_1"], f["overhead_ms_chunk_100"]
    print(
        f"per-task overhead: {one:.3f} ms (chunksize 1), {hundred:.4f} ms (chunksize 100) "
        f"(goal < 5 ms: {'met' if one < 5 else 'NOT met'})"
    )
    there, back = f["there_32mb_ms"], f["back_32mb_ms"]
    print(
        f"32 MB argument: {there:.0f} ms ({32 / there * 1000:.0f} MB/s); "
        f"32 MB result: {back:.0f} ms ({32 / back * 1000:.0f} MB/s) "
        f"(goal < 40 ms each way: {'met' if max(there, back) < 40 else 'NOT met'}); the first "
        f"of each, which grows the heaps: {f['first_there_32mb_ms']:.0f} and "
        f"{f['first_back_32mb_ms']:.0f} ms"
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


def draw(results: dict, workers: int, path: Path) -> None:
    """Speed-up against workers for each API, and the start of a first and a later pool, for
    each engine, as one picture for the docs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    engines = list(results)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    speed, start = axes
    for name, f in results.items():
        counts = [p["workers"] for p in f["pools"]]
        for api, style in zip(APIS, ("-o", "--s", ":^"), strict=True):
            speed.plot(
                counts, [f["serial_s"] / p[api] for p in f["pools"]], style, label=f"{name}: {api}"
            )
    speed.plot([1, workers], [1, workers], color="grey", linewidth=0.8, label="ideal")
    speed.set(xlabel="workers", ylabel="speed-up over the kernel alone", title="Speed-up")
    speed.set_xticks(range(1, workers + 1))
    speed.legend(fontsize=7)
    x = range(len(engines))
    width = 0.2
    bars = (
        ("bare loadPyodide", [results[e]["bare_pyodide_s"] for e in engines]),
        ("first pool", [results[e]["first_pool_s"] for e in engines]),
        (
            f"first pool, prestarted, {READING_S} s later",
            [results[e]["prestarted_after_reading_s"] for e in engines],
        ),
        ("later pool", [results[e]["later_pool_ms"]["WorkerPoolExecutor"] / 1000 for e in engines]),
    )
    for i, (label, values) in enumerate(bars):
        drawn = start.bar([k + (i - 1.5) * width for k in x], values, width, label=label)
        start.bar_label(
            drawn,
            labels=[f"{v:.2f} s" if v >= 0.1 else f"{v * 1000:.0f} ms" for v in values],
            fontsize=7,
        )
    start.set_xticks(list(x), engines)
    start.set(ylabel="seconds to the first result", title=f"Pool start ({workers} workers)")
    start.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"picture: {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["chromium", "firefox"])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--interrupts", type=int, default=20)
    parser.add_argument(
        "--picture", type=Path, help="draw the figures into this PNG (needs matplotlib)"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pyodide = offline_pyodide()
    results = {}
    with builds_folder() as folder, tempfile.TemporaryDirectory(prefix="jupyter-coi-bench-") as tmp:
        build = lite_build(folder, "pool", notebooks(args.workers), pyodide)
        with (
            serve(build) as url,
            serve(prestarting(build, Path(tmp) / "prestarting", args.workers)) as prestarting_url,
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
                    figures = run_engine(browser, name, url, args.workers, args.interrupts)
                    prestarted_first_pool(browser, prestarting_url, args.workers, figures)
                    interrupt_figures(browser, url, args.interrupts, figures)
                finally:
                    browser.close()
                browser = launch()
                try:
                    measure_memory(browser, name, url, figures)
                finally:
                    browser.close()
                results[name] = figures
    print(f"Pyodide {pyodide.version}, {args.workers} workers at most, one run")
    for name, figures in results.items():
        report(name, figures, args.workers)
    if args.picture:
        draw(results, args.workers, args.picture)
    return 0


if __name__ == "__main__":
    sys.exit(main())
