"""What makes a folder a built JupyterLite site, and what built it.

Host files or a service worker written into some other folder (the lite source folder, a docs
tree) would be published nowhere, or worse, in a site they were not meant for: every part that
writes into a build asks :func:`require_lite_site` first.
"""

from __future__ import annotations

import json
from pathlib import Path

# What every JupyterLite build has at its root: the page config all its apps read.
LITE_JSON = "jupyter-lite.json"
CONFIG_DATA = "jupyter-config-data"


class NotALiteSite(ValueError):
    """The folder is not a built JupyterLite site; nothing was written to it."""


def require_lite_site(site_dir: Path) -> Path:
    """``site_dir`` as a ``Path`` if it holds a JupyterLite build, else :class:`NotALiteSite`.

    The test is the build's ``jupyter-lite.json`` with its ``jupyter-config-data``.
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


def page_config(site: Path) -> dict:
    """The ``jupyter-config-data`` of a build that :func:`require_lite_site` accepted."""
    data = json.loads((Path(site) / LITE_JSON).read_text(encoding="utf-8"))[CONFIG_DATA]
    return data if isinstance(data, dict) else {}


def build_command(site: Path) -> str:
    """The command that built ``site``: Voici's build makes its own app the site's."""
    try:
        app = page_config(site).get("appUrl", "")
    except (OSError, ValueError, KeyError):
        app = ""
    return "voici build" if str(app).rstrip("/").endswith("voici") else "jupyter lite build"
