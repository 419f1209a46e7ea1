"""What cross-origin isolation does to the packages people use in JupyterLab: docs/reference/compatibility.md,
measured.

For each COEP setting of the server (``require-corp``, ``credentialless``, ``auto``) and each kind
of CDN (sending ``Cross-Origin-Resource-Policy: cross-origin`` or not), one JupyterLab page in
headless Chromium opens a notebook with one cell per package, runs it in a real kernel (Run All
Cells, as a user would: outputs made in the session are trusted, and widgets get a live kernel),
and waits, bounded, until each package either shows its success signal (the slider, the plotly
bars, a painted canvas, loaded map tiles, ...) or has a request blocked. The same page shows the
lab extensions' status (jupyterlab-git's branch, the memory use, the LSP status), and a Voila
page (``/voila/render/``, served by the same server) shows a widget. Every cross-origin request
goes to the loopback CDN (compat_cdn.py) by its real host name, so the browser applies COEP and
CORP to real responses of a second origin.

A configuration is measured once, by the first test that needs it (the ``measure`` fixture), and
only a valid measurement counts: the kernel ran every cell without an error, the CDN had every
file asked for, every cross-origin request belongs to a package, the page got the COEP
configured. Each configuration's test asserts what the packages did there: the page was
isolated, each package either showed its signal or had files blocked by COEP, and each did what
the docs table's column for that configuration says. The last test compares the whole table
(versions, hosts, the browser) with docs/reference/compatibility.md and fails, printing the
measured table, when they differ; with ``JUPYTER_COI_WRITE_TABLE=1`` it also writes that table
into the page, and still fails, so that a rewrite is reviewed and checked by a run of its own.

Run: ``JUPYTER_COI_COMPAT=packages python -m pytest tests/compat/test_embedded_packages.py``
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from urllib.parse import unquote, urlsplit

import compat_cdn
import pytest
from compat_lab import GIT_BRANCH, CompatServer, LabServers
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from jupyter_coi import policy
from support.harness import ARTIFACTS, COEP_SEEN, REPO, code_notebook

DOC = REPO / "docs" / "reference" / "compatibility.md"
TABLE_START = "<!-- compatibility table: written by tests/compat/test_embedded_packages.py"
TABLE_END = "<!-- end of compatibility table -->"
WRITE_TABLE = os.environ.get("JUPYTER_COI_WRITE_TABLE") == "1"

COEPS = (policy.REQUIRE_CORP, policy.CREDENTIALLESS, policy.EMBEDDER_AUTO)
CORP_MODES = (True, False)
CONFIGS = [(coep, corp) for coep in COEPS for corp in CORP_MODES]

NOTEBOOK = "packages.ipynb"
VOILA_NOTEBOOK = "voila.ipynb"
# How long a page may take, at most, for each package to show its signal or a block.
SETTLE_TIMEOUT = 45
# A resource blocked while others still load: how long to go on watching after every package
# has its verdict.
SETTLE_GRACE = 2

# Helpers for the checks, in the page: elements below shadow roots (bokeh renders in them), and
# how many sampled pixels of a canvas are painted (not transparent, not white).
HELPERS = """{
  deep(root, selector) {
    const found = [...root.querySelectorAll(selector)];
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) found.push(...this.deep(el.shadowRoot, selector));
    }
    return found;
  },
  painted(canvas) {
    const context = canvas.width && canvas.height ? canvas.getContext('2d') : null;
    if (!context) return 0;
    const d = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4 * 5) {
      if (d[i + 3] > 0 && (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240)) n++;
    }
    return n;
  },
  mostPainted(canvases) {
    return canvases.reduce((most, c) => Math.max(most, this.painted(c)), 0);
  },
  tiles(doc) {
    const all = [...doc.querySelectorAll('.leaflet-container img.leaflet-tile')];
    const loaded = all.filter((t) => t.complete && t.naturalWidth > 0);
    return { ok: loaded.length > 0, detail: `${loaded.length} of ${all.length} tiles loaded` };
  },
}"""


@dataclass(frozen=True)
class Package:
    """A row of the table: a distribution, and either a notebook cell with the check of its
    output (a JavaScript function of the output area and HELPERS, returning {ok, detail}) or a
    check of the page (a function of the document)."""

    name: str  # the distribution, whose installed version the table gives
    code: str = ""
    check: str = ""
    page_check: str = ""
    what: str = ""  # what of it is measured, when not the whole package

    def label(self) -> str:
        return f"{self.name} {version(self.name)}" + (f" ({self.what})" if self.what else "")


CELL_PACKAGES = [
    Package(
        "ipywidgets",
        "import ipywidgets\nipywidgets.IntSlider(value=7, description='slider')",
        """(out) => {
          const readout = out.querySelector('.widget-slider .widget-readout');
          return { ok: readout?.textContent.trim() === '7',
                   detail: readout ? `readout ${readout.textContent}` : 'no slider' };
        }""",
    ),
    Package(
        "plotly",
        "import plotly.express as px\npx.bar(x=['a', 'b'], y=[1, 3])",
        """(out) => {
          const bars = out.querySelectorAll('.js-plotly-plot .trace.bars .point path');
          return { ok: bars.length === 2, detail: `${bars.length} bars drawn` };
        }""",
    ),
    Package(
        "bokeh",
        "from bokeh.plotting import figure, output_notebook, show\noutput_notebook()\n"
        "plot = figure(width=300, height=200)\nplot.line([1, 2, 3], [1, 4, 9], line_width=3)\n"
        "show(plot)",
        """(out, h) => {
          const n = h.mostPainted(h.deep(out, 'canvas'));
          return { ok: n > 100, detail: `${n} painted pixels in the plot's canvas` };
        }""",
    ),
    Package(
        "ipympl",
        "%matplotlib widget\nimport matplotlib.pyplot as plt\n"
        "figure, axes = plt.subplots(figsize=(3, 2))\naxes.plot([1, 2, 3], [1, 4, 9])\nplt.show()",
        """(out, h) => {
          const n = h.mostPainted([...out.querySelectorAll('.jupyter-matplotlib canvas')]);
          return { ok: n > 100, detail: `${n} painted pixels in the figure's canvas` };
        }""",
    ),
    Package(
        "altair",
        "import altair as alt, pandas as pd\n"
        "alt.Chart(pd.DataFrame({'x': ['a', 'b'], 'y': [1, 3]})).mark_bar().encode(x='x', y='y')",
        """(out) => {
          const bars = out.querySelectorAll('.vega-embed svg.marks .mark-rect path');
          const error = out.querySelector('.error')?.textContent;
          return { ok: bars.length === 2, detail: error ?? `${bars.length} bars drawn` };
        }""",
    ),
    Package(
        "ipyleaflet",
        "from ipyleaflet import Map\nMap(center=(52.2, 0.12), zoom=3)",
        "(out, h) => h.tiles(out)",
    ),
    Package(
        "folium",
        "import folium\nfolium.Map(location=(52.2, 0.12), zoom_start=3)",
        """(out, h) => {
          const doc = out.querySelector('iframe')?.contentDocument;
          if (!doc?.querySelector('.leaflet-container')) return { ok: false, detail: 'no map in the frame' };
          return h.tiles(doc);
        }""",
    ),
    Package(
        "pandas",
        "import pandas as pd\n"
        "pd.DataFrame({'a': [1, 2], 'b': [4, 3]}).style.highlight_max(color='yellow')",
        """(out) => {
          const marked = [...out.querySelectorAll('td')].filter(
            (td) => getComputedStyle(td).backgroundColor === 'rgb(255, 255, 0)');
          return { ok: marked.length === 2, detail: `${marked.length} cells highlighted` };
        }""",
        what="`Styler`",
    ),
]

EXTENSIONS = [
    Package(
        "jupyterlab-git",
        page_check=f"""(doc) => {{
          const text = doc.querySelector('.jp-git-StatusWidget')?.textContent ?? '';
          const tab = doc.querySelector('.lm-TabBar-tab[data-id="jp-git-sessions"]');
          return {{ ok: text.includes('{GIT_BRANCH}') && !!tab,
                    detail: `status bar: ${{text || 'none'}}, Git tab: ${{!!tab}}` }};
        }}""",
    ),
    Package(
        "jupyter-resource-usage",
        page_check="""(doc) => {
          const texts = [...doc.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]
            .map((e) => e.textContent.trim());
          const memory = texts.find((t) => /^Mem:\\s+\\d/.test(t));
          return { ok: !!memory, detail: memory ?? 'no memory use in the status bar' };
        }""",
    ),
    Package(
        "jupyterlab-lsp",
        page_check="""(doc) => {
          const status = doc.querySelector('.lsp-statusbar-item .lsp-status-message')?.textContent.trim();
          return { ok: status === 'Fully initialized', detail: status ?? 'no LSP status' };
        }""",
    ),
]

VOILA = Package(
    "voila",
    "import ipywidgets\nipywidgets.IntSlider(value=7, description='slider')",
    """(doc) => {
      const readout = doc.querySelector('.widget-slider .widget-readout');
      return { ok: readout?.textContent.trim() === '7',
               detail: readout ? `readout ${readout.textContent}` : 'no slider' };
    }""",
    what="`/voila/render/`",
)

ROWS = [*CELL_PACKAGES, *EXTENSIONS, VOILA]


def notebook(*sources: str) -> str:
    return code_notebook("python3", "Python 3", *sources)


FILES = {
    NOTEBOOK: notebook(*(p.code for p in CELL_PACKAGES)),
    VOILA_NOTEBOOK: notebook(VOILA.code),
}

CELL_CHECKS = f"""() => {{
  const h = {HELPERS};
  const checks = [{", ".join(p.check for p in CELL_PACKAGES)}];
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  return checks.map((check, i) => {{
    const out = cells[i]?.querySelector('.jp-OutputArea');
    if (!out) return {{ ok: false, detail: 'no output area' }};
    const error = out.querySelector('[data-mime-type="application/vnd.jupyter.error"]');
    if (error) return {{ ok: false, detail: 'Python error: ' + error.textContent.slice(0, 300), error: true }};
    try {{ return check(out, h); }} catch (e) {{ return {{ ok: false, detail: 'check failed: ' + e }}; }}
  }});
}}"""

PAGE_CHECKS = (
    f"""() => [{", ".join(p.page_check for p in EXTENSIONS)}].map((check) => check(document))"""
)

PROMPTS = "[...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]"
ALL_RAN = f"() => {PROMPTS}.length > 0 && {PROMPTS}.every((p) => /\\[\\d+\\]/.test(p.textContent))"
ANY_QUEUED = f"() => {PROMPTS}.some((p) => /\\[[\\d*]+\\]/.test(p.textContent))"


# --- what a page loaded ---------------------------------------------------------------------------

TILE_HOST = compat_cdn.TILE_HOST


@dataclass
class CrossOriginLoad:
    url: str
    kind: str  # Playwright's resource type: script, stylesheet, image, ...
    in_frame: bool  # requested by a frame inside the page (folium's map)
    failure: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def blocked_by_coep(self) -> bool:
        return "ERR_BLOCKED_BY_RESPONSE" in self.failure


@dataclass
class Network:
    """A page's requests to other origins than the Jupyter server's, and how they ended."""

    loads: dict[object, CrossOriginLoad] = field(default_factory=dict)

    def watch(self, page) -> Network:
        def requested(request) -> None:
            if urlsplit(request.url).hostname not in ("127.0.0.1", None):
                in_frame = request.frame.parent_frame is not None
                self.loads[request] = CrossOriginLoad(request.url, request.resource_type, in_frame)

        def failed(request) -> None:
            if request in self.loads:
                self.loads[request].failure = request.failure or "failed"

        page.on("request", requested)
        page.on("requestfailed", failed)
        return self

    def by_owner(self, owner: Callable[[CrossOriginLoad], str]) -> dict[str, list[CrossOriginLoad]]:
        found: dict[str, list[CrossOriginLoad]] = {}
        for load in list(self.loads.values()):
            found.setdefault(owner(load), []).append(load)
        return found


def resource(url: str) -> tuple[str, str]:
    """What a URL names on its host, whatever its query or its escaping."""
    parts = urlsplit(url)
    return parts.hostname or "", unquote(parts.path)


def lab_owner(cdn_urls: dict[str, list[str]]) -> Callable[[CrossOriginLoad], str]:
    """Who asked for a load on the lab page: the package that writes its URL; map tiles by
    where they are drawn (folium's map is in a frame, ipyleaflet's in the page); "" if none."""
    urls = {resource(u): package for package, listed in cdn_urls.items() for u in listed}

    def owner(load: CrossOriginLoad) -> str:
        if load.host == TILE_HOST:
            return "folium" if load.in_frame else "ipyleaflet"
        return urls.get(resource(load.url), "")

    return owner


KINDS = {"script": "scripts", "stylesheet": "styles", "image": "images", "font": "fonts"}


def blocked_kinds(loads: list[CrossOriginLoad]) -> str:
    """What was blocked, by kind, in an order that does not depend on the requests' order."""
    kinds = {
        "map tiles" if load.host == TILE_HOST else KINDS.get(load.kind, load.kind) for load in loads
    }
    return ", ".join(sorted(kinds))


