"""The kernel's half of interrupting a Pyodide kernel on an isolated page.

Pyodide stops running Python code when element 0 of its *interrupt buffer*, a
``SharedArrayBuffer`` that the page can write while the kernel's worker is busy, holds a signal
number. jupyterlite-pyodide-kernel never hands Pyodide such a buffer, so its interrupt button
only cancels queued cells. The labextension (``labextension/src/interrupt/``) runs
:func:`install` once in each new Pyodide kernel, receives the buffer it posts from the worker,
and writes SIGINT into it when the user interrupts.

The buffer holds four 32-bit slots (``SLOTS``):

``signal``
    Pyodide's own slot: the page stores 2 (SIGINT) and wakes any ``Atomics.wait`` on it.
``requested``
    How many interrupts the page has asked for.
``answered``
    The last request that got its ``KeyboardInterrupt``, or that the page withdrew because the
    cell ended first. The kernel and the page both move it with compare-and-swap, so a request
    is answered exactly once.
``running``
    1 while a cell runs, so that the page never leaves a signal behind for the next cell.

Pyodide reads the signal slot and clears it in two separate steps (CPython issue gh-157548),
so a store that lands between them is lost. The page therefore keeps storing until the
request is answered, and the handler here raises only for a request that is not yet answered:
repeated stores cannot raise twice.

``time.sleep`` in Pyodide never looks at the buffer; :func:`install` replaces it with a sleep
that waits on the signal slot, so an interrupt ends it at once.

The function below runs *inside Pyodide*: everything it needs is imported in its body, and it
is sent to the kernel as source text (``labextension/scripts/generate.py`` writes
``labextension/src/interrupt/kernel-interrupt.json``). This module imports only the standard
library.
"""

from __future__ import annotations

import inspect
import json

SLOTS = {"signal": 0, "requested": 1, "answered": 2, "running": 3}
# What `install` posts to the page, under this key, from the kernel's worker.
MESSAGE_KEY = "jupyter-coi:interrupt"
SIGINT = 2


