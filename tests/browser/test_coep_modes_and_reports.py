"""Adopting isolation without breaking things, in headless Chromium against real servers: a
notebook whose Markdown shows an image from a second loopback origin that sends no CORP header
(the common case: a picture from another site).

- report-only: the image loads, the browser posts a violation report, the server logs it once,
  and the indicator's dialog lists it;
- require-corp: the image is blocked (and reported, with reports on), the page is isolated;
- credentialless: the image loads and the page is isolated;
- auto (the default): Chromium gets credentialless, Safari require-corp, with `Vary: User-Agent`;
- Document-Isolation-Policy alone (no COOP or COEP) isolates the page in Chromium;
- a report made up and posted from another address is listed as such in the dialog, which makes
  no advice of it.

The report endpoint under bad input is in tests/integration/test_report_endpoint.py."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from jupyter_coi import policy
from support.fixtures import serve_pixel
from support.harness import FRONTENDS, Certificate

LAB = FRONTENDS[0]
INDICATOR = LAB.indicator
DIALOG = ".jp-coi-dialog"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15"
)


def markdown_notebook(image: str) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "markdown",
                    "id": "picture",
                    "metadata": {},
                    "source": f"A picture from another site:\n\n![a pixel]({image})",
                }
            ],
            # A kernel named, so that no "Select Kernel" dialog covers the page.
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def open_picture(server, page):
    """Open the notebook; return how the picture ended up: its natural width (0: blocked)."""
    page.goto(server.page_url("lab/tree/picture.ipynb"))
    image = page.wait_for_selector(".jp-MarkdownCell img", timeout=60_000)
    page.wait_for_function("img => img.complete", arg=image, timeout=30_000)
    return image.evaluate("img => img.naturalWidth")


def wait_for_log(server, text: str, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in server.log().splitlines() if text in line]
        if lines:
            return lines
        time.sleep(0.25)
    raise AssertionError(f"no {text!r} in the server log after {timeout}s:\n{server.log()[-3000:]}")


def dialog_reports(page) -> tuple[str, list[str]]:
    """Open the indicator's dialog; its report sentence and listed reports."""
    item = page.wait_for_selector(INDICATOR)
    page.wait_for_selector(f'{INDICATOR}[data-coi-ready="true"]', state="attached")
    item.click()
    dialog = page.wait_for_selector(DIALOG)
    page.wait_for_selector(f"{DIALOG} .jp-coi-reports", timeout=10_000)
    return dialog.inner_text(), page.locator(f"{DIALOG} .jp-coi-report").all_inner_texts()


@pytest.fixture
def picture(other_origin) -> tuple[str, dict[str, str]]:
    image = f"{other_origin}pixel.png"
    return image, {"picture.ipynb": markdown_notebook(image)}


# Chromium takes `Reporting-Endpoints` from HTTPS pages only (not from http://127.0.0.1 or
# http://localhost, though both are secure contexts): the report tests run over HTTPS, with a
# certificate from a throwaway CA for the server and the second origin alike.


@pytest.fixture
def tls(tmp_path) -> Certificate:
    return Certificate.issue(tmp_path / "tls")


@pytest.fixture
def tls_picture(tmp_path, tls) -> Iterator[tuple[str, dict[str, str]]]:
    for origin in serve_pixel(tmp_path, tls):
        image = f"{origin}pixel.png"
        yield image, {"picture.ipynb": markdown_notebook(image)}


# Chromium accepts the throwaway CA's certificates.
ACCEPT_TLS = pytest.mark.chromium_args("--ignore-certificate-errors")


@ACCEPT_TLS
def test_report_only_loads_the_image_and_reports_it(jupyter_process, page, tls, tls_picture):
    image, files = tls_picture
    # require-corp, which blocks what the default (auto: credentialless here) loads.
    server = jupyter_process(
        "lab",
        "--CrossOriginIsolation.report_only=True",
        "--CrossOriginIsolation.embedder_policy=require-corp",
        files=files,
        tls=tls,
    )
    assert open_picture(server, page) == 1  # nothing is blocked
    assert page.evaluate("crossOriginIsolated") is False
    logged = wait_for_log(server, f"would block image {image}")
    assert "COEP would block image" in logged[0] and "(corp)" in logged[0]
    text, reports = dialog_reports(page)
    assert "This resource would be blocked once isolation is enforced:" in text, text
    assert any(image in r for r in reports), reports
    # Reload: the same resource is reported again, and logged no second time.
    page.reload()
    page.wait_for_selector(".jp-MarkdownCell img", timeout=60_000)
    page.wait_for_timeout(3000)
    assert len(wait_for_log(server, f"would block image {image}")) == 1


