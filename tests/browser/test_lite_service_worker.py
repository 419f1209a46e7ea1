"""Service-worker isolation of a JupyterLite site, for hosts that send no headers, in the browser.

A real `jupyter lite build`, wrapped by :mod:`jupyter_coi.static.serviceworker` (called directly:
these tests do not go through the addon), served from 127.0.0.1 by a standard-library
``http.server`` that sends no isolation headers (GitHub Pages' situation), and read in Chromium
(and Firefox and WebKit where marked). The build step itself and the worker run in Node are
tests/integration/test_lite_service_worker_build.py; on synthetic sites, in-process,
tests/unit/test_service_worker_*.py.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from jupyter_coi.policy import Policy
from jupyter_coi.static import serviceworker as sw
from support.engines import isolation_seen, settled
from support.harness import COEP_SEEN, ISOLATION_PROBE, PROBE_WORKER_JS, free_port, stop_process
from support.lite_sites import plain_build

pytestmark = pytest.mark.timeout(180)

PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
RANGE_BYTES = bytes(range(256)) * 4

# `python -m http.server`, plus what a static host does that it does not (Python 3.11 has no
# Range support) and what the tests need an answer from: a 204, a POST echo. `headers` mode
# sends the policy's headers on every response, as a host that can set them would.
# `/with-corp*` answers with CORP cross-origin, as a CDN that consents to being embedded.
SERVER = r"""
import functools, http.server, json, os, re, sys
port, root, headers = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])

class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        for name, value in headers.items():
            self.send_header(name, value)
        if self.path.startswith("/with-corp"):
            self.send_header("Cross-Origin-Resource-Policy", "cross-origin")
        super().end_headers()

    def do_GET(self):
        if self.path.startswith("/__test__/no-content"):
            self.send_response(204)
            self.end_headers()
            return
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        if match and os.path.isfile(path):
            data = open(path, "rb").read()
            start, end = int(match[1]), min(int(match[2]), len(data) - 1)
            self.send_response(206)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            self.send_header("Content-Length", str(end - start + 1))
            self.end_headers()
            self.wfile.write(data[start : end + 1])
            return
        super().do_GET()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

http.server.ThreadingHTTPServer(
    ("127.0.0.1", port), functools.partial(Handler, directory=root)
).serve_forever()
"""


class Server:
    """A static server process on 127.0.0.1; stopped by the fixture that started it."""

    def __init__(self, root: Path, log: Path, headers: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    SERVER,
                    str(self.port),
                    str(root),
                    json.dumps(headers or {}),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"static server exited:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "jupyter-lite.json", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(
                        f"static server did not answer:\n{log.read_text()}"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """A plain JupyterLite build (without any addon of jupyter-coi) with one notebook."""
    out = plain_build(tmp_path_factory.mktemp("lite"))
    assert (out / sw.SERVICE_WORKER).is_file()
    return out


@pytest.fixture(scope="module")
def wrapped_site(built_site: Path, tmp_path_factory) -> Path:
    """The build, wrapped, with the files the browser tests fetch."""
    out = tmp_path_factory.mktemp("wrapped") / "site"
    shutil.copytree(built_site, out)
    sw.wrap_service_worker(out, Policy())
    sw.install_page_script(out)
    (out / "coi-probe-worker.js").write_text(PROBE_WORKER_JS)
    (out / "range.bin").write_bytes(RANGE_BYTES)
    (out / "a-folder").mkdir()
    (out / "a-folder" / "inside.txt").write_text("inside")
    (out / "pixel.png").write_bytes(PIXEL_PNG)
    (out / "with-corp-pixel.png").write_bytes(PIXEL_PNG)
    return out


@pytest.fixture(scope="module")
def credentialless_site(wrapped_site: Path, tmp_path_factory) -> Path:
    """The same site, its worker rendered for COEP credentialless."""
    out = tmp_path_factory.mktemp("credentialless") / "site"
    shutil.copytree(wrapped_site, out)
    sw.wrap_service_worker(out, Policy(embedder="credentialless"))
    return out


@pytest.fixture(scope="module")
def unwrapped_site(built_site: Path, tmp_path_factory) -> Path:
    """The page script with JupyterLite's own worker, which isolates nothing: the loop case."""
    out = tmp_path_factory.mktemp("unwrapped") / "site"
    shutil.copytree(built_site, out)
    sw.install_page_script(out)
    return out


