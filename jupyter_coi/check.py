"""``jupyter coi check TARGET``: can this deployment be cross-origin isolated, and if not, why?

TARGET is the URL of a page (a Jupyter server, a static JupyterLite host, any site) or the
folder of a JupyterLite build. The check reports what it looked at, one line each, and ends
with a verdict; the exit code is 0 when the target is isolated (or, for a folder, can be on at
least one kind of host), 1 when it is not, 2 when it could not be checked at all.

For a URL it reads the page's own headers, then loads what the page's HTML embeds (scripts,
styles, images, frames) the way the browser would under the page's embedder policy, and names
each resource that the policy would block. Standard library only: it runs in a deploy pipeline
with nothing else installed.
"""

from __future__ import annotations

import itertools
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from . import hosts
from .lite.serviceworker import SCRIPT_ID, WORKER_MARKER, check_service_worker
from .lite.site import NotALiteSite, require_lite_site
from .policy import ALLOWED, EMBEDDER, ISOLATING, OPENER, REPORT_ONLY, RESOURCE, Policy

OK, NOT_OK = "ok", "problem"
USER_AGENT = "jupyter-coi-check"
MAX_BODY = 5 * 1024 * 1024  # the page's HTML is read up to this; resources are not read
# Elements whose URL the browser loads as a subresource of the page, and the attribute.
EMBEDS = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "track": "src",
    "embed": "src",
    "object": "data",
}
LINK_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut icon", "manifest"}


class CheckError(Exception):
    """The target cannot be checked at all (unreachable, not a page, not a build): exit 2."""


@dataclass(frozen=True)
class Finding:
    status: str  # OK or NOT_OK
    subject: str
    detail: str


@dataclass
class Report:
    target: str
    findings: list[Finding] = field(default_factory=list)
    verdict: str = ""
    isolated: bool = False

    def add(self, ok: bool, subject: str, detail: str) -> None:
        self.findings.append(Finding(OK if ok else NOT_OK, subject, detail))

    @property
    def exit_code(self) -> int:
        return 0 if self.isolated else 1

    def render(self) -> str:
        lines = [f"jupyter coi check {self.target}"]
        lines += [f"  [{f.status}] {f.subject}: {f.detail}" for f in self.findings]
        lines.append(("ISOLATED: " if self.isolated else "NOT ISOLATED: ") + self.verdict)
        return "\n".join(lines)


# --- a URL ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def fetch(url: str, timeout: float, read_body: bool = True) -> Response:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            body = r.read(MAX_BODY) if read_body else b""
            return Response(r.url, r.status, {k.lower(): v for k, v in r.headers.items()}, body)
    except urllib.error.HTTPError as e:
        # An error page still has headers, and the browser applies them the same way.
        return Response(e.url or url, e.code, {k.lower(): v for k, v in e.headers.items()}, b"")


class _Embeds(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, bool]] = []  # (element, url, has crossorigin)
        self.reload_script = ""  # src of jupyter-coi's reload script, which sits at the site root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if a.get("id") == SCRIPT_ID:
            self.reload_script = a.get("src", "") or "./"
        url = ""
        if tag == "link" and a.get("rel", "").lower() in LINK_RELS:
            url = a.get("href", "")
        elif tag in EMBEDS:
            url = a.get(EMBEDS[tag], "")
        if url and not url.startswith(("data:", "blob:", "javascript:", "#")):
            self.found.append((tag, url, "crossorigin" in a))


def shown(url: str) -> str:
    """A URL as the report prints it: a Jupyter token in it is not written into CI logs."""
    parts = urllib.parse.urlsplit(url)
    if "token=" not in parts.query:
        return url
    query = urllib.parse.urlencode(
        [(k, "..." if k == "token" else v) for k, v in urllib.parse.parse_qsl(parts.query)],
        safe=".",
    )
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


def _document_policy(headers: dict[str, str]) -> tuple[str, str]:
    def value(name: str) -> str:
        return headers.get(name.lower(), "").split(";")[0].strip()

    return value(OPENER), value(EMBEDDER)


