"""What jupyter-coi puts into every Pyodide kernel, before the kernel runs any code of the user's.

The labextension (``labextension/src/kernel/``) holds each new Pyodide kernel's messages back
until this set-up has run in it, so the first cell a user runs, however early and however it
was sent (Run All as the page opens, a REPL's ``?code=``, a docs page's REPL), finds
everything in place:

- ``jupyter_coi.pool``, the worker pool, importable (:mod:`jupyter_coi.pool`), with
  cloudpickle loaded on an isolated page, where a pool can start;
- the interrupt buffer (:mod:`.interrupt`), so that the interrupt button stops that first cell;
- ``multiprocessing.Pool``, ``ProcessPoolExecutor`` and joblib's default backend on the
  worker pool (:mod:`.parallel`, with :mod:`.imports`).

These modules run *inside Pyodide*. The page writes them into the kernel's ``site-packages``
as they are in this folder (:mod:`.bundle` lists them and :mod:`.bootstrap` writes them), then
awaits :func:`.setup.setup`. On a server they are only read, never run.
"""
