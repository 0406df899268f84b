from __future__ import annotations

from anomalygen.core.keys import HDFS_BLOCK_RE


def test_block_ids_are_found_with_their_sign():
    msg = "Deleting block blk_-1608999687919862906 file /x/blk_38865049064139660"
    assert HDFS_BLOCK_RE.findall(msg) == ["blk_-1608999687919862906", "blk_38865049064139660"]