@pytest.fixture(scope="module")
def servers(wrapped_site: Path, credentialless_site: Path, unwrapped_site: Path, tmp_path_factory):
    """The site without headers, the same site with them, a second origin for images, the site
    with a worker that does not isolate, and the credentialless site without headers and with
    the ones its host files would send."""
    logs = tmp_path_factory.mktemp("logs")
    started = {}
    try:
        for name, root, headers in [
            ("bare", wrapped_site, None),
            ("headers", wrapped_site, Policy().headers()),
            ("other", wrapped_site, None),
            ("unwrapped", unwrapped_site, None),
            ("credentialless", credentialless_site, None),
            (
                "credentialless-headers",
                credentialless_site,
                Policy(embedder="credentialless").headers(),
            ),
        ]:
            started[name] = Server(root, logs / f"{name}.log", headers)
        yield started
    finally:
        for server in started.values():
            server.stop()


# --- in the browser ---------------------------------------------------------------------------

STATE = """() => ({
  isolated: self.crossOriginIsolated,
  controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller),
  shell: !!document.querySelector('.jp-LabShell'),
  ready: document.readyState === 'complete',
})"""


def count_loads(page) -> list[float]:
    loads: list[float] = []
    page.on("load", lambda _: loads.append(time.monotonic()))
    return loads


def settle(page, want_isolated: bool = True, timeout: float = 45) -> dict:
    """The page's state once it shows the lab shell with the isolation wanted."""
    return settled(
        page,
        STATE,
        lambda state: state["ready"] and state["shell"] and state["isolated"] == want_isolated,
        f"crossOriginIsolated={want_isolated}",
        timeout,
    )


def quiet(page, loads: list[float], seconds: float = 2.0) -> None:
    """Wait until no page load happened for ``seconds`` (bounded): a late reload would show."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        # Playwright's sync API delivers events (the loads) only while it is called.
        page.wait_for_timeout(250)
        if time.monotonic() - (loads[-1] if loads else 0) >= seconds:
            return


def probe(page, base: str) -> dict:
    return page.evaluate(ISOLATION_PROBE, base + "coi-probe-worker.js")


ISOLATED = {"crossOriginIsolated": True, "sharedArrayBuffer": "function"}


def test_first_visit_reloads_once_then_stays_isolated_and_the_drive_saves(page, servers):
    base = servers["bare"].url
    loads = count_loads(page)
    page.goto(base + "lab/index.html")
    settle(page)
    quiet(page, loads)
    assert len(loads) == 2, "one automatic reload, no more"
    assert probe(page, base) == {"page": ISOLATED, "worker": ISOLATED}

    for _ in range(2):  # a reload, a second reload: the worker keeps delivering the page
        page.reload()
        assert settle(page)["controlled"]
        assert probe(page, base) == {"page": ISOLATED, "worker": ISOLATED}
    quiet(page, loads)
    assert len(loads) == 4

    # A hard reload bypasses the worker: the page comes back once through it.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.reload", {"ignoreCache": True})
    # CDP answers before the navigation: without this, the old page would pass for settled.
    deadline = time.monotonic() + 30
    while len(loads) < 5 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    settle(page)
    quiet(page, loads)
    assert len(loads) == 6, "the hard reload and one automatic reload"

    # JupyterLite works on the isolated page: the file browser lists the site's notebook, and a
    # notebook opened and saved through the app's own commands keeps its content across a reload.
    page.locator(".jp-DirListing-itemName", has_text="hello.ipynb").wait_for()
    page.evaluate(
        """async () => {
          const app = window.jupyterapp;
          await app.commands.execute('docmanager:new-untitled', {path: '', type: 'file', ext: '.ipynb'})
            .then((model) => app.serviceManager.contents.rename(model.path, 'saved.ipynb'));
          const widget = await app.commands.execute('docmanager:open', {path: 'saved.ipynb', factory: 'Notebook'});
          await widget.context.ready;
          widget.context.model.sharedModel.insertCell(0, {cell_type: 'markdown', source: 'kept by jupyter-coi'});
          await widget.context.save();
        }"""
    )
    page.reload()
    settle(page)
    page.locator(".jp-DirListing-itemName", has_text="saved.ipynb").wait_for()
    saved = page.evaluate(
        "async () => (await window.jupyterapp.serviceManager.contents.get('saved.ipynb', {content: true})).content.cells"
    )
    assert saved[0]["source"] == "kept by jupyter-coi"


CHURN_OVER = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return !!registration && registration.active === navigator.serviceWorker.controller;
}"""


