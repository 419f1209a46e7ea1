"""The Sphinx side of ``jupyter_coi.sphinx``: its config values, checked when ``conf.py`` is
read; the page script added to every HTML page; the output isolated once the build, and
jupyterlite-sphinx's JupyterLite build, are done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.errors import ExtensionError
from sphinx.util import logging

from .._version import __version__
from ..hosts import HostFileError
from ..static.htmlsite import PAGE_SCRIPT, isolate_html_site
from ..static.litebuild import NotALiteSite
from ..static.serviceworker import ServiceWorkerError
from .settings import PREFIX, DocsSettings, from_config


def _check_config(app, config) -> None:
    from_config(config)


def _is_html(builder) -> bool:
    # EPUB builders are HTML builders too, but a book has no origin to isolate.
    return isinstance(builder, StandaloneHTMLBuilder) and not builder.name.startswith("epub")


def _add_page_script(app) -> None:
    if from_config(app.config).enabled and _is_html(app.builder):
        # First in <head>: the sooner it decides, the less of the page loads before a reload.
        app.add_js_file(PAGE_SCRIPT, priority=1)


def _isolate(app, exception) -> None:
    if exception is not None or not _is_html(app.builder):
        return
    settings = from_config(app.config)
    if not settings.enabled:
        return
    try:
        written = isolate_html_site(
            Path(app.outdir), settings.resolved_policy(), settings.host_files
        )
    except (NotALiteSite, ServiceWorkerError, HostFileError) as e:
        raise ExtensionError(f"jupyter-coi: the site was not isolated: {e}") from None
    logging.getLogger(__name__).info(
        "jupyter-coi: %s, %d files written in %s",
        settings.resolved_policy().describe(),
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
