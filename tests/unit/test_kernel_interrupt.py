"""The kernel code that the labextension runs in each Pyodide kernel: generated from
jupyter_coi/kernel_interrupt.py, and in step with it."""

from __future__ import annotations

import json

from jupyter_coi import kernel_interrupt
from support.harness import REPO

GENERATED = REPO / "labextension" / "src" / "kernel-interrupt.json"


def test_generated_file_is_current():
    # Regenerate with: python -m jupyter_coi.kernel_interrupt labextension/src/kernel-interrupt.json
    assert GENERATED.read_text() == kernel_interrupt.render_json()


def test_code_compiles_and_cleans_up_after_itself():
    data = json.loads(GENERATED.read_text())
    code = data["code"].replace(data["nonce"], json.dumps("a-nonce"))
    compile(code, "<kernel>", "exec")
    assert code.rstrip().endswith("del __jupyter_coi_interrupt__")
    assert data["slots"] == {"signal": 0, "requested": 1, "answered": 2, "running": 3}
    assert data["sigint"] == 2
