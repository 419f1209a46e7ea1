"""Service-worker isolation of a built JupyterLite site, for hosts that cannot send headers.

GitHub Pages, ``python -m http.server`` and the like serve files without the
``Cross-Origin-Opener-Policy`` / ``-Embedder-Policy`` headers that isolate a page. A service
worker can add them to the responses it delivers, and JupyterLite already has one: it registers
``service-worker.js`` at the site root and unregisters every other worker of the origin (when its
version changes), so isolation has to live inside that very file. Two steps, both idempotent:

- :func:`wrap_service_worker` keeps JupyterLite's worker as ``service-worker.jupyterlite.js``
  and writes a ``service-worker.js`` that adds the policy's headers to every response the worker
  delivers (set if absent), then runs the original unchanged (``importScripts``);
- :func:`install_page_script` writes ``coi-reload.js`` and loads it from every app page: it
  reloads a page once when a worker is active but the page was not delivered through it (first
  visit, hard reload).

:func:`remove_service_worker` undoes both, for a build with the service worker turned off.

:func:`check_service_worker` reports what is missing or stale. Independent of jupyterlite-core
and doit: the JupyterLite addon calls these from its ``post_build`` and ``check`` tasks, the
Sphinx extension (:mod:`.htmlsite`) for the site it embeds; a script can call them on any built
site.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..policy import HEADERS, Policy, PolicyError, credentialless_rule
from ..utils import atomic_write, write_if_changed
from .litebuild import NotALiteSite, build_command, require_lite_site
from .scripts import script

SERVICE_WORKER = "service-worker.js"
ORIGINAL = "service-worker.jupyterlite.js"
PAGE_SCRIPT = "coi-reload.js"

# JupyterLite registers the root worker; `build/` holds an identical copy that 0.8 never
# registers. Both are wrapped, so that whichever a JupyterLite version registers isolates.
WORKER_DIRS = (".", "build")

# In the rendered worker: how a build recognises a worker it already wrapped.
WORKER_MARKER = "jupyter-coi-service-worker-wrapper"
# In the pages: the id of the injected tag, how a build recognises a page it already did.
SCRIPT_ID = "jupyter-coi-reload"

# Top-level folders of a site that hold no app page of JupyterLite's: bundles, federated
# extensions, API JSON, and the user's own files (an index.html there is content, not an app).
NOT_APP_DIRS = frozenset({"build", "extensions", "api", "files", "static"})

# Pages that start no app of JupyterLite's, so that nothing registers the worker there, by
# their folder: Voici's tree of dashboards. Their tag asks the page script to register it.
PAGES_WITHOUT_WORKER = (("voici", "tree"),)
REGISTER_ATTRIBUTE = "data-register-worker"

_HEADERS_SLOT = "__JUPYTER_COI_HEADERS__"
_ORIGINAL_SLOT = "__JUPYTER_COI_ORIGINAL__"
_CREDENTIALLESS_SLOT = "__JUPYTER_COI_CREDENTIALLESS__"
_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
# The one line of the rendered worker that carries the headers, for the check.
_RENDERED_HEADERS = re.compile(r"^\s*const HEADERS = (\{.*\});\s*$", re.MULTILINE)


class ServiceWorkerError(RuntimeError):
    """The site's service worker cannot be wrapped (missing, or its original lost)."""


def render_service_worker(policy: Policy, original: str | None = ORIGINAL) -> str:
    """The wrapper worker's text for ``policy``, importing ``original`` (a URL relative to the
    worker that is registered), or nothing when it is None."""
    text = script(SERVICE_WORKER)
    # JSON is a JavaScript literal: the values are data in the script, never code.
    text = text.replace(_HEADERS_SLOT, json.dumps(policy.headers(), sort_keys=False))
    if original is None:
        text = text.replace(f"importScripts({_ORIGINAL_SLOT});", "")
    text = text.replace(_ORIGINAL_SLOT, json.dumps(original))
    text = text.replace(_CREDENTIALLESS_SLOT, json.dumps(credentialless_rule()))
    assert WORKER_MARKER in text and "__JUPYTER_COI_" not in text, "the worker template is broken"
    return text


def page_script() -> str:
    return script(PAGE_SCRIPT)


def _is_wrapped(text: str) -> bool:
    return WORKER_MARKER in text


def _worker_paths(site: Path) -> list[Path]:
    return [site / d / SERVICE_WORKER for d in WORKER_DIRS if (site / d / SERVICE_WORKER).is_file()]


