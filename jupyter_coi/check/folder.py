"""Checking the output folder of ``jupyter lite build``: the host files it holds and the
service worker, each measured against every policy that isolates."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

from .. import __version__, hosts
from ..policy import ALLOWED, CREDENTIALLESS, CREDENTIALLESS_FALLBACK, ISOLATING, Policy
from ..static import htmlsite
from ..static.litebuild import NotALiteSite, require_lite_site
from ..static.serviceworker import SERVICE_WORKER, check_service_worker
from .report import CheckError, CheckReport

# Every policy that isolates, the default first: a host file passes if it sends one of them.
ISOLATING_POLICIES = [Policy()] + [
    p
    for p in (
        Policy(opener=o, embedder=e, resource=r)
        for o, e, r in itertools.product(
            ISOLATING["opener"], ISOLATING["embedder"], ALLOWED["resource"]
        )
    )
    if p != Policy()
]


def _host_policy(host: str, site: Path) -> tuple[Policy | None, list[str]]:
    """The isolating policy that ``host``'s file in ``site`` sends, or None with what is wrong
    with it measured against the default policy."""
    first: list[str] = []
    for candidate in ISOLATING_POLICIES:
        problems = hosts.check(host, candidate, site)
        if not problems:
            return candidate, []
        first = first or problems
    return None, first


def check_folder(folder: Path) -> CheckReport:
    """A JupyterLite build, or the HTML output of a Sphinx site built with jupyter_coi.sphinx
    (its own worker and page script, and the JupyterLite site it embeds)."""
    docs = htmlsite.is_html_site(folder)
    if docs:
        site = Path(folder)
        worker_problems = htmlsite.check_html_site(site)
        worker_file = site / htmlsite.WORKER
    else:
        try:
            site = require_lite_site(folder)
        except NotALiteSite as e:
            raise CheckError(
                f"{e} Or at the HTML output of a Sphinx site built with jupyter_coi.sphinx."
            ) from None
        worker_problems = check_service_worker(site)
        worker_file = site / SERVICE_WORKER
    found = {
        host: _host_policy(host, site)
        for host, name in hosts.HOST_FILES.items()
        if (site / name).exists()
    }
    hosts_ok = [host for host, (good, _) in found.items() if good]
    credentialless = [
        host for host, (good, _) in found.items() if good and good.embedder == CREDENTIALLESS
    ]
    worker_ok = not worker_problems
    ways = [f"with headers on {', '.join(hosts_ok)}"] if hosts_ok else []
    if worker_ok:
        ways.append("through the service worker on any static host (GitHub Pages...)")
    safari = _browsers_without_credentialless(credentialless, worker_ok)

    # The verdict is known: what it does not need is a fact, not a problem (hosts without a
    # file when the site can be isolated some way, the service worker when host files are).
    report = CheckReport(str(folder), isolated=bool(ways))
    for host, name in hosts.HOST_FILES.items():
        path = str(site / name)
        if host not in found:
            missing = f"not written: no header config for {host}"
            if report.isolated:
                report.note(path, f"{missing}; the verdict below does not need it")
            else:
                report.add(False, path, missing)
            continue
        good, problems = found[host]
        if good:
            report.add(True, path, f"{host} sends {good.describe()}")
        else:
            report.add(False, path, "; ".join(problems))
    for problem in worker_problems:
        if hosts_ok:
            report.note(
                "service worker", f"{problem}; the host files isolate it on {', '.join(hosts_ok)}"
            )
        else:
            report.add(False, "service worker", problem)
    if worker_ok:
        report.add(
            True,
            str(worker_file),
            "jupyter-coi's service worker isolates hosts that cannot set headers",
        )
    if safari:
        report.add(worker_ok, f"{', '.join(credentialless)} in Safari and WebKit", safari)
    report.verdict = (
        f"{site} can be isolated " + ", and ".join(ways) + (f"; {safari}" if safari else "")
        if ways
        else f"{site} has neither host files nor jupyter-coi's service worker: "
        + (_how_to_build_docs() if docs else _how_to_build())
    )
    return report


def _how_to_build() -> str:
    """What to do for a build with none of the addon's files, in the environment that runs
    this check (which has jupyter-coi, and so the addon, installed)."""
    if importlib.util.find_spec("jupyterlite_core") is None:
        return (
            'install JupyterLite beside jupyter-coi (`pip install "jupyter-coi[lite]"`), then '
            "rebuild it with `jupyter lite build`"
        )
    return (
        f"jupyter-coi {__version__} and JupyterLite are installed here, so rebuild it here "
        "with `jupyter lite build` and the addon enabled (the build was made elsewhere, or "
        "with `--disable-addons jupyter-coi` or `CrossOriginIsolationAddon.enabled = False`)"
    )


def _how_to_build_docs() -> str:
    return (
        'build the docs again with `extensions = [..., "jupyter_coi.sphinx"]` in conf.py '
        "(and `jupyter_coi_enabled` left true)"
    )


def _browsers_without_credentialless(hosts_sending_it: list[str], worker: bool) -> str:
    """What Safari and WebKit, which ignore COEP credentialless, get on the hosts whose file
    sends it (a default build's, under ``auto``); empty when no host file sends it."""
    if not hosts_sending_it:
        return ""
    if worker:
        return (
            f"Safari and WebKit ignore the COEP {CREDENTIALLESS} that the host files send; "
            f"the service worker isolates them there with {CREDENTIALLESS_FALLBACK}, after one "
            "reload"
        )
    return (
        f"Safari and WebKit ignore the COEP {CREDENTIALLESS} that the host files send, and "
        "without jupyter-coi's service worker nothing isolates them there"
    )
