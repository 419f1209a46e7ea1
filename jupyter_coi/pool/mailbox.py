"""The shared memory between the kernel and one pool worker, and how messages cross it.

While a cell runs, the kernel's Web Worker is blocked: no message posted to it or by the
page reaches it until the cell ends. Shared memory is the one thing that moves, so each
worker gets a *mailbox*, a ``SharedArrayBuffer`` that the kernel makes::

    header   HEADER_SLOTS 32-bit slots (HEADER names them)
    to       WINDOW bytes: kernel -> worker
    from     WINDOW bytes: worker -> kernel

Each direction is a pipe: the writer waits until its ``*_full`` slot is 0, copies up to
``WINDOW`` bytes in, sets the length, the message's total length and whether more follows,
sets ``*_full`` to 1 and wakes the reader, which copies the bytes out and sets it back to 0.
A message larger than the window goes through in several turns (:func:`parts`), so tens of
megabytes cross a window of a few. The reader checks each turn's header against what a writer
writes (:func:`check_part`) before it allocates or copies anything: the header is memory
that the other side, the page and a cell holding the buffer can all write anything into, and a
header that no writer wrote raises :class:`MailboxError`.

``state`` says where the worker is (``STATES``): the kernel asks for it (``requested``), the
page starts its Web Worker (``started``), its Python loop runs (``ready``), or it failed
(``failed``, with the reason as UTF-8 text in the ``from`` window). ``reserve`` says whether
a pool uses the worker (``RESERVE``): one that a pool no longer needs, started or still
starting, is ``parked`` and waits for the kernel's next pool, which takes it back
(``in_use``), unless the page's idle timer has ``retired`` it first. Both sides move it out of
``parked`` with a compare-and-exchange, so exactly one of them wins. ``interrupt`` is the
worker's Pyodide interrupt buffer: the kernel stores SIGINT there to stop a task.

One *doorbell* per kernel, a slot in a small buffer of its own, is incremented and notified by
every worker that writes something for the kernel and by the page when it starts one, so that
the kernel waits on a single address for all its workers.

The layout is shared with the page (``labextension/src/pool/``), through the JSON that
``labextension/scripts/generate.py`` writes from :func:`render_json`. This module imports only
the standard library at import time; the classes use ``js`` (they run in Pyodide).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

HEADER = {
    "state": 0,
    "interrupt": 1,
    "to_full": 2,
    "to_length": 3,
    "to_total": 4,
    "to_more": 5,
    "from_full": 6,
    "from_length": 7,
    "from_total": 8,
    "from_more": 9,
    "reserve": 10,
}
HEADER_SLOTS = 16
HEADER_BYTES = 4 * HEADER_SLOTS
# 4 MiB each way: a 32 MB argument crosses in eight turns of about a millisecond each.
WINDOW = 4 << 20
MAILBOX_BYTES = HEADER_BYTES + 2 * WINDOW
# The reader allocates a whole message as its first turn arrives, and a WebAssembly heap never
# gives memory back, so a total read from the header must be one a writer could have meant:
# a message of 1 GiB, with the object it unpickles to, already fills half of the 4 GiB that a
# 32-bit Pyodide can have at most.
MOST_MESSAGE_BYTES = 1 << 30
STATES = {"requested": 0, "started": 1, "ready": 2, "failed": 3}
# The ``reserve`` slot: whether a pool uses the worker, or it waits for the kernel's next pool.
RESERVE = {"in_use": 0, "parked": 1, "retired": 2}
DOORBELL_SLOTS = 4
DOORBELL = 0
# What the kernel posts to the page, under this key, to start, park and stop workers.
MESSAGE_KEY = "jupyter-coi:pool"
# What a Pyodide interrupt buffer takes to raise KeyboardInterrupt: the signal's number. The
# kernel's own buffer (jupyter_coi/kernel/interrupt.py) and each worker's take the same.
SIGINT = 2
# The kernel waits in slices this long, so that the interrupt button reaches it at once: Pyodide
# looks at its interrupt buffer between Python instructions, not during a wait.
SLICE_MS = 5


class MailboxError(ValueError):
    """A mailbox's header describes a message that no writer writes: the mailbox is corrupt,
    and nothing more read from it can be trusted."""


def parts(total: int) -> Iterator[tuple[int, int, int]]:
    """``(offset, length, more)`` of each turn in which a message of ``total`` bytes crosses
    the window: at least one turn, so that an empty message arrives too."""
    if not 0 <= total <= MOST_MESSAGE_BYTES:
        raise ValueError(
            f"a message of {total} bytes cannot cross a mailbox: at most "
            f"{MOST_MESSAGE_BYTES} bytes can (MOST_MESSAGE_BYTES)"
        )
    offset = 0
    while True:
        length = min(WINDOW, total - offset)
        more = int(offset + length < total)
        yield offset, length, more
        offset += length
        if not more:
            return


def check_part(
    direction: str, total: int, length: int, more: int, offset: int, message_total: int | None
) -> None:
    """Raise :class:`MailboxError` unless the header of direction ``direction`` (``"to"`` or
    ``"from"``), read when ``offset`` bytes of the message have arrived, describes a turn that
    :func:`parts` makes. ``message_total`` is the total of the message's first turn (None for
    the first turn itself): every turn of one message repeats it.

    What passes is safe to act on: ``total`` bytes can be allocated, ``length`` bytes copied
    from the window to ``offset`` stay in the message, and the message ends."""

    def corrupt(slot: str, value: int, expected: str) -> MailboxError:
        return MailboxError(
            f"the mailbox is corrupt: its {direction}_{slot} slot holds {value}, "
            f"where a writer puts {expected}"
        )

    if not 0 <= total <= MOST_MESSAGE_BYTES:
        raise corrupt("total", total, f"a size from 0 to {MOST_MESSAGE_BYTES} bytes")
    if message_total is not None and total != message_total:
        raise corrupt("total", total, f"{message_total}, the total of the message's first turn")
    if not 0 <= length <= WINDOW:
        raise corrupt("length", length, f"a length from 0 to {WINDOW} bytes (the window)")
    if more not in (0, 1):
        raise corrupt("more", more, "0 or 1")
    end = offset + length
    if more and not length:
        # A turn that brings nothing while more follows would hold the reader for ever.
        raise corrupt("length", length, "at least 1 byte in a turn that more follows")
    if more and end >= total:
        raise corrupt(
            "more",
            more,
            f"0 in the turn whose {length} bytes end the message ({offset} of {total} bytes "
            "had arrived)",
        )
    if not more and end != total:
        raise corrupt(
            "length",
            length,
            f"{total - offset} bytes in the last turn ({offset} of {total} bytes had arrived)",
        )


# The slots and states the page reads or writes: it starts workers, marks one failed with its
# reason, parks and retires idle ones, and gives each its interrupt buffer. The pipes themselves
# are the kernel's and the worker's, both in Python, so their slots stay out of the page's copy.
PAGE_SLOTS = ("state", "interrupt", "from_length", "reserve")
PAGE_STATES = ("requested", "started", "failed")


def render() -> dict:
    return {
        "header": {name: HEADER[name] for name in PAGE_SLOTS},
        "headerSlots": HEADER_SLOTS,
        "headerBytes": HEADER_BYTES,
        "window": WINDOW,
        "mailboxBytes": MAILBOX_BYTES,
        "states": {name: STATES[name] for name in PAGE_STATES},
        "reserve": RESERVE,
        "doorbellSlots": DOORBELL_SLOTS,
        "doorbell": DOORBELL,
        "messageKey": MESSAGE_KEY,
    }


def render_json() -> str:
    return json.dumps(render(), indent=2, sort_keys=True) + "\n"


class Mailbox:  # pragma: no cover - runs in Pyodide
    """One worker's mailbox, from either side: ``side`` is ``"kernel"`` or ``"worker"``.

    ``waiting(turn)`` is called between short waits while a message is on its way; it may
    raise (a deadline passed, the worker died) to give up.
    """

    def __init__(self, side: str, buffer: Any = None, doorbell: Any = None) -> None:
        import js

        self._js = js
        self.buffer = buffer if buffer is not None else js.SharedArrayBuffer.new(MAILBOX_BYTES)
        self.header = js.Int32Array.new(self.buffer, 0, HEADER_SLOTS)
        to_window = js.Uint8Array.new(self.buffer, HEADER_BYTES, WINDOW)
        from_window = js.Uint8Array.new(self.buffer, HEADER_BYTES + WINDOW, WINDOW)
        self.doorbell = doorbell
        if side == "kernel":
            self._out, self._in, self._out_window, self._in_window = (
                "to",
                "from",
                to_window,
                from_window,
            )
        else:
            self._out, self._in, self._out_window, self._in_window = (
                "from",
                "to",
                from_window,
                to_window,
            )

    def slot(self, name: str) -> int:
        return self._js.Atomics.load(self.header, HEADER[name])

    def store(self, name: str, value: int) -> None:
        atomics = self._js.Atomics
        atomics.store(self.header, HEADER[name], value)
        atomics.notify(self.header, HEADER[name])

    def swap(self, name: str, expected: int, new: int) -> bool:
        """Store ``new`` in slot ``name`` if it holds ``expected``, atomically; whether it
        did."""
        index = HEADER[name]
        return self._js.Atomics.compareExchange(self.header, index, expected, new) == expected

    def ring(self) -> None:
        if self.doorbell is not None:
            self._js.Atomics.add(self.doorbell, DOORBELL, 1)
            self._js.Atomics.notify(self.doorbell, DOORBELL)

    def has_message(self) -> bool:
        return self.slot(f"{self._in}_full") == 1

    def _wait(self, name: str, value: int, waiting: Callable[[], None] | None, ms: float) -> None:
        """Wait while slot ``name`` holds ``value``."""
        atomics, index = self._js.Atomics, HEADER[name]
        while atomics.load(self.header, index) == value:
            atomics.wait(self.header, index, value, ms)
            if waiting is not None:
                waiting()

    def send(self, data: bytes | bytearray | memoryview, waiting=None, ms=SLICE_MS) -> None:
        """Raises ValueError, before anything crosses, for a message larger than
        ``MOST_MESSAGE_BYTES``."""
        view = memoryview(data).cast("B")
        total, full = len(view), f"{self._out}_full"
        atomics = self._js.Atomics
        for offset, n, more in parts(total):
            self._wait(full, 1, waiting, ms)
            if n:
                self._out_window.subarray(0, n).assign(view[offset : offset + n])
            atomics.store(self.header, HEADER[f"{self._out}_length"], n)
            atomics.store(self.header, HEADER[f"{self._out}_total"], total)
            atomics.store(self.header, HEADER[f"{self._out}_more"], more)
            self.store(full, 1)
            self.ring()

    def receive(self, waiting=None, ms=SLICE_MS) -> bytearray:
        """The next message. Raises :class:`MailboxError` for a header that no writer wrote,
        leaving that turn unread."""
        full = f"{self._in}_full"
        self._wait(full, 0, waiting, ms)
        data: bytearray | None = None
        offset = 0
        while True:
            total = self.slot(f"{self._in}_total")
            n = self.slot(f"{self._in}_length")
            more = self.slot(f"{self._in}_more")
            check_part(self._in, total, n, more, offset, None if data is None else len(data))
            if data is None:
                data = bytearray(total)
            if n:
                self._in_window.subarray(0, n).assign_to(memoryview(data)[offset : offset + n])
                offset += n
            self.store(full, 0)
            if not more:
                return data
            self._wait(full, 0, waiting, ms)

    def failure(self) -> str:
        """The reason that the page or the worker wrote when the worker failed."""
        n = self.slot("from_length")
        if not 0 <= n <= WINDOW:
            # Said, not raised: the worker has failed either way, and this is why.
            return f"no reason that can be read (its mailbox's from_length slot holds {n})"
        raw = self._in_window if self._in == "from" else self._out_window
        return bytes(raw.subarray(0, n).to_bytes()).decode("utf-8", "replace") or "no reason given"
