"""The code that the page sends as a kernel's first execute request, read whole.

It writes jupyter-coi's kernel-side files (``files``: path under ``site-packages`` -> text)
into the kernel and awaits :func:`jupyter_coi.kernel.setup.setup`. The page appends one line
that calls :func:`__jupyter_coi_setup__` with its arguments as JSON (``bundle.render``): the
function deletes itself, so that nothing of it stays in the user's namespace.

Whatever the set-up prints goes to the browser's console, not to a cell: the request has no
cell to show it in.
"""


async def __jupyter_coi_setup__(arguments):
    import contextlib
    import importlib
    import io
    import json
    import os
    import sysconfig

    del globals()["__jupyter_coi_setup__"]
    arguments = json.loads(arguments)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        site = sysconfig.get_paths()["purelib"]
        for name, text in arguments["files"].items():
            path = os.path.join(site, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
        importlib.invalidate_caches()
        from jupyter_coi.kernel.setup import setup

        await setup(arguments["nonce"], arguments.get("pool") or {})
    if printed.getvalue():
        import js

        js.console.debug(f"jupyter-coi | kernel set-up: {printed.getvalue()}")
