"""The installed package is what Jupyter loads: `pip install` enables the server extension and
installs the labextension, as `jupyter server extension list` and `jupyter labextension list`
report them (real `jupyter` processes, in a fresh home)."""

from __future__ import annotations

from jupyter_coi import __version__
from support.harness import ANSI, jupyter


def test_extension_enabled_after_install(tmp_path):
    listed = jupyter("server", "extension", "list", home=tmp_path)
    out = ANSI.sub("", listed.stdout + listed.stderr)
    assert "jupyter_coi enabled" in out, out
    assert f"jupyter_coi {__version__} OK" in out, out


def test_labextension_listed_ok(tmp_path):
    listed = jupyter("labextension", "list", home=tmp_path)
    out = ANSI.sub("", listed.stdout + listed.stderr)
    # The extension's own line, not a path that has the name in it.
    line = next((line for line in out.splitlines() if line.split()[:1] == ["jupyter-coi"]), "")
    assert "enabled" in line and "OK" in line, out
