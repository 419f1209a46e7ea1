"""Fixtures, registered by tests/conftest.py as the plugin ``support.fixtures``: in-process
servers (pytest-jupyter), real server processes, the browsers, and the sites that tests of more
than one folder (integration/, browser/) serve.

Browser tests run in Chromium. A test (or module) marked ``@pytest.mark.engines`` runs once in
each engine of :mod:`support.engines` (Chromium, Firefox, WebKit), with ``engine`` telling it
which and what that engine is known to do; its ``page`` is then Playwright's, or for WebKit a
WebDriver window with the same calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from . import engines, static_servers
from .engines import ENGINES, Engine, VirtualDisplay
from .harness import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    PROBE_WORKER_JS,
    Certificate,
    JupyterProcess,
    require_chromium,
)
from .lite_sites import (
    LiteSite,
    Served,
    built_site,
    isolated_pyodide_site,
    lite_serve,
    new_site,
    plain_pyodide_site,
    serve_folder,
    worker_pyodide_site,
)
from .offline_pyodide import OfflinePyodide, offline_pyodide

# A 1x1 PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def serve_pixel(tmp_path: Path, tls: Certificate | None = None) -> Iterator[str]:
    """A second loopback server, another origin, serving ``pixel.png`` with no CORP header."""
    root = tmp_path / "other-origin"
    root.mkdir()
    (root / "pixel.png").write_bytes(PIXEL)
    for served in serve_folder(root, tmp_path, tls):
        yield served.url


@pytest.fixture
def other_origin(tmp_path) -> Iterator[str]:
    yield from serve_pixel(tmp_path)


@pytest.fixture
def embeds(tmp_path, other_origin) -> str:
    """The second origin, serving also what ``harness.EMBED_FROM`` embeds from it."""
    root = tmp_path / "other-origin"
    (root / "tiles" / "3" / "4").mkdir(parents=True)
    (root / "tiles" / "3" / "4" / "2.png").write_bytes((root / "pixel.png").read_bytes())
    (root / "widget.js").write_text("self.jupyterCoiWidgetRan = true;\n")
    (root / "framed.png").write_bytes((root / "pixel.png").read_bytes())
    return other_origin


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
def jp_asyncio_loop(request):
    """pytest-jupyter's event loop, for the tests that run a server in-process only. Its own
    version takes the thread's current loop for every test and closes it after, which would
    close Playwright's (``playwright_driver``)."""
    if "jp_serverapp" not in request.fixturenames:
        yield None
        return
    from jupyter_core.utils import ensure_event_loop

    loop = ensure_event_loop(prefer_selector_loop=True)
    yield loop
    loop.close()


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


@pytest.fixture(scope="session")
def offline() -> OfflinePyodide:
    """The Pyodide that JupyterLite test sites run, without the internet (offline_pyodide.py)."""
    try:
        return offline_pyodide()
    except Exception as e:
        pytest.fail(f"could not prepare Pyodide for offline use: {e}", pytrace=False)


def _module_site(request, tmp_path_factory, offline, kind: str, serve) -> Iterator[Served]:
    # The notebooks are the test module's own NOTEBOOKS; one site per module and kind.
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    yield from serve(tmp_path_factory.mktemp(f"{name}-{kind}"), request.module.NOTEBOOKS, offline)


@pytest.fixture(scope="module")
def isolated_site(request, tmp_path_factory, offline) -> Iterator[Served]:
    """The module's NOTEBOOKS in a site that `jupyter lite serve` sends with the headers."""
    yield from _module_site(request, tmp_path_factory, offline, "isolated", isolated_pyodide_site)


@pytest.fixture(scope="module")
def plain_site(request, tmp_path_factory, offline) -> Iterator[Served]:
    """The module's NOTEBOOKS in a site that is not isolated (no headers, no service worker)."""
    yield from _module_site(request, tmp_path_factory, offline, "plain", plain_pyodide_site)


@pytest.fixture(scope="module")
def worker_site(request, tmp_path_factory, offline) -> Iterator[Served]:
    """The module's NOTEBOOKS in a site isolated by the service worker alone."""
    yield from _module_site(request, tmp_path_factory, offline, "worker", worker_pyodide_site)


@pytest.fixture
def engine(request) -> Engine:
    """The browser engine of the test: Chromium unless it is marked ``engines``. A missing engine
    fails the test (never skips it) with the command that installs it."""
    chosen = ENGINES[getattr(request, "param", "chromium")]
    try:
        if chosen.name == "chromium":
            require_chromium()
        else:
            chosen.require()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    return chosen


