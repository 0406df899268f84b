"""Line sources: `--follow` picks up appended lines, survives rotation and truncation, and counts lines."""

from __future__ import annotations

import os
import threading
import time

from anomalygen.deploy.stream import follow, line_source
from anomalygen.logs.reader import ReadStats


def _collect(gen, until, timeout=20.0):
    """Lines from a followed source until `until(lines)` holds (or the timeout)."""
    got = []
    t0 = time.monotonic()
    for name, first, lines in gen:
        got.extend((name, first + i, ln) for i, ln in enumerate(lines))
        if until(got) or time.monotonic() - t0 > timeout:
            break
    return got


def test_follow_reads_appended_lines_across_rotation_and_truncation(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("a1\na2\n")
    stats = ReadStats()
    stop = threading.Event()

    def writer():
        with open(path, "a") as fh:  # appended, and a line written in two halves
            fh.write("a3\na")
            fh.flush()
            time.sleep(0.3)
            fh.write("4\n")
        time.sleep(0.3)
        os.rename(path, tmp_path / "app.log.1")  # logrotate: move, then a new file
        with open(tmp_path / "app.log.1", "a") as fh:
            fh.write("a5\n")  # the old file's last line, written after the move
        time.sleep(0.3)
        path.write_text("b1\nb2\n")
        time.sleep(0.5)
        with open(path, "r+") as fh:  # copytruncate: same file cut to nothing, then rewritten
            fh.truncate(0)
        time.sleep(0.3)
        path.write_text("c1\n")

    t = threading.Thread(target=writer)
    t.start()
    got = _collect(follow(path, stats, stop.is_set, poll=0.05), lambda g: any(x[2] == "c1" for x in g))
    stop.set()
    t.join()
    texts = [x[2] for x in got]
    assert texts == ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "c1"]
    numbers = {x[2]: x[1] for x in got}
    assert (numbers["a5"], numbers["b1"], numbers["b2"], numbers["c1"]) == (5, 1, 2, 1)  # a new file starts at 1
    assert stats.lines_read == 8


def test_follow_waits_for_a_file_that_does_not_exist_yet(tmp_path):
    path = tmp_path / "late.log"
    threading.Timer(0.3, lambda: path.write_text("x\n")).start()
    got = _collect(follow(path, ReadStats(), lambda: False, poll=0.05), lambda g: len(g) == 1)
    assert [x[2] for x in got] == ["x"]


def test_follow_stops_and_keeps_an_unfinished_last_line(tmp_path):
    path = tmp_path / "a.log"
    path.write_text("one\ntwo")
    stats = ReadStats()
    polls = []

    def stop():
        polls.append(1)
        return len(polls) > 3

    lines = [ln for _, _, block in follow(path, stats, stop, poll=0.01) for ln in block]
    assert lines == ["one", "two"]
    assert stats.warnings["no_final_newline"] == 1


def test_plain_and_gz_files_in_order(tmp_path):
    import gzip

    (tmp_path / "a.log").write_text("1\n2\n")
    with gzip.open(tmp_path / "b.log.gz", "wt") as fh:
        fh.write("3\n")
    stats = ReadStats()
    got = [
        (n.rsplit("/", 1)[-1], first, lines)
        for n, first, lines in line_source([tmp_path / "a.log", tmp_path / "b.log.gz"], stats)
    ]
    assert got == [("a.log", 1, ["1", "2"]), ("b.log.gz", 1, ["3"])]
    assert stats.lines_read == 3
