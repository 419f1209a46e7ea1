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

One shape per format: :class:`~.base.HostFormat`, filled in by :mod:`.lines` (the line
formats) and :mod:`.jsonrules` (the JSON ones); this module reads and writes the files.
Standard library only: the JupyterLite addon and build scripts call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..policy import Policy
from ..utils import atomic_write
from .base import HostFileConflict, HostFileError, HostFormat
from .jsonrules import FIREBASE, VERCEL
from .lines import APACHE, BEGIN, END, NETLIFY, NGINX

__all__ = [
    "BEGIN",
    "END",
    "FORMATS",
    "HOST_FILES",
    "HostFile",
    "HostFileConflict",
    "HostFileError",
    "check",
    "merge",
    "remove",
    "save",
    "write",
]

FORMATS: dict[str, HostFormat] = {f.host: f for f in (NETLIFY, VERCEL, APACHE, NGINX, FIREBASE)}
HOST_FILES: dict[str, str] = {host: f.file for host, f in FORMATS.items()}


def _format(host: str) -> HostFormat:
    if host not in FORMATS:
        raise ValueError(f"unknown host {host!r}; choose one of {', '.join(HOST_FILES)}")
    return FORMATS[host]


def _read(path: Path) -> str | None:
    try:
        # newline="": a user's CRLF file must come back with CRLF outside our block
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as e:
        raise HostFileError(f"{path}: not UTF-8 text ({e.reason}); left unchanged") from None


@dataclass(frozen=True)
class HostFile:
    """``host``'s config file in a site folder as :func:`merge` found it and would write it."""

    path: Path
    existing: str | None  # None: there is no file
    text: str

    @property
    def changes(self) -> bool:
        return self.text != self.existing


def merge(host: str, policy: Policy, site_dir: Path) -> HostFile:
    """``host``'s config file in ``site_dir``, read once and merged with the policy in memory;
    nothing is written.

    An existing file is updated, never replaced: see the module docstring for how (a marked
    block in line formats, a merged rule in JSON). A file that sets one of the headers itself
    raises :class:`HostFileConflict`; one that cannot be read safely, :class:`HostFileError`.
    """
    form = _format(host)
    path = Path(site_dir) / form.file
    existing = _read(path)
    return HostFile(path, existing, form.merge(policy, path, existing))


def save(file: HostFile) -> bool:
    """Write what :func:`merge` made of a file, unless it already says it; whether it wrote."""
    if not file.changes:
        return False
    atomic_write(file.path, file.text)
    return True


def write(host: str, policy: Policy, site_dir: Path) -> Path:
    """Write ``host``'s config file into ``site_dir`` (:func:`merge`, then :func:`save`); return
    its path. A file that cannot be merged is left byte for byte as it was."""
    file = merge(host, policy, site_dir)
    save(file)
    return file.path


def remove(host: str, site_dir: Path) -> Path | None:
    """Take what :func:`write` put into ``host``'s config file in ``site_dir`` out of it again
    (the whole file, when nothing else is in it); the path when the file changed. The user's
    part is kept byte for byte; a file that cannot be read safely raises
    :class:`HostFileError` and is left as it was."""
    form = _format(host)
    path = Path(site_dir) / form.file
    existing = _read(path)
    if existing is None:
        return None
    text = form.strip(path, existing)
    if text == existing:
        return None
    if text is None:
        path.unlink()
    else:
        atomic_write(path, text)
    return path


def check(host: str, policy: Policy, site_dir: Path) -> list[str]:
    """Problems with ``host``'s config file in a built site, in words; empty when it is right."""
    form = _format(host)
    path = Path(site_dir) / form.file
    try:
        text = _read(path)
    except HostFileError as e:
        return [str(e)]
    if text is None:
        return [f"{path} is missing: the {host} host would serve the site without the headers"]
    return form.check(policy, path, text)