@pytest.mark.engines
@pytest.mark.parametrize(
    "served, feature",
    [
        ("bare", "lite-service-worker"),
        ("credentialless", "lite-service-worker-credentialless"),
        # Headers from the host (credentialless, as its host files say) and the worker: where
        # credentialless would not isolate, the worker's fallback replaces it after one reload.
        ("credentialless-headers", "lite-service-worker-credentialless"),
    ],
)
def test_isolated_on_first_visit_reload_and_second_reload(servers, engine, page, served, feature):
    base = servers[served].url
    page.goto(base + "lab/index.html")
    for visit in ("first visit", "reload", "second reload"):
        if visit != "first visit":
            page.reload()
        state = settle(page, want_isolated=engine.expects(feature))
        assert state["controlled"], visit
        # JupyterLite registers its worker again on its first controlled load; a worker started
        # meanwhile may fail to load in WebKit. Probe once the page's worker is the active one.
        page.wait_for_function(CHURN_OVER, timeout=30_000)
        assert probe(page, base) == {
            "page": isolation_seen(engine),
            "worker": isolation_seen(engine),
        }, visit
    credentialless = served != "bare" and engine.expects("credentialless")
    assert page.evaluate(COEP_SEEN) == ("credentialless" if credentialless else "require-corp")


# Each fetch is made from the isolated page and so goes through the service worker.
THROUGH_THE_WORKER = """async ([other]) => {
  const coep = (r) => r.headers.get('cross-origin-embedder-policy');
  const out = {};
  // The drive API: a POST the worker answers itself, with what the page says over its
  // BroadcastChannel (here a stand-in for JupyterLite's drive, under a context id of its own).
  const channel = new BroadcastChannel('/sw-api.v1');
  channel.onmessage = ({data}) => {
    if (data.browsingContextId !== 'jupyter-coi-test') return;
    channel.postMessage({browsingContextId: data.browsingContextId, requestId: data.requestId,
                         response: {method: data.method, pathname: data.pathname}});
  };
  // Bounded: a request the worker never answers fails the test with its name, it does not hang.
  const timed = (what, promise) => Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(what + ': no answer in 10 s')), 10000))]);
  const fetch = (url, init) => timed(url, self.fetch(url, init));
  let r = await fetch('../api/drive.v1', {method: 'POST',
    body: JSON.stringify({browsingContextId: 'jupyter-coi-test', method: 'readdir', path: '/'})});
  out.drive = {status: r.status, coep: coep(r), body: await r.json()};
  channel.close();
  // A POST elsewhere: JupyterLite's worker leaves it to the network.
  r = await fetch('../echo', {method: 'POST', body: 'posted'});
  out.post = {status: r.status, body: await r.text()};
  r = await fetch('../range.bin', {headers: {Range: 'bytes=10-19'}});
  out.range = {status: r.status, coep: coep(r), contentRange: r.headers.get('content-range'),
               bytes: Array.from(new Uint8Array(await r.arrayBuffer()))};
  r = await fetch('../__test__/no-content');
  out.noContent = {status: r.status, coep: coep(r), body: await r.text()};
  const modified = (await fetch('../range.bin', {method: 'HEAD'})).headers.get('last-modified');
  r = await fetch('../range.bin', {headers: {'If-Modified-Since': modified}, cache: 'no-store'});
  out.notModified = {status: r.status, coep: coep(r)};
  r = await fetch('../a-folder');
  out.redirect = {status: r.status, redirected: r.redirected, url: r.url, coep: coep(r),
                  lists: (await r.text()).includes('inside.txt')};
  const image = (src) => new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve('loaded');
    img.onerror = () => resolve('blocked');
    img.src = src;
  });
  out.opaqueImage = await image(other + 'pixel.png');
  out.corpImage = await image(other + 'with-corp-pixel.png');
  out.sameOriginImage = await image('../pixel.png');
  return out;
}"""


