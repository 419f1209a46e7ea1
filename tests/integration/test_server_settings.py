"""Settings of a real `jupyter server` process: every invalid value stops it at start, naming the
setting, and the start-up log says which policy it sends (the settings' traitlets alone are in
tests/unit/test_settings.py)."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from support.harness import ANSI, JupyterProcess, free_port, jupyter_env

INVALID = [
    ("opener_policy", "same-site", "'same-origin', 'same-origin-allow-popups'"),
    ("embedder_policy", "require-cors", "'require-corp', 'credentialless'"),
    ("resource_policy", "same-host", "'same-origin', 'same-site', 'cross-origin'"),
    ("exclude_paths", "(unclosed", "not a regular expression"),
    ("enabled", "maybe", "boolean"),
    ("report_only", "perhaps", "boolean"),
    (
        "document_isolation_policy",
        "isolate",
        "'isolate-and-require-corp', 'isolate-and-credentialless'",
    ),
]


def start_refused(tmp_path, *args: str) -> tuple[int, str, int]:
    """Start `jupyter server` with ``args``; return its exit code, its log and its port."""
    port = free_port()
    server = JupyterProcess(app="server", home=tmp_path, args=list(args), port=port)
    server.root_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        server.command(),
        env=jupyter_env(tmp_path),
        cwd=server.root_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, ANSI.sub("", done.stdout + done.stderr), port


def assert_not_listening(port: int) -> None:
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("trait,value,allowed", INVALID, ids=[i[0] for i in INVALID])
def test_invalid_value_on_command_line_stops_server(tmp_path, trait, value, allowed):
    code, log, port = start_refused(tmp_path, f"--CrossOriginIsolation.{trait}={value}")
    assert code == 1, log
    assert f"c.CrossOriginIsolation.{trait}" in log or f"'{trait}' trait" in log, log
    assert allowed in log, log
    assert "does not start" in log
    assert "is running at" not in log
    assert_not_listening(port)


def test_invalid_value_in_config_file_stops_server(tmp_path):
    config_dir = tmp_path / ".jupyter"
    config_dir.mkdir()
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps({"CrossOriginIsolation": {"embedder_policy": "credentialles"}})
    )
    code, log, port = start_refused(tmp_path)
    assert code == 1
    assert "c.CrossOriginIsolation.embedder_policy = 'credentialles' is not allowed" in log
    assert "'require-corp', 'credentialless', 'unsafe-none'" in log
    assert_not_listening(port)


def test_misspelt_setting_stops_server(tmp_path):
    code, log, _ = start_refused(tmp_path, "--CrossOriginIsolation.embeder_policy=credentialless")
    assert code == 1
    assert "c.CrossOriginIsolation.embeder_policy is not a setting of jupyter-coi" in log
    assert "did you mean c.CrossOriginIsolation.embedder_policy?" in log


def test_startup_log_line(jupyter_process):
    server = jupyter_process("server", "--CrossOriginIsolation.embedder_policy=credentialless")
    lines = [line for line in server.log().splitlines() if "cross-origin isolating" in line]
    assert len(lines) == 1
    assert (
        "Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: credentialless, "
        "Cross-Origin-Resource-Policy: same-origin" in lines[0]
    )


def test_startup_warns_when_policy_does_not_isolate(jupyter_process):
    server = jupyter_process("server", "--CrossOriginIsolation.opener_policy=unsafe-none")
    assert "this policy does not make pages cross-origin isolated" in server.log()


@pytest.mark.parametrize(
    "pattern, says",
    [
        ("(?i)/proxy/", "inline flag (?i) applies to every pattern"),
        (".*", "matches every path"),
    ],
)
def test_exclude_paths_that_would_switch_isolation_off_stop_the_server(tmp_path, pattern, says):
    code, log, port = start_refused(tmp_path, f"--CrossOriginIsolation.exclude_paths={pattern}")
    assert code == 1, log
    assert says in log, log
    assert "does not start" in log
    assert "is running at" not in log
    assert_not_listening(port)


def test_any_failure_to_load_stops_the_server(jp_serverapp, monkeypatch):
    """Jupyter Server would log it and serve every response without the headers."""
    from jupyter_coi import _load_jupyter_server_extension
    from jupyter_coi.config import ConfigurationError

    def broken(transform):
        raise RuntimeError("no transforms today")

    monkeypatch.setattr(jp_serverapp.web_app, "add_transform", broken)
    with pytest.raises(ConfigurationError, match="no transforms today"):
        _load_jupyter_server_extension(jp_serverapp)
