"""Binder's build of this repository, without Docker: a fresh virtual environment made from
exactly the files in ``binder/``, the way repo2docker reads them, and JupyterLab started from
it the way Binder starts it (behind a proxy, under ``/user/<name>/``).

repo2docker, for an ``environment.yml``: installs its conda packages, then its ``pip:`` list,
copies the repository in, and runs ``postBuild`` from the repository's root. Here the conda
packages must already be on the machine (Python and Node.js are); they are checked against the
file, not installed. Everything else is done as repo2docker does it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import yaml

from .harness import REPO, JupyterProcess, jupyter_env
from .offline_pyodide import (
    OfflinePyodide,
    kernel_pyodide_url,
    kernel_pyodide_version,
    offline_pyodide,
)

BINDER = REPO / "binder"
PIP_TIMEOUT = 900
# What repo2docker does with each file of binder/; a file it would read that we do not
# mirror here must fail the test rather than be skipped.
UNDERSTOOD = {"environment.yml", "postBuild"}


@dataclass(frozen=True)
class BinderEnv:
    prefix: Path

    @property
    def bin(self) -> Path:
        return self.prefix / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, home: Path) -> dict[str, str]:
        """The environment of a process in the image: this prefix first on PATH."""
        env = jupyter_env(home)
        env.update(VIRTUAL_ENV=str(self.prefix), PATH=f"{self.bin}{os.pathsep}{env['PATH']}")
        env.pop("PYTHONPATH", None)
        return env

    def run(self, *cmd: str, cwd: Path, home: Path, timeout: float = PIP_TIMEOUT):
        done = subprocess.run(
            list(cmd), cwd=cwd, env=self.env(home), capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done


def read_environment() -> tuple[list[str], list[str]]:
    """The conda and the pip requirements of ``binder/environment.yml``."""
    spec = yaml.safe_load((BINDER / "environment.yml").read_text())
    conda, pip = [], []
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep.get("pip", []))
        else:
            conda.append(str(dep))
    return conda, pip


def check_conda_packages(conda: list[str]) -> None:
    """The machine must have what the conda list would install: same Python minor version,
    same Node.js major version."""
    have = {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "nodejs": subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30)
        .stdout.strip()
        .lstrip("v"),
        "pip": None,
    }
    for dep in conda:
        name, _, version = re.match(r"([\w.-]+)\s*(=+)?\s*(.*)", dep).groups()
        if name not in have:
            raise RuntimeError(
                f"binder/environment.yml wants conda package {dep!r}, "
                "which tests/support/binder_env.py does not know how to stand in for"
            )
        if version and have[name] is not None and not (have[name] + ".").startswith(version + "."):
            raise RuntimeError(
                f"binder/environment.yml wants {dep}, this machine has {name} {have[name]}"
            )


def build(prefix: Path, home: Path) -> BinderEnv:
    """Make the environment: venv, the pip list, then postBuild from the repository's root."""
    unknown = {p.name for p in BINDER.iterdir()} - UNDERSTOOD
    if unknown:
        raise RuntimeError(f"binder/ has files this test does not mirror: {sorted(unknown)}")
    conda, pip = read_environment()
    check_conda_packages(conda)
    venv.EnvBuilder(with_pip=True, clear=True).create(prefix)
    env = BinderEnv(prefix)
    home.mkdir(parents=True, exist_ok=True)
    env.run(
        str(env.python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        *pip,
        cwd=BINDER,
        home=home,
    )
    env.run(str(BINDER / "postBuild"), cwd=REPO, home=home)
    return env


def pyodide_page_config(pyodide_url: str, pypi_index_url: str) -> dict:
    """JupyterLab page config that points the in-browser kernel at a local Pyodide instead of
    its CDN, since the tests make no request beyond loopback (on Binder the CDN default is what
    runs).
    JupyterLab turns objects in page_config.json into lists, so the setting goes as a string,
    which the kernel's plugin parses anyway."""
    settings = {
        "@jupyterlite/pyodide-kernel-extension:kernel": {
            "pyodideUrl": pyodide_url,
            "pipliteUrls": [pypi_index_url],
        }
    }
    return {"litePluginSettings": json.dumps(settings)}


@dataclass
class BinderLab(JupyterProcess):
    """``jupyter lab`` from the Binder environment, on loopback under a Binder-like base URL,
    with the repository's files in its root folder."""

    binder: BinderEnv | None = None
    pyodide: OfflinePyodide | None = None

    @property
    def static_dir(self) -> Path:
        """Served under ``{base_url}static/``: the local Pyodide and its piplite wheels."""
        return self.home / "offline-static"

    def command(self) -> list[str]:
        base = super().command()
        return [
            str(self.binder.python),
            *base[1:],
            f"--ServerApp.extra_static_paths={json.dumps([str(self.static_dir)])}",
        ]

    def prepare(self, files_from: list[Path]) -> None:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        for path in files_from:
            shutil.copytree(path, self.root_dir / path.name)
        self.pyodide.pypi_index()  # beside the wheels, so that it is copied with them
        shutil.copytree(self.pyodide.core, self.static_dir / "pyodide")
        shutil.copytree(self.pyodide.pypi, self.static_dir / "pypi")
        file_name = kernel_pyodide_url(self.binder.prefix).rsplit("/", 1)[1]
        labconfig = self.home / ".jupyter" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps(
                pyodide_page_config(
                    f"{self.base_url}static/pyodide/{file_name}",
                    f"{self.base_url}static/pypi/all.json",
                )
            )
        )

    def environment(self) -> dict[str, str]:
        return self.binder.env(self.home)


def binder_pyodide(env: BinderEnv) -> OfflinePyodide:
    return offline_pyodide(kernel_pyodide_version(env.prefix))
