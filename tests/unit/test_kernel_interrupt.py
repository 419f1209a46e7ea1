"""The kernel code that the labextension runs in each Pyodide kernel: generated from
jupyter_coi/kernel_interrupt.py, and in step with it."""

from __future__ import annotations

import ast
import builtins
import json

import pytest

from jupyter_coi import kernel_interrupt
from support.harness import REPO

GENERATED = REPO / "labextension" / "src" / "interrupt" / "kernel-interrupt.json"


def test_generated_file_is_current():
    # Regenerate with: python labextension/scripts/generate.py
    assert GENERATED.read_text() == kernel_interrupt.render_json()


def test_code_compiles_and_cleans_up_after_itself():
    data = json.loads(GENERATED.read_text())
    code = data["code"].replace(data["nonce"], json.dumps("a-nonce"))
    compile(code, "<kernel>", "exec")
    assert code.rstrip().endswith("del __jupyter_coi_interrupt__")
    assert data["slots"] == {"signal": 0, "requested": 1, "answered": 2, "running": 3}
    assert data["sigint"] == 2


def test_render_is_the_function_then_one_call_that_cleans_up():
    data = kernel_interrupt.render()
    assert json.loads(kernel_interrupt.render_json()) == data
    assert data["code"].count(data["nonce"]) == 1
    tree = ast.parse(data["code"].replace(data["nonce"], json.dumps("a-nonce")))
    function, call = tree.body
    assert isinstance(function, ast.FunctionDef) and function.name == "__jupyter_coi_interrupt__"
    assert isinstance(call, ast.Try) and not call.handlers
    [expr] = call.body
    assert expr.value.func.id == "__jupyter_coi_interrupt__"
    assert [ast.literal_eval(a) for a in expr.value.args] == [
        "a-nonce",
        data["slots"],
        data["messageKey"],
    ]
    [delete] = call.finalbody
    assert isinstance(delete, ast.Delete) and delete.targets[0].id == "__jupyter_coi_interrupt__"


def test_the_function_needs_nothing_from_this_module():
    """It runs in Pyodide, sent as text: every name it uses is a builtin (IPython's get_ipython
    among them, in a kernel), a parameter, or bound in its own body (its imports first)."""
    function = ast.parse(kernel_interrupt.render()["code"]).body[0]
    bound = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    used = {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    assert used - bound - set(dir(builtins)) - {"get_ipython"} == set()


def test_outside_pyodide_the_code_fails_on_its_first_import_and_still_cleans_up():
    data = kernel_interrupt.render()
    namespace: dict = {}
    with pytest.raises(ModuleNotFoundError, match="'js'"):
        exec(data["code"].replace(data["nonce"], json.dumps("a-nonce")), namespace)
    assert "__jupyter_coi_interrupt__" not in namespace
