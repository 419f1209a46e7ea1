"""The JupyterLite addon's default site in Chromium, Firefox and WebKit: served with headers
(`jupyter lite serve`, nginx and Apache with their generated config files) it is isolated, with
the indicator saying so, from the first load where the browser honours their credentialless and
after the service worker's one reload in WebKit; on a plain server without headers the service
worker isolates it after one reload; with either, what other sites send without CORP loads in
Chromium and Firefox; and a build without the service worker is not isolated there. The builds
and commands themselves are tests/integration/test_lite_addon.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from support import static_servers
from support.engines import PageError, is_navigation_error, isolation_seen
from support.harness import COEP_SEEN, EMBED_FROM, ISOLATION_PROBE, embedded
from support.lite_sites import LiteSite, Served, built_site, plain_server
from support.pictures import save_dialog_picture, save_indicator_picture


@pytest.fixture(scope="module")
def site_without_service_worker(tmp_path_factory) -> LiteSite:
    return built_site(tmp_path_factory.mktemp("lite-no-sw"), {"service_worker": False})


@pytest.fixture
def plain_served(site_without_service_worker) -> Iterator[Served]:
    yield from plain_server(site_without_service_worker)


@pytest.fixture
def plain_served_with_service_worker(lite_site) -> Iterator[Served]:
    yield from plain_server(lite_site)


@pytest.fixture(scope="module")
def public_site(lite_site) -> Iterator[Path]:
    """The default build, where nginx's and Apache's workers can read it."""
    with static_servers.public_copy(lite_site.out) as site:
        yield site


@pytest.fixture(params=["nginx", "apache"])
def real_host(request, public_site) -> Iterator[Served]:
    """The build served by the real server its generated config file is for."""
    # Apache finds the build's .htaccess itself; nginx is told to include its snippet.
    snippet = [public_site / "nginx-coi.conf"] if request.param == "nginx" else []
    with static_servers.running(request.param, public_site, *snippet) as server:
        yield Served(server.url, server.proc, server.log_path)


PAGES = [
    ("lab", "lab/index.html", ".jp-LabShell", "#jp-main-statusbar .jp-coi-indicator"),
    (
        "notebook",
        "notebooks/index.html?path=probe.ipynb",
        ".jp-Notebook",
        "#top-panel .jp-coi-indicator",
    ),
]


DIALOG = ".jp-coi-dialog"

# Set by the service worker's page script before the reload it makes (coi-reload.js).
RELOADED = "() => sessionStorage.getItem('jupyter-coi-reloaded')"


def open_lite(page, served: Served, path: str, ready: str, indicator: str):
    page.goto(served.url + path)
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    item = page.wait_for_selector(f'{indicator}[data-coi-ready="true"]', state="attached")
    seen = page.evaluate(ISOLATION_PROBE, served.url + "files/probe-worker.js")
    return seen, item.get_attribute("data-coi-state"), item.inner_text()


def open_isolated(page, served: Served, path: str, ready: str, indicator: str):
    """``open_lite``, once the page says it is isolated: where the host's headers do not isolate
    it (WebKit and credentialless), the service worker's script reloads it once first, which can
    happen under any of these reads. Bounded: a page never isolated fails with what it showed."""
    page.goto(served.url + path)
    deadline = time.monotonic() + 60
    last: object = None
    reloads = 0
    while time.monotonic() < deadline:
        try:
            if page.evaluate("self.crossOriginIsolated"):
                try:
                    page.wait_for_selector(ready, state="attached", timeout=30_000)
                except Exception:
                    # WebKit can leave JupyterLite's app blank just after the worker's reload
                    # (the cause is not known yet); a user would reload: once, then it must
                    # render.
                    if reloads or not page.evaluate("self.crossOriginIsolated"):
                        raise
                    reloads += 1
                    print(f"{served.url + path}: app not shown 30 s after isolation; reloaded")
                    page.reload()
                    deadline = time.monotonic() + 60
                    continue
                item = page.wait_for_selector(
                    f'{indicator}[data-coi-ready="true"]', state="attached"
                )
                seen = page.evaluate(ISOLATION_PROBE, served.url + "files/probe-worker.js")
                return seen, item.get_attribute("data-coi-state"), item.inner_text()
        except Exception as e:  # the reload destroyed the context under the read
            if not (is_navigation_error(e) or isinstance(e, PageError)):
                raise
            last = e
        page.wait_for_timeout(250)
    raise AssertionError(f"{served.url + path} was not isolated within 60 s (last: {last!r})")


# The page is isolated and its indicator, ready, says so.
INDICATES_ISOLATED = """(indicator) => self.crossOriginIsolated &&
  document.querySelector(indicator + '[data-coi-ready="true"]')?.dataset.coiState === 'isolated'"""


def reloaded_by_the_worker(page) -> bool:
    """Whether the service worker's page script reloaded this page (it sets the guard first)."""
    return page.evaluate(RELOADED) is not None


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_served_site_is_isolated(lite_served, engine, page, name, path, ready, indicator):
    seen, state, text = open_isolated(page, lite_served, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert state == "isolated"
    assert "Isolated" in text
    # The headers did it, not the service worker, where their credentialless isolates.
    assert reloaded_by_the_worker(page) is not engine.expects("lite-headers-first-load")
    if engine.name == "chromium" and name == "lab":
        # The docs' pictures of JupyterLite (docs/_static/pictures/jupyterlite-*.png).
        item = page.wait_for_selector(indicator)
        save_indicator_picture(page, item, "jupyterlite")
        item.click()
        fact = page.wait_for_selector(f'{DIALOG} [data-coi-fact="crossOriginIsolated"]')
        assert fact.get_attribute("data-coi-value") == "true"
        save_dialog_picture(page, "jupyterlite")
    if engine.reads_console:
        assert page.console_log.errors("ERR_BLOCKED_BY") == []


@pytest.mark.engines("chromium", "firefox")
def test_the_dialog_does_not_deny_the_worker_that_delivered_the_page(lite_served, engine, page):
    """From the second load on, JupyterLite's worker (wrapped by jupyter-coi) delivers the page.
    Chromium's navigation timing says so; Firefox's does not (w3c/navigation-timing#199): its
    dialog says "unknown", never "no", and both give the same diagnosis."""
    _, path, ready, indicator = PAGES[0]
    open_isolated(page, lite_served, path, ready, indicator)
    page.reload()
    open_isolated(page, lite_served, path, ready, indicator)
    assert page.evaluate("!!navigator.serviceWorker.controller")
    page.click(indicator)
    page.wait_for_selector(f'{DIALOG} [data-coi-fact="navigationViaServiceWorker"]')
    delivered = page.get_attribute(
        f'{DIALOG} [data-coi-fact="navigationViaServiceWorker"]', "data-coi-value"
    )
    assert delivered == ("true" if engine.name == "chromium" else "unknown"), delivered
    reasons = page.eval_on_selector_all(
        f"{DIALOG} [data-coi-reason]", "rows => rows.map(r => r.dataset.coiReason)"
    )
    assert "service-worker" in reasons, reasons
    # Its advice is the headers the page got, the ones the next note says it uses.
    fix = page.locator(f"{DIALOG} [data-coi-reason='service-worker'] .jp-coi-fix").inner_text()
    assert '"Cross-Origin-Embedder-Policy: credentialless"' in fix, fix
    assert "require-corp" not in fix, fix


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_real_host_with_its_config_file_is_isolated(
    real_host, engine, page, name, path, ready, indicator
):
    seen, state, _ = open_isolated(page, real_host, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert state == "isolated"
    # The headers did it, from the first load; in WebKit the worker, after its one reload
    # (which WebKitGTK's navigation timing reports as "navigate": the guard says it).
    first_load = engine.expects("lite-headers-first-load")
    if first_load:
        navigation = page.evaluate("() => performance.getEntriesByType('navigation')[0].type")
        assert navigation == "navigate"
    assert reloaded_by_the_worker(page) is not first_load


@pytest.mark.engines
def test_headerless_host_is_isolated_by_the_service_worker(
    plain_served_with_service_worker, engine, page
):
    """The addon's default build on a host without headers: one reload, then isolated."""
    served = plain_served_with_service_worker
    _, path, _, indicator = PAGES[0]
    page.goto(served.url + path)
    # One wait, which Playwright (and the WebDriver page's poll) carries over the reload; only
    # its running out means "not isolated"; any other error fails the test.
    try:
        page.wait_for_function(INDICATES_ISOLATED, arg=indicator, timeout=60_000)
        isolated = True
    except (PlaywrightTimeoutError, TimeoutError):
        isolated = False
    assert isolated is engine.expects("lite-service-worker")
    assert page.evaluate(RELOADED) is not None  # isolated by the worker, after the one reload


@pytest.fixture(params=["nginx", "headerless"])
def default_host(request, public_site, lite_site) -> Iterator[Served]:
    """The default build served by nginx with its snippet, or by a host that sends no headers."""
    if request.param == "headerless":
        yield from plain_server(lite_site)
        return
    with static_servers.running("nginx", public_site, public_site / "nginx-coi.conf") as server:
        yield Served(server.url, server.proc, server.log_path)


@pytest.mark.engines
def test_default_build_loads_what_people_embed(request, default_host, embeds, engine, page):
    """With no configuration, an image, a map tile and a script from another origin that sends
    no CORP load on the isolated page in Chromium and Firefox (credentialless, from the host's
    headers or the worker); WebKit is isolated too (the worker's require-corp), and blocks them."""
    headerless = request.node.callspec.params["default_host"] == "headerless"
    _, path, ready, indicator = PAGES[0]
    seen, _, _ = open_isolated(page, default_host, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine)
    # Headers alone isolate from the first load where the browser has credentialless.
    first_load = engine.expects("lite-headers-first-load") and not headerless
    assert reloaded_by_the_worker(page) is not first_load
    loads = engine.expects("lite-default-embeds")
    assert page.evaluate(EMBED_FROM, embeds) == embedded(loads)
    want = "credentialless" if engine.expects("credentialless") else "require-corp"
    assert page.evaluate(COEP_SEEN) == want


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_plain_server_is_not_isolated(plain_served, engine, page, name, path, ready, indicator):
    # A build without the service worker, on a host without headers: the host files alone do
    # nothing there.
    seen, state, text = open_lite(page, plain_served, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, False)
    assert state == "not-isolated"
    assert "Not isolated" in text
