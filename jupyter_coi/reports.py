"""The violation-report endpoint: browsers post COEP and COOP reports (the Reporting API) to
``{base_url}api/coi/reports``; each blocked resource is logged once, and a bounded list of them
is kept for the indicator's dialog (``GET``, for logged-in users).

Browsers post reports without cookies, so ``POST`` cannot ask for a login: anyone who can reach
the server can post. Hence the limits: one content type, a size cap, a shape check, a rate
limit, a bounded list and bounded strings, and answers that never repeat what was posted.
"""

from __future__ import annotations

import json
import time
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
# Posts per second, and how many may come at once: a page load that trips many resources
# posts a few batches; a flood is turned away with 429 before any parsing.
RATE_PER_SECOND = 20.0
BURST = 60

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
class Report:
    kind: str
    disposition: str
    reason: str
    destination: str
    blocked: str
    page: str
    count: int
    first_seen: float

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


def parse(body: bytes) -> list[Report]:
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
            Report(
                kind=item["type"],
                disposition="reporting" if body_.get("disposition") == "reporting" else "enforce",
                reason=_text(body_.get("type")),
                destination=_text(body_.get("destination")),
                blocked=_text(blocked),
                page=_text(item.get("url")),
                count=1,
                first_seen=now,
            )
        )
    return reports


class ReportStore:
    """Distinct reports, at most ``limit``: a repeat counts, a new one past the limit is
    counted as dropped. Memory is bounded by the limit and the string cap."""

    def __init__(self, limit: int = MAX_KEPT) -> None:
        self.limit = limit
        self.reports: dict[tuple[str, ...], Report] = {}
        self.dropped = 0

    def add(self, report: Report) -> bool:
        """Keep ``report``; True when it is new (and should be logged)."""
        kept = self.reports.get(report.key)
        if kept is not None:
            kept.count += 1
            return False
        if len(self.reports) >= self.limit:
            self.dropped += 1
            return False
        self.reports[report.key] = report
        return True

    def as_json(self) -> dict[str, Any]:
        return {"reports": [asdict(r) for r in self.reports.values()], "dropped": self.dropped}


class RateLimit:
    """A token bucket shared by all posters: bounded memory whoever posts."""

    def __init__(self, rate: float = RATE_PER_SECOND, burst: int = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@web.stream_request_body
class ReportsHandler(APIHandler):
    """``POST`` takes reports from browsers; ``GET`` lists them for a logged-in user (an API:
    without a login, ``@web.authenticated`` answers 403, not a redirect to the login page)."""

    def initialize(
        self, store: ReportStore, limit: RateLimit, reporting: bool, mode: str, log_prefix: str
    ) -> None:
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
        if not self.reporting:
            raise web.HTTPError(404)
        if not self.limit.allow():
            self.set_header("Retry-After", "1")
            raise web.HTTPError(429)
        media_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type != CONTENT_TYPE:
            raise web.HTTPError(415)
        declared = self.request.headers.get("Content-Length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            raise web.HTTPError(413)

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
            reports = parse(bytes(self.body))
        except BadReport as e:
            self.log.debug("%s report refused: %s", self.log_prefix, e)
            raise web.HTTPError(400) from None
        for report in reports:
            dropped = self.store.dropped
            if self.store.add(report):
                self.log.warning("%s %s", self.log_prefix, report.describe())
            elif dropped == 0 and self.store.dropped == 1:
                self.log.warning(
                    "%s %d distinct violation reports kept: later new ones are counted, not kept "
                    "or logged",
                    self.log_prefix,
                    self.store.limit,
                )
        self.set_status(204)
        self.finish()

    @web.authenticated
    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish(
            json.dumps({"reporting": self.reporting, "mode": self.mode, **self.store.as_json()})
        )
