"""`jupyter coi check FOLDER`'s verdicts, in-process, on synthetic JupyterLite builds (a
``jupyter-lite.json``, host files written by :mod:`jupyter_coi.hosts`, a service worker wrapped
and pages given the reload script by :mod:`jupyter_coi.static.serviceworker`) and Sphinx outputs
(pages that load the page script, then :mod:`jupyter_coi.static.htmlsite`). The command itself
on real builds and servers is tests/integration/test_check_command.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_coi import hosts
from jupyter_coi.check import CheckError, check
from jupyter_coi.policy import Policy
from jupyter_coi.static import htmlsite as docs
from jupyter_coi.static import serviceworker as sw
from support.lite_sites import DEFAULT_BUILD_POLICY

ALL_HOSTS = "netlify, vercel, apache, nginx, firebase"
NEITHER = "has neither host files nor jupyter-coi's service worker"
THROUGH_THE_WORKER = "through the service worker on any static host"
SAFARI = "Safari and WebKit ignore the COEP credentialless that the host files send"


def lite_build(folder: Path) -> Path:
    """The least a folder needs to be a JupyterLite build: its page config."""
    folder.mkdir(exist_ok=True)
    (folder / "jupyter-lite.json").write_text(json.dumps({"jupyter-config-data": {}}))
    return folder


def with_worker(site: Path, policy: Policy | None = None) -> Path:
    """JupyterLite's worker and one app page, then what jupyter-coi's build step does to them."""
    (site / sw.SERVICE_WORKER).write_text("// JupyterLite's service worker\n")
    (site / "lab").mkdir()
    (site / "lab" / "index.html").write_text("<!doctype html><html><head></head><body></body>")
    sw.wrap_service_worker(site, policy or Policy())
    sw.install_page_script(site)
    return site


def with_host_files(site: Path, policy: Policy | None = None) -> Path:
    for host in hosts.HOST_FILES:
        hosts.write(host, policy or Policy(), site)
    return site


def verdict(report) -> str:
    return report.render().splitlines()[-1]


def test_a_folder_that_is_not_a_build_cannot_be_checked(tmp_path):
    (tmp_path / "notes.txt").write_text("not a site")
    with pytest.raises(
        CheckError,
        match=r"is not a JupyterLite build: it has no jupyter-lite\.json.* Or at the HTML output "
        "of a Sphinx site built with jupyter_coi.sphinx",
    ):
        check(str(tmp_path))
    (tmp_path / "a-file").write_text("")
    with pytest.raises(CheckError, match="is not a folder"):
        check(str(tmp_path / "a-file"))
    (tmp_path / "a-file").unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written


def test_a_build_with_neither_host_files_nor_worker_is_not_isolated(tmp_path):
    site = lite_build(tmp_path / "site")
    report = check(str(site))
    assert (report.isolated, report.exit_code) == (False, 1)
    assert verdict(report).startswith(f"NOT ISOLATED: {site} {NEITHER}")
    problems = [f.detail for f in report.findings if f.status == "problem"]
    assert any(f"{site / sw.SERVICE_WORKER} is missing" in p for p in problems), problems
    # Nothing isolates it: every missing host file is one of the problems, none a note.
    not_written = [f for f in report.findings if "not written" in f.detail]
    assert [f.subject for f in not_written] == [
        str(site / name) for name in hosts.HOST_FILES.values()
    ]
    assert {f.status for f in report.findings} == {"problem"}, report.render()
    # jupyter-coi runs this check, so the advice is not to install it: it says what to rebuild
    # with (the test environment has JupyterLite, so it is the rebuild with the addon enabled).
    assert "rebuild it here with `jupyter lite build` and the addon enabled" in verdict(report)
    assert "pip install jupyter-coi" not in verdict(report)


def test_host_files_alone_isolate_on_those_hosts(tmp_path):
    site = with_host_files(lite_build(tmp_path / "site"))
    report = check(str(site))
    assert (report.isolated, report.exit_code) == (True, 0)
    assert verdict(report) == f"ISOLATED: {site} can be isolated with headers on {ALL_HOSTS}"
    sends = [f.detail for f in report.findings if " sends " in f.detail]
    assert sends == [f"{host} sends {Policy().describe()}" for host in hosts.HOST_FILES]


def test_host_files_of_another_isolating_policy_are_recognised(tmp_path):
    other = Policy(embedder="credentialless", resource="cross-origin")
    site = lite_build(tmp_path / "site")
    hosts.write("netlify", other, site)
    report = check(str(site))
    assert report.isolated
    assert f"netlify sends {other.describe()}" in report.render()
    # Without the service worker, nothing gives the browsers that ignore credentialless another
    # value: said as a problem, and in the verdict.
    assert f"can be isolated with headers on netlify; {SAFARI}, and without" in verdict(report)
    [safari] = [f for f in report.findings if f.subject == "netlify in Safari and WebKit"]
    assert safari.status == "problem" and "nothing isolates them there" in safari.detail


def test_a_default_build_isolates_safari_through_the_worker(tmp_path):
    """`auto`, the addon's default, with the service worker: host files with credentialless."""
    site = lite_build(tmp_path / "site")
    site = with_host_files(with_worker(site, DEFAULT_BUILD_POLICY), DEFAULT_BUILD_POLICY)
    report = check(str(site))
    assert (report.isolated, report.exit_code) == (True, 0)
    assert all(f.status == "ok" for f in report.findings), report.render()
    assert verdict(report) == (
        f"ISOLATED: {site} can be isolated with headers on {ALL_HOSTS}, and "
        f"{THROUGH_THE_WORKER} (GitHub Pages...); {SAFARI}; the service worker isolates them "
        "there with require-corp, after one reload"
    )


