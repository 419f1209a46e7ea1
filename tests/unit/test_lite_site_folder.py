"""The host files of a folder, without jupyterlite-core (jupyter_coi.lite.site, in-process): a
folder that is not a JupyterLite build is refused before anything is written."""

from __future__ import annotations

import pytest

from jupyter_coi import hosts
from jupyter_coi.policy import Policy


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
