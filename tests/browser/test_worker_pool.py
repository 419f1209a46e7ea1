"""The worker pool (``jupyter_coi.pool``) in JupyterLite's Pyodide kernel, offline, in Chromium
and Firefox: from a plain notebook cell, with nothing installed.

On an isolated site (``jupyter lite serve``): ``map`` gives the serial results; lambdas,
closures and notebook functions go to the workers by value; an exception comes back with
the worker's traceback; ``wait`` and ``as_completed`` work; 32 MB cross both ways; joblib
runs on the pool. The interrupt button stops a blocking ``map`` with ``KeyboardInterrupt``,
the interrupted pool and a new one work, and the new pool takes the first one's workers back
(the page holds no more); a restart leaves no worker running (counted from the page, by the
browser's own list of workers). A worker whose mailbox is corrupt fails its own task with the
reason, and the page starts another in its place. On a site that is not isolated, making a
pool (ours, ``multiprocessing.Pool`` or ``ProcessPoolExecutor``) raises ``NotIsolatedError``
at once.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from jupyter_coi.pool.mailbox import WINDOW
from support.harness import REPO
from support.lite_sites import Served
from support.pyodide_ui import CPU_WORK, LiteNotebook, for_pyodide_kernel, notebook, pool_workers

SETUP = (
    """\
import time
from jupyter_coi.pool import WorkerPoolExecutor

"""
    + CPU_WORK
    + """
started = time.perf_counter()
pool = WorkerPoolExecutor(max_workers=2)
print('first result', pool.submit(abs, -3).result(timeout=120),
      f'after {time.perf_counter() - started:.2f} s')
"""
)

SEMANTICS = """\
import concurrent.futures as cf
offset = 10
add = lambda x: x + offset
def times(k):
    def f(x):
        return x * k
    return f
def boom(x):
    raise ValueError(f'bad {x}')

inputs = list(range(0, 40000, 2000))
print('map', list(pool.map(spin, inputs)) == [spin(n) for n in inputs])
print('chunked', list(pool.map(add, range(9), chunksize=4)) == [x + 10 for x in range(9)])
print('closure', pool.submit(times(3), 7).result())
print('naps', list(pool.map(time.sleep, [0.01, 0.01])))  # the kernel's own time.sleep, by name
try:
    pool.submit(boom, 5).result()
except ValueError as error:
    print('raised', error, '| worker traceback:', 'in boom' in str(error.__cause__))
futures = [pool.submit(spin, n) for n in (3000, 1000, 2000)]
done, not_done = cf.wait(futures, timeout=60)
print('wait', len(done), len(not_done))
print('as_completed', sorted(f.result() for f in cf.as_completed(futures))
      == sorted(spin(n) for n in (3000, 1000, 2000)))
big = bytes(range(256)) * (1 << 17)
print('32 MB there', pool.submit(len, big).result(), 'and back', len(pool.submit(bytes, 32 << 20).result()))
"""

JOBLIB = """\
import joblib
with joblib.parallel_config(backend='jupyter-coi', n_jobs=2):
    out = joblib.Parallel()(joblib.delayed(spin)(n) for n in range(0, 20000, 1000))
print('joblib', out == [spin(n) for n in range(0, 20000, 1000)])
"""

FOREVER = """\
def forever(x):
    while True:
        pass

started = time.monotonic()
try:
    list(pool.map(forever, range(6)))
except KeyboardInterrupt:
    print(f'interrupted after {time.monotonic() - started:.1f} s')
"""

AFTER = """\
print('same pool', pool.submit(spin, 1000).result(timeout=60) == spin(1000))
pool.shutdown()
with WorkerPoolExecutor(max_workers=2) as again:
    print('new pool', list(again.map(spin, [10, 20])) == [spin(10), spin(20)])
"""

# The victim's outcome is in its worker's mailbox, not yet read, when the cell overwrites the
# length slot: done() and result() read the mailbox, so the cell waits on has_message().
CORRUPT = """\
from jupyter_coi.pool.mailbox import WINDOW

