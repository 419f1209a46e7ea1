"""Helpers that several parts of jupyter-coi share. A leaf: it imports only the standard
library, so that importing it never pulls in the server, the command line or JupyterLite."""

from __future__ import annotations

import glob
import os
import re
import tempfile
import urllib.parse
from pathlib import Path


def atomic_write(
    path: Path,
    data: str | bytes,
    *,
    mode: int | None = None,
    times: tuple[int, int] | None = None,
) -> None:
    """Replace ``path`` with ``data`` so that a reader (a web server, a deploy upload) sees
    the old file or the new one, never half of either.

    Text is written as UTF-8 with its line endings as they are (a user's CRLF file stays
    CRLF). The file keeps its permissions, or gets ``mode``, or 0644 when it is new: the
    temporary file is 0600, which a web server running as another user could not read.
    ``times`` (access and modification, in nanoseconds) puts back a file's timestamps.
    """
    path = Path(path)
    # Through a symbolic link, to the file it names: replacing the link with a regular file
    # would leave the user's real file as it was, and their link gone.
    if path.is_symlink():
        path = path.resolve()
    if mode is None:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    raw = data.encode("utf-8") if isinstance(data, str) else data
    prefix = f".{path.name}."
    # What a write that was killed left (the names mkstemp gives with this prefix and suffix).
    for stale in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        if stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if times is not None:
            os.utime(tmp, ns=times)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def shown(url: str) -> str:
    """A URL as jupyter-coi prints or keeps it: a Jupyter token in its query is replaced by
    ``...``, so that it is never written into a log or a CI transcript."""
    if "token=" not in url:
        return url
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:  # not a URL (`http://[oops`): as text, the token's value hidden
        return re.sub(r"(?<=token=)[^&#]*", "...", url)
    if "token=" not in parts.query:
        return url
    query = urllib.parse.urlencode(
        [(k, "..." if k == "token" else v) for k, v in urllib.parse.parse_qsl(parts.query)],
        safe=".",
    )
    return urllib.parse.urlunsplit(parts._replace(query=query))


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` (whole or not at all, its folder made if need be); False if
    the file already said that, and was left untouched."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)
    return True
