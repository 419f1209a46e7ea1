"""The release artifacts as a distribution builds them (RELEASE.md): the sdist from this
checkout, then a wheel from that sdist on a PATH with no Node or npm, which must hold the built
labextension (the one the sdist ships: skip-if-exists in pyproject.toml). Built twice, the
wheel is the same bytes; installed with the `lab` extra into a fresh virtualenv, it serves an
isolated JupyterLab (tests/fresh_install.py). No build isolation: the build requirements come
from the test extra, as a distribution provides them (only the fresh virtualenv downloads)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "jupyter_coi" / "labextension"
VERSION = json.loads((ROOT / "labextension" / "package.json").read_text())["version"]
SHARE = "jupyter_coi-{v}.data/data/share/jupyter/labextensions/jupyter-coi/"


def run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    if not (BUILT / "static" / "style.js").exists():
        pytest.fail(f"{BUILT} is not built: `pip install -e .` builds it")
    out = tmp_path_factory.mktemp("sdist")
    done = run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", str(out)], ROOT)
    # the labextension that is there is shipped, not rebuilt
    assert "Skip-if-exists file(s) found" in done.stdout + done.stderr
    [made] = out.glob("*.tar.gz")
    assert made.name == f"jupyter_coi-{VERSION}.tar.gz"
    return made


def wheel_without_node(sdist: Path, out: Path) -> Path:
    """``pip wheel`` of the sdist with only this Python's bin folder on PATH (Node and npm are
    in /usr/bin here): what a distribution's build does."""
    out.mkdir()
    path = str(Path(sys.executable).parent)
    assert shutil.which("npm", path=path) is None and shutil.which("node", path=path) is None
    env = {"PATH": path, "HOME": str(out), "PIP_NO_INDEX": "1"}
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    run([*pip_wheel, "-w", str(out), str(sdist)], out, env)
    [made] = out.glob("*.whl")
    return made


def test_the_sdist_ships_the_built_labextension(sdist):
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
    top = f"jupyter_coi-{VERSION}/"
    built = {
        str(p.relative_to(ROOT)) for p in BUILT.rglob("*") if p.is_file()
    }  # what the checkout has
    assert built and {top + name for name in built} <= names
    assert top + "labextension/src/index.ts" in names  # and the sources it is built from
    assert not any("node_modules" in name for name in names)


def test_a_wheel_builds_from_the_sdist_without_node(sdist, tmp_path):
    wheel = wheel_without_node(sdist, tmp_path / "one")
    share = SHARE.format(v=VERSION)
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        # the labextension JupyterLab loads, byte for byte the one the sdist shipped
        for path in BUILT.rglob("*"):
            if path.is_file():
                name = share + str(path.relative_to(BUILT))
                assert whl.read(name) == path.read_bytes(), name
        assert share + "install.json" in names
        assert any(n.startswith(share + "static/remoteEntry.") for n in names)
        assert (
            f"__version__ = VERSION = {VERSION!r}" in whl.read("jupyter_coi/_version.py").decode()
        )
        assert (
            f"jupyter_coi-{VERSION}.data/data/etc/jupyter/jupyter_server_config.d/jupyter_coi.json"
            in names
        )
        metadata = whl.read(f"jupyter_coi-{VERSION}.dist-info/METADATA").decode()
    assert "Provides-Extra: lab" in metadata


def test_the_wheel_is_the_same_bytes_when_built_again(sdist, tmp_path):
    first = wheel_without_node(sdist, tmp_path / "one")
    second = wheel_without_node(sdist, tmp_path / "two")
    digest = [hashlib.sha256(w.read_bytes()).hexdigest() for w in (first, second)]
    assert digest[0] == digest[1]


def test_the_wheel_and_the_lab_extra_give_an_isolated_lab_in_a_fresh_venv(sdist, tmp_path):
    """The README's first command, on the wheel built without Node: tests/fresh_install.py
    makes a new virtualenv, installs ``"<wheel>[lab]"`` from the package index, starts
    ``jupyter lab`` and reads /lab's headers and the labextension list."""
    wheel = wheel_without_node(sdist, tmp_path / "wheel")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fresh_install.py"), "--wheel", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "/lab cross-origin-opener-policy: same-origin" in lines
    # urllib's User-Agent names no browser with credentialless: auto answers require-corp
    assert "/lab cross-origin-embedder-policy: require-corp" in lines
    assert lines[-1] == "ISOLATED JupyterLab from a fresh install"