def slow(x):
    time.sleep(1)
    return x

victim = pool.submit(slow, 7)
bystander = pool.submit(spin, 3000)
while not any(w.future is victim for w in pool._workers):
    victim.running()
worker = next(w for w in pool._workers if w.future is victim)
position = pool._workers.index(worker)
deadline = time.monotonic() + 60
while not worker.mailbox.has_message() and time.monotonic() < deadline:
    time.sleep(0.01)
print('outcome waiting', worker.mailbox.has_message())
worker.mailbox.store('from_length', WINDOW + 1)
try:
    victim.result(timeout=30)
except Exception as error:
    print('victim raised', type(error).__name__, error)
print('bystander', bystander.result(timeout=60) == spin(3000))
print('map after', list(pool.map(spin, [10, 20, 30])) == [spin(n) for n in (10, 20, 30)])
print('done calm', victim.done() and bystander.done())
fresh = pool._workers[position]
print('replaced', fresh is not worker)
"""

FRESH = """\
deadline = time.monotonic() + 120
while fresh.state.value == 'starting' and time.monotonic() < deadline:
    pool._pump()
    time.sleep(0.05)
print('fresh worker', fresh.state.value)
print('both work', list(pool.map(spin, [500] * 8)) == [spin(500)] * 8)
"""

# Reading past the end of the WebAssembly memory is a fatal error of the worker's interpreter.
CRASH = """\
def crash(_):
    import ctypes
    return ctypes.string_at(2**32 - 64, 64)

try:
    pool.submit(crash, 1).result(timeout=60)
except Exception as error:
    print('crashed', type(error).__name__, error)
print('others work', list(pool.map(spin, [10, 20, 30])) == [spin(n) for n in (10, 20, 30)])
deadline = time.monotonic() + 120
while any(w.state.value != 'idle' for w in pool._workers) and time.monotonic() < deadline:
    pool._pump()
    time.sleep(0.05)
print('workers', sorted(w.state.value for w in pool._workers))
"""

NOT_ISOLATED = """\
import concurrent.futures, multiprocessing
from jupyter_coi.pool import NotIsolatedError, WorkerPoolExecutor
also = []
for make in (lambda: multiprocessing.Pool(2), lambda: concurrent.futures.ProcessPoolExecutor(2)):
    try:
        make()
    except NotIsolatedError:
        also.append(True)
try:
    WorkerPoolExecutor()
except NotIsolatedError as error:
    print('refused:', error, '| multiprocessing.Pool and ProcessPoolExecutor too:', also == [True, True])
