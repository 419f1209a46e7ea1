"""The ``jupyter_coi_*`` values of a Sphinx ``conf.py``: the JupyterLite addon's header
settings and host files, under names of their own, with the same checks."""

from __future__ import annotations

from traitlets import Bool, TraitError

from .. import policy
from ..config import embedder_policy_trait
from ..static.settings import StaticSiteSettings

PREFIX = "jupyter_coi_"


class DocsSettings(StaticSiteSettings):
    """The ``jupyter_coi_*`` values of a Sphinx ``conf.py``."""

    enabled = Bool(
        True,
        config=True,
        help="Isolate the HTML site: every page loads jupyter-coi's page script, and the build "
        "writes the service worker and the host files. False leaves the site as Sphinx built it.",
    )

    embedder_policy = embedder_policy_trait(
        policy.SETTING_DEFAULTS["embedder"],
        f"``{policy.CREDENTIALLESS}`` in the host files and for the browsers that support it "
        "(cross-origin images and scripts without CORP keep loading), "
        f"``{policy.CREDENTIALLESS_FALLBACK}`` from the service worker for the others (Safari).",
    )

    @classmethod
    def setting_name(cls, trait: str) -> str:
        return f"{PREFIX}{trait}"

    def auto_embedder(self) -> str:
        # Static files answer every browser alike; the service worker answers each on its own.
        return policy.static_auto_embedder(True)


def from_config(config) -> DocsSettings:
    """The settings from a Sphinx config (or any mapping of its values); a bad value is a
    ``ConfigError`` that names the setting."""
    from sphinx.errors import ConfigError

    values = {name: config[PREFIX + name] for name in DocsSettings.class_traits(config=True)}
    try:
        return DocsSettings(**values)
    except TraitError as e:
        raise ConfigError(f"jupyter-coi: {e}") from None
