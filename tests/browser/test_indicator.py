"""The isolation indicator in JupyterLab and Notebook 7, isolated and not: in Chromium, and the
state and dialog in Firefox and WebKit too; what the dialog says of loads that isolation blocked
from a real second origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.harness import (
    ARTIFACTS,
    EMBED_FROM,
    EMBEDDED_PATHS,
    FRONTENDS,
    PROBE_NOTEBOOK,
    disable_extension,
    embedded,
)
from support.pictures import read_png, save_dialog_picture, save_indicator_picture

INDICATOR = ".jp-coi-indicator"
DIALOG = ".jp-coi-dialog"
FILES = {"probe.ipynb": PROBE_NOTEBOOK}


ISOLATED_FACTS = {
    "crossOriginIsolated": "true",
    "secureContext": "true",
    "coop": "same-origin",
    "corp": "same-origin",
    "sharedArrayBuffer": "true",
    "wasmSharedMemory": "true",
    "atomicsWaitInWorker": "true",
    "serviceWorkerControlled": "false",
    "framed": "false",
}
NOT_ISOLATED_FACTS = {
    "crossOriginIsolated": "false",
    "coop": "absent",
    "coep": "absent",
    "corp": "absent",
    "sharedArrayBuffer": "false",
    # Chromium makes shared WebAssembly.Memory without isolation; it cannot post it to a worker
}


def open_dialog(page, item):
    # the facts that need a worker or a request are in once the probe is done
    page.wait_for_selector(f'{INDICATOR}[data-coi-ready="true"]', state="attached")
    item.click()
    return page.wait_for_selector(DIALOG)


def facts(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        f"{DIALOG} [data-coi-fact]",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.coiFact, r.dataset.coiValue]))",
    )


def capabilities(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        f"{DIALOG} [data-coi-capability]",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.coiCapability, r.dataset.coiValue]))",
    )


CAPABILITIES = ("shared-array-buffer", "wasm-threads")
# What only in-browser kernels gain: a page whose kernels all run on the server says so in one
# line, and claims none of it.
KERNEL_CAPABILITIES = ("kernel-interrupt", "worker-pool", "sync-input")


def text_of(page, selector: str) -> str:
    [text] = page.locator(selector).all_inner_texts()
    return text


def says_its_kernels_run_on_the_server(page) -> None:
    seen = capabilities(page)
    assert seen.get("in-browser-kernels") == "not-here", seen
    assert not set(KERNEL_CAPABILITIES) & set(seen), seen
    assert facts(page).get("inBrowserKernels") == "none"
    line = text_of(page, f"{DIALOG} [data-coi-capability='in-browser-kernels']")
    assert "run on the Jupyter server" in line, line
    summary = text_of(page, f"{DIALOG} .jp-coi-summary")
    assert "interrupted" not in summary and "worker pools" not in summary, summary
    # The sentence under the heading does not say again what the heading says.
    heading = text_of(page, f"{DIALOG} .jp-coi-verdict").strip().rstrip(".")
    assert heading not in summary and "cross-origin isolated" not in summary, summary


# The pages whose indicator and dialog test_isolated pictures for the docs, in Chromium.
DOC_PICTURE_APPS = {"jupyterlab": "jupyterlab", "notebook7-notebook": "notebook7"}


def extension_errors(page) -> list[str]:
    return [m for m in page.console_log if "coi" in m.lower()]


@pytest.mark.engines
@pytest.mark.parametrize("frontend", FRONTENDS, ids=lambda f: f.id)
def test_isolated(jupyter_process, engine, page, frontend):
    server = jupyter_process(frontend.app, files=FILES)
    page.goto(server.page_url(frontend.path))
    item = page.wait_for_selector(frontend.indicator)
    # The item says what the browser says, once the page's own verdict is in.
    assert page.evaluate("self.crossOriginIsolated") is True
    assert (item.get_attribute("data-coi-state") == "isolated") is engine.expects("indicator")
    assert "Isolated" in item.inner_text()
    assert item.get_attribute("role") == "button"
    assert "isolated" in item.get_attribute("aria-label").lower()
    app = DOC_PICTURE_APPS.get(frontend.id) if engine.name == "chromium" else None
    if app:
        save_indicator_picture(page, item, app)
    open_dialog(page, item)
    if app:
        save_dialog_picture(page, app)
    seen = facts(page)
    # Where the engine gives isolated pages no SharedArrayBuffer (WebKitGTK), the dialog says
    # so, and that nothing that needs shared memory works.
    shared = engine.expects("shared-array-buffer")
    # With no configuration the server's COEP is auto: credentialless where the browser has it.
    credentialless = engine.expects("credentialless")
    want = {
        **ISOLATED_FACTS,
        "coep": "credentialless" if credentialless else "require-corp",
        **dict.fromkeys(("sharedArrayBuffer", "atomicsWaitInWorker"), str(shared).lower()),
    }
    assert {k: seen.get(k) for k in want} == want
    assert {k: capabilities(page).get(k) for k in CAPABILITIES} == dict.fromkeys(
        CAPABILITIES, str(shared).lower()
    )
    says_its_kernels_run_on_the_server(page)
    reasons = page.eval_on_selector_all(
        f"{DIALOG} .jp-coi-reason", "rows => rows.map(r => r.dataset.coiReason)"
    )
    assert reasons == (
        (["credentialless"] if credentialless else [])
        + ([] if shared else ["shared-array-buffer-missing"])
    )
    if credentialless:
        # Under auto the dialog does not warn that Safari is left out: it gets require-corp.
        texts = page.locator(f"{DIALOG} [data-coi-reason='credentialless']").all_inner_texts()
        assert len(texts) == 1 and "such as Safari, get require-corp" in texts[0], texts
    if engine.reads_console:
        assert extension_errors(page) == []


@pytest.mark.engines
@pytest.mark.parametrize("frontend", FRONTENDS, ids=lambda f: f.id)
def test_not_isolated(jupyter_process, engine, page, frontend):
    server = jupyter_process(frontend.app, files=FILES, before=disable_extension)
    page.goto(server.page_url(frontend.path))
    item = page.wait_for_selector(frontend.indicator)
    assert item.get_attribute("data-coi-state") == "not-isolated"
    assert "Not isolated" in item.inner_text()
    open_dialog(page, item)
    seen = facts(page)
    assert {k: seen.get(k) for k in NOT_ISOLATED_FACTS} == NOT_ISOLATED_FACTS
    assert {k: capabilities(page).get(k) for k in CAPABILITIES} == dict.fromkeys(
        CAPABILITIES, "false"
    )
    says_its_kernels_run_on_the_server(page)
    reasons = page.locator(f"{DIALOG} .jp-coi-reason").all_inner_texts()
    assert any("Cross-Origin-Opener-Policy header missing" in r for r in reasons), reasons
    assert any("Cross-Origin-Embedder-Policy header missing" in r for r in reasons), reasons
    # The advice is what jupyter-coi's default would send this browser.
    fix = text_of(page, f"{DIALOG} [data-coi-reason='embedder-missing'] .jp-coi-fix")
    wanted = "credentialless" if engine.expects("credentialless") else "require-corp"
    assert f'"Cross-Origin-Embedder-Policy: {wanted}"' in fix, fix
    if engine.reads_console:
        assert extension_errors(page) == []


@pytest.mark.engines
def test_credentialless_where_unsupported_is_explained(jupyter_process, engine, page):
    """COEP credentialless: isolated where the engine supports it; elsewhere the dialog blames
    the browser, not the headers, and says what to serve instead."""
    server = jupyter_process(
        "lab", "--CrossOriginIsolation.embedder_policy=credentialless", files=FILES
    )
    page.goto(server.page_url("lab"))
    item = page.wait_for_selector(FRONTENDS[0].indicator)
    open_dialog(page, item)
    reasons = page.eval_on_selector_all(
        f"{DIALOG} .jp-coi-reason", "rows => rows.map(r => r.dataset.coiReason)"
    )
    if engine.expects("credentialless"):
        assert item.get_attribute("data-coi-state") == "isolated"
        assert "credentialless" in reasons
    else:
        assert item.get_attribute("data-coi-state") == "not-isolated"
        assert reasons == ["credentialless-unsupported"]
        assert facts(page)["coep"] == "credentialless"


def test_keyboard_and_command_palette(jupyter_process, page):
    server = jupyter_process("lab")
    page.goto(server.page_url("lab"))
    item = page.wait_for_selector(FRONTENDS[0].indicator)
    item.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(DIALOG)
    page.keyboard.press("Escape")
    page.wait_for_selector(DIALOG, state="detached")

    page.keyboard.press("Control+Shift+C")
    palette = page.wait_for_selector(".lm-CommandPalette-input")
    palette.fill("Cross-Origin Isolation Details")
    page.wait_for_selector(".lm-CommandPalette-item.lm-mod-active")
    page.keyboard.press("Enter")
    page.wait_for_selector(DIALOG)


def test_screenshots_of_item_and_dialog(jupyter_process, page):
    """Kept in tests/artifacts/ for people to look at (and described in release notes)."""
    server = jupyter_process("lab", files=FILES)
    page.goto(server.page_url("lab/tree/probe.ipynb"))
    item = page.wait_for_selector(FRONTENDS[0].indicator)
    page.wait_for_selector(".jp-Notebook")
    ARTIFACTS.mkdir(exist_ok=True)
    item.screenshot(path=str(ARTIFACTS / "indicator-item.png"))
    page.screenshot(path=str(ARTIFACTS / "indicator-statusbar.png"))
    open_dialog(page, item)
    page.screenshot(path=str(ARTIFACTS / "indicator-dialog.png"))
    # Each picture shows something: the item's text or icon on its background, not one colour.
    box = item.bounding_box()
    width, height, colours = read_png(ARTIFACTS / "indicator-item.png")
    assert width >= int(box["width"]) >= 8 and height >= int(box["height"]) >= 8
    assert len(colours) > 2, "the item's screenshot is blank"
    for name in ("indicator-statusbar.png", "indicator-dialog.png"):
        width, height, colours = read_png(ARTIFACTS / name)
        assert (width, height) == (page.viewport_size["width"], page.viewport_size["height"])
        assert len(colours) > 10, f"{name} is nearly blank"


def blocked_in_dialog(page) -> dict:
    """Open the dialog; what its blocked-loads section lists, or None without the section."""
    open_dialog(page, page.wait_for_selector(FRONTENDS[0].indicator))
    if page.locator(f"{DIALOG} .jp-coi-blocked-section").count() == 0:
        return None
    return page.evaluate(
        """(dialog) => {
          const section = document.querySelector(dialog + ' .jp-coi-blocked-section');
          const all = (s) => Array.from(section.querySelectorAll(s));
          return {
            origins: all('[data-coi-origin]').map((e) => e.dataset.coiOrigin),
            urls: all('[data-coi-url]').map((e) => e.dataset.coiUrl).sort(),
            fixes: Object.fromEntries(all('[data-coi-fix]').map((e) => [e.dataset.coiFix,
                                                                         e.textContent])),
          };
        }""",
        DIALOG,
    )


# Resolves once the frame's picture failed (COEP require-corp blocks it).
FRAMED_PICTURE = """(origin) => new Promise((resolve) => {
  const frame = document.createElement('iframe');
  frame.srcdoc = `<img src="${origin}framed.png">`;
  frame.onload = () => resolve(frame.contentDocument.images[0].naturalWidth);
  document.body.append(frame);
})"""


def embed_and_open_dialog(server, page, embeds: str, loads: bool):
    page.goto(server.page_url("lab"))
    page.wait_for_selector(FRONTENDS[0].ready, state="attached")
    assert page.evaluate(EMBED_FROM, embeds) == embedded(loads)
    return blocked_in_dialog(page)


def assert_lists_the_other_origin(seen, embeds: str, *fixes: str) -> None:
    origin = embeds.rstrip("/")
    assert seen is not None, "no blocked-loads section"
    assert seen["origins"] == [origin]
    assert seen["urls"] == sorted(origin + "/" + path for path in EMBEDDED_PATHS)
    assert list(seen["fixes"]) == [*fixes, "resource-policy"]
    assert (
        f"Have {origin} send Cross-Origin-Resource-Policy: cross-origin"
        in (seen["fixes"]["resource-policy"])
    )


@pytest.mark.engines("chromium", "firefox")
def test_dialog_names_what_require_corp_blocked(jupyter_process, engine, page, embeds):
    """A picture, a map tile and a script from another origin without CORP, blocked under
    require-corp: the dialog names them under their origin, and the server setting that loads
    them."""
    server = jupyter_process("lab", "--CrossOriginIsolation.embedder_policy=require-corp")
    seen = embed_and_open_dialog(server, page, embeds, loads=False)
    assert_lists_the_other_origin(seen, embeds, "server-embedder-policy")
    fix = seen["fixes"]["server-embedder-policy"]
    assert 'c.CrossOriginIsolation.embedder_policy = "credentialless"' in fix, fix
    assert 'the default, "auto"' in fix, fix
    # A picture in a same-origin frame (folium draws its map in one), whose error the page's
    # listener does not hear: found when the dialog opens again.
    page.keyboard.press("Escape")
    page.wait_for_selector(DIALOG, state="detached")
    assert page.evaluate(FRAMED_PICTURE, embeds) == 0
    count = f"{DIALOG} [data-coi-origin]"
    open_dialog(page, page.wait_for_selector(FRONTENDS[0].indicator))
    assert page.eval_on_selector(count, "e => e.dataset.coiCount") == "4"
    if engine.reads_console:
        assert extension_errors(page) == []


@pytest.mark.engines
def test_dialog_under_the_default_policy(jupyter_process, engine, page, embeds):
    """With no configuration the same resources load where the engine has credentialless, and
    the dialog lists nothing blocked; WebKit gets require-corp, and there it lists them, with
    the fix that works in a browser without credentialless."""
    server = jupyter_process("lab")
    loads = engine.expects("default-embeds")
    seen = embed_and_open_dialog(server, page, embeds, loads=loads)
    if loads:
        assert seen is None, seen
    else:
        assert_lists_the_other_origin(seen, embeds, "browser-without-credentialless")


def hide_indicator(home: Path) -> None:
    settings = home / ".jupyter" / "lab" / "user-settings" / "jupyter-coi"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"showIndicator": False}))


@pytest.mark.parametrize("frontend", FRONTENDS[:2], ids=lambda f: f.id)
def test_setting_hides_the_item(jupyter_process, page, frontend):
    server = jupyter_process(frontend.app, before=hide_indicator)
    page.goto(server.page_url(frontend.path))
    page.wait_for_selector(f'{INDICATOR}[data-coi-ready="true"]', state="attached")
    page.locator(frontend.indicator).wait_for(state="hidden")
