from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
DATA = HERE.parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "hdfs").is_dir():
        pytest.skip(f"SHARED DATA MISSING: {DATA / 'hdfs'} not found; these tests need the real log samples")
    return DATA


@pytest.fixture(scope="session")
def hdfsmini():
    """Statements of a small Java tree written in the shape of Hadoop 0.17 dfs's block-level log statements."""
    from anomalygen.source.inventory import build_inventory

    inv, _ = build_inventory(FIXTURES / "hdfsmini")
    assert len(inv.statements) == 23, [s.template for s in inv.statements]
    return inv.statements


@pytest.fixture(scope="session")
def covtree():
    from anomalygen.source.inventory import build_inventory

    inv, _ = build_inventory(FIXTURES / "covtree")
    return inv.statements


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def stmt():
    return make_statement


def make_statement(
    template: str, regex: str, *, sid: str = "", cls: str = "com.x.C", line: int = 1, level: str = "INFO"
):
    from anomalygen.core.statements import LogStatement

    return LogStatement(
        id=sid or f"S{abs(hash((template, regex, cls, line))) % 10**8}",
        file="C.java",
        line=line,
        class_name=cls,
        method="m()",
        level=level,
        call=level.lower(),
        api="slf4j",
        logger="LOG",
        logger_name=None,
        recognised_by="type",
        template=template,
        regex=regex,
    )
