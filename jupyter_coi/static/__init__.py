"""What jupyter-coi does to a static site, whoever built it: a JupyterLite build (the addon,
:mod:`jupyter_coi.lite`), a Sphinx HTML output and the JupyterLite site it embeds (the Sphinx
extension, :mod:`jupyter_coi.sphinx`), and how ``jupyter coi check`` reads either.

- :mod:`.settings`: the settings of a static site, the policy's three headers and the host files;
- :mod:`.litebuild`: what makes a folder a JupyterLite build, and what built it;
- :mod:`.hostfiles`: the host config files of a site, merged, written all or none, checked;
- :mod:`.serviceworker`: isolation by JupyterLite's service worker, for hosts that send no
  headers, and the reload script its pages load;
- :mod:`.htmlsite`: a Sphinx output's own worker and page script, around its JupyterLite site;
- :mod:`.scripts`: the JavaScript in ``js/`` these write.

No module here needs jupyterlite-core, Sphinx or the server; only :mod:`.settings` needs
traitlets.
"""
