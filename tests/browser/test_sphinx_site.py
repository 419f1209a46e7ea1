"""A Sphinx site isolated by ``jupyter_coi.sphinx`` on a host that sends no headers.

The site is this project's own documentation (``docs/``), built as CI builds it but with the
JupyterLite site's Pyodide offline, plus one page that embeds an image and a frame from a second
origin; ``python -m http.server`` serves it, as GitHub Pages would, without any header.

In Chromium, Firefox and WebKit: a page without a REPL is isolated after one automatic reload
and is not reloaded again; the page with the live REPL, and the REPL's frame, are isolated
without a reload. In Chromium and Firefox the REPL's interrupt button stops a running loop with
``KeyboardInterrupt`` and ``input()`` waits for its answer. Where service workers are not
available, a page loads once, as it is, and shows its content. What isolation blocks is proved
from the second origin: its image loads under the default COEP (but in WebKit, given
``require-corp``), its frame never does, and both load on the page that is not isolated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.engines import settled
from support.fixtures import PIXEL
from support.harness import REPO, coi_check
from support.lite_sites import serve_folder
from support.offline_pyodide import offline_pyodide

# The second origin's frame tells the page that embeds it that it loaded.
FRAME_PAGE = """<!doctype html><title>frame</title>
<script>parent.postMessage("framed page loaded", "*")</script><p>a page of another site</p>
"""

EMBEDS_PAGE = """---
orphan: true
---

# Embeds from another site

```{{raw}} html
<script>
window.coiFramed = [];
addEventListener("message", (event) => window.coiFramed.push(event.data));
</script>
<img id="other-image" src="{other}pixel.png" alt="a pixel from another site">
<iframe id="other-frame" src="{other}frame.html" width="200" height="80"></iframe>
```
"""

STATE = """() => ({
  isolated: self.crossOriginIsolated,
  ready: document.readyState === 'complete',
  navigation: performance.getEntriesByType('navigation')[0]?.type ?? null,
  // A mark of this document: a reload makes a new window without it. (WebKitGTK's
  // performance.timeOrigin differs by microseconds between two reads of one document.)
  document: (window.__jupyterCoiTestDocument ??= String(Math.random())),
  title: document.querySelector('h1')?.textContent ?? '',
})"""

REPL_FRAME = """() => {
  const frame = document.querySelector('iframe.jupyterlite_sphinx_raw_iframe');
  try {
    const w = frame.contentWindow;
    return {path: w.location.pathname, ready: w.document.readyState, isolated: w.crossOriginIsolated};
  } catch (e) {
    return null;
  }
}"""

EMBEDS = """() => {
  const image = document.getElementById('other-image');
  return {image: image.complete && image.naturalWidth > 0, framed: window.coiFramed};
}"""

PROMPT = ".jp-CodeConsole-promptCell .cm-content"
INTERRUPT = ".jp-Toolbar [data-command='console:interrupt-kernel']"


@pytest.fixture(scope="module")
def other_origin(tmp_path_factory):
    """A second origin (another port) that sends no header at all: no CORP, no COEP."""
    root = tmp_path_factory.mktemp("other-origin")
    (root / "pixel.png").write_bytes(PIXEL)
    (root / "frame.html").write_text(FRAME_PAGE)
    for served in serve_folder(root, root.parent):
        yield served.url


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory, other_origin) -> Path:
    """The docs, built with warnings as errors, the REPL's Pyodide offline."""
    root = tmp_path_factory.mktemp("docs-site")
    source = root / "docs"
    shutil.copytree(
        REPO / "docs",
        source,
        ignore=shutil.ignore_patterns("_build", "_contents", ".jupyterlite.doit.db"),
    )
    (source / "embeds.md").write_text(EMBEDS_PAGE.format(other=other_origin))
    lite = root / "lite"
    shutil.copytree(REPO / "docs" / "lite", lite)
    offline_pyodide().install(lite)
    out = root / "html"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-b", "html", str(source), str(out)],
        env={**os.environ, "JUPYTER_COI_DOCS_LITE_DIR": str(lite)},
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"sphinx failed:\n{done.stderr}\n{done.stdout[-4000:]}"
    assert (out / "lite" / "static" / "pyodide" / "pyodide.mjs").is_file()
    # What a deploy pipeline would run on it.
    checked = coi_check(str(out))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "[problem]" not in checked.stdout, checked.stdout
    return out


@pytest.fixture(scope="module")
def docs_url(docs_site):
    for served in serve_folder(docs_site, docs_site.parent):
        yield served.url


def settle(page, isolated: bool, timeout: float = 60) -> dict:
    """The page's state once it has loaded with the isolation wanted."""
    return settled(
        page,
        STATE,
        lambda state: state["ready"] and state["isolated"] == isolated,
        f"crossOriginIsolated={isolated}",
        timeout,
    )


