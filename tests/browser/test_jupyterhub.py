"""A real JupyterHub on loopback: its proxy (configurable-http-proxy, from npm), the dummy
authenticator and the simple local-process spawner. jupyter-coi is installed in the environment
the single-user servers start from, as in a hub's single-user image.

A user logs in through the hub's login page, the hub starts their server, and the browser lands
on ``/user/<name>/lab`` behind the proxy: that page is isolated, and a violation report posted
without a cookie, as browsers post them, reaches the user's server. The hub's own pages (served by
the hub, not by Jupyter Server) are untouched and keep working, also when opened from the
isolated JupyterLab (File > Hub Control Panel).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.harness import FRONTENDS, free_port, jupyter_env, stop_process
from support.offline_pyodide import cached

CHP_VERSION = "5.3.0"
USER = "ada"
PASSWORD = secrets.token_hex(8)
STATUSBAR_INDICATOR = FRONTENDS[0].indicator
COI_HEADERS = ("cross-origin-opener-policy", "cross-origin-embedder-policy")


def configurable_http_proxy() -> Path:
    """JupyterHub's proxy from npm, cached like the other downloads of the tests."""
    executable = Path("node_modules", ".bin", "configurable-http-proxy")

    def install(into: Path, work: Path) -> None:
        done = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(into),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"configurable-http-proxy@{CHP_VERSION}",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"npm install configurable-http-proxy failed:\n{done.stderr}")

    return cached(f"configurable-http-proxy-{CHP_VERSION}", str(executable), install) / executable


HUB_CONFIG = """
import sys
c.JupyterHub.bind_url = "http://127.0.0.1:{port}/"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}/"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = {root!r} + "/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {root!r} + "/users/{{username}}"
# The single-user server from this very environment, where jupyter-coi is installed.
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
# With violation reports: their endpoint is under the user's URL, and must take posts without
# a login, as browsers send them.
c.Spawner.args = ["--allow-root", "--CrossOriginIsolation.reports=True"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.db_url = "sqlite:///" + {root!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {root!r} + "/cookie_secret"
c.JupyterHub.cleanup_servers = True
"""


class Hub:
    def __init__(self, root: Path, chp: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.config = root / "jupyterhub_config.py"
        self.config.write_text(
            textwrap.dedent(HUB_CONFIG).format(
                port=self.port,
                hub_port=free_port(),
                api_port=free_port(),
                chp=str(chp),
                root=str(root),
                password=PASSWORD,
            )
        )
        (root / "users" / USER).mkdir(parents=True)
        self.log_path = root / "jupyterhub.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> Hub:
        env = jupyter_env(self.root / "hub-home")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(self.config)],
            cwd=self.root,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}hub/api/", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise TimeoutError(f"jupyterhub did not answer in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        # The hub stops the user's server and its proxy as it shuts down.
        stop_process(self.proc, timeout=30)


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    hub = Hub(tmp_path_factory.mktemp("hub"), configurable_http_proxy()).start()
    yield hub
    hub.stop()


def log_in(page, hub: Hub) -> None:
    response = page.goto(f"{hub.url}hub/login")
    assert response.status == 200
    assert not any(h in response.headers for h in COI_HEADERS), "the hub's login page changed"
    page.fill("#username_input", USER)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")


def test_single_user_lab_behind_the_hub_is_isolated(hub, page):
    lab_responses = []
    page.on(
        "response",
        lambda r: (
            lab_responses.append(r) if r.url.split("?")[0].endswith(f"/user/{USER}/lab") else None
        ),
    )
    log_in(page, hub)
    # Login, then the hub spawns the server, then OAuth with it, then the lab.
    page.wait_for_url(f"**/user/{USER}/lab**", timeout=120_000)
    page.wait_for_selector(".jp-LabShell", timeout=60_000)
    assert page.evaluate("self.crossOriginIsolated") is True, hub.log()
    headers = lab_responses[-1].headers if lab_responses else {}
    assert headers.get("cross-origin-opener-policy") == 'same-origin; report-to="jupyter-coi"'
    # The default COEP, auto, gives Chromium credentialless, and says it varies by browser.
    assert headers.get("cross-origin-embedder-policy") == 'credentialless; report-to="jupyter-coi"'
    assert "user-agent" in headers.get("vary", "").lower()
    # Reports go to a path with a key that only the server's responses name.
    endpoint = re.fullmatch(
        rf'jupyter-coi="(/user/{USER}/api/coi/reports/[\w-]{{20,}})"',
        headers.get("reporting-endpoints", ""),
    )
    assert endpoint, headers

    # A report posted as a browser posts it, through the hub's proxy, with no cookie: taken,
    # and listed to the logged-in page.
    blocked = "https://tiles.example.org/1/2/3.png"
    report = json.dumps(
        [
            {
                "type": "coep",
                "url": f"{hub.url}user/{USER}/lab",
                "body": {
                    "type": "corp",
                    "blockedURL": blocked,
                    "destination": "image",
                    "disposition": "enforce",
                },
            }
        ]
    )
    request = urllib.request.Request(
        urllib.parse.urljoin(hub.url, endpoint[1]),
        data=report.encode(),
        headers={"Content-Type": "application/reports+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 204
    listed = page.evaluate("async () => (await fetch('api/coi/reports')).json()")
    assert [r["blocked"] for r in listed["reports"]] == [blocked], listed
    page.wait_for_function(
        "s => document.querySelector(s)?.textContent.includes('Isolated')", arg=STATUSBAR_INDICATOR
    )

    # The hub's control panel, opened from the isolated lab as a user does (a new window,
    # which COOP separates from the lab): it loads, works, and has no isolation headers.
    page.click('#jp-MainMenu .lm-MenuBar-itemLabel:text-is("File")')
    with page.context.expect_page(timeout=30_000) as popup:
        page.click('.lm-Menu-itemLabel:text-is("Hub Control Panel")')
    home = popup.value
    home.wait_for_load_state()
    assert "/hub/home" in home.url
    home.wait_for_selector("#stop", timeout=30_000)  # "Stop My Server": the hub knows it runs
    assert home.evaluate("self.crossOriginIsolated") is False


def test_hub_pages_keep_working(hub, page):
    log_in(page, hub)
    page.wait_for_url(f"**/user/{USER}/**", timeout=120_000)
    for path, ready in (("hub/home", "#stop"), ("hub/token", "#request-token-form")):
        response = page.goto(f"{hub.url}{path}")
        assert response.status == 200, path
        assert not any(h in response.headers for h in COI_HEADERS), path
        page.wait_for_selector(ready)
    # The home page's buttons call the hub's REST API from the page: stop the server.
    page.goto(f"{hub.url}hub/home")
    page.click("#stop")
    page.wait_for_selector("#start", state="visible", timeout=60_000)
    page.goto(f"{hub.url}hub/logout")
    page.wait_for_selector("#username_input")
