"""Load time of a JupyterLite lab page on repeat visits, in Chromium, three ways to isolate it.

(a) real headers: the plain site, served by a server that sends the policy's headers;
(b) jupyter-coi's service-worker mode: the same site with JupyterLite's worker wrapped, served
    by a server that sends no headers (GitHub Pages);
(c) the peer: the npm package coi-serviceworker, added to the plain site as its README says,
    served without headers.

Each variant gets its first visit (and the reload its worker needs), then `--visits` timed
visits, the variants taking turns. A visit is timed from navigation to JupyterLab's launcher on
screen. Prints medians, p90s, whether each page ended isolated, and the ratios b/a (goal <= 1.05)
and b/c (goal <= 1.00).

    python benchmarks/lite_load.py [--visits 15]

Needs jupyterlite-core, Chromium at /usr/bin/chromium, and npm (to fetch coi-serviceworker).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from builds import builds_folder, lite_build, serve

from jupyter_coi.policy import Policy
from jupyter_coi.static.serviceworker import install_page_script, wrap_service_worker
from support.harness import CHROMIUM_ARGS, require_chromium

READY = "#jp-main-dock-panel .jp-Launcher"
VARIANTS = {
    "a": "real headers",
    "b": "jupyter-coi service worker",
    "c": "coi-serviceworker (npm)",
}


def add_coi_serviceworker(site: Path, folder: Path) -> None:
    script = folder / "coi-serviceworker-0.1.7.js"
    if not script.exists():
        with tempfile.TemporaryDirectory(dir=folder, prefix=".npm-") as tmp:
            work = Path(tmp)
            subprocess.run(
                ["npm", "pack", "coi-serviceworker@0.1.7", "--silent"],
                cwd=work,
                check=True,
                capture_output=True,
                timeout=120,
            )
            subprocess.run(["tar", "xzf", "coi-serviceworker-0.1.7.tgz"], cwd=work, check=True)
            os.replace(work / "package" / "coi-serviceworker.js", script)
    shutil.copy(script, site / "coi-serviceworker.js")
    # Its README: load it from a script tag in the page, before anything else.
    index = site / "lab" / "index.html"
    html = index.read_text()
    index.write_text(
        html.replace("<head>", '<head><script src="../coi-serviceworker.js"></script>', 1)
    )


def settle(page, url: str, timeout: float = 30) -> bool:
    """First visit: let the worker install and reload; True if the page ends isolated."""
    page.goto(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            page.wait_for_selector(READY, timeout=5000)
            if page.evaluate("self.crossOriginIsolated"):
                return True
        except Exception:  # a reload destroyed the context mid-read: read again
            pass
        time.sleep(0.5)
    return False


# A visit whose navigation never finishes is counted and printed with its variant, then visited
# again: the figures stay comparable, and the stall is shown rather than lost.
STALL_MS = 30_000


def timed_visit(page, url: str, stalls: list[str]) -> tuple[float, bool]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(2):
        start = time.perf_counter()
        try:
            page.goto(url, timeout=STALL_MS)
            page.wait_for_selector(READY, timeout=STALL_MS)
        except PlaywrightTimeout as e:
            stalls.append(str(e).splitlines()[0])
            if attempt:
                raise
            continue
        elapsed = time.perf_counter() - start
        return elapsed, bool(page.evaluate("self.crossOriginIsolated"))
    raise AssertionError("unreachable")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=15)
    args = parser.parse_args()
    policy = Policy()

    with builds_folder() as folder, tempfile.TemporaryDirectory() as tmp:
        # jupyter-coi's own addon left out: the variants add to the plain site.
        plain = lite_build(folder, "plain", args=("--disable-addons", "jupyter-coi"))
        # Copies, not variant()'s links: (b) and (c) rewrite files of the build.
        sites = {v: Path(tmp) / v for v in VARIANTS}
        for site in sites.values():
            shutil.copytree(plain, site)
        wrap_service_worker(sites["b"], policy)
        install_page_script(sites["b"])
        add_coi_serviceworker(sites["c"], folder)

        headers = {"a": policy.headers(), "b": {}, "c": {}}
        with contextlib.ExitStack() as stack:
            urls = {
                v: stack.enter_context(serve(site, headers[v])) + "lab/index.html"
                for v, site in sites.items()
            }
            times, isolated, first, workers, stalls = measure(urls, args.visits)
    report(times, isolated, first, workers, args.visits, stalls)
    return 0


def measure(urls: dict[str, str], visits: int):
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {v: [] for v in urls}
    isolated: dict[str, list[bool]] = {v: [] for v in urls}
    stalls: dict[str, list[str]] = {v: [] for v in urls}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        pages = {v: browser.new_context().new_page() for v in urls}
        first = {v: settle(pages[v], url) for v, url in urls.items()}
        for i in range(visits):
            order = list(urls) if i % 2 == 0 else list(reversed(urls))
            for v in order:
                elapsed, coi = timed_visit(pages[v], urls[v], stalls[v])
                times[v].append(elapsed)
                isolated[v].append(coi)
        # One wait for all the pages: each has been idle since its last visit.
        pages[next(iter(urls))].wait_for_timeout(2000)
        workers = {v: pages[v].evaluate(WORKER_STATE) for v in urls}
        browser.close()
    return times, isolated, first, workers, stalls


# Which worker ended up in control, and whether JupyterLite's own worker API (its drive and
# stdin go through it: file access and input() in the Pyodide kernel) still answers. Read 2 s
# after the last visit, to let JupyterLite's own registration run its course.
WORKER_STATE = """
async () => {
  const controller = navigator.serviceWorker.controller;
  const heartbeat = await fetch('/api/service-worker-heartbeat').then(r => r.status, () => 0);
  return {
    controller: controller ? new URL(controller.scriptURL).pathname : 'none',
    jupyterliteWorkerApi: heartbeat === 200,
  };
}
"""


def report(times, isolated, first, workers, visits: int, stalls) -> None:
    print(f"JupyterLite lab page, repeat visits in Chromium ({visits} per variant, alternating)")
    print(f"{'variant':<30} {'median':>8} {'p90':>8}  isolated (first visit / repeat visits)")
    medians = {}
    for v, name in VARIANTS.items():
        ordered = sorted(times[v])
        medians[v] = statistics.median(ordered)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        repeat = f"{sum(isolated[v])}/{len(isolated[v])}"
        print(
            f"({v}) {name:<26} {medians[v] * 1000:>6.0f}ms {p90 * 1000:>6.0f}ms  {first[v]} / {repeat}"
        )
    for v in VARIANTS:
        state = workers[v]
        api = "answers" if state["jupyterliteWorkerApi"] else "GONE (no drive, no stdin)"
        print(f"({v}) controlling worker {state['controller']}; JupyterLite's worker API {api}")
    for v in VARIANTS:
        for stall in stalls[v]:
            print(f"({v}) STALLED visit, visited again: {stall}")
    print(f"ratio b/a = {medians['b'] / medians['a']:.3f} (goal <= 1.05)")
    print(f"ratio b/c = {medians['b'] / medians['c']:.3f} (goal <= 1.00)")


if __name__ == "__main__":
    sys.exit(main())
