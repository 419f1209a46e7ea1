"""The JavaScript that jupyter-coi writes into static sites, as shipped in ``js/``: the
service worker's wrapper, the reload script, and the docs' page script and worker tail."""

from __future__ import annotations

from importlib import resources


def script(name: str) -> str:
    """The text of ``js/<name>``, a template some of whose slots the caller fills."""
    return resources.files(__package__).joinpath("js").joinpath(name).read_text(encoding="utf-8")
