"""Interrupt latency of a Pyodide kernel in JupyterLite, in headless Chromium, offline.

One cell says it runs, spins in `while True: pass`, catches each KeyboardInterrupt, prints a
numbered line and spins again. For each interrupt the page clicks the notebook's interrupt
button and waits for that line in the cell's output: the latency is from the click to the line
on screen, in the page's clock. Interrupts are spaced a random 50-250 ms apart so that they land anywhere
in the loop. An interrupt with no line within --timeout seconds is lost.

Side by side, one run: the same site with jupyter-coi's interrupt plugin (a) and with it
disabled in jupyter-lite.json (b), which is jupyterlite-pyodide-kernel on its own.

    python benchmarks/pyodide_interrupt.py [--interrupts 120] [--baseline 10]

Goal for (a): median < 20 ms, p95 < 50 ms, none lost.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from builds import builds_folder, pyodide_build, serve, variant

from support.harness import CHROMIUM_ARGS, require_chromium
from support.offline_pyodide import offline_pyodide
from support.pyodide_ui import LiteNotebook


def measure(page, url: str, count: int, timeout: float, expect_ready: bool) -> list[float | None]:
    nb = LiteNotebook(page, url, "spin.ipynb")
    state, reason = nb.kernel_reports() if expect_ready else ("disabled", None)
    if expect_ready and state != "ready":
        raise RuntimeError(f"no interrupt buffer: {reason}")
    nb.run(0)
    nb.wait_output(0, "spinning", timeout=180)
    page.wait_for_timeout(500)
    results = []
    for _ in range(count):
        page.wait_for_timeout(random.randint(50, 250))
        caught = len(results) - results.count(None) + 1
        results.append(nb.interrupt_until(f"interrupt {caught} caught", timeout))
    return results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, results: list[float | None]) -> None:
    got = [r for r in results if r is not None]
    lost = len(results) - len(got)
    if got:
        print(
            f"{name}: {len(results)} interrupts, lost {lost}; min {min(got):.1f} ms, "
            f"median {statistics.median(got):.1f} ms, p95 {percentile(got, 95):.1f} ms, "
            f"max {max(got):.1f} ms"
        )
    else:
        print(f"{name}: {len(results)} interrupts, lost {lost} (none reached the notebook)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interrupts", type=int, default=120)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pyodide = offline_pyodide()
    with builds_folder() as folder, tempfile.TemporaryDirectory(prefix="jupyter-coi-bench-") as tmp:
        build = pyodide_build(folder, pyodide)
        # Without the interrupt plugin, and only that: the rest of the set-up as in (a).
        baseline = variant(
            build, Path(tmp) / "b", {"disabledExtensions": ["jupyter-coi:pyodide-interrupt"]}
        )
        with (
            serve(build) as url_a,
            serve(baseline) as url_b,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(
                executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS
            )
            a = measure(browser.new_page(), url_a, args.interrupts, args.timeout, True)
            b = measure(browser.new_page(), url_b, args.baseline, args.timeout, False)
            browser.close()
    report("(a) with jupyter-coi", a)
    report("(b) jupyterlite-pyodide-kernel alone", b)
    got = [r for r in a if r is not None]
    if got:
        met = statistics.median(got) < 20 and percentile(got, 95) < 50 and len(got) == len(a)
        print(f"goal (median < 20 ms, p95 < 50 ms, none lost): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
