"""The parsers that read what strangers or users write, fuzzed with hypothesis: reports posted
to the server, host files, header values and the HTML the check reads. Each takes any input
and either gives its result or refuses with its own error, never anything else. Bounded to run
in seconds."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_coi import hosts, policy
from jupyter_coi.check import html
from jupyter_coi.reports import MAX_TEXT, BadReport, parse

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@FAST
@given(st.binary(max_size=2000))
def test_reports_any_bytes_are_read_or_refused(body):
    with contextlib.suppress(BadReport):
        parse(body)


@FAST
@given(
    st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["coep", "coop", "csp"]), "url": st.text()},
            optional={
                "body": st.dictionaries(
                    st.sampled_from(["blockedURL", "type", "destination", "disposition"]),
                    st.text() | json_values,
                    max_size=4,
                )
            },
        ),
        max_size=5,
    )
)
def test_reports_keep_only_printable_bounded_text(reports):
    try:
        kept = parse(json.dumps(reports).encode())
    except BadReport:
        return
    for report in kept:
        for text in (report.reason, report.destination, report.blocked, report.page):
            assert text.isprintable() and len(text) <= MAX_TEXT + 10


@FAST
@given(st.text())
def test_a_header_token_is_the_value_before_its_parameters(raw):
    token = policy.token(raw)
    assert ";" not in token and token == token.strip()
    assert raw.strip().startswith(token) or raw.split(";")[0].strip() == token


@FAST
@given(st.text(max_size=400))
@pytest.mark.parametrize("host", ["netlify", "apache", "nginx"])
def test_a_line_host_file_is_merged_or_refused(tmp_path_factory, host, text):
    site = tmp_path_factory.mktemp("site")
    path = site / hosts.HOST_FILES[host]
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        hosts.write(host, policy.Policy(), site)
    except hosts.HostFileError:
        assert path.read_bytes() == text.encode("utf-8", "surrogatepass")  # left as it was
        return
    assert hosts.check(host, policy.Policy(), site) == []
    # Taken out again, the user's lines are back (a final line ending aside: merging may have
    # added one), and a file that held nothing else is gone.
    hosts.remove(host, site)
    if hosts.BEGIN in text or hosts.END in text:
        return
    if text.strip():
        left = path.read_bytes().decode("utf-8", "surrogatepass")
        assert left.rstrip("\r\n") == text.rstrip("\r\n")
    else:
        assert not path.exists()


@FAST
@given(json_values | st.text(max_size=200))
@pytest.mark.parametrize("host", ["vercel", "firebase"])
def test_a_json_host_file_is_merged_or_refused(tmp_path_factory, host, document):
    site = tmp_path_factory.mktemp("site")
    path = site / hosts.HOST_FILES[host]
    text = document if isinstance(document, str) else json.dumps(document)
    raw = text.encode("utf-8", "surrogatepass")
    path.write_bytes(raw)
    try:
        hosts.write(host, policy.Policy(), site)
    except hosts.HostFileError:
        assert path.read_bytes() == raw  # left as it was
        return
    json.loads(path.read_bytes())  # what it wrote is JSON
    assert hosts.check(host, policy.Policy(), site) == []


@FAST
@given(st.text(max_size=3000))
def test_any_html_gives_the_embeds_it_names(text):
    page = html.parse(text)
    assert all(e.url for e in page.embeds)
