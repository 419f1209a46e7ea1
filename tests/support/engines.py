"""The three browser engines the browser tests run in, and what each is known to do.

- Chromium: Debian's ``chromium``, through Playwright (CDP).
- Firefox: Debian's ``firefox-esr``, through Playwright's WebDriver BiDi mode (stock Firefox,
  not Playwright's patched build, which cannot be downloaded here).
- WebKit: WebKitGTK's MiniBrowser, through ``WebKitWebDriver`` and Selenium, on a virtual X
  display (``Xvfb``): MiniBrowser has no headless mode.

Tests are written once against the part of Playwright's ``Page`` API that :class:`WebDriverPage`
also offers. ``EXPECTED`` is what each engine shows for every feature in the engine table of
docs/reference/browsers.md: the tests assert it in each engine, and ``python
tests/support/engines.py`` writes the table from it, so the docs cannot claim what the tests do
not show.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    from .harness import REPO, stop_process
except ImportError:  # run as a script, `python tests/support/engines.py`: no package around it
    from harness import REPO, stop_process

MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"


@dataclass(frozen=True)
class Engine:
    name: str
    title: str  # as the docs' engine table names it
    executables: tuple[str, ...]  # what must be installed to run it
    packages: tuple[str, ...]  # the Debian packages that install them
    driver: str  # "playwright" or "webdriver"

    def missing(self) -> list[str]:
        return [e for e in self.executables if not os.access(e, os.X_OK)]

    def install_command(self) -> str:
        return f"apt-get update && apt-get install -y {' '.join(self.packages)}"

    def require(self) -> None:
        """Fail (never skip) when the engine is not installed, with the command that installs it."""
        missing = self.missing()
        if missing:
            raise RuntimeError(
                f"{self.title} is missing ({', '.join(missing)}); the browser tests run in it. "
                f"Install it with:\n    {self.install_command()}"
            )

    def expects(self, feature: str) -> bool:
        return EXPECTED[feature][self.name]

    @property
    def reads_console(self) -> bool:
        """WebKitGTK's WebDriver has no BiDi: its console messages cannot be read."""
        return self.driver == "playwright"


CHROMIUM = Engine(
    "chromium",
    "Chromium",
    (os.environ.get("JUPYTER_COI_CHROMIUM", "/usr/bin/chromium"),),
    ("chromium",),
    "playwright",
)
FIREFOX = Engine("firefox", "Firefox", ("/usr/bin/firefox-esr",), ("firefox-esr",), "playwright")
WEBKIT = Engine(
    "webkit",
    "WebKit",
    ("/usr/bin/WebKitWebDriver", MINIBROWSER, "/usr/bin/Xvfb"),
    ("webkit2gtk-driver", "xvfb"),
    "webdriver",
)
ENGINES = {e.name: e for e in (CHROMIUM, FIREFOX, WEBKIT)}

