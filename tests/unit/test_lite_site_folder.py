"""The host files of a folder, without jupyterlite-core (jupyter_coi.static.hostfiles, in
process): a folder that is not a JupyterLite build is refused before anything is written, and a site's host
files are written all or none."""

from __future__ import annotations

import json

import pytest

from jupyter_coi import hosts
from jupyter_coi.policy import Policy


def test_a_folder_that_is_not_a_lite_build_is_refused(tmp_path):
    from jupyter_coi.static.hostfiles import check_host_files, write_host_files
    from jupyter_coi.static.litebuild import NotALiteSite

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


def lite_build(folder):
    folder.mkdir()
    (folder / "jupyter-lite.json").write_text(json.dumps({"jupyter-config-data": {}}))
    return folder


def test_host_files_are_written_all_or_none(tmp_path):
    from jupyter_coi.static.hostfiles import check_host_files, write_host_files

    site = lite_build(tmp_path / "site")
    (site / "_headers").write_text("/assets/*\n  Cache-Control: no-cache\n")
    netlify_before = (site / "_headers").read_bytes()
    conflicting = json.dumps(
        {
            "headers": [
                {
                    "source": "/(.*)",
                    "headers": [{"key": "Cross-Origin-Opener-Policy", "value": "unsafe-none"}],
                }
            ]
        }
    ).encode()
    (site / "vercel.json").write_bytes(conflicting)
    # vercel.json is refused while the files are merged in memory, before any is written
    with pytest.raises(hosts.HostFileConflict):
        write_host_files(site, Policy(), ["netlify", "nginx", "vercel"])
    assert (site / "_headers").read_bytes() == netlify_before
    assert not (site / "nginx-coi.conf").exists()
    assert (site / "vercel.json").read_bytes() == conflicting
    assert sorted(p.name for p in site.iterdir()) == [
        "_headers",
        "jupyter-lite.json",
        "vercel.json",
    ]

    written = write_host_files(site, Policy(), ["netlify", "nginx"])
    assert written == [site / "_headers", site / "nginx-coi.conf"]
    assert check_host_files(site, Policy(), ["netlify", "nginx"]) == []
    assert check_host_files(site, Policy(), ["vercel"]) != []


def test_an_unknown_host_is_refused_before_anything_is_written(tmp_path):
    from jupyter_coi.static.hostfiles import write_host_files

    site = lite_build(tmp_path / "site")
    with pytest.raises(ValueError, match="unknown host 'github-pages'"):
        write_host_files(site, Policy(), ["netlify", "github-pages"])
    assert sorted(p.name for p in site.iterdir()) == ["jupyter-lite.json"]


def test_a_write_that_fails_midway_puts_back_the_files_written_before_it(tmp_path):
    from jupyter_coi.static.hostfiles import merge_host_files, save_host_files

    site = tmp_path
    (site / "_headers").write_bytes(b"/*\r\n  X-Frame-Options: DENY\r\n")
    before = (site / "_headers").read_bytes()
    files = merge_host_files(site, Policy(), ["netlify", "nginx"])
    # A folder that is not there: the second file cannot be written, after the first was.
    unwritable = hosts.HostFile(site / "gone" / "nginx-coi.conf", None, files[1].text)
    with pytest.raises(FileNotFoundError):
        save_host_files([files[0], unwritable])
    assert (site / "_headers").read_bytes() == before
    assert sorted(p.name for p in site.iterdir()) == ["_headers"]
