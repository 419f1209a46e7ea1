"""The Pyodide kernel in JupyterLite, in headless Chromium, offline: on an isolated site the
interrupt button stops a running busy loop and keeps the kernel's state, fifty times in one
kernel without losing one, ends a time.sleep, reaches the right one of two kernels on a page,
and works again after a restart; input() and
getpass() are answered. On a site that is not isolated, an interrupt says why it cannot stop
the cell, and the page stays responsive.

Answers come at once, as a test types them: that is what used to lose the kernel's reply now
and then (one of two races in the kernel's worker channel that jupyter-coi works around,
labextension/src/coincident.ts).
The repeated interrupts run in one cell that catches each KeyboardInterrupt and prints a
numbered line, which is also how the benchmark times them."""

from __future__ import annotations

import pytest

from support.lite_sites import Served
from support.pyodide_ui import (
    ANSWERS_WHOLE,
    CHANNEL_FINE,
    CHANNEL_WORKAROUND,
    LiteNotebook,
    kernel_channel_needs_workarounds,
    notebook,
)

NOTEBOOKS = {
    "loop.ipynb": notebook(
        "x = 42\nspins = 0\nwhile True:\n    spins += 1",
        "print('x is', x, 'after', spins > 0 and 'spinning')",
    ),
    "spin.ipynb": notebook(
        "x = 42\ncaught = 0\nwhile True:\n    try:\n        while True:\n            pass\n"
        "    except KeyboardInterrupt:\n        caught += 1\n        print(f'interrupt {caught} caught, x is {x}')",
    ),
    "sleepy.ipynb": notebook(
        "import time\nnaps = 0\nwhile True:\n    started = time.monotonic()\n    try:\n"
        "        time.sleep(30)\n    except KeyboardInterrupt:\n        naps += 1\n"
        "        print(f'nap {naps} ended after {time.monotonic() - started:.2f} s')",
    ),
    "input.ipynb": notebook(
        "name = input('Your name: ')\nprint('hello', name)",
        "import getpass\nsecret = getpass.getpass('Secret: ')\nprint('secret of', len(secret), 'characters')",
    ),
    "version.ipynb": notebook("import pyodide\nprint('pyodide', pyodide.__version__)"),
    "busy.ipynb": notebook(
        "print('kernel up')",
        "import time\nt0 = time.time()\nwhile time.time() - t0 < 6:\n    pass\nprint('finished')",
    ),
}
# Long enough after the cell starts for the loop to be in Python, not in the kernel's setup.
SETTLE_MS = 300


def open_ready(page, site: Served, path: str) -> LiteNotebook:
    """The notebook, once its kernel has started: these tests interrupt a cell that runs (a
    cell still queued is cancelled instead). Idle in the toolbar is not enough: JupyterLab 4.7
    can show it for a kernel still loading. (A person's first cell, run at once, is
    test_first_cell's.)"""
    nb = LiteNotebook(page, site.url, path)
    assert page.evaluate("crossOriginIsolated") is True
    nb.wait_ready(timeout=120)
    nb.wait_kernel_idle(timeout=60)
    return nb


def interrupt_running(nb: LiteNotebook, index: int, timeout: float = 10) -> str:
    nb.run(index)
    nb.page.wait_for_timeout(SETTLE_MS)
    nb.interrupt()
    nb.wait_done(index, timeout=timeout)
    return nb.output(index)


def test_the_kernel_runs_the_sites_pyodide(isolated_site, offline, page):
    """The kernel loads the Pyodide the site was built with (the compatibility run's newest
    one, or the kernel's own), from the site, not the CDN that the tests cannot reach."""
    nb = open_ready(page, isolated_site, "version.ipynb")
    nb.run_to_end(0)
    assert nb.output(0).strip() == f"pyodide {offline.version}"


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
    if kernel_channel_needs_workarounds():
        # The kernel's file system asked the page for files, and the answers went out whole.
        assert any(CHANNEL_WORKAROUND in line for line in nb.console)
        assert ANSWERS_WHOLE in nb.console
    else:
        # A channel without coincident 1.x's races is left as it is.
        assert any(CHANNEL_FINE in line for line in nb.console)
        assert ANSWERS_WHOLE not in nb.console


