"""The Sphinx extension's work without Sphinx building anything (jupyter_coi.sphinx, in-process):
an HTML output gets a worker and a page script of its own and the host files at its root, the
JupyterLite site it embeds is wrapped with the same policy, a bad input is refused before
anything is written, and a bad conf.py value names the setting. Real Sphinx sites built and
opened in a browser: tests/browser/test_sphinx_site.py."""

from __future__ import annotations

import json
import re

import pytest
from traitlets import TraitError

from jupyter_coi import hosts, policy
from jupyter_coi.policy import Policy
from jupyter_coi.sphinx.settings import DocsSettings, from_config
from jupyter_coi.static import htmlsite as docs
from jupyter_coi.static import serviceworker as sw
from jupyter_coi.static.litebuild import NotALiteSite
from jupyter_coi.static.scripts import script
from support.harness import REPO

POLICY = Policy(embedder="credentialless")
HOSTS = ["netlify", "apache"]
JUPYTERLITE_WORKER = "// JupyterLite's service worker\nself.addEventListener('fetch', () => {});\n"
LAB_PAGE = "<!doctype html>\n<html>\n<head>\n<title>JupyterLab</title>\n</head>\n</html>\n"


def html_output(tmp_path):
    out = tmp_path / "html"
    out.mkdir()
    (out / "index.html").write_text("<html><head></head><body>docs</body></html>")
    return out


def lite_build(out, **config_data):
    """A JupyterLite build as jupyterlite-sphinx leaves it in the HTML output, in the few files
    jupyter-coi reads or writes."""
    site = out / docs.LITE_DIR
    (site / "lab").mkdir(parents=True)
    data = {"appVersion": "0.8.6", **config_data}
    (site / "jupyter-lite.json").write_text(
        json.dumps({"jupyter-lite-schema-version": 0, "jupyter-config-data": data})
    )
    (site / sw.SERVICE_WORKER).write_text(JUPYTERLITE_WORKER)
    (site / "lab" / "index.html").write_text(LAB_PAGE)
    return site


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def site_json(out) -> dict:
    """The SITE literal of the page script, as the browser reads it."""
    text = (out / docs.STATIC / docs.PAGE_SCRIPT).read_text()
    [literal] = re.findall(r"^\s*var SITE = (.*);$", text, re.MULTILINE)
    return json.loads(literal)


def test_a_site_without_lite_gets_its_worker_page_script_and_host_files(tmp_path):
    out = html_output(tmp_path)
    written = docs.isolate_html_site(out, POLICY, HOSTS)
    assert sorted(written) == sorted(
        [
            out / docs.WORKER,
            out / docs.STATIC / docs.PAGE_SCRIPT,
            out / "_headers",
            out / ".htaccess",
        ]
    )
    worker = (out / docs.WORKER).read_text()
    # Nothing to import: an importScripts of a missing file would keep the worker from installing.
    assert "importScripts(" not in worker
    assert sw.rendered_headers(worker) == POLICY.headers()
    assert worker.endswith(script("docs-worker-tail.js"))
    assert "event.respondWith(fetch(request))" in worker
    assert site_json(out) == {"worker": docs.WORKER, "lite": None}
    for name in HOSTS:
        assert hosts.check(name, POLICY, out) == []
    assert policy.CREDENTIALLESS in (out / "_headers").read_text()


@pytest.mark.parametrize("with_lite", [False, True], ids=["docs", "docs+lite"])
def test_a_second_run_writes_nothing(tmp_path, with_lite):
    """A rebuild that changed nothing reports nothing written (and rewrites nothing)."""
    out = html_output(tmp_path)
    if with_lite:
        lite_build(out)
    docs.isolate_html_site(out, POLICY, HOSTS)
    before = snapshot(out)
    again = docs.isolate_html_site(out, POLICY, HOSTS)
    assert snapshot(out) == before
    assert again == []


def test_the_embedded_lite_site_is_wrapped_and_imported_by_the_docs_worker(tmp_path):
    out = html_output(tmp_path)
    site = lite_build(out)
    written = docs.isolate_html_site(out, POLICY, HOSTS)
    worker = (out / docs.WORKER).read_text()
    assert worker.count("importScripts(") == 1
    assert f"importScripts({json.dumps('lite/' + sw.ORIGINAL)})" in worker
    assert sw.rendered_headers(worker) == POLICY.headers()

    assert (site / sw.ORIGINAL).read_text() == JUPYTERLITE_WORKER
    assert (site / sw.SERVICE_WORKER).read_text() == sw.render_service_worker(POLICY)
    assert (site / sw.PAGE_SCRIPT).read_text() == sw.page_script()
    assert (
        f'<script id="{sw.SCRIPT_ID}" src="../{sw.PAGE_SCRIPT}">'
        in (site / "lab" / "index.html").read_text()
    )
    assert sw.check_service_worker(site, POLICY) == []
    # The lite site is published with the docs: its own host files say the same.
    for name in HOSTS:
        assert hosts.check(name, POLICY, site) == []
        assert hosts.check(name, POLICY, out) == []
    assert {site / sw.ORIGINAL, site / sw.SERVICE_WORKER, site / sw.PAGE_SCRIPT} <= set(written)
    # Its pages say who isolated them, so that the indicator names conf.py's settings; the
    # rest of its config is kept.
    config = json.loads((site / "jupyter-lite.json").read_text())
    assert config["jupyter-config-data"] == {"appVersion": "0.8.6", docs.BUILT_BY_KEY: "sphinx"}
    assert config["jupyter-lite-schema-version"] == 0

    assert site_json(out) == {
        "worker": docs.WORKER,
        "lite": {
            "worker": f"lite/{sw.SERVICE_WORKER}?enableCache=false",
            "scope": "lite/",
            "version": "0.8.6",
        },
    }