def test_a_host_file_that_does_not_isolate_is_a_problem(tmp_path):
    site = lite_build(tmp_path / "site")
    hosts.write("netlify", Policy(embedder="unsafe-none"), site)
    report = check(str(site))
    assert (report.isolated, report.exit_code) == (False, 1)
    [problem] = [f for f in report.findings if f.subject == str(site / "_headers")]
    assert problem.status != "ok" and "require-corp" in problem.detail


def test_the_service_worker_alone_isolates_on_any_static_host(tmp_path):
    site = with_worker(lite_build(tmp_path / "site"))
    report = check(str(site))
    assert (report.isolated, report.exit_code) == (True, 0)
    assert (
        verdict(report)
        == f"ISOLATED: {site} can be isolated {THROUGH_THE_WORKER} (GitHub Pages...)"
    )
    assert "with headers on" not in verdict(report)
    # The hosts without a file of their own are facts, not problems, for this verdict.
    notes = [f for f in report.findings if f.status == "note"]
    assert [f.subject for f in notes] == [str(site / n) for n in hosts.HOST_FILES.values()]
    assert all("not written" in f.detail for f in notes)
    assert not report.problems, report.render()


def test_host_files_and_the_service_worker_isolate_both_ways(tmp_path):
    site = with_host_files(with_worker(lite_build(tmp_path / "site")))
    report = check(str(site))
    assert (report.isolated, report.exit_code) == (True, 0)
    assert verdict(report) == (
        f"ISOLATED: {site} can be isolated with headers on {ALL_HOSTS}, and "
        f"{THROUGH_THE_WORKER} (GitHub Pages...)"
    )
    lines = report.render().splitlines()
    assert lines[0] == f"jupyter coi check {site}"
    assert all(line.startswith("  [ok] ") for line in lines[1:-1]), lines


