"""Host config files for static sites, in a folder: written without clobbering the user's own
(merged into it, or refused byte for byte), and checked. What a new one says is
tests/unit/test_host_file_render.py; served by the real nginx and Apache,
tests/integration/test_host_files_nginx_apache.py and tests/browser/test_host_files_isolate.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_coi import hosts, utils
from jupyter_coi.policy import EMBEDDER, OPENER, RESOURCE, Policy
from support.host_files import new_host_file

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


# --- write and check: our own files -----------------------------------------------------------


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_write_a_new_file_then_check_it(tmp_path, host):
    path = hosts.write(host, Policy(), tmp_path)
    assert path == file_in(tmp_path, host)
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
    assert file_in(tmp_path, host).read_text() == new_host_file(host, OTHER)
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
    assert path.read_text() == user + "\n" + new_host_file(host, Policy())
    hosts.write(host, Policy(), tmp_path)
    hosts.write(host, OTHER, tmp_path)
    text = path.read_text()
    assert text == user + "\n" + new_host_file(host, OTHER)
    assert text.count("# BEGIN jupyter-coi") == 1
    assert hosts.check(host, OTHER, tmp_path) == []


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_the_users_lines_around_our_block_are_kept_byte_for_byte(tmp_path, host):
    path = file_in(tmp_path, host)
    before = b"# mine, with CRLF\r\n" + USER_UNRELATED[host].encode()
    after = b"# mine too, no final newline"
    path.write_bytes(before + new_host_file(host, Policy()).encode() + after)
    hosts.write(host, OTHER, tmp_path)
    assert path.read_bytes() == before + new_host_file(host, OTHER).encode() + after


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_a_user_file_without_final_newline_gets_one_before_our_block(tmp_path, host):
    path = file_in(tmp_path, host)
    path.write_text(USER_UNRELATED[host].rstrip("\n"))
    hosts.write(host, Policy(), tmp_path)
    assert path.read_text() == USER_UNRELATED[host] + "\n" + new_host_file(host, Policy())


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
    damaged = new_host_file(host, Policy()).replace("# END jupyter-coi\n", "")
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
    ours = json.loads(new_host_file(host, Policy()))
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
    compact = json.dumps(json.loads(new_host_file(host, Policy())), separators=(",", ":"))
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
    ours = json.loads(new_host_file("firebase", Policy()))["hosting"]["headers"]
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

    monkeypatch.setattr(utils.os, "replace", fail)
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


# --- round trips and refusals, for every host ---------------------------------------------------

POLICIES = [
    Policy(),
    Policy(embedder="credentialless"),
    OTHER,
    Policy(opener="same-origin-allow-popups", embedder="unsafe-none", resource="same-site"),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.describe())
@pytest.mark.parametrize("host", ALL_HOSTS)
def test_render_write_check_round_trip(tmp_path, host, policy):
    path = hosts.write(host, policy, tmp_path)
    assert path.read_text() == new_host_file(host, policy)
    assert hosts.check(host, policy, tmp_path) == []
    for other in POLICIES:
        if other != policy:
            assert hosts.check(host, other, tmp_path), (policy, other)  # told apart


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_our_block_is_delimited_by_the_markers_once(host):
    lines = new_host_file(host, Policy()).splitlines()
    assert lines.count(hosts.BEGIN) == 1 and lines.count(hosts.END) == 1
    assert lines.index(hosts.BEGIN) < lines.index(hosts.END) == len(lines) - 1


def conflicting(host: str) -> bytes:
    """A user's file, CRLF line ends and no final newline, that sets COEP to another value."""
    if host in JSON_HOSTS:
        rule = {"source": "/**", "headers": [{"key": EMBEDDER, "value": "unsafe-none"}]}
        text = json.dumps(user_json(host, rule), indent=3).replace("\n", "\r\n")
    else:
        user = USER_UNRELATED[host] + USER_LINE[host].format(name=EMBEDDER, value="unsafe-none")
        text = user.replace("\n", "\r\n").rstrip("\r\n")
    return text.encode()


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_a_conflict_is_refused_and_leaves_the_file_byte_for_byte(tmp_path, host):
    path = file_in(tmp_path, host)
    path.write_bytes(conflicting(host))
    path.chmod(0o600)
    before = (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_mode)
    with pytest.raises(hosts.HostFileConflict) as e:
        hosts.write(host, Policy(), tmp_path)
    assert (e.value.header, e.value.found, e.value.wanted) == (
        EMBEDDER,
        "unsafe-none",
        "require-corp",
    )
    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_mode) == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left
    assert hosts.check(host, Policy(), tmp_path) != []  # and the check does not pass it


@pytest.mark.parametrize(
    "text, says",
    [
        ('{"x": NaN}', "NaN is not JSON"),
        ('{"x": Infinity}', "Infinity is not JSON"),
        ('{"x": 1e400}', "1e400 is too large a number"),
        ('{"x": ' + "9" * 5000 + "}", "too many digits"),
        ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ],
    ids=["NaN", "Infinity", "1e400", "5000 digits", "deep nesting"],
)
@pytest.mark.parametrize("host", JSON_HOSTS)
def test_json_that_would_not_be_written_back_as_json_is_refused(tmp_path, host, text, says):
    """Python reads these; written back they would be invalid JSON (NaN, Infinity) or never
    read at all (a traceback): refused, naming the file, which is left as it was."""
    path = file_in(tmp_path, host)
    path.write_text(text)
    with pytest.raises(hosts.HostFileError) as e:
        hosts.write(host, Policy(), tmp_path)
    assert str(path) in str(e.value) and says in str(e.value), str(e.value)[:300]
    assert path.read_text() == text


