"""Cross-origin isolation of a built HTML site (Sphinx's output), and of the JupyterLite site it
embeds, on hosts that send no headers (GitHub Pages, Read the Docs).

The docs pages lie outside the scope of the embedded JupyterLite site's worker, which serves
``lite/`` only; so the HTML output gets a worker of its own at its root, ``jupyter-coi-worker.js``:

- the isolating wrapper of :mod:`.serviceworker`, rendered from the same policy,
  which adds the headers to every response it delivers;
- JupyterLite's own worker, imported, when there is an embedded site: a JupyterLite page that
  this worker happens to control (it was opened before its own worker was active) keeps its
  drive and ``input()``, which JupyterLite serves through the worker;
- an answer for every request left unanswered, so that those get the headers too.

``_static/jupyter-coi.js``, loaded by every page, registers both workers and reloads a page
once when it was not delivered through them (first visit, hard reload). The embedded site is
wrapped with the same policy (whatever its own build was configured with: a page isolated
with one COEP cannot embed a frame sent without it), and the host files go to the root of the
output, where hosts that read them apply them to every page.

Independent of Sphinx: :mod:`jupyter_coi.sphinx` calls :func:`isolate_html_site` once the HTML
and the JupyterLite site are built, ``jupyter coi check`` calls :func:`check_html_site`; a script
can call either on any HTML folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..policy import Policy
from ..utils import write_if_changed
from . import serviceworker
from .hostfiles import merge_host_files, save_host_files
from .litebuild import CONFIG_DATA, LITE_JSON, NotALiteSite, page_config, require_lite_site
from .scripts import script

WORKER = "jupyter-coi-worker.js"
STATIC = "_static"
PAGE_SCRIPT = "jupyter-coi.js"
# Where jupyterlite-sphinx builds the JupyterLite site, in the HTML output.
LITE_DIR = "lite"

_SITE_SLOT = "__JUPYTER_COI_SITE__"
# The page config key by which the embedded site tells the indicator who isolated it
# (`BUILT_BY_KEY` in labextension/src/indicator/page.ts).
BUILT_BY_KEY = "jupyterCoiBuiltBy"


@dataclass(frozen=True)
class EmbeddedLite:
    """The JupyterLite site inside the HTML output, as its pages will register its worker."""

    folder: str
    version: str | None
    enable_cache: str

    @property
    def worker(self) -> str:
        # JupyterLite's URL for it, query included (ServiceWorkerManager): registering the same
        # URL keeps it from registering a second worker for the same scope.
        return f"{self.folder}/{serviceworker.SERVICE_WORKER}?enableCache={self.enable_cache}"

    @property
    def scope(self) -> str:
        return f"{self.folder}/"


def embedded_lite(out: Path, folder: str = LITE_DIR) -> EmbeddedLite | None:
    """The JupyterLite site built into ``out/folder``; None when there is none. A folder that
    is there but not a complete build raises :class:`~.litebuild.NotALiteSite`."""
    site = Path(out) / folder
    if not site.exists():
        return None
    data = page_config(require_lite_site(site))
    cache = data.get("enableServiceWorkerCache") or "false"
    # As the page's PageConfig turns it into the worker's query: JSON true is "true".
    cache = str(cache).lower() if isinstance(cache, bool) else str(cache)
    version = data.get("appVersion")
    return EmbeddedLite(folder, str(version) if version is not None else None, cache)


def render_worker(policy: Policy, lite: EmbeddedLite | None) -> str:
    original = f"{lite.folder}/{serviceworker.ORIGINAL}" if lite else None
    return (
        serviceworker.render_service_worker(policy, original) + "\n" + script("docs-worker-tail.js")
    )


def render_page_script(lite: EmbeddedLite | None) -> str:
    site = {
        "worker": WORKER,
        "lite": {"worker": lite.worker, "scope": lite.scope, "version": lite.version}
        if lite
        else None,
    }
    text = script("docs-page.js").replace(_SITE_SLOT, json.dumps(site))
    assert "__JUPYTER_COI_" not in text, "the page script template is broken"
    # Then the one reload, as JupyterLite's pages do it: once the docs' worker is active for
    # this page, a page that came without the headers is loaded again, through it.
    return text + "\n" + serviceworker.page_script()


def isolate_html_site(
    out: Path, policy: Policy, host_files: list[str], lite_folder: str = LITE_DIR
) -> list[Path]:
    """Make the HTML output ``out`` isolated by its worker and host files, and its embedded
    JupyterLite site (if any) by the same policy; return the files written.

    The pages must load ``_static/jupyter-coi.js`` (the Sphinx extension adds it to each one).
    Raises :class:`~.litebuild.NotALiteSite` or :class:`~.serviceworker.ServiceWorkerError`
    for an embedded site that cannot be isolated, and :class:`~jupyter_coi.hosts.HostFileError`
    for a host file of the user's that sets the headers otherwise, before writing anything.
    """
    out = Path(out)
    if not out.is_dir():
        raise NotADirectoryError(f"{out} is not a folder: no HTML site to isolate there")
    lite = embedded_lite(out, lite_folder)
    folders = [out] if lite is None else [out / lite.folder, out]
    # Every host file is read and merged in memory first: a user's file that sets a header
    # otherwise is refused before any file of the site has changed.
    merged = [file for folder in folders for file in merge_host_files(folder, policy, host_files)]
    written: list[Path] = []
    if lite is not None:
        site = out / lite.folder
        written += serviceworker.wrap_service_worker(site, policy)
        written += serviceworker.install_page_script(site)
        written += _mark_built_by(site)
    written += save_host_files(merged)
    for path, text in (
        (out / WORKER, render_worker(policy, lite)),
        (out / STATIC / PAGE_SCRIPT, render_page_script(lite)),
    ):
        if write_if_changed(path, text):
            written.append(path)
    return written


def _mark_built_by(site: Path) -> list[Path]:
    # The indicator's dialog names the settings of the tool that made the headers: in a
    # Sphinx project, conf.py's, not jupyter_lite_config.json's.
    config = site / LITE_JSON
    data = json.loads(config.read_text(encoding="utf-8"))
    if data.get(CONFIG_DATA, {}).get(BUILT_BY_KEY) == "sphinx":
        return []
    data.setdefault(CONFIG_DATA, {})[BUILT_BY_KEY] = "sphinx"
    write_if_changed(config, json.dumps(data, indent=2) + "\n")
    return [config]


def _loads_page_script(page: Path, out: Path) -> bool:
    # As Sphinx writes the tag, relative to the page (a `?v=` checksum may follow).
    depth = len(page.parent.relative_to(out).parts)
    src = "../" * depth + f"{STATIC}/{PAGE_SCRIPT}"
    return f'src="{src}' in page.read_text(encoding="utf-8", errors="replace")


def is_html_site(folder: Path) -> bool:
    """Whether ``folder`` looks like an HTML output that ``jupyter_coi.sphinx`` isolated."""
    folder = Path(folder)
    return (folder / WORKER).is_file() or (folder / STATIC / PAGE_SCRIPT).is_file()


def check_html_site(out: Path, lite_folder: str = LITE_DIR) -> list[str]:
    """What keeps an HTML output from being isolated by its worker, in words; empty when all
    is in place: the worker, the page script, every page loading it, the embedded JupyterLite
    site's own worker (with the same policy)."""
    out = Path(out)
    rebuild = "build the site again with jupyter_coi.sphinx in conf.py's extensions"
    try:
        lite = embedded_lite(out, lite_folder)
    except NotALiteSite as e:
        return [str(e)]
    problems = []
    worker = out / WORKER
    found = None
    if not worker.is_file():
        problems.append(f"{worker} is missing: pages are not isolated on hosts without headers")
    else:
        text = worker.read_text(encoding="utf-8", errors="replace")
        found, wrong = serviceworker.check_worker(
            worker, text, None, lambda policy: render_worker(policy, lite), rebuild
        )
        problems += wrong
    problems += serviceworker.check_page_script(
        out / STATIC / PAGE_SCRIPT, render_page_script(lite), rebuild
    )
    pages = [
        page
        for page in sorted(out.rglob("*.html"))
        if page.relative_to(out).parts[0] not in {lite_folder, STATIC, "_sources"}
    ]
    missing = [page for page in pages if not _loads_page_script(page, out)]
    if missing:
        shown = ", ".join(str(p.relative_to(out)) for p in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        problems.append(f"{len(missing)} pages do not load {STATIC}/{PAGE_SCRIPT}: {shown}{more}")
    if lite is not None:
        problems += serviceworker.check_service_worker(out / lite.folder, found)
    return problems