"""


EXAMPLE = REPO / "examples" / "04-worker-pool.ipynb"

NOTEBOOKS = {
    "example.ipynb": for_pyodide_kernel(EXAMPLE),
    "pool.ipynb": notebook(SETUP, SEMANTICS, JOBLIB),
    "interrupt.ipynb": notebook(SETUP, FOREVER, AFTER),
    "corrupt.ipynb": notebook(SETUP, CORRUPT, FRESH),
    "crash.ipynb": notebook(SETUP, CRASH),
    "refused.ipynb": notebook(NOT_ISOLATED),
}

pytestmark = pytest.mark.engines("chromium", "firefox")


def start_pool(page, site: Served, path: str, cells: int) -> LiteNotebook:
    """Open the notebook and run its first cell as soon as its cells show."""
    nb = LiteNotebook(page, site.url, path)
    nb.wait_cells(cells)
    assert page.evaluate("crossOriginIsolated") is True
    nb.run(0, wait_running=False)
    out = nb.wait_output(0, r"first result .* s|Error", timeout=150)
    assert re.search(r"first result 3 after [\d.]+ s", out), out
    return nb


def run(nb: LiteNotebook, index: int, last: str, timeout: float = 120) -> str:
    return nb.run_until(index, last, timeout)


def test_map_lambdas_closures_errors_and_large_data(isolated_site, page):
    nb = start_pool(page, isolated_site, "pool.ipynb", 3)
    assert pool_workers(page) == 2
    out = run(nb, 1, r"and back \d+")
    assert "map True" in out, out
    assert "chunked True" in out, out
    assert "closure 21" in out, out
    assert "naps [None, None]" in out, out
    assert "raised bad 5 | worker traceback: True" in out, out
    assert "wait 3 0" in out and "as_completed True" in out, out
    assert "32 MB there 33554432 and back 33554432" in out, out
    assert "joblib True" in run(nb, 2, "joblib")
    assert page.console_log.errors("jupyter-coi") == []


@pytest.mark.engines("chromium")  # Firefox's: multiprocessing.Pool's, in test_parallel_apis.py
def test_interrupt_stops_a_blocking_map_and_pools_work_after(isolated_site, page):
    nb = start_pool(page, isolated_site, "interrupt.ipynb", 3)
    # Once both workers are in `forever` and the kernel waits in map.
    nb.interrupt_while_running(1, r"interrupted after")
    after = run(nb, 2, "new pool")
    assert "same pool True" in after and "new pool True" in after, after
    # The new pool took the first pool's two workers back, and both wait for the next pool. (A
    # worker that did not stop in time was replaced; the browser lists a terminated worker a
    # little longer.)
    deadline = time.monotonic() + 10
    while pool_workers(page) != 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert pool_workers(page) == 2


def test_a_restart_leaves_no_worker_running(isolated_site, page):
    nb = start_pool(page, isolated_site, "interrupt.ipynb", 3)
    assert pool_workers(page) == 2
    nb.restart()
    nb.wait_ready(count=2)
    deadline = time.monotonic() + 10
    while pool_workers(page) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert pool_workers(page) == 0


@pytest.mark.engines("chromium")
def test_a_corrupt_mailbox_fails_its_worker_alone(isolated_site, page):
    """A length slot that no writer wrote fails the task whose outcome it describes, with the
    reason; the other worker's task, later maps and a worker started in its place work."""
    nb = start_pool(page, isolated_site, "corrupt.ipynb", 3)
    out = run(nb, 1, r"replaced \w+")
    assert "outcome waiting True" in out, out
    assert re.search(
        r"victim raised BrokenWorkerPool worker \d failed: the mailbox is corrupt: its "
        rf"from_length slot holds {WINDOW + 1}, .*; a new worker takes its place",
        out,
    ), out
    assert "bystander True" in out, out
    assert "map after True" in out, out
    assert "done calm True" in out, out
    assert "replaced True" in out, out
    after = run(nb, 2, r"both work \w+", timeout=180)
    assert "fresh worker idle" in after and "both work True" in after, after
    # The page stopped the worker whose mailbox was corrupt, and started one in its place.
    deadline = time.monotonic() + 10
    while pool_workers(page) != 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert pool_workers(page) == 2


@pytest.mark.engines("chromium")
def test_a_worker_whose_interpreter_dies_fails_its_task_and_is_replaced(isolated_site, page):
    """No result() waits for ever on a worker that died: its task fails with the reason, the
    other worker goes on, and a new worker takes the dead one's place."""
    nb = start_pool(page, isolated_site, "crash.ipynb", 2)
    out = run(nb, 1, r"workers \[.*\]", timeout=180)
    assert re.search(
        r"crashed BrokenWorkerPool worker \d+ failed: .*memory access out of bounds.*; a new "
        r"worker takes its place",
        out,
    ), out
    assert "others work True" in out, out
    assert "workers ['idle', 'idle']" in out, out
    assert pool_workers(page) == 2


