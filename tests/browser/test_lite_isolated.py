"""The JupyterLite addon's site in Chromium, Firefox and WebKit: served with headers (`jupyter lite
serve`, nginx and Apache with their generated config files) it is isolated, with the indicator
saying so; on a plain server without headers the service worker isolates it after one reload,
and a build without the service worker is not isolated there. The builds and commands
themselves are tests/integration/test_lite_addon.py."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import static_servers
from support.engines import isolation_seen
from support.harness import ISOLATION_PROBE
from support.lite_sites import LiteSite, Served, built_site, plain_server


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
    folder = static_servers.public_dir("jupyter-coi-lite-")
    shutil.copytree(lite_site.out, folder / "site")
    yield folder / "site"
    static_servers.remove(folder)


@pytest.fixture(params=["nginx", "apache"])
def real_host(request, public_site) -> Iterator[Served]:
    """The build served by the real server its generated config file is for."""
    workdir = static_servers.public_dir(f"jupyter-coi-{request.param}-")
    try:
        if request.param == "nginx":
            server = static_servers.nginx(public_site, workdir, public_site / "nginx-coi.conf")
        else:
            server = static_servers.apache(public_site, workdir)
        try:
            yield Served(server.url, server.proc, server.log_path)
        finally:
            server.stop()
    finally:
        static_servers.remove(workdir)


PAGES = [
    ("lab", "lab/index.html", ".jp-LabShell", "#jp-main-statusbar .jp-coi-indicator"),
    (
        "notebook",
        "notebooks/index.html?path=probe.ipynb",
        ".jp-Notebook",
        "#top-panel .jp-coi-indicator",
    ),
]


# Set by the service worker's page script before the reload it makes (coi-reload.js).
RELOADED = "() => sessionStorage.getItem('jupyter-coi-reloaded')"


def open_lite(page, served: Served, path: str, ready: str, indicator: str):
    page.goto(served.url + path)
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    item = page.wait_for_selector(f'{indicator}[data-coi-ready="true"]', state="attached")
    seen = page.evaluate(ISOLATION_PROBE, served.url + "files/probe-worker.js")
    return seen, item.get_attribute("data-coi-state"), item.inner_text()


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_served_site_is_isolated(lite_served, engine, page, name, path, ready, indicator):
    seen, state, text = open_lite(page, lite_served, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert state == "isolated"
    assert "Isolated" in text
    assert page.evaluate(RELOADED) is None  # the headers did it, not the service worker
    if engine.reads_console:
        assert page.console_log.errors("ERR_BLOCKED_BY") == []


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_real_host_with_its_config_file_is_isolated(
    real_host, engine, page, name, path, ready, indicator
):
    seen, state, _ = open_lite(page, real_host, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert state == "isolated"
    # The headers did it: the service worker's reload was not needed.
    assert page.evaluate("() => performance.getEntriesByType('navigation')[0].type") == "navigate"
    assert page.evaluate(RELOADED) is None


@pytest.mark.engines
def test_headerless_host_is_isolated_by_the_service_worker(
    plain_served_with_service_worker, engine, page
):
    """The addon's default build on a host without headers: one reload, then isolated."""
    served = plain_served_with_service_worker
    _, path, _, indicator = PAGES[0]
    page.goto(served.url + path)
    deadline = time.monotonic() + 60
    state = None
    while time.monotonic() < deadline and state != "isolated":
        try:  # the page reloads once: reading it then can hit a destroyed context
            item = page.wait_for_selector(f'{indicator}[data-coi-ready="true"]', state="attached")
            if page.evaluate("self.crossOriginIsolated"):
                state = item.get_attribute("data-coi-state")
        except Exception:
            pass
        if state != "isolated":
            page.wait_for_timeout(250)
    assert (state == "isolated") is engine.expects("lite-service-worker")
    assert page.evaluate(RELOADED) is not None  # isolated by the worker, after the one reload


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_plain_server_is_not_isolated(plain_served, engine, page, name, path, ready, indicator):
    # A build without the service worker, on a host without headers: the host files alone do
    # nothing there.
    seen, state, text = open_lite(page, plain_served, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, False)
    assert state == "not-isolated"
    assert "Not isolated" in text
