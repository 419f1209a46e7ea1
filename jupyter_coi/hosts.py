"""Host config files that make a static site (a JupyterLite build) cross-origin isolated.

A static host has no jupyter-coi running on it: the only way to get the headers onto its
responses is the host's own config file, shipped in the site folder. This module renders those
files from a :class:`~jupyter_coi.policy.Policy`, writes them without clobbering the user's own,
and checks a built site.

What happens when the site folder already holds the user's file:

- ``_headers``, ``.htaccess``, ``nginx-coi.conf`` (line formats with ``#`` comments): our
  headers live in a block between ``# BEGIN jupyter-coi`` and ``# END jupyter-coi``. A file
  without that block gets it appended; a file with it gets the block replaced, so running again
  never duplicates it. Everything outside the block is kept byte for byte.
- ``vercel.json``, ``firebase.json`` (JSON has no comments to mark a block with): our rule, for
  every path (``/(.*)``, ``**``) with the three headers and nothing else, is merged into the
  user's ``headers`` list, last, and every other key and rule is kept. Its shape is how we know
  it again: running again updates that rule (a changed policy) or, with nothing to change,
  leaves the file untouched.

Either way, a user's file that already sets one of the three headers differently is refused with
:class:`HostFileConflict` and left as it was. Line formats also refuse the same value set outside
our block: Cloudflare Pages, Netlify and nginx would then send the header twice (Apache's
``Header set`` and ``Header always set`` keep separate tables, so it may too), browsers read a
repeated COOP or COEP as one comma-joined value, which is invalid, and the page is not isolated.
Vercel and Firebase let the last matching rule win, so there the same value is harmless.

Standard library only: the JupyterLite addon and build scripts call it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .policy import HEADERS, Policy

HOST_FILES: dict[str, str] = {
    "netlify": "_headers",
    "vercel": "vercel.json",
    "apache": ".htaccess",
    "nginx": "nginx-coi.conf",
    "firebase": "firebase.json",
}

BEGIN = "# BEGIN jupyter-coi"
END = "# END jupyter-coi"
_BLOCK_NOTE = (
    "# Cross-origin isolation headers, written by jupyter-coi from its policy. Running it again\n"
    "# replaces this block: make changes outside it, or in jupyter-coi's settings.\n"
)

_OUR_NAMES = {name.lower() for name in HEADERS.values()}


class HostFileError(Exception):
    """A host file in the site folder that jupyter-coi cannot read or update safely."""


class HostFileConflict(HostFileError):
    """The user's host file sets one of the policy's headers itself; nothing was written."""

    def __init__(self, path: Path, header: str, found: str, wanted: str) -> None:
        self.path = Path(path)
        self.header = header
        self.found = found
        self.wanted = wanted
        super().__init__(f"{self.path}: {self._problem()}. The file was left unchanged.")

    def _problem(self) -> str:
        remove = f"remove it from {self.path.name} (jupyter-coi writes the header itself)"
        if self.found == self.wanted:
            return (
                f"{self.header}: {self.found} is already set there, outside jupyter-coi's "
                f"block, and jupyter-coi sets {self.header}: {self.wanted} too; the host would "
                f"send the header twice, which browsers read as one invalid value. To fix, {remove}"
            )
        return (
            f"{self.header} is set to {self.found!r} there, but jupyter-coi's policy says "
            f"{self.wanted!r}. To fix, {remove}, or set jupyter-coi's policy to "
            f"{self.header}: {self.found} if that value is what you want"
        )


def _host(host: str) -> str:
    if host not in HOST_FILES:
        raise ValueError(f"unknown host {host!r}; choose one of {', '.join(HOST_FILES)}")
    return host


# --- line formats: _headers, .htaccess, nginx ------------------------------------------------


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


_QUOTED = r"(\"[^\"]*\"|'[^']*'|[^\s;]+)"
_SETTING_PATTERNS = {
    # Header lines are indented under their path; a path line may contain ':' (a URL).
    "netlify": re.compile(r"^\s+([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*:\s*(.*?)\s*$"),
    "apache": re.compile(
        r"^\s*Header\s+(?:(?:always|onsuccess)\s+)?"
        r"(?:set|append|add|merge|setifempty|unset|edit\*?)\s+(\S+)(?:\s+" + _QUOTED + ")?",
        re.IGNORECASE,
    ),
    "nginx": re.compile(r"^\s*add_header\s+" + _QUOTED + r"\s+" + _QUOTED, re.IGNORECASE),
}
_BODIES: dict[str, Callable[[Policy], str]] = {
    "netlify": _netlify_body,
    "apache": _apache_body,
    "nginx": _nginx_body,
}


def _unquote(value: str | None) -> str:
    if value is None:
        return "(unset)"  # Apache's `Header unset` takes no value
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _settings(host: str, text: str) -> Iterator[tuple[str, str]]:
    """The (header, value) pairs that ``text`` sets for the policy's headers."""
    pattern = _SETTING_PATTERNS[host]
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = pattern.match(line)
        if match and _unquote(match.group(1)).lower() in _OUR_NAMES:
            yield _canonical(_unquote(match.group(1))), _unquote(match.group(2))