def test_fifty_interrupts_in_one_kernel_lose_none(isolated_site, page):
    nb = open_ready(page, isolated_site, "spin.ipynb")
    nb.run(0)
    page.wait_for_timeout(SETTLE_MS)
    lost = []
    for n in range(1, 51):
        page.wait_for_timeout(50 + (n * 37) % 200)  # land anywhere in the loop
        if nb.interrupt_until(f"interrupt {n} caught, x is 42", timeout=5) is None:
            lost.append(n)
            break
    assert lost == [], (
        nb.output(0)[-500:],
        [line for line in nb.console if ": interrupt " in line],
        page.console_log,
    )
    assert "interrupt 51" not in nb.output(0)  # no interrupt raised twice


def test_interrupt_ends_time_sleep(isolated_site, page):
    nb = open_ready(page, isolated_site, "sleepy.ipynb")
    nb.run(0)
    for n in (1, 2, 3):
        page.wait_for_timeout(700)
        assert nb.interrupt_until(f"nap {n} ended after", timeout=5) is not None, nb.output(0)
    naps = [float(line.split()[-2]) for line in nb.output(0).splitlines() if line.startswith("nap")]
    assert len(naps) == 3 and all(nap < 3 for nap in naps), naps  # the sleeps were 30 s


def test_two_kernels_on_one_page_are_each_interrupted(isolated_site, page):
    nb = open_ready(page, isolated_site, "spin.ipynb")
    nb.run(0)
    nb.open_another("sleepy.ipynb")
    nb.wait_ready(count=2)  # a second kernel, a second buffer
    nb.run(0)
    page.wait_for_timeout(700)
    assert nb.interrupt_until("nap 1 ended after") is not None, nb.output(0)
    nb.show("spin.ipynb")  # its kernel has been spinning all along
    assert nb.interrupt_until("interrupt 1 caught, x is 42") is not None, nb.output(0)
    nb.show("sleepy.ipynb")
    page.wait_for_timeout(700)
    assert nb.interrupt_until("nap 2 ended after") is not None, nb.output(0)
    # each press reached its own kernel only
    assert "nap 3" not in nb.output(0)
    nb.show("spin.ipynb")
    assert "interrupt 2" not in nb.output(0)


def test_input_and_getpass_are_answered(isolated_site, page):
    nb = open_ready(page, isolated_site, "input.ipynb")
    nb.run(0)
    answer = nb.cell(0).locator(".jp-Stdin-input")
    answer.wait_for(timeout=20_000)
    assert "Your name:" in nb.output(0)
    answer.fill("Ada")
    answer.press("Enter")
    nb.wait_done(0)
    assert "hello Ada" in nb.output(0)

    nb.run(1)
    secret = nb.cell(1).locator(".jp-Stdin-input")
    secret.wait_for(timeout=20_000)
    secret.fill("s3cret")
    secret.press("Enter")
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


@pytest.mark.engines("chromium", "firefox")
def test_the_repl_has_the_indicator_in_its_toolbar(isolated_site, engine, page):
    """JupyterLite's REPL has no status bar and no top area: with its toolbar on (the REPL's
    ``toolbar=1``), the indicator sits there, and its dialog names the in-browser kernel and
    what isolation gives it."""
    page.goto(f"{isolated_site.url}repl/index.html?kernel=python&toolbar=1")
    item = page.wait_for_selector(".jp-Toolbar .jp-coi-indicator")
    assert item.get_attribute("data-coi-state") == "isolated"
    assert "Isolated" in item.inner_text()
    item.click()
    kernels = page.wait_for_selector('.jp-coi-dialog [data-coi-fact="inBrowserKernels"]')
    assert kernels.get_attribute("data-coi-value") == "Python (Pyodide)"
    interrupt = page.locator('.jp-coi-dialog [data-coi-capability="kernel-interrupt"]')
    assert interrupt.get_attribute("data-coi-value") == "true"
    assert "(here: Python (Pyodide))" in interrupt.inner_text()
