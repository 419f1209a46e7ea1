"""The APIs that notebooks already use for parallel Python, unchanged, in JupyterLite's Pyodide
kernel on an isolated offline site, in Chromium and Firefox: ``multiprocessing.Pool`` (every
method, callbacks, timeouts, initializer, maxtasksperchild, the pool's life),
``concurrent.futures.ProcessPoolExecutor`` (with its arguments) and joblib's default backend
run on the worker pool, with nothing imported from jupyter-coi.

- A person opens the notebook and runs its first cell as soon as it shows: a
  ``multiprocessing.Pool`` whose two workers run at the same time, proved from the tasks' own
  start and end times (wall clock, which every worker shares), not by a speed threshold.
- Every API gives the serial results; what cannot be given (``Queue``, ``Process``) says
  what works instead; a later pool takes the workers the earlier one left (the page holds no
  more workers than before).
- The interrupt button stops a ``Pool.map`` that would never end, and a new pool works; the
  traceback of an interrupt not caught ends at the user's line, not in the pool's waits.
- The site's settings (its ``overrides.json``): the kernel starts ``prestartWorkers`` workers
  as it starts, before any cell, and pools take them; a worker started before the kernel
  loaded a package (joblib) loads it when a pool takes it, so the page starts no new one; the
  page stops the workers that waited ``idleWorkerSeconds`` for a pool, all but the
  ``prestartWorkers`` that the kernel keeps.
- ``examples/05-parallel-python.ipynb`` runs as on Binder's server kernel.

The refusal on a page that is not isolated, in all three engines, is in test_worker_pool.py.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from support.harness import REPO
from support.lite_sites import Served, isolated_pyodide_site
from support.pyodide_ui import LiteNotebook, for_pyodide_kernel, notebook, pool_workers

FIRST = """\
import multiprocessing, time

def busy(seconds):
    # Its own start and end, by the wall clock that every worker shares.
    start = time.time()
    while time.time() - start < seconds:
        pass
    return start, time.time()

with multiprocessing.Pool(2) as p:
    spans = p.map(busy, [1.0] * 4, chunksize=1)
overlapping = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
               if max(a[0], b[0]) < min(a[1], b[1])]
print('cpu_count', multiprocessing.cpu_count(), '| overlapping pairs', len(overlapping))
"""

POOL = """\
import concurrent.futures, multiprocessing.pool

def square(x):
    return x * x

def add(a, b):
    return a + b

def where(_=None):
    # The Web Worker that runs it: the page names each pool worker. It takes a while, so that
    # one worker cannot run every task before the other has taken one.
    import js, time
    time.sleep(0.1)
    name = str(getattr(js, 'name', ''))
    return name if ' worker ' in name else 'the kernel'


def fail_on_three(x):
    if x == 3:
        raise ValueError(f'three is bad: {x}')
    return x

factor = None
def init(k):
    global factor
    factor = k

def scaled(x):
    return x * factor

def say(*what):
    print(*what, flush=True)

items = list(range(30))
with multiprocessing.get_context('spawn').Pool(2) as p:
    say('map', p.map(square, items) == [x * x for x in items])
    say('imap', list(p.imap(square, items, 4)) == [x * x for x in items])
    say('imap_unordered', sorted(p.imap_unordered(square, items)) == [x * x for x in items])
    say('starmap', p.starmap(add, [(1, 2), (3, 4)]) == [3, 7])
    say('apply', p.apply(add, (2, 3)) == 5)
    say('workers', sorted(set(p.map(where, range(8), 1))))
    got = []
    p.apply_async(square, (6,), callback=got.append).get(60)
    p.map_async(square, [1, 2], callback=got.append).get(60)
    say('callbacks', got == [36, [1, 4]])
    errors = []
    failing = p.map_async(fail_on_three, range(5), error_callback=errors.append)
    failing.wait(60)
    say('error_callback', [str(e) for e in errors] == ['three is bad: 3'])
    try:
        failing.get(60)
    except ValueError as error:
        say('raised', 'in fail_on_three' in str(error.__cause__))
    try:
        p.apply_async(time.sleep, (2,)).get(timeout=0.1)
    except multiprocessing.TimeoutError:
        say('timeout', True)
with multiprocessing.pool.Pool(2, initializer=init, initargs=(10,)) as p:
    say('initializer', p.map(scaled, [1, 2, 3]) == [10, 20, 30])
p = multiprocessing.Pool(1, maxtasksperchild=1)
say('maxtasksperchild', len(set(p.map(where, range(3), 1))))
p.close()
p.join()
try:
    p.map(square, [1])
