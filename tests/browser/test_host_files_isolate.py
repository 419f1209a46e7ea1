"""The host files served by the real nginx and Apache, read in Chromium: with jupyter-coi's
snippet or .htaccess, pages, workers, errors and redirects are isolated; without, they are not."""

from __future__ import annotations

from jupyter_coi import hosts
from jupyter_coi.policy import Policy
from support.harness import ISOLATION_PROBE
from support.static_servers import assert_headers, assert_no_headers

ISOLATED = {"crossOriginIsolated": True, "sharedArrayBuffer": "function"}
NOT_ISOLATED = {"crossOriginIsolated": False, "sharedArrayBuffer": "undefined"}


def isolation(page, server, path: str) -> dict:
    page.goto(server.url + path)
    return page.evaluate(ISOLATION_PROBE, server.url + "probe-worker.js")


def assert_isolated_everywhere(page, server) -> None:
    for path in ("", "index.html", "sub/", "sub"):  # `sub` is a 301 to `sub/`
        seen = isolation(page, server, path)
        assert seen == {"page": ISOLATED, "worker": ISOLATED}, path
    assert page.url == server.url + "sub/"


def test_nginx_with_our_snippet_isolates_pages_workers_errors_and_redirects(site, serve, page):
    snippet = hosts.write("nginx", Policy(), site)
    assert hosts.check("nginx", Policy(), site) == []
    server = serve("nginx", site, snippet)
    assert_headers(server, Policy())
    assert_isolated_everywhere(page, server)


def test_nginx_without_our_snippet_is_not_isolated(site, serve, page):
    hosts.write("nginx", Policy(), site)  # in the folder, but not included
    server = serve("nginx", site, None)
    assert_no_headers(server)
    assert isolation(page, server, "index.html") == {"page": NOT_ISOLATED, "worker": NOT_ISOLATED}


def test_nginx_snippet_with_credentialless_isolates(site, serve, page):
    policy = Policy(embedder="credentialless")
    server = serve("nginx", site, hosts.write("nginx", policy, site))
    assert_headers(server, policy)
    assert isolation(page, server, "sub/") == {"page": ISOLATED, "worker": ISOLATED}


def test_apache_with_our_htaccess_isolates_pages_workers_errors_and_redirects(site, serve, page):
    hosts.write("apache", Policy(), site)
    assert hosts.check("apache", Policy(), site) == []
    server = serve("apache", site)
    assert_headers(server, Policy())
    assert_isolated_everywhere(page, server)


def test_apache_without_our_htaccess_is_not_isolated(site, serve, page):
    server = serve("apache", site)
    assert_no_headers(server)
    assert isolation(page, server, "index.html") == {"page": NOT_ISOLATED, "worker": NOT_ISOLATED}


def test_apache_htaccess_appended_to_the_users_own_still_isolates(site, serve, page):
    user = "# the user's\nErrorDocument 404 /sub/index.html\n"
    (site / ".htaccess").write_text(user)
    hosts.write("apache", Policy(), site)
    assert (site / ".htaccess").read_text().startswith(user)
    server = serve("apache", site)
    assert_headers(server, Policy())
    assert isolation(page, server, "missing.html") == {"page": ISOLATED, "worker": ISOLATED}
    assert "a page in a subfolder" in page.content()  # the user's rule still applies
