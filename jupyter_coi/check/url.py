"""Checking a URL: the page's own headers, then what its HTML embeds, loaded as the browser
would under the page's embedder policy, with each resource the policy would block named."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .. import policy
from ..policy import EMBEDDER, ISOLATING, OPENER, REPORT_ONLY, RESOURCE
from ..static.serviceworker import SERVICE_WORKER, WORKER_MARKER, rendered_headers
from ..utils import shown
from . import html
from .report import CheckError, CheckReport

USER_AGENT = "jupyter-coi-check"
# A browser that honours COEP credentialless, for servers that answer each browser on its own
# (``Vary: User-Agent``, as jupyter-coi's ``auto`` does): the check's own User-Agent is nobody's,
# and such a server gives it what it gives browsers without credentialless (Safari).
CREDENTIALLESS_BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
    "Safari/537.36"
)
MAX_BODY = 5 * 1024 * 1024  # the page's HTML is read up to this; resources are not read
# What fetch() raises for a URL that cannot be loaded at all, or whose reply is not HTTP.
LOAD_ERRORS = (urllib.error.URLError, OSError, ValueError, http.client.HTTPException)


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


class Deadline:
    """The time the whole check may take: each request and parse gets what is left of it, at
    most its own ``timeout``; past it, the check stops and says it could not finish."""

    def __init__(self, seconds: float, timeout: float) -> None:
        self.seconds = seconds
        self.timeout = timeout
        self.end = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self.end

    def next_step(self, doing: str) -> float:
        """Seconds for one more step (``doing`` says which, should none be left)."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise self.error(doing)
        return min(self.timeout, left)

    def error(self, doing: str) -> CheckError:
        return CheckError(
            f"could not finish within {self.seconds:g} s (--deadline), while {doing}: what "
            "was not checked is unknown"
        )


def fetch(
    url: str, timeout: float, read_body: bool = True, user_agent: str = USER_AGENT
) -> Response:
    """One request, whole within ``timeout`` seconds. The socket's own timeout is per read: a
    server that sends a byte now and then would hold the check for ever."""
    return _within(
        timeout,
        lambda: _fetch(url, timeout, read_body, user_agent),
        f"no whole answer within {timeout:g} s",
    )


T = TypeVar("T")


def _within(timeout: float, work: Callable[[], T], too_long: str) -> T:
    """``work()``, given up with ``TimeoutError(too_long)`` after ``timeout`` seconds. It runs
    in a thread of its own, a daemon, which ends with the command at the latest."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed to the caller as it is
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise TimeoutError(too_long)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


# What a URL may hold as it is; the rest (spaces, non-ASCII letters) browsers percent-encode
# as UTF-8 before they send it.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def as_sent(url: str) -> str:
    """``url`` as a browser sends it: ``/café.png`` asks for ``/caf%C3%A9.png``."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    rest = urllib.parse.quote(urllib.parse.urlunsplit(parts._replace(netloc="")), safe=_URL_SAFE)
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(rest)._replace(netloc=host))


