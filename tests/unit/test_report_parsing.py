"""The report endpoint's parts on their own (in-process, no server): what a posted body becomes
(reports.parse), the bounded store of distinct reports, and the rate limit. The endpoint of a
real server under bad input is tests/integration/test_report_endpoint.py."""

from __future__ import annotations

import json
import time

import pytest

from jupyter_coi.reports import BadReport, RateLimit, ReportStore, ViolationReport, parse


def coep(blocked: str, **body) -> dict:
    return {
        "type": "coep",
        "url": "http://127.0.0.1/lab",
        "body": {
            "type": "corp",
            "blockedURL": blocked,
            "destination": "image",
            "disposition": "reporting",
            **body,
        },
    }


def posted(*reports: dict) -> bytes:
    return json.dumps(list(reports)).encode()


def test_a_coep_report_is_read_field_by_field():
    [report] = parse(posted(coep("http://other.example/a.png")))
    assert isinstance(report, ViolationReport)
    assert (report.kind, report.disposition, report.reason, report.destination) == (
        "coep",
        "reporting",
        "corp",
        "image",
    )
    assert (report.blocked, report.page, report.count) == (
        "http://other.example/a.png",
        "http://127.0.0.1/lab",
        1,
    )
    assert report.describe() == (
        "COEP would block image http://other.example/a.png (corp) on http://127.0.0.1/lab"
    )


def test_an_enforced_report_blocked_and_a_coop_report_names_the_other_document():
    enforced = coep("http://other.example/a.js", disposition="enforce", destination="script")
    coop = {
        "type": "coop",
        "url": "http://127.0.0.1/lab",
        "body": {"type": "navigate-to-document", "nextResponseURL": "http://other.example/"},
    }
    first, second = parse(posted(enforced, coop))
    assert first.describe().startswith("COEP blocked script http://other.example/a.js")
    assert (second.kind, second.blocked, second.disposition) == (
        "coop",
        "http://other.example/",
        "enforce",
    )


def test_other_report_types_and_blob_workers_are_skipped():
    deprecation = {"type": "deprecation", "url": "http://127.0.0.1/lab", "body": {"id": "x"}}
    blob = coep("blob:http://127.0.0.1/3d56-77", type="worker initialization")
    data = coep("data:text/javascript,1")
    assert parse(posted(deprecation, blob, data)) == []
    assert parse(b"[]") == []