@pytest.mark.parametrize(
    ("config_data", "query"),
    [
        ({}, "false"),
        ({"enableServiceWorkerCache": True}, "true"),
        ({"enableServiceWorkerCache": False}, "false"),
    ],
)
def test_the_lite_worker_url_is_the_one_jupyterlite_registers(tmp_path, config_data, query):
    """The same URL, query included: JupyterLite then finds the registration and makes no other."""
    out = html_output(tmp_path)
    lite_build(out, **config_data)
    docs.isolate_html_site(out, POLICY, [])
    lite = docs.embedded_lite(out)
    assert lite.worker == f"lite/{sw.SERVICE_WORKER}?enableCache={query}"
    assert site_json(out)["lite"]["worker"] == lite.worker


def test_a_lite_site_wrapped_with_another_policy_gets_the_docs_policy(tmp_path):
    """A page isolated with one COEP cannot embed a frame sent with another."""
    out = html_output(tmp_path)
    site = lite_build(out)
    sw.wrap_service_worker(site, Policy())
    sw.install_page_script(site)
    assert sw.check_service_worker(site, POLICY) != []
    docs.isolate_html_site(out, POLICY, HOSTS)
    assert sw.check_service_worker(site, POLICY) == []
    assert (site / sw.ORIGINAL).read_text() == JUPYTERLITE_WORKER


def test_the_indicator_knows_the_key_that_names_the_sphinx_extension():
    page = (REPO / "labextension" / "src" / "indicator" / "page.ts").read_text()
    assert f"BUILT_BY_KEY = '{docs.BUILT_BY_KEY}'" in page


def test_a_lite_folder_that_is_not_a_build_is_refused_before_anything_is_written(tmp_path):
    out = html_output(tmp_path)
    (out / docs.LITE_DIR).mkdir()
    (out / docs.LITE_DIR / sw.SERVICE_WORKER).write_text(JUPYTERLITE_WORKER)
    before = snapshot(out)
    with pytest.raises(NotALiteSite, match=r"jupyter-lite\.json"):
        docs.isolate_html_site(out, POLICY, HOSTS)
    assert snapshot(out) == before
    assert not (out / docs.WORKER).exists()
    assert not (out / docs.STATIC).exists()


@pytest.mark.parametrize(
    "where", ["docs", "docs+lite", "lite"], ids=["root", "root-with-lite", "lite-folder"]
)
def test_a_users_host_file_that_sets_coep_otherwise_is_refused_and_kept(tmp_path, where):
    """Refused before anything is written, the lite site's files included: a failed build
    leaves the output as Sphinx and jupyterlite-sphinx made it."""
    out = html_output(tmp_path)
    if where != "docs":
        lite_build(out)
    users = b"/*\n  Cross-Origin-Embedder-Policy: unsafe-none\n"
    (out / ("lite/_headers" if where == "lite" else "_headers")).write_bytes(users)
    before = snapshot(out)
    with pytest.raises(hosts.HostFileError) as refused:
        docs.isolate_html_site(out, POLICY, HOSTS)
    assert isinstance(refused.value, hosts.HostFileConflict)
    assert not (out / docs.WORKER).exists()
    assert not (out / docs.STATIC).exists()
    assert snapshot(out) == before


def test_a_lite_build_without_its_worker_is_refused_before_anything_is_written(tmp_path):
    out = html_output(tmp_path)
    site = lite_build(out)
    (site / sw.SERVICE_WORKER).unlink()
    before = snapshot(out)
    with pytest.raises(sw.ServiceWorkerError, match="is missing"):
        docs.isolate_html_site(out, POLICY, HOSTS)
    assert snapshot(out) == before


def test_a_path_that_is_not_a_folder_is_refused(tmp_path):
    page = tmp_path / "index.html"
    page.write_text("<html></html>")
    for path in (page, tmp_path / "missing"):
        with pytest.raises(NotADirectoryError, match="is not a folder"):
            docs.isolate_html_site(path, POLICY, HOSTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]