def _resource_problem(
    element: str, url: str, page_url: str, embedder: str, cors: bool, r: Response
) -> str | None:
    """Why the browser would block this subresource of an isolated page, or None."""
    cross_origin = _origin(url) != _origin(page_url)
    if element == "iframe":
        _, frame_embedder = _document_policy(r.headers)
        if frame_embedder not in ISOLATING["embedder"]:
            return (
                f"a frame must send {EMBEDDER} itself (found {frame_embedder or 'none'}); "
                "the page's policy does not cover it"
            )
    if not cross_origin:
        return None
    corp = r.headers.get(RESOURCE.lower(), "").strip()
    if cors:
        allowed = r.headers.get("access-control-allow-origin", "")
        page_origin = "{}://{}".format(*_origin(page_url))
        if allowed in ("*", page_origin):
            return None
        return f"loaded with CORS, but the response allows origin {allowed or 'none'}"
    if corp == "cross-origin":
        return None
    if embedder == "credentialless" and element != "iframe":
        return None  # loaded without cookies, no consent needed
    return (
        f"cross-origin without {RESOURCE}: cross-origin (found {corp or 'none'}); "
        f"{EMBEDDER}: require-corp blocks it: ask its host for the header, copy it next to "
        "the page, or use credentialless"
    )


def check_url(url: str, timeout: float = 15, max_resources: int = 50) -> Report:
    report = Report(shown(url))
    try:
        page = fetch(url, timeout)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise CheckError(f"cannot load {shown(url)}: {getattr(e, 'reason', e)}") from None
    opener, embedder = _document_policy(page.headers)
    where = (
        shown(page.url) if page.url == url else f"{shown(page.url)} (redirected from {shown(url)})"
    )
    headers_isolate = opener in ISOLATING["opener"] and embedder in ISOLATING["embedder"]
    report.add(
        opener in ISOLATING["opener"],
        where,
        f"{OPENER}: {opener or 'missing'} (isolation needs {' or '.join(ISOLATING['opener'])})",
    )
    report.add(
        embedder in ISOLATING["embedder"],
        where,
        f"{EMBEDDER}: {embedder or 'missing'} "
        f"(isolation needs {' or '.join(ISOLATING['embedder'])})",
    )
    trial = {
        name: page.headers[name.lower()]
        for name in REPORT_ONLY.values()
        if name.lower() in page.headers
    }
    if trial and not headers_isolate:
        report.add(
            False,
            where,
            "report-only: "
            + ", ".join(f"{k}: {v}" for k, v in trial.items())
            + "; the browser reports what this would block and enforces nothing",
        )
    if urllib.parse.urlsplit(page.url).path.endswith("/login"):
        report.add(False, where, "this is the login page: add ?token=... to check the app's page")
    if page.status >= 400:
        report.add(
            False, where, f"HTTP {page.status}: the headers above are those of an error page"
        )

    parser = _Embeds()
    content_type = page.headers.get("content-type", "")
    if "html" in content_type:
        parser.feed(page.body.decode("utf-8", errors="replace"))
    by_worker = False
    if not headers_isolate and parser.reload_script:
        by_worker = _check_service_worker_url(
            urllib.parse.urljoin(page.url, parser.reload_script), timeout, report
        )
    # What the browser will embed under this policy; on a page not isolated yet, what would be
    # blocked once it is (with require-corp, the default): what to fix before turning it on.
    effective = embedder if headers_isolate else "require-corp"
    blocked = 0
    seen: set[str] = set()
    embeds = [(e, urllib.parse.urljoin(page.url, u), c) for e, u, c in parser.found]
    for element, resource, cors in embeds:
        if resource in seen or not resource.startswith(("http://", "https://")):
            continue
        seen.add(resource)
        if len(seen) > max_resources:
            report.add(True, "more resources", f"only the first {max_resources} were checked")
            break
        try:
            r = fetch(resource, timeout, read_body=False)
        except (urllib.error.URLError, OSError, ValueError) as e:
            report.add(
                False,
                shown(resource),
                f"<{element}> could not be loaded: {getattr(e, 'reason', e)}",
            )
            blocked += 1
            continue
        problem = _resource_problem(element, resource, page.url, effective, cors, r)
        if problem:
            blocked += 1
        report.add(problem is None, shown(resource), f"<{element}> " + (problem or "allowed"))

    if headers_isolate and not blocked:
        report.isolated, report.verdict = (
            True,
            f"{shown(page.url)} is cross-origin isolated by its headers",
        )
    elif by_worker and not blocked:
        report.isolated = True
        report.verdict = (
            f"{shown(page.url)} has no isolating headers; jupyter-coi's service worker "
            "isolates it from the second load on"
        )
    elif headers_isolate or by_worker:
        report.verdict = f"{blocked} resource(s) of the page would be blocked: see above"
    elif blocked:
        report.verdict = (
            f"{shown(page.url)} is not sent with {OPENER}: same-origin and {EMBEDDER}: "
            f"require-corp or credentialless; once it is, {blocked} resource(s) "
            "above would be blocked too"
        )
    else:
        report.verdict = (
            f"{shown(page.url)} is not sent with {OPENER}: same-origin and {EMBEDDER}: "
            "require-corp or credentialless, and has no jupyter-coi service worker"
        )
    return report


