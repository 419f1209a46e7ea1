"""Cross-origin isolation for standalone Voila (``voila notebook.ipynb``).

Standalone Voila is a plain traitlets application with a Tornado application of its own: it
loads no Jupyter Server extension, so the server extension never runs there. What an installed
package can give it is a config file: Voila reads ``voila.py`` from the Jupyter config path,
which includes ``{sys.prefix}/etc/jupyter``, and jupyter-coi's wheel installs one there that
calls :func:`configure`. That hooks the server extension's :func:`~jupyter_coi.extension.load`
in at the moment Voila has made its Tornado application and added no handler yet, so that every
response gets the headers and the report endpoint is reachable before Voila's catch-all route.

Under ``jupyter lab`` Voila runs as a server extension and reads the same file; the application
then is the Jupyter server, which jupyter-coi's own server extension isolates, and
:func:`configure` does nothing.
"""

from __future__ import annotations

from typing import Any


def configure() -> None:
    try:
        from voila.app import Voila
    except ImportError:
        return
    app = getattr(Voila, "_instance", None)
    # Under `jupyter lab`, the instance is the ServerApp (Voila shares Application's slot).
    if not isinstance(app, Voila) or getattr(app, "_jupyter_coi", False):
        return
    app._jupyter_coi = True
    init_handlers = app.init_handlers

    def init_handlers_isolated(*args: Any, **kwargs: Any) -> Any:
        # Voila.start() has made its Tornado application (app.app) and serves nothing yet.
        from .extension import load

        app.web_app = app.app
        load(app)
        return init_handlers(*args, **kwargs)

    app.init_handlers = init_handlers_isolated
