"""The service worker as jupyter-coi renders it, in-process: the values are the policy's, as data,
every slot of the template is filled, and it imports the original worker once. Run in Node for
each browser: tests/integration/test_lite_service_worker_build.py."""

from __future__ import annotations

import json

import pytest

from jupyter_coi import policy
from jupyter_coi.static import serviceworker as sw
from support.harness import REPO

POLICIES = [
    policy.Policy(),
    policy.Policy(embedder="credentialless"),
    policy.Policy(embedder="credentialless", resource="cross-origin"),
    policy.Policy(opener="same-origin-allow-popups", embedder="unsafe-none"),
]


@pytest.mark.parametrize("chosen", POLICIES, ids=lambda p: p.describe())
def test_the_headers_are_the_policys_and_no_slot_is_left(chosen):
    worker = sw.render_service_worker(chosen)
    [line] = [line for line in worker.splitlines() if line.strip().startswith("const HEADERS = ")]
    assert json.loads(line.split("=", 1)[1].strip().rstrip(";")) == chosen.headers()
    assert "__JUPYTER_COI_" not in worker
    assert sw.WORKER_MARKER in worker


def test_the_credentialless_rule_is_the_policy_modules():
    worker = sw.render_service_worker(policy.Policy(embedder="credentialless"))
    assert json.dumps(policy.credentialless_rule()) in worker


def test_the_original_is_imported_once_by_the_url_given():
    assert sw.render_service_worker(policy.Policy()).count("importScripts(") == 1
    assert f"importScripts({json.dumps(sw.ORIGINAL)})" in sw.render_service_worker(policy.Policy())
    other = sw.render_service_worker(policy.Policy(), original="../kept/sw.js")
    assert 'importScripts("../kept/sw.js")' in other and sw.ORIGINAL not in other


def test_different_policies_render_different_workers_and_the_same_one_the_same():
    rendered = [sw.render_service_worker(p) for p in POLICIES]
    assert len(set(rendered)) == len(POLICIES)
    assert sw.render_service_worker(policy.Policy()) == rendered[0]


def test_the_page_script_is_shipped_and_names_no_template_slot():
    script = sw.page_script()
    assert len(script) > 200 and "__JUPYTER_COI_" not in script
    assert "serviceWorker" in script and "reload" in script


def test_the_indicator_knows_the_reload_scripts_id():
    """The dialog tells a site whose worker gives Safari require-corp by this script's tag."""
    probe = (REPO / "labextension" / "src" / "indicator" / "probe.ts").read_text()
    assert f"RELOAD_SCRIPT_ID = '{sw.SCRIPT_ID}'" in probe