def test_no_host_files_writes_none(tmp_path):
    out = html_output(tmp_path)
    site = lite_build(out)
    docs.isolate_html_site(out, POLICY, [])
    for folder in (out, site):
        assert not any((folder / file).exists() for file in hosts.HOST_FILES.values())


def test_the_default_settings_isolate_the_static_site_with_credentialless():
    """`auto`: the service worker gives the browsers without credentialless their fallback."""
    settings = DocsSettings()
    assert settings.embedder_policy == policy.EMBEDDER_AUTO
    assert settings.resolved_policy() == Policy(embedder=policy.CREDENTIALLESS)
    assert settings.resolved_policy().isolates
    assert settings.enabled
    assert settings.host_files == list(hosts.HOST_FILES)
    assert DocsSettings.setting_name("embedder_policy") == "jupyter_coi_embedder_policy"


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"embedder_policy": "nope"}, "jupyter_coi_embedder_policy"),
        ({"host_files": ["github"]}, "jupyter_coi_host_files"),
    ],
)
def test_a_bad_value_names_the_conf_py_setting(values, name):
    with pytest.raises(TraitError, match=f"^{name} = "):
        DocsSettings(**values)


def conf_values(**changes):
    """What Sphinx's config holds once the extension is set up: every setting, by its name."""
    values = {
        f"jupyter_coi_{name}": trait.default()
        for name, trait in DocsSettings.class_traits(config=True).items()
    }
    values.update({f"jupyter_coi_{name}": value for name, value in changes.items()})
    return values


def test_the_conf_py_values_become_the_settings():
    settings = from_config(conf_values(embedder_policy="require-corp", host_files=["netlify"]))
    assert settings.resolved_policy() == Policy(embedder="require-corp")
    assert settings.host_files == ["netlify"]
    assert from_config(conf_values()).resolved_policy() == DocsSettings().resolved_policy()


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"embedder_policy": "nope"}, "jupyter_coi_embedder_policy"),
        ({"opener_policy": "same-site"}, "jupyter_coi_opener_policy"),
        ({"host_files": ["github"]}, "jupyter_coi_host_files"),
    ],
)
def test_a_bad_conf_py_value_stops_the_build_naming_the_setting(changes, name):
    from sphinx.errors import ConfigError

    with pytest.raises(ConfigError, match=f"jupyter-coi: {name} = "):
        from_config(conf_values(**changes))


def sphinx_app(tmp_path, conf: str, builder: str = "html"):
    """A real Sphinx application, set up but not built (a fraction of a second)."""
    from io import StringIO

    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "conf.py").write_text('extensions = ["jupyter_coi.sphinx"]\n' + conf)
    (src / "index.rst").write_text("Docs\n====\n")
    out = tmp_path / "out" / builder
    return Sphinx(
        src, src, out, tmp_path / "doctrees", builder, status=StringIO(), warning=StringIO()
    )


def test_a_bad_conf_py_value_stops_sphinx_before_anything_is_built(tmp_path):
    from sphinx.errors import ConfigError

    with pytest.raises(ConfigError, match="jupyter-coi: jupyter_coi_embedder_policy = 'nope'"):
        sphinx_app(tmp_path, 'jupyter_coi_embedder_policy = "nope"\n')
    assert not (tmp_path / "out" / "html" / docs.WORKER).exists()


@pytest.mark.parametrize(
    ("conf", "builder", "loaded"),
    [
        ("", "html", True),
        ("", "dirhtml", True),
        ("jupyter_coi_enabled = False\n", "html", False),
        ("", "epub", False),
    ],
)
def test_the_page_script_is_added_to_html_pages_only(tmp_path, conf, builder, loaded):
    """First in <head> (priority 1); an EPUB book has no origin to isolate."""
    app = sphinx_app(tmp_path, conf, builder)
    scripts = [(name, attrs) for name, attrs in app.registry.js_files if name == docs.PAGE_SCRIPT]
    assert scripts == ([(docs.PAGE_SCRIPT, {"priority": 1})] if loaded else [])


def test_the_output_is_isolated_when_the_build_finishes_and_not_after_an_error(tmp_path):
    app = sphinx_app(tmp_path, 'jupyter_coi_host_files = ["netlify"]\n')
    out = tmp_path / "out" / "html"
    app.events.emit("build-finished", RuntimeError("the build failed"))
    assert not (out / docs.WORKER).exists()
    app.events.emit("build-finished", None)
    assert (out / docs.WORKER).is_file() and (out / docs.STATIC / docs.PAGE_SCRIPT).is_file()
    assert hosts.check("netlify", DocsSettings().resolved_policy(), out) == []
    assert not (out / ".htaccess").exists()


def test_a_refusal_stops_the_build_with_the_reason(tmp_path):
    from sphinx.errors import ExtensionError

    app = sphinx_app(tmp_path, "")
    out = tmp_path / "out" / "html"
    (out / docs.LITE_DIR).mkdir(parents=True)
    with pytest.raises(ExtensionError, match=r"the site was not isolated: .*jupyter-lite\.json"):
        app.events.emit("build-finished", None)
