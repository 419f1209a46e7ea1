"""The violation-report endpoint of a real server under bad input. Anyone who can reach the
server can post to it (browsers send reports without cookies), so every refusal is a bare
status (no echo of the input, never a 500), memory stays bounded and the server responsive."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
import urllib.parse
from pathlib import Path

import pytest

from jupyter_coi import reports

REPORT_TYPE = "application/reports+json"


def coep_report(blocked: str, page: str = "http://127.0.0.1/lab") -> dict:
    return {
        "type": "coep",
        "url": page,
        "age": 10,
        "user_agent": "test",
        "body": {
            "type": "corp",
            "blockedURL": blocked,
            "destination": "image",
            "disposition": "reporting",
        },
    }


class Client:
    """Raw HTTP to one server, so that bodies, headers and chunking are exactly as sent, from
    a loopback address of its own (``source``: another client's address)."""

    def __init__(self, server, source: str = "127.0.0.1") -> None:
        self.server = server
        self.source = source
        parts = urllib.parse.urlsplit(server.url)
        self.host, self.port = parts.hostname, parts.port
        self.path = f"{server.base_url}api/coi/reports"
        self.post_path = self.named_endpoint() or f"{self.path}/no-key-named"

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            self.host, self.port, timeout=30, source_address=(self.source, 0)
        )

    def named_endpoint(self) -> str | None:
        """Where the server's responses tell browsers to post reports, as a browser reads it."""
        connection = self.connection()
        try:
            connection.request("GET", f"{self.server.base_url}api/status?token={self.server.token}")
            response = connection.getresponse()
            response.read()
            named = response.getheader("Reporting-Endpoints")
        finally:
            connection.close()
        if named is None:
            return None
        return named.split('"')[1]

    def post(
        self,
        body: bytes,
        content_type: str = REPORT_TYPE,
        chunked: bool = False,
        path: str | None = None,
    ) -> tuple[int, bytes]:
        """POST over a raw socket. The server may answer and close before the body is all
        sent (a refused type or size is refused unread): the answer is read all the same,
        as a browser would."""
        head = [
            f"POST {path or self.post_path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Type: {content_type}",
            "Connection: close",
        ]
        if chunked:
            head.append("Transfer-Encoding: chunked")
            chunks = [body[i : i + 8192] for i in range(0, len(body), 8192)]
            payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        else:
            head.append(f"Content-Length: {len(body)}")
            payload = body
        with socket.create_connection(
            (self.host, self.port), timeout=30, source_address=(self.source, 0)
        ) as sock:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            answer = b""
            try:
                while len(answer) < 1_000_000:
                    data = sock.recv(65536)
                    if not data:
                        break
                    answer += data
            except ConnectionResetError:
                pass
        status_line, _, rest = answer.partition(b"\r\n")
        _, _, content = rest.partition(b"\r\n\r\n")
        assert status_line.startswith(b"HTTP/1.1 "), answer[:200]
        return int(status_line.split()[1]), content

    def listed(self) -> dict:
        connection = self.connection()
        try:
            connection.request("GET", f"{self.path}?token={self.server.token}")
            response = connection.getresponse()
            assert response.status == 200
            return json.loads(response.read())
        finally:
            connection.close()

    def status_ms(self) -> float:
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", f"{self.server.base_url}api/status?token={self.server.token}")
            assert connection.getresponse().status == 200
        finally:
            connection.close()
        return (time.monotonic() - started) * 1000


def rss_kib(server) -> int:
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


@pytest.fixture
def client(jupyter_process) -> Client:
    return Client(
        jupyter_process("server", "--CrossOriginIsolation.report_only=True", base_url="/user/ada/")
    )


MARKER = "ECHO-ME-7f3a"

