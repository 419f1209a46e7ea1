"""The settings of jupyter-coi, checked by the policy: the header settings that the server
extension (``c.CrossOriginIsolation.<trait>``) and the JupyterLite addon share, the server's own,
and the refusal of a configuration that would apply only in part."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import TypeVar

from traitlets import Bool, HasTraits, List, TraitError, Unicode, validate
from traitlets.config import Configurable

from . import policy

# Every log line of jupyter-coi starts with it, whichever tool runs it.
LOG_PREFIX = "jupyter_coi |"

T = TypeVar("T")


_FLAG_LETTERS = {
    re.ASCII: "a",
    re.IGNORECASE: "i",
    re.LOCALE: "L",
    re.MULTILINE: "m",
    re.DOTALL: "s",
    re.VERBOSE: "x",
}


def exclusion_pattern(patterns: list[str]) -> re.Pattern[str] | None:
    """The one expression that ``exclude_paths`` become, matched from the start of each request's
    path: every response whose path it matches goes without the headers. Raises ``ValueError``,
    naming the pattern, for any pattern that would not apply as written: one that is not a
    regular expression, is empty or matches every path (all paths start with ``/``), has a
    global inline flag (it would apply to every pattern), or cannot be joined with the others.
    """
    for i, pattern in enumerate(patterns):
        if not pattern:
            raise ValueError(f"{pattern!r}, which is empty, and matches every path")
        try:
            compiled = re.compile(pattern)
        except re.error as e:
            raise ValueError(f"{pattern!r}, which is not a regular expression: {e}") from None
        flags = "".join(letter for flag, letter in _FLAG_LETTERS.items() if compiled.flags & flag)
        if flags:
            raise ValueError(
                f"{pattern!r}, whose inline flag (?{flags}) applies to every pattern: scope it "
                f"to this one, as (?{flags}:...)"
            )
        if compiled.match("/"):
            raise ValueError(f"{pattern!r}, which matches every path (they all start with /)")
        try:
            _join(patterns[: i + 1])
        except re.error as e:
            raise ValueError(
                f"{pattern!r}, which cannot be combined with the patterns before it: {e}"
            ) from None
    return _join(patterns) if patterns else None


def _join(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


class ConfigurationError(SystemExit):
    """Stops the tool (``jupyter lab``, ``jupyter lite build``) that found bad settings.

    Jupyter Server and jupyterlite-core log and swallow an ``Exception`` raised while an
    extension or addon loads, and go on without it: pages that are not isolated while the user
    believes they are. ``SystemExit`` is not an ``Exception``, so it ends the command.
    """

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__(1)

    def __str__(self) -> str:
        return "; ".join(self.messages)


def _choices(field: str) -> str:
    return ", ".join(f"``{v}``" for v in policy.SETTING_VALUES[field])


def embedder_policy_trait(default: str, auto: str) -> Unicode:
    """The COEP setting; ``auto`` says what ``auto`` does for the part that has it."""
    return Unicode(
        default,
        config=True,
        help=f"The ``{policy.EMBEDDER}`` value. ``{policy.REQUIRE_CORP}`` and "
        f"``{policy.CREDENTIALLESS}`` isolate: ``{policy.REQUIRE_CORP}`` loads a cross-origin "
        f"resource only if it sends ``{policy.RESOURCE}`` (or CORS), ``{policy.CREDENTIALLESS}`` "
        "loads it without cookies instead (not supported by Safari, where the page is then not "
        f"isolated). One of {_choices('embedder')}; ``{policy.EMBEDDER_AUTO}``"
        f"{' (the default)' if default == policy.EMBEDDER_AUTO else ''}: {auto}",
    )


class PolicySettings(HasTraits):
    """The three header settings and their checks, shared by every configurable part of
    jupyter-coi (the server extension here, the JupyterLite addon in ``jupyter_coi.lite``).

    A mixin, not a ``Configurable``: config sections are named after the ``Configurable``
    classes in an object's MRO, so each user of it keeps a section of its own
    (``CrossOriginIsolation``, ``CrossOriginIsolationAddon``).
    """

    opener_policy = Unicode(
        policy.DEFAULTS["opener"],
        config=True,
        help=f"The ``{policy.OPENER}`` value. Only ``same-origin`` isolates; one of "
        f"{_choices('opener')}.",
    )

    embedder_policy = embedder_policy_trait(
        policy.DEFAULTS["embedder"],
        f"``{policy.CREDENTIALLESS}`` for browsers that support it, "
        f"``{policy.CREDENTIALLESS_FALLBACK}`` for the others.",
    )

    resource_policy = Unicode(
        policy.DEFAULTS["resource"],
        config=True,
        help=f"The ``{policy.RESOURCE}`` value: which other sites may embed this server's "
        f"responses. One of {_choices('resource')}.",
    )

    @validate("opener_policy", "embedder_policy", "resource_policy")
    def _check_header_value(self, proposal):
        trait = proposal["trait"].name
        accepted = policy.SETTING_VALUES[trait.split("_")[0]]
        if proposal["value"] not in accepted:
            raise TraitError(self.setting_error(trait, proposal["value"], accepted))
        return proposal["value"]

    @classmethod
    def setting_name(cls, trait: str) -> str:
        return f"c.{cls.__name__}.{trait}"

    @classmethod
    def setting_error(cls, trait: str, value: object, allowed: tuple[str, ...]) -> str:
        choices = ", ".join(repr(v) for v in allowed)
        return f"{cls.setting_name(trait)} = {value!r} is not allowed; choose one of {choices}"

    @classmethod
    def load_or_refuse(cls, section, create: Callable[[], T], log, consequence: str) -> T:
        """``create()`` the settings from the config ``section``, or stop the command.

        Unknown names and invalid values are all reported, each on a critical log line,
        followed by ``consequence`` (what did not happen), and then :class:`ConfigurationError`
        ends the command: jupyter-coi never runs with a half-applied isolation policy.
        """
        problems = cls.unknown_settings(section)
        made = None
        try:
            made = create()
        except TraitError as e:
            problems.append(str(e))
        if problems:
            for message in problems:
                log.critical("%s invalid configuration: %s", LOG_PREFIX, message)
            log.critical("%s %s", LOG_PREFIX, consequence)
            raise ConfigurationError(problems)
        return made  # type: ignore[return-value]

    @classmethod
    def unknown_settings(cls, section) -> list[str]:
        """Messages for settings in ``section`` that name no trait: a typo would otherwise be
        a warning lost in the log, and the tool would run with the value it meant to
        change."""
        known = cls.class_traits(config=True)
        messages = []
        for name in section:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1)
                also = f"; did you mean {cls.setting_name(hint[0])}?" if hint else ""
                messages.append(
                    f"{cls.setting_name(name)} is not a setting of jupyter-coi{also} "
                    f"(settings: {', '.join(sorted(known))})"
                )
        return messages

    def auto_embedder(self) -> str:
        """The COEP value that ``auto`` gives when no browser is named: the one a server
        announces first, and the one that parts answering every browser alike send."""
        return policy.CREDENTIALLESS

    def resolved_policy(self, credentialless: bool | None = None) -> policy.Policy:
        """The headers' values; under ``auto``, for a browser that supports ``credentialless``
        or not, or with neither said, ``auto_embedder()``'s."""
        embedder = self.embedder_policy
        if embedder == policy.EMBEDDER_AUTO:
            if credentialless is None:
                embedder = self.auto_embedder()
            elif credentialless:
                embedder = policy.CREDENTIALLESS
            else:
                embedder = policy.CREDENTIALLESS_FALLBACK
        return policy.Policy(
            opener=self.opener_policy, embedder=embedder, resource=self.resource_policy
        )


