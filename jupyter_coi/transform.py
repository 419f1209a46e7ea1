"""The Tornado output transform that puts the policy's headers on every response.

An output transform sees the first chunk of every response that a ``RequestHandler`` writes,
whichever handler it is: pages, static files, the REST API, redirects, error pages, ``HEAD``,
``304 Not Modified``, websocket upgrades (``101``) and what jupyter-server-proxy relays. That
is why jupyter-coi hooks in here rather than in ``tornado_settings["headers"]``, which only
``JupyterHandler`` subclasses read (redirect and public static handlers do not).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from re import Pattern

from tornado.httputil import HTTPHeaders, HTTPServerRequest
from tornado.web import OutputTransform

from . import policy
from .config import exclusion_pattern


class IsolationTransform(OutputTransform):
    """Adds the headers that a response does not already have.

    Set-if-absent: a value that a handler, an extension or the user (through
    ``tornado_settings["headers"]``) chose wins over the policy's.
    """

    headers: tuple[tuple[str, str], ...] = ()
    # Under COEP ``auto``: the headers for browsers without ``credentialless``.
    fallback: tuple[tuple[str, str], ...] | None = None
    base_url: str = "/"
    excluded: Pattern[str] | None = None

    def __init__(self, request: HTTPServerRequest) -> None:
        self.apply = not self.is_excluded(request.path)
        self.chosen = self.headers
        if self.fallback is not None:
            supported = _credentialless_supported(request.headers.get("User-Agent", ""))
            self.chosen = self.headers if supported else self.fallback

    @classmethod
    def is_excluded(cls, path: str) -> bool:
        if cls.excluded is None:
            return False
        if path.startswith(cls.base_url):
            path = "/" + path[len(cls.base_url) :]
        return cls.excluded.match(path) is not None

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        if self.apply:
            for name, value in self.chosen:
                if name not in headers:
                    headers[name] = value
            if self.fallback is not None:
                # The answer depends on the browser: caches must not hand one to another.
                headers.add("Vary", "User-Agent")
        return status_code, headers, chunk


# A server sees few distinct User-Agent strings; each is parsed once.
_credentialless_supported = lru_cache(maxsize=256)(policy.credentialless_supported)


def make_transform(
    headers: Iterable[tuple[str, str]],
    base_url: str = "/",
    excluded: Iterable[str] = (),
    fallback: Iterable[tuple[str, str]] | None = None,
) -> type[IsolationTransform]:
    """A transform class bound to one server's headers, base URL and excluded paths; with
    ``fallback``, the headers for browsers that do not support COEP ``credentialless``.

    Tornado instantiates transforms per request from a class, so the configuration lives on a
    subclass made for this server rather than in module globals.
    """
    # Checked when the settings were read: here it cannot fail.
    combined = exclusion_pattern(list(excluded))
    if not base_url.endswith("/"):
        base_url += "/"
    return type(
        "CrossOriginIsolationTransform",
        (IsolationTransform,),
        {
            "headers": tuple(headers),
            "fallback": None if fallback is None else tuple(fallback),
            "base_url": base_url,
            "excluded": combined,
        },
    )
