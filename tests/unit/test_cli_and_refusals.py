"""`jupyter coi --version`, the values every refusal of a header setting lists (taken from
jupyter_coi/policy.py, `auto` included), and which targets `jupyter coi check` takes for a URL
without a scheme. The same command run as a subprocess is tests/integration/test_check_command.py."""

from __future__ import annotations

import importlib.metadata
import re

import pytest
from traitlets import TraitError

from jupyter_coi import cli, policy
from jupyter_coi.check import CheckError, as_url, check
from jupyter_coi.config import ConfigurationError, CrossOriginIsolation
from jupyter_coi.lite.addon import CrossOriginIsolationAddon
from support.harness import free_port

SETTINGS = [CrossOriginIsolation, CrossOriginIsolationAddon]


def made(settings, **values):
    """The settings object as its command makes it (the addon from a real LiteManager)."""
    if settings is CrossOriginIsolationAddon:
        from jupyterlite_core.manager import LiteManager

        return settings(LiteManager(), **values)
    return settings(**values)


def test_version_is_the_installed_distributions(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"jupyter-coi {importlib.metadata.version('jupyter-coi')}\n"


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("field", list(policy.HEADERS))
def test_a_refusal_lists_exactly_what_the_setting_accepts(settings, field):
    trait = f"{field}_policy"
    accepted = policy.SETTING_VALUES[field]
    for value in accepted:  # what the refusal offers is accepted
        assert getattr(made(settings, **{trait: value}), trait) == value
    # the server's settings raise TraitError; the addon ends the build (ConfigurationError)
    with pytest.raises((TraitError, ConfigurationError)) as refused:
        made(settings, **{trait: "no-such-value"})
    listed = re.fullmatch(
        rf"(c\.)?{settings.__name__}\.{trait} = 'no-such-value' is not allowed; choose one of (.*)",
        str(refused.value),
    )
    assert listed, str(refused.value)
    assert listed.group(2) == ", ".join(repr(v) for v in accepted)


def test_auto_is_accepted_and_listed_for_the_embedder_policy_only():
    assert policy.EMBEDDER_AUTO in policy.SETTING_VALUES["embedder"]
    assert (
        policy.SETTING_VALUES["embedder"][: len(policy.ALLOWED["embedder"])]
        == (policy.ALLOWED["embedder"])
    )
    for field in ("opener", "resource"):
        assert policy.SETTING_VALUES[field] == policy.ALLOWED[field]
    # and the help that `--help-all` prints names it among the values
    help_text = CrossOriginIsolation.class_traits()["embedder_policy"].help
    assert "``require-corp``, ``credentialless``, ``unsafe-none``, ``auto``" in help_text


@pytest.mark.parametrize(
    "target, url",
    [
        ("127.0.0.1:8888/lab", "http://127.0.0.1:8888/lab"),
        ("127.0.0.1:8888", "http://127.0.0.1:8888"),
        ("localhost:8888/lab?token=abc", "http://localhost:8888/lab?token=abc"),
        ("localhost", "http://localhost"),
        ("example.github.io/site/lab/index.html", "http://example.github.io/site/lab/index.html"),
        ("[::1]:8888/lab", "http://[::1]:8888/lab"),
        ("jupyter:8888/lab", "http://jupyter:8888/lab"),
        ("https://example.org/lab", "https://example.org/lab"),
        ("_output", None),
        ("dist/_output", None),
        ("./site", None),
        ("/srv/lite", None),
    ],
)
def test_which_targets_are_urls(target, url):
    assert as_url(target) == url


def test_an_existing_folder_is_a_folder_whatever_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.example.org").mkdir()
    assert as_url("site.example.org") is None
    assert as_url("other.example.org") == "http://other.example.org"


def test_a_url_without_scheme_is_loaded_over_http():
    """Nothing listens on the port: the error names the http:// URL that was tried, not a
    folder."""
    port = free_port()
    with pytest.raises(CheckError, match=rf"cannot load http://127\.0\.0\.1:{port}/lab: "):
        check(f"127.0.0.1:{port}/lab", timeout=5)


def test_check_help_says_what_jupyter_lite_check_is_for(capsys):
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "`jupyter lite check`, run in a JupyterLite project, checks that project's build" in out
    assert "127.0.0.1:8888/lab, http:// is meant" in out
