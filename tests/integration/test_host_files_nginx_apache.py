"""The host files served by the real nginx and Apache, read over HTTP (no browser): where nginx
needs the snippet again, Apache without mod_headers, and a missing server failing the test. What
isolates in a browser is tests/browser/test_host_files_isolate.py."""

from __future__ import annotations

import pytest

from jupyter_coi import hosts
from jupyter_coi.policy import OPENER, Policy
from support import static_servers
from support.static_servers import assert_no_headers


def test_nginx_location_with_its_own_add_header_needs_the_snippet_again(site, serve):
    # What the snippet's comment warns about: add_header is inherited only by blocks without one.
    snippet = hosts.write("nginx", Policy(), site)
    own = "add_header X-Sub yes always;"
    server = serve("nginx", site, snippet, f"location /sub/ {{ {own} }}")
    assert OPENER.lower() not in server.get("/sub/").headers
    assert server.get("/").headers[OPENER.lower()] == "same-origin"
    server = serve("nginx", site, snippet, f"location /sub/ {{ {own} include {snippet}; }}")
    assert server.get("/sub/").headers[OPENER.lower()] == "same-origin"


def test_apache_without_mod_headers_serves_the_site_unisolated_rather_than_failing(site, serve):
    # The <IfModule> guard: without it every request would be a 500.
    hosts.write("apache", Policy(), site)
    server = serve("apache", site, modules=())
    assert server.get("/").status == 200
    assert_no_headers(server)


@pytest.mark.parametrize("kind,attribute", [("nginx", "NGINX"), ("apache", "APACHE")])
def test_a_missing_server_fails_the_test_never_skips_it(site, serve, monkeypatch, kind, attribute):
    monkeypatch.setattr(static_servers, attribute, f"/nonexistent/{kind}")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y nginx apache2"):
        serve(kind, site, None) if kind == "nginx" else serve(kind, site)


def test_a_missing_server_fails_with_the_install_command(monkeypatch):
    with pytest.raises(RuntimeError) as e:
        static_servers.require("/nonexistent/nginx")
    assert "apt-get update && apt-get install -y nginx apache2" in str(e.value)
    assert static_servers.require(static_servers.NGINX) == static_servers.NGINX
    assert static_servers.require(static_servers.APACHE) == static_servers.APACHE
