"""A host's config file as jupyter-coi writes it into a site folder that has none of its own:
what the tests compare a build's or a merge's file with."""

from __future__ import annotations

import tempfile
from pathlib import Path

from jupyter_coi import hosts
from jupyter_coi.policy import Policy


def new_host_file(host: str, policy: Policy) -> str:
    with tempfile.TemporaryDirectory(prefix="jupyter-coi-host-file-") as site:
        return hosts.write(host, policy, Path(site)).read_text()
