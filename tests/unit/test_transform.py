"""The output transform on its own (tornado's HTTPHeaders, no server): the policy's headers are set
where a response has none of its own, paths excluded below the base URL get nothing, and COEP
``auto`` picks the headers by User-Agent with ``Vary: User-Agent``. Through a real server's
responses: tests/integration/test_server_headers.py."""

from __future__ import annotations

import pytest
from tornado.httputil import HTTPHeaders, HTTPServerRequest

from jupyter_coi import policy
from jupyter_coi.transform import IsolationTransform, make_transform

DEFAULT = policy.Policy().headers()
CREDENTIALLESS = policy.Policy(embedder="credentialless").headers()
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15"
)


def respond(
    transform: type[IsolationTransform],
    path: str,
    headers: dict[str, str] | None = None,
    agent: str | None = None,
    status: int = 200,
) -> tuple[int, HTTPHeaders, bytes]:
    """What the transform makes of one response to a GET of ``path``."""
    request_headers = HTTPHeaders()
    if agent is not None:
        request_headers["User-Agent"] = agent
    request = HTTPServerRequest(method="GET", uri=path, headers=request_headers)
    response = HTTPHeaders(headers or {})
    return transform(request).transform_first_chunk(status, response, b"the body", False)


def test_every_header_of_the_policy_is_added_and_nothing_else_changes():
    transform = make_transform(DEFAULT.items())
    status, headers, chunk = respond(transform, "/lab", {"Content-Type": "text/html"}, status=404)
    assert (status, chunk) == (404, b"the body")
    assert dict(headers) == {"Content-Type": "text/html", **DEFAULT}
    assert "Vary" not in headers  # one answer for every browser


def test_a_header_the_response_has_wins_whatever_its_case():
    transform = make_transform(DEFAULT.items())
    _, headers, _ = respond(transform, "/proxy/8888/", {policy.EMBEDDER.lower(): "credentialless"})
    assert headers.get_list(policy.EMBEDDER) == ["credentialless"]
    assert headers[policy.OPENER] == DEFAULT[policy.OPENER]
    assert headers[policy.RESOURCE] == DEFAULT[policy.RESOURCE]


@pytest.mark.parametrize("base_url", ["/user/ada/", "/user/ada"])
def test_excluded_paths_are_matched_below_the_base_url(base_url):
    transform = make_transform(
        DEFAULT.items(), base_url=base_url, excluded=[r"/api/status$", r"/proxy/"]
    )
    for path in ("/user/ada/api/status", "/user/ada/proxy/8888/index.html"):
        _, headers, _ = respond(transform, path)
        assert not set(headers) & set(DEFAULT), path
    for path in ("/user/ada/api/status/more", "/user/ada/lab", "/user/ada/api/contents"):
        _, headers, _ = respond(transform, path)
        assert {name: headers.get(name) for name in DEFAULT} == DEFAULT, path


def test_no_exclusion_excludes_nothing():
    transform = make_transform(DEFAULT.items(), base_url="/user/ada/")
    assert not transform.is_excluded("/user/ada/api/status")
    assert not transform.is_excluded("/")


def test_transforms_of_two_servers_keep_their_own_settings():
    one = make_transform(DEFAULT.items(), excluded=[r"/api/status$"])
    other = make_transform(CREDENTIALLESS.items())
    assert one.is_excluded("/api/status") and not other.is_excluded("/api/status")
    assert respond(other, "/lab")[1][policy.EMBEDDER] == "credentialless"
    assert respond(one, "/lab")[1][policy.EMBEDDER] == "require-corp"


@pytest.mark.parametrize(
    "agent, embedder",
    [
        (CHROME, "credentialless"),
        (SAFARI, "require-corp"),
        ("curl/8.5.0", "require-corp"),
        (None, "require-corp"),
    ],
    ids=["chrome", "safari", "curl", "no-user-agent"],
)
def test_auto_picks_by_user_agent_and_says_so_in_vary(agent, embedder):
    transform = make_transform(CREDENTIALLESS.items(), fallback=DEFAULT.items())
    _, headers, _ = respond(transform, "/lab", {"Vary": "Accept-Encoding"}, agent=agent)
    assert headers[policy.EMBEDDER] == embedder
    assert headers[policy.OPENER] == "same-origin"
    # the response's own Vary is kept, User-Agent added to it
    assert headers.get_list("Vary") == ["Accept-Encoding", "User-Agent"]


def test_auto_on_an_excluded_path_adds_no_vary_either():
    transform = make_transform(
        CREDENTIALLESS.items(), excluded=[r"/api/status$"], fallback=DEFAULT.items()
    )
    _, headers, _ = respond(transform, "/api/status", agent=CHROME)
    assert "Vary" not in headers and policy.EMBEDDER not in headers
