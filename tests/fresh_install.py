"""The README's first command on a fresh machine: a new virtualenv, `pip install ".[lab]"` (or a
wheel, `"<wheel>[lab]"`), then `jupyter lab`, whose /lab page must come with the isolating
headers and whose labextension list must have jupyter-coi. Prints what it ran and found; exit
code 0 when the lab is isolated, 1 when not.

    python tests/fresh_install.py [--wheel dist/jupyter_coi-0.1.0-py3-none-any.whl]

Without --wheel it installs this checkout as the README says, which builds the labextension
with npm unless jupyter_coi/labextension is already built. pip fetches JupyterLab and its
dependencies from the package index (a minute or two). tests/integration/test_release_build.py
runs it on the wheel built from the sdist without Node.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

# Run as a script, this file has tests/ on sys.path; the harness needs only the standard library,
# which is all a fresh machine's Python has.
from support.harness import free_port, stop_process

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120
# What an isolated page is sent (jupyter_coi/policy.py's ISOLATING), read here as a user would.
ISOLATING = {
    "cross-origin-opener-policy": ("same-origin",),
    "cross-origin-embedder-policy": ("require-corp", "credentialless"),
}


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("$", " ".join(args), flush=True)
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def lab_headers(venv: Path, home: Path) -> dict[str, str]:
    """Start `jupyter lab` from the venv, fetch /lab, stop it; the page's headers."""
    port, token = free_port(), secrets.token_hex(16)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "JUPYTER_PLATFORM_DIRS": "1"}
    command = [str(venv / "bin" / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1"]
    command += [f"--port={port}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:  # as in containers and CI; jupyter refuses root otherwise
        command.append("--allow-root")
    print("$", " ".join(command).replace(token, "..."), flush=True)
    log = (home / "lab.log").open("w")
    lab = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                url = f"http://127.0.0.1:{port}/lab?token={token}"
                with urllib.request.urlopen(url, timeout=10) as r:
                    return {k.lower(): v for k, v in r.headers.items()}
            except (urllib.error.URLError, ConnectionError):
                if lab.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"jupyter lab did not serve /lab:\n{(home / 'lab.log').read_text()}")
                time.sleep(0.5)
    finally:
        stop_process(lab)
        log.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="install this wheel instead of the checkout")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jupyter-coi-fresh-") as tmp:
        venv, home = Path(tmp) / "venv", Path(tmp) / "home"
        home.mkdir()
        run([sys.executable, "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        started = time.monotonic()
        if args.wheel:
            run([*pip, f"{args.wheel.resolve()}[lab]"])
        else:
            run([*pip, ".[lab]"], cwd=REPO)
        print(f"installed in {time.monotonic() - started:.0f} s")
        print(run([str(venv / "bin" / "jupyter"), "lab", "--version"]).stdout.strip())
        listed = run([str(venv / "bin" / "jupyter"), "labextension", "list"], cwd=home)
        extension = [
            line.strip()
            for line in (listed.stdout + listed.stderr).splitlines()
            if line.strip().startswith("jupyter-coi")
        ]
        print("labextension:", extension[0] if extension else "not listed")
        headers = lab_headers(venv, home)
    for name in ISOLATING:
        print(f"/lab {name}: {headers.get(name, 'missing')}")
    isolated = all(
        headers.get(name, "").split(";")[0].strip() in values for name, values in ISOLATING.items()
    )
    ok = isolated and bool(extension) and "enabled" in extension[0] and "OK" in extension[0]
    print("ISOLATED JupyterLab from a fresh install" if ok else "NOT ISOLATED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
