"""The loop that each pool worker runs: a Pyodide interpreter in a Web Worker of its own.

The page starts the Web Worker, which loads Pyodide and the kernel's packages, writes this
package into its file system and calls :func:`serve`. From then on it only waits on its
mailbox (:mod:`.mailbox`) for a task, runs it (:func:`.tasks.run_call`) and writes back the
outcome, until the page terminates it.

Messages start with one byte: ``T`` a task (kernel to worker); ``D`` its outcome (worker to
kernel); ``L`` packages to load (kernel to worker, JSON), which the kernel loaded after this
worker started.
"""

from __future__ import annotations

import json
from typing import Any

from . import tasks
from .mailbox import STATES, Mailbox

TASK = b"T"
DONE = b"D"
LOAD = b"L"


def serve(buffer: Any, doorbell_buffer: Any) -> list[str]:  # pragma: no cover - runs in Pyodide
    """Serve tasks until the kernel asks for packages: then return their names, for the
    worker's script to load (Pyodide loads packages asynchronously, and this loop never
    returns to the event loop), and it calls this again."""
    import js

    tasks.keep_module_globals()
    doorbell = js.Int32Array.new(doorbell_buffer)
    mailbox = Mailbox("worker", buffer, doorbell)
    mailbox.store("state", STATES["ready"])
    mailbox.ring()
    while True:
        try:
            message = mailbox.receive(ms=1000)
            kind = bytes(message[:1])
            if kind == LOAD:
                return json.loads(bytes(message[1:]))
            if kind != TASK:
                continue
            # An interrupt meant for the task before is not one for this task.
            mailbox.store("interrupt", 0)
            outcome = tasks.run_call(memoryview(message)[1:])
            mailbox.send(DONE + outcome)
        except KeyboardInterrupt:
            # An interrupt that arrived after its task ended: the kernel stopped waiting for
            # that task's outcome, and this worker goes on with the next.
            continue