except ValueError as error:
    say('closed', str(error))
with concurrent.futures.ProcessPoolExecutor(
    max_workers=2, mp_context=multiprocessing.get_context('spawn'),
    initializer=init, initargs=(3,), max_tasks_per_child=5,
) as ex:
    say('ProcessPoolExecutor', list(ex.map(scaled, range(6))) == [3 * x for x in range(6)])
for make in (multiprocessing.Queue, lambda: multiprocessing.Process(target=print).start()):
    try:
        make()
    except NotImplementedError as error:
        say('refused', str(error))
print('pool done')
"""

JOBLIB = """\
import joblib
serial = [square(x) for x in range(40)]
print('joblib n_jobs=2', joblib.Parallel(n_jobs=2)(joblib.delayed(square)(x) for x in range(40)) == serial)
spans = joblib.Parallel(n_jobs=2)(joblib.delayed(busy)(1.0) for _ in range(4))
overlapping = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
               if max(a[0], b[0]) < min(a[1], b[1])]
print('joblib overlapping pairs', len(overlapping))
print('joblib where', set(joblib.Parallel(n_jobs=-1)(joblib.delayed(where)(x) for x in range(4))))
print('joblib threads', set(joblib.Parallel(n_jobs=2, prefer='threads')(joblib.delayed(where)(x) for x in range(4))))
print('joblib sharedmem', set(joblib.Parallel(n_jobs=2, require='sharedmem')(joblib.delayed(where)(x) for x in range(4))))
"""

LATER = """\
started = time.perf_counter()
with multiprocessing.Pool(2) as p:
    p.apply(abs, (-1,))
print(f'later pool first result after {(time.perf_counter() - started) * 1000:.0f} ms')
"""

FOREVER = """\
def forever(x):
    while True:
        pass

started = time.monotonic()
p = multiprocessing.Pool(2)
try:
    p.map(forever, range(6))
except KeyboardInterrupt:
    print(f'interrupted after {time.monotonic() - started:.1f} s')
"""

# Not caught: the traceback on screen.
UNCAUGHT = """\
p.terminate()
p = multiprocessing.Pool(2)
p.map(forever, range(6))
"""

AFTER = """\
p.terminate()
with multiprocessing.Pool(2) as again:
    print('new pool', again.map(abs, [-1, -2]) == [1, 2])