def test_responses_through_the_worker(page, servers):
    base = servers["bare"].url
    page.goto(base + "lab/index.html")
    settle(page)
    # JupyterLite unregisters and registers its worker again on its first controlled load:
    # wait until the page's controller is the registration's active worker, the churn over.
    page.wait_for_function(CHURN_OVER, timeout=30_000)
    got = page.evaluate(THROUGH_THE_WORKER, [servers["other"].url])
    assert got["drive"] == {
        "status": 200,
        "coep": "require-corp",
        "body": {"method": "readdir", "pathname": "/api/drive.v1"},
    }
    assert got["post"] == {"status": 200, "body": "posted"}
    assert got["range"] == {
        "status": 206,
        "coep": "require-corp",
        "contentRange": f"bytes 10-19/{len(RANGE_BYTES)}",
        "bytes": list(range(10, 20)),
    }
    assert got["noContent"] == {"status": 204, "coep": "require-corp", "body": ""}
    assert got["notModified"] == {"status": 304, "coep": "require-corp"}
    # The redirect is kept as one: the page sees where it ended, isolated.
    assert got["redirect"] == {
        "status": 200,
        "redirected": True,
        "url": base + "a-folder/",
        "coep": "require-corp",
        "lists": True,
    }
    # Documented: an opaque cross-origin image without CORP is blocked by COEP require-corp
    # (the worker cannot add headers to an opaque response); one that sends CORP loads.
    assert got["opaqueImage"] == "blocked"
    assert got["corpImage"] == "loaded"
    assert got["sameOriginImage"] == "loaded"
    assert settle(page)["isolated"]


@pytest.mark.parametrize(
    "case, served, workers, reloads",
    [
        # Playwright's block: the worker never registers, nothing to reload for.
        ("service workers blocked", "bare", "block", (0, 1)),
        # JupyterLite's worker delivers the page, but without headers: one reload, then stop.
        ("a worker that does not isolate", "unwrapped", "allow", (1,)),
    ],
)
def test_no_reload_loop(browser, servers, case, served, workers, reloads):
    context = browser.new_context(service_workers=workers)
    try:
        page = context.new_page()
        loads = count_loads(page)
        page.goto(servers[served].url + "lab/index.html")
        settle(page, want_isolated=False)
        page.wait_for_timeout(
            6000
        )  # long enough for JupyterLite to register its worker and claim the page
        quiet(page, loads)
        assert len(loads) - 1 in reloads, f"{case}: {len(loads)} page loads"
        assert page.evaluate("self.crossOriginIsolated") is False
    finally:
        context.close()


def test_real_headers_isolate_without_a_reload(page, servers):
    base = servers["headers"].url
    loads = count_loads(page)
    page.goto(base + "lab/index.html")
    settle(page)
    # Long enough for the worker to be registered and to claim the page.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30_000)
    quiet(page, loads, seconds=3)
    assert len(loads) == 1
    assert probe(page, base) == {"page": ISOLATED, "worker": ISOLATED}
