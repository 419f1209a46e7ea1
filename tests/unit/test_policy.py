"""The one policy module: values, validation, and what isolates."""

from __future__ import annotations

import json

import pytest

from jupyter_coi import policy
from support.harness import REPO


def test_defaults_are_the_isolating_triple():
    assert policy.Policy().headers() == {
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    assert policy.Policy().isolates


@pytest.mark.parametrize(
    "kwargs,isolates",
    [
        ({"embedder": "credentialless"}, True),
        ({"resource": "cross-origin"}, True),
        ({"opener": "same-origin-allow-popups"}, False),
        ({"embedder": "unsafe-none"}, False),
    ],
)
def test_which_policies_isolate(kwargs, isolates):
    assert policy.Policy(**kwargs).isolates is isolates


@pytest.mark.parametrize("field", ["opener", "embedder", "resource"])
def test_invalid_values_are_refused_with_the_header_and_choices(field):
    with pytest.raises(policy.PolicyError) as e:
        policy.Policy(**{field: "Same-Origin "})
    assert e.value.field == field
    assert policy.HEADERS[field] in str(e.value)
    for allowed in policy.ALLOWED[field]:
        assert repr(allowed) in str(e.value)


def test_policy_is_immutable():
    with pytest.raises(AttributeError):
        policy.Policy().opener = "unsafe-none"  # type: ignore[misc]


def test_describe_names_every_header():
    assert policy.Policy(embedder="credentialless").describe() == (
        "Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: credentialless, "
        "Cross-Origin-Resource-Policy: same-origin"
    )


def test_labextension_takes_the_policy_from_here():
    # Regenerate with: python labextension/scripts/generate.py
    generated = REPO / "labextension" / "src" / "policy.json"
    assert generated.read_text() == policy.render_json()


def test_response_headers_enforced_by_default():
    assert policy.response_headers(policy.Policy()) == policy.Policy().headers()


def test_report_only_sends_no_enforcing_header_and_no_corp():
    headers = policy.response_headers(
        policy.Policy(), report_only=True, report_url="/api/coi/reports"
    )
    assert headers == {
        "Cross-Origin-Opener-Policy-Report-Only": 'same-origin; report-to="jupyter-coi"',
        "Cross-Origin-Embedder-Policy-Report-Only": 'require-corp; report-to="jupyter-coi"',
        "Reporting-Endpoints": 'jupyter-coi="/api/coi/reports"',
    }


def test_reports_while_enforcing_and_document_isolation():
    headers = policy.response_headers(
        policy.Policy(embedder="credentialless"),
        report_url="/u/a/api/coi/reports",
        document_isolation="isolate-and-credentialless",
    )
    assert headers[policy.EMBEDDER] == 'credentialless; report-to="jupyter-coi"'
    assert headers[policy.RESOURCE] == "same-origin"  # CORP takes no report-to
    assert (
        headers[policy.DOCUMENT_ISOLATION] == 'isolate-and-credentialless; report-to="jupyter-coi"'
    )
    with pytest.raises(ValueError, match="isolate-and-require-corp"):
        policy.response_headers(policy.Policy(), document_isolation="isolate")


@pytest.mark.parametrize(
    "agent, supported",
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            True,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
            True,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
            True,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/95.0 Safari/537.36",
            False,
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", True),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0", False),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
            False,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 Mobile/15E148 Safari/604.1",
            False,
        ),
        ("curl/8.5.0", False),
        ("", False),
    ],
)
def test_credentialless_supported(agent, supported):
    assert policy.credentialless_supported(agent) is supported


def test_the_checks_browser_is_one_that_honours_credentialless():
    # `jupyter coi check` asks a server that varies by browser as this browser, to see what
    # Chromium and Firefox get.
    from jupyter_coi.check.url import CREDENTIALLESS_BROWSER, USER_AGENT

    assert policy.credentialless_supported(CREDENTIALLESS_BROWSER)
    assert not policy.credentialless_supported(USER_AGENT)


HEADER_TOKENS = json.loads((REPO / "labextension" / "test" / "header-tokens.json").read_text())


@pytest.mark.parametrize("raw, token", HEADER_TOKENS["cases"])
def test_a_header_value_reads_as_the_browsers_token(raw, token):
    """The same table the labextension's jest tests and the service worker's are run on."""
    assert policy.token(raw) == token