@pytest.mark.parametrize(
    "body, message",
    [
        (b"not json", "not JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "not JSON"),
        (b'{"type": "coep"}', "not a list"),
        (b'["coep"]', "not an object with a body"),
        (posted({"type": "coep", "url": "x", "body": "a string"}), "not an object with a body"),
        (posted(*[coep("http://x.example/")] * 101), "more than 100 reports"),
    ],
    ids=["not-json", "too-deep", "object", "strings", "body-not-object", "too-many"],
)
def test_what_browsers_do_not_send_is_refused_in_words_of_our_own(body, message):
    with pytest.raises(BadReport, match=message) as e:
        parse(body)
    assert "x.example" not in str(e.value)  # nothing of the input is repeated


def test_strings_are_printable_bounded_and_carry_no_token():
    report = coep("http://other.example/a.png\n[W fake log line]\x1b[31m" + "x" * 10_000)
    report["url"] = "http://127.0.0.1/user/ada/lab?token=s3cr3t-t0ken"
    [kept] = parse(posted(report))
    assert kept.blocked.startswith("http://other.example/a.png?[W fake log line]?[31m")
    assert len(kept.blocked) < 1000
    assert "s3cr3t-t0ken" not in kept.page and kept.page.startswith("http://127.0.0.1/user/ada/lab")
    assert not any(ord(c) < 32 for c in kept.blocked + kept.page)


def test_a_field_that_is_not_a_string_is_read_as_empty():
    [report] = parse(posted(coep("http://other.example/a.png", destination=7, type=None)))
    assert (report.destination, report.reason) == ("", "")
    assert report.describe() == (
        "COEP would block http://other.example/a.png (no reason given) on http://127.0.0.1/lab"
    )


def test_the_store_counts_repeats_and_a_client_past_the_limit_replaces_its_own():
    store = ReportStore(limit=2)
    a, b, c = (parse(posted(coep(f"http://other.example/{n}.png")), "ada")[0] for n in "abc")
    assert store.add(a) is True
    assert store.add(parse(posted(coep("http://other.example/a.png")), "ada")[0]) is False
    assert store.add(b) is True
    # Past the limit: the client's oldest gives way, and a client replacing its own is not
    # logged (it would be a flood's every line).
    assert store.add(c) is False
    data = store.as_json(viewer="ada")
    assert [(r["blocked"], r["count"], r["from_viewer"]) for r in data["reports"]] == [
        ("http://other.example/b.png", 1, True),
        ("http://other.example/c.png", 1, True),
    ]
    assert data["dropped"] == 1
    assert "poster" not in json.dumps(data)  # what GET answers with: no client's address


def test_a_flooding_client_gives_way_to_another_clients_report():
    store = ReportStore(limit=3)
    genuine = parse(posted(coep("http://cdn.example/1.png")), "10.0.0.2")[0]
    assert store.add(genuine)
    for n in range(10):
        store.add(parse(posted(coep(f"http://made-up.example/{n}")), "10.0.0.9")[0])
    late = parse(posted(coep("http://cdn.example/2.png")), "10.0.0.2")[0]
    assert store.add(late) is True  # took the flood's place, and is logged
    kept = {r["blocked"]: r["from_viewer"] for r in store.as_json("10.0.0.2")["reports"]}
    assert kept == {
        "http://cdn.example/1.png": True,
        "http://made-up.example/9": False,
        "http://cdn.example/2.png": True,
    }


def test_the_same_url_reported_enforced_and_report_only_is_two_reports():
    store = ReportStore()
    url = "http://other.example/a.png"
    assert store.add(parse(posted(coep(url)))[0])
    assert store.add(parse(posted(coep(url, disposition="enforce")))[0])
    assert len(store.as_json()["reports"]) == 2


def test_the_rate_limit_allows_a_burst_then_refuses():
    limit = RateLimit(rate=0.0, burst=3)
    assert [limit.allow() for _ in range(5)] == [True, True, True, False, False]


def test_the_rate_limit_is_per_client_and_remembers_a_bounded_number_of_them():
    limit = RateLimit(rate=0.0, burst=1, clients=2)
    assert limit.allow("flood") and not limit.allow("flood")
    assert limit.allow("ada")  # another client is not turned away
    assert limit.allow("bob")  # a third: the one heard from longest ago is forgotten
    assert len(limit.buckets) == 2 and "flood" not in limit.buckets


def test_the_rate_limit_refills_at_its_rate_up_to_its_burst():
    limit = RateLimit(rate=10.0, burst=2)  # a token per 100 ms: the three calls take far less
    assert [limit.allow() for _ in range(3)] == [True, True, False]
    time.sleep(0.4)  # four tokens' worth, but the bucket holds two
    assert [limit.allow() for _ in range(3)] == [True, True, False]


def test_a_url_that_does_not_parse_is_kept_as_text_without_its_token():
    """`http://[oops` made the report endpoint answer 500 with a traceback in the log."""
    report = coep("http://[oops/a.png")
    report["url"] = "http://[oops/lab?token=s3cr3t-t0ken&x=1"
    [kept] = parse(posted(report))
    assert kept.blocked == "http://[oops/a.png"
    assert "s3cr3t-t0ken" not in kept.page and kept.page.startswith("http://[oops/lab?token=")


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u202e", "\u200b", "\ufeff", "\x85"])
def test_no_character_that_is_not_printable_reaches_the_log(char):
    [kept] = parse(posted(coep(f"http://other.example/a{char}b.png")))
    assert kept.blocked == "http://other.example/a?b.png"