# Feature -> engine -> what the tests show. A row's tests assert the value in each engine.
FEATURES = {
    "server-isolated": "Jupyter Server pages (JupyterLab, Notebook 7) are cross-origin isolated",
    "shared-array-buffer": "`SharedArrayBuffer` exists on the isolated page and in its workers",
    "indicator": "The indicator shows the state the browser reports",
    "lite-headers": "JupyterLite with no configuration, served with its headers "
    "(`jupyter lite serve`, nginx, Apache), is isolated",
    "lite-headers-first-load": "JupyterLite with no configuration is isolated by its host's "
    "headers from the first load, with no reload (WebKit ignores their `credentialless`; the "
    "service worker isolates it, after one reload)",
    "lite-service-worker": "JupyterLite on a host without headers is isolated by the service "
    "worker (first visit, reload, second reload)",
    "credentialless": "COEP `credentialless` isolates",
    "auto": '`embedder_policy = "auto"`, the default, isolates (the server picks the COEP value '
    "per browser)",
    "default-embeds": "With no configuration, images, map tiles and scripts from another site "
    "that sends no CORP load on the isolated page",
    "lite-service-worker-credentialless": "JupyterLite's service worker with `credentialless` "
    "configured still isolates (it falls back to "
    "`require-corp` where unsupported)",
    "lite-default-embeds": "JupyterLite with no configuration, with headers (nginx) or without: "
    "images, map tiles and scripts from another site that sends no CORP load on the isolated page",
    "sphinx-service-worker": "A Sphinx site with `jupyter_coi.sphinx`, on a host without headers: "
    "its pages and the JupyterLite REPL they embed are isolated, after at most one reload",
    "sphinx-default-embeds": "On such a Sphinx site with no configuration, images from another "
    "site that sends no CORP load (frames from another site are blocked in every engine)",
    "voici-service-worker": "A Voici dashboard (`voici build`, the `voici` compatibility row) on a "
    "host without headers is isolated by the service worker, after one reload",
}
_ALL = {"chromium": True, "firefox": True, "webkit": True}
EXPECTED: dict[str, dict[str, bool]] = {
    "server-isolated": _ALL,
    # WebKit bug 317847: WebKitGTK isolates the page but does not expose SharedArrayBuffer.
    "shared-array-buffer": {"chromium": True, "firefox": True, "webkit": False},
    "indicator": _ALL,
    "lite-headers": _ALL,
    # The host files say credentialless (`auto` with the service worker), which WebKit ignores.
    "lite-headers-first-load": {"chromium": True, "firefox": True, "webkit": False},
    "lite-service-worker": _ALL,
    # WebKit, like Safari, does not implement credentialless.
    "credentialless": {"chromium": True, "firefox": True, "webkit": False},
    "auto": _ALL,
    # Where the server gives the browser require-corp (no credentialless), they are blocked.
    "default-embeds": {"chromium": True, "firefox": True, "webkit": False},
    "lite-service-worker-credentialless": _ALL,
    # WebKit is isolated by the service worker's require-corp, which blocks them.
    "lite-default-embeds": {"chromium": True, "firefox": True, "webkit": False},
    "sphinx-service-worker": _ALL,
    # As for JupyterLite: the service worker gives WebKit require-corp.
    "sphinx-default-embeds": {"chromium": True, "firefox": True, "webkit": False},
    "voici-service-worker": _ALL,
}
assert set(FEATURES) == set(EXPECTED)

# Where each row is asserted (as `engine.expects("<feature>")`, checked by
# tests/unit/test_engine_table.py).
TESTS = {
    "server-isolated": "tests/browser/test_server_isolated.py",
    "shared-array-buffer": "tests/browser/test_indicator.py",
    "indicator": "tests/browser/test_indicator.py",
    "lite-headers": "tests/browser/test_lite_isolated.py",
    "lite-headers-first-load": "tests/browser/test_lite_isolated.py",
    "lite-service-worker": "tests/browser/test_lite_service_worker.py",
    "credentialless": "tests/browser/test_server_isolated.py",
    "auto": "tests/browser/test_server_isolated.py",
    "default-embeds": "tests/browser/test_server_isolated.py",
    "lite-service-worker-credentialless": "tests/browser/test_lite_service_worker.py",
    "lite-default-embeds": "tests/browser/test_lite_isolated.py",
    "sphinx-service-worker": "tests/browser/test_sphinx_site.py",
    "sphinx-default-embeds": "tests/browser/test_sphinx_site.py",
    "voici-service-worker": "tests/browser/test_voici.py",
}
assert set(TESTS) == set(FEATURES)

# The page the table lives in (checked by tests/unit/test_engine_table.py).
BROWSERS_PAGE = REPO / "docs" / "reference" / "browsers.md"

# The start marker's beginning: how update_browsers_page finds the table whatever the marker said
# before.
TABLE_MARKER = "<!-- engine table:"
TABLE_START = (
    f"{TABLE_MARKER} generated by `python tests/support/engines.py`, "
    "checked by tests/unit/test_engine_table.py -->"
)
TABLE_END = "<!-- end of engine table -->"


def engine_table() -> str:
    """The engine table of docs/reference/browsers.md, from ``EXPECTED``."""
    names = [e.title for e in ENGINES.values()]
    lines = [
        TABLE_START,
        "",
        f"| | {' | '.join(names)} | tested in |",
        "|---" * (len(names) + 2) + "|",
    ]
    for feature, text in FEATURES.items():
        cells = ["yes" if EXPECTED[feature][e] else "**no**" for e in ENGINES]
        lines.append(f"| {text} | {' | '.join(cells)} | `{TESTS[feature]}` |")
    lines += ["", TABLE_END]
    return "\n".join(lines)


def isolation_seen(engine: Engine, isolated: bool = True) -> dict[str, Any]:
    """What :data:`harness.ISOLATION_PROBE` reads in a page (or its worker) of ``engine``,
    isolated or not."""
    sab = "function" if isolated and engine.expects("shared-array-buffer") else "undefined"
    return {"crossOriginIsolated": isolated, "sharedArrayBuffer": sab}


