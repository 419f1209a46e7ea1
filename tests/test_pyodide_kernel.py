"""The Pyodide kernel in JupyterLite, in headless Chromium, offline: on an isolated site the
interrupt button stops a running busy loop and keeps the kernel's state, and again after a
restart; input() and getpass() are answered. On a site that is not isolated, an interrupt
says why it cannot stop the cell, and the page stays responsive.

Not here yet: fifty interrupts in a row and an interrupted time.sleep. Both work, but
JupyterLite 0.8.6 sometimes never delivers the reply to a cell that has already shown its
KeyboardInterrupt (and, without jupyter-coi too, to an input() answered at once), so a
test that waits for the cell to end cannot yet be made reliable."""

from __future__ import annotations

from typing import Iterator

import pytest

from lite_sites import Served, lite_serve, new_site, plain_server
from offline_pyodide import OfflinePyodide, offline_pyodide
from pyodide_ui import LiteNotebook, notebook

NOTEBOOKS = {
    "loop.ipynb": notebook(
        "x = 42\nspins = 0\nwhile True:\n    spins += 1",
        "print('x is', x, 'after', spins > 0 and 'spinning')",
    ),
    "input.ipynb": notebook(
        "name = input('Your name: ')\nprint('hello', name)",
        "import getpass\nsecret = getpass.getpass('Secret: ')\nprint('secret of', len(secret), 'characters')",
    ),
    "busy.ipynb": notebook(
        "print('kernel up')",
        "import time\nt0 = time.time()\nwhile time.time() - t0 < 6:\n    pass\nprint('finished')",
    ),
}
# Long enough after the cell starts for the loop to be in Python, not in the kernel's setup.
SETTLE_MS = 300
# JupyterLite 0.8.6 can lose an input() answer that arrives within moments of the prompt
# (seen here with and without jupyter-coi): answer the way a person does, not instantly.
ANSWER_AFTER_MS = 1000


@pytest.fixture(scope="session")
def offline() -> OfflinePyodide:
    try:
        return offline_pyodide()
    except Exception as e:  # noqa: BLE001 - say what is missing, do not skip
        pytest.fail(f"could not prepare Pyodide for offline use: {e}", pytrace=False)


@pytest.fixture(scope="module")
def isolated_site(tmp_path_factory, offline) -> Iterator[Served]:
    """`jupyter lite serve`, which sends the isolation headers."""
    site = new_site(tmp_path_factory.mktemp("pyodide-isolated"), NOTEBOOKS)
    offline.install(site.lite_dir)
    yield from lite_serve(site)


@pytest.fixture(scope="module")
def plain_site(tmp_path_factory, offline) -> Iterator[Served]:
    """The same site from a server without headers, and without the service worker that
    would isolate it: a page that is not isolated."""
    site = new_site(tmp_path_factory.mktemp("pyodide-plain"), NOTEBOOKS)
    offline.install(site.lite_dir)
    site.write_config({"service_worker": False})
    done = site.build()
    assert done.returncode == 0, done.log
    yield from plain_server(site)


def open_ready(page, site: Served, path: str) -> LiteNotebook:
    nb = LiteNotebook(page, site.url, path)
    assert page.evaluate("crossOriginIsolated") is True
    assert nb.kernel_reports() == ("ready", None)
    return nb


def interrupt_running(nb: LiteNotebook, index: int, timeout: float = 10) -> str:
    nb.run(index)
    nb.page.wait_for_timeout(SETTLE_MS)
    nb.interrupt()
    nb.wait_done(index, timeout=timeout)
    return nb.output(index)


def test_interrupt_stops_a_busy_loop_and_keeps_the_state(isolated_site, page):
    nb = open_ready(page, isolated_site, "loop.ipynb")
    out = interrupt_running(nb, 0)
    assert "KeyboardInterrupt" in out
    assert "while True" in out and "spins += 1" in out  # the traceback ends in the user's code
    assert "jupyter_coi" not in out and "on_sigint" not in out
    nb.run(1, wait_running=False)
    nb.wait_done(1)
    assert "x is 42 after spinning" in nb.output(1)
    assert nb.prompt(0) == "[1]:" and nb.prompt(1) == "[2]:"  # the setup took no prompt number
    assert page.console_log.errors("jupyter-coi") == []


def test_input_and_getpass_are_answered(isolated_site, page):
    nb = open_ready(page, isolated_site, "input.ipynb")
    nb.run(0)
    page.wait_for_selector(".jp-Stdin-input", timeout=20_000)
    assert "Your name:" in nb.output(0)
    page.wait_for_timeout(ANSWER_AFTER_MS)
    page.fill(".jp-Stdin-input", "Ada")
    page.keyboard.press("Enter")
    nb.wait_done(0)
    assert "hello Ada" in nb.output(0)

    nb.run(1)
    page.wait_for_selector(".jp-Stdin-input", timeout=20_000)
    page.wait_for_timeout(ANSWER_AFTER_MS)
    page.fill(".jp-Stdin-input", "s3cret")
    page.keyboard.press("Enter")
    nb.wait_done(1)
    assert "secret of 6 characters" in nb.output(1)
    assert "s3cret" not in nb.output(1)  # a password prompt does not echo the answer


def test_interrupt_works_again_after_a_restart(isolated_site, page):
    nb = open_ready(page, isolated_site, "loop.ipynb")
    assert "KeyboardInterrupt" in interrupt_running(nb, 0)
    nb.restart()
    nb.wait_ready(count=2)  # the restarted kernel is a new worker with a buffer of its own
    out = interrupt_running(nb, 0)
    assert "KeyboardInterrupt" in out
    nb.run(1, wait_running=False)
    nb.wait_done(1)
    assert "x is 42" in nb.output(1)


def test_not_isolated_interrupt_says_why_and_the_page_stays_usable(plain_site, page):
    nb = LiteNotebook(page, plain_site.url, "busy.ipynb")
    assert page.evaluate("crossOriginIsolated") is False
    state, reason = nb.kernel_reports()
    assert state == "unavailable" and "not cross-origin isolated" in reason
    nb.run(0, wait_running=False)
    nb.wait_done(0, timeout=90)  # the kernel has started
    nb.run(1)
    page.wait_for_timeout(SETTLE_MS)
    nb.interrupt()
    toast = page.locator(".Toastify__toast", has_text="cannot stop a running cell")
    toast.wait_for(timeout=10_000)
    assert "not cross-origin isolated" in toast.inner_text()
    # The UI answers while the kernel's worker is still busy: the dialog opens from the toast.
    toast.get_by_role("button", name="Details").click()
    capability = page.locator('.jp-coi-dialog [data-coi-capability="kernel-interrupt"]')
    capability.wait_for(timeout=10_000)
    assert capability.get_attribute("data-coi-value") == "false"
    page.keyboard.press("Escape")
    # The cell was not stopped: it runs to its end.
    nb.wait_done(1, timeout=30)
    assert "finished" in nb.output(1)