@ACCEPT_TLS
def test_require_corp_blocks_the_image(jupyter_process, page, tls, tls_picture):
    image, files = tls_picture
    server = jupyter_process(
        "lab",
        "--CrossOriginIsolation.reports=True",
        "--CrossOriginIsolation.embedder_policy=require-corp",
        files=files,
        tls=tls,
    )
    assert open_picture(server, page) == 0
    assert page.evaluate("crossOriginIsolated") is True
    logged = wait_for_log(server, f"blocked image {image}")
    assert "COEP blocked image" in logged[0]
    # The dialog lists it once, among the loads isolation blocked, as seen by the page and
    # reported by the browser; the reports section says where it went.
    item = page.wait_for_selector(INDICATOR)
    page.wait_for_selector(f'{INDICATOR}[data-coi-ready="true"]', state="attached")
    item.click()
    page.wait_for_selector(f"{DIALOG} .jp-coi-blocked-url", timeout=10_000)
    listed = page.eval_on_selector_all(
        f"{DIALOG} .jp-coi-blocked-url",
        "rows => rows.map(r => [r.dataset.coiUrl, r.dataset.coiSeenBy])",
    )
    assert listed == [[image, "page report"]], listed
    none = page.locator(f"{DIALOG} .jp-coi-reports-none").all_inner_texts()
    assert none == [
        'The resources the browser reported as blocked are listed under "Blocked by isolation".'
    ]


def test_credentialless_loads_the_image_isolated(jupyter_process, page, picture):
    _, files = picture
    server = jupyter_process(
        "lab", "--CrossOriginIsolation.embedder_policy=credentialless", files=files
    )
    assert open_picture(server, page) == 1
    assert page.evaluate("crossOriginIsolated") is True


def test_auto_gives_each_browser_what_it_supports(jupyter_process, page, picture):
    _, files = picture
    server = jupyter_process("lab", "--CrossOriginIsolation.embedder_policy=auto", files=files)
    assert open_picture(server, page) == 1  # Chromium: credentialless
    assert page.evaluate("crossOriginIsolated") is True
    for agent, expected in (
        (page.evaluate("navigator.userAgent"), "credentialless"),
        (SAFARI, "require-corp"),
    ):
        request = urllib.request.Request(server.page_url("lab"), headers={"User-Agent": agent})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers[policy.EMBEDDER] == expected, agent
            assert "User-Agent" in response.headers.get_all("Vary"), response.headers


def test_document_isolation_policy_alone_isolates(jupyter_process, page):
    server = jupyter_process(
        "lab",
        "--CrossOriginIsolation.opener_policy=unsafe-none",
        "--CrossOriginIsolation.embedder_policy=unsafe-none",
        "--CrossOriginIsolation.document_isolation_policy=isolate-and-require-corp",
    )
    page.goto(server.page_url("lab"))
    page.wait_for_selector(LAB.ready, timeout=60_000)
    with urllib.request.urlopen(server.page_url("lab"), timeout=30) as response:
        assert response.headers[policy.DOCUMENT_ISOLATION] == "isolate-and-require-corp"
        assert response.headers[policy.OPENER] == "unsafe-none"
    assert page.evaluate("crossOriginIsolated") is True
    # The start-up log says which browsers isolate, rather than that none does.
    assert "only browsers that support Document-Isolation-Policy" in server.log()
    assert "does not make pages cross-origin isolated" not in server.log()


def test_a_report_from_another_address_is_marked_and_gives_no_advice(jupyter_process, page):
    """Someone who loaded a page of the server posts a made-up report from another address
    (127.0.0.2): the person's dialog lists it as from another address, says what that means,
    and names no site to fix."""
    server = jupyter_process("lab", "--CrossOriginIsolation.reports=True")
    parts = urllib.parse.urlsplit(server.url)

    def request(method: str, path: str, body: bytes = b"", headers=None):
        connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=30, source_address=("127.0.0.2", 0)
        )
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            response.read()
            return response
        finally:
            connection.close()

    named = request("GET", f"{server.base_url}api/status?token={server.token}")
    endpoint = named.getheader("Reporting-Endpoints").split('"')[1]
    made_up = "https://attacker.example/fix-me.png"
    report = {
        "type": "coep",
        "url": f"{server.url}lab",
        "body": {"type": "corp", "blockedURL": made_up, "destination": "image"},
    }
    posted = request(
        "POST",
        endpoint,
        json.dumps([report]).encode(),
        {"Content-Type": "application/reports+json"},
    )
    assert posted.status == 204

    page.goto(f"{server.url}lab?token={server.token}")
    text, reports = dialog_reports(page)
    assert [r for r in reports if made_up in r] == [
        f"image: {made_up} (COEP: corp) on /lab [from another address]"
    ], reports
    assert "were not posted from this browser's address" in text, text
    blocked = page.eval_on_selector_all(
        f"{DIALOG} .jp-coi-blocked-url", "rows => rows.map(r => r.dataset.coiUrl)"
    )
    assert made_up not in blocked and "attacker.example" not in text.split("Reported by")[0]
