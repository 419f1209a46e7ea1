"""The violation-report endpoint: browsers post COEP and COOP reports (the Reporting API) to
``{base_url}api/coi/reports/{key}``; each blocked resource is logged once, and a bounded list of
them is kept for the indicator's dialog (``GET {base_url}api/coi/reports``, for logged-in users).

Browsers post reports without cookies, so ``POST`` cannot ask for a login. What stands in for
one: the key in the path is random, made at each start, and only the server's own responses
name it (``Reporting-Endpoints``), so a poster must first have loaded a page of this server.
Whoever can, can post; hence the limits: one content type, a size cap, a shape check, a rate
limit per client, a bounded list and bounded strings, and answers that never repeat what was
posted. A client that posts many made-up reports cannot crowd out another's: when the list is
full, the client holding the most entries gives up its oldest. The list says which reports came
from the address that asks for it; the dialog vouches only for those.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from tornado import web

from .utils import shown

FuncT = TypeVar("FuncT", bound=Callable[..., Any])

try:
    from jupyter_server.auth.decorator import allow_unauthenticated
except ImportError:  # jupyter_server < 2.13: a handler without @web.authenticated is open

    def allow_unauthenticated(method: FuncT) -> FuncT:
        return method


CONTENT_TYPE = "application/reports+json"
MAX_BODY_BYTES = 64 * 1024
MAX_REPORTS_PER_POST = 100
MAX_KEPT = 100
MAX_TEXT = 500
# Posts per second from one client, and how many may come at once: a page load that trips many
# resources posts a few batches; a flood is turned away with 429 before any parsing, and only
# the flooding client is.
RATE_PER_SECOND = 20.0
BURST = 60
# Clients whose rate is tracked; past it, the one heard from longest ago is forgotten.
MAX_CLIENTS = 1024

KINDS = ("coep", "coop")
# Where a report names what was blocked: COEP's blockedURL; COOP's other document.
BLOCKED_FIELDS = (
    "blockedURL",
    "nextResponseURL",
    "previousResponseURL",
    "openerURL",
    "openeeURL",
    "otherDocumentURL",
)


class BadReport(ValueError):
    """A post that is not what browsers send; the message is ours, never the input."""


@dataclass
class ViolationReport:
    kind: str
    disposition: str
    reason: str
    destination: str
    blocked: str
    page: str
    count: int
    first_seen: float
    # Who posted it first (the client's address); never listed, only compared.
    poster: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        return (self.kind, self.disposition, self.reason, self.destination, self.blocked)

    def describe(self) -> str:
        verb = "would block" if self.disposition == "reporting" else "blocked"
        what = " ".join(filter(None, (self.destination, self.blocked or "(no URL)")))
        return (
            f"{self.kind.upper()} {verb} {what} ({self.reason or 'no reason given'}) on {self.page}"
        )


def _text(value: object) -> str:
    """A string from a report, safe to log and to keep: printable, bounded, no token."""
    if not isinstance(value, str):
        return ""
    # Every character that is not printable (controls, format characters such as U+202E that
    # turn text around, line and paragraph separators): a log line shows what was posted, as
    # it was posted, on one line.
    return shown("".join(c if c.isprintable() else "?" for c in value[:MAX_TEXT]))


def _inherits_policy(url: str) -> bool:
    """A worker from a blob: or data: URL takes the page's own COEP, so enforcing never blocks
    it; yet Chromium reports one in report-only mode ("worker initialization"), as it did for
    the indicator's own probe worker here. Not worth a line in the list."""
    return url.startswith(("blob:", "data:"))


def new_key() -> str:
    """The random part of the path that reports are posted to."""
    return secrets.token_urlsafe(18)