"""

CELLS = {
    "apis.ipynb": (FIRST, POOL, JOBLIB, LATER),
    "interrupt.ipynb": (FIRST, FOREVER, UNCAUGHT, AFTER),
}
EXAMPLE = REPO / "examples" / "05-parallel-python.ipynb"
NOTEBOOKS = {path: notebook(*cells) for path, cells in CELLS.items()}
NOTEBOOKS["example.ipynb"] = for_pyodide_kernel(EXAMPLE)

pytestmark = pytest.mark.engines("chromium", "firefox")

WORKER = r"jupyter-coi \S+ \S+ worker \d+"


# Short enough for a test to see the page stop the workers that wait; long enough that no wait
# between two pools of a cell, or two cells, reaches it.
IDLE_WORKER_SECONDS = 10
# Fewer than a pool of the tests has: its first pool takes this one and starts one more.
PRESTART_WORKERS = 1


@pytest.fixture(scope="module")
def site(tmp_path_factory, offline) -> Iterator[Served]:
    yield from isolated_pyodide_site(
        tmp_path_factory.mktemp("parallel-apis"),
        NOTEBOOKS,
        offline,
        settings={
            "jupyter-coi:pool": {
                "idleWorkerSeconds": IDLE_WORKER_SECONDS,
                "prestartWorkers": PRESTART_WORKERS,
            }
        },
    )


def first_cell(page, site: Served, path: str) -> LiteNotebook:
    """Open the notebook and run its first cell as soon as its cells show, as a person can:
    a multiprocessing.Pool whose two workers ran at the same time."""
    nb = LiteNotebook(page, site.url, path)
    nb.wait_cells(len(CELLS[path]))
    nb.run(0, wait_running=False)
    out = nb.wait_output(0, r"overlapping pairs \d+|Error", timeout=180)
    assert re.search(r"cpu_count \d+ \| overlapping pairs [1-9]", out), out
    return nb


def test_multiprocessing_process_pools_and_joblib_run_on_the_workers(site, page):
    nb = first_cell(page, site, "apis.ipynb")
    out = nb.run_until(1, "pool done", timeout=240)
    for line in (
        "map True",
        "imap True",
        "imap_unordered True",
        "starmap True",
        "apply True",
        "callbacks True",
        "error_callback True",
        "raised True",
        "timeout True",
        "initializer True",
        "maxtasksperchild 3",
        "closed Pool not running",
        "ProcessPoolExecutor True",
    ):
        assert line in out, (line, out)
    # Two Web Workers of the page ran the tasks, not the kernel.
    workers = re.search(r"workers \[(.*)\]", out)
    assert workers and len(re.findall(WORKER, workers.group(1))) == 2, out
    refused = re.findall(r"refused (.*)", out)
    assert [r.split(" is not")[0] for r in refused] == [
        "multiprocessing.Queue",
        "multiprocessing.Process.start",
    ], out
    assert all(
        "Use multiprocessing.Pool or concurrent.futures.ProcessPoolExecutor" in r for r in refused
    )

    joblib = nb.run_until(2, "joblib sharedmem", timeout=240)
    assert "joblib n_jobs=2 True" in joblib, joblib
    assert re.search(r"joblib overlapping pairs [1-9]", joblib), joblib
    assert re.search(rf"joblib where {{'{WORKER}'", joblib), joblib
    # Threads and shared memory are the kernel's own: joblib keeps those in it.
    assert "joblib threads {'the kernel'}" in joblib, joblib
    assert "joblib sharedmem {'the kernel'}" in joblib, joblib

    # A later pool took the workers that the pools before left, joblib's too (they were
    # started before the kernel loaded joblib, and loaded it): the page holds no more.
    # The browser lists a worker that the page terminated a little longer.
    deadline = time.monotonic() + 10
    while pool_workers(page) > 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    before = pool_workers(page)
    later = nb.run_until(3, r"first result after \d+ ms")
    assert re.search(r"later pool first result after \d+ ms", later), later
    assert pool_workers(page) == before <= 2
    # The site's settings: the page stops workers that waited IDLE_WORKER_SECONDS for a pool,
    # but for the PRESTART_WORKERS that the kernel keeps.
    waited = time.monotonic()
    while (
        pool_workers(page) > PRESTART_WORKERS
        and time.monotonic() - waited < 3 * IDLE_WORKER_SECONDS
    ):
        page.wait_for_timeout(250)
    assert pool_workers(page) == PRESTART_WORKERS
    assert time.monotonic() - waited > IDLE_WORKER_SECONDS / 2
    # Its timer ran out too, and left it.
    page.wait_for_timeout(2000)
    assert pool_workers(page) == PRESTART_WORKERS
    assert page.console_log.errors("jupyter-coi") == []


def test_interrupt_stops_a_pool_map_and_a_new_pool_works(site, page):
    nb = first_cell(page, site, "interrupt.ipynb")
    # Once both workers are in `forever` and the kernel waits in map.
    nb.interrupt_while_running(1, r"interrupted after")
    # Uncaught, its traceback ends at the user's line, as on a server: none of the pool's
    # waits are shown.
    nb.run(2)
    page.wait_for_timeout(1500)
    nb.interrupt()
    shown = nb.wait_output(2, r"KeyboardInterrupt", timeout=10)
    nb.wait_done(2)
    shown = nb.output(2)
    assert "p.map(forever, range(6))" in shown, shown
    assert "jupyter_coi" not in shown, shown
    after = nb.run_until(3, "new pool")
    assert "new pool True" in after, after


@pytest.mark.engines("chromium")
def test_the_example_notebook_runs_in_jupyterlite(site, page):
    """examples/05-parallel-python.ipynb, unchanged but for its kernel: what Binder's server
    kernel runs (tests/browser/test_binder.py), cell by cell."""
    nb = LiteNotebook(page, site.url, "example.ipynb")
    lasts = ["CPUs for a pool", "serial: ", "later pool: .* same results", "joblib: "]
    nb.wait_cells(len(json.loads(EXAMPLE.read_text())["cells"]))
    # The kernel starts its workers as it starts, before any cell.
    nb.kernel_reports()
    deadline = time.monotonic() + 30
    while pool_workers(page) < PRESTART_WORKERS and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert pool_workers(page) == PRESTART_WORKERS
    cells = nb.code_cells()
    assert len(cells) == len(lasts)
    text = "\n".join(nb.run_until(i, last, 240) for i, last in zip(cells, lasts, strict=True))
    assert "in the browser (Pyodide)" in text, text
    assert len(re.findall(r"multiprocessing.Pool, \w+ pool: .* same results: True", text)) == 2
    assert "joblib: " in text and text.count("same results: True") == 3, text
    assert "Error" not in text, text
