"""JSON formats: ``vercel.json`` and ``firebase.json``. JSON has no comments to mark a block
with, so our rule (every path, the three headers, nothing else) is merged into the user's
``headers`` list, and its shape is how it is found again."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..policy import Policy
from .base import OUR_NAMES, HostFileConflict, HostFileError, HostFormat, canonical, compare

# Firebase needs `public`; the file sits in the site folder, so the site is `.`. The ignore list
# is what `firebase init` writes: the config itself and dotfiles are not published.
_FIREBASE_NEW_HOSTING = {"public": ".", "ignore": ["firebase.json", "**/.*", "**/node_modules/**"]}


class _NotStrictJson(ValueError):
    pass


def _no_constant(name: str) -> object:
    raise _NotStrictJson(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotStrictJson(f"{text} is too large a number for JSON to keep")
    return value


def _load(text: str, path: Path) -> object:
    """The document, as strict JSON: what Python's reader takes beyond it (NaN, Infinity, a
    number it reads as infinite) would be written back as no JSON at all."""
    advice = (
        "jupyter-coi merges its headers into it and needs to read it. Fix the file, or remove "
        "it to have jupyter-coi write a new one."
    )
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as e:
        raise HostFileError(
            f"{path} is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}); {advice}"
        ) from None
    except _NotStrictJson as e:
        raise HostFileError(f"{path} is not valid JSON ({e}); {advice}") from None
    except RecursionError:
        raise HostFileError(f"{path} is nested too deeply to read; {advice}") from None
    except ValueError as e:  # a number with more digits than Python converts
        raise HostFileError(f"{path} has a number with too many digits ({e}); {advice}") from None


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


@dataclass(frozen=True)
class JsonFormat(HostFormat):
    """Vercel's shape: one ``headers`` rule list at the top of the document."""

    host: str
    file: str
    # The rule source that matches every path, in the host's pattern syntax.
    every_path: str

    def new_document(self) -> dict:
        return {}

    def holders(self, doc: object, path: Path, create: bool) -> list[dict]:
        """The objects that hold a ``headers`` rule list."""
        if not isinstance(doc, dict):
            kind = type(doc).__name__
            raise HostFileError(f"{path}: expected a JSON object at the top, found {kind}")
        return [doc]

    def is_ours(self, rule: dict) -> bool:
        """Our rule is the one we write: every path, the three headers, nothing else. Both
        hosts reject unknown keys in a rule, so its shape is the mark. A user rule of exactly
        that shape says what ours says, and follows the policy."""
        keys = sorted(_key(e) for e in _entries(rule))
        return (
            set(rule) == {"source", "headers"}
            and rule["source"] == self.every_path
            and keys == sorted(OUR_NAMES)
            and all(set(e) == {"key", "value"} for e in _entries(rule))
        )

    def user_settings(self, rules: list[dict]) -> Iterator[tuple[dict, str, object]]:
        """(rule, header, value) for every header of ours that a rule not ours sets."""
        for rule in rules:
            if self.is_ours(rule):
                continue
            for entry in _entries(rule):
                if _key(entry) in OUR_NAMES:
                    yield rule, canonical(entry["key"]), entry.get("value")

    def our_rule(self, policy: Policy) -> dict:
        return {
            "source": self.every_path,
            "headers": [{"key": name, "value": value} for name, value in policy],
        }

    def merge_rules(self, rules: list[dict], policy: Policy, path: Path) -> None:
        # Vercel and Firebase apply the last matching rule for a header, so the same value set
        # by the user's rule too is harmless; a different one is the user's choice against ours.
        wanted = policy.headers()
        for _, name, value in self.user_settings(rules):
            if value != wanted[name]:
                raise HostFileConflict(path, name, str(value), wanted[name])
        ours = [i for i, rule in enumerate(rules) if self.is_ours(rule)]
        if ours:
            rules[ours[0]] = self.our_rule(policy)
        else:
            rules.append(self.our_rule(policy))

    def merge(self, policy: Policy, path: Path, existing: str | None) -> str:
        doc = self.new_document() if existing is None else _load(existing, path)
        for holder in self.holders(doc, path, create=True):
            self.merge_rules(_rules(holder, path, create=True), policy, path)
        if existing is not None and doc == json.loads(existing):
            return existing  # nothing to change: keep the user's formatting
        return json.dumps(doc, indent=2) + "\n"

    def strip(self, path: Path, existing: str) -> str | None:
        # JSON has no mark to tell a file we created from a user's: the file stays unless what
        # is left is exactly what we would have written around the rule.
        doc = _load(existing, path)
        for holder in self.holders(doc, path, create=False):
            rules = _rules(holder, path, create=False)
            kept = [rule for rule in rules if not self.is_ours(rule)]
            if len(kept) == len(rules):
                continue
            if kept:
                holder["headers"] = kept
            else:
                del holder["headers"]
        if doc == json.loads(existing):
            return existing
        text = json.dumps(doc, indent=2) + "\n"
        # Nothing left, or exactly what a new file of ours holds besides the rule (Firebase's
        # hosting entry, as we write it): nothing of the user's was in it.
        if doc == {} or text == json.dumps(self.new_document(), indent=2) + "\n":
            return None
        return text

    def check(self, policy: Policy, path: Path, text: str) -> list[str]:
        try:
            holders = self.holders(_load(text, path), path, create=False)
            rule_lists = [_rules(holder, path, create=False) for holder in holders]
        except HostFileError as e:
            return [str(e)]
        if not rule_lists:
            return [f"{path}: no `hosting` entry, so no headers"]
        return [p for rules in rule_lists for p in self.check_rules(rules, policy, path)]

    def check_rules(self, rules: list[dict], policy: Policy, path: Path) -> list[str]:
        wanted = policy.headers()
        problems = [
            f"{path}: {name} is {value!r} for {rule.get('source')!r}, "
            f"the policy says {wanted[name]!r}"
            for rule, name, value in self.user_settings(rules)
            if value != wanted[name]
        ]
        ours = [rule for rule in rules if self.is_ours(rule)]
        if not ours:
            missing = f"{path}: jupyter-coi's rule (source {self.every_path!r}, the three headers)"
            return [f"{missing} is missing", *problems]
        found = {canonical(e["key"]): e["value"] for e in _entries(ours[0])}
        return compare(path, found, policy) + problems


@dataclass(frozen=True)
class FirebaseFormat(JsonFormat):
    """Firebase's shape: a rule list in each ``hosting`` entry (``hosting`` may be a list,
    one per site); a new file gets the ``hosting`` entry Firebase needs."""

    def new_document(self) -> dict:
        return {"hosting": dict(_FIREBASE_NEW_HOSTING)}

    def holders(self, doc: object, path: Path, create: bool) -> list[dict]:
        (top,) = super().holders(doc, path, create)
        if "hosting" not in top and create:
            top["hosting"] = dict(_FIREBASE_NEW_HOSTING)
        hosting = top.get("hosting", [])
        holders = hosting if isinstance(hosting, list) else [hosting]
        if not all(isinstance(h, dict) for h in holders):
            raise HostFileError(f"{path}: `hosting` must be an object or a list of objects")
        if not holders:
            raise HostFileError(
                f"{path}: `hosting` is an empty list: there is no site to give the headers to"
            )
        return holders


VERCEL = JsonFormat("vercel", "vercel.json", "/(.*)")
FIREBASE = FirebaseFormat("firebase", "firebase.json", "**")
