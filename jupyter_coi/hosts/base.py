"""What every host file format shares: the errors, and the shape each format fills in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from ..policy import HEADERS, Policy

# The policy's header names as hosts may spell them (header names are case-insensitive).
OUR_NAMES = {name.lower() for name in HEADERS.values()}


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


class HostFormat(ABC):
    """One host's config file: its name, how the policy is merged into the user's file (or
    into nothing, for a new file), and how a file is checked against the policy."""

    host: str
    file: str

    @abstractmethod
    def merge(self, policy: Policy, path: Path, existing: str | None) -> str:
        """The file's new text: ``existing`` (None for no file) with the policy's headers.
        Raises :class:`HostFileConflict` for a user's setting of one of the headers, and
        :class:`HostFileError` for a file that cannot be read safely."""

    @abstractmethod
    def check(self, policy: Policy, path: Path, text: str) -> list[str]:
        """What is wrong with ``text`` for ``policy``, in words; empty when it is right."""

    @abstractmethod
    def strip(self, path: Path, existing: str) -> str | None:
        """``existing`` without what :meth:`merge` put in it; None when nothing else is left
        (the file was all ours). Raises :class:`HostFileError` for a file that cannot be read
        safely."""


def canonical(name: str) -> str:
    """The policy's spelling of a header name found in a file in any case."""
    return next(n for n in HEADERS.values() if n.lower() == name.lower())


def compare(path: Path, found: dict[str, str], policy: Policy) -> list[str]:
    """What ``found`` (header to value, as a file sets them) says differently from the policy."""
    problems = []
    for name, wanted in policy:
        if name not in found:
            problems.append(f"{path}: {name} is not set (the policy says {wanted!r})")
        elif found[name] != wanted:
            problems.append(f"{path}: {name} is {found[name]!r}, the policy says {wanted!r}")
    return problems
