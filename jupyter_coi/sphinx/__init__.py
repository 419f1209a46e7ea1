"""``jupyter_coi.sphinx``: a Sphinx site cross-origin isolated on hosts that send no headers,
with the JupyterLite REPLs and notebooks it embeds through jupyterlite-sphinx::

    extensions = ["jupyterlite_sphinx", "jupyter_coi.sphinx"]

Its settings are the JupyterLite addon's header settings and host files, as ``conf.py``
values named ``jupyter_coi_<setting>`` (:class:`.settings.DocsSettings`), checked when the
configuration is read: a bad value stops the build before anything is written. The work itself,
once the HTML and the JupyterLite site are built, is
:func:`jupyter_coi.static.htmlsite.isolate_html_site`, and :mod:`.extension` connects them to
Sphinx.

Nothing is imported here until Sphinx calls :func:`setup`: ``jupyter coi check`` reads an HTML
output through :mod:`jupyter_coi.static.htmlsite` without loading Sphinx or traitlets.
"""

from __future__ import annotations

from typing import Any


def setup(app) -> dict[str, Any]:
    from .extension import setup as set_up

    return set_up(app)
