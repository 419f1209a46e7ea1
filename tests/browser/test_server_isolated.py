"""In Chromium, Firefox and WebKit: pages that Jupyter Server serves are isolated with
jupyter-coi, not without; COEP ``credentialless`` isolates where the engine supports it, and
``auto`` (the default) everywhere, loading what a page embeds from other sites where the engine
has credentialless."""

from __future__ import annotations

import pytest

from support.engines import isolation_seen
from support.harness import (
    COEP_SEEN,
    EMBED_FROM,
    FRONTENDS,
    ISOLATION_PROBE,
    PROBE_NOTEBOOK,
    PROBE_WORKER_JS,
    Frontend,
    disable_extension,
    embedded,
)

pytestmark = pytest.mark.engines()

FILES = {
    "probe-worker.js": PROBE_WORKER_JS,
    "probe.ipynb": PROBE_NOTEBOOK,
}


def read_isolation(page, server, frontend: Frontend):
    page.goto(server.page_url(frontend.path))
    page.wait_for_selector(frontend.ready, state="attached")
    return page.evaluate(ISOLATION_PROBE, server.page_url("files/probe-worker.js"))


def blocked_by_isolation(page) -> list[str]:
    return [m for m in page.console_log if "ERR_BLOCKED_BY" in m or "Cross-Origin" in m]


@pytest.mark.parametrize("frontend", FRONTENDS, ids=lambda f: f.id)
@pytest.mark.parametrize("base_url", ["/", "/user/alice/"], ids=["root", "base-url"])
def test_isolated_with_extension(jupyter_process, engine, page, frontend, base_url):
    server = jupyter_process(frontend.app, base_url=base_url, files=FILES)
    seen = read_isolation(page, server, frontend)
    assert seen["page"] == isolation_seen(engine, engine.expects("server-isolated"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("server-isolated"))
    if engine.reads_console:
        assert blocked_by_isolation(page) == []


@pytest.mark.parametrize("frontend", FRONTENDS, ids=lambda f: f.id)
def test_not_isolated_when_extension_disabled(jupyter_process, engine, page, frontend):
    server = jupyter_process(frontend.app, files=FILES, before=disable_extension)
    assert "jupyter_coi" not in server.log()
    seen = read_isolation(page, server, frontend)
    assert seen["page"] == isolation_seen(engine, False)
    assert seen["worker"] == isolation_seen(engine, False)


def test_not_isolated_when_setting_off(jupyter_process, page):
    server = jupyter_process("lab", "--CrossOriginIsolation.enabled=False", files=FILES)
    assert "disabled by c.CrossOriginIsolation.enabled = False" in server.log()
    seen = read_isolation(page, server, FRONTENDS[0])
    assert seen["page"]["crossOriginIsolated"] is False
    assert seen["worker"]["crossOriginIsolated"] is False


def test_credentialless_isolates_where_supported(jupyter_process, engine, page):
    server = jupyter_process(
        "lab", "--CrossOriginIsolation.embedder_policy=credentialless", files=FILES
    )
    seen = read_isolation(page, server, FRONTENDS[0])
    assert page.evaluate(COEP_SEEN) == "credentialless"
    supported = engine.expects("credentialless")
    assert seen["page"] == isolation_seen(engine, supported)
    assert seen["worker"] == isolation_seen(engine, supported)


def test_auto_isolates_every_engine(jupyter_process, engine, page):
    """`auto` sends credentialless to the browsers that support it, require-corp to the others:
    isolated in each engine, and with credentialless where that isolates."""
    server = jupyter_process("lab", "--CrossOriginIsolation.embedder_policy=auto", files=FILES)
    seen = read_isolation(page, server, FRONTENDS[0])
    assert seen["page"] == isolation_seen(engine, engine.expects("auto"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("auto"))
    want = "credentialless" if engine.expects("credentialless") else "require-corp"
    assert page.evaluate(COEP_SEEN) == want


@pytest.mark.parametrize("embedder", [None, "require-corp"], ids=["default", "require-corp"])
def test_what_pages_embed_from_other_sites(jupyter_process, engine, page, embeds, embedder):
    """With no configuration, Chromium and Firefox load them on an isolated page (credentialless);
    WebKit is isolated too, and blocks them (require-corp). Set explicitly, require-corp blocks
    them in every engine."""
    options = [f"--CrossOriginIsolation.embedder_policy={embedder}"] if embedder else []
    server = jupyter_process("lab", *options, files=FILES)
    page.goto(server.page_url("lab"))
    page.wait_for_selector(FRONTENDS[0].ready, state="attached")
    loads = engine.expects("default-embeds") and embedder is None
    assert page.evaluate(EMBED_FROM, embeds) == embedded(loads)