# --- driving WebKit through WebDriver, with the Playwright calls the tests use ----------------

# Runs a Playwright-style page function (or expression) with its argument; the result or the
# error comes back as data, so that a rejected promise is not taken for a driver failure.
_EVALUATE = r"""
const [source, arg, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
(async () => {
  const value = (0, eval)('(' + source + ')');
  return typeof value === 'function' ? await value(arg) : await value;
})().then(
  (value) => done({ value: value === undefined ? null : value }),
  (error) => done({ error: String(error) + ((error && error.stack) ? '\n' + error.stack : '') }),
);
"""

# Errors that mean the page navigated while a script ran in it (both drivers' wording).
NAVIGATION_ERRORS = (
    "context was destroyed",
    "navigat",
    "no such frame",
    "no such window",
    "unload",
    "discarded",
)


def is_navigation_error(error: BaseException) -> bool:
    text = str(error).lower()
    return any(marker in text for marker in NAVIGATION_ERRORS)


class PageError(RuntimeError):
    """An exception thrown by a page function."""


def settled(page, script: str, done: Callable[[dict], bool], wanted: str, timeout: float) -> dict:
    """What ``script`` reads on the page once ``done`` holds for it (``wanted`` says what that
    is, for the failure). Read again when a navigation destroyed the execution context under
    the read: a page script's own reload does that."""
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        try:
            state = page.evaluate(script)
            if done(state):
                return state
        except Exception as e:
            if not (is_navigation_error(e) or isinstance(e, PageError)):
                raise
        time.sleep(0.25)
    raise AssertionError(f"page did not settle with {wanted}: {state}")


class WebDriverElement:
    def __init__(self, page: WebDriverPage, element, selector: str) -> None:
        self._page = page
        self._element = element
        self._selector = selector

    def get_attribute(self, name: str) -> str | None:
        return self._page.driver.execute_script(
            "return arguments[0].getAttribute(arguments[1])", self._element, name
        )

    def inner_text(self) -> str:
        return self._page.driver.execute_script("return arguments[0].innerText", self._element)

    def click(self, timeout: float = 30) -> None:
        # As Playwright does: wait until the element takes the click (an overlay, a splash
        # screen, a layout still settling may keep it from it for a moment), bounded. An element
        # the app has replaced meanwhile is found again by its selector.
        from selenium.common.exceptions import (
            ElementClickInterceptedException,
            ElementNotInteractableException,
            StaleElementReferenceException,
        )
        from selenium.webdriver.common.by import By

        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._element.click()
            except (
                ElementClickInterceptedException,
                ElementNotInteractableException,
                StaleElementReferenceException,
            ) as e:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                if isinstance(e, StaleElementReferenceException):
                    self._element = self._page.driver.find_element(By.CSS_SELECTOR, self._selector)


class WebDriverLocator:
    def __init__(self, page: WebDriverPage, selector: str) -> None:
        self._page = page
        self._selector = selector

    def count(self) -> int:
        return self._page.evaluate("(s) => document.querySelectorAll(s).length", self._selector)

    def all_inner_texts(self) -> list[str]:
        return self._page.evaluate(
            "(s) => Array.from(document.querySelectorAll(s), (e) => e.innerText)", self._selector
        )

    def wait_for(self, state: str = "visible", timeout: float | None = None) -> None:
        self._page.wait_for_selector(self._selector, state=state, timeout=timeout)


_STATE = """([selector, state]) => {
  const element = document.querySelector(selector);
  const visible = !!element && element.getClientRects().length > 0 &&
    getComputedStyle(element).visibility !== 'hidden';
  return {attached: !!element, detached: !element, visible, hidden: !visible}[state];
}"""


