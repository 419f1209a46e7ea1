"""Host files in a static site: merged in memory first, then written all or none; checked.

Independent of jupyterlite-core and Sphinx: the JupyterLite addon writes them into a build, the
Sphinx extension into an HTML output and the JupyterLite site it embeds. The files themselves,
their formats and how a user's own file is merged are :mod:`jupyter_coi.hosts`' business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import hosts
from ..policy import Policy
from ..utils import atomic_write
from .litebuild import NotALiteSite, require_lite_site


def host_file_paths(site_dir: Path, names: Iterable[str]) -> list[Path]:
    return [Path(site_dir) / hosts.HOST_FILES[name] for name in names]


def _known(names: Iterable[str]) -> list[str]:
    names = list(names)
    for name in names:
        if name not in hosts.HOST_FILES:
            raise ValueError(f"unknown host {name!r}; choose among {', '.join(hosts.HOST_FILES)}")
    return names


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


def merge_host_files(folder: Path, policy: Policy, names: Iterable[str]) -> list[hosts.HostFile]:
    """The host files ``names`` of ``folder``, each read once and merged with ``policy`` in
    memory. Raises :class:`hosts.HostFileError` (:class:`hosts.HostFileConflict` for a user's
    file that sets a header differently) before anything is written."""
    return [hosts.merge(name, policy, Path(folder)) for name in _known(names)]


def save_host_files(files: Iterable[hosts.HostFile]) -> list[Path]:
    """Write what :func:`merge_host_files` made, all or none: a file that cannot be written puts
    back every one already written, byte for byte. The files that changed."""
    changing = [file for file in files if file.changes]
    saved = [_Saved.of(file.path) for file in changing]
    try:
        for file in changing:
            hosts.save(file)
    except BaseException:
        for before in saved:
            before.restore()
        raise
    return [file.path for file in changing]


def write_host_files(site_dir: Path, policy: Policy, names: Iterable[str]) -> list[Path]:
    """Write (or merge into) the host files ``names`` of a built JupyterLite site, all or none;
    the paths of all of them, written now or already right.

    Raises :class:`NotALiteSite` before touching anything, and :class:`hosts.HostFileError`
    for a file that cannot be merged, before writing any.
    """
    site = require_lite_site(site_dir)
    files = merge_host_files(site, policy, names)
    save_host_files(files)
    return [file.path for file in files]


def remove_host_files(site_dir: Path, names: Iterable[str]) -> list[Path]:
    """Take jupyter-coi's part out of the host files ``names`` of a built site (what a build
    with them on wrote); the files that changed. All of them or none, as for writing."""
    site = require_lite_site(site_dir)
    names = _known(names)
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
