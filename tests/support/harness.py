"""What the tests share: real Jupyter servers in subprocesses, and the browser they are read in.

Every server binds 127.0.0.1 on a free port, keeps its config, data and runtime files in a temp
folder, and is waited for with a bounded loop. Chromium is Debian's, driven by Playwright.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# The repository, and the tests' folder in it (tests/support/ is this module's).
REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
# Screenshots of failed browser tests, and the ones kept for people to look at.
ARTIFACTS = TESTS / "artifacts"

CHROMIUM = os.environ.get("JUPYTER_COI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium"
# As root in a closed network: no sandbox (needs user namespaces), and no background traffic
# that the network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Violation reports go out within a second rather than a minute (tests/browser/test_coep_modes_and_reports.py).
    "--short-reporting-delay",
]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(home: Path) -> dict[str, str]:
    """An environment whose user-level Jupyter folders are under ``home``; the ``sys.prefix``
    ones (where ``pip install`` put jupyter-coi's auto-enable file) stay in the search path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    return env


def jupyter(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a ``jupyter`` subcommand to completion, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "jupyter", *args],
        env=jupyter_env(home),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def stop_process(proc: subprocess.Popen | None, timeout: float = 15) -> None:
    """Stop a server the tests started: politely, then not."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


@dataclass
class JupyterProcess:
    """A ``jupyter lab|notebook|server`` process on loopback, started and stopped by a test."""

    app: str
    home: Path
    args: list[str] = field(default_factory=list)
    base_url: str = "/"
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    tls: Certificate | None = None
    proc: subprocess.Popen | None = None

    @property
    def root_dir(self) -> Path:
        return self.home / "work"

    @property
    def log_path(self) -> Path:
        return self.home / f"{self.app}-{self.port}.log"

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{self.base_url}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jupyter",
            self.app,
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.base_url={self.base_url}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--IdentityProvider.token={self.token}",
            # Plain logs: no colour codes in what the tests read.
            "--ServerApp.log_format=%(levelname)s %(name)s %(message)s",
            *self.args,
            *(self.tls.server_args() if self.tls else ()),
        ]

    def environment(self) -> dict[str, str]:
        return jupyter_env(self.home)

    def start(self, timeout: float = 90) -> JupyterProcess:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            self.command(),
            env=self.environment(),
            cwd=self.root_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter {self.app} exited with {self.proc.returncode}:\n{self.log()}"
                )
            try:
                context = self.tls.client_context() if self.tls else None
                with urllib.request.urlopen(
                    f"{self.url}api/status?token={self.token}", timeout=2, context=context
                ):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"jupyter {self.app} did not answer in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return ANSI.sub("", self.log_path.read_text()) if self.log_path.exists() else ""

    def stop(self) -> None:
        # A server told to stop while it starts a kernel (a test that closed its notebook page
        # at once) does not exit for more than 30 s (jupyter_server 2.21): after 5 s it is killed.
        # Its kernel exits by itself when it sees its parent gone.
        stop_process(self.proc, timeout=5)

    def page_url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path.lstrip('/')}{sep}token={self.token}"


@dataclass
class Certificate:
    """A certificate for 127.0.0.1 from a throwaway CA (trustme), in PEM files under ``folder``."""

    folder: Path

    @classmethod
    def issue(cls, folder: Path) -> Certificate:
        import trustme

        folder.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        issued = ca.issue_cert("127.0.0.1")
        ca.cert_pem.write_to_path(str(folder / "ca.pem"))
        issued.private_key_pem.write_to_path(str(folder / "key.pem"))
        for i, pem in enumerate(issued.cert_chain_pems):
            pem.write_to_path(str(folder / "cert.pem"), append=i > 0)
        return cls(folder)

    @property
    def certfile(self) -> Path:
        return self.folder / "cert.pem"

    @property
    def keyfile(self) -> Path:
        return self.folder / "key.pem"

    def server_args(self) -> list[str]:
        return [f"--ServerApp.certfile={self.certfile}", f"--ServerApp.keyfile={self.keyfile}"]

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.folder / "ca.pem"))


def disable_extension(home: Path) -> None:
    """Turn jupyter-coi off for one user, as `jupyter server extension disable --user` would if
    jupyter_server 2.x allowed it for an extension enabled at the environment level (it refuses,
    with exit code 0)."""
    config = home / ".jupyter"
    config.mkdir(parents=True, exist_ok=True)
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_coi": False}}})
    )


@dataclass(frozen=True)
class Frontend:
    """A page of a Jupyter frontend, as the browser tests open it."""

    id: str
    app: str  # the `jupyter <app>` that serves it
    path: str
    ready: str  # shown once the frontend has rendered: a page blocked by COEP never gets there
    indicator: str  # where jupyter-coi's indicator sits


FRONTENDS = [
    Frontend("jupyterlab", "lab", "lab", ".jp-LabShell", "#jp-main-statusbar .jp-coi-indicator"),
    Frontend("notebook7-tree", "notebook", "tree", "#main-panel", "#top-panel .jp-coi-indicator"),
    Frontend(
        "notebook7-notebook",
        "notebook",
        "notebooks/probe.ipynb",
        ".jp-Notebook",
        "#top-panel .jp-coi-indicator",
    ),
]


def require_chromium() -> str:
    """The Chromium executable, or a failure that says how to install it: browser tests are
    part of the suite and never skip."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        hint = f" (a chromium was found at {found}: set JUPYTER_COI_CHROMIUM)" if found else ""
        raise RuntimeError(
            f"Chromium is missing at {CHROMIUM}{hint}. The browser tests need it; install it "
            f"with:\n    {CHROMIUM_INSTALL}"
        )
    return CHROMIUM


# Reads isolation in the page and in a dedicated worker loaded from `worker_url`. A worker's
# script is a response of its own: it is isolated only if that response carries COEP too.
ISOLATION_PROBE = """
async (workerUrl) => {
  const page = {
    crossOriginIsolated: self.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer,
  };
  const worker = await new Promise((resolve) => {
    const w = new Worker(workerUrl);
    const timer = setTimeout(() => resolve({ error: 'worker timed out' }), 15000);
    w.onmessage = (e) => { clearTimeout(timer); w.terminate(); resolve(e.data); };
    w.onerror = (e) => { clearTimeout(timer); resolve({ error: 'worker failed: ' + e.message }); };
  });
  return { page, worker };
}
"""


def code_notebook(kernel: str, display_name: str, *sources: str, **metadata) -> str:
    """A notebook of these code cells (none: an empty one) with a kernelspec, and ``metadata``
    besides: one without a kernelspec makes the frontends ask for a kernel in a modal dialog,
    which takes the focus and the clicks."""
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{i}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(sources)
    ]
    kernelspec = {"name": kernel, "display_name": display_name, "language": "python"}
    return json.dumps(
        {
            "cells": cells,
            "metadata": {"kernelspec": kernelspec, **metadata},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


PROBE_NOTEBOOK = code_notebook("python3", "Python 3 (ipykernel)")

PROBE_WORKER_JS = """
postMessage({
  crossOriginIsolated: self.crossOriginIsolated,
  sharedArrayBuffer: typeof SharedArrayBuffer,
});
"""


# The COEP value the server gives this browser for the page, read from a fresh request of it
# (as the indicator reads it): with `auto`, or a service worker's fallback, it depends on the engine.
COEP_SEEN = """async () => (await fetch(location.href, {cache: 'no-store'}))
  .headers.get('cross-origin-embedder-policy')"""


# What a notebook's widgets and outputs add to the page: a picture, a map tile (Leaflet's are
# <img> elements, loaded without CORS) and a CDN script, from a second origin that sends no
# Cross-Origin-Resource-Policy, as most such hosts do (the ``embeds`` fixture serves them).
EMBED_FROM = """async (origin) => {
  const load = (element) => new Promise((resolve) => {
    element.onload = () => resolve('loaded');
    element.onerror = () => resolve('blocked');
    document.body.append(element);
  });
  const picture = Object.assign(document.createElement('img'), {src: origin + 'pixel.png'});
  const tile = Object.assign(document.createElement('img'), {src: origin + 'tiles/3/4/2.png'});
  const script = Object.assign(document.createElement('script'), {src: origin + 'widget.js'});
  const [p, t, s] = await Promise.all([load(picture), load(tile), load(script)]);
  return {picture: p, tile: t, script: s, ran: self.jupyterCoiWidgetRan === true,
          isolated: self.crossOriginIsolated};
}"""
EMBEDDED_PATHS = ("pixel.png", "tiles/3/4/2.png", "widget.js")


def embedded(loads: bool) -> dict:
    """What ``EMBED_FROM`` returns on an isolated page that loads them all, or blocks them all."""
    state = "loaded" if loads else "blocked"
    return {"picture": state, "tile": state, "script": state, "ran": loads, "isolated": True}


def coi_check(*args: str) -> subprocess.CompletedProcess:
    """`jupyter coi check ARGS...` as a deploy pipeline runs it, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "jupyter", "coi", "check", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
