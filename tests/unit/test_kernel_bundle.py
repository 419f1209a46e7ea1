"""What the labextension carries into every Pyodide kernel (jupyter_coi/kernel/bundle.py):
the kernel-side modules as they are in the package, which import from the bundle alone, a
bootstrap that writes them and awaits the set-up, and the constants the page shares with them."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from jupyter_coi.kernel import bundle, interrupt, setup
from jupyter_coi.pool import browser, mailbox
from support.harness import REPO

GENERATED = REPO / "labextension" / "src" / "kernel" / "kernel.json"
PACKAGE = REPO / "jupyter_coi"


def test_generated_file_is_current():
    # Regenerate with: python labextension/scripts/generate.py
    assert GENERATED.read_text() == bundle.render_json()


# Written out, not globbed: a module added to jupyter_coi/kernel/ or jupyter_coi/pool/ has to be
# placed on one side or the other here, by someone deciding whether Pyodide kernels need it.
KERNEL_SIDE = [
    "kernel/__init__.py",
    "kernel/history.py",
    "kernel/imports.py",
    "kernel/interrupt.py",
    "kernel/parallel.py",
    "kernel/setup.py",
    "pool/__init__.py",
    "pool/browser.py",
    "pool/drive.py",
    "pool/joblib_backend.py",
    "pool/mailbox.py",
    "pool/mp_pool.py",
    "pool/process_executor.py",
    "pool/tasks.py",
    "pool/worker.py",
    "pool/workers.py",
]
SERVER_SIDE = ["kernel/bundle.py", "kernel/bootstrap.py", "pool/processes.py"]

# Every bundled module imported from the bundle alone, as a Pyodide kernel imports it: no site
# packages (-S), no user paths (-I), and the platform that picks the pool's browser half.
IMPORT_ALL = """
import importlib, sys
sys.platform = "emscripten"
sys.path.insert(0, sys.argv[1])
for name in sys.argv[2:]:
    module = importlib.import_module(name)
    assert module.__file__.startswith(sys.argv[1]), module.__file__
"""


def test_every_kernel_side_module_goes_whole_and_nothing_of_the_server():
    assert sorted(
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.glob("*/*.py")
        if p.parent.name in ("kernel", "pool")
    ) == sorted(KERNEL_SIDE + SERVER_SIDE)
    files = bundle.files()
    assert sorted(files) == sorted(
        ["jupyter_coi/__init__.py"] + [f"jupyter_coi/{n}" for n in KERNEL_SIDE]
    )
    for name in KERNEL_SIDE:
        assert files[f"jupyter_coi/{name}"] == (PACKAGE / name).read_text(), name
    # The server's package __init__ imports what the kernel has not (the version, the server).
    assert files["jupyter_coi/__init__.py"] == bundle.PACKAGE_INIT


def test_the_bundle_imports_without_anything_else_of_jupyter_coi(tmp_path):
    for name, text in bundle.files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    modules = [
        "jupyter_coi." + name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in KERNEL_SIDE
    ]
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", IMPORT_ALL, str(tmp_path), *modules],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


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
