"""Standalone Voila (``voila notebook.ipynb``) is cross-origin isolated by jupyter-coi's
installed ``voila.py``: every family of response carries the headers, its settings come from
Voila's own config files, and a bad one stops Voila as it stops ``jupyter lab``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from jupyter_coi import policy
from support.voila import GREETING, VoilaProcess


@pytest.fixture
def voila(tmp_path) -> Iterator[VoilaProcess]:
    server = VoilaProcess(tmp_path).start()
    yield server
    server.stop()


def request(url: str, method: str = "GET", headers: dict[str, str] | None = None):
    """Status, headers and body of a response, whatever its status; no redirect followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, method=method, headers=headers or {})) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, b""


# What a client the server does not know gets under the default COEP, auto.
EXPECTED = policy.Policy().headers()


def assert_isolated(status_headers, statuses) -> None:
    status, headers, _ = status_headers
    assert status in statuses, status
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (status, name, headers.get(name))


def test_every_response_is_isolated(voila):
    page = request(voila.url)
    assert_isolated(page, (200,))
    assert GREETING in page[2].decode()
    assert "User-Agent" in page[1].get_all("Vary", [])
    assert_isolated(request(voila.url, method="HEAD"), (200, 405))
    assert_isolated(request(f"{voila.url}voila/static/voila.js"), (200,))
    labextension = f"{voila.url}voila/labextensions/jupyter-coi/package.json"
    assert_isolated(request(labextension), (200,))
    assert_isolated(request(f"{voila.url}voila/static/no-such-file.js"), (403, 404))
    # Voila's catch-all route redirects what it does not know to its files handler.
    assert_isolated(request(f"{voila.url}api/kernels/not-a-kernel"), (302, 404))
    assert_isolated(request(f"{voila.url}no/such/page"), (302, 404))
    assert_isolated(request(f"{voila.url}voila/files/no/such/page"), (403, 404))
    # The report endpoint is reachable, before Voila's catch-all route.
    status, _, _ = request(f"{voila.url}api/coi/reports", method="POST")
    assert status == 404  # reports are off: the endpoint says so rather than redirecting
    log = voila.log()
    assert log.count("jupyter_coi | cross-origin isolating every response") == 1, log


def test_a_browser_with_credentialless_gets_it(voila):
    chrome = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/156.0.0.0 Safari/537.36"
    )
    _, headers, _ = request(f"{voila.url}voila/static/voila.js", headers={"User-Agent": chrome})
    assert headers.get(policy.EMBEDDER) == policy.CREDENTIALLESS


def test_settings_come_from_voilas_config(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "voila.json").write_text(
        json.dumps({"CrossOriginIsolation": {"embedder_policy": "require-corp"}})
    )
    server = VoilaProcess(tmp_path).start()
    try:
        chrome = "Mozilla/5.0 Chrome/156.0.0.0 Safari/537.36"
        _, headers, _ = request(
            f"{server.url}voila/static/voila.js", headers={"User-Agent": chrome}
        )
        assert headers.get(policy.EMBEDDER) == policy.REQUIRE_CORP
    finally:
        server.stop()


def test_a_bad_setting_stops_voila(tmp_path):
    server = VoilaProcess(tmp_path, args=["--CrossOriginIsolation.embedder_policy=require-cors"])
    with pytest.raises(RuntimeError, match="exited with 1"):
        server.start()
    assert "c.CrossOriginIsolation.embedder_policy = 'require-cors' is not allowed" in server.log()