def _check_service_worker_url(reload_script_url: str, timeout: float, report: Report) -> bool:
    """The page loads jupyter-coi's reload script: is the worker it registers beside it, at
    the site's root?"""
    worker = urllib.parse.urljoin(reload_script_url, "service-worker.js")
    try:
        r = fetch(worker, timeout)
    except (urllib.error.URLError, OSError, ValueError) as e:
        report.add(
            False,
            shown(worker),
            f"jupyter-coi's service worker cannot be loaded: {getattr(e, 'reason', e)}",
        )
        return False
    ok = r.status == 200 and WORKER_MARKER.encode() in r.body
    report.add(
        ok,
        shown(worker),
        "jupyter-coi's service worker, which adds the headers"
        if ok
        else f"HTTP {r.status}, not jupyter-coi's service worker: the page cannot be isolated",
    )
    return ok


# --- a JupyterLite build folder ------------------------------------------------------------


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
    for policy in ISOLATING_POLICIES:
        problems = hosts.check(host, policy, site)
        if not problems:
            return policy, []
        first = first or problems
    return None, first


def check_folder(folder: Path) -> Report:
    report = Report(str(folder))
    try:
        site = require_lite_site(folder)
    except NotALiteSite as e:
        raise CheckError(str(e)) from None
    hosts_ok = []
    for host, name in hosts.HOST_FILES.items():
        path = site / name
        if not path.exists():
            report.add(True, str(path), f"not written: no header config for {host}")
            continue
        good, problems = _host_policy(host, site)
        if good:
            hosts_ok.append(host)
            report.add(True, str(path), f"{host} sends {good.describe()}")
        else:
            report.add(False, str(path), "; ".join(problems))
    worker_problems = check_service_worker(site)
    for problem in worker_problems:
        report.add(False, "service worker", problem)
    if not worker_problems:
        report.add(
            True,
            str(site / "service-worker.js"),
            "jupyter-coi's service worker isolates hosts that cannot set headers",
        )
    ways = [f"with headers on {', '.join(hosts_ok)}"] if hosts_ok else []
    if not worker_problems:
        ways.append("through the service worker on any static host (GitHub Pages...)")
    report.isolated = bool(ways)
    report.verdict = (
        f"{site} can be isolated " + ", and ".join(ways)
        if ways
        else f"{site} has neither host files nor jupyter-coi's service worker: build it "
        "with jupyter-coi installed (`pip install jupyter-coi`, then "
        "`jupyter lite build`)"
    )
    return report


def check(target: str, timeout: float = 15, max_resources: int = 50) -> Report:
    if target.startswith(("http://", "https://")):
        return check_url(target, timeout, max_resources)
    if "://" in target:
        raise CheckError(f"{target}: only http:// and https:// URLs can be checked")
    return check_folder(Path(target))