class CrossOriginIsolation(PolicySettings, Configurable):
    """Cross-origin isolation of every response that Jupyter Server sends (jupyter-coi)."""

    enabled = Bool(
        True,
        config=True,
        help="Add the cross-origin isolation headers to responses. False turns jupyter-coi off "
        "without uninstalling it.",
    )

    embedder_policy = embedder_policy_trait(
        policy.SETTING_DEFAULTS["embedder"],
        f"``{policy.CREDENTIALLESS}`` for browsers that support it, "
        f"``{policy.CREDENTIALLESS_FALLBACK}`` for the others (Safari), by the User-Agent, with "
        "``Vary: User-Agent``.",
    )

    report_only = Bool(
        False,
        config=True,
        help="Send the COOP and COEP values as ``Cross-Origin-Opener-Policy-Report-Only`` and "
        "``Cross-Origin-Embedder-Policy-Report-Only`` (and no CORP): nothing is blocked and "
        "pages are not isolated, but browsers report what the policy would block, to "
        "``api/coi/reports`` (see ``reports``). For trying a policy before enforcing it.",
    )

    reports = Bool(
        False,
        config=True,
        help="Ask browsers to post violation reports (``Reporting-Endpoints`` and ``report-to``) "
        "to this server's ``api/coi/reports``, which logs each blocked resource once and keeps "
        "a bounded list that the indicator's dialog shows. Always on with ``report_only``.",
    )

    document_isolation_policy = Unicode(
        "",
        config=True,
        help=f"Also send ``{policy.DOCUMENT_ISOLATION}`` with this value (Chromium 137+), which "
        "isolates each page on its own, without COOP's separate browsing context group. One of "
        + ", ".join(f"``{v}``" for v in policy.DOCUMENT_ISOLATION_VALUES)
        + "; empty (the default) sends none.",
    )

    @validate("document_isolation_policy")
    def _check_document_isolation(self, proposal):
        value = proposal["value"]
        if value and value not in policy.DOCUMENT_ISOLATION_VALUES:
            raise TraitError(
                self.setting_error(
                    "document_isolation_policy", value, ("", *policy.DOCUMENT_ISOLATION_VALUES)
                )
            )
        return value

    @property
    def reporting(self) -> bool:
        return self.reports or self.report_only

    exclude_paths = List(
        Unicode(),
        default_value=[],
        config=True,
        help="Regular expressions for paths to leave without any of the headers, matched from "
        "the start of the path below ``base_url`` (which begins with ``/``), for example "
        "``/proxy/8050/`` for an app that cannot work isolated. Open such pages in a tab of "
        "their own: an isolated page cannot frame them. The patterns run on every request, "
        "joined into one expression: keep them to literal prefixes where you can (a pattern "
        "that backtracks slows every response). Refused at start: an empty pattern, one that "
        "matches every path (such as ``/`` or ``.*``), a global inline flag such as ``(?i)`` "
        "(scope it instead: ``(?i:/apps/)``) and patterns that cannot be joined (one group "
        "name used twice).",
    )

    @validate("exclude_paths")
    def _check_exclude_paths(self, proposal):
        try:
            exclusion_pattern(proposal["value"])
        except ValueError as e:
            raise TraitError(f"{self.setting_name('exclude_paths')} has {e}") from None
        return proposal["value"]
