"""jupyter-coi for JupyterLite: the ``jupyter-coi`` build addon of jupyterlite-core,
:mod:`jupyter_coi.lite.addon` (``CrossOriginIsolationAddon``). It needs jupyterlite-core and is
loaded through the ``jupyterlite.addon.v0`` entry point, not imported here.

What it does to a built site (host files, the service worker, the page script) is
:mod:`jupyter_coi.static`'s, which the Sphinx extension and ``jupyter coi check`` share.
"""
