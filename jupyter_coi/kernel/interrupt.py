"""The kernel's half of interrupting a Pyodide kernel on an isolated page.

Pyodide stops running Python code when element 0 of its *interrupt buffer*, a
``SharedArrayBuffer`` that the page can write while the kernel's worker is busy, holds a signal
number. jupyterlite-pyodide-kernel never hands Pyodide such a buffer, so its interrupt button
only cancels queued cells. The kernel's set-up (:mod:`.setup`) calls :func:`install`, posts the
buffer to the page, and the page (``labextension/src/interrupt/``) writes SIGINT into it when
the user interrupts.

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
"""

from __future__ import annotations

import math
import signal
import time
from typing import Any

# The page writes jupyter_coi.pool.mailbox.SIGINT into the signal slot.
SLOTS = {"signal": 0, "requested": 1, "answered": 2, "running": 3}


class NoInterruptBuffer(Exception):
    """Why this kernel cannot have an interrupt buffer."""


def install(shell: Any) -> Any:
    """Give this Pyodide kernel (IPython ``shell``) an interrupt buffer; returns the
    buffer's ``SharedArrayBuffer`` for the page, or raises :class:`NoInterruptBuffer`."""
    import js

    if shell is None:
        raise NoInterruptBuffer("this kernel does not run IPython")
    try:
        import pyodide_js
    except ImportError:
        raise NoInterruptBuffer("this kernel does not run Pyodide") from None
    if not getattr(js, "crossOriginIsolated", False):
        raise NoInterruptBuffer("the kernel's worker is not cross-origin isolated")
    if not hasattr(pyodide_js, "setInterruptBuffer"):
        raise NoInterruptBuffer("this Pyodide has no setInterruptBuffer")

    atomics = js.Atomics
    view = js.Int32Array.new(js.SharedArrayBuffer.new(4 * len(SLOTS)))
    signal_slot, requested_slot = SLOTS["signal"], SLOTS["requested"]
    answered_slot, running_slot = SLOTS["answered"], SLOTS["running"]

    def on_sigint(signum, frame):
        requested = atomics.load(view, requested_slot)
        answered = atomics.load(view, answered_slot)
        # Stale (the page withdrew it) or a repeat of an answered request: not an interrupt.
        if answered >= requested:
            return
        # Between cells (the signal outlived the cell it was meant for): leave the request
        # for the page to withdraw rather than break the kernel's own code.
        if atomics.load(view, running_slot) == 0:
            return
        if atomics.compareExchange(view, answered_slot, answered, requested) != answered:
            return
        atomics.notify(view, answered_slot)
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
            atomics.wait(view, signal_slot, 0, remaining * 1000)
            # Woken by a signal: spin until Pyodide takes it from the buffer, which runs
            # on_sigint (it raises, or returns for a stale signal and the sleep goes on).
            while atomics.load(view, signal_slot) != 0:
                pass

    sleep.__doc__ = time.sleep.__doc__
    # Pickled by reference, as `time.sleep`, like the function it stands for: a worker of
    # jupyter_coi.pool that gets it uses its own.
    sleep.__module__, sleep.__qualname__ = "time", "sleep"

    ours = (on_sigint.__code__, sleep.__code__)

    def hidden(entry):
        return entry.tb_frame.f_code in ours or entry.tb_frame.f_locals.get("__tracebackhide__")

    def show_interrupt(shell, etype, value, tb, tb_offset=None):
        # The handler and the sleep stand where CPython has C code, which tracebacks do not
        # show: end the traceback at the user's line, as CPython would. So do the waits that
        # hide themselves (__tracebackhide__, the worker pool's), which IPython shows when an
        # interrupt lands in them, as the last frame. (IPython calls this for
        # KeyboardInterrupt in a cell and expects it to show the traceback.)
        entries = []
        while tb is not None:
            entries.append(tb)
            tb = tb.tb_next
        while len(entries) > 1 and hidden(entries[-1]):
            entries.pop()
        entries[-1].tb_next = None
        shell.showtraceback((etype, value, entries[0]), tb_offset=tb_offset)

    def cell_starts(info):
        atomics.store(view, running_slot, 1)

    def cell_ends(result):
        atomics.store(view, running_slot, 0)

    signal.signal(signal.SIGINT, on_sigint)
    pyodide_js.setInterruptBuffer(view)
    shell.events.register("pre_run_cell", cell_starts)
    shell.events.register("post_run_cell", cell_ends)
    shell.set_custom_exc((KeyboardInterrupt,), show_interrupt)
    time.sleep = sleep
    return view.buffer