def test_firebase_with_no_site_is_refused(tmp_path):
    """`"hosting": []` has no site to give the headers: 'written' with no headers at all."""
    path = tmp_path / "firebase.json"
    path.write_text('{"hosting": []}')
    with pytest.raises(hosts.HostFileError, match="`hosting` is an empty list"):
        hosts.write("firebase", Policy(), tmp_path)
    assert path.read_text() == '{"hosting": []}'


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_a_comment_that_only_starts_like_our_marker_is_the_users(tmp_path, host):
    """`# BEGIN jupyter-coi-legacy` was refused as a damaged block."""
    path = file_in(tmp_path, host)
    users = "# BEGIN jupyter-coi-legacy (an old note of the user's)\n" + USER_UNRELATED[host]
    path.write_text(users)
    hosts.write(host, Policy(), tmp_path)
    text = path.read_text()
    assert text.startswith(users)
    assert hosts.check(host, Policy(), tmp_path) == []


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_a_crlf_file_gets_a_crlf_block(tmp_path, host):
    path = file_in(tmp_path, host)
    users = USER_UNRELATED[host].replace("\n", "\r\n")
    path.write_bytes(users.encode())
    hosts.write(host, Policy(), tmp_path)
    raw = path.read_bytes()
    assert raw.startswith(users.encode())
    assert b"\n" not in raw.replace(b"\r\n", b""), raw  # every line ends as the user's do
    assert hosts.check(host, Policy(), tmp_path) == []
    hosts.write(host, OTHER, tmp_path)  # the block replaced, still CRLF
    assert b"\n" not in path.read_bytes().replace(b"\r\n", b"")


@pytest.mark.parametrize("host", ["netlify", "vercel"])
def test_a_symlinked_host_file_is_written_through_the_link(tmp_path, host):
    """The link was replaced by a regular file, and the file it pointed at left unchanged."""
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / hosts.HOST_FILES[host]
    real.write_text("{}" if host == "vercel" else "")
    site = tmp_path / "site"
    site.mkdir()
    link = file_in(site, host)
    link.symlink_to(real)
    hosts.write(host, Policy(), site)
    assert link.is_symlink()
    assert hosts.check(host, Policy(), shared) == []


def test_a_temporary_file_left_by_a_killed_write_is_removed(tmp_path):
    stale = tmp_path / "._headers.k1ll3d.tmp"
    stale.write_text("half a file")
    unrelated = tmp_path / "._headers.notes"
    unrelated.write_text("the user's")
    hosts.write("netlify", Policy(), tmp_path)
    assert not stale.exists()
    assert unrelated.read_text() == "the user's"


@pytest.mark.parametrize(
    "line",
    [
        'more_set_headers "Cross-Origin-Opener-Policy: same-origin";',
        "more_set_headers -s 404 'X-Frame-Options: DENY' 'Cross-Origin-Opener-Policy: unsafe-none';",
    ],
)
def test_nginx_headers_more_is_seen_too(tmp_path, line):
    """nginx's headers-more module sets a header as well as add_header: the host would send
    it twice (browsers read a repeated COOP as invalid), and the file was 'written'."""
    path = tmp_path / "nginx-coi.conf"
    path.write_text(line + "\n")
    with pytest.raises(hosts.HostFileConflict):
        hosts.write("nginx", Policy(), tmp_path)
    assert path.read_text() == line + "\n"


# --- remove: what write put in, taken out again --------------------------------------------------


@pytest.mark.parametrize("host", LINE_HOSTS)
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_removing_gives_back_the_users_file_byte_for_byte(tmp_path, host, eol):
    path = file_in(tmp_path, host)
    user = ("# mine\n" + USER_UNRELATED[host]).replace("\n", eol).encode()
    path.write_bytes(user)
    hosts.write(host, Policy(), tmp_path)
    assert hosts.remove(host, tmp_path) == path
    assert path.read_bytes() == user
    assert hosts.remove(host, tmp_path) is None  # nothing of ours left: not written again


@pytest.mark.parametrize("host", ALL_HOSTS)
def test_a_file_that_was_all_ours_is_removed(tmp_path, host):
    hosts.write(host, OTHER, tmp_path)
    assert hosts.remove(host, tmp_path) == file_in(tmp_path, host)
    assert not file_in(tmp_path, host).exists()
    assert hosts.remove(host, tmp_path) is None  # and no file is no change


@pytest.mark.parametrize("host", JSON_HOSTS)
def test_removing_keeps_the_users_json_rules_and_keys(tmp_path, host):
    path = file_in(tmp_path, host)
    user_rule = {"source": "/files/(.*)", "headers": [{"key": "Cache-Control", "value": "no"}]}
    doc = (
        {"cleanUrls": True, "headers": [user_rule]}
        if host == "vercel"
        else {"hosting": [{"public": "a", "headers": [user_rule]}, {"public": "b"}]}
    )
    path.write_text(json.dumps(doc))
    hosts.write(host, Policy(), tmp_path)
    assert hosts.remove(host, tmp_path) == path
    assert json.loads(path.read_text()) == doc


@pytest.mark.parametrize("host", LINE_HOSTS)
def test_removing_from_a_damaged_block_is_refused_and_changes_nothing(tmp_path, host):
    path = file_in(tmp_path, host)
    damaged = USER_UNRELATED[host] + hosts.BEGIN + "\n"
    path.write_text(damaged)
    with pytest.raises(hosts.HostFileError, match="block is damaged"):
        hosts.remove(host, tmp_path)
    assert path.read_text() == damaged