def wrap_service_worker(output_dir: Path, policy: Policy) -> list[Path]:
    """Make the site's service worker add ``policy``'s headers; return the files written.

    JupyterLite's worker is kept, byte for byte, as ``service-worker.jupyterlite.js`` beside
    it, and ``service-worker.js`` becomes the wrapper. A worker that is already the wrapper
    (a rebuild that did not unpack JupyterLite again) is rendered again from the policy, never
    wrapped a second time; a fresh JupyterLite worker (``--force``) replaces the kept original.

    Raises :class:`~.litebuild.NotALiteSite` for a folder that is not a build, and
    :class:`ServiceWorkerError` when the site has no root ``service-worker.js`` (a JupyterLite
    that works without one would not be isolated by this) or the original of a wrapped worker is
    gone.
    """
    site = require_lite_site(output_dir)
    workers = _worker_paths(site)
    if site / SERVICE_WORKER not in workers:
        raise ServiceWorkerError(
            f"{site / SERVICE_WORKER} is missing: JupyterLite registers it, and jupyter-coi's "
            "isolation without headers lives in it. Was the site built by jupyterlite-core?"
        )
    written = []
    for worker in workers:
        original = worker.with_name(ORIGINAL)
        current = worker.read_text(encoding="utf-8")
        if not _is_wrapped(current):
            # Keep the original first: an interrupted build leaves JupyterLite's worker in
            # place, unwrapped, and the next build wraps it.
            if write_if_changed(original, current):
                written.append(original)
        elif not original.is_file():
            raise ServiceWorkerError(
                f"{worker} is jupyter-coi's wrapper, but JupyterLite's worker it runs, "
                f"{original}, is gone. Rebuild the site with `jupyter lite build --force`."
            )
        if write_if_changed(worker, render_service_worker(policy)):
            written.append(worker)
    return written


def _app_pages(site: Path) -> list[Path]:
    """Every page of the site's apps: each ``index.html`` of JupyterLite's, nested ones
    included (``lab/tree/``...), and the pages other apps write by other names (Voici's
    dashboards, ``voici/render/*.html``). The user's files and the bundles are not pages."""
    return [
        page
        for page in sorted(site.rglob("*.html"))
        if page.relative_to(site).parts[0] not in NOT_APP_DIRS
    ]


def _script_tag(site: Path, page: Path) -> str:
    # Relative, as JupyterLite's own pages load their bundles: the site works under any base
    # URL (a GitHub Pages project site is served below /<repository>/).
    depth = len(page.parent.relative_to(site).parts)
    src = "../" * depth + PAGE_SCRIPT if depth else "./" + PAGE_SCRIPT
    parts = page.parent.relative_to(site).parts
    register = any(parts[: len(folder)] == folder for folder in PAGES_WITHOUT_WORKER)
    attribute = f" {REGISTER_ATTRIBUTE}" if register else ""
    return f'<script id="{SCRIPT_ID}" src="{src}"{attribute}></script>'


def install_page_script(output_dir: Path) -> list[Path]:
    """Write ``coi-reload.js`` into the site and load it from every app page; return the files
    written. Pages that already load it are left alone.

    The tag goes first in ``<head>``, as a plain (blocking) script: it is small, and the sooner
    it decides, the less of the app loads before a reload. A page without ``<head>`` gets
    nothing and is reported by :func:`check_service_worker`.
    """
    site = require_lite_site(output_dir)
    written = []
    script = site / PAGE_SCRIPT
    if write_if_changed(script, page_script()):
        written.append(script)
    for page in _app_pages(site):
        html = page.read_text(encoding="utf-8")
        if f'id="{SCRIPT_ID}"' in html:
            continue
        head = _HEAD.search(html)
        if head is None:
            continue
        tag = _script_tag(site, page)
        html = f"{html[: head.end()]}\n    {tag}{html[head.end() :]}"
        write_if_changed(page, html)
        written.append(page)
    return written


_SCRIPT_TAG = re.compile(
    rf'\r?\n?[ \t]*<script id="{SCRIPT_ID}" src="[^"<>]*"(?: {REGISTER_ATTRIBUTE})?></script>'
)


