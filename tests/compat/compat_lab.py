"""JupyterLab servers for the compatibility measurement: the packages' notebook in a git
repository, the user settings a measurement needs, one COEP setting per server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from support.harness import JupyterProcess

# The branch of the server's root folder, which jupyterlab-git must show.
GIT_BRANCH = "compat-check"

# User settings the server starts with, each a setting a user can change in JupyterLab:
USER_SETTINGS = {
    # every cell rendered, not only those in view, so that all outputs are measured at once
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # no "get notified about Jupyter news?" toast over the page
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
}


class CompatServer(JupyterProcess):
    """``jupyter lab`` with the venv's commands on PATH (pylsp, git's helpers), as in a user's
    activated environment."""

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        return env

    def stop_kernels(self) -> None:
        """Shut down every kernel, so that the next page starts the notebook afresh."""
        with urllib.request.urlopen(self.page_url("api/kernels"), timeout=30) as response:
            kernels = json.load(response)
        for kernel in kernels:
            request = urllib.request.Request(self.page_url(f"api/kernels/{kernel['id']}"))
            request.method = "DELETE"
            urllib.request.urlopen(request, timeout=30).close()


class LabServers:
    """One JupyterLab server per COEP setting, started when first asked for; the one before is
    stopped then, so that at most one runs."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.root, self.files = root, files
        self.current: CompatServer | None = None
        self.coep = ""

    def get(self, coep: str) -> CompatServer:
        if self.current and self.coep == coep:
            return self.current
        self.stop()
        home = self.root / f"home-{coep}"
        server = CompatServer(
            app="lab", home=home, args=[f"--CrossOriginIsolation.embedder_policy={coep}"]
        )
        server.root_dir.mkdir(parents=True)
        for name, text in self.files.items():
            (server.root_dir / name).write_text(text)
        for plugin, values in USER_SETTINGS.items():
            path = home / ".jupyter/lab/user-settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        git = ["git", "-c", "user.name=compat", "-c", "user.email=compat@127.0.0.1"]
        for args in (["init", "-q", "-b", GIT_BRANCH], ["add", "."], ["commit", "-qm", "files"]):
            subprocess.run([*git, *args], cwd=server.root_dir, check=True, capture_output=True)
        self.current, self.coep = server.start(), coep
        return server

    def stop(self) -> None:
        if self.current:
            self.current.stop()
        self.current = None
