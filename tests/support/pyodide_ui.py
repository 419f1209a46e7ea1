"""Driving a notebook on a Pyodide kernel in JupyterLite's lab UI, the way a user does: run a
cell, press the interrupt button, answer an input() prompt, restart the kernel. Shared by the
kernel tests and the interrupt benchmark."""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .harness import code_notebook

# The notebook on screen: other open notebooks stay in the page, hidden.
CURRENT = ".jp-NotebookPanel:not(.lm-mod-hidden)"
INTERRUPT_BUTTON = f'{CURRENT} jp-button[data-command="notebook:interrupt-kernel"]'
RESTART_BUTTON = f'{CURRENT} jp-button[data-command="notebook:restart-kernel"]'
CELLS = f"{CURRENT} .jp-Notebook .jp-Cell"
# Whether a cell is running: its prompt shows `[*]`.
RUNNING = "cell => cell.querySelector('.jp-InputPrompt').textContent.includes('*')"
READY = re.compile(r"jupyter-coi \| kernel (\S+): interrupts stop running code")
NO_BUFFER = re.compile(r"jupyter-coi \| kernel (\S+): no interrupt buffer: (.*)")
# Said once a page when the page first answers the kernel's worker through jupyter-coi's fix
# for a race in their channel (labextension/src/coincident.ts): the fix is in the path.
ANSWERS_WHOLE = "jupyter-coi | kernel channel: answers to the worker go out whole"
# Said when the page starts: whether the kernel's channel gets those fixes, by the version of
# the kernel's labextension (coincident 1.x up to 0.8; from 0.9 a channel without the races).
CHANNEL_WORKAROUND = "talks to its worker through coincident 1.x; working around its two races"
CHANNEL_FINE = "needs no workaround"


def kernel_channel_needs_workarounds(prefix: str | None = None) -> bool:
    """Whether the jupyterlite-pyodide-kernel installed at ``prefix`` (this environment by
    default) talks to its worker through coincident 1.x, which jupyter-coi works around."""
    import sys
    from pathlib import Path

    package = (
        Path(prefix or sys.prefix)
        / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/package.json"
    )
    major, minor = (int(part) for part in json.loads(package.read_text())["version"].split(".")[:2])
    return (major, minor) < (0, 9)


# Presses the interrupt button and waits for `marker` in the first cell's output, all in the
# page: resolves with the milliseconds from the click to the marker on screen, or null.
INTERRUPT_UNTIL = """
async ([marker, timeoutMs]) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const button = panel.querySelector('jp-button[data-command="notebook:interrupt-kernel"]');
  const area = panel.querySelector('.jp-Notebook .jp-Cell .jp-OutputArea');
  return await new Promise(resolve => {
    let timer;
    const observer = new MutationObserver(() => {
      if (area.textContent.includes(marker)) {
        const t1 = performance.now();
        observer.disconnect();
        clearTimeout(timer);
        resolve(t1 - t0);
      }
    });
    observer.observe(area, { childList: true, subtree: true, characterData: true });
    timer = setTimeout(() => { observer.disconnect(); resolve(null); }, timeoutMs);
    const t0 = performance.now();
    // JupyterLab's toolbar buttons act on mousedown, as a pointer press does.
    button.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, cancelable: true, button: 0 }));
  });
}
"""


# Pure-Python work that keeps one core busy for as long as ``n`` says, with no I/O and no sleep:
# the tests of the pool and its benchmark run the same.
CPU_WORK = """\
def spin(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
"""


def notebook(*cells: str) -> str:
    """A notebook for the Pyodide kernel with the given code cells."""
    return code_notebook("python", "Python (Pyodide)", *cells, language_info={"name": "python"})


