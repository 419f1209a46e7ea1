"""Host config files for static sites: rendered from the policy, written without clobbering the
user's own, checked; and, served by the real nginx and Apache, what isolates the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import static_servers
from harness import ISOLATION_PROBE, PROBE_WORKER_JS

from jupyter_coi import hosts
from jupyter_coi.policy import EMBEDDER, HEADERS, OPENER, RESOURCE, Policy

LINE_HOSTS = ["netlify", "apache", "nginx"]
JSON_HOSTS = ["vercel", "firebase"]
ALL_HOSTS = LINE_HOSTS + JSON_HOSTS
OTHER = Policy(embedder="credentialless", resource="cross-origin")

# How each line format sets a header, to write the user's own files with.
USER_LINE = {
    "netlify": "/lab/*\n  {name}: {value}\n",
    "apache": 'Header set {name} "{value}"\n',
    "nginx": 'add_header {name} "{value}";\n',
}
USER_UNRELATED = {
    "netlify": "/assets/*\n  Cache-Control: public, max-age=600\n",
    "apache": "Options -Indexes\nErrorDocument 404 /404.html\n",
    "nginx": "add_header X-Frame-Options DENY always;\n",
}


def file_in(site: Path, host: str) -> Path:
    return site / hosts.HOST_FILES[host]


# --- render ----------------------------------------------------------------------------------


def test_host_files():
    assert hosts.HOST_FILES == {
        "netlify": "_headers",
        "vercel": "vercel.json",
        "apache": ".htaccess",
        "nginx": "nginx-coi.conf",
        "firebase": "firebase.json",
    }


def test_header_names_and_values_come_from_the_policy_module():
    source = Path(hosts.__file__).read_text()
    assert "Cross-Origin" not in source
    for values in ("same-origin", "require-corp", "credentialless"):
        assert f'"{values}"' not in source


@pytest.mark.parametrize("policy", [Policy(), OTHER], ids=["default", "other"])
@pytest.mark.parametrize("host", ALL_HOSTS)
def test_render_sets_every_header_of_the_policy(host, policy):
    text = hosts.render(host, policy)
    for name, value in policy:
        assert name in text and value in text
    assert text.endswith("\n")


def test_render_line_formats_exactly():
    assert hosts.render("netlify", Policy()).splitlines()[-5:] == [
        "/*",
        f"  {OPENER}: same-origin",
        f"  {EMBEDDER}: require-corp",
        f"  {RESOURCE}: same-origin",
        "# END jupyter-coi",
    ]
    apache = hosts.render("apache", Policy()).splitlines()
    assert apache[0] == "# BEGIN jupyter-coi"
    assert apache[-6:] == [
        "<IfModule mod_headers.c>",
        f'  Header always set {OPENER} "same-origin"',
        f'  Header always set {EMBEDDER} "require-corp"',
        f'  Header always set {RESOURCE} "same-origin"',
        "</IfModule>",
        "# END jupyter-coi",
    ]
    nginx = hosts.render("nginx", Policy())
    assert f'add_header {EMBEDDER} "require-corp" always;\n' in nginx
    comments = [line for line in nginx.splitlines() if line.startswith("#")]
    assert any("include /path/to/nginx-coi.conf;" in line for line in comments)
    assert any("add_header of their own" in line for line in comments)


def test_render_json_formats_exactly():
    entries = [{"key": name, "value": value} for name, value in Policy()]
    assert json.loads(hosts.render("vercel", Policy())) == {
        "headers": [{"source": "/(.*)", "headers": entries}]
    }
    firebase = json.loads(hosts.render("firebase", Policy()))["hosting"]
    assert firebase["public"] == "."
    assert "firebase.json" in firebase["ignore"]
    assert firebase["headers"] == [{"source": "**", "headers": entries}]


def test_unknown_host_names_the_hosts():
    with pytest.raises(ValueError, match="unknown host 'gh-pages'; choose one of netlify, vercel"):
        hosts.render("gh-pages", Policy())


# --- write and check: our own files -----------------------------------------------------------


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_write_a_new_file_then_check_it(tmp_path, host):
    path = hosts.write(host, Policy(), tmp_path)
    assert path == file_in(tmp_path, host)
    assert path.read_text() == hosts.render(host, Policy())
    assert path.stat().st_mode & 0o777 == 0o644  # web servers' workers must read it
    assert hosts.check(host, Policy(), tmp_path) == []
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_write_again_changes_nothing(tmp_path, host):
    path = hosts.write(host, Policy(), tmp_path)
    before = (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino)
    hosts.write(host, Policy(), tmp_path)
    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) == before


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_a_changed_policy_replaces_our_values(tmp_path, host):
    hosts.write(host, Policy(), tmp_path)
    hosts.write(host, OTHER, tmp_path)
    assert file_in(tmp_path, host).read_text() == hosts.render(host, OTHER)
    assert hosts.check(host, OTHER, tmp_path) == []


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_check_names_each_value_that_differs(tmp_path, host):
    hosts.write(host, Policy(), tmp_path)
    problems = hosts.check(host, OTHER, tmp_path)
    assert len(problems) == 2
    assert any(
        EMBEDDER in p and "'require-corp'" in p and "'credentialless'" in p for p in problems
    )
    assert any(RESOURCE in p and "'cross-origin'" in p for p in problems)
    assert all(str(file_in(tmp_path, host)) in p for p in problems)


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_check_reports_a_missing_file(tmp_path, host):
    [problem] = hosts.check(host, Policy(), tmp_path)
    assert f"{file_in(tmp_path, host)} is missing" in problem


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_check_reports_a_missing_block_and_a_hand_edited_one(tmp_path, host):
    file_in(tmp_path, host).write_text(USER_UNRELATED[host])
    assert hosts.check(host, Policy(), tmp_path) == [
        (
            f"{file_in(tmp_path, host)}: jupyter-coi's block (# BEGIN jupyter-coi ... "
            "# END jupyter-coi) is missing"
        )
    ]
    hosts.write(host, Policy(), tmp_path)
    text = file_in(tmp_path, host).read_text()
    edited = "\n".join(line for line in text.splitlines() if OPENER not in line) + "\n"
    file_in(tmp_path, host).write_text(edited)
    [problem] = hosts.check(host, Policy(), tmp_path)
    assert f"{OPENER} is not set" in problem


@pytest.mark.parametrize("host", JSON_HOSTS)
def test_check_reports_a_json_file_without_our_rule(tmp_path, host):
    text = '{"hosting": {"public": "."}}' if host == "firebase" else "{}"
    file_in(tmp_path, host).write_text(text)
    [problem] = hosts.check(host, Policy(), tmp_path)
    assert "jupyter-coi's rule" in problem and "is missing" in problem


# --- write: the user's files ------------------------------------------------------------------


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_our_block_is_appended_to_a_users_file_once(tmp_path, host):
    user = USER_UNRELATED[host]
    path = file_in(tmp_path, host)
    path.write_text(user)
    hosts.write(host, Policy(), tmp_path)
    assert path.read_text() == user + "\n" + hosts.render(host, Policy())
    hosts.write(host, Policy(), tmp_path)
    hosts.write(host, OTHER, tmp_path)
    text = path.read_text()
    assert text == user + "\n" + hosts.render(host, OTHER)
    assert text.count("# BEGIN jupyter-coi") == 1
    assert hosts.check(host, OTHER, tmp_path) == []


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_the_users_lines_around_our_block_are_kept_byte_for_byte(tmp_path, host):
    path = file_in(tmp_path, host)
    before = b"# mine, with CRLF\r\n" + USER_UNRELATED[host].encode()
    after = b"# mine too, no final newline"
    path.write_bytes(before + hosts.render(host, Policy()).encode() + after)
    hosts.write(host, OTHER, tmp_path)
    assert path.read_bytes() == before + hosts.render(host, OTHER).encode() + after


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_a_user_file_without_final_newline_gets_one_before_our_block(tmp_path, host):
    path = file_in(tmp_path, host)
    path.write_text(USER_UNRELATED[host].rstrip("\n"))
    hosts.write(host, Policy(), tmp_path)
    assert path.read_text() == USER_UNRELATED[host] + "\n" + hosts.render(host, Policy())


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_a_user_setting_with_another_value_is_refused(tmp_path, host):
    path = file_in(tmp_path, host)
    user = USER_UNRELATED[host] + USER_LINE[host].format(name=EMBEDDER, value="unsafe-none")
    path.write_text(user)
    with pytest.raises(hosts.HostFileConflict) as e:
        hosts.write(host, Policy(), tmp_path)
    message = str(e.value)
    assert str(path) in message and EMBEDDER in message
    assert "'unsafe-none'" in message and "'require-corp'" in message
    assert f"remove it from {path.name}" in message and "left unchanged" in message
    assert (e.value.path, e.value.header, e.value.found, e.value.wanted) == (
        path,
        EMBEDDER,
        "unsafe-none",
        "require-corp",
    )
    assert path.read_text() == user
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_a_user_setting_with_the_same_value_is_refused_as_a_duplicate(tmp_path, host):
    path = file_in(tmp_path, host)
    user = USER_LINE[host].format(name=OPENER.lower(), value="same-origin")
    path.write_text(user)
    with pytest.raises(hosts.HostFileConflict, match="send the header twice") as e:
        hosts.write(host, Policy(), tmp_path)
    assert e.value.header == OPENER
    assert path.read_text() == user


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_a_damaged_block_is_refused(tmp_path, host):
    path = file_in(tmp_path, host)
    damaged = hosts.render(host, Policy()).replace("# END jupyter-coi\n", "")
    path.write_text(damaged)
    with pytest.raises(hosts.HostFileError, match="block is damaged"):
        hosts.write(host, Policy(), tmp_path)
    assert path.read_text() == damaged
    assert "block is damaged" in hosts.check(host, Policy(), tmp_path)[0]


def user_json(host: str, extra_rule: dict) -> dict:
    if host == "vercel":
        return {"cleanUrls": True, "headers": [extra_rule]}
    return {"hosting": {"public": "dist", "headers": [extra_rule]}, "emulators": {}}


def rule_lists(host: str, doc: dict) -> list:
    if host == "vercel":
        return doc["headers"]
    return doc["hosting"]["headers"]


@pytest.mark.parametrize("host", JSON_HOSTS)
def test_our_rule_is_merged_into_a_users_json(tmp_path, host):
    mine = {"source": "/assets/x", "headers": [{"key": "Cache-Control", "value": "no-store"}]}
    path = file_in(tmp_path, host)
    path.write_text(json.dumps(user_json(host, mine)))
    hosts.write(host, Policy(), tmp_path)
    merged = json.loads(path.read_text())
    ours = json.loads(hosts.render(host, Policy()))
    expected = user_json(host, mine)
    rule_lists(host, expected).append(rule_lists(host, ours)[0])
    assert merged == expected  # every key and rule of the user's kept, ours last
    text = path.read_text()
    hosts.write(host, Policy(), tmp_path)
    assert path.read_text() == text
    hosts.write(host, OTHER, tmp_path)
    assert len(rule_lists(host, json.loads(path.read_text()))) == 2
    assert hosts.check(host, OTHER, tmp_path) == []


@pytest.mark.parametrize("host", JSON_HOSTS)
def test_a_users_json_already_right_is_not_reformatted(tmp_path, host):
    path = file_in(tmp_path, host)
    compact = json.dumps(json.loads(hosts.render(host, Policy())), separators=(",", ":"))
    path.write_text(compact)
    hosts.write(host, Policy(), tmp_path)
    assert path.read_text() == compact


@pytest.mark.parametrize("host", JSON_HOSTS)
def test_a_json_rule_with_another_value_is_refused(tmp_path, host):
    theirs = {"source": "/lab/**", "headers": [{"key": OPENER.lower(), "value": "unsafe-none"}]}
    path = file_in(tmp_path, host)
    path.write_text(json.dumps(user_json(host, theirs), indent=4))
    before = path.read_bytes()
    with pytest.raises(hosts.HostFileConflict) as e:
        hosts.write(host, Policy(), tmp_path)
    assert str(path) in str(e.value) and OPENER in str(e.value)
    assert "'unsafe-none'" in str(e.value) and "'same-origin'" in str(e.value)
    assert path.read_bytes() == before
    assert any("'unsafe-none'" in p for p in hosts.check(host, Policy(), tmp_path))


@pytest.mark.parametrize("host", JSON_HOSTS)
def test_a_json_rule_with_the_same_value_is_accepted(tmp_path, host):
    # Vercel and Firebase let the last matching rule win: no duplicate header.
    theirs = {"source": "/lab/**", "headers": [{"key": OPENER, "value": "same-origin"}]}
    file_in(tmp_path, host).write_text(json.dumps(user_json(host, theirs)))
    hosts.write(host, Policy(), tmp_path)
    assert hosts.check(host, Policy(), tmp_path) == []


def test_firebase_with_several_sites_gets_our_rule_in_each(tmp_path):
    doc = {
        "hosting": [{"target": "a", "public": "a"}, {"target": "b", "public": "b", "headers": []}]
    }
    (tmp_path / "firebase.json").write_text(json.dumps(doc))
    hosts.write("firebase", Policy(), tmp_path)
    merged = json.loads((tmp_path / "firebase.json").read_text())
    ours = json.loads(hosts.render("firebase", Policy()))["hosting"]["headers"]
    assert [site["headers"] for site in merged["hosting"]] == [ours, ours]
    assert [site["target"] for site in merged["hosting"]] == ["a", "b"]


@pytest.mark.parametrize("host", JSON_HOSTS)
def test_invalid_json_is_an_error_naming_the_file(tmp_path, host):
    path = file_in(tmp_path, host)
    path.write_text('{"cleanUrls": true,\n}')
    with pytest.raises(hosts.HostFileError) as e:
        hosts.write(host, Policy(), tmp_path)
    assert not isinstance(e.value, hosts.HostFileConflict)
    assert f"{path} is not valid JSON" in str(e.value) and "line 2" in str(e.value)
    assert path.read_text() == '{"cleanUrls": true,\n}'
    assert f"{path} is not valid JSON" in hosts.check(host, Policy(), tmp_path)[0]


def test_json_that_is_not_an_object_is_an_error(tmp_path):
    (tmp_path / "vercel.json").write_text("[]")
    with pytest.raises(hosts.HostFileError, match="expected a JSON object"):
        hosts.write("vercel", Policy(), tmp_path)


@pytest.mark.parametrize("host", ["apache", "vercel"])
def test_a_failed_write_leaves_the_old_file_whole(tmp_path, host, monkeypatch):
    path = hosts.write(host, Policy(), tmp_path)
    before = path.read_bytes()

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(hosts.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        hosts.write(host, OTHER, tmp_path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_the_users_file_mode_is_kept(tmp_path):
    path = tmp_path / "_headers"
    path.write_text(USER_UNRELATED["netlify"])
    path.chmod(0o640)
    hosts.write("netlify", Policy(), tmp_path)
    assert path.stat().st_mode & 0o777 == 0o640


# --- real servers -------------------------------------------------------------------------------

SUB_PAGE = "<!doctype html><title>sub</title><p>a page in a subfolder</p>\n"
INDEX_PAGE = "<!doctype html><title>site</title><p>a static site</p>\n"
ISOLATED = {"crossOriginIsolated": True, "sharedArrayBuffer": "function"}
NOT_ISOLATED = {"crossOriginIsolated": False, "sharedArrayBuffer": "undefined"}


@pytest.fixture
def site():
    """A small static site in a folder that unprivileged server workers can read."""
    path = static_servers.public_dir("jupyter-coi-site-")
    (path / "index.html").write_text(INDEX_PAGE)
    (path / "probe-worker.js").write_text(PROBE_WORKER_JS)
    (path / "sub").mkdir()
    (path / "sub" / "index.html").write_text(SUB_PAGE)
    (path / "sub").chmod(0o755)
    yield path
    static_servers.remove(path)


@pytest.fixture
def serve():
    """Start nginx or Apache (``serve("nginx", site, ...)``); all are stopped when the test ends.
    A missing server fails the test with the command that installs it."""
    started: list[static_servers.StaticServer] = []
    workdirs: list[Path] = []

    def start(kind: str, site: Path, *args, **kwargs) -> static_servers.StaticServer:
        workdir = static_servers.public_dir(f"jupyter-coi-{kind}-")
        workdirs.append(workdir)
        try:
            server = getattr(static_servers, kind)(site, workdir, *args, **kwargs)
        except RuntimeError as e:
            pytest.fail(str(e), pytrace=False)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    for workdir in workdirs:
        static_servers.remove(workdir)


def isolation(page, server, path: str) -> dict:
    page.goto(server.url + path)
    return page.evaluate(ISOLATION_PROBE, server.url + "probe-worker.js")


def assert_isolated_everywhere(page, server) -> None:
    for path in ("", "index.html", "sub/", "sub"):  # `sub` is a 301 to `sub/`
        seen = isolation(page, server, path)
        assert seen == {"page": ISOLATED, "worker": ISOLATED}, path
    assert page.url == server.url + "sub/"


def assert_headers(server, policy: Policy) -> None:
    """The policy's headers on a page, a worker script, a 404 and a 301 (a folder without its
    slash): errors and redirects are where hand-written configs lose them."""
    statuses = {}
    for path in ("/", "/probe-worker.js", "/missing.html", "/sub"):
        response = server.get(path)
        statuses[path] = response.status
        for name, value in policy:
            assert response.headers.get(name.lower()) == value, (path, name, response.headers)
    assert statuses == {"/": 200, "/probe-worker.js": 200, "/missing.html": 404, "/sub": 301}


def assert_no_headers(server) -> None:
    for path in ("/", "/missing.html", "/sub"):
        response = server.get(path)
        assert not set(response.headers) & {name.lower() for name in HEADERS.values()}, path


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


def test_nginx_location_with_its_own_add_header_needs_the_snippet_again(site, serve):
    # What the snippet's comment warns about: add_header is inherited only by blocks without one.
    snippet = hosts.write("nginx", Policy(), site)
    own = "add_header X-Sub yes always;"
    server = serve("nginx", site, snippet, f"location /sub/ {{ {own} }}")
    assert OPENER.lower() not in server.get("/sub/").headers
    assert server.get("/").headers[OPENER.lower()] == "same-origin"
    server = serve("nginx", site, snippet, f"location /sub/ {{ {own} include {snippet}; }}")
    assert server.get("/sub/").headers[OPENER.lower()] == "same-origin"


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
