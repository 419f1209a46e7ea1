"""Imports run one way, from the policy outwards: loading one part of jupyter-coi never loads
another part that it has no use for. Each import runs in a fresh interpreter, so that what it
loads is all that it loads."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SERVER_SIDE = [
    "jupyter_coi.config",
    "jupyter_coi.transform",
    "jupyter_coi.reports",
    "jupyter_coi.extension",
]
LEAVES = [
    "jupyter_coi.policy",
    "jupyter_coi.utils",
    "jupyter_coi.kernel.bundle",
]


def loaded_by(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(done.stdout))


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "jupyter_coi" or m.startswith("jupyter_coi.")}


@pytest.mark.parametrize("module", SERVER_SIDE)
def test_the_server_side_loads_neither_the_command_line_nor_jupyterlite(module):
    loaded = loaded_by(module)
    assert module in loaded
    assert not {
        m
        for m in ours(loaded)
        if m.startswith(
            (
                "jupyter_coi.check",
                "jupyter_coi.cli",
                "jupyter_coi.lite",
                "jupyter_coi.static",
                "jupyter_coi.sphinx",
                "jupyter_coi.hosts",
            )
        )
    }
    assert not {m for m in loaded if m.startswith("jupyterlite_core")}


@pytest.mark.parametrize("module", LEAVES)
def test_leaves_load_only_the_standard_library(module):
    loaded = loaded_by(module) - loaded_by("json")  # less what the interpreter loads anyway
    parents = {module.rsplit(".", i)[0] for i in range(module.count(".") + 1)}
    assert ours(loaded) <= {"jupyter_coi._version", *parents}
    outside = {m.split(".")[0] for m in loaded} - set(sys.stdlib_module_names) - {"jupyter_coi"}
    assert not outside


def test_the_pool_loads_nothing_of_jupyter_coi_but_itself():
    """In a Pyodide kernel and its workers, jupyter_coi.pool is all of jupyter-coi there is."""
    loaded = loaded_by("jupyter_coi.pool")
    assert ours(loaded) - {"jupyter_coi", "jupyter_coi._version"} <= {
        m for m in ours(loaded) if m.startswith("jupyter_coi.pool")
    }
    assert not {m for m in loaded if m.startswith(("jupyter_server", "tornado", "traitlets"))}


# An entry point, the modules of ours it loads besides itself, and what it must not load: modules
# of ours, and outside packages by prefix.
ENTRY_POINTS = [
    pytest.param(
        "jupyter_coi.lite.addon",
        (),
        {
            "jupyter_coi.extension",
            "jupyter_coi.reports",
            "jupyter_coi.transform",
            "jupyter_coi.check",
            "jupyter_coi.cli",
        },
        ("jupyter_server", "tornado.web"),
        id="jupyterlite-addon-loads-no-part-of-the-server",
    ),
    # The check reads static sites through jupyter_coi.static, as the addon and the Sphinx
    # extension write them, and loads neither of those.
    pytest.param(
        "jupyter_coi.cli",
        ("jupyter_coi.static.htmlsite", "jupyter_coi.static.serviceworker"),
        {
            "jupyter_coi.extension",
            "jupyter_coi.reports",
            "jupyter_coi.transform",
            "jupyter_coi.lite.addon",
            "jupyter_coi.sphinx",
            "jupyter_coi.static.settings",
        },
        ("jupyter_server", "tornado", "traitlets"),
        id="check-command-loads-no-part-of-the-server",
    ),
    # A docs build loads the extension into Sphinx: it needs the policy, the settings, the host
    # files and the service worker, not the server, the command line or jupyterlite-core.
    pytest.param(
        "jupyter_coi.sphinx.extension",
        ("jupyter_coi.static.htmlsite",),
        {
            "jupyter_coi.extension",
            "jupyter_coi.reports",
            "jupyter_coi.transform",
            "jupyter_coi.check",
            "jupyter_coi.cli",
            "jupyter_coi.lite.addon",
        },
        ("jupyter_server", "tornado.web", "jupyterlite_core"),
        id="sphinx-extension-loads-neither-the-server-nor-jupyterlite",
    ),
]


@pytest.mark.parametrize(("module", "also", "not_ours", "not_outside"), ENTRY_POINTS)
def test_an_entry_point_loads_only_its_own_part(module, also, not_ours, not_outside):
    loaded = loaded_by(module)
    assert {module, *also} <= loaded
    assert not ours(loaded) & not_ours
    assert not {m for m in loaded if m.startswith(not_outside)}
