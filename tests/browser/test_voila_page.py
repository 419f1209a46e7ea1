"""Standalone Voila in the browser, in Chromium, Firefox and WebKit: the page is cross-origin
isolated, jupyter-coi's indicator loads on it (Voila's pages share no `@jupyterlab/statusbar`)
and says so, and reading the page's headers starts no second kernel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.engines import isolation_seen
from support.voila import GREETING, VoilaProcess

pytestmark = pytest.mark.engines()

INDICATOR = "#jp-coi-indicator"


@pytest.fixture
def voila(tmp_path) -> Iterator[VoilaProcess]:
    server = VoilaProcess(tmp_path).start()
    yield server
    server.stop()


def test_voila_page_is_isolated_with_the_indicator(voila, engine, page):
    page.goto(voila.url)
    page.wait_for_selector(
        f"text={GREETING}" if engine.driver == "playwright" else ".jp-OutputArea"
    )
    item = page.wait_for_selector(INDICATOR, timeout=60_000)
    page.wait_for_selector(f'{INDICATOR}[data-coi-ready="true"]', state="attached")
    seen = page.evaluate(
        "() => ({crossOriginIsolated: self.crossOriginIsolated,"
        " sharedArrayBuffer: typeof SharedArrayBuffer})"
    )
    assert seen == isolation_seen(engine, engine.expects("server-isolated"))
    assert item.get_attribute("data-coi-state") == "isolated"
    if engine.reads_console:
        # Other extensions may fail on Voila's page (jupyter-server-proxy's wants the file
        # browser); jupyter-coi must not.
        ours = [m for m in page.console_log if "jupyter-coi" in m or "@jupyterlab/statusbar" in m]
        assert not [m for m in ours if "error" in m.lower() or "Shared module" in m], ours
    # The page's render started one kernel; the indicator read the headers from a static file.
    assert voila.kernels_started() == 1, voila.log()
