"""Sphinx configuration of jupyter-coi's documentation.

Build it with ``python -m sphinx -W -b html docs docs/_build/html``. Nothing here needs the
internet: no intersphinx, and the theme fetches nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

import jupyter_coi  # noqa: E402

project = "jupyter-coi"
author = "jupyter-coi contributors"
copyright = "jupyter-coi contributors"
release = jupyter_coi.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "coi_settings",
    # The live REPL of try-it.md, and this site isolated by jupyter-coi itself.
    "jupyterlite_sphinx",
    "jupyter_coi.sphinx",
]

# The JupyterLite site that the REPL runs in is built from this folder. Its kernel loads Pyodide
# from the CDN; where the CDN is not reachable (the tests), JUPYTER_COI_DOCS_LITE_DIR names a
# folder with an offline Pyodide in it instead.
jupyterlite_dir = os.environ.get("JUPYTER_COI_DOCS_LITE_DIR", str(HERE / "lite"))

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_contents", "lite", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = "jupyter-coi"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False