def _canonical(name: str) -> str:
    return next(n for n in HEADERS.values() if n.lower() == name.lower())


def _render_block(host: str, policy: Policy) -> str:
    return f"{BEGIN}\n{_BLOCK_NOTE}{_BODIES[host](policy)}{END}\n"


@dataclass
class _Split:
    """A line-format file cut around our block; ``block`` is None when there is none."""

    before: str
    block: str | None
    after: str


def _split(text: str, path: Path) -> _Split:
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.startswith(BEGIN)]
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


def _refuse_user_settings(host: str, text: str, policy: Policy, path: Path) -> None:
    setting = next(_settings(host, text), None)
    if setting is not None:
        name, value = setting
        raise HostFileConflict(path, name, value, policy.headers()[name])


def _merge_lines(host: str, policy: Policy, path: Path, existing: str | None) -> str:
    block = _render_block(host, policy)
    if existing is None:
        return block
    parts = _split(existing, path)
    _refuse_user_settings(host, parts.before + parts.after, policy, path)
    if parts.block is not None:
        return parts.before + block + parts.after
    # A blank line sets our block apart from the user's last rule for whoever reads the file.
    before = existing if existing.endswith("\n") or not existing else existing + "\n"
    return before + ("\n" if before else "") + block


def _check_lines(host: str, policy: Policy, path: Path, text: str) -> list[str]:
    try:
        parts = _split(text, path)
    except HostFileError as e:
        return [str(e)]
    if parts.block is None:
        return [f"{path}: jupyter-coi's block ({BEGIN} ... {END}) is missing"]
    problems = [
        f"{path}: {name}: {value} is set outside jupyter-coi's block"
        for name, value in _settings(host, parts.before + parts.after)
    ]
    return _compare(path, dict(_settings(host, parts.block)), policy) + problems


def _compare(path: Path, found: dict[str, str], policy: Policy) -> list[str]:
    problems = []
    for name, wanted in policy:
        if name not in found:
            problems.append(f"{path}: {name} is not set (the policy says {wanted!r})")
        elif found[name] != wanted:
            problems.append(f"{path}: {name} is {found[name]!r}, the policy says {wanted!r}")
    return problems


# --- JSON formats: vercel.json, firebase.json ------------------------------------------------

# The rule source that matches every path, in each host's pattern syntax.
_EVERY_PATH = {"vercel": "/(.*)", "firebase": "**"}
# Firebase needs `public`; the file sits in the site folder, so the site is `.`. The ignore list
# is what `firebase init` writes: the config itself and dotfiles are not published.
_FIREBASE_NEW_HOSTING = {"public": ".", "ignore": ["firebase.json", "**/.*", "**/node_modules/**"]}


def _new_json(host: str) -> dict:
    if host == "firebase":
        return {"hosting": dict(_FIREBASE_NEW_HOSTING)}
    return {}


def _holders(host: str, doc: object, path: Path, create: bool) -> list[dict]:
    """The objects that hold a ``headers`` rule list: Vercel's top level, or each of
    Firebase's hosting entries (``hosting`` may be a list, one per site)."""
    if not isinstance(doc, dict):
        kind = type(doc).__name__
        raise HostFileError(f"{path}: expected a JSON object at the top, found {kind}")
    if host != "firebase":
        return [doc]
    if "hosting" not in doc and create:
        doc["hosting"] = dict(_FIREBASE_NEW_HOSTING)
    hosting = doc.get("hosting", [])
    holders = hosting if isinstance(hosting, list) else [hosting]
    if not all(isinstance(h, dict) for h in holders):
        raise HostFileError(f"{path}: `hosting` must be an object or a list of objects")
    return holders