def parse(body: bytes, poster: str = "") -> list[ViolationReport]:
    """The COEP and COOP reports in a posted body; other report types are skipped."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadReport("the body is not JSON") from None
    if not isinstance(data, list):
        raise BadReport("the body is not a list of reports")
    if len(data) > MAX_REPORTS_PER_POST:
        raise BadReport(f"more than {MAX_REPORTS_PER_POST} reports in one post")
    now = time.time()
    reports = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("body"), dict):
            raise BadReport("a report is not an object with a body")
        if item.get("type") not in KINDS:
            continue
        body_ = item["body"]
        blocked = next((body_[f] for f in BLOCKED_FIELDS if isinstance(body_.get(f), str)), "")
        if _inherits_policy(blocked):
            continue
        reports.append(
            ViolationReport(
                kind=item["type"],
                disposition="reporting" if body_.get("disposition") == "reporting" else "enforce",
                reason=_text(body_.get("type")),
                destination=_text(body_.get("destination")),
                blocked=_text(blocked),
                page=_text(item.get("url")),
                count=1,
                first_seen=now,
                poster=poster,
            )
        )
    return reports


class ReportStore:
    """Distinct reports, at most ``limit``: a repeat counts; a new one past the limit takes the
    place of the oldest entry of the client that holds the most, so one client's made-up
    reports push out only its own. Memory is bounded by the limit and the string cap."""

    def __init__(self, limit: int = MAX_KEPT) -> None:
        self.limit = limit
        self.reports: dict[tuple[str, ...], ViolationReport] = {}
        self.dropped = 0

    def add(self, report: ViolationReport) -> bool:
        """Keep ``report``; True when it should be logged: it is new, and did not take the
        place of one from its own client (a client replacing its own is flooding, and its log
        lines would be bounded only by the rate limit)."""
        kept = self.reports.get(report.key)
        if kept is not None:
            kept.count += 1
            return False
        replaced_own = False
        if len(self.reports) >= self.limit:
            most = Counter(r.poster for r in self.reports.values()).most_common(1)[0][0]
            # Reports are kept in the order they came: the first of that client's is its oldest.
            oldest = next(k for k, r in self.reports.items() if r.poster == most)
            del self.reports[oldest]
            self.dropped += 1
            replaced_own = most == report.poster
        self.reports[report.key] = report
        return not replaced_own

    def as_json(self, viewer: str | None = None) -> dict[str, Any]:
        """The list, each report marked with whether ``viewer``'s address posted it."""
        listed = []
        for report in self.reports.values():
            entry = asdict(report)
            entry["from_viewer"] = entry.pop("poster") == viewer
            listed.append(entry)
        return {"reports": listed, "dropped": self.dropped}


class RateLimit:
    """One token bucket per client, for at most ``clients`` clients: a flood from one address
    is turned away without turning away the others; memory is bounded whoever posts."""

    def __init__(
        self, rate: float = RATE_PER_SECOND, burst: int = BURST, clients: int = MAX_CLIENTS
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clients = clients
        # client -> (tokens, when last topped up)
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str = "") -> bool:
        now = time.monotonic()
        tokens, last = self.buckets.pop(client, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self.buckets[client] = (tokens - 1 if allowed else tokens, now)
        if len(self.buckets) > self.clients:
            self.buckets.popitem(last=False)
        return allowed


@web.stream_request_body
class ReportsHandler(APIHandler):
    """``POST`` takes reports from browsers, at the path with the key (``takes_posts``);
    ``GET`` lists them for a logged-in user (an API: without a login, ``@web.authenticated``
    answers 403, not a redirect to the login page)."""

    def initialize(
        self,
        store: ReportStore,
        limit: RateLimit,
        reporting: bool,
        mode: str,
        log_prefix: str,
        takes_posts: bool = False,
    ) -> None:
        self.takes_posts = takes_posts
        self.store = store
        self.limit = limit
        self.reporting = reporting
        self.mode = mode
        self.log_prefix = log_prefix
        self.body = bytearray()
        self.too_large = False

    def check_xsrf_cookie(self) -> None:
        # Browsers post reports with no cookie and no XSRF token: nothing to check, and
        # the post can change nothing but the list.
        return

    async def prepare(self) -> None:  # type: ignore[override]  # as APIHandler.prepare
        await super().prepare()
        if self.request.method != "POST":
            return
        if not (self.reporting and self.takes_posts):
            raise web.HTTPError(404)
        if not self.limit.allow(self.client):
            self.set_header("Retry-After", "1")
            raise web.HTTPError(429)
        media_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type != CONTENT_TYPE:
            raise web.HTTPError(415)
        declared = self.request.headers.get("Content-Length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            raise web.HTTPError(413)

    @property
    def client(self) -> str:
        return self.request.remote_ip or ""

    def data_received(self, chunk: bytes) -> None:
        # A body sent in chunks has no Content-Length to refuse early: stop keeping it at the
        # cap, and refuse it once it has arrived.
        if self.too_large or len(self.body) + len(chunk) > MAX_BODY_BYTES:
            self.too_large = True
            return
        self.body.extend(chunk)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # A bare status: no page, no input repeated.
        self.finish()

    @allow_unauthenticated
    def post(self) -> None:
        if self.too_large:
            raise web.HTTPError(413)
        try:
            reports = parse(bytes(self.body), self.client)
        except BadReport as e:
            self.log.debug("%s report refused: %s", self.log_prefix, e)
            raise web.HTTPError(400) from None
        for report in reports:
            dropped = self.store.dropped
            if self.store.add(report):
                self.log.warning("%s %s", self.log_prefix, report.describe())
            if dropped == 0 and self.store.dropped == 1:
                self.log.warning(
                    "%s %d distinct violation reports kept: each new one now replaces the oldest "
                    "of the client that posted the most",
                    self.log_prefix,
                    self.store.limit,
                )
        self.set_status(204)
        self.finish()

    @web.authenticated
    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(
            json.dumps(
                {
                    "reporting": self.reporting,
                    "mode": self.mode,
                    **self.store.as_json(viewer=self.client),
                }
            )
        )
