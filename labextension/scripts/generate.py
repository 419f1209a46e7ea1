"""Write the labextension's generated sources from the Python package, or check them.

    python labextension/scripts/generate.py          # write them
    python labextension/scripts/generate.py --check  # exit 1 if one is stale, saying which

The files are committed, so that building the labextension needs no step of its own; the test
suite runs ``--check``. Each comes from the one module that owns its content. It runs from a
fresh clone, before jupyter-coi is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC.parent.parent / "jupyter_coi"


def _load(name: str) -> ModuleType:
    """``name`` is a path under jupyter_coi/ without ``.py``."""
    # By path, not `import jupyter_coi...`: the package's __init__ needs the _version module
    # that only a build writes, and these modules import nothing but the standard library.
    spec = importlib.util.spec_from_file_location(
        f"_generate_{name.replace('/', '_')}", PACKAGE / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


policy = _load("policy")
kernel_bundle = _load("kernel/bundle")
mailbox = _load("pool/mailbox")

# Written by hand, and linted as JavaScript; the pool's workers run its text.
WORKER_SCRIPT = SRC / "pool" / "worker.js"
_LAYOUT_SLOT = "__JUPYTER_COI_LAYOUT__"


def render_worker_json() -> str:
    """The pool worker's script as the page starts it: worker.js, the mailbox's layout in it."""
    text = WORKER_SCRIPT.read_text(encoding="utf-8")
    assert text.count(_LAYOUT_SLOT) == 1, f"{WORKER_SCRIPT} has lost its layout slot"
    layout = json.dumps(mailbox.render(), sort_keys=True, separators=(",", ":"))
    return json.dumps({"source": text.replace(_LAYOUT_SLOT, layout)}, indent=2) + "\n"


# File (relative to src/) -> what renders it.
GENERATED: dict[str, Callable[[], str]] = {
    "policy.json": policy.render_json,
    "kernel/kernel.json": kernel_bundle.render_json,
    "pool/layout.json": mailbox.render_json,
    "pool/worker.json": render_worker_json,
}


def stale(src: Path = SRC) -> list[Path]:
    """The generated files under ``src`` that differ from what their module renders now."""
    out = []
    for name, render in GENERATED.items():
        path = src / name
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current != render():
            out.append(path)
    return out


def write(src: Path = SRC) -> list[Path]:
    """Write every generated file that is stale; return those written."""
    written = stale(src)
    for path in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GENERATED[str(path.relative_to(src))](), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    parser.add_argument("--src", type=Path, default=SRC, help="the labextension's src folder")
    args = parser.parse_args(argv)
    if args.check:
        old = stale(args.src)
        for path in old:
            print(f"{path} is stale: run `python labextension/scripts/generate.py`")
        return 1 if old else 0
    for path in write(args.src):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
