from __future__ import annotations

import gzip

from anomalygen.core.formats import LogFormat
from anomalygen.logs.reader import ReadStats, read_logs

HDFS = LogFormat.parse("hdfs")
GOOD = b"081109 203518 143 INFO dfs.DataNode$DataXceiver: Receiving block blk_1 src: /1.2.3.4:1 dest: /1.2.3.4:2"


def _read(paths, **kw):
    stats = ReadStats()
    recs = list(read_logs(paths, HDFS, stats, **kw))
    return recs, stats


def test_bad_lines_are_counted_never_fatal(tmp_path):
    p = tmp_path / "bad.log"
    p.write_bytes(
        b"\n".join(
            [
                GOOD,
                b"",  # 2 empty
                b"this line has no header",  # 3 header mismatch
                GOOD,
                b"java.io.IOException: boom",  # 5 continuation (stack trace after a parsed line)
                b"\tat org.x.Y.z(Y.java:1)",  # 6 continuation
                GOOD.replace(b"Receiving", b"Rec\xffeiving"),  # 7 non-UTF-8: kept, with U+FFFD
                b"081109 203518 143 INFO dfs.X: a\x00b",  # 8 binary
                GOOD + b"\r",  # 9 CRLF
                GOOD,  # 10 no final newline
            ]
        )
    )
    recs, stats = _read([p])
    assert stats.lines_read == 10
    assert stats.parsed == len(recs) == 5
    assert stats.lines_read == stats.parsed + stats.rejected_total
    assert dict(stats.rejected) == {"empty_line": 1, "header_mismatch": 1, "continuation": 2, "binary": 1}
    assert dict(stats.warnings) == {"non_utf8": 1, "no_final_newline": 1}
    assert [r.lineno for r in recs] == [1, 4, 7, 9, 10]
    assert "\ufffd" in recs[2].content
    assert recs[3].content.endswith(":2")  # the \r is gone
    assert stats.examples["header_mismatch"][0].startswith(f"{p}:3: this line")
    assert stats.examples["binary"][0].startswith(f"{p}:8")


def test_empty_missing_and_truncated_files(tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    gz = tmp_path / "cut.log.gz"
    blob = gzip.compress(b"\n".join(GOOD.replace(b"blk_1", b"blk_%d" % (i * 7919 % 100003)) for i in range(20000)))
    gz.write_bytes(blob[: len(blob) // 2])
    recs, stats = _read([empty, tmp_path / "missing.log", gz])
    assert stats.warnings["empty_file"] == 1
    assert stats.warnings["unreadable_file"] == 1
    assert stats.warnings["truncated_archive"] == 1
    assert stats.files == 3
    assert 0 < stats.parsed == len(recs) < 20000
    assert stats.lines_read == stats.parsed + stats.rejected_total


def test_too_long_lines_are_skipped_in_bounded_memory(tmp_path):
    p = tmp_path / "long.log"
    p.write_bytes(GOOD + b"\n" + b"x" * 5000 + b"\n" + GOOD + b"\n" + b"y" * 5000)
    recs, stats = _read([p], chunk_bytes=64, max_line_bytes=1000)
    assert [r.lineno for r in recs] == [1, 3]
    assert stats.rejected["too_long"] == 2
    assert stats.lines_read == 4 == stats.parsed + stats.rejected_total


def test_small_chunks_read_the_same_records(data_dir):
    path = data_dir / "hdfs" / "HDFS_2k.log"
    big, s1 = _read([path])
    small, s2 = _read([path], chunk_bytes=97)
    assert s1.parsed == s2.parsed == 2000 and s1.rejected_total == 0
    assert [(r.lineno, r.fields) for r in big] == [(r.lineno, r.fields) for r in small]