class WebDriverPage:
    """A WebDriver session's window, with the Playwright ``Page`` calls the tests make."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.default_timeout = 30_000

    def set_default_timeout(self, ms: float) -> None:
        self.default_timeout = ms

    def goto(self, url: str) -> None:
        self.driver.get(url)

    def reload(self) -> None:
        self.driver.refresh()

    @property
    def url(self) -> str:
        return self.driver.current_url

    def evaluate(self, source: str, arg: Any = None) -> Any:
        result = self.driver.execute_async_script(_EVALUATE, source, arg)
        if result is None:  # the page went away before the script answered
            raise PageError("evaluate: no result (the page navigated)")
        if "error" in result:
            raise PageError(f"evaluate: {result['error']}")
        return result["value"]

    def wait_for_timeout(self, ms: float) -> None:
        time.sleep(ms / 1000)

    def wait_for_function(self, source: str, arg: Any = None, timeout: float | None = None) -> Any:
        return self._poll(
            f"wait_for_function({source[:60]!r})", lambda: self.evaluate(source, arg), timeout
        )

    def wait_for_selector(
        self, selector: str, state: str = "visible", timeout: float | None = None
    ):
        self._poll(
            f"wait_for_selector({selector!r}, {state})",
            lambda: self.evaluate(_STATE, [selector, state]),
            timeout,
        )
        if state in ("attached", "visible"):
            from selenium.webdriver.common.by import By

            return WebDriverElement(
                self, self.driver.find_element(By.CSS_SELECTOR, selector), selector
            )
        return None

    def locator(self, selector: str) -> WebDriverLocator:
        return WebDriverLocator(self, selector)

    def eval_on_selector_all(self, selector: str, source: str) -> Any:
        return self.evaluate(
            f"(s) => ({source})(Array.from(document.querySelectorAll(s)))", selector
        )

    def screenshot(self, path: str) -> None:
        self.driver.save_screenshot(path)

    def _poll(self, what: str, read, timeout: float | None):
        ms = timeout if timeout is not None else self.default_timeout
        deadline = time.monotonic() + ms / 1000
        last: Any = None
        while True:
            try:
                last = read()
                if last:
                    return last
            except Exception as e:  # a navigation between two polls: poll again
                if not is_navigation_error(e) and not isinstance(e, PageError):
                    raise
                last = e
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: Timeout {ms:g}ms exceeded (last: {last!r})")
            time.sleep(0.1)


class VirtualDisplay:
    """An ``Xvfb`` server on a display number of its own choosing (``-displayfd``)."""

    def __init__(self) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        os.close(write)
        number = b""
        deadline = time.monotonic() + 15
        with os.fdopen(read, "rb", buffering=0) as out:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = out.read(16)
                if not chunk:
                    break
                number += chunk
        if not number.strip().isdigit():
            self.stop()
            raise RuntimeError("Xvfb did not report a display number")
        self.display = f":{number.strip().decode()}"

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)


@contextmanager
def webkit_page(display: VirtualDisplay, timeout: float = 60) -> Iterator[WebDriverPage]:
    """A MiniBrowser window under WebDriver: a fresh profile each time (MiniBrowser's automation
    mode keeps no data), bounded in every wait, quit at the end."""
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    WEBKIT.require()
    options = Options()
    options.binary_location = MINIBROWSER
    options.add_argument("--automation")
    env = {**os.environ, "DISPLAY": display.display}
    service = Service(executable_path="/usr/bin/WebKitWebDriver", env=env)
    # Without a display the session would hang silently: every request to the driver is
    # bounded, session creation included (Selenium reads the default when it is made).
    default = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        driver = webdriver.WebKitGTK(options=options, service=service)
    finally:
        socket.setdefaulttimeout(default)
    try:
        driver.set_page_load_timeout(timeout)
        driver.set_script_timeout(timeout)
        driver.set_window_size(1280, 800)
        yield WebDriverPage(driver)
    finally:
        driver.quit()


def firefox_launch_options() -> dict[str, Any]:
    """Playwright's launch options for Debian's Firefox ESR, driven over WebDriver BiDi."""
    FIREFOX.require()
    return {"channel": "moz-firefox", "executable_path": FIREFOX.executables[0], "headless": True}


def update_browsers_page(page: Path = BROWSERS_PAGE) -> bool:
    """Write the table between its markers in ``page``; True if it changed."""
    text = page.read_text()
    start, end = text.index(TABLE_MARKER), text.index(TABLE_END) + len(TABLE_END)
    new = text[:start] + engine_table() + text[end:]
    if new != text:
        page.write_text(new)
    return new != text


if __name__ == "__main__":
    # `python tests/support/engines.py` (or `python -m support.engines` in tests/): write the
    # engine table of docs/reference/browsers.md from EXPECTED.
    name = BROWSERS_PAGE.relative_to(REPO)
    print(f"{name} updated" if update_browsers_page() else f"{name} already up to date")
