"""The header policy of jupyter-coi: the one place that knows which headers make a page
cross-origin isolated, which values they may take, and which values isolate.

The server extension, the JupyterLite addon, the service worker, the host config files and
the indicator all take their header names and values from here. The labextension gets them
through ``labextension/src/policy.json``, which ``labextension/scripts/generate.py`` writes
from :func:`as_json`.

This module imports nothing from the rest of the package (nor anything outside the standard
library): everything else imports it, and it stays the root of the import graph.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

OPENER = "Cross-Origin-Opener-Policy"
EMBEDDER = "Cross-Origin-Embedder-Policy"
RESOURCE = "Cross-Origin-Resource-Policy"

HEADERS = {"opener": OPENER, "embedder": EMBEDDER, "resource": RESOURCE}

# The values that the rest of the package names in its own logic; the others are only listed
# in ALLOWED.
SAME_ORIGIN = "same-origin"
REQUIRE_CORP = "require-corp"
CREDENTIALLESS = "credentialless"
UNSAFE_NONE = "unsafe-none"
CROSS_ORIGIN = "cross-origin"

# Every value the specs define for each header, so that a deliberate choice (say, COOP
# `same-origin-allow-popups` for an app that must keep an OAuth popup) is not rejected.
ALLOWED = {
    "opener": (SAME_ORIGIN, "same-origin-allow-popups", "noopener-allow-popups", UNSAFE_NONE),
    "embedder": (REQUIRE_CORP, CREDENTIALLESS, UNSAFE_NONE),
    "resource": (SAME_ORIGIN, "same-site", CROSS_ORIGIN),
}

# A document is cross-origin isolated only with COOP `same-origin` and a COEP that embeds
# nothing without consent. CORP does not take part: it is what other origins' pages need
# from our responses to embed them.
ISOLATING = {
    "opener": (SAME_ORIGIN,),
    "embedder": (REQUIRE_CORP, CREDENTIALLESS),
}


# Report-only: the browser reports what the policy would block and blocks nothing. CORP has
# no report-only form.
REPORT_ONLY = {"opener": OPENER + "-Report-Only", "embedder": EMBEDDER + "-Report-Only"}

# Where browsers post violation reports (the Reporting API): the endpoint is named in
# ``Reporting-Endpoints`` and referred to by ``report-to`` in the COOP and COEP values.
REPORTING_ENDPOINTS = "Reporting-Endpoints"
REPORT_GROUP = "jupyter-coi"

# A per-document alternative to COOP + COEP (Chromium 137+): isolates the page without
# putting it in a browsing context group of its own. Sent only when asked for.
DOCUMENT_ISOLATION = "Document-Isolation-Policy"
DOCUMENT_ISOLATION_VALUES = ("isolate-and-require-corp", "isolate-and-credentialless", "none")

# Not a header value: the server gives each browser ``credentialless`` if it supports it,
# else ``require-corp`` (``credentialless_supported``).
EMBEDDER_AUTO = "auto"

# What each setting accepts: the header values, and ``auto`` for the embedder policy. Every
# refusal of a setting lists these, so a new value cannot be left out of the messages.
SETTING_VALUES = {**ALLOWED, "embedder": (*ALLOWED["embedder"], EMBEDDER_AUTO)}


def token(value: str) -> str:
    """A header's value without its parameters: ``require-corp; report-to="x"`` gives
    ``require-corp``. Case is kept: browsers parse these values as case-sensitive tokens, so
    ``Same-Origin`` isolates nothing."""
    return value.split(";")[0].strip()


def isolation_requirement() -> str:
    """What isolation takes, in words: for messages to users."""
    return " and ".join(
        f"{HEADERS[field]}: {' or '.join(values)}" for field, values in ISOLATING.items()
    )


# A Policy made with no values: one value each, which every browser understands alike.
DEFAULTS = {"opener": SAME_ORIGIN, "embedder": REQUIRE_CORP, "resource": SAME_ORIGIN}

# What every setting of the policy starts as, in the server, the JupyterLite addon and the Sphinx
# extension alike: COEP ``auto``, so that what notebooks embed from other sites (CDN scripts, map
# tiles, images) loads without cookies where the browser supports ``credentialless``, and
# ``require-corp`` isolates the others (Safari). The server answers each browser on its own;
# static hosts answer every browser alike, so they are given ``static_auto_embedder``'s value.
SETTING_DEFAULTS = {**DEFAULTS, "embedder": EMBEDDER_AUTO}


def static_auto_embedder(service_worker: bool) -> str:
    """The one COEP value that static hosts send every browser under ``auto``.

    ``credentialless`` when the site's service worker gives each browser its own value
    (``credentialless_rule``): the browsers that support it are isolated by the host's headers
    from the first load, and the others (Safari), which ignore it, by the worker's
    ``require-corp`` after one reload. Without that worker nothing could give them another value,
    so they get the fallback, the only value that isolates every browser.
    """
    return CREDENTIALLESS if service_worker else CREDENTIALLESS_FALLBACK


class PolicyError(ValueError):
    """A header value that the policy does not allow; ``field`` is one of ``HEADERS``' keys."""

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value
        self.allowed = ALLOWED[field]
        choices = ", ".join(repr(v) for v in self.allowed)
        super().__init__(f"{value!r} is not a valid {HEADERS[field]} value; allowed: {choices}")


