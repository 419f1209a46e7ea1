"""In Chromium: pages that Jupyter Server serves are isolated with jupyter-coi, not without."""

from __future__ import annotations

import json

import pytest

from harness import ISOLATION_PROBE, PROBE_NOTEBOOK, PROBE_WORKER_JS

# Where each frontend shows it has rendered: a page blocked by COEP would not get there.
FRONTENDS = [
    ("lab", "lab", ".jp-LabShell"),
    ("notebook", "tree", "#main-panel, .jp-NotebookShell"),
    ("notebook", "notebooks/probe.ipynb", ".jp-Notebook"),
]
IDS = ["jupyterlab", "notebook7-tree", "notebook7-notebook"]


FILES = {
    "probe-worker.js": PROBE_WORKER_JS,
    "probe.ipynb": PROBE_NOTEBOOK,
}


def read_isolation(page, server, path, ready):
    page.goto(server.page_url(path))
    page.wait_for_selector(ready, state="attached")
    return page.evaluate(ISOLATION_PROBE, server.page_url("files/probe-worker.js"))


def blocked_by_isolation(page) -> list[str]:
    return [m for m in page.console_log if "ERR_BLOCKED_BY" in m or "Cross-Origin" in m]


@pytest.mark.parametrize("app,path,ready", FRONTENDS, ids=IDS)
@pytest.mark.parametrize("base_url", ["/", "/user/alice/"], ids=["root", "base-url"])
def test_isolated_with_extension(jupyter_process, page, app, path, ready, base_url):
    server = jupyter_process(app, base_url=base_url, files=FILES)
    seen = read_isolation(page, server, path, ready)
    assert seen["page"] == {"crossOriginIsolated": True, "sharedArrayBuffer": "function"}
    assert seen["worker"] == {"crossOriginIsolated": True, "sharedArrayBuffer": "function"}
    assert blocked_by_isolation(page) == []


def disable_extension(home):
    """What `jupyter server extension disable --user jupyter_coi` would write: jupyter_server
    2.x refuses that command (exit code 0) for an extension enabled at the environment level."""
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_coi": False}}})
    )


@pytest.mark.parametrize("app,path,ready", FRONTENDS, ids=IDS)
def test_not_isolated_when_extension_disabled(jupyter_process, page, app, path, ready):
    server = jupyter_process(app, files=FILES, before=disable_extension)
    assert "jupyter_coi" not in server.log()
    seen = read_isolation(page, server, path, ready)
    assert seen["page"] == {"crossOriginIsolated": False, "sharedArrayBuffer": "undefined"}
    assert seen["worker"] == {"crossOriginIsolated": False, "sharedArrayBuffer": "undefined"}


def test_not_isolated_when_setting_off(jupyter_process, page):
    server = jupyter_process("lab", "--CrossOriginIsolation.enabled=False", files=FILES)
    assert "disabled by c.CrossOriginIsolation.enabled = False" in server.log()
    seen = read_isolation(page, server, "lab", ".jp-LabShell")
    assert seen["page"]["crossOriginIsolated"] is False
    assert seen["worker"]["crossOriginIsolated"] is False