def _fetch(url: str, timeout: float, read_body: bool, user_agent: str) -> Response:
    request = urllib.request.Request(as_sent(url), headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            body = r.read(MAX_BODY) if read_body else b""
            return Response(r.url, r.status, {k.lower(): v for k, v in r.headers.items()}, body)
    except urllib.error.HTTPError as e:
        if 300 <= e.code < 400:
            # A redirect urllib would not follow: a loop, or to a scheme that is not HTTP.
            why = str(e.msg).splitlines()[0] if e.msg else ""
            raise urllib.error.URLError(
                f"a redirect that leads to no page (HTTP {e.code}: {why})"
            ) from None
        # An error page still has headers, and the browser applies them the same way.
        return Response(e.url or url, e.code, {k.lower(): v for k, v in e.headers.items()}, b"")


def fetch_by(
    deadline: Deadline,
    url: str,
    doing: str,
    read_body: bool = True,
    user_agent: str = USER_AGENT,
) -> Response:
    """``fetch``, within what is left of ``deadline``: a request cut short by the deadline is
    the check's failure to finish, not the server's."""
    try:
        return fetch(url, deadline.next_step(doing), read_body, user_agent)
    except LOAD_ERRORS:
        if deadline.passed:
            raise deadline.error(doing) from None
        raise


def _why(e: Exception) -> object:
    return getattr(e, "reason", e)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


def _document_policy(headers: dict[str, str]) -> tuple[str, str]:
    def value(name: str) -> str:
        return policy.token(headers.get(name.lower(), ""))

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
    if corp == policy.CROSS_ORIGIN:
        return None
    if embedder == policy.CREDENTIALLESS and element != "iframe":
        return None  # loaded without cookies, no consent needed
    return (
        f"cross-origin without {RESOURCE}: {policy.CROSS_ORIGIN} (found {corp or 'none'}); "
        f"{EMBEDDER}: {policy.REQUIRE_CORP} blocks it: ask its host for the header, copy it "
        f"next to the page, or use {policy.CREDENTIALLESS}"
    )


def _check_headers(
    report: CheckReport, page: Response, where: str, worker_adds: bool
) -> tuple[bool, str]:
    """The page's own headers, one finding each; whether they isolate it, and its COEP. With
    ``worker_adds``, a missing or wrong COOP or COEP is a note: the service worker adds it."""
    opener, embedder = _document_policy(page.headers)
    for field, found in (("opener", opener), ("embedder", embedder)):
        detail = (
            f"{policy.HEADERS[field]}: {found or 'missing'} "
            f"(isolation needs {' or '.join(ISOLATING[field])})"
        )
        if found in ISOLATING[field]:
            report.add(True, where, detail)
        elif worker_adds:
            report.note(where, f"{detail}; the service worker adds it")
        else:
            report.add(False, where, detail)
    isolating = _isolating(opener, embedder)
    trial = {
        name: page.headers[name.lower()]
        for name in REPORT_ONLY.values()
        if name.lower() in page.headers
    }
    if trial and not isolating:
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
    return isolating, embedder


def _isolating(opener: str, embedder: str) -> bool:
    return opener in ISOLATING["opener"] and embedder in ISOLATING["embedder"]


def _check_embeds(
    report: CheckReport,
    page: Response,
    embeds: list[html.Embed],
    embedder: str,
    deadline: Deadline,
    max_resources: int,
    others: str = "",
) -> tuple[int, int]:
    """Each resource the page embeds, loaded as under ``embedder``; how many it would block,
    and how many of the others it would block only under ``others``, the COEP that the
    server gives browsers without credentialless (empty: the same for all)."""
    blocked = others_blocked = 0
    seen: set[str] = set()
    for embed in embeds:
        resource = urllib.parse.urljoin(page.url, embed.url)
        if resource in seen or not resource.startswith(("http://", "https://")):
            continue
        seen.add(resource)
        if len(seen) > max_resources:
            report.add(True, "more resources", f"only the first {max_resources} were checked")
            break
        try:
            r = fetch_by(
                deadline,
                resource,
                f"loading the page's resources ({len(seen) - 1} of {len(embeds)} checked)",
                read_body=False,
            )
        except LOAD_ERRORS as e:
            report.add(False, shown(resource), f"<{embed.element}> could not be loaded: {_why(e)}")
            blocked += 1
            continue
        problem = _resource_problem(embed.element, resource, page.url, embedder, embed.cors, r)
        if problem:
            blocked += 1
        elif others and (
            why := _resource_problem(embed.element, resource, page.url, others, embed.cors, r)
        ):
            others_blocked += 1
            report.note(
                shown(resource),
                f"<{embed.element}> allowed under {embedder}; in browsers without it (Safari), "
                f"which get {others}: {why}",
            )
            continue
        report.add(problem is None, shown(resource), f"<{embed.element}> " + (problem or "allowed"))
    return blocked, others_blocked


def check_url(
    url: str, timeout: float = 15, max_resources: int = 50, deadline: float = 120
) -> CheckReport:
    report = CheckReport(shown(url))
    within = Deadline(deadline, timeout)
    try:
        page = fetch_by(within, url, "loading the page")
    except LOAD_ERRORS as e:
        raise CheckError(f"cannot load {shown(url)}: {_why(e)}") from None
    where = (
        shown(page.url) if page.url == url else f"{shown(page.url)} (redirected from {shown(url)})"
    )
    # What decides how the page's own headers read comes first: whether they isolate it, and
    # if not, whether jupyter-coi's service worker, which adds them, is there.
    headers_isolate = _isolating(*_document_policy(page.headers))
    found = html.PageHtml()
    if "html" in page.headers.get("content-type", ""):
        text = page.body.decode("utf-8", errors="replace")
        # Python's HTML parser takes time quadratic in some crafted pages (`<!--` repeated).
        reading = "reading the page's HTML"
        try:
            found = _within(within.next_step(reading), lambda: html.parse(text), "")
        except TimeoutError:
            if within.passed:
                raise within.error(reading) from None
            raise CheckError(
                f"cannot check {shown(page.url)}: its HTML could not be read within "
                f"{timeout:g} s (what it embeds is unknown)"
            ) from None
    worker = None
    if not headers_isolate and found.reload_script:
        worker = _service_worker_beside(urllib.parse.urljoin(page.url, found.reload_script), within)
    by_worker = worker is not None and worker.ok
    worker_embedder = worker.embedder if worker is not None else ""

    headers_isolate, embedder = _check_headers(report, page, where, by_worker)
    others = ""
    if headers_isolate and "user-agent" in page.headers.get("vary", "").lower():
        # Judge the page as the browsers that honour credentialless get it; what the check's
        # own request got is what the others get.
        try:
            browser = fetch_by(
                within,
                url,
                "loading the page as a browser with credentialless",
                read_body=False,
                user_agent=CREDENTIALLESS_BROWSER,
            )
        except LOAD_ERRORS:
            browser = page
        _, browsers_embedder = _document_policy(browser.headers)
        if browsers_embedder != embedder and browsers_embedder in ISOLATING["embedder"]:
            report.note(
                where,
                f"{EMBEDDER} depends on the browser (Vary: User-Agent): {browsers_embedder} "
                f"for browsers that support it (Chromium, Firefox), {embedder} for the others "
                "(Safari); what the page embeds is checked for both",
            )
            embedder, others = browsers_embedder, embedder
    if worker is not None:
        report.add(worker.ok, worker.url, worker.detail)
    # What the browser will embed under this policy; on a page not isolated yet, what would be
    # blocked once it is (with the default policy): what to fix before turning it on.
    effective = embedder if headers_isolate else policy.DEFAULTS["embedder"]
    if by_worker and worker_embedder == policy.CREDENTIALLESS:
        # The worker gives credentialless only to browsers that support it (as the default
        # build's does), and the others its fallback.
        effective, others = policy.CREDENTIALLESS, policy.CREDENTIALLESS_FALLBACK
    elif by_worker and worker_embedder in ISOLATING["embedder"]:
        effective = worker_embedder
    blocked, others_blocked = _check_embeds(
        report, page, found.embeds, effective, within, max_resources, others
    )

    shown_page = shown(page.url)
    # Error pages and the login page carry the headers too; passing them would pass a check
    # that never reached the page it was asked about.
    not_the_page = ""
    if page.status >= 400:
        not_the_page = f"answered HTTP {page.status}"
    elif urllib.parse.urlsplit(page.url).path.endswith("/login"):
        not_the_page = "is the login page, not the page to check"
    if not_the_page:
        report.verdict = (
            f"{shown_page} {not_the_page}: check the URL (and its ?token=...), then check again"
        )
    elif headers_isolate and not blocked:
        report.isolated = True
        report.verdict = f"{shown_page} is cross-origin isolated by its headers"
        if others_blocked:
            report.verdict += (
                f"; in browsers without {policy.CREDENTIALLESS} (Safari), {others_blocked} "
                "resource(s) noted above would be blocked"
            )
    elif by_worker and not blocked:
        report.isolated = True
        report.verdict = (
            f"{shown_page} has no isolating headers; jupyter-coi's service worker "
            "isolates it from the second load on"
        )
        if others_blocked:
            report.verdict += (
                f"; in browsers without {policy.CREDENTIALLESS} (Safari), {others_blocked} "
                "resource(s) noted above would be blocked"
            )
    elif headers_isolate or by_worker:
        report.verdict = f"{blocked} resource(s) of the page would be blocked: see above"
    elif blocked:
        report.verdict = (
            f"{shown_page} is not sent with {policy.isolation_requirement()}; once it is, "
            f"{blocked} resource(s) above would be blocked too"
        )
    else:
        report.verdict = (
            f"{shown_page} is not sent with {policy.isolation_requirement()}, and has no "
            "jupyter-coi service worker"
        )
    return report


@dataclass(frozen=True)
class _WorkerSeen:
    """jupyter-coi's service worker as the check found it beside a page's reload script."""

    url: str
    ok: bool
    detail: str
    embedder: str  # the COEP it adds; empty when it is not jupyter-coi's


def _service_worker_beside(reload_script_url: str, deadline: Deadline) -> _WorkerSeen:
    """The page loads jupyter-coi's reload script: is the worker it registers beside it, at
    the site's root, and what COEP does it add?"""
    worker = urllib.parse.urljoin(reload_script_url, SERVICE_WORKER)
    try:
        r = fetch_by(deadline, worker, "loading the service worker")
    except LOAD_ERRORS as e:
        return _WorkerSeen(
            shown(worker), False, f"jupyter-coi's service worker cannot be loaded: {_why(e)}", ""
        )
    ok = r.status == 200 and WORKER_MARKER.encode() in r.body
    added = (rendered_headers(r.body.decode("utf-8", errors="replace")) or {}) if ok else {}
    worker_embedder = policy.token(str(added.get(EMBEDDER, "")))
    if worker_embedder == policy.CREDENTIALLESS:
        detail = (
            f"jupyter-coi's service worker, which adds the headers: {EMBEDDER}: "
            f"{policy.CREDENTIALLESS} for browsers that support it (Chromium, Firefox), "
            f"{policy.CREDENTIALLESS_FALLBACK} for the others (Safari)"
        )
    elif ok:
        detail = "jupyter-coi's service worker, which adds the headers" + (
            f": {EMBEDDER}: {worker_embedder}" if worker_embedder else ""
        )
    else:
        detail = f"HTTP {r.status}, not jupyter-coi's service worker: the page cannot be isolated"
    return _WorkerSeen(shown(worker), ok, detail, worker_embedder)