def test_a_page_that_is_not_isolated_refuses_a_pool_at_once(plain_site, page):
    nb = LiteNotebook(page, plain_site.url, "refused.ipynb")
    nb.wait_cells(1)
    assert page.evaluate("crossOriginIsolated") is False
    started = time.monotonic()
    out = run(nb, 0, "refused", timeout=90)
    assert "refused: This page is not cross-origin isolated" in out, out
    assert "multiprocessing.Pool and ProcessPoolExecutor too: True" in out, out
    assert "jupyter lite serve" in out
    assert time.monotonic() - started < 60
    assert pool_workers(page) == 0


@pytest.mark.engines("chromium")
def test_the_example_notebook_runs_in_jupyterlite(isolated_site, page):
    nb = LiteNotebook(page, isolated_site.url, "example.ipynb")
    # What each code cell prints last.
    lasts = ["workers by default", r"estimates in .* mean", r"speed-up .* same results", "joblib"]
    nb.wait_cells(len(json.loads(EXAMPLE.read_text())["cells"]))
    cells = nb.code_cells()
    assert len(cells) == len(lasts)
    text = "\n".join(run(nb, i, last, timeout=180) for i, last in zip(cells, lasts, strict=True))
    assert "in the browser (Pyodide)" in text, text
    assert re.search(
        r"serial: [\d.]+ s, pool of \d+ workers: [\d.]+ s, speed-up [\d.]+x, same results: True",
        text,
    ), text
    assert "joblib: same results: True" in text, text
    assert "Error" not in text, text


@pytest.mark.engines("webkit")
def test_webkit_refuses_a_pool_with_the_reason(plain_site, page):
    """WebKitGTK runs the kernel on a page that is not isolated (on an isolated one it does not
    start the kernel at all: JupyterLite's channel to it then needs the SharedArrayBuffer that
    WebKitGTK does not give). Driven through WebDriver, whose keys reach the notebook as a
    user's would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    page.goto(f"{plain_site.url}lab/index.html?path=refused.ipynb")
    page.wait_for_selector(".jp-Notebook .jp-Cell .jp-InputPrompt", timeout=60_000)
    output = ".jp-Notebook .jp-Cell .jp-OutputArea"
    text = "(s) => document.querySelector(s)?.innerText ?? ''"
    # As soon as the cell shows its code (before the file is read, the notebook shows the one
    # empty cell of a new notebook): the kernel's set-up runs before any cell.
    page.wait_for_function(
        "() => document.querySelector('.jp-Notebook .jp-Cell')?.innerText"
        ".includes('WorkerPoolExecutor')",
        timeout=60_000,
    )
    prompt = "() => document.querySelector('.jp-Notebook .jp-Cell .jp-InputPrompt').innerText"
    before = page.evaluate(prompt)
    # Keys that arrive while the page still settles can go nowhere: pressed again (at most 4
    # times) until the prompt shows the cell queued, and never once it has.
    for _ in range(4):
        if page.evaluate(
            "() => [...document.querySelectorAll('.jp-Dialog')]"
            ".some(d => d.textContent.includes('Select Kernel'))"
        ):
            # JupyterLab asks for a kernel when a cell is run before the notebook's session
            # has one: a person takes the one it offers, and runs the cell again.
            page.wait_for_selector(".jp-Dialog .jp-mod-accept").click()
            page.wait_for_function("() => !document.querySelector('.jp-Dialog')", timeout=10_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell .jp-InputPrompt").click()
        ActionChains(page.driver).send_keys(Keys.ESCAPE).key_down(Keys.CONTROL).send_keys(
            Keys.ENTER
        ).key_up(Keys.CONTROL).perform()
        try:
            page.wait_for_function(f"(before) => ({prompt})() !== before", before, timeout=5_000)
            break
        except TimeoutError:
            continue
    page.wait_for_function(
        "(s) => /refused:|Error/.test(document.querySelector(s)?.innerText ?? '')",
        output,
        timeout=90_000,
    )
    out = page.evaluate(text, output)
    assert "refused: This page is not cross-origin isolated" in out, out
    assert "multiprocessing.Pool and ProcessPoolExecutor too: True" in out, out
