"""Host files in a built JupyterLite site: write them all or none, check them.

Independent of jupyterlite-core (the addon calls these from its doit tasks; a script or a
later command line can call them on any built site). The files themselves, their formats and
how a user's own file is merged are :mod:`jupyter_coi.hosts`' business.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import hosts
from ..policy import Policy
from ..utils import atomic_write

# What every JupyterLite build has at its root: the page config all its apps read.
LITE_JSON = "jupyter-lite.json"
CONFIG_DATA = "jupyter-config-data"


class NotALiteSite(ValueError):
    """The folder is not a built JupyterLite site; nothing was written to it."""


def require_lite_site(site_dir: Path) -> Path:
    """``site_dir`` as a ``Path`` if it holds a JupyterLite build, else :class:`NotALiteSite`.

    The test is the build's ``jupyter-lite.json`` with its ``jupyter-config-data``: host files
    written into some other folder (the lite source folder, a docs tree) would be published
    nowhere, or worse, in a site they were not meant for.
    """
    site = Path(site_dir)
    hint = "Point it at the output folder of `jupyter lite build` (its --output-dir)."
    built = site / "_output"
    if (built / LITE_JSON).is_file() and any(
        (site / marker).exists() for marker in ("jupyter_lite_config.json", LITE_JSON, "files")
    ):
        # The folder `jupyter lite build` runs in, with its build where it puts it by default.
        hint = f"{site} looks like a JupyterLite source folder: its build is in {built}."
    if not site.exists():
        raise NotALiteSite(f"{site} does not exist. {hint}")
    if not site.is_dir():
        raise NotALiteSite(f"{site} is not a folder: no JupyterLite site to isolate there. {hint}")
    config = site / LITE_JSON
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotALiteSite(
            f"{site} is not a JupyterLite build: it has no {LITE_JSON}. {hint}"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise NotALiteSite(
            f"{config} cannot be read as JSON ({e}); is the build complete?"
        ) from None
    if not isinstance(data, dict) or CONFIG_DATA not in data:
        raise NotALiteSite(
            f"{config} has no {CONFIG_DATA!r}: {site} does not look like a JupyterLite build. "
            f"{hint}"
        )
    return site


def host_file_paths(site_dir: Path, names: Iterable[str]) -> list[Path]:
    return [Path(site_dir) / hosts.HOST_FILES[name] for name in names]


@dataclass
class _Saved:
    """A file as it was before writing, to put back if a later one cannot be written."""

    path: Path
    data: bytes | None
    mode: int = 0
    times: tuple[int, int] = (0, 0)

    @classmethod
    def of(cls, path: Path) -> _Saved:
        try:
            st = path.stat()
            return cls(
                path, path.read_bytes(), st.st_mode & 0o7777, (st.st_atime_ns, st.st_mtime_ns)
            )
        except FileNotFoundError:
            return cls(path, None)

    def restore(self) -> None:
        if self.data is None:
            self.path.unlink(missing_ok=True)
            return
        atomic_write(self.path, self.data, mode=self.mode, times=self.times)


def write_host_files(site_dir: Path, policy: Policy, names: Iterable[str]) -> list[Path]:
    """Write (or merge into) the host files ``names`` of a built site: all of them, or none.

    Raises :class:`NotALiteSite` before touching anything, and :class:`hosts.HostFileError`
    (:class:`hosts.HostFileConflict` for a user's file that sets a header differently) after
    putting back every file it had already written, byte for byte.
    """
    return write_host_files_into(require_lite_site(site_dir), policy, names)


def write_host_files_into(folder: Path, policy: Policy, names: Iterable[str]) -> list[Path]:
    """:func:`write_host_files` into any folder, a JupyterLite build or not (the HTML output
    of a Sphinx site, which embeds one)."""
    site = Path(folder)
    names = list(names)
    for name in names:
        if name not in hosts.HOST_FILES:
            raise ValueError(f"unknown host {name!r}; choose among {', '.join(hosts.HOST_FILES)}")
    saved = [_Saved.of(path) for path in host_file_paths(site, names)]
    written = []
    try:
        for name in names:
            written.append(hosts.write(name, policy, site))
    except BaseException:
        for before in saved:
            before.restore()
        raise
    return written


def remove_host_files(site_dir: Path, names: Iterable[str]) -> list[Path]:
    """Take jupyter-coi's part out of the host files ``names`` of a built site (what a build
    with them on wrote); the files that changed. All of them or none, as for writing."""
    site = require_lite_site(site_dir)
    names = list(names)
    saved = [_Saved.of(path) for path in host_file_paths(site, names)]
    changed = []
    try:
        for name in names:
            path = hosts.remove(name, site)
            if path is not None:
                changed.append(path)
    except BaseException:
        for before in saved:
            before.restore()
        raise
    return changed


def check_host_files(site_dir: Path, policy: Policy, names: Iterable[str]) -> list[str]:
    """What is wrong with the host files of a built site, in words; empty when all is right."""
    try:
        site = require_lite_site(site_dir)
    except NotALiteSite as e:
        return [str(e)]
    return [problem for name in names for problem in hosts.check(name, policy, site)]
