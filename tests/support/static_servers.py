"""Real static web servers for the host-file tests: Debian's nginx and Apache, each on a free
port of 127.0.0.1 with its config, logs and pid file in a temp folder of its own.

They serve a site folder the way a user's server would, so that what isolates the pages is the
file jupyter-coi wrote (the included snippet, the ``.htaccess``), nothing set here.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jupyter_coi.policy import HEADERS, Policy

from .harness import free_port, stop_process

NGINX = "/usr/sbin/nginx"
APACHE = "/usr/sbin/apache2"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
INSTALL = "apt-get update && apt-get install -y nginx apache2"


def require(executable: str) -> str:
    """The server executable, or an error that says how to install it: these tests never skip."""
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        raise RuntimeError(
            f"{executable} is missing. The host-file tests run the real nginx and Apache; "
            f"install them with:\n    {INSTALL}"
        )
    return executable


def public_dir(prefix: str) -> Path:
    """A folder that a server's unprivileged workers can read: pytest's tmp_path sits under a
    0700 folder, which Apache's `User nobody` could not enter."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


@dataclass
class Response:
    status: int
    headers: dict[str, str]


@dataclass
class StaticServer:
    """A web server process serving one site folder on ``http://127.0.0.1:<port>/``."""

    name: str
    command: list[str]
    workdir: Path
    port: int
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log_path(self) -> Path:
        return self.workdir / "error.log"

    def log(self) -> str:
        parts = [
            p.read_text(errors="replace")
            for p in (self.log_path, self.workdir / "stdout.log")
            if p.exists()
        ]
        return "\n".join(parts)

    def start(self, timeout: float = 20) -> StaticServer:
        out = (self.workdir / "stdout.log").open("w")
        self.proc = subprocess.Popen(
            self.command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.get("/")
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        stop_process(self.proc)

    def get(self, path: str) -> Response:
        """One request, redirects not followed: a 301 is a response to check like any other."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return Response(response.status, {k.lower(): v for k, v in response.getheaders()})
        finally:
            conn.close()


def nginx(site: Path, workdir: Path, include: Path | None, locations: str = "") -> StaticServer:
    """nginx serving ``site``; ``include`` is a snippet included in its server block, and
    ``locations`` more of that block's text."""
    port = free_port()
    # As root, nginx's workers would switch to `nobody`; `user root` keeps them able to read
    # the temp folders without widening their permissions.
    user = "user root;" if os.geteuid() == 0 else ""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {workdir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = f"""
{user}
worker_processes 1;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    types {{
        text/html html; text/javascript js mjs; application/json json; text/css css;
        image/svg+xml svg; application/wasm wasm; font/woff2 woff2;
    }}
    access_log off;
{temp_paths}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        index index.html;
        {f"include {include};" if include else ""}
        {locations}
    }}
}}
"""
    (workdir / "nginx.conf").write_text(conf)
    command = [
        require(NGINX),
        "-p",
        str(workdir),
        "-e",
        str(workdir / "error.log"),
        "-c",
        str(workdir / "nginx.conf"),
        "-g",
        "daemon off;",
    ]
    return StaticServer("nginx", command, workdir, port).start()


APACHE_BASE_MODULES = ("mpm_event", "authz_core", "mime", "dir")


def apache(site: Path, workdir: Path, modules: tuple[str, ...] = ("headers",)) -> StaticServer:
    """Apache serving ``site`` with ``.htaccess`` files allowed to set headers (FileInfo).
    ``modules`` are loaded besides the ones any static site needs."""
    port = free_port()
    load = "\n".join(
        f"LoadModule {m}_module {APACHE_MODULES / f'mod_{m}.so'}"
        for m in (*APACHE_BASE_MODULES, *modules)
    )
    # Apache refuses to serve as root: its workers run as nobody (the site is world-readable).
    user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
    conf = f"""
ServerRoot {workdir}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
{load}
{user}
PidFile {workdir / "apache.pid"}
ErrorLog {workdir / "error.log"}
DefaultRuntimeDir {workdir}
LogLevel warn
TypesConfig {workdir / "mime.types"}
AddType text/html .html
AddType text/javascript .js .mjs
AddType application/json .json
AddType text/css .css
AddType image/svg+xml .svg
AddType application/wasm .wasm
AddType font/woff2 .woff2
DocumentRoot {site}
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {site}>
    AllowOverride FileInfo
    Require all granted
</Directory>
<Files ".ht*">
    Require all denied
</Files>
"""
    # mod_mime insists on a types file; the types the tests serve are set above.
    (workdir / "mime.types").write_text("")
    (workdir / "apache2.conf").write_text(conf)
    command = [require(APACHE), "-f", str(workdir / "apache2.conf"), "-DFOREGROUND"]
    return StaticServer("apache2", command, workdir, port).start()


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


SERVERS = {"nginx": nginx, "apache": apache}


@contextlib.contextmanager
def running(kind: str, site: Path, *args, **kwargs) -> Iterator[StaticServer]:
    """``site`` served by ``kind`` (``nginx`` or ``apache``, with that function's further
    arguments) from a work folder of its own; the server stopped and the folder removed after."""
    workdir = public_dir(f"jupyter-coi-{kind}-")
    try:
        server = SERVERS[kind](site, workdir, *args, **kwargs)
        try:
            yield server
        finally:
            server.stop()
    finally:
        remove(workdir)


@contextlib.contextmanager
def public_copy(build: Path) -> Iterator[Path]:
    """A copy of ``build`` that the servers' workers can read (pytest's temp folders are not
    theirs to enter), removed after."""
    folder = public_dir("jupyter-coi-site-")
    try:
        shutil.copytree(build, folder / "site")
        yield folder / "site"
    finally:
        remove(folder)


def assert_headers(server: StaticServer, policy: Policy) -> None:
    """The policy's headers on a page, a worker script, a 404 and a 301 (a folder without its
    slash): errors and redirects are where hand-written configs lose them."""
    statuses = {}
    for path in ("/", "/probe-worker.js", "/missing.html", "/sub"):
        response = server.get(path)
        statuses[path] = response.status
        for name, value in policy:
            assert response.headers.get(name.lower()) == value, (path, name, response.headers)
    assert statuses == {"/": 200, "/probe-worker.js": 200, "/missing.html": 404, "/sub": 301}


def assert_no_headers(server: StaticServer) -> None:
    for path in ("/", "/missing.html", "/sub"):
        response = server.get(path)
        assert not set(response.headers) & {name.lower() for name in HEADERS.values()}, path
