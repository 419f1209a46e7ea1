"""The JupyterLite addon, for real: `jupyter lite build|status|check|serve` in subprocesses, the
built site's host files and service worker, and the headers `jupyter lite serve` sends. The
served site in Chromium, Firefox and WebKit is tests/browser/test_lite_isolated.py; a folder that
is not a build, in-process, tests/unit/test_lite_site_folder.py."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from jupyter_coi import hosts
from jupyter_coi.policy import Policy
from support.harness import coi_check, free_port
from support.host_files import new_host_file
from support.lite_sites import ADDON, DEFAULT_BUILD_POLICY, built_site, new_site

TASK = "post_build:jupyter-coi:host-files"


# --- build ------------------------------------------------------------------------------------


def test_build_writes_every_host_file(lite_site):
    """With no configuration (`auto`, the service worker on), the host files send credentialless,
    and the log says what Safari gets instead (the worker's require-corp)."""
    for host, name in hosts.HOST_FILES.items():
        path = lite_site.out / name
        assert path.read_text() == new_host_file(host, DEFAULT_BUILD_POLICY), name
        assert hosts.check(host, DEFAULT_BUILD_POLICY, lite_site.out) == []
    vercel = json.loads((lite_site.out / "vercel.json").read_text())
    sent = {h["key"]: h["value"] for h in vercel["headers"][0]["headers"]}
    assert sent == DEFAULT_BUILD_POLICY.headers()
    assert (
        "Safari and other WebKit browsers do not support it and are not isolated by them; the "
        "service worker gives them require-corp, after one reload"
    ) in lite_site.build_log
    # the indicator comes with the build, from the environment's labextensions
    assert (lite_site.out / "extensions" / "jupyter-coi" / "package.json").exists()


def test_rebuild_is_up_to_date(lite_site):
    names = [lite_site.out / name for name in hosts.HOST_FILES.values()]
    before = {p: p.stat().st_mtime_ns for p in names}
    done = lite_site.build()
    assert done.returncode == 0, done.log
    assert f"-- {TASK}" in done.log  # doit's mark for a task that is up to date
    assert {p: p.stat().st_mtime_ns for p in names} == before


def test_edited_host_file_is_written_again(lite_site):
    headers = lite_site.out / "_headers"
    good = headers.read_text()
    headers.write_text(good.replace("credentialless", "unsafe-none"))
    done = lite_site.build()
    assert done.returncode == 0, done.log
    assert f".  {TASK}" in done.log
    assert headers.read_text() == good


def test_status_shows_the_policy_and_the_served_headers(lite_site):
    done = lite_site.lite("status")
    assert done.returncode == 0, done.log
    assert f"jupyter_coi | policy: {DEFAULT_BUILD_POLICY.describe()} (isolates)" in done.log
    assert (
        f"jupyter_coi | {ADDON}.embedder_policy = 'auto' gives the host files "
        "Cross-Origin-Embedder-Policy: credentialless"
    ) in done.log
    assert "server: tornado" in done.log
    for name, value in DEFAULT_BUILD_POLICY:
        assert f"        {name}: {value}" in done.log


def test_serve_headers_set_by_the_user_win(tmp_path):
    site = new_site(tmp_path)
    (site.lite_dir / "jupyter_lite_config.json").write_text(
        json.dumps(
            {
                "LiteBuildConfig": {
                    "extra_http_headers": {"cross-origin-embedder-policy": "require-corp"}
                }
            }
        )
    )
    done = site.lite("status")
    assert done.returncode == 0, done.log
    assert "        cross-origin-embedder-policy: require-corp" in done.log
    assert "        Cross-Origin-Embedder-Policy: credentialless\n" not in done.log
    assert "        Cross-Origin-Opener-Policy: same-origin" in done.log
    assert (
        "LiteBuildConfig.extra_http_headers sets Cross-Origin-Embedder-Policy: require-corp, "
        "which `jupyter lite serve` sends instead of the policy's credentialless"
    ) in done.log


def test_settings_from_config_file_and_command_line(tmp_path):
    site = built_site(
        tmp_path,
        {"embedder_policy": "credentialless", "host_files": ["netlify", "nginx"]},
        f"--{ADDON}.resource_policy=cross-origin",
    )
    policy = Policy(embedder="credentialless", resource="cross-origin")
    # Which browsers the static headers leave out, and what covers them.
    assert (
        "the host files send COEP credentialless to every browser; Safari and other WebKit "
        "browsers do not support it and are not isolated by them; the service worker gives "
        "them require-corp, after one reload"
    ) in site.build_log
    assert (site.out / "_headers").read_text() == new_host_file("netlify", policy)
    assert (site.out / "nginx-coi.conf").read_text() == new_host_file("nginx", policy)
    for other in ("vercel.json", ".htaccess", "firebase.json"):
        assert not (site.out / other).exists()


def test_auto_without_the_service_worker_sends_require_corp_and_says_so(tmp_path):
    """Nothing could give Safari another value than the host's: require-corp, which isolates
    every browser and blocks what other sites send without CORP; the log names the setting."""
    site = built_site(tmp_path, {"service_worker": False, "host_files": ["netlify"]})
    assert (site.out / "_headers").read_text() == new_host_file("netlify", Policy())
    assert not (site.out / "coi-reload.js").exists()
    assert (
        f"{ADDON}.embedder_policy = 'auto' with {ADDON}.service_worker off: the host files send "
        "COEP require-corp, the only value that isolates every browser"
    ) in site.build_log
    assert f"are blocked; with {ADDON}.service_worker = true, Chromium" in site.build_log
    done = site.lite("check")
    assert done.returncode == 0, done.log
    assert "jupyter_coi | host files OK: _headers; " in done.log


def test_disabled_writes_nothing_and_sends_nothing(tmp_path):
    site = built_site(tmp_path, {"enabled": False})
    assert not any((site.out / name).exists() for name in hosts.HOST_FILES.values())
    done = site.lite("status")
    assert f"disabled by {ADDON}.enabled = False" in done.log
    assert "Cross-Origin-Embedder-Policy" not in done.log


def test_user_host_file_is_merged_and_a_conflict_refused(lite_site):
    headers = lite_site.out / "_headers"
    ours = headers.read_text()
    user_rule = "/files/*\n  Cache-Control: no-cache\n\n"
    headers.write_text(user_rule + ours)
    firebase = lite_site.out / "firebase.json"
    before = firebase.read_bytes()
    try:
        # a rule of the user's beside ours: kept, and the build leaves the file alone
        done = lite_site.build()
        assert done.returncode == 0, done.log
        assert headers.read_text() == user_rule + ours
        # the user's firebase.json sets COEP to something else: refused, nothing changed
        doc = json.loads(before)
        doc["hosting"]["headers"].insert(
            0,
            {
                "source": "/lab/**",
                "headers": [{"key": "Cross-Origin-Embedder-Policy", "value": "unsafe-none"}],
            },
        )
        firebase.write_text(json.dumps(doc))
        conflicting = firebase.read_bytes()
        headers.unlink()
        done = lite_site.build()
        assert done.returncode != 0, done.log
        assert "no host file was written" in done.log
        assert "Cross-Origin-Embedder-Policy is set to 'unsafe-none'" in done.log
        assert firebase.read_bytes() == conflicting
        assert not headers.exists()  # written before firebase.json, then taken back
    finally:
        firebase.write_bytes(before)
        headers.write_text(ours)


INVALID = [
    (
        ["--CrossOriginIsolationAddon.embedder_policy=require-cors"],
        None,
        (
            "CrossOriginIsolationAddon.embedder_policy = 'require-cors' is not allowed; choose one of "
            "'require-corp', 'credentialless', 'unsafe-none', 'auto'"
        ),
    ),
    (
        [],
        {"opener_policy": "same-site"},
        "CrossOriginIsolationAddon.opener_policy = 'same-site' is not allowed",
    ),
    (
        [],
        {"host_files": ["netlify", "github-pages"]},
        "'github-pages', which is not a host jupyter-coi knows; choose among 'netlify', 'vercel'",
    ),
    (
        [],
        {"embeder_policy": "credentialless"},
        (
            "CrossOriginIsolationAddon.embeder_policy is not a setting of jupyter-coi; did you mean "
            "CrossOriginIsolationAddon.embedder_policy?"
        ),
    ),
    ([], {"enabled": "maybe"}, "'enabled' trait of a CrossOriginIsolationAddon instance"),
]


@pytest.mark.parametrize(
    "args,config,message",
    INVALID,
    ids=["cli-embedder", "file-opener", "file-host", "file-misspelt", "file-enabled"],
)
def test_invalid_setting_stops_before_anything_is_written(tmp_path, args, config, message):
    site = new_site(tmp_path)
    if config is not None:
        site.write_config(config)
    done = site.build(*args)
    assert done.returncode == 1, done.log
    assert message in done.log
    assert "nothing was built" in done.log
    assert not site.out.exists()
    assert not list(site.lite_dir.glob(".jupyterlite.doit.db*"))


# --- jupyter lite check -------------------------------------------------------------------------


def test_check_reports_a_removed_host_file(lite_site):
    done = lite_site.lite("check")
    assert done.returncode == 0, done.log
    assert "jupyter_coi | host files OK" in done.log
    # The default build is no problem; what Safari gets from it is said.
    assert "not isolated by them; the service worker gives them require-corp" in done.log
    htaccess = lite_site.out / ".htaccess"
    htaccess.unlink()
    done = lite_site.lite("check")
    assert done.returncode == 1, done.log
    assert "the site's host files do not isolate it" in done.log
    assert f"{htaccess} is missing" in done.log
    assert not htaccess.exists()  # reported, not mended behind the user's back
    assert lite_site.build().returncode == 0
    assert htaccess.exists()


def test_build_sets_up_the_service_worker_and_check_reports_its_loss(lite_site):
    worker = lite_site.out / "service-worker.js"
    original = lite_site.out / "service-worker.jupyterlite.js"
    wrapped = worker.read_text()
    assert "jupyter-coi-service-worker-wrapper" in wrapped
    assert json.dumps(DEFAULT_BUILD_POLICY.headers())[1:-1] in wrapped
    assert 'id="jupyter-coi-reload"' in (lite_site.out / "lab" / "index.html").read_text()
    assert "jupyter_coi | service worker OK" in lite_site.lite("check").log

    # a deploy step that put JupyterLite's own worker back
    worker.write_text(original.read_text())
    done = lite_site.lite("check")
    assert done.returncode == 1, done.log
    assert "the site is not isolated on hosts without headers" in done.log
    assert lite_site.build().returncode == 0
    assert worker.read_text() == wrapped


def test_an_off_switch_and_a_rebuild_take_out_what_earlier_builds_wrote(tmp_path):
    """The service worker, a host, then the whole addon turned off, each followed by a build
    into the same folder: what the earlier builds wrote goes, the user's own lines stay, and
    turning a part on again puts it back."""
    site = built_site(tmp_path)
    out = site.out
    user_rule = "/files/*\n  Cache-Control: no-cache\n\n"
    (out / "_headers").write_text(user_rule + (out / "_headers").read_text())
    jupyterlite_worker = (out / "service-worker.jupyterlite.js").read_bytes()

    def pages_with_the_script() -> list[str]:
        return [
            str(p.relative_to(out))
            for p in out.rglob("index.html")
            if 'id="jupyter-coi-reload"' in p.read_text()
        ]

    assert pages_with_the_script()

    site.write_config({"service_worker": False})
    done = site.build()
    assert done.returncode == 0, done.log
    assert (out / "service-worker.js").read_bytes() == jupyterlite_worker
    assert not (out / "service-worker.jupyterlite.js").exists()
    assert not (out / "coi-reload.js").exists()
    assert pages_with_the_script() == []
    assert "took out what earlier builds wrote" in done.log
    assert all((out / name).exists() for name in hosts.HOST_FILES.values())

    site.write_config({"host_files": ["netlify"]})
    done = site.build()
    assert done.returncode == 0, done.log
    assert "jupyter-coi-service-worker-wrapper" in (out / "service-worker.js").read_text()
    assert pages_with_the_script()
    # The files that held only jupyter-coi's part are gone; _headers keeps both parts.
    assert sorted(p.name for p in out.iterdir() if p.name in hosts.HOST_FILES.values()) == [
        "_headers"
    ]
    assert (out / "_headers").read_text().startswith(user_rule + hosts.BEGIN)

    site.write_config({"enabled": False})
    done = site.build()
    assert done.returncode == 0, done.log
    assert (out / "_headers").read_text() == user_rule.rstrip("\n") + "\n"
    assert (out / "service-worker.js").read_bytes() == jupyterlite_worker
    assert pages_with_the_script() == []
    # And the check says what the site now is: isolated on no host.
    checked = coi_check(str(out))
    assert checked.returncode == 1, checked.stdout + checked.stderr


# --- jupyter lite serve -------------------------------------------------------------------------


def response_headers(url: str) -> dict[str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return dict(r.headers)
    except urllib.error.HTTPError as e:  # an error page must be isolated too
        return dict(e.headers)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "lab/index.html",
        "notebooks/",
        "jupyter-lite.json",
        "service-worker.js",
        "files/probe-worker.js",
        "no/such/file",
    ],
)
def test_serve_sends_the_headers(lite_served, path):
    headers = response_headers(lite_served.url + path)
    assert "TornadoServer" in headers["Server"]
    want = DEFAULT_BUILD_POLICY.headers()
    assert {name: headers.get(name) for name in want} == want


def test_serve_without_tornado_refuses(lite_site):
    port = free_port()
    done = lite_site.lite(
        "serve", f"--port={port}", env={"JUPYTERLITE_NO_TORNADO": "1"}, timeout=120
    )
    assert done.returncode == 1, done.log
    assert "would use its standard-library server, which sends none" in done.log
    assert "Serving JupyterLite" not in done.log
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