def stays(page, state: dict, seconds: float = 4) -> None:
    """No later reload: the page is still the document that ``state`` was read from."""
    page.wait_for_timeout(seconds * 1000)
    assert page.evaluate(STATE)["document"] == state["document"], "the page was loaded again"


def repl_frame(page, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    frame = None
    while time.monotonic() < deadline:
        frame = page.evaluate(REPL_FRAME)
        if (
            frame
            and frame["path"].endswith("/lite/repl/index.html")
            and frame["ready"] == "complete"
        ):
            return frame
        time.sleep(0.25)
    raise AssertionError(f"the REPL's frame did not load: {frame}")


@pytest.mark.engines
def test_pages_and_the_repl_they_embed_are_isolated(engine, page, docs_url):
    expected = engine.expects("sphinx-service-worker")
    # A first visit, to a page without a REPL: one automatic reload, then no more.
    page.goto(docs_url + "how-to/sphinx.html")
    state = settle(page, isolated=expected)
    assert state["title"].startswith("Isolate a Sphinx site")
    # WebKitGTK reports a reload that a script starts (location.reload()) as "navigate".
    reloaded = "reload" if engine.driver == "playwright" else "navigate"
    assert state["navigation"] == reloaded, "isolated by the page script's one reload"
    stays(page, state)
    # The next page comes through the worker: isolated as it loads, no reload.
    page.goto(docs_url + "try-it.html")
    state = settle(page, isolated=expected)
    assert state["navigation"] == "navigate"
    assert repl_frame(page)["isolated"] == expected
    stays(page, state)
    # A reload goes through the worker too.
    page.reload()
    state = settle(page, isolated=expected)
    assert state["navigation"] == "reload"
    assert repl_frame(page)["isolated"] == expected


def run_in_repl(page, repl, code: str) -> None:
    repl.locator(PROMPT).click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")


@pytest.mark.engines("chromium", "firefox")
def test_interrupt_and_input_in_the_embedded_repl(engine, page, docs_url):
    page.goto(docs_url + "try-it.html")
    settle(page, isolated=True)
    repl_frame(page)
    repl = page.frame_locator("iframe.jupyterlite_sphinx_raw_iframe")

    # The page's own example: the counter starts as the REPL opens (`:execute:` left at its
    # default, so it is the kernel's first code), and the reader stops it with the button.
    counter = repl.locator(".jp-OutputArea-output", has_text="count")
    counter.first.wait_for(timeout=60_000)
    deadline = time.monotonic() + 30
    while int(counter.first.inner_text().split()[-1]) < 5 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert int(counter.first.inner_text().split()[-1]) >= 5
    repl.locator(INTERRUPT).click()
    repl.locator(".jp-OutputArea-output", has_text="KeyboardInterrupt").wait_for(timeout=10_000)
    # The kernel kept its variables.
    run_in_repl(page, repl, "print('stopped at', i, 'kept' if i >= 5 else 'lost')")
    stopped = repl.locator(".jp-OutputArea-output", has_text="stopped at")
    stopped.wait_for(timeout=30_000)
    assert stopped.inner_text().strip().endswith("kept")

    # input() blocks the kernel until the reader answers.
    run_in_repl(page, repl, "name = input('Your name? ')")
    answer = repl.locator(".jp-Stdin-input")
    answer.wait_for(timeout=30_000)
    answer.fill("Ada")
    answer.press("Enter")
    run_in_repl(page, repl, "import js; print('hello', name, js.crossOriginIsolated)")
    repl.locator(".jp-OutputArea-output", has_text="hello Ada True").wait_for(timeout=30_000)


@pytest.mark.engines
def test_what_docs_pages_embed_from_other_sites(engine, page, docs_url):
    page.goto(docs_url + "embeds.html")
    settle(page, isolated=True)
    page.wait_for_function("() => document.getElementById('other-image').complete")
    # The frame's message would have come by now: it loads the moment the page does.
    page.wait_for_timeout(3000)
    seen = page.evaluate(EMBEDS)
    assert seen["image"] == engine.expects("sphinx-default-embeds")
    assert seen["framed"] == [], "a frame of another site without COEP loaded on an isolated page"


@pytest.mark.engines("chromium", "firefox")
def test_without_service_workers_pages_load_once_as_they_are(engine, browser, docs_url):
    context = browser.new_context(service_workers="block")
    try:
        page = context.new_page()
        loads: list[float] = []
        page.on("load", lambda _: loads.append(time.monotonic()))
        page.goto(docs_url + "try-it.html")
        state = settle(page, isolated=False)
        assert state["title"].startswith("Try it")
        stays(page, state)
        assert len(loads) == 1
        assert page.evaluate(REPL_FRAME) is not None
        # What the isolated page blocks loads here: the embed test can see a load.
        page.goto(docs_url + "embeds.html")
        settle(page, isolated=False)
        page.wait_for_function("() => window.coiFramed.length > 0", timeout=15_000)
        seen = page.evaluate(EMBEDS)
        assert seen == {"image": True, "framed": ["framed page loaded"]}
    finally:
        context.close()