def verdict(check: dict, loads: list[CrossOriginLoad], isolated: bool) -> str:
    """A cell of the table, from the package's signal and what of its loads COEP blocked."""
    blocked = [load for load in loads if load.blocked_by_coep()]
    if blocked:
        prefix = "works, but " if check["ok"] else ""
        text = f"{prefix}blocked ({blocked_kinds(blocked)})"
    elif check["ok"]:
        text = "works"
    else:
        text = f"fails ({check['detail']})"
    return text if isolated else f"{text}; not isolated"


# --- the measurement ------------------------------------------------------------------------------


@dataclass
class Measured:
    """One configuration's cells, the hosts each package loaded from, and what the page and the
    browser were."""

    cells: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, set[str]] = field(default_factory=dict)
    coep: str = ""
    isolated: bool = False
    browser_version: str = ""
    # The fetch modes (Sec-Fetch-Mode) of what the CDN was asked for: whether CORS could matter.
    fetch_modes: set[str] = field(default_factory=set)

    def add(self, name: str, check: dict, loads: list[CrossOriginLoad], isolated: bool) -> None:
        self.cells[name] = verdict(check, loads, isolated)
        self.hosts[name] = {load.host for load in loads}


@pytest.fixture(scope="module")
def lab_servers(tmp_path_factory) -> Iterator[LabServers]:
    servers = LabServers(tmp_path_factory.mktemp("lab"), FILES)
    yield servers
    servers.stop()


