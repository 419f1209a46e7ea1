"""JupyterLite test sites: a source folder with its build, `jupyter lite serve` on it, and a
plain header-less server for it. Shared by the addon's tests and the Pyodide kernel's."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jupyter_coi.policy import Policy

from .harness import (
    ANSI,
    PROBE_WORKER_JS,
    Certificate,
    code_notebook,
    free_port,
    jupyter,
    jupyter_env,
    stop_process,
)

# What the addon gives a site with no configuration (`auto`, with the service worker on): the
# host files and `jupyter lite serve` send credentialless to every browser, and the worker gives
# those without it require-corp.
DEFAULT_BUILD_POLICY = Policy(embedder="credentialless")

LITE_NOTEBOOK = code_notebook("python", "Python (Pyodide)")
CONTENTS = {"probe.ipynb": LITE_NOTEBOOK, "probe-worker.js": PROBE_WORKER_JS}
ADDON = "CrossOriginIsolationAddon"


@dataclass
class LiteSite:
    """A JupyterLite source folder, its build in ``out``, and a user home of its own."""

    lite_dir: Path
    home: Path
    build_log: str = ""  # the last `built_site` build's output

    @property
    def out(self) -> Path:
        return self.lite_dir / "_output"

    def lite(self, *args: str, timeout: float = 180, env: dict | None = None):
        done = subprocess.run(
            [sys.executable, "-m", "jupyter", "lite", *args],
            env={**jupyter_env(self.home), **(env or {})},
            cwd=self.lite_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        done.log = ANSI.sub("", done.stdout + done.stderr)
        return done

    def build(self, *args: str):
        return self.lite("build", *args)

    def write_config(self, section: dict) -> None:
        (self.lite_dir / "jupyter_lite_config.json").write_text(json.dumps({ADDON: section}))


def new_site(root: Path, contents: dict[str, str] | None = None) -> LiteSite:
    site = LiteSite(lite_dir=root / "lite", home=root / "home")
    (site.lite_dir / "files").mkdir(parents=True)
    site.home.mkdir()
    for name, text in (CONTENTS if contents is None else contents).items():
        (site.lite_dir / "files" / name).write_text(text)
    return site


def built_site(root: Path, config: dict | None = None, *args: str) -> LiteSite:
    site = new_site(root)
    if config is not None:
        site.write_config(config)
    done = site.build(*args)
    assert done.returncode == 0, done.log
    site.build_log = done.log
    return site


# The plain build's own notebook: with the Pyodide kernel's name, so that opening it asks nothing.
HELLO = {
    "cells": [],
    "metadata": {
        "kernelspec": {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def plain_build(home: Path) -> Path:
    """A plain JupyterLite build of ``home`` (without any addon of jupyter-coi) with one
    notebook, in ``home/site``: what the service-worker tests wrap themselves."""
    (home / "files").mkdir()
    (home / "files" / "hello.ipynb").write_text(json.dumps(HELLO))
    # Lets the test drive the app as its own commands do (open, save).
    (home / "jupyter-lite.json").write_text(
        json.dumps(
            {
                "jupyter-lite-schema-version": 0,
                "jupyter-config-data": {"exposeAppInBrowser": "true"},
            }
        )
    )
    out = home / "site"
    result = jupyter(
        "lite", "build", "--output-dir", str(out), "--disable-addons", "jupyter-coi", home=home
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def wait_for_http(
    url: str,
    proc: subprocess.Popen,
    log: Path,
    timeout: float = 180,
    context: ssl.SSLContext | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout}s:\n{log.read_text()}")


@dataclass
class Served:
    url: str
    proc: subprocess.Popen
    log: Path


def lite_serve(site: LiteSite) -> Iterator[Served]:
    """`jupyter lite serve` (which builds first). It holds its doit database for as long as it
    runs, so give it a site that no other test builds meanwhile."""
    port = free_port()
    log = site.lite_dir.parent / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lite", "serve", f"--port={port}"],
        env=jupyter_env(site.home),
        cwd=site.lite_dir,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, log)
        yield Served(url, proc, log)
    finally:
        try:  # jupyterlite's own way out; terminate() is the fallback
            urllib.request.urlopen(f"{url}shutdown", timeout=5).close()
            proc.wait(timeout=15)
        except Exception:
            pass
        stop_process(proc)


# `python -m http.server`, over HTTPS: the folder, port, certificate and key from argv.
HTTPS_SERVER = """
import functools, http.server, ssl, sys
folder, port, certfile, keyfile = sys.argv[1:]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(certfile, keyfile)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"""


def serve_folder(folder: Path, logs: Path, tls: Certificate | None = None) -> Iterator[Served]:
    """``folder`` from `python -m http.server` (over HTTPS with ``tls``), its log in ``logs``:
    no headers at all, as on GitHub Pages or another site's plain host."""
    port = free_port()
    # Named by port: a folder may be served twice at once (a module's server and a test's).
    log = logs / f"http-server-{port}.log"
    if tls:
        command = [sys.executable, "-c", HTTPS_SERVER, str(folder), str(port)]
        command += [str(tls.certfile), str(tls.keyfile)]
    else:
        command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
        command += ["--directory", str(folder)]
    proc = subprocess.Popen(
        command, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
    try:
        wait_for_http(url, proc, log, timeout=30, context=tls.client_context() if tls else None)
        yield Served(url, proc, log)
    finally:
        stop_process(proc)


def plain_server(site: LiteSite) -> Iterator[Served]:
    """The site's build from `python -m http.server`."""
    yield from serve_folder(site.out, site.lite_dir.parent)


def isolated_pyodide_site(
    root: Path, notebooks: dict[str, str], offline, settings: dict | None = None
) -> Iterator[Served]:
    """`jupyter lite serve` (which sends the isolation headers) of a site with these notebooks
    and the offline Pyodide; `settings`, plugin id -> values, go into its `overrides.json`."""
    site = new_site(root, notebooks)
    offline.install(site.lite_dir)
    if settings:
        (site.lite_dir / "overrides.json").write_text(json.dumps(settings))
    yield from lite_serve(site)


def plain_pyodide_site(root: Path, notebooks: dict[str, str], offline) -> Iterator[Served]:
    """The same from a server without headers, and without the service worker that would
    isolate it: a page that is not isolated."""
    site = new_site(root, notebooks)
    offline.install(site.lite_dir)
    site.write_config({"service_worker": False})
    done = site.build()
    assert done.returncode == 0, done.log
    yield from plain_server(site)


def worker_pyodide_site(root: Path, notebooks: dict[str, str], offline) -> Iterator[Served]:
    """The same from a server without headers, isolated by the addon's service worker (after
    one reload on the first visit), as on GitHub Pages."""
    site = new_site(root, notebooks)
    offline.install(site.lite_dir)
    done = site.build()
    assert done.returncode == 0, done.log
    yield from plain_server(site)
