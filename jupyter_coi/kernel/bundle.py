"""What the labextension carries into every Pyodide kernel, as ``labextension/src/kernel/
kernel.json`` (written by ``labextension/scripts/generate.py``).

- ``files``: the kernel-side modules, read whole from this package: ``jupyter_coi.kernel``
  (the set-up) and ``jupyter_coi.pool`` (the worker pool, less the server's process pool),
  under a ``jupyter_coi`` of their own. The page writes the pool's share of them into each
  pool worker as well.
- ``bootstrap``: :mod:`.bootstrap`'s text, which writes the files and awaits the set-up;
  ``entry``, the function the page calls after it.
- ``interrupt``: the interrupt buffer's layout, and ``messageKey``, the key of the set-up's
  answer, for the page's half.

Only the standard library, and no import of the modules it reads: it runs before jupyter-coi
is installed.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
# Read here, not run: the server has no use for them, and the page sends them as text.
SERVER_ONLY = {"kernel/bundle.py", "kernel/bootstrap.py", "pool/processes.py"}
PACKAGE_INIT = '"""jupyter-coi\'s modules in a Pyodide interpreter."""\n'
ENTRY = "__jupyter_coi_setup__"


def files() -> dict[str, str]:
    """Path under ``site-packages`` -> text, for every kernel-side module."""
    out = {"jupyter_coi/__init__.py": PACKAGE_INIT}
    for folder in ("kernel", "pool"):
        for path in sorted((PACKAGE / folder).glob("*.py")):
            name = f"{folder}/{path.name}"
            if name not in SERVER_ONLY:
                out[f"jupyter_coi/{name}"] = path.read_text(encoding="utf-8")
    return out


def _constant(module: str, name: str):
    """A literal assigned at the top of a module of this package, read without running it."""
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == name:
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} is not assigned in {module}")


def render() -> dict:
    return {
        "bootstrap": (HERE / "bootstrap.py").read_text(encoding="utf-8"),
        "entry": ENTRY,
        "files": files(),
        "interrupt": {
            "slots": _constant("kernel/interrupt.py", "SLOTS"),
            "sigint": _constant("pool/mailbox.py", "SIGINT"),
        },
        "messageKey": _constant("kernel/setup.py", "MESSAGE_KEY"),
    }


def render_json() -> str:
    return json.dumps(render(), indent=2, sort_keys=True) + "\n"