def settle(page, run: Callable[[], list[dict]], blocked: Callable[[str], bool]) -> list[dict]:
    """Check the page until every package shows its signal or has a load blocked (bounded by
    SETTLE_TIMEOUT), then SETTLE_GRACE seconds more for what is still loading."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    decided_at = None
    # A package that showed its signal once keeps it: ipympl clears and redraws its canvas when
    # the output area is laid out again, and a later sample can fall between the two.
    shown: dict[int, dict] = {}
    while True:
        checks = run()
        shown.update({i: c for i, c in enumerate(checks) if c["ok"] and i not in shown})
        checks = [shown.get(i, c) for i, c in enumerate(checks)]
        decided = all(
            c["ok"] or c.get("error") or blocked(p.name)
            for p, c in zip(CELL_PACKAGES, checks, strict=True)
        )
        now = time.monotonic()
        if decided and decided_at is None:
            decided_at = now
        if (decided_at is not None and now - decided_at >= SETTLE_GRACE) or now > deadline:
            return checks
        page.wait_for_timeout(250)


KERNEL_IDLE = "#jp-main-statusbar .jp-StatusBar-TextItem >> text=/ipykernel\\) \\| Idle$/"
SELECT_KERNEL = '.jp-Dialog:has-text("Select Kernel")'


def click_run_all(page) -> None:
    """Run > Run All Cells. A page still settling (restoring its layout) can close the menu
    before the click lands: the click is checked, by the prompts, which change as soon as a cell
    is queued, and made again if it did not take, at most 3 times. One that took is never
    repeated."""
    for _ in range(3):
        page.click('.lm-MenuBar-itemLabel:text-is("Run")')
        page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
        try:
            page.wait_for_function(ANY_QUEUED, timeout=10_000)
            return
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    raise TimeoutError("Run All Cells did not start the cells in 3 tries")


def run_all_cells(page, server: CompatServer, timeout: float = 120) -> None:
    page.goto(server.page_url(f"lab/tree/{NOTEBOOK}"))
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    page.wait_for_selector(KERNEL_IDLE, timeout=60_000)
    click_run_all(page)
    # JupyterLab can ask for a kernel ("Select Kernel") in the middle of Run All on a fresh
    # server, leaving the rest of the cells unrun: answered as a user would, with the default,
    # and the cells run again; at most twice.
    deadline, answered = time.monotonic() + timeout, 0
    while not page.evaluate(ALL_RAN):
        if answered < 2 and page.locator(SELECT_KERNEL).count():
            page.click(f"{SELECT_KERNEL} .jp-mod-accept")
            page.wait_for_selector(KERNEL_IDLE, timeout=60_000)
            click_run_all(page)
            answered += 1
        if time.monotonic() > deadline:
            raise TimeoutError(f"the notebook's cells did not all run in {timeout}s")
        page.wait_for_timeout(250)


def measure_lab(context, server, cdn_urls, measured: Measured) -> list[CrossOriginLoad]:
    """Run the notebook and read every package's signal and loads; return the loads that
    belong to no package."""
    page = context.new_page()
    network = Network().watch(page)
    owner = lab_owner(cdn_urls)

    def blocked(name: str) -> bool:
        return any(load.blocked_by_coep() for load in network.by_owner(owner).get(name, []))

    run_all_cells(page, server)
    checks = settle(page, lambda: page.evaluate(CELL_CHECKS), blocked)
    errors = [c["detail"] for c in checks if c.get("error")]
    assert not errors, f"the kernel failed a cell, whatever the isolation: {errors}"
    # The extensions have had the whole run to start (the language server, the git status).
    deadline = time.monotonic() + 30
    page_checks = page.evaluate(PAGE_CHECKS)
    while not all(c["ok"] for c in page_checks) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        page_checks = page.evaluate(PAGE_CHECKS)
    isolated = page.evaluate("crossOriginIsolated")
    measured.isolated = isolated
    measured.coep = page.evaluate(COEP_SEEN)
    loads = network.by_owner(owner)
    for package, check in zip([*CELL_PACKAGES, *EXTENSIONS], [*checks, *page_checks], strict=True):
        measured.add(package.name, check, loads.get(package.name, []), isolated)
    page.close()
    return loads.get("", [])


def measure_voila(context, server, measured: Measured) -> None:
    page = context.new_page()
    network = Network().watch(page)
    page.goto(server.page_url(f"voila/render/{VOILA_NOTEBOOK}"))
    check = {"ok": False, "detail": "no slider"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        check = page.evaluate(f"() => ({VOILA.check})(document)")
        if check["ok"]:
            break
        page.wait_for_timeout(250)
    page.wait_for_timeout(SETTLE_GRACE * 1000)
    loads = network.by_owner(lambda load: VOILA.name).get(VOILA.name, [])
    isolated = page.evaluate("crossOriginIsolated")
    measured.isolated = measured.isolated and isolated
    measured.add(VOILA.name, check, loads, isolated)
    page.close()
    failed = [load for load in loads if load.failure and not load.blocked_by_coep()]
    assert not failed, f"Voila's page had loads fail, not for isolation: {failed}"


def keep_screenshots(context, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for i, page in enumerate(context.pages):
        # A screenshot is a courtesy; the failure is already reported.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"))


def config_id(coep: str, corp: bool) -> str:
    return f"{coep}-{'corp' if corp else 'no-corp'}"


def measure_config(coep, corp, lab_servers, browsers, cdns, cdn_urls) -> Measured:
    """One configuration's pages, measured; raises unless the measurement is valid."""
    server = lab_servers.get(coep)
    cdn = cdns[corp]
    asked_before = len(cdn.requests())
    measured = Measured(browser_version=browsers[corp].version)
    context = browsers[corp].new_context(
        ignore_https_errors=True, viewport={"width": 1280, "height": 900}
    )
    try:
        unowned = measure_lab(context, server, cdn_urls, measured)
        measure_voila(context, server, measured)
    except Exception:
        keep_screenshots(context, f"compat-{config_id(coep, corp)}")
        raise
    finally:
        context.close()
        server.stop_kernels()
    # What makes it a measurement: the page got the COEP configured (with auto, one that the
    # browser supports), the CDN had every file asked for, and every load had its package.
    expected = (
        {coep} if coep != policy.EMBEDDER_AUTO else {policy.CREDENTIALLESS, policy.REQUIRE_CORP}
    )
    assert measured.coep in expected, (measured.coep, expected)
    asked = cdn.requests()[asked_before:]
    measured.fetch_modes = {r[3] for r in asked if len(r) > 3}
    missing = [r for r in asked if r[0] != "200" and "favicon" not in r[2]]
    assert not missing, f"the loopback CDN lacks what the pages asked for: {missing}"
    assert not unowned, f"cross-origin loads that no package asked for: {unowned}"
    return measured


