# Installed by jupyter-coi into {sys.prefix}/etc/jupyter: cross-origin isolation for standalone
# `voila`, which loads no Jupyter Server extension (see jupyter_coi/voila.py).
__import__("jupyter_coi.voila").voila.configure()