def _rules(holder: dict, path: Path, create: bool) -> list[dict]:
    if "headers" not in holder and create:
        holder["headers"] = []
    rules = holder.get("headers", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise HostFileError(f"{path}: `headers` must be a list of rule objects")
    return rules


def _entries(rule: dict) -> list:
    entries = rule.get("headers", [])
    return entries if isinstance(entries, list) else []


def _key(entry: object) -> str:
    return str(entry.get("key", "")).lower() if isinstance(entry, dict) else ""


def _is_ours(host: str, rule: dict) -> bool:
    """Our rule is the one we write: every path, the three headers, nothing else. JSON has no
    comment to mark it with, and both hosts reject unknown keys in a rule, so its shape is the
    mark. A user rule of exactly that shape says what ours says, and follows the policy."""
    keys = sorted(_key(e) for e in _entries(rule))
    return (
        set(rule) == {"source", "headers"}
        and rule["source"] == _EVERY_PATH[host]
        and keys == sorted(_OUR_NAMES)
        and all(set(e) == {"key", "value"} for e in _entries(rule))
    )


def _user_settings(host: str, rules: list[dict]) -> Iterator[tuple[dict, str, object]]:
    """(rule, header, value) for every header of ours that a rule not ours sets."""
    for rule in rules:
        if _is_ours(host, rule):
            continue
        for entry in _entries(rule):
            if _key(entry) in _OUR_NAMES:
                yield rule, _canonical(entry["key"]), entry.get("value")


def _our_rule(host: str, policy: Policy) -> dict:
    return {
        "source": _EVERY_PATH[host],
        "headers": [{"key": name, "value": value} for name, value in policy],
    }


def _merge_rules(host: str, rules: list[dict], policy: Policy, path: Path) -> None:
    # Vercel and Firebase apply the last matching rule for a header, so the same value set
    # by the user's rule too is harmless; a different one is the user's choice against ours.
    wanted = policy.headers()
    for _, name, value in _user_settings(host, rules):
        if value != wanted[name]:
            raise HostFileConflict(path, name, str(value), wanted[name])
    ours = [i for i, rule in enumerate(rules) if _is_ours(host, rule)]
    if ours:
        rules[ours[0]] = _our_rule(host, policy)
    else:
        rules.append(_our_rule(host, policy))


def _load_json(text: str, path: Path) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise HostFileError(
            f"{path} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}); "
            "jupyter-coi merges its headers into it and needs to read it. Fix the file, or "
            "remove it to have jupyter-coi write a new one."
        ) from None


def _merge_json(host: str, policy: Policy, path: Path, existing: str | None) -> str:
    doc = _new_json(host) if existing is None else _load_json(existing, path)
    for holder in _holders(host, doc, path, create=True):
        _merge_rules(host, _rules(holder, path, create=True), policy, path)
    if existing is not None and doc == json.loads(existing):
        return existing  # nothing to change: keep the user's formatting
    return json.dumps(doc, indent=2) + "\n"


def _check_json(host: str, policy: Policy, path: Path, text: str) -> list[str]:
    try:
        holders = _holders(host, _load_json(text, path), path, create=False)
        rule_lists = [_rules(holder, path, create=False) for holder in holders]
    except HostFileError as e:
        return [str(e)]
    if not rule_lists:
        return [f"{path}: no `hosting` entry, so no headers"]
    return [p for rules in rule_lists for p in _check_rules(host, rules, policy, path)]


def _check_rules(host: str, rules: list[dict], policy: Policy, path: Path) -> list[str]:
    wanted = policy.headers()
    problems = [
        f"{path}: {name} is {value!r} for {rule.get('source')!r}, the policy says {wanted[name]!r}"
        for rule, name, value in _user_settings(host, rules)
        if value != wanted[name]
    ]
    ours = [rule for rule in rules if _is_ours(host, rule)]
    if not ours:
        missing = f"{path}: jupyter-coi's rule (source {_EVERY_PATH[host]!r}, the three headers)"
        return [f"{missing} is missing", *problems]
    found = {_canonical(e["key"]): e["value"] for e in _entries(ours[0])}
    return _compare(path, found, policy) + problems


# --- the API ---------------------------------------------------------------------------------


def _is_json(host: str) -> bool:
    return HOST_FILES[host].endswith(".json")


def render(host: str, policy: Policy) -> str:
    """The text of ``host``'s config file, setting the policy's headers for every path."""
    if _is_json(_host(host)):
        return _merge_json(host, policy, Path(HOST_FILES[host]), None)
    return _render_block(host, policy)


def _merged(host: str, policy: Policy, path: Path, existing: str | None) -> str:
    if _is_json(host):
        return _merge_json(host, policy, path, existing)
    return _merge_lines(host, policy, path, existing)


def _read(path: Path) -> str | None:
    try:
        # newline="": a user's CRLF file must come back with CRLF outside our block
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as e:
        raise HostFileError(f"{path}: not UTF-8 text ({e.reason}); left unchanged") from None


def _atomic_write(path: Path, text: str) -> None:
    # A reader (a web server, a deploy upload) sees the old file or the new one, never half.
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file 0600; a web server running as another user could not read it.
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(host: str, policy: Policy, site_dir: Path) -> Path:
    """Write ``host``'s config file into ``site_dir``; return its path.

    An existing file is updated, never replaced: see the module docstring for how (a marked
    block in line formats, a merged rule in JSON). A file that sets one of the headers itself
    raises :class:`HostFileConflict`; one that cannot be read safely, :class:`HostFileError`.
    Either way the file is left byte for byte as it was. A file that already says what we
    would write is not rewritten.
    """
    path = Path(site_dir) / HOST_FILES[_host(host)]
    existing = _read(path)
    text = _merged(host, policy, path, existing)
    if text != existing:
        _atomic_write(path, text)
    return path


def check(host: str, policy: Policy, site_dir: Path) -> list[str]:
    """Problems with ``host``'s config file in a built site, in words; empty when it is right."""
    path = Path(site_dir) / HOST_FILES[_host(host)]
    try:
        text = _read(path)
    except HostFileError as e:
        return [str(e)]
    if text is None:
        return [f"{path} is missing: the {host} host would serve the site without the headers"]
    if _is_json(host):
        return _check_json(host, policy, path, text)
    return _check_lines(host, policy, path, text)
