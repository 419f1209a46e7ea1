"""``jupyter_coi.sphinx``: a Sphinx site cross-origin isolated on hosts that send no headers,
with the JupyterLite REPLs and notebooks it embeds through jupyterlite-sphinx::

    extensions = ["jupyterlite_sphinx", "jupyter_coi.sphinx"]

Its settings are the JupyterLite addon's header settings and host files, as ``conf.py``
values named ``jupyter_coi_<setting>`` (:class:`DocsSettings`), checked when the configuration
is read: a bad value stops the build before anything is written. The work itself, once the
HTML and the JupyterLite site are built, is :func:`jupyter_coi.sphinx.site.isolate_html_site`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from traitlets import Bool, TraitError

from .. import policy
from .._version import __version__
from ..config import embedder_policy_trait
from ..hosts import HostFileError
from ..lite.serviceworker import ServiceWorkerError
from ..lite.settings import StaticSiteSettings
from ..lite.site import NotALiteSite
from .site import PAGE_SCRIPT, isolate_html_site

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
        policy.LITE_DEFAULTS["embedder"],
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


def _settings(config) -> DocsSettings:
    from sphinx.errors import ConfigError

    values = {name: config[PREFIX + name] for name in DocsSettings.class_traits(config=True)}
    try:
        return DocsSettings(**values)
    except TraitError as e:
        raise ConfigError(f"jupyter-coi: {e}") from None


def _check_config(app, config) -> None:
    _settings(config)


def _is_html(builder) -> bool:
    from sphinx.builders.html import StandaloneHTMLBuilder

    # EPUB builders are HTML builders too, but a book has no origin to isolate.
    return isinstance(builder, StandaloneHTMLBuilder) and not builder.name.startswith("epub")


def _add_page_script(app) -> None:
    if _settings(app.config).enabled and _is_html(app.builder):
        # First in <head>: the sooner it decides, the less of the page loads before a reload.
        app.add_js_file(PAGE_SCRIPT, priority=1)


def _isolate(app, exception) -> None:
    if exception is not None or not _is_html(app.builder):
        return
    settings = _settings(app.config)
    if not settings.enabled:
        return
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    try:
        written = isolate_html_site(Path(app.outdir), settings.policy(), settings.host_files)
    except (NotALiteSite, ServiceWorkerError, HostFileError) as e:
        raise ExtensionError(f"jupyter-coi: the site was not isolated: {e}") from None
    logging.getLogger(__name__).info(
        "jupyter-coi: %s, %d files written in %s",
        settings.policy().describe(),
        len(written),
        app.outdir,
    )


def setup(app) -> dict[str, Any]:
    for name, trait in DocsSettings.class_traits(config=True).items():
        app.add_config_value(PREFIX + name, trait.default(), "html")
    app.connect("config-inited", _check_config)
    app.connect("builder-inited", _add_page_script)
    # After jupyterlite-sphinx's build-finished (priority 500), which builds the JupyterLite site.
    app.connect("build-finished", _isolate, priority=900)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
