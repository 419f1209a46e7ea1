"""jupyter-coi: cross-origin isolation for Jupyter Server and JupyterLite."""

from ._version import __version__


def _jupyter_labextension_paths():
    # What `jupyter labextension develop` links: the built labextension (the wheel installs
    # the same folder into share/jupyter/labextensions/jupyter-coi).
    return [{"src": "labextension", "dest": "jupyter-coi"}]


def _jupyter_server_extension_points():
    return [{"module": "jupyter_coi"}]


def _load_jupyter_server_extension(serverapp):
    from .extension import load_or_stop

    load_or_stop(serverapp)


__all__ = ["__version__"]
