"""Fixtures of the compatibility measurement (test_embedded_packages.py): the loopback CDN with
and without CORP, a Chromium for each that reaches it by the CDNs' real host names, and
JupyterLab servers, one COEP setting at a time.

tests/conftest.py collects this folder only when ``JUPYTER_COI_COMPAT=packages`` is set: the
packages it measures are installed by tests/compat/requirements-packages.txt, not by the
project's test extra. Nothing here skips.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import compat_cdn
import pytest

from support.harness import CHROMIUM_ARGS, free_port, require_chromium, stop_process
from support.lite_sites import wait_for_http
from support.offline_pyodide import cached


@dataclass
class Cdn:
    """One loopback CDN process: its port, its request log, whether it sends CORP."""

    port: int
    log: Path
    corp: bool
    proc: subprocess.Popen

    def requests(self) -> list[list[str]]:
        """Every request so far: [status, mode, url, fetch mode]."""
        return [line.split(" ") for line in self.log.read_text().splitlines() if line]


@pytest.fixture(scope="module")
def cdn_urls() -> dict[str, list[str]]:
    return compat_cdn.package_urls()


@pytest.fixture(scope="module")
def cdn_site(cdn_urls) -> Path:
    """The CDN's files, from npm, cached and keyed by the URLs, which name the versions (a
    range such as `vega@6` is resolved when the cache is made, to its newest match then)."""
    urls = sorted(u for package in cdn_urls.values() for u in package)
    key = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    return cached(
        f"compat-cdn-{key}",
        "manifest.json",
        lambda into, work: compat_cdn.build_site(urls, into, work),
    )


@pytest.fixture(scope="module")
def cdns(cdn_site, tmp_path_factory) -> Iterator[dict[bool, Cdn]]:
    """Two CDNs with the same files, one sending CORP and one not, keyed by ``corp``."""
    import trustme

    folder = tmp_path_factory.mktemp("cdn")
    hosts = [*json.loads((cdn_site / "manifest.json").read_text()), compat_cdn.TILE_HOST]
    pem = folder / "cdn.pem"
    trustme.CA().issue_cert(*hosts).private_key_and_cert_chain_pem.write_to_path(str(pem))
    started: dict[bool, Cdn] = {}
    try:
        for corp in (True, False):
            name = "cdn-corp" if corp else "cdn-no-corp"
            port, log, errors = free_port(), folder / f"{name}.log", folder / f"{name}.err"
            log.touch()
            command = [sys.executable, compat_cdn.__file__, str(cdn_site / "manifest.json")]
            command += [str(port), str(pem), str(pem), str(log), *(["--corp"] if corp else [])]
            with errors.open("w") as err:
                proc = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT
                )
            started[corp] = Cdn(port, log, corp, proc)
            url = f"https://127.0.0.1:{port}{compat_cdn.READY_PATH}"
            wait_for_http(url, proc, errors, timeout=30, context=insecure_context())
        yield started
    finally:
        for cdn in started.values():
            stop_process(cdn.proc)


def insecure_context():
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture(scope="module")
def browsers(cdns, playwright_driver) -> Iterator[dict[bool, object]]:
    """A headless Chromium per CDN, every host name but 127.0.0.1 resolved to that CDN: the
    page asks for https://cdn.bokeh.org/... and gets the loopback CDN, a cross-origin response
    that COEP and CORP apply to as to the real one."""
    launched = {}
    try:
        for corp, cdn in cdns.items():
            rules = f"--host-resolver-rules=MAP * 127.0.0.1:{cdn.port}, EXCLUDE 127.0.0.1"
            launched[corp] = playwright_driver.chromium.launch(
                executable_path=require_chromium(), headless=True, args=[*CHROMIUM_ARGS, rules]
            )
        yield launched
    finally:
        for browser in launched.values():
            browser.close()
