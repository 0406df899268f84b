"""Tree-sitter helpers: query captures come back in document order, whatever the allocation history."""

from tree_sitter import Query

from anomalygen.source.index import index_file
from anomalygen.source.java import JAVA, SourceFile, captures, new_parser

_FIELDS = "\n".join(f"  int f{i} = g{i}().h{i}();" for i in range(40))
_SRC = f"class A {{\n{_FIELDS}\n}}\n".encode()

_ENUM = b"""
enum Algo {
  LZO { private Object codec; void run() { codec.go(); } },
  GZ { private String codec; void run() { codec.go(); } };
  abstract void run();
}
"""


def _parse(data: bytes) -> SourceFile:
    return SourceFile(path=None, rel="A.java", data=data, tree=new_parser().parse(data))  # type: ignore[arg-type]


def test_captures_are_in_document_order_outer_first():
    query = Query(JAVA, "(field_declaration) @field (method_invocation) @call")
    keep = []
    for _ in range(5):  # fresh trees at other addresses: the raw binding's order moved with them
        src = _parse(_SRC)
        keep.append(src)
        caps = captures(query, src.tree.root_node)
        fields = caps["field"]
        assert [f.start_point[0] for f in fields] == list(range(1, 41))
        calls = caps["call"]
        assert len(calls) == 80
        # `g0().h0()` and `g0()` start at one byte: the whole invocation comes first
        for outer, inner in zip(calls[::2], calls[1::2], strict=False):
            assert outer.start_byte == inner.start_byte and outer.end_byte > inner.end_byte


def test_a_field_declared_twice_in_one_class_is_the_last_written():
    # enum constants' bodies are not classes of their own here, so both `codec` fields land in Algo
    for _ in range(5):
        fidx = index_file(_parse(_ENUM))
        algo = next(c for c in fidx.classes if c.simple == "Algo")
        assert algo.fields["codec"].type == "String"