def check(field: str, value: object) -> str:
    """Return ``value`` if ``field`` may take it, else raise :class:`PolicyError`."""
    if value not in ALLOWED[field]:
        raise PolicyError(field, value)
    return value


@dataclass(frozen=True)
class Policy:
    """The three header values to send; invalid values cannot be constructed."""

    opener: str = DEFAULTS["opener"]
    embedder: str = DEFAULTS["embedder"]
    resource: str = DEFAULTS["resource"]

    def __post_init__(self) -> None:
        for field in HEADERS:
            check(field, getattr(self, field))

    @property
    def isolates(self) -> bool:
        """Whether a document served with this policy is cross-origin isolated."""
        return all(getattr(self, field) in values for field, values in ISOLATING.items())

    def headers(self) -> dict[str, str]:
        return {HEADERS[field]: getattr(self, field) for field in HEADERS}

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.headers().items())

    def describe(self) -> str:
        return ", ".join(f"{name}: {value}" for name, value in self)


# Which browsers honour COEP ``credentialless``, by the product token in their User-Agent and
# the first version that does. Not on iOS, where every browser is WebKit whatever it calls itself.
# A page given ``credentialless`` by a browser without it is not isolated at all (Safari, and
# WebKitGTK as the tests show), so those get the fallback, which every isolating browser honours.
# The server (``auto``) and the service worker (rendered with these as data) both follow it.
CREDENTIALLESS_SINCE = {"Chrome": 96, "Chromium": 96, "Firefox": 119}
CREDENTIALLESS_NEVER = r"iPhone|iPad|iPod|CriOS|FxiOS|EdgiOS"
CREDENTIALLESS_FALLBACK = REQUIRE_CORP


def credentialless_rule() -> dict:
    """The rule above as data, for the parts that are not Python (the service worker)."""
    return {
        "header": EMBEDDER,
        "value": CREDENTIALLESS,
        "since": CREDENTIALLESS_SINCE,
        "never": CREDENTIALLESS_NEVER,
        "fallback": CREDENTIALLESS_FALLBACK,
    }


def credentialless_supported(user_agent: str) -> bool:
    """Whether a browser honours COEP ``credentialless``, from its User-Agent (the first product
    token of ``CREDENTIALLESS_SINCE`` found decides); anything unknown does not."""
    if re.search(CREDENTIALLESS_NEVER, user_agent):
        return False
    for product, first in CREDENTIALLESS_SINCE.items():
        match = re.search(rf"{product}/(\d+)", user_agent)
        if match:
            return int(match.group(1)) >= first
    return False


def with_report_to(value: str) -> str:
    return f'{value}; report-to="{REPORT_GROUP}"'


def response_headers(
    chosen: Policy,
    *,
    report_only: bool = False,
    report_url: str | None = None,
    document_isolation: str = "",
) -> dict[str, str]:
    """The headers a server sends for ``chosen``: enforced, or as report-only (then without
    CORP, so that nothing changes for anyone), with ``report-to`` when ``report_url`` is given,
    and ``Document-Isolation-Policy`` when asked for."""
    names = REPORT_ONLY if report_only else HEADERS
    headers = {}
    for field, name in names.items():
        value = getattr(chosen, field)
        if report_url and field in REPORT_ONLY:
            value = with_report_to(value)
        headers[name] = value
    if report_url:
        headers[REPORTING_ENDPOINTS] = f'{REPORT_GROUP}="{report_url}"'
    if document_isolation:
        if document_isolation not in DOCUMENT_ISOLATION_VALUES:
            raise ValueError(
                f"{document_isolation!r} is not a valid {DOCUMENT_ISOLATION} value; allowed: "
                + ", ".join(repr(v) for v in DOCUMENT_ISOLATION_VALUES)
            )
        headers[DOCUMENT_ISOLATION] = (
            with_report_to(document_isolation) if report_url else document_isolation
        )
    return headers


def as_json() -> dict:
    """The policy's rules as data, for the parts of the project that are not Python."""
    return {
        "headers": HEADERS,
        "allowed": {k: list(v) for k, v in ALLOWED.items()},
        "isolating": {k: list(v) for k, v in ISOLATING.items()},
        "defaults": DEFAULTS,
        "settingDefaults": SETTING_DEFAULTS,
        # The CORP value by which a resource lets pages of any site embed it under require-corp.
        "resourceConsent": CROSS_ORIGIN,
        "credentialless": credentialless_rule(),
    }


def render_json() -> str:
    return json.dumps(as_json(), indent=2) + "\n"