@pytest.fixture(scope="module")
def measure(lab_servers, browsers, cdns, cdn_urls) -> Callable[[str, bool], Measured]:
    """A configuration's measurement, made by the first test that asks for it; a failed one
    fails every test that asks for it, without measuring again."""
    done: dict[tuple[str, bool], Measured | BaseException] = {}

    def get(coep: str, corp: bool) -> Measured:
        if (coep, corp) not in done:
            try:
                done[(coep, corp)] = measure_config(
                    coep, corp, lab_servers, browsers, cdns, cdn_urls
                )
            except Exception as error:
                done[(coep, corp)] = error
                raise
        found = done[(coep, corp)]
        if isinstance(found, BaseException):
            raise RuntimeError(f"measuring {config_id(coep, corp)} failed earlier") from found
        return found

    return get


# --- the docs' table ------------------------------------------------------------------------------


def column_title(coep: str, corp: bool) -> str:
    return f"`{coep}`, {'CORP sent' if corp else 'no CORP'}"


def docs_table() -> tuple[str, dict[str, dict[str, str]]]:
    """The table as docs/reference/compatibility.md has it: its text between the markers, and
    each column's cells (column title -> package -> cell; a row's package is its first word)."""
    text = DOC.read_text()
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text[start:end].splitlines()
        if line.startswith("|")
    ]
    (_, _, *titles), _, *body = rows
    columns: dict[str, dict[str, str]] = {title: {} for title in titles}
    for label, _, *cells in body:
        for title, cell in zip(titles, cells, strict=True):
            columns[title][label.split(" ")[0]] = cell
    return text[start:end], columns


