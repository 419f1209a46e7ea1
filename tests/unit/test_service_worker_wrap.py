"""The service worker's build step on a synthetic JupyterLite build, in-process: the worker wrapped
(the original kept byte for byte), every app page given the reload script at its depth, both
idempotent, and check_service_worker telling what is missing or stale. On a real
`jupyter lite build`: tests/integration/test_lite_service_worker_build.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_coi.policy import Policy
from jupyter_coi.static import serviceworker as sw
from jupyter_coi.static.litebuild import NotALiteSite

JUPYTERLITE_WORKER = (
    "// JupyterLite's own service worker\nself.addEventListener('fetch', () => {});\n"
)
PAGE = (
    '<!doctype html>\n<html>\n<head data-x="1">\n<title>app</title>\n</head><body></body></html>\n'
)
APP_PAGES = ["index.html", "lab/index.html", "lab/tree/index.html", "notebooks/index.html"]


@pytest.fixture
def lite_build(tmp_path) -> Path:
    """A folder with what a JupyterLite build has that the build step touches."""
    out = tmp_path / "site"
    (out / "build").mkdir(parents=True)
    (out / "jupyter-lite.json").write_text(json.dumps({"jupyter-config-data": {}}))
    (out / sw.SERVICE_WORKER).write_text(JUPYTERLITE_WORKER)
    (out / "build" / sw.SERVICE_WORKER).write_text(JUPYTERLITE_WORKER)
    for page in APP_PAGES:
        (out / page).parent.mkdir(parents=True, exist_ok=True)
        (out / page).write_text(PAGE)
    # The user's own content and JupyterLite's bundles: not app pages.
    (out / "files").mkdir()
    (out / "files" / "index.html").write_text(PAGE)
    (out / "build" / "index.html").write_text(PAGE)
    return out


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_fresh_build_is_reported_then_wrapped_and_checked_clean(lite_build):
    problems = sw.check_service_worker(lite_build)
    assert any("not wrapped by jupyter-coi" in p for p in problems)
    assert any(f"{sw.PAGE_SCRIPT} is missing" in p for p in problems)

    written = sw.wrap_service_worker(lite_build, Policy())
    assert set(written) == {
        lite_build / sw.SERVICE_WORKER,
        lite_build / sw.ORIGINAL,
        lite_build / "build" / sw.SERVICE_WORKER,
        lite_build / "build" / sw.ORIGINAL,
    }
    for folder in (lite_build, lite_build / "build"):
        assert (folder / sw.ORIGINAL).read_text() == JUPYTERLITE_WORKER
        assert (folder / sw.SERVICE_WORKER).read_text() == sw.render_service_worker(Policy())

    pages = sw.install_page_script(lite_build)
    assert set(pages) == {lite_build / sw.PAGE_SCRIPT, *(lite_build / p for p in APP_PAGES)}
    assert (lite_build / sw.PAGE_SCRIPT).read_text() == sw.page_script()
    assert sw.check_service_worker(lite_build) == []
    assert sw.check_service_worker(lite_build, Policy()) == []


@pytest.mark.parametrize(
    "page, src",
    [
        ("index.html", "./coi-reload.js"),
        ("lab/index.html", "../coi-reload.js"),
        ("lab/tree/index.html", "../../coi-reload.js"),
    ],
)
def test_the_tag_goes_first_in_head_relative_to_the_page(lite_build, page, src):
    sw.install_page_script(lite_build)
    html = (lite_build / page).read_text()
    tag = f'<script id="{sw.SCRIPT_ID}" src="{src}"></script>'
    assert html.count(tag) == 1
    assert html.index('<head data-x="1">') < html.index(tag) < html.index("<title>")
    assert html.replace(f"\n    {tag}", "") == PAGE  # nothing else changed


def test_voicis_pages_get_the_tag_and_its_tree_asks_the_script_to_register_the_worker(lite_build):
    pages = ("voici/tree/index.html", "voici/render/dashboard.html")
    for page in pages:
        (lite_build / page).parent.mkdir(parents=True, exist_ok=True)
        (lite_build / page).write_text(PAGE)
    sw.install_page_script(lite_build)
    tree, dashboard = ((lite_build / page).read_text() for page in pages)
    assert f'src="../../coi-reload.js" {sw.REGISTER_ATTRIBUTE}></script>' in tree
    assert 'src="../../coi-reload.js"></script>' in dashboard
    sw.remove_service_worker(lite_build)
    assert [(lite_build / page).read_text() for page in pages] == [PAGE, PAGE]


def test_the_users_files_and_the_bundles_are_not_app_pages(lite_build):
    sw.install_page_script(lite_build)
    assert (lite_build / "files" / "index.html").read_text() == PAGE
    assert (lite_build / "build" / "index.html").read_text() == PAGE


def test_both_steps_again_change_nothing(lite_build):
    sw.wrap_service_worker(lite_build, Policy())
    sw.install_page_script(lite_build)
    before = snapshot(lite_build)
    assert sw.wrap_service_worker(lite_build, Policy()) == []
    assert sw.install_page_script(lite_build) == []
    assert snapshot(lite_build) == before


def test_another_policy_rerenders_the_wrapper_once_and_keeps_the_original(lite_build):
    sw.wrap_service_worker(lite_build, Policy())
    sw.install_page_script(lite_build)
    other = Policy(embedder="credentialless")
    stale = sw.check_service_worker(lite_build, other)
    assert len(stale) == 2 and all("not the configured" in p for p in stale)
    assert sw.wrap_service_worker(lite_build, other) == [
        lite_build / sw.SERVICE_WORKER,
        lite_build / "build" / sw.SERVICE_WORKER,
    ]
    assert (lite_build / sw.SERVICE_WORKER).read_text() == sw.render_service_worker(other)
    assert (lite_build / sw.ORIGINAL).read_text() == JUPYTERLITE_WORKER
    assert sw.check_service_worker(lite_build, other) == []


def test_a_worker_that_does_not_isolate_is_reported_without_a_policy_to_compare(lite_build):
    sw.wrap_service_worker(lite_build, Policy(embedder="unsafe-none"))
    sw.install_page_script(lite_build)
    problems = sw.check_service_worker(lite_build)
    assert len(problems) == 2 and all("which does not isolate" in p for p in problems)


def test_edited_and_foreign_files_are_reported(lite_build):
    sw.wrap_service_worker(lite_build, Policy())
    sw.install_page_script(lite_build)
    worker = lite_build / sw.SERVICE_WORKER
    worker.write_text(worker.read_text() + "\n// edited by hand\n")
    (lite_build / sw.PAGE_SCRIPT).write_text("// another script\n")
    (lite_build / "build" / sw.SERVICE_WORKER).write_text(
        "// jupyter-coi-service-worker-wrapper, but no headers line\n"
    )
    problems = sw.check_service_worker(lite_build)
    assert any(f"{worker} was written by another version of jupyter-coi" in p for p in problems)
    assert any(f"{sw.PAGE_SCRIPT} is not the one this jupyter-coi writes" in p for p in problems)
    assert any("has no header policy jupyter-coi can read" in p for p in problems)


def test_a_page_without_head_gets_nothing_and_is_reported(lite_build):
    (lite_build / "lab" / "index.html").write_text("<html><body>no head</body></html>")
    sw.install_page_script(lite_build)
    assert (lite_build / "lab" / "index.html").read_text() == "<html><body>no head</body></html>"
    [problem] = [p for p in sw.check_service_worker(lite_build) if "does not load" in p]
    assert str(lite_build / "lab" / "index.html") in problem


def test_a_fresh_jupyterlite_worker_over_the_wrapper_is_wrapped_afresh(lite_build):
    sw.wrap_service_worker(lite_build, Policy())
    newer = JUPYTERLITE_WORKER + "// a newer JupyterLite\n"
    (lite_build / sw.SERVICE_WORKER).write_text(newer)  # `jupyter lite build --force`
    assert lite_build / sw.ORIGINAL in sw.wrap_service_worker(lite_build, Policy())
    assert (lite_build / sw.ORIGINAL).read_text() == newer
    assert (lite_build / sw.SERVICE_WORKER).read_text().count(sw.WORKER_MARKER) == 1


def test_a_wrapper_without_its_original_is_refused_with_the_way_out(lite_build):
    sw.wrap_service_worker(lite_build, Policy())
    (lite_build / sw.ORIGINAL).unlink()
    assert any(
        f"{lite_build / sw.ORIGINAL} is missing" in p for p in sw.check_service_worker(lite_build)
    )
    before = snapshot(lite_build)
    with pytest.raises(sw.ServiceWorkerError, match="--force"):
        sw.wrap_service_worker(lite_build, Policy())
    assert snapshot(lite_build) == before


def test_a_build_without_a_root_worker_is_refused(lite_build):
    (lite_build / sw.SERVICE_WORKER).unlink()
    with pytest.raises(sw.ServiceWorkerError, match="is missing"):
        sw.wrap_service_worker(lite_build, Policy())
    assert any(
        f"{lite_build / sw.SERVICE_WORKER} is missing" in p
        for p in sw.check_service_worker(lite_build)
    )


def test_a_folder_that_is_not_a_build_is_refused_untouched(tmp_path):
    (tmp_path / sw.SERVICE_WORKER).write_text(JUPYTERLITE_WORKER)
    with pytest.raises(NotALiteSite):
        sw.wrap_service_worker(tmp_path, Policy())
    with pytest.raises(NotALiteSite):
        sw.install_page_script(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [sw.SERVICE_WORKER]
    [problem] = sw.check_service_worker(tmp_path)
    assert "is not a JupyterLite build" in problem
