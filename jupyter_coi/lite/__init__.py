"""jupyter-coi for JupyterLite: the ``jupyter-coi`` build addon of jupyterlite-core.

- :mod:`jupyter_coi.lite.addon`: ``CrossOriginIsolationAddon``, the addon itself (needs
  jupyterlite-core; loaded through the ``jupyterlite.addon.v0`` entry point, not imported here);
- :mod:`jupyter_coi.lite.site`: what makes a folder a JupyterLite build, and writing (all or
  none) and checking the host files of one, without jupyterlite-core;
- :mod:`jupyter_coi.lite.serviceworker`: isolation by service worker, for hosts that cannot send
  headers, also without jupyterlite-core.
"""
