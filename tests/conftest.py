"""Fixtures: in-process servers (pytest-jupyter), real server processes, and Chromium."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

from harness import CHROMIUM_ARGS, Certificate, JupyterProcess, free_port, require_chromium, stop_process
from lite_sites import wait_for_http

pytest_plugins = ["pytest_jupyter.jupyter_server"]

ARTIFACTS = Path(__file__).parent / "artifacts"

# A 1x1 PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


# `python -m http.server`, over HTTPS: the folder, port, certificate and key from argv.
HTTPS_SERVER = """
import functools, http.server, ssl, sys
folder, port, certfile, keyfile = sys.argv[1:]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(certfile, keyfile)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


def serve_pixel(tmp_path: Path, tls: Certificate | None = None) -> Iterator[str]:
    """A second loopback server, another origin, serving ``pixel.png`` with no CORP header."""
    root = tmp_path / "other-origin"
    root.mkdir()
    (root / "pixel.png").write_bytes(PIXEL)
    port = free_port()
    log = tmp_path / "other-origin.log"
    if tls:
        command = [sys.executable, "-c", HTTPS_SERVER, str(root), str(port), str(tls.certfile), str(tls.keyfile)]
    else:
        command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)]
    proc = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, log, timeout=30, context=tls.client_context() if tls else None)
        yield url
    finally:
        stop_process(proc)


@pytest.fixture
def other_origin(tmp_path) -> Iterator[str]:
    yield from serve_pixel(tmp_path)


@pytest.fixture
def jp_server_config():
    """In-process servers load jupyter-coi with the frontends and the proxy it must cover."""
    return {
        "ServerApp": {
            "jpserver_extensions": {
                "jupyter_coi": True,
                "jupyterlab": True,
                "notebook": True,
                "jupyter_server_proxy": True,
            },
            # as `jupyter lab` sets it, so that the base URL redirects
            "default_url": "/lab",
        }
    }


@pytest.fixture(autouse=True)
def jp_server_cleanup(request):
    """pytest-jupyter's clean-up, for the tests that run a server in-process only: in the others
    it would make a ServerApp and run an event loop beside Playwright's."""
    yield
    if "jp_serverapp" in request.fixturenames:
        from jupyter_server.serverapp import ServerApp

        loop = request.getfixturevalue("jp_asyncio_loop")
        loop.run_until_complete(ServerApp.instance()._cleanup())


@pytest.fixture
def jupyter_process(tmp_path: Path) -> Iterator[Callable[..., JupyterProcess]]:
    """Start ``jupyter <app>`` processes; every one is stopped when the test ends.

    ``files`` are written into the server's root folder first, and ``before(home)`` runs first
    too, for what a user would do before starting (``jupyter server extension disable``...).
    """
    started: list[JupyterProcess] = []

    def start(
        app: str = "lab",
        *args: str,
        base_url: str = "/",
        files: dict[str, str] | None = None,
        before: Callable[[Path], None] | None = None,
        **kwargs,
    ) -> JupyterProcess:
        home = tmp_path / f"home-{len(started)}"
        server = JupyterProcess(app=app, home=home, args=list(args), base_url=base_url, **kwargs)
        server.root_dir.mkdir(parents=True)
        for name, text in (files or {}).items():
            (server.root_dir / name).write_text(text)
        if before:
            before(home)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "chromium_args(*args): more command-line switches for the test's Chromium")


@pytest.fixture
def browser(request):
    """Debian's headless Chromium through Playwright. Missing Chromium fails the tests (never
    skips them) with the command that installs it. A test marked
    ``@pytest.mark.chromium_args(...)`` gets those switches too.

    One per test: Playwright's sync API keeps its event loop running for as long as it is
    open, and the in-process server tests need the thread's loop to themselves."""
    try:
        executable = require_chromium()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    from playwright.sync_api import sync_playwright

    marker = request.node.get_closest_marker("chromium_args")
    args = [*CHROMIUM_ARGS, *(marker.args if marker else ())]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=args)
        yield browser
        browser.close()


class ConsoleLog(list):
    """The console errors and uncaught exceptions of one page."""

    def errors(self, matching: str = "") -> list[str]:
        return [m for m in self if matching.lower() in m.lower()]


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page; its console errors are in ``page.console_log``.
    A screenshot is kept in tests/artifacts/ when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log = ConsoleLog()
    page.on("console", lambda m: log.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
    page.console_log = log
    page.set_default_timeout(30_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
        except Exception:  # a screenshot is a courtesy; the failure is already reported
            pass
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