def table(measured: dict[tuple[str, bool], Measured]) -> str:
    hosts = {
        p.name: sorted({h for m in measured.values() for h in m.hosts.get(p.name, ())})
        for p in ROWS
    }
    stand_ins = sorted(compat_cdn.STAND_INS)
    fetch_modes = sorted({mode for m in measured.values() for mode in m.fetch_modes})
    browser_version = measured[CONFIGS[0]].browser_version
    lines = [
        f"{TABLE_START} (`JUPYTER_COI_WRITE_TABLE=1` rewrites it) -->",
        "",
        (
            f"Measured in Chromium {browser_version.split('.')[0]}, with JupyterLab "
            f"{version('jupyterlab')}. `auto` gave Chromium "
            f"`{measured[(policy.EMBEDDER_AUTO, True)].coep}`."
        ),
        "",
        "| package | loads from | "
        + " | ".join(column_title(coep, corp) for coep, corp in CONFIGS)
        + " |",
        "|---" * (len(CONFIGS) + 2) + "|",
    ]
    for package in ROWS:
        cells = [measured[config].cells[package.name] for config in CONFIGS]
        loads_from = ", ".join(hosts[package.name]) or "—"
        lines.append(f"| {package.label()} | {loads_from} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The pages requested every one of these files in "
        + " and ".join(f"`{m}`" for m in fetch_modes)
        + " mode. Map tiles are one generated PNG. Files that no package registry has, served as "
        "stand-ins (an empty style sheet): " + ", ".join(f"`{u}`" for u in stand_ins) + ".",
        "",
        TABLE_END,
    ]
    return "\n".join(lines)


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coep", "corp"), CONFIGS, ids=[config_id(coep, corp) for coep, corp in CONFIGS]
)
def test_packages_under(coep, corp, measure):
    measured = measure(coep, corp)
    assert measured.isolated, f"the pages were not cross-origin isolated: {measured.cells}"
    # A package that shows nothing, with nothing of it blocked, is broken whatever the
    # isolation: the table would blame COEP for it.
    failing = {name: cell for name, cell in measured.cells.items() if cell.startswith("fails")}
    assert not failing, f"packages that neither worked nor were blocked: {failing}"
    _, columns = docs_table()
    documented = columns[column_title(coep, corp)]
    assert measured.cells == documented, (
        f"what the packages did differs from the docs' column {column_title(coep, corp)}"
    )


def test_docs_table_is_what_was_measured(measure):
    measured = {config: measure(*config) for config in CONFIGS}
    new = table(measured)
    old, _ = docs_table()
    if old == new:
        return
    message = f"{DOC.relative_to(REPO)} differs from what was measured"
    if WRITE_TABLE:
        text = DOC.read_text()
        DOC.write_text(text.replace(old, new))
        message += (
            " and was rewritten (JUPYTER_COI_WRITE_TABLE=1): review the change, then run again"
        )
    else:
        message += " (JUPYTER_COI_WRITE_TABLE=1 writes it)"
    pytest.fail(f"{message}; the measured table:\n\n{new}", pytrace=False)
