"""Standalone Voila (``voila notebook.ipynb``) on loopback, started and stopped by a test."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .harness import ANSI, code_notebook, free_port, jupyter_env, stop_process
from .lite_sites import wait_for_http

NOTEBOOK = "app.ipynb"
GREETING = "hello from voila"


@dataclass
class VoilaProcess:
    home: Path
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log_path(self) -> Path:
        return self.home / f"voila-{self.port}.log"

    def start(self, timeout: float = 90) -> VoilaProcess:
        work = self.home / "work"
        work.mkdir(parents=True, exist_ok=True)
        (work / NOTEBOOK).write_text(code_notebook("python3", "Python 3", f"print({GREETING!r})"))
        log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voila",
                NOTEBOOK,
                "--no-browser",
                "--Voila.ip=127.0.0.1",
                f"--Voila.port={self.port}",
                "--Voila.port_retries=0",
                *self.args,
            ],
            env=jupyter_env(self.home),
            cwd=work,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        # A static file, not the page: each request for the page renders the notebook and
        # starts a kernel.
        try:
            wait_for_http(f"{self.url}voila/static/voila.js", self.proc, self.log_path, timeout)
        except TimeoutError:
            self.stop()
            raise
        return self

    def log(self) -> str:
        return ANSI.sub("", self.log_path.read_text()) if self.log_path.exists() else ""

    def kernels_started(self) -> int:
        return self.log().count("Kernel started")

    def stop(self) -> None:
        stop_process(self.proc, timeout=10)
