"""The indicator's dialog tells users which setting loads what isolation blocked: the names it
writes (labextension/src/indicator/blocked.ts) are those of the server's and the JupyterLite
addon's settings, so that a renamed setting cannot leave the dialog naming a dead one."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_coi.config import CrossOriginIsolation
from jupyter_coi.lite.addon import CrossOriginIsolationAddon

BLOCKED_TS = Path(__file__).resolve().parents[2] / "labextension/src/indicator/blocked.ts"


def ts_constant(name: str) -> str:
    match = re.search(rf"^const {name} = '([^']*)';$", BLOCKED_TS.read_text(), re.MULTILINE)
    assert match, f"no `const {name} = '...'` in {BLOCKED_TS}"
    return match.group(1)


def test_server_setting_is_the_servers():
    assert "embedder_policy" in CrossOriginIsolation.class_own_traits(config=True)
    assert ts_constant("SERVER_SETTING") == f"c.{CrossOriginIsolation.__name__}.embedder_policy"


def test_lite_setting_is_the_addons():
    assert CrossOriginIsolationAddon.class_traits(config=True).get("embedder_policy")
    assert ts_constant("LITE_SETTING") == CrossOriginIsolationAddon.setting_name("embedder_policy")
