"""What the labextension carries into every Pyodide kernel (jupyter_coi/kernel/bundle.py):
the kernel-side modules as they are in the package, a bootstrap that writes them and awaits
the set-up, and the constants the page shares with them."""

from __future__ import annotations

import ast
import json

from jupyter_coi.kernel import bundle, interrupt, setup
from jupyter_coi.pool import browser, mailbox
from support.harness import REPO

GENERATED = REPO / "labextension" / "src" / "kernel" / "kernel.json"
PACKAGE = REPO / "jupyter_coi"


def test_generated_file_is_current():
    # Regenerate with: python labextension/scripts/generate.py
    assert GENERATED.read_text() == bundle.render_json()


def test_every_kernel_side_module_goes_whole_and_nothing_of_the_server():
    files = bundle.files()
    for folder in ("kernel", "pool"):
        for path in (PACKAGE / folder).glob("*.py"):
            name = f"jupyter_coi/{folder}/{path.name}"
            if f"{folder}/{path.name}" in bundle.SERVER_ONLY:
                assert name not in files
            else:
                assert files[name] == path.read_text()
    assert "jupyter_coi/pool/processes.py" not in files
    # The server's package __init__ imports what the kernel has not (the version, the server).
    assert files["jupyter_coi/__init__.py"] == bundle.PACKAGE_INIT
    for name, text in files.items():
        compile(text, name, "exec")


def test_the_constants_are_the_modules_own():
    data = bundle.render()
    assert data["interrupt"] == {"slots": interrupt.SLOTS, "sigint": mailbox.SIGINT}
    assert data["messageKey"] == setup.MESSAGE_KEY


def test_the_bootstrap_and_the_call_the_page_appends_compile_as_a_cell():
    """The page sends the bootstrap, then ``await ENTRY("<json>")``: top-level await, as
    IPython runs a cell."""
    data = bundle.render()
    arguments = json.dumps({"files": {"jupyter_coi/x.py": 'x = "\\u2028"\n'}, "nonce": "n"})
    code = f"{data['bootstrap']}\n\nawait {data['entry']}({json.dumps(arguments)})\n"
    tree = ast.parse(code)
    [function] = [n for n in tree.body if isinstance(n, ast.AsyncFunctionDef)]
    assert function.name == data["entry"]
    call = tree.body[-1].value
    assert isinstance(call, ast.Await) and call.value.func.id == data["entry"]
    # The string literal holds the JSON as it was.
    assert json.loads(ast.literal_eval(call.value.args[0])) == json.loads(arguments)
    compile(code, "<set-up>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_the_set_up_writes_what_the_pool_reads():
    text = (PACKAGE / "kernel" / "setup.py").read_text()
    assert "from jupyter_coi.pool.workers import STARTUP_PACKAGES" in text
    assert browser.STARTUP_PACKAGES == "startup-packages.json"
