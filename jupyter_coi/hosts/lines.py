"""Line formats with ``#`` comments: Netlify's (and Cloudflare Pages') ``_headers``, Apache's
``.htaccess``, an nginx include. Our headers live in a block between ``BEGIN`` and ``END``; all
that is outside it is the user's, kept byte for byte."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..policy import Policy
from .base import OUR_NAMES, HostFileConflict, HostFileError, HostFormat, canonical, compare

BEGIN = "# BEGIN jupyter-coi"
END = "# END jupyter-coi"
_BLOCK_NOTE = (
    "# Cross-origin isolation headers, written by jupyter-coi from its policy. Running it again\n"
    "# replaces this block: make changes outside it, or in jupyter-coi's settings.\n"
)
_QUOTED = r"(\"[^\"]*\"|'[^']*'|[^\s;]+)"


def _netlify_body(policy: Policy) -> str:
    lines = "".join(f"  {name}: {value}\n" for name, value in policy)
    return "/*\n" + lines


def _apache_body(policy: Policy) -> str:
    # `always`: without it Apache leaves the headers off errors and redirects, and a 404 or a
    # trailing-slash redirect that is not isolated is where a page stops being isolated.
    # The guard keeps a server without mod_headers from answering 500 to every request.
    lines = "".join(f'  Header always set {name} "{value}"\n' for name, value in policy)
    return "<IfModule mod_headers.c>\n" + lines + "</IfModule>\n"


def _nginx_body(policy: Policy) -> str:
    usage = (
        "# Use: `include /path/to/nginx-coi.conf;` inside the server { } block that serves the\n"
        "# site (or inside a location { }). nginx inherits add_header from the enclosing block\n"
        "# only into blocks that have no add_header of their own: a location { } with any\n"
        "# add_header must include this file again, or its responses go out without these.\n"
        "# `always` puts the headers on errors and redirects too, not only on 2xx and 3xx.\n"
    )
    lines = "".join(f'add_header {name} "{value}" always;\n' for name, value in policy)
    return usage + lines


def _unquote(value: str | None) -> str:
    if value is None:
        return "(unset)"  # Apache's `Header unset` takes no value
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


@dataclass
class _Split:
    """A file cut around our block; ``block`` is None when there is none."""

    before: str
    block: str | None
    after: str


def _split(text: str, path: Path) -> _Split:
    lines = text.splitlines(keepends=True)
    # Whole lines only: a comment of the user's may start the same way.
    begins = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == END]
    if not begins and not ends:
        return _Split(text, None, "")
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise HostFileError(
            f"{path}: jupyter-coi's block is damaged (expected one {BEGIN!r} line followed by one "
            f"{END!r} line). Delete the block, both marker lines included, and run again."
        )
    b, e = begins[0], ends[0]
    return _Split("".join(lines[:b]), "".join(lines[b : e + 1]), "".join(lines[e + 1 :]))


@dataclass(frozen=True)
class LineFormat(HostFormat):
    host: str
    file: str
    # Renders the lines that set the policy's headers (what goes inside the block).
    body: Callable[[Policy], str]
    # Matches a line that sets a header: group 1 the name, group 2 the value.
    setting: re.Pattern[str]
    # Other directives that set headers, as `Name: value` in each quoted argument (group 1 the
    # arguments): nginx's headers-more module.
    name_value_lists: re.Pattern[str] | None = None

    def settings(self, text: str) -> Iterator[tuple[str, str]]:
        """The (header, value) pairs that ``text`` sets for the policy's headers."""
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                continue
            match = self.setting.match(line)
            if match and _unquote(match.group(1)).lower() in OUR_NAMES:
                yield canonical(_unquote(match.group(1))), _unquote(match.group(2))
            listed = self.name_value_lists and self.name_value_lists.match(line)
            if listed:
                for argument in re.findall(_QUOTED, listed.group(1)):
                    name, colon, value = _unquote(argument).partition(":")
                    if colon and name.strip().lower() in OUR_NAMES:
                        yield canonical(name.strip()), value.strip()

    def block(self, policy: Policy) -> str:
        return f"{BEGIN}\n{_BLOCK_NOTE}{self.body(policy)}{END}\n"

    def merge(self, policy: Policy, path: Path, existing: str | None) -> str:
        block = self.block(policy)
        if existing is None:
            return block
        # The block's lines end as the user's do: a file all CRLF stays CRLF throughout.
        crlf = "\r\n" in existing and "\n" not in existing.replace("\r\n", "")
        eol = "\r\n" if crlf else "\n"
        block = block.replace("\n", eol)
        parts = _split(existing, path)
        # The same value outside our block is refused too: the host would send it twice, and
        # browsers read a repeated COOP or COEP as one invalid comma-joined value.
        setting = next(self.settings(parts.before + parts.after), None)
        if setting is not None:
            name, value = setting
            raise HostFileConflict(path, name, value, policy.headers()[name])
        if parts.block is not None:
            return parts.before + block + parts.after
        # A blank line sets our block apart from the user's last rule for whoever reads the file.
        before = existing if existing.endswith("\n") or not existing else existing + eol
        return before + (eol if before else "") + block

    def strip(self, path: Path, existing: str) -> str | None:
        parts = _split(existing, path)
        if parts.block is None:
            return existing
        before = parts.before
        # The blank line merge put before the block goes with it.
        for eol in ("\r\n", "\n"):
            if before.endswith(eol + eol):
                before = before[: -len(eol)]
                break
        rest = before + parts.after
        return rest if rest.strip() else None

    def check(self, policy: Policy, path: Path, text: str) -> list[str]:
        try:
            parts = _split(text, path)
        except HostFileError as e:
            return [str(e)]
        if parts.block is None:
            return [f"{path}: jupyter-coi's block ({BEGIN} ... {END}) is missing"]
        problems = [
            f"{path}: {name}: {value} is set outside jupyter-coi's block"
            for name, value in self.settings(parts.before + parts.after)
        ]
        return compare(path, dict(self.settings(parts.block)), policy) + problems


NETLIFY = LineFormat(
    "netlify",
    "_headers",
    _netlify_body,
    # Header lines are indented under their path; a path line may contain ':' (a URL).
    re.compile(r"^\s+([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*:\s*(.*?)\s*$"),
)
APACHE = LineFormat(
    "apache",
    ".htaccess",
    _apache_body,
    re.compile(
        r"^\s*Header\s+(?:(?:always|onsuccess)\s+)?"
        r"(?:set|append|add|merge|setifempty|unset|edit\*?)\s+(\S+)(?:\s+" + _QUOTED + ")?",
        re.IGNORECASE,
    ),
)
NGINX = LineFormat(
    "nginx",
    "nginx-coi.conf",
    _nginx_body,
    re.compile(r"^\s*add_header\s+" + _QUOTED + r"\s+" + _QUOTED, re.IGNORECASE),
    re.compile(r"^\s*more_set_headers\s+([^;]*)", re.IGNORECASE),
)
