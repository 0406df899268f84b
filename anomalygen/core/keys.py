"""Session keys found in log messages."""

from __future__ import annotations

import re

HDFS_BLOCK = r"blk_-?\d+"  # an HDFS block id, the session key of HDFS logs
HDFS_BLOCK_RE = re.compile(HDFS_BLOCK)
