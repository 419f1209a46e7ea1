"""The JupyterLite addon, for real: `jupyter lite build|check|serve` in subprocesses, the
built site's host files, and the served site in Chromium, Firefox and WebKit (isolated, with the
indicator saying so) against the same site from a plain server without headers (not isolated)."""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import static_servers
from engines import isolation_seen
from harness import ISOLATION_PROBE, free_port
from lite_sites import (
    ADDON,
    LiteSite,
    Served,
    built_site,
    lite_serve,
    new_site,
    plain_server,
)

from jupyter_coi import hosts
from jupyter_coi.policy import Policy

TASK = "post_build:jupyter-coi:host-files"


@pytest.fixture(scope="module")
def lite_site(tmp_path_factory) -> LiteSite:
    """One real `jupyter lite build` with the default settings, shared by the module's tests.
    A test that changes the site puts it back as it was."""
    return built_site(tmp_path_factory.mktemp("lite-site"))


# --- build ------------------------------------------------------------------------------------


def test_build_writes_every_host_file(lite_site):
    for host, name in hosts.HOST_FILES.items():
        path = lite_site.out / name
        assert path.read_text() == hosts.render(host, Policy()), name
        assert hosts.check(host, Policy(), lite_site.out) == []
    vercel = json.loads((lite_site.out / "vercel.json").read_text())
    assert {h["key"]: h["value"] for h in vercel["headers"][0]["headers"]} == Policy().headers()
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
    headers.write_text(good.replace("require-corp", "unsafe-none"))
    done = lite_site.build()
    assert done.returncode == 0, done.log
    assert f".  {TASK}" in done.log
    assert headers.read_text() == good


def test_status_shows_the_policy_and_the_served_headers(lite_site):
    done = lite_site.lite("status")
    assert done.returncode == 0, done.log
    assert f"jupyter_coi | policy: {Policy().describe()} (isolates)" in done.log
    assert "server: tornado" in done.log
    for name, value in Policy():
        assert f"        {name}: {value}" in done.log