BAD_POSTS = [
    ("wrong content type", json.dumps([coep_report(MARKER)]).encode(), "application/json", 415),
    ("text", MARKER.encode(), "text/plain", 415),
    ("no content type", MARKER.encode(), "", 415),
    ("malformed JSON", f'[{{"type": "coep", "{MARKER}'.encode(), REPORT_TYPE, 400),
    ("deeply nested", b"[" * 50_000 + b"]" * 10, REPORT_TYPE, 400),
    ("not a list", json.dumps({"type": "coep", "x": MARKER}).encode(), REPORT_TYPE, 400),
    ("a list of strings", json.dumps([MARKER]).encode(), REPORT_TYPE, 400),
    (
        "a report without a body",
        json.dumps([{"type": "coep", "url": MARKER}]).encode(),
        REPORT_TYPE,
        400,
    ),
    ("too many reports", json.dumps([coep_report(MARKER)] * 101).encode(), REPORT_TYPE, 400),
    ("not UTF-8", b"\xff\xfe[" + MARKER.encode(), REPORT_TYPE, 400),
    ("oversized", json.dumps([coep_report(MARKER + "x" * 70_000)]).encode(), REPORT_TYPE, 413),
]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_bad_posts_get_a_bare_status(client, chunked):
    for name, body, content_type, expected in BAD_POSTS:
        status, answer = client.post(body, content_type, chunked=chunked)
        assert status == expected, name
        assert MARKER.encode() not in answer and len(answer) < 200, (name, answer[:200])
    assert client.listed()["reports"] == []
    log = client.server.log()
    assert "Traceback" not in log and " 500 " not in log
    assert MARKER not in log  # refused input is not logged either


def test_a_report_is_logged_once_and_listed(client):
    page = f"http://127.0.0.1/user/ada/lab?token={client.server.token}"
    report = json.dumps(
        [coep_report("http://other.example/a.png\n[W fake log line]", page)]
    ).encode()
    for _ in range(3):
        status, answer = client.post(report)
        assert (status, answer) == (204, b"")
    # A blob: worker takes the page's policy: never blocked once enforced, so not kept.
    blob = coep_report("blob:http://127.0.0.1/3d56-77")
    blob["body"]["type"] = "worker initialization"
    assert client.post(json.dumps([blob]).encode()) == (204, b"")
    listed = client.listed()
    assert listed["mode"] == "report-only" and listed["reporting"] is True
    [kept] = listed["reports"]
    assert (
        kept["count"] == 3 and kept["destination"] == "image" and kept["disposition"] == "reporting"
    )
    assert kept["blocked"] == "http://other.example/a.png?[W fake log line]"  # no line break
    assert client.server.token not in json.dumps(listed)  # tokens in page URLs are not kept
    lines = [line for line in client.server.log().splitlines() if "would block image" in line]
    assert len(lines) == 1 and "[W fake log line]" in lines[0]


def test_listing_needs_a_login(client):
    connection = http.client.HTTPConnection(client.host, client.port, timeout=30)
    connection.request("GET", client.path)
    assert connection.getresponse().status == 403


def test_a_flood_keeps_memory_bounded_and_the_server_responsive(client):
    """Thousands of distinct reports, as fast as one client can post them, in a bounded loop:
    rate-limited (429) or taken (204), never anything else; at most MAX_KEPT are kept."""
    before_ms = min(client.status_ms() for _ in range(5))
    before_kib = rss_kib(client.server)
    statuses: dict[int, int] = {}
    for batch in range(400):
        body = json.dumps(
            [
                coep_report(f"http://flood.example/{batch}/{i}/" + "x" * 400)
                for i in range(reports.MAX_REPORTS_PER_POST)
            ]
        ).encode()
        status, answer = client.post(body)
        assert answer == b""
        statuses[status] = statuses.get(status, 0) + 1
    assert set(statuses) <= {204, 429}, statuses
    assert statuses.get(429, 0) > 0 and statuses.get(204, 0) >= reports.BURST, statuses
    listed = client.listed()
    assert len(listed["reports"]) == reports.MAX_KEPT
    assert listed["dropped"] > 0
    log = client.server.log()
    assert log.count("would block image http://flood.example/") == reports.MAX_KEPT
    assert log.count("each new one now replaces the oldest of the client") == 1
    after_kib = rss_kib(client.server)
    after_ms = min(client.status_ms() for _ in range(5))
    print(
        f"flood: {statuses}, RSS {before_kib} -> {after_kib} KiB, "
        f"/api/status {before_ms:.1f} -> {after_ms:.1f} ms"
    )
    # 40,000 reports of about 500 bytes went in: kept, they would be 20 MB and more.
    assert after_kib - before_kib < 15_000
    assert after_ms < 1000


