"""Everything jupyter-coi gives a Pyodide kernel works from the first cell, run the moment a
person can: Run All as the notebook shows, Ctrl+Enter as soon as the first editor shows, a
REPL's ``?code=``. The first cell imports ``jupyter_coi.pool`` and uses a pool; an endless first
cell is stopped by the interrupt button and the next cell sees its variable; on a page that is
not isolated, a first cell that makes a pool is refused with ``NotIsolatedError``.

Nothing here waits for what a person cannot see (no console line, no internal state): only the
notebook's cells, their prompts and outputs, and the kernel's busy indicator. The main cases run
several times from a fresh page (3 in each engine), since a race shows only some of
the time; a compatibility run may ask for fewer (``JUPYTER_COI_REPEATS``).
"""

from __future__ import annotations

import os
import re
import urllib.parse

import pytest

from support.lite_sites import (
    Served,
)
from support.pyodide_ui import LiteNotebook, notebook

POOL = """\
from jupyter_coi.pool import WorkerPoolExecutor
with WorkerPoolExecutor(max_workers=2) as pool:
    print('pool says', sum(pool.map(abs, [-1, -2, -3])))
"""
SECOND = "print('second cell', 1 + 1)"

POOL_THEN_LOOP = (
    POOL
    + """\
i = 0
while True:
    i += 1
"""
)
AFTER_LOOP = "print('the loop reached', i > 0)"

REFUSED = """\
from jupyter_coi.pool import NotIsolatedError, WorkerPoolExecutor
try:
    WorkerPoolExecutor()
except NotIsolatedError as error:
    print('refused:', type(error).__name__)
"""

NOTEBOOKS = {
    "pool.ipynb": notebook(POOL, SECOND),
    "spin.ipynb": notebook("i = 0\nwhile True:\n    i += 1", SECOND),
    "loop.ipynb": notebook(POOL_THEN_LOOP, AFTER_LOOP),
    "refused.ipynb": notebook(REFUSED),
}
REPEATS = {"chromium": 3, "firefox": 3}
if os.environ.get("JUPYTER_COI_REPEATS"):
    REPEATS = {k: min(v, int(os.environ["JUPYTER_COI_REPEATS"])) for k, v in REPEATS.items()}
# What a first cell must never show. The patterns wait for whole lines: a kernel may send
# `print('pool says', 6)` as more than one piece of output.
FAILED = r"ModuleNotFoundError|Error|Traceback"

pytestmark = pytest.mark.engines("chromium", "firefox")


def open_notebook(page, site: Served, path: str, cells: int) -> LiteNotebook:
    """A fresh page with the notebook, returned as soon as its own cells show."""
    nb = LiteNotebook(page, site.url, path)
    nb.wait_cells(cells)
    return nb


def first_cell_uses_a_pool(nb: LiteNotebook) -> None:
    out = nb.wait_output(0, rf"pool says \d+|{FAILED}", timeout=180)
    assert "pool says 6" in out, out
    out = nb.wait_output(1, rf"second cell \d+|{FAILED}", timeout=60)
    assert "second cell 2" in out, out
    nb.wait_done(1)
    assert nb.prompts()[:2] == ["[1]:", "[2]:"], nb.prompts()


def test_run_all_as_the_notebook_opens(isolated_site, engine, page):
    for _ in range(REPEATS[engine.name]):
        nb = open_notebook(page, isolated_site, "pool.ipynb", 2)
        nb.run_all_from_menu()
        first_cell_uses_a_pool(nb)


def test_run_all_on_a_host_without_headers(worker_site, engine, page):
    """Isolated by the service worker, after its one reload on the first visit."""
    nb = open_notebook(page, worker_site, "pool.ipynb", 2)
    nb.run_all_from_menu()
    first_cell_uses_a_pool(nb)
    assert page.evaluate("crossOriginIsolated") is True


def test_ctrl_enter_at_once_then_the_interrupt_button(isolated_site, engine, page):
    """The first cell, run with Ctrl+Enter as soon as its editor shows, uses a pool and then
    loops for ever; the interrupt button stops it, and the next cell sees its variable."""
    for _ in range(REPEATS[engine.name]):
        nb = open_notebook(page, isolated_site, "loop.ipynb", 2)
        nb.run(0, wait_running=False)
        out = nb.wait_output(0, rf"pool says \d+|{FAILED}", timeout=180)
        assert "pool says 6" in out, out
        # A person sees the pool's answer, the cell still running, and stops it.
        page.wait_for_timeout(300)
        nb.interrupt()
        out = nb.wait_output(0, "KeyboardInterrupt", timeout=10)
        nb.wait_done(0)
        assert nb.prompt(0) == "[1]:"
        nb.run(1, wait_running=False)
        assert "the loop reached True" in nb.wait_output(
            1, f"the loop reached (True|False)|{FAILED}"
        )


def test_the_interrupt_button_while_the_kernel_starts(isolated_site, engine, page):
    """A person runs an endless first cell as the notebook opens and presses interrupt at
    once, while the kernel is still loading: the cell does not run on regardless (it is
    cancelled, or stopped as it starts), and the next cell runs."""
    nb = open_notebook(page, isolated_site, "spin.ipynb", 2)
    nb.run(0, wait_running=False)
    nb.interrupt()
    nb.wait_done(0, timeout=180)
    assert re.search("Kernel Interrupt|KeyboardInterrupt", nb.output(0)), nb.output(0)
    nb.run(1, wait_running=False)
    out = nb.wait_output(1, rf"second cell \d+|{FAILED}", timeout=60)
    assert "second cell 2" in out, out


def test_a_repl_runs_its_code_parameter(isolated_site, engine, page):
    code = urllib.parse.quote(POOL)
    # Fewer times than the notebook's cases: the same kernel set-up, a lighter page.
    for _ in range(min(REPEATS[engine.name], 2)):
        page.goto(f"{isolated_site.url}repl/index.html?kernel=python&code={code}")
        page.wait_for_function(
            "pattern => new RegExp(pattern).test("
            "document.querySelector('.jp-CodeConsole-content')?.textContent ?? '')",
            # Not the code's own text, which says `'pool says', sum(`.
            arg=r"pool says \d|ModuleNotFoundError|Traceback",
            timeout=180_000,
        )
        text = page.locator(".jp-CodeConsole-content").inner_text()
        assert re.search(r"pool says 6", text), text


def test_not_isolated_the_first_cell_is_refused_not_missing(plain_site, engine, page):
    nb = open_notebook(page, plain_site, "refused.ipynb", 1)
    assert page.evaluate("crossOriginIsolated") is False
    nb.run(0, wait_running=False)
    out = nb.wait_output(0, rf"refused: \w+|{FAILED}", timeout=180)
    assert "refused: NotIsolatedError" in out, out
    # The page heard its kernel's set-up say why it has no interrupt buffer, rather than
    # failing on a SharedArrayBuffer that a page without isolation does not have.
    assert [e for e in page.console_log if e.startswith("pageerror")] == []
