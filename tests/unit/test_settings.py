"""The settings (traitlets, in-process): they build the policy, `auto` answers each browser on
the server and gives a JupyterLite site the one value its hosts send (by the service worker
setting), and every setting is documented. A real server refusing bad values is
tests/integration/test_server_settings.py."""

from __future__ import annotations

import pytest
from traitlets import TraitError
from traitlets.config import Config

from jupyter_coi import policy
from jupyter_coi.config import CrossOriginIsolation


def test_settings_build_the_policy():
    config = Config({"CrossOriginIsolation": {"embedder_policy": "credentialless"}})
    settings = CrossOriginIsolation(config=config)
    assert settings.resolved_policy() == policy.Policy(embedder="credentialless")
    assert settings.resolved_policy().isolates


def test_auto_on_the_server_answers_each_browser():
    settings = CrossOriginIsolation()
    assert settings.embedder_policy == "auto"
    assert settings.resolved_policy(credentialless=False).embedder == "require-corp"
    assert settings.resolved_policy(credentialless=True).embedder == "credentialless"
    assert settings.resolved_policy().embedder == "credentialless"  # the value it announces first


def lite_addon(section: dict | None = None):
    """The addon as `jupyter lite build` makes it: from a real LiteManager with this config."""
    from jupyterlite_core.manager import LiteManager

    from jupyter_coi.lite.addon import CrossOriginIsolationAddon

    manager = LiteManager(config=Config({"CrossOriginIsolationAddon": section or {}}))
    return CrossOriginIsolationAddon(manager), manager


def sent_by_serve(manager) -> dict[str, str]:
    return {k: v for k, v in manager.extra_http_headers.items() if k in policy.HEADERS.values()}


@pytest.mark.parametrize(
    "section, embedder, note",
    [
        # The default: Chromium and Firefox are isolated by the host's credentialless and load
        # what has no CORP; the worker gives WebKit require-corp. Said, not warned.
        ({}, "credentialless", (True, "the service worker gives them require-corp")),
        ({"embedder_policy": "auto"}, "credentialless", (True, "the service worker gives")),
        # Nothing could give WebKit another value: require-corp, the one that isolates all.
        (
            {"service_worker": False},
            "require-corp",
            (False, "with CrossOriginIsolationAddon.service_worker off: the host files send COEP"),
        ),
        # Explicit values are sent as they are, whatever the worker.
        ({"embedder_policy": "require-corp"}, "require-corp", None),
        ({"embedder_policy": "require-corp", "service_worker": False}, "require-corp", None),
        (
            {"embedder_policy": "credentialless"},
            "credentialless",
            (False, "the service worker gives them require-corp, after one reload"),
        ),
        (
            {"embedder_policy": "credentialless", "service_worker": False},
            "credentialless",
            (False, "are not isolated by them (service_worker is off)"),
        ),
    ],
    ids=[
        "default",
        "auto",
        "auto-no-worker",
        "require-corp",
        "require-corp-no-worker",
        "credentialless",
        "credentialless-no-worker",
    ],
)
def test_lite_auto_rule(section, embedder, note):
    addon, manager = lite_addon(section)
    assert addon.embedder_policy == section.get("embedder_policy", "auto")
    want = policy.Policy(embedder=embedder)
    assert addon.resolved_policy() == want and want.isolates
    # What the host files, the service worker and `jupyter lite serve` are given: one value.
    assert sent_by_serve(manager) == want.headers()
    got = addon.webkit_note()
    if note is None:
        assert got is None
    else:
        assert got is not None and got[0] is note[0] and note[1] in got[1], got


def test_lite_auto_names_the_setting_that_loads_the_embeds():
    addon, _ = lite_addon({"service_worker": False})
    _, text = addon.webkit_note()
    assert "are blocked" in text and "CrossOriginIsolationAddon.service_worker = true" in text


def test_every_trait_is_documented():
    from jupyter_coi.lite.addon import CrossOriginIsolationAddon

    for settings in (CrossOriginIsolation, CrossOriginIsolationAddon):
        for name, trait in settings.class_own_traits(config=True).items():
            assert len(trait.help) > 40, (settings.__name__, name)


@pytest.mark.parametrize(
    "patterns, says",
    [
        # An inline flag applies to the whole expression: joined with the others it is an error
        # (or, first, a flag for every pattern), and the server ran without the headers.
        (["(?i)/proxy/"], "inline flag (?i) applies to every pattern"),
        (["/a/", "(?s)/b/"], "inline flag (?s) applies to every pattern"),
        # One name for two groups: each compiles, joined they do not.
        (["(?P<app>/a/)", "(?P<app>/b/)"], "cannot be combined with the patterns before it"),
        # Empty (an environment variable split on commas) and match-all patterns leave every
        # response without the headers, while the log said every response was isolated.
        ([""], "is empty, and matches every path"),
        ([".*"], "matches every path"),
        (["/"], "matches every path"),
        (["/lab", "(|/x)"], "matches every path"),
    ],
)
def test_exclude_paths_that_cannot_apply_whole_are_refused(patterns, says):
    config = Config({"CrossOriginIsolation": {"exclude_paths": patterns}})
    with pytest.raises(TraitError) as raised:
        CrossOriginIsolation(config=config)
    message = str(raised.value)
    assert "c.CrossOriginIsolation.exclude_paths" in message, message
    assert says in message, message


def test_exclude_paths_that_apply_whole_are_kept():
    patterns = ["/proxy/8050/", "/voila/render/(?P<name>[^/]+)", "(?i:/Apps/)"]
    settings = CrossOriginIsolation(
        config=Config({"CrossOriginIsolation": {"exclude_paths": patterns}})
    )
    assert settings.exclude_paths == patterns