def install(nonce, slots, message_key):  # pragma: no cover - runs in Pyodide
    """Give this Pyodide kernel an interrupt buffer and post it to the page.

    Posts ``{message_key: {"nonce": nonce, "buffer": SharedArrayBuffer}}`` from the worker,
    or ``{..., "error": why}`` when this kernel cannot have one.
    """
    import math
    import signal
    import time

    import js
    from pyodide.ffi import to_js

    def post(**fields):
        message = {message_key: {"nonce": nonce, **fields}}
        js.postMessage(to_js(message, dict_converter=js.Object.fromEntries))

    def setup():
        try:
            import pyodide_js
        except ImportError:
            return post(error="this kernel does not run Pyodide")
        if not getattr(js, "crossOriginIsolated", False):
            return post(error="the kernel's worker is not cross-origin isolated")
        if not hasattr(pyodide_js, "setInterruptBuffer"):
            return post(error="this Pyodide has no setInterruptBuffer")

        atomics = js.Atomics
        view = js.Int32Array.new(js.SharedArrayBuffer.new(4 * len(slots)))
        SIGNAL, REQUESTED, ANSWERED, RUNNING = (
            slots["signal"],
            slots["requested"],
            slots["answered"],
            slots["running"],
        )

        def on_sigint(signum, frame):
            requested = atomics.load(view, REQUESTED)
            answered = atomics.load(view, ANSWERED)
            # Stale (the page withdrew it) or a repeat of an answered request: not an interrupt.
            if answered >= requested:
                return
            # Between cells (the signal outlived the cell it was meant for): leave the request
            # for the page to withdraw rather than break the kernel's own code.
            if atomics.load(view, RUNNING) == 0:
                return
            if atomics.compareExchange(view, ANSWERED, answered, requested) != answered:
                return
            atomics.notify(view, ANSWERED)
            raise KeyboardInterrupt

        def sleep(seconds):
            try:
                seconds = float(seconds)
            except TypeError:
                kind = type(seconds).__name__
                raise TypeError(
                    f"'{kind}' object cannot be interpreted as an integer or float"
                ) from None
            if math.isnan(seconds):
                raise ValueError("Invalid value NaN (not a number)")
            if seconds < 0:
                raise ValueError("sleep length must be non-negative")
            deadline = time.monotonic() + seconds
            while (remaining := deadline - time.monotonic()) > 0:
                atomics.wait(view, SIGNAL, 0, remaining * 1000)
                # Woken by a signal: spin until Pyodide takes it from the buffer, which runs
                # on_sigint (it raises, or returns for a stale signal and the sleep goes on).
                while atomics.load(view, SIGNAL) != 0:
                    pass

        sleep.__doc__ = time.sleep.__doc__
        # Pickled by reference, as `time.sleep`, like the function it stands for: a worker of
        # jupyter_coi.pool that gets it uses its own.
        sleep.__module__, sleep.__qualname__ = "time", "sleep"

        ours = (on_sigint.__code__, sleep.__code__)

        def show_interrupt(shell, etype, value, tb, tb_offset=None):
            # The handler and the sleep stand where CPython has C code, which tracebacks do
            # not show: end the traceback at the user's line, as CPython would. (IPython calls
            # this for KeyboardInterrupt in a cell and expects it to show the traceback.)
            entries = []
            while tb is not None:
                entries.append(tb)
                tb = tb.tb_next
            while len(entries) > 1 and entries[-1].tb_frame.f_code in ours:
                entries.pop()
            entries[-1].tb_next = None
            shell.showtraceback((etype, value, entries[0]), tb_offset=tb_offset)

        def cell_starts(info):
            atomics.store(view, RUNNING, 1)

        def cell_ends(result):
            atomics.store(view, RUNNING, 0)

        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - a builtin in the kernel
        if shell is None:
            return post(error="this kernel does not run IPython")
        signal.signal(signal.SIGINT, on_sigint)
        pyodide_js.setInterruptBuffer(view)
        shell.events.register("pre_run_cell", cell_starts)
        shell.events.register("post_run_cell", cell_ends)
        shell.set_custom_exc((KeyboardInterrupt,), show_interrupt)
        time.sleep = sleep

        post(buffer=view.buffer)

    def forget_this_cell():
        # This ran as a cell: take it out of the history and the prompt count, so that the
        # user's first cell is still In [1] with Out [1], and `In`, `_i`, `_ii` show only theirs.
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - a builtin in the kernel
        if shell is None:
            return
        history = shell.history_manager
        count = shell.execution_count
        for inputs in (history.input_hist_parsed, history.input_hist_raw):
            if len(inputs) > 1:
                inputs.pop()
        raw = history.input_hist_raw

        def back(n):
            return raw[-n] if n < len(raw) else ""

        history._i00, history._i, history._ii, history._iii = back(1), back(2), back(3), back(4)
        shell.user_ns.pop(f"_i{count}", None)
        shell.user_ns.update({"_i": history._i, "_ii": history._ii, "_iii": history._iii})
        shell.execution_count = count - 1

    try:
        setup()
    except Exception as error:
        post(error=f"installing the interrupt buffer failed: {error!r}")
    finally:
        forget_this_cell()


def render() -> dict:
    """The kernel code as the labextension receives it: the function's source, then a call
    with a placeholder for the nonce, then cleanup so that nothing stays in the user's
    namespace."""
    source = inspect.getsource(install).replace("# pragma: no cover - runs in Pyodide", "").rstrip()
    source = source.replace("def install(", "def __jupyter_coi_interrupt__(", 1)
    placeholder = "__JUPYTER_COI_NONCE__"
    call = (
        f"try:\n    __jupyter_coi_interrupt__({placeholder}, {json.dumps(SLOTS)}, "
        f"{json.dumps(MESSAGE_KEY)})\nfinally:\n    del __jupyter_coi_interrupt__\n"
    )
    return {
        "code": source + "\n\n\n" + call,
        "nonce": placeholder,
        "slots": SLOTS,
        "messageKey": MESSAGE_KEY,
        "sigint": SIGINT,
    }


def render_json() -> str:
    return json.dumps(render(), indent=2, sort_keys=True) + "\n"