def test_no_endpoint_without_reporting(jupyter_process):
    client = Client(jupyter_process("server"))
    assert client.named_endpoint() is None
    for path in (client.path, client.post_path):
        status, _ = client.post(json.dumps([coep_report("http://x.example/")]).encode(), path=path)
        assert status in (403, 404), path
    assert client.listed() == {"reporting": False, "mode": "enforce", "reports": [], "dropped": 0}


def test_a_report_whose_urls_do_not_parse_is_taken_without_a_traceback(client):
    report = coep_report("http://[oops/a.png\u2028[W fake]", "http://[oops/lab?token=x")
    assert client.post(json.dumps([report]).encode()) == (204, b"")
    [kept] = client.listed()["reports"]
    assert kept["blocked"] == "http://[oops/a.png?[W fake]"
    log = client.server.log()
    assert "Traceback" not in log and " 500 " not in log
    assert "\u2028" not in log


def test_posts_go_only_to_the_path_the_server_names(client):
    """The path to post to has a key made at start, which only the server's own responses
    name: a post anywhere else under api/coi/reports is not taken."""
    assert client.post_path.startswith(client.path + "/")
    assert len(client.post_path.rsplit("/", 1)[1]) >= 20
    report = json.dumps([coep_report("http://x.example/a.png")]).encode()
    for elsewhere in (client.path, f"{client.path}/", f"{client.path}/not-the-key"):
        # 404 from the endpoint; 403 from Jupyter Server for a path it does not know.
        assert client.post(report, path=elsewhere)[0] in (403, 404), elsewhere
    assert client.listed()["reports"] == []
    assert client.post(report) == (204, b"")
    assert len(client.listed()["reports"]) == 1
    assert client.post_path not in client.server.log()


def test_a_flood_from_one_client_crowds_out_nobody_else(client):
    """One address posts made-up reports as fast as it can; another's report, posted after,
    is taken (no 429), kept, logged, and listed as its own; the flood's are listed as not
    from the viewer, and flood the log no further than the list's size."""
    statuses = []
    for batch in range(400):
        body = json.dumps(
            [
                coep_report(f"http://made-up.example/{batch}/{i}")
                for i in range(reports.MAX_REPORTS_PER_POST)
            ]
        ).encode()
        statuses.append(client.post(body)[0])
        if statuses.count(429) >= 3:
            break
    assert set(statuses) == {204, 429}, statuses
    genuine = Client(client.server, source="127.0.0.2")
    report = json.dumps([coep_report("http://cdn.example/genuine.png")]).encode()
    assert genuine.post(report) == (204, b"")
    listed = genuine.listed()["reports"]
    assert len(listed) == reports.MAX_KEPT
    mine = [r for r in listed if r["from_viewer"]]
    assert [r["blocked"] for r in mine] == ["http://cdn.example/genuine.png"]
    assert all(r["blocked"].startswith("http://made-up.example/") for r in listed if r not in mine)
    # The flooder sees its own as its own, and the other's as not.
    assert [r["blocked"] for r in client.listed()["reports"] if not r["from_viewer"]] == [
        "http://cdn.example/genuine.png"
    ]
    log = client.server.log()
    assert "would block image http://cdn.example/genuine.png" in log
    assert log.count("would block image http://made-up.example/") == reports.MAX_KEPT