@pytest.fixture(scope="session")
def virtual_display() -> Iterator[VirtualDisplay]:
    """One X display for the session's WebKit windows (MiniBrowser has no headless mode)."""
    engines.WEBKIT.require()
    display = VirtualDisplay()
    yield display
    display.stop()


@pytest.fixture(scope="module")
def playwright_driver():
    """One Playwright for a module's browser tests (two cannot run at once in a thread). Module
    by module, because while it runs, the thread has a running event loop: the one module that
    runs servers in-process (tests/integration/test_server_headers.py) has no browser test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(request, engine, playwright_driver):
    """Debian's headless Chromium, one per test (or Firefox ESR, one per module: it takes
    seconds to start, and each test gets a fresh context of it), through Playwright. A test
    marked ``@pytest.mark.chromium_args(...)`` gets those switches too."""
    if engine.driver != "playwright":
        pytest.fail(
            f"{engine.title} is driven by WebDriver here: use the `page` fixture", pytrace=False
        )
    if engine.name == "firefox":
        yield request.getfixturevalue("firefox")
        return
    marker = request.node.get_closest_marker("chromium_args")
    args = [*CHROMIUM_ARGS, *(marker.args if marker else ())]
    browser = playwright_driver.chromium.launch(
        executable_path=require_chromium(), headless=True, args=args
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def firefox(playwright_driver):
    browser = playwright_driver.firefox.launch(**engines.firefox_launch_options())
    yield browser
    browser.close()


class ConsoleLog(list):
    """The console errors and uncaught exceptions of one page."""

    def errors(self, matching: str = "") -> list[str]:
        return [m for m in self if matching.lower() in m.lower()]


@pytest.fixture
def page(request, engine):
    """A fresh browser context and page; in the Playwright engines its console errors are in
    ``page.console_log`` (``None`` in WebKit, whose WebDriver cannot read them). A screenshot is
    kept in tests/artifacts/ when the test fails."""
    if engine.driver == "playwright":
        context = request.getfixturevalue("browser").new_context(
            viewport={"width": 1280, "height": 800}
        )
        page = context.new_page()
        log = ConsoleLog()
        page.on(
            "console",
            lambda m: log.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
        page.console_log = log
        page.set_default_timeout(30_000)
        yield page
        keep_screenshot(page, request)
        context.close()
    else:
        with engines.webkit_page(request.getfixturevalue("virtual_display")) as page:
            page.console_log = None
            yield page
            keep_screenshot(page, request)


def keep_screenshot(page, request) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        # A screenshot is a courtesy; the failure is already reported.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))


# --- static sites for nginx and Apache (integration/ and browser/ test_host_files_*) ------------

SUB_PAGE = "<!doctype html><title>sub</title><p>a page in a subfolder</p>\n"
INDEX_PAGE = "<!doctype html><title>site</title><p>a static site</p>\n"


@pytest.fixture
def site():
    """A small static site in a folder that unprivileged server workers can read."""
    path = static_servers.public_dir("jupyter-coi-site-")
    (path / "index.html").write_text(INDEX_PAGE)
    (path / "probe-worker.js").write_text(PROBE_WORKER_JS)
    (path / "sub").mkdir()
    (path / "sub" / "index.html").write_text(SUB_PAGE)
    (path / "sub").chmod(0o755)
    yield path
    static_servers.remove(path)


@pytest.fixture
def serve():
    """Start nginx or Apache (``serve("nginx", site, ...)``); all are stopped when the test ends.
    A missing server fails the test with the command that installs it."""
    with contextlib.ExitStack() as servers:

        def start(kind: str, site: Path, *args, **kwargs) -> static_servers.StaticServer:
            try:
                return servers.enter_context(static_servers.running(kind, site, *args, **kwargs))
            except RuntimeError as e:
                pytest.fail(str(e), pytrace=False)

        yield start


# --- JupyterLite builds with the addon (integration/ and browser/ test_lite_*) ------------------


@pytest.fixture(scope="module")
def lite_site(tmp_path_factory) -> LiteSite:
    """One real `jupyter lite build` with the default settings, shared by the module's tests.
    A test that changes the site puts it back as it was."""
    return built_site(tmp_path_factory.mktemp("lite-site"))


@pytest.fixture(scope="module")
def lite_served(tmp_path_factory) -> Iterator[Served]:
    yield from lite_serve(new_site(tmp_path_factory.mktemp("lite-served")))
