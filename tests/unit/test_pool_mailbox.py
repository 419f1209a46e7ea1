"""The checks a pool mailbox's reader makes on the header that the other side wrote
(jupyter_coi.pool.mailbox), in-process: every turn that a writer makes passes, and a header
that no writer writes raises MailboxError, naming the slot and what it holds, before the
reader allocates or copies anything."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_coi.pool.mailbox import (
    MOST_MESSAGE_BYTES,
    WINDOW,
    MailboxError,
    check_part,
    parts,
)

INT32 = st.integers(-(2**31), 2**31 - 1)
TOTALS = st.one_of(
    st.integers(0, 3 * WINDOW + 1),
    st.sampled_from([WINDOW - 1, WINDOW, WINDOW + 1, MOST_MESSAGE_BYTES]),
    st.integers(0, MOST_MESSAGE_BYTES),
)


def read(direction: str, headers: list[tuple[int, int, int]]) -> int:
    """Check ``(total, length, more)`` headers as ``Mailbox.receive`` reads them, one turn after
    another; how many bytes arrived once a turn says that nothing more follows."""
    offset, message_total = 0, None
    for total, length, more in headers:
        check_part(direction, total, length, more, offset, message_total)
        message_total = total
        offset += length
        if not more:
            return offset
    raise AssertionError("the message did not end")


@given(TOTALS)
def test_every_turn_a_writer_makes_passes_and_the_turns_make_up_the_message(total):
    turns = list(parts(total))
    assert read("from", [(total, length, more) for _, length, more in turns]) == total
    offset = 0
    for at, length, _ in turns:
        assert at == offset
        assert 0 <= length <= WINDOW
        offset += length
    assert [more for *_, more in turns] == [1] * (len(turns) - 1) + [0]


def test_the_largest_message_fits_the_32_bit_total_slot():
    assert WINDOW <= MOST_MESSAGE_BYTES <= 2**31 - 1


def test_a_writer_refuses_a_message_larger_than_a_reader_accepts():
    with pytest.raises(ValueError, match="MOST_MESSAGE_BYTES") as raised:
        next(parts(MOST_MESSAGE_BYTES + 1))
    # The sender's own message is too large: its mailbox is not corrupt.
    assert not isinstance(raised.value, MailboxError)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ([(-1, 0, 0)], "from_total slot holds -1"),
        ([(-(2**31), 0, 0)], f"from_total slot holds {-(2**31)}"),
        ([(MOST_MESSAGE_BYTES + 1, WINDOW, 1)], f"from_total slot holds {MOST_MESSAGE_BYTES + 1}"),
        ([(2**31 - 1, WINDOW, 1)], f"from_total slot holds {2**31 - 1}"),
        ([(10, -1, 0)], "from_length slot holds -1"),
        ([(2 * WINDOW, WINDOW + 1, 1)], f"from_length slot holds {WINDOW + 1}"),
        ([(10, 11, 0)], "from_length slot holds 11"),
        ([(10, 4, 0)], "from_length slot holds 4"),
        ([(10, 10, 2)], "from_more slot holds 2"),
        ([(10, 10, -1)], "from_more slot holds -1"),
        ([(10, 0, 1)], "from_length slot holds 0"),
        ([(10, 10, 1)], "from_more slot holds 1"),
        ([(10, 12, 1)], "from_more slot holds 1"),
        ([(2 * WINDOW, WINDOW, 1), (3 * WINDOW, WINDOW, 0)], f"total slot holds {3 * WINDOW}"),
        ([(2 * WINDOW, WINDOW, 1), (2 * WINDOW, WINDOW + 1, 0)], f"holds {WINDOW + 1}"),
        ([(2 * WINDOW, WINDOW, 1), (2 * WINDOW, 5, 0)], "from_length slot holds 5"),
    ],
)
def test_a_header_no_writer_writes_raises_naming_the_slot_and_its_value(headers, says):
    with pytest.raises(MailboxError, match=says):
        read("from", headers)


def test_the_error_names_the_direction_read():
    with pytest.raises(MailboxError, match="the mailbox is corrupt: its to_length slot"):
        read("to", [(10, WINDOW + 1, 0)])


@given(INT32, INT32, INT32, st.integers(0, MOST_MESSAGE_BYTES), st.none() | TOTALS)
def test_what_passes_is_safe_to_allocate_and_copy(total, length, more, offset, message_total):
    try:
        check_part("from", total, length, more, offset, message_total)
    except MailboxError:
        return
    assert 0 <= total <= MOST_MESSAGE_BYTES
    assert message_total in (None, total)
    assert 0 <= length <= WINDOW
    assert offset + length <= total
    if more == 1:
        assert length > 0 and offset + length < total
    else:
        assert more == 0 and offset + length == total


@given(st.integers(0, 3 * WINDOW + 1), st.data())
def test_one_slot_of_a_real_message_overwritten_raises_or_changes_nothing_unsafe(total, data):
    """Whatever one turn's slot is made to hold, the reader copies only into the message it
    allocated, and a message it accepts is whole."""
    headers = [[total, length, more] for _, length, more in parts(total)]
    turn = data.draw(st.integers(0, len(headers) - 1))
    slot = data.draw(st.integers(0, 2))
    headers[turn][slot] = data.draw(INT32)
    offset, message_total = 0, None
    for t, (turn_total, length, more) in enumerate(headers):
        try:
            check_part("from", turn_total, length, more, offset, message_total)
        except MailboxError:
            return
        message_total = turn_total
        assert offset + length <= message_total
        offset += length
        if not more:
            # A message may end only once all of it has arrived, however many turns it took.
            assert offset == message_total == headers[0][0]
            assert t == len(headers) - 1
            return
    raise AssertionError("a message whose turns all passed did not end")