def test_serve_headers_set_by_the_user_win(tmp_path):
    site = new_site(tmp_path)
    (site.lite_dir / "jupyter_lite_config.json").write_text(
        json.dumps(
            {
                "LiteBuildConfig": {
                    "extra_http_headers": {"cross-origin-embedder-policy": "credentialless"}
                }
            }
        )
    )
    done = site.lite("status")
    assert done.returncode == 0, done.log
    assert "        cross-origin-embedder-policy: credentialless" in done.log
    assert "Cross-Origin-Embedder-Policy: require-corp\n" not in done.log
    assert "        Cross-Origin-Opener-Policy: same-origin" in done.log
    assert (
        "LiteBuildConfig.extra_http_headers sets Cross-Origin-Embedder-Policy: credentialless, "
        "which `jupyter lite serve` sends instead of the policy's require-corp"
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
    assert (site.out / "_headers").read_text() == hosts.render("netlify", policy)
    assert (site.out / "nginx-coi.conf").read_text() == hosts.render("nginx", policy)
    for other in ("vercel.json", ".htaccess", "firebase.json"):
        assert not (site.out / other).exists()


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
            "'require-corp', 'credentialless', 'unsafe-none'"
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


# --- the host files of a folder, without jupyterlite-core --------------------------------------


def test_a_folder_that_is_not_a_lite_build_is_refused(tmp_path):
    from jupyter_coi.lite.site import NotALiteSite, check_host_files, write_host_files

    (tmp_path / "index.html").write_text("<html></html>")
    with pytest.raises(
        NotALiteSite, match=r"is not a JupyterLite build: it has no jupyter-lite\.json"
    ):
        write_host_files(tmp_path, Policy(), hosts.HOST_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]
    (tmp_path / "jupyter-lite.json").write_text("{}")
    with pytest.raises(NotALiteSite, match="has no 'jupyter-config-data'"):
        write_host_files(tmp_path, Policy(), ["netlify"])
    assert not (tmp_path / "_headers").exists()
    (tmp_path / "jupyter-lite.json").unlink()
    problems = check_host_files(tmp_path, Policy(), ["netlify"])
    assert problems == [
        (
            f"{tmp_path} is not a JupyterLite build: it has no jupyter-lite.json. Point it at the "
            "output folder of `jupyter lite build` (its --output-dir)."
        )
    ]


# --- jupyter lite check -------------------------------------------------------------------------


def test_check_reports_a_removed_host_file(lite_site):
    done = lite_site.lite("check")
    assert done.returncode == 0, done.log
    assert "jupyter_coi | host files OK" in done.log
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
    assert json.dumps(Policy().headers())[1:-1].split(",")[0] in wrapped
    assert 'id="jupyter-coi-reload"' in (lite_site.out / "lab" / "index.html").read_text()
    assert "jupyter_coi | service worker OK" in lite_site.lite("check").log

    # a deploy step that put JupyterLite's own worker back
    worker.write_text(original.read_text())
    done = lite_site.lite("check")
    assert done.returncode == 1, done.log
    assert "the site is not isolated on hosts without headers" in done.log
    assert lite_site.build().returncode == 0
    assert worker.read_text() == wrapped


# --- jupyter lite serve -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lite_served(tmp_path_factory) -> Iterator[Served]:
    yield from lite_serve(new_site(tmp_path_factory.mktemp("lite-served")))


@pytest.fixture(scope="module")
def site_without_service_worker(tmp_path_factory) -> LiteSite:
    return built_site(tmp_path_factory.mktemp("lite-no-sw"), {"service_worker": False})


@pytest.fixture
def plain_served(site_without_service_worker) -> Iterator[Served]:
    yield from plain_server(site_without_service_worker)


@pytest.fixture
def plain_served_with_service_worker(lite_site) -> Iterator[Served]:
    yield from plain_server(lite_site)


@pytest.fixture(scope="module")
def public_site(lite_site) -> Iterator[Path]:
    """The default build, where nginx's and Apache's workers can read it."""
    folder = static_servers.public_dir("jupyter-coi-lite-")
    shutil.copytree(lite_site.out, folder / "site")
    yield folder / "site"
    static_servers.remove(folder)


@pytest.fixture(params=["nginx", "apache"])
def real_host(request, public_site) -> Iterator[Served]:
    """The build served by the real server its generated config file is for."""
    workdir = static_servers.public_dir(f"jupyter-coi-{request.param}-")
    try:
        if request.param == "nginx":
            server = static_servers.nginx(public_site, workdir, public_site / "nginx-coi.conf")
        else:
            server = static_servers.apache(public_site, workdir)
        try:
            yield Served(server.url, server.proc, server.log_path)
        finally:
            server.stop()
    finally:
        static_servers.remove(workdir)


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
    assert {name: headers.get(name) for name in Policy().headers()} == Policy().headers()


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


# --- in the browsers ------------------------------------------------------------------------------

PAGES = [
    ("lab", "lab/index.html", ".jp-LabShell", "#jp-main-statusbar .jp-coi-indicator"),
    (
        "notebook",
        "notebooks/index.html?path=probe.ipynb",
        ".jp-Notebook",
        "#top-panel .jp-coi-indicator",
    ),
]

# Set by the service worker's page script before the reload it makes (coi-reload.js).
RELOADED = "() => sessionStorage.getItem('jupyter-coi-reloaded')"


def open_lite(page, served: Served, path: str, ready: str, indicator: str):
    page.goto(served.url + path)
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    item = page.wait_for_selector(f'{indicator}[data-coi-ready="true"]', state="attached")
    seen = page.evaluate(ISOLATION_PROBE, served.url + "files/probe-worker.js")
    return seen, item.get_attribute("data-coi-state"), item.inner_text()


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_served_site_is_isolated(lite_served, engine, page, name, path, ready, indicator):
    seen, state, text = open_lite(page, lite_served, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert state == "isolated"
    assert "Isolated" in text
    assert page.evaluate(RELOADED) is None  # the headers did it, not the service worker
    if engine.reads_console:
        assert page.console_log.errors("ERR_BLOCKED_BY") == []


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_real_host_with_its_config_file_is_isolated(
    real_host, engine, page, name, path, ready, indicator
):
    seen, state, _ = open_lite(page, real_host, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert seen["worker"] == isolation_seen(engine, engine.expects("lite-headers"))
    assert state == "isolated"
    # The headers did it: the service worker's reload was not needed.
    assert page.evaluate("() => performance.getEntriesByType('navigation')[0].type") == "navigate"
    assert page.evaluate(RELOADED) is None


@pytest.mark.engines
def test_headerless_host_is_isolated_by_the_service_worker(
    plain_served_with_service_worker, engine, page
):
    """The addon's default build on a host without headers: one reload, then isolated."""
    served = plain_served_with_service_worker
    _, path, _, indicator = PAGES[0]
    page.goto(served.url + path)
    deadline = time.monotonic() + 60
    state = None
    while time.monotonic() < deadline and state != "isolated":
        try:  # the page reloads once: reading it then can hit a destroyed context
            item = page.wait_for_selector(f'{indicator}[data-coi-ready="true"]', state="attached")
            if page.evaluate("self.crossOriginIsolated"):
                state = item.get_attribute("data-coi-state")
        except Exception:
            pass
        if state != "isolated":
            page.wait_for_timeout(250)
    assert (state == "isolated") is engine.expects("lite-service-worker")
    assert page.evaluate(RELOADED) is not None  # isolated by the worker, after the one reload


@pytest.mark.engines
@pytest.mark.parametrize("name,path,ready,indicator", PAGES, ids=[p[0] for p in PAGES])
def test_plain_server_is_not_isolated(plain_served, engine, page, name, path, ready, indicator):
    # A build without the service worker, on a host without headers: the host files alone do
    # nothing there.
    seen, state, text = open_lite(page, plain_served, path, ready, indicator)
    assert seen["page"] == isolation_seen(engine, False)
    assert state == "not-isolated"
    assert "Not isolated" in text
