"""What jupyter-coi's kernel set-up costs a person who opens a notebook and runs its first cell
at once, in JupyterLite's Pyodide kernel, offline, side by side in one run.

(a) with jupyter-coi: the kernel's set-up (the pool package, cloudpickle, the interrupt
    buffer) runs before the first cell;
(b) without it: the same site with jupyter-coi's labextension disabled in jupyter-lite.json,
    so no set-up: jupyterlite-pyodide-kernel on its own.

Both sites are served with the isolation headers that `jupyter lite serve` sends, so both pages
are isolated. A visit is timed from navigation to the first cell's output on screen: the cell
is run with Ctrl+Enter as soon as it shows. The variants take turns, `--visits` each, in each
engine, after `--warm-up` visits each that are not timed (the first pages a browser and the
server serve are slower). Prints medians, p90s, the ratio a/b and the difference (goal: a/b
<= 1.10, or a - b <= 300 ms).

    python benchmarks/first_cell.py [--visits 5] [--warm-up 1] [--engines chromium firefox]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from builds import builds_folder, pyodide_build, serve, variant

from support.engines import firefox_launch_options
from support.harness import CHROMIUM_ARGS, require_chromium
from support.offline_pyodide import offline_pyodide
from support.pyodide_ui import LiteNotebook

VARIANTS = {"a": "with jupyter-coi", "b": "without jupyter-coi"}


def visit(browser, url: str) -> float:
    """Seconds from navigation to the first cell's output, in a page of a context of its own:
    its cache is empty, as on a first visit (the warm-up visits warm the browser's process and
    the server, not the cache)."""
    page = browser.new_page()
    try:
        started = time.perf_counter()
        nb = LiteNotebook(page, url, "first.ipynb")
        nb.wait_cells(1)
        nb.run(0, wait_running=False)
        out = nb.wait_output(0, r"first cell 42|Error", timeout=180)
        took = time.perf_counter() - started
        if "first cell 42" not in out:
            raise RuntimeError(out)
        return took
    finally:
        page.close()


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=5)
    parser.add_argument("--warm-up", type=int, default=1)
    parser.add_argument("--engines", nargs="+", default=["chromium", "firefox"])
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pyodide = offline_pyodide()
    results: dict[str, dict[str, list[float]]] = {}
    with builds_folder() as folder, tempfile.TemporaryDirectory(prefix="jupyter-coi-bench-") as tmp:
        build = pyodide_build(folder, pyodide)
        sites = {
            "a": build,
            "b": variant(build, Path(tmp) / "b", {"disabledExtensions": ["jupyter-coi"]}),
        }
        with contextlib.ExitStack() as stack, sync_playwright() as p:
            urls = {v: stack.enter_context(serve(site)) for v, site in sites.items()}
            for name in args.engines:
                if name == "chromium":
                    browser = p.chromium.launch(
                        executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS
                    )
                else:
                    browser = p.firefox.launch(**firefox_launch_options())
                try:
                    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
                    for _ in range(args.warm_up):
                        for v in VARIANTS:
                            visit(browser, urls[v])
                    for _ in range(args.visits):
                        for v in VARIANTS:
                            times[v].append(visit(browser, urls[v]))
                    results[name] = times
                finally:
                    browser.close()
    print(f"Pyodide {pyodide.version}; page open to the first cell's output, {args.visits} visits")
    for name, times in results.items():
        print(f"{name}:")
        print(f"  {'variant':<26}{'median':>9}{'p90':>9}")
        for v, label in VARIANTS.items():
            ms = [1000 * t for t in times[v]]
            print(f"  ({v}) {label:<22}{statistics.median(ms):>7.0f}ms{p90(ms):>7.0f}ms")
        a = statistics.median(times["a"])
        b = statistics.median(times["b"])
        met = a / b <= 1.10 or (a - b) * 1000 <= 300
        print(
            f"  ratio a/b = {a / b:.3f}, difference {1000 * (a - b):+.0f} ms; "
            f"goal (a/b <= 1.10 or <= 300 ms): {'met' if met else 'NOT met'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