class LiteNotebook:
    """One notebook open in the lab UI: of a JupyterLite site (``site_url`` and ``path``), or
    of JupyterLab with in-browser kernels (its page's ``url``)."""

    def __init__(self, page, site_url: str = "", path: str = "", *, url: str | None = None):
        self.page = page
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(m.text))
        page.goto(url or f"{site_url}lab/index.html?path={path}")
        page.wait_for_selector(CELLS, timeout=60_000)

    # --- the kernel's interrupt buffer ----------------------------------------------------

    def kernel_reports(self, timeout: float = 90) -> tuple[str, str | None]:
        """Wait for jupyter-coi's word on this page's kernel: ("ready", None) or
        ("unavailable", reason). Bounded by `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.console[seen:]:
                if READY.search(line):
                    return "ready", None
                if m := NO_BUFFER.search(line):
                    return "unavailable", m.group(2)
            seen = len(self.console)
            self.page.wait_for_timeout(200)
        raise TimeoutError(f"no word from jupyter-coi on the kernel in {timeout}s: {self.console}")

    def ready_count(self) -> int:
        return sum(1 for line in self.console if READY.search(line))

    def wait_ready(self, count: int = 1, timeout: float = 90) -> None:
        """Wait until `count` kernels (a restart starts a new one) got their buffer."""
        deadline = time.monotonic() + timeout
        while self.ready_count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"kernel not ready in {timeout}s: {self.console[-20:]}")
            self.page.wait_for_timeout(200)

    # --- cells ------------------------------------------------------------------------------

    def wait_kernel_idle(self, timeout: float = 60) -> None:
        """Wait until the notebook's kernel has started and is idle."""
        self.page.wait_for_selector(
            f'{CURRENT} .jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=timeout * 1000
        )

    def wait_cells(self, count: int, timeout: float = 30) -> None:
        """Wait until the notebook shows `count` cells: before its file is read it shows the
        one empty cell of a new notebook."""
        self.page.wait_for_function(
            "([cells, n]) => document.querySelectorAll(cells).length === n",
            arg=[CELLS, count],
            timeout=timeout * 1000,
        )

    def code_cells(self) -> list[int]:
        """The indices of the code cells, among all cells."""
        return self.page.eval_on_selector_all(
            CELLS,
            "cells => cells.flatMap((c, i) => c.classList.contains('jp-CodeCell') ? [i] : [])",
        )

    def prompts(self) -> list[str]:
        return [
            t.strip()
            for t in self.page.locator(f"{CURRENT} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        ]

    def cell(self, index: int):
        return self.page.locator(CELLS).nth(index)

    def prompt(self, index: int) -> str:
        return self.cell(index).locator(".jp-InputPrompt").inner_text().strip()

    def output(self, index: int) -> str:
        area = self.cell(index).locator(".jp-OutputArea")
        return area.inner_text() if area.count() else ""

    def _wait_cell(self, index: int, test: str, arg=None, timeout: float = 30) -> None:
        """Wait until `test`, a JavaScript function of (cell element, arg), holds for the
        cell at `index`, checked in the page at every frame."""
        self.page.wait_for_function(
            f"([cells, i, arg]) => ({test})(document.querySelectorAll(cells)[i], arg)",
            arg=[CELLS, index, arg],
            timeout=timeout * 1000,
        )

    def run(self, index: int, wait_running: bool = True) -> None:
        """Run a cell (Ctrl+Enter keeps the selection on it) and wait until it runs.

        The keys go to whatever has the focus, and a page that is still settling (a workspace
        being restored) can take it away between the click and the keys, and Ctrl+Enter then
        goes nowhere. So the press is checked, by the prompt, which changes as soon
        as the cell is queued (`[*]`), and made again if it did not take, at most 3 times. A
        press that took is never repeated: its prompt has changed."""
        before = self.prompt(index)
        for _ in range(3):
            asks = self.page.locator('.jp-Dialog:has-text("Select Kernel")')
            if asks.count():
                # JupyterLab asks for a kernel when a cell is run before the notebook's session
                # has one: a person takes the one it offers, and runs the cell again.
                asks.locator(".jp-mod-accept").click()
                asks.wait_for(state="detached", timeout=10_000)
            self.cell(index).locator(".jp-InputPrompt").click()
            self.page.keyboard.press("Escape")
            self.page.keyboard.press("Control+Enter")
            try:
                self._wait_cell(
                    index,
                    "(cell, before) => cell.querySelector('.jp-InputPrompt')"
                    ".innerText.trim() !== before",
                    before,
                    timeout=5,
                )
                break
            except PlaywrightTimeoutError:
                continue
        else:
            raise TimeoutError(f"cell {index} did not start after 3 presses of Ctrl+Enter")
        if wait_running:
            self._wait_cell(index, RUNNING)

    def run_to_end(self, index: int, timeout: float = 60) -> None:
        """Run a cell and wait until it has a new execution count: for cells too quick to
        catch at `[*]`."""
        before = self.prompt(index)
        self.run(index, wait_running=False)
        self._wait_cell(
            index,
            """(cell, before) => {
                const p = cell.querySelector('.jp-InputPrompt').textContent;
                return /\\[\\d+\\]/.test(p) && p !== before;
            }""",
            before,
            timeout,
        )

    def wait_done(self, index: int, timeout: float = 30) -> None:
        self._wait_cell(index, f"cell => !({RUNNING})(cell)", timeout=timeout)

    def wait_output(self, index: int, pattern: str, timeout: float = 30) -> str:
        """Wait until the cell's output matches the regular expression `pattern` (JavaScript's
        syntax), and return the output."""
        self._wait_cell(
            index,
            "(cell, pattern) => new RegExp(pattern).test("
            "cell.querySelector('.jp-OutputArea')?.textContent ?? '')",
            pattern,
            timeout,
        )
        return self.output(index)

    def run_until(self, index: int, last: str, timeout: float = 120) -> str:
        """Run a cell; its output once it is done and shows ``last`` (a regular expression),
        or an error. Both: JupyterLab 4.7 can draw a cell's last lines after its prompt
        changes."""
        self.run(index, wait_running=False)
        try:
            self.wait_output(index, f"{last}|Error", timeout=timeout)
            self.wait_done(index, timeout=timeout)
        except PlaywrightTimeoutError as error:
            raise AssertionError(
                f"cell {index} did not end; its output:\n{self.output(index)}"
            ) from error
        return self.output(index)

    def interrupt_while_running(self, index: int, marker: str, settle_ms: int = 1500) -> str:
        """Run a cell that blocks, press interrupt once it has settled (``settle_ms``), and
        return its output once ``marker`` shows, within 5 s of the press, with no
        traceback."""
        self.run(index)
        self.page.wait_for_timeout(settle_ms)
        pressed = time.monotonic()
        self.interrupt()
        out = self.wait_output(index, marker, timeout=10)
        assert time.monotonic() - pressed < 5, out
        assert "Traceback" not in out, out
        return out

    def run_all_from_menu(self) -> None:
        """Run > Run All Cells, with the mouse, as a person does."""
        item = self.page.locator('.lm-Menu-itemLabel:text-is("Run All Cells")')
        # A click that lands while the lab is still laying out the page it opens may not leave
        # the menu open; a person who sees no menu clicks again.
        for _ in range(3):
            self.page.click('.lm-MenuBar-itemLabel:text-is("Run")')
            try:
                item.wait_for(state="visible", timeout=5000)
                break
            except PlaywrightTimeoutError:
                self.page.keyboard.press("Escape")
        item.click()

    def interrupt(self) -> None:
        self.page.click(INTERRUPT_BUTTON)

    def interrupt_until(self, marker: str, timeout: float = 5) -> float | None:
        """Press interrupt; the milliseconds until `marker` shows in the first cell's output,
        or None if it did not within `timeout` seconds."""
        return self.page.evaluate(INTERRUPT_UNTIL, [marker, timeout * 1000])

    def open_another(self, path: str) -> None:
        """Open a second notebook from the file browser; it becomes the one on screen."""
        self.page.locator(".jp-DirListing-item", has_text=path).first.dblclick()
        self.page.wait_for_selector(f'.lm-TabBar-tab.lm-mod-current:has-text("{path}")')
        self.page.wait_for_selector(CELLS)

    def show(self, path: str) -> None:
        """Bring an open notebook to the front by its tab."""
        self.page.click(f'#jp-main-dock-panel .lm-TabBar-tab:has-text("{path}")')
        self.page.wait_for_selector(
            f'#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current:has-text("{path}")'
        )

    def restart(self) -> None:
        self.page.click(RESTART_BUTTON)
        self.page.click(".jp-Dialog .jp-mod-accept")


def pool_workers(page) -> int:
    """The page's pool workers (Blob URL workers), from the browser's own list of workers."""
    return sum(1 for w in page.workers if w.url.startswith("blob:"))


def for_pyodide_kernel(path) -> str:
    """An example notebook (whose kernel is a server's), for JupyterLite's Pyodide kernel."""
    nb = json.loads(path.read_text())
    nb["metadata"]["kernelspec"] = json.loads(notebook())["metadata"]["kernelspec"]
    return json.dumps(nb)
