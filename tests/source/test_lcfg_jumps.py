"""Jump routing's bookkeeping: a frame is known by a number that no later frame gets, where its `id()` would be
reused once the frame is freed (an exception point keyed by a freed frame's id made a later one look already
routed, and Hadoop 2.5.0's path counts changed from run to run)."""

from __future__ import annotations

from anomalygen.source.lcfg_jumps import BreakFrame, LoopFrame, TryFrame


def test_frames_keep_numbers_no_later_frame_gets():
    numbers = []
    for i in range(200):
        frame = (TryFrame([], None), LoopFrame(None), BreakFrame("l"))[i % 3]
        numbers.append(frame.number)
        del frame  # freed: CPython may give its address (its id) to the next frame
    assert len(set(numbers)) == len(numbers)


def test_the_number_takes_no_part_in_comparing_frames():
    assert LoopFrame("a") == LoopFrame("a") and TryFrame([], None) == TryFrame([], None)
    assert "number" not in repr(LoopFrame("a"))
