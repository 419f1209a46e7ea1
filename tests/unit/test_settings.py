"""The settings (traitlets, in-process): they build the policy, `auto` is for the server only, and
every setting is documented. A real server refusing bad values is
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
    assert settings.policy() == policy.Policy(embedder="credentialless")
    assert settings.policy().isolates


def test_auto_is_for_the_server_only():
    from jupyter_coi.config import PolicySettings
    from jupyter_coi.lite.addon import CrossOriginIsolationAddon

    assert not CrossOriginIsolationAddon.allows_auto  # static files: one answer for all
    assert (
        CrossOriginIsolation(embedder_policy="auto").policy(credentialless=False).embedder
        == "require-corp"
    )
    assert CrossOriginIsolation(embedder_policy="auto").policy().embedder == "credentialless"
    with pytest.raises(TraitError, match="'auto' needs a server that answers each browser"):
        PolicySettings(embedder_policy="auto")


def test_every_trait_is_documented():
    for name, trait in CrossOriginIsolation.class_own_traits(config=True).items():
        assert len(trait.help) > 40, name
