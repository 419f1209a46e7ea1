"""``jupyter coi check TARGET``: can this deployment be cross-origin isolated, and if not, why?

TARGET is the URL of a page (a Jupyter server, a static JupyterLite host, any site) or the
folder of a JupyterLite build. The check reports what it looked at, one line each, and ends
with a verdict; the exit code is 0 when the target is isolated (or, for a folder, can be on at
least one kind of host), 1 when it is not, 2 when it could not be checked at all.

For a URL it reads the page's own headers, then loads what the page's HTML embeds (scripts,
styles, images, frames) the way the browser would under the page's embedder policy, and names
each resource that the policy would block. Standard library only: it runs in a deploy pipeline
with nothing else installed.

One module a job: :mod:`.url` (a page and what it embeds), :mod:`.html` (reading what the HTML
embeds), :mod:`.folder` (a build folder), :mod:`.report` (findings, verdict, exit code).
"""

from __future__ import annotations

import re
from pathlib import Path

from .folder import check_folder
from .report import CheckError, CheckReport, Finding
from .url import check_url

__all__ = ["CheckError", "CheckReport", "Finding", "as_url", "check", "check_folder", "check_url"]


# host[:port][/path...] written without a scheme, as people copy it from a terminal: a name or
# an IPv4 or IPv6 address, with a port or a path or neither; or one word with a port.
_SCHEMELESS_URL = re.compile(
    r"((localhost|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[\w-]+(\.[\w-]+)+)(:\d+)?"
    r"|[\w-]+:\d+)([/?].*)?"
)


def as_url(target: str) -> str | None:
    """The URL that ``target`` names, or None when it is not one (a folder, then): a host with
    no scheme, which is not an existing path, is taken as ``http://``."""
    if target.startswith(("http://", "https://")):
        return target
    if "://" in target:
        raise CheckError(f"{target}: only http:// and https:// URLs can be checked")
    if not Path(target).exists() and _SCHEMELESS_URL.fullmatch(target):
        return "http://" + target
    return None


def check(
    target: str, timeout: float = 15, max_resources: int = 50, deadline: float = 120
) -> CheckReport:
    url = as_url(target)
    if url:
        return check_url(url, timeout, max_resources, deadline)
    return check_folder(Path(target))
