"""The service worker's build step on a real `jupyter lite build` (wrapped by
:mod:`jupyter_coi.static.serviceworker`, called directly: not through the addon), and the rendered
worker run in Node for each browser's User-Agent. In the browser: tests/browser/test_lite_service_worker.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jupyter_coi.policy import Policy, credentialless_supported
from jupyter_coi.static import serviceworker as sw
from support.harness import REPO
from support.lite_sites import plain_build

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """A plain JupyterLite build (without any addon of jupyter-coi) with one notebook."""
    out = plain_build(tmp_path_factory.mktemp("lite"))
    assert (out / sw.SERVICE_WORKER).is_file()
    return out


def test_wrap_is_idempotent_follows_the_policy_and_is_checked(built_site: Path, tmp_path: Path):
    out = tmp_path / "site"
    shutil.copytree(built_site, out)
    jupyterlite_worker = (out / sw.SERVICE_WORKER).read_text()
    problems = sw.check_service_worker(out)
    assert any("not wrapped" in p for p in problems) and any(sw.PAGE_SCRIPT in p for p in problems)

    written = sw.wrap_service_worker(out, Policy())
    assert out / sw.SERVICE_WORKER in written and out / sw.ORIGINAL in written
    assert (out / sw.ORIGINAL).read_text() == jupyterlite_worker
    wrapper = (out / sw.SERVICE_WORKER).read_text()
    # The values are the policy's, rendered as data, and the original is imported once.
    assert json.dumps(Policy().headers()) in wrapper
    assert wrapper.count("importScripts(") == 1 and f'importScripts("{sw.ORIGINAL}")' in wrapper

    pages = sw.install_page_script(out)
    lab_tree = out / "lab" / "tree" / "index.html"
    assert (
        out / sw.PAGE_SCRIPT in pages and lab_tree in pages and out / "lab" / "index.html" in pages
    )
    assert (
        '<script id="jupyter-coi-reload" src="../../coi-reload.js"></script>'
        in lab_tree.read_text()
    )
    assert not any(p.relative_to(out).parts[0] in sw.NOT_APP_DIRS for p in pages)
    assert sw.check_service_worker(out, Policy()) == []

    # A second build step changes nothing: no second wrapper, no second tag.
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert sw.wrap_service_worker(out, Policy()) == []
    assert sw.install_page_script(out) == []
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

    # Another policy re-renders the wrapper (still once), and the check tells a stale one.
    other = Policy(embedder="credentialless")
    assert any("not the configured" in p for p in sw.check_service_worker(out, other))
    assert sw.wrap_service_worker(out, other) == [
        out / sw.SERVICE_WORKER,
        out / "build" / sw.SERVICE_WORKER,
    ]
    assert (
        '"Cross-Origin-Embedder-Policy": "credentialless"' in (out / sw.SERVICE_WORKER).read_text()
    )
    assert (out / sw.ORIGINAL).read_text() == jupyterlite_worker
    assert sw.check_service_worker(out, other) == []

    # `jupyter lite build --force` unpacks JupyterLite's worker again: it is wrapped afresh.
    (out / sw.SERVICE_WORKER).write_text(jupyterlite_worker)
    sw.wrap_service_worker(out, Policy())
    assert (out / sw.ORIGINAL).read_text() == jupyterlite_worker
    assert (out / sw.SERVICE_WORKER).read_text().count(sw.WORKER_MARKER) == 1

    # A wrapper whose original is gone cannot be mended by wrapping: it says so.
    (out / sw.ORIGINAL).unlink()
    assert any("is missing" in p for p in sw.check_service_worker(out, Policy()))
    with pytest.raises(sw.ServiceWorkerError, match="--force"):
        sw.wrap_service_worker(out, Policy())
    with pytest.raises(sw.NotALiteSite):
        sw.wrap_service_worker(tmp_path, Policy())


# The rendered worker, run in Node with what a service worker global has: for each User-Agent,
# the COEP value it gives a response without one, and one the host sent as credentialless.
RUN_WORKER = r"""
const vm = require('vm');
const [worker, agents] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  const out = [];
  for (const agent of agents) {
    class FetchEvent {
      stopImmediatePropagation() { this.stopped = true; }
    }
    FetchEvent.prototype.respondWith = function (answer) { this.answer = answer; };
    const listeners = [];
    vm.runInNewContext(worker, {
      self: {navigator: {userAgent: agent}, location: new URL('https://lite.example/lab/'),
             addEventListener: (type, listener) => listeners.push([type, listener])},
      FetchEvent, Response, Headers, Promise, console, URL, importScripts() {},
    });
    // Which requests the worker keeps from JupyterLite's listener (left to the browser).
    const leftToTheBrowser = (mode, url) => {
      const event = new FetchEvent();
      event.request = {mode, url};
      for (const [type, listener] of listeners) if (type === 'fetch') listener(event);
      return event.stopped === true;
    };
    const coep = async (headers) => {
      const event = new FetchEvent();
      event.request = {redirect: 'follow', method: 'GET'};
      event.respondWith(new Response('x', {status: 200, headers}));
      return (await event.answer).headers.get('Cross-Origin-Embedder-Policy');
    };
    out.push([await coep({}),
              await coep({'Cross-Origin-Embedder-Policy': 'credentialless; report-to="x"'}),
              leftToTheBrowser('no-cors', 'https://tiles.example/1/2/3.png'),
              leftToTheBrowser('cors', 'https://cdn.example/data.json'),
              leftToTheBrowser('no-cors', 'https://lite.example/files/pixel.png')]);
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/95.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/60.5 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 Mobile/15E148 Safari/604.1",
    "",
]


@pytest.mark.parametrize("embedder", ["credentialless", "require-corp"])
def test_worker_gives_each_browser_a_coep_that_isolates_it(embedder):
    """The worker follows the policy's credentialless rule (the same as the server's `auto`):
    credentialless where the browser honours it, require-corp elsewhere, also in place of a
    credentialless the host sent; where it gives credentialless, cross-origin no-cors requests
    (images, scripts) are left to the browser, which sends them without cookies. With
    require-corp configured, it changes nothing it was sent."""
    worker = sw.render_service_worker(Policy(embedder=embedder))
    done = subprocess.run(
        ["node", "-e", RUN_WORKER],
        input=json.dumps([worker, AGENTS]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    sent = 'credentialless; report-to="x"'
    if embedder == "credentialless":
        want = [
            ["credentialless", sent, True, False, False]
            if credentialless_supported(a)
            else ["require-corp", "require-corp", False, False, False]
            for a in AGENTS
        ]
    else:
        want = [["require-corp", sent, False, False, False] for _ in AGENTS]
    assert seen == want
    assert [credentialless_supported(a) for a in AGENTS] == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]


def test_the_workers_header_token_is_the_browsers():
    """The rendered worker's own `token` function, run by Node on the table of cases that
    policy.token (pytest) and the labextension's headerToken (jest) are run on."""
    worker = sw.render_service_worker(Policy(embedder="credentialless"))
    function = re.search(r"function token\(value\) \{.*?\n  \}", worker, re.S)
    assert function, "the worker has no token function"
    cases = json.loads((REPO / "labextension" / "test" / "header-tokens.json").read_text())
    done = subprocess.run(
        [
            "node",
            "-e",
            function.group(0)
            + "; const cases = JSON.parse(require('fs').readFileSync(0, 'utf8')).cases;"
            "process.stdout.write(JSON.stringify(cases.map(([raw]) => token(raw))));",
        ],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [token for _, token in cases["cases"]]
