"""Keeping the set-up out of the user's history.

The page sends the set-up as an execute request, which the Pyodide kernel runs as a cell of
IPython's with ``store_history=True`` whatever the request says. Taking it out again keeps the
user's first cell ``In [1]`` with ``Out [1]``, and ``In``, ``_i``, ``_ii`` showing only theirs.
"""

from __future__ import annotations

from typing import Any


def forget_this_cell(shell: Any) -> None:
    history = shell.history_manager
    count = shell.execution_count
    for inputs in (history.input_hist_parsed, history.input_hist_raw):
        if len(inputs) > 1:
            inputs.pop()
    raw = history.input_hist_raw

    def back(n: int) -> str:
        return raw[-n] if n < len(raw) else ""

    history._i00, history._i, history._ii, history._iii = back(1), back(2), back(3), back(4)
    shell.user_ns.pop(f"_i{count}", None)
    shell.user_ns.update({"_i": history._i, "_ii": history._ii, "_iii": history._iii})
    shell.execution_count = count - 1
