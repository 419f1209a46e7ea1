"""The indicator's dialog names settings for users to change: every name it writes
(labextension/src/indicator/) is a setting of the server, the JupyterLite addon or the Sphinx
extension, so that a renamed setting cannot leave the dialog naming a dead one; and the COEP
setting it names for each tool is that tool's."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_coi.config import CrossOriginIsolation
from jupyter_coi.lite.addon import CrossOriginIsolationAddon
from jupyter_coi.sphinx.settings import PREFIX, DocsSettings

INDICATOR = Path(__file__).resolve().parents[2] / "labextension/src/indicator"
SOURCES = sorted(INDICATOR.glob("*.ts"))

# How each tool's settings are written where a person sets them.
TOOLS = {
    "server": (r"c\.CrossOriginIsolation\.(\w+)", CrossOriginIsolation),
    "lite": (r"(?<![\w.])CrossOriginIsolationAddon\.(\w+)", CrossOriginIsolationAddon),
    "sphinx": (rf"(?<![\w.]){PREFIX}(\w+)", DocsSettings),
}


def named(pattern: str) -> set[str]:
    return {m for path in SOURCES for m in re.findall(pattern, path.read_text())}


def test_the_dialog_names_settings_that_exist():
    for tool, (pattern, settings) in TOOLS.items():
        names = named(pattern)
        assert names, f"the dialog names no {tool} setting: the pattern is stale"
        unknown = names - set(settings.class_traits(config=True))
        assert not unknown, (
            f"{tool} settings the dialog names but {settings.__name__} lacks: {unknown}"
        )


def test_each_tools_coep_setting_is_its_own():
    page = (INDICATOR / "page.ts").read_text()
    entries = dict(re.findall(r"^  (\w+): \{\n    name: '([^']*)'", page, re.MULTILINE))
    assert entries == {
        "server": "c.CrossOriginIsolation.embedder_policy",
        "lite": CrossOriginIsolationAddon.setting_name("embedder_policy"),
        "sphinx": DocsSettings.setting_name("embedder_policy"),
    }