def remove_service_worker(output_dir: Path) -> list[Path]:
    """Undo :func:`wrap_service_worker` and :func:`install_page_script`: JupyterLite's own
    worker back in its place, no page script, no tag in the pages; the files changed (or
    removed). A wrapped worker whose original is gone raises :class:`ServiceWorkerError`
    before anything changes."""
    site = require_lite_site(output_dir)
    workers = [w for w in _worker_paths(site) if _is_wrapped(w.read_text(encoding="utf-8"))]
    for worker in workers:
        if not worker.with_name(ORIGINAL).is_file():
            raise ServiceWorkerError(
                f"{worker} is jupyter-coi's wrapper, but JupyterLite's worker it runs, "
                f"{worker.with_name(ORIGINAL)}, is gone. Rebuild the site with "
                "`jupyter lite build --force`."
            )
    changed = []
    for worker in workers:
        original = worker.with_name(ORIGINAL)
        atomic_write(worker, original.read_bytes())
        original.unlink()
        changed += [worker, original]
    for page in _app_pages(site):
        html = page.read_text(encoding="utf-8")
        if f'id="{SCRIPT_ID}"' in html and write_if_changed(page, _SCRIPT_TAG.sub("", html)):
            changed.append(page)
    script = site / PAGE_SCRIPT
    if script.is_file():
        script.unlink()
        changed.append(script)
    return changed


def rendered_headers(text: str) -> dict | None:
    """The headers a wrapped worker adds, read from its text; None if it is not one."""
    match = _RENDERED_HEADERS.search(text)
    if not match:
        return None
    try:
        headers = json.loads(match.group(1))
    except json.JSONDecodeError:
        return None
    return headers if isinstance(headers, dict) else None


def rendered_policy(text: str) -> Policy | None:
    """The policy a wrapped worker adds, read from its text; None if it is not one. Raises
    :class:`~jupyter_coi.policy.PolicyError` for values the policy does not allow."""
    headers = rendered_headers(text)
    if headers is None:
        return None
    # A header missing from the worker is None here, which Policy refuses like any value it
    # does not allow.
    values: dict[str, Any] = {field: headers.get(name) for field, name in HEADERS.items()}
    return Policy(**values)


def check_worker(
    worker: Path,
    text: str,
    policy: Policy | None,
    rendered: Callable[[Policy], str],
    rebuild: str,
) -> tuple[Policy | None, list[str]]:
    """The policy a wrapper worker (``text``, read from ``worker``) adds and what is wrong with
    it, in words: a policy other than ``policy`` (or, with None, one that does not isolate), or
    a text other than ``rendered`` makes of its policy (an edit, another version of
    jupyter-coi)."""
    try:
        found = rendered_policy(text)
    except PolicyError as e:
        return None, [f"{worker} sends an invalid policy: {e}"]
    if found is None:
        return None, [f"{worker} was edited: it has no header policy jupyter-coi can read"]
    if policy is not None and found != policy:
        problem = f"adds {found.describe()}, not the configured {policy.describe()}; {rebuild}"
    elif policy is None and not found.isolates:
        problem = f"adds {found.describe()}, which does not isolate"
    elif text != rendered(found):
        problem = f"was written by another version of jupyter-coi; {rebuild}"
    else:
        return found, []
    return found, [f"{worker} {problem}"]


def check_page_script(path: Path, expected: str, rebuild: str) -> list[str]:
    """What is wrong with a site's reload script, in words: missing, or not ``expected``."""
    if not path.is_file():
        return [f"{path} is missing: first visits and hard reloads stay unisolated"]
    if path.read_text(encoding="utf-8", errors="replace") != expected:
        return [f"{path} is not the one this jupyter-coi writes; {rebuild}"]
    return []


def check_service_worker(output_dir: Path, policy: Policy | None = None) -> list[str]:
    """What keeps a built site from being isolated by its service worker, in words; empty when
    all is in place. With ``policy``, a worker rendered from another policy is reported too."""
    try:
        site = require_lite_site(output_dir)
    except NotALiteSite as e:
        return [str(e)]
    problems = []
    command = build_command(site)
    rebuild = f"run `{command}` with jupyter-coi installed"
    workers = _worker_paths(site)
    if site / SERVICE_WORKER not in workers:
        problems.append(f"{site / SERVICE_WORKER} is missing: JupyterLite registers it")
    for worker in workers:
        text = worker.read_text(encoding="utf-8", errors="replace")
        if not _is_wrapped(text):
            problems.append(
                f"{worker} is JupyterLite's worker, not wrapped by jupyter-coi: pages will not be "
                f"isolated on hosts without headers; {rebuild}"
            )
            continue
        if not worker.with_name(ORIGINAL).is_file():
            problems.append(
                f"{worker.with_name(ORIGINAL)} is missing: the wrapper in {worker} cannot run "
                f"JupyterLite's worker; rebuild with `{command} --force`"
            )
        problems += check_worker(worker, text, policy, render_service_worker, rebuild)[1]
    problems += check_page_script(site / PAGE_SCRIPT, page_script(), rebuild)
    for page in _app_pages(site):
        if f'id="{SCRIPT_ID}"' not in page.read_text(encoding="utf-8", errors="replace"):
            problems.append(f"{page} does not load {PAGE_SCRIPT}; {rebuild}")
    return problems