def test_a_worker_put_back_unwrapped_is_reported_with_the_host_files_still_good(tmp_path):
    site = with_host_files(with_worker(lite_build(tmp_path / "site")))
    (site / sw.SERVICE_WORKER).write_text((site / sw.ORIGINAL).read_text())
    report = check(str(site))
    assert report.isolated  # the host files still do it
    assert verdict(report).endswith(f"with headers on {ALL_HOSTS}")
    # which the verdict says: the unwrapped worker is a note for it, not a problem
    notes = [f.detail for f in report.findings if f.status == "note"]
    assert any("not wrapped by jupyter-coi" in n for n in notes), notes
    assert not report.problems, report.render()


def test_a_url_scheme_other_than_http_cannot_be_checked():
    with pytest.raises(CheckError, match="only http:// and https:// URLs"):
        check("ftp://example.org/site")


# --- the HTML output of a Sphinx site built with jupyter_coi.sphinx ---------------------------


def docs_output(tmp_path: Path, host_files: list[str], lite: bool = False) -> Path:
    """HTML pages as Sphinx writes them (one nested), loading the page script, then what the
    extension does to the output when the build finishes."""
    out = tmp_path / "html"
    (out / "how-to").mkdir(parents=True)
    (out / "index.html").write_text('<head><script src="_static/jupyter-coi.js"></script></head>')
    (out / "how-to" / "sphinx.html").write_text(
        '<head><script src="../_static/jupyter-coi.js?v=1"></script></head>'
    )
    if lite:
        with_worker(lite_build(out / docs.LITE_DIR))
    docs.isolate_html_site(out, DEFAULT_BUILD_POLICY, host_files)
    return out


def test_a_docs_site_with_its_worker_isolates_on_any_static_host(tmp_path):
    out = docs_output(tmp_path, [], lite=True)
    report = check(str(out))
    assert (report.isolated, report.exit_code) == (True, 0), report.render()
    assert (
        verdict(report) == f"ISOLATED: {out} can be isolated {THROUGH_THE_WORKER} (GitHub Pages...)"
    )
    assert str(out / docs.WORKER) in report.render()


def test_a_docs_site_with_host_files_isolates_both_ways(tmp_path):
    out = docs_output(tmp_path, list(hosts.HOST_FILES))
    report = check(str(out))
    assert report.isolated and not report.problems, report.render()
    assert f"with headers on {ALL_HOSTS}" in verdict(report)
    assert THROUGH_THE_WORKER in verdict(report)


def test_a_docs_page_without_the_page_script_is_a_problem(tmp_path):
    out = docs_output(tmp_path, [])
    (out / "extra.html").write_text("<head></head><p>added after the build</p>")
    report = check(str(out))
    assert not report.isolated
    assert "1 pages do not load _static/jupyter-coi.js: extra.html" in report.render()
    assert "build the docs again" in verdict(report)


def test_an_embedded_lite_site_left_unwrapped_is_a_problem(tmp_path):
    out = docs_output(tmp_path, [], lite=True)
    site = out / docs.LITE_DIR
    (site / sw.SERVICE_WORKER).write_text((site / sw.ORIGINAL).read_text())
    report = check(str(out))
    assert not report.isolated
    assert "is JupyterLite's worker, not wrapped by jupyter-coi" in report.render()


def test_a_folder_that_does_not_exist_is_named_as_missing(tmp_path):
    with pytest.raises(CheckError) as raised:
        check(str(tmp_path / "_ouptut"))
    assert "does not exist" in str(raised.value), raised.value
    assert "not a folder" not in str(raised.value)


@pytest.mark.parametrize("marker", ["jupyter_lite_config.json", "jupyter-lite.json", "files"])
def test_a_jupyterlite_source_folder_points_at_its_output(tmp_path, marker):
    source = tmp_path / "site"
    source.mkdir()
    if marker == "files":
        (source / marker).mkdir()
    else:
        (source / marker).write_text("{}")
    lite_build(source / "_output")
    with pytest.raises(CheckError) as raised:
        check(str(source))
    message = str(raised.value)
    assert "a JupyterLite source folder" in message, message
    assert str(source / "_output") in message, message
