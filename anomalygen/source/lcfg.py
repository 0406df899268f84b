"""Log-oriented control-flow graphs, one per method.

Only what decides which logs a method prints is kept: log statements, calls to project methods that can log,
the branches around them, jumps, and the points where an exception can be thrown. Everything else collapses.
Loops are unrolled 0..k times with their conditions renamed per iteration, so every LCFG is a DAG whose node
ids are a topological order; counting paths is then one backward pass.

Edges carry at most one label: a branch condition with its polarity, or `exc` for the exceptional exit of a
call node (taken only by callee paths that end in an exception).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from anomalygen.source.expr import Expr

ENTRY, EXIT, EXC_EXIT, CUT = 0, 1, 2, 3
EXIT_KINDS = {EXIT: "normal", EXC_EXIT: "exception", CUT: "cut"}
EXIT_INDEX = {EXIT: 0, EXC_EXIT: 1, CUT: 2}  # each exit node's place in a per-exit-kind count triple


@dataclass
class Cond:
    id: str
    text: str
    expr: Expr
    line: int
    kind: str  # if | loop | foreach | switch | ternary | and | or | catch | assign | havoc
    iteration: int | None = None
    # for SSA reading: state epoch (mutating calls before it), loop-iteration scope, which atoms are locals,
    # and the declared types of atoms where known
    epoch: int = 0
    scope: str = ""
    locals: list[str] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "expr": self.expr,
            "line": self.line,
            "kind": self.kind,
            "iteration": self.iteration,
            "epoch": self.epoch,
            "scope": self.scope,
            "locals": self.locals,
            "types": self.types,
        }


@dataclass
class GNode:
    id: int
    kind: str  # entry | exit | exc_exit | cut | log | call | branch | merge | catch
    line: int = 0
    stmt: str | None = None  # log statement id
    callees: tuple[str, ...] = ()
    text: str = ""


@dataclass
class Edge:
    src: int
    dst: int
    cond: str | None = None
    polarity: bool | None = None
    exc: bool = False


Label = tuple[str, bool] | str | None  # (cond id, polarity) | "exc" | None
Frontier = list[tuple[int, Label]]


@dataclass
class LCFG:
    method: str
    nodes: list[GNode] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    conds: dict[str, Cond] = field(default_factory=dict)
    loops_bounded: int = 0
    out: list[list[Edge]] = field(default_factory=list)

    def finish(self) -> LCFG:
        """Drop duplicate edges and nodes that reach no exit; index out-edges."""
        seen = set()
        edges = []
        for e in self.edges:
            key = (e.src, e.dst, e.cond, e.polarity, e.exc)
            if key not in seen:
                seen.add(key)
                edges.append(e)
        n = len(self.nodes)
        alive = [False] * n
        for x in (EXIT, EXC_EXIT, CUT):
            alive[x] = True
        out: list[list[Edge]] = [[] for _ in range(n)]
        for e in edges:
            out[e.src].append(e)
        for v in range(n - 1, -1, -1):  # ids are a topological order (exits have no out-edges)
            if not alive[v] and any(alive[e.dst] for e in out[v]):
                alive[v] = True
        reach = [False] * n
        reach[ENTRY] = True
        for v in range(n):
            if reach[v]:
                for e in out[v]:
                    reach[e.dst] = True
        keep = [alive[v] and reach[v] for v in range(n)]
        self.edges = [e for e in edges if keep[e.src] and keep[e.dst]]
        self.out = [[] for _ in range(n)]
        for e in self.edges:
            self.out[e.src].append(e)
        return self

    def to_dict(self) -> dict[str, Any]:
        used = {e.src for e in self.edges} | {e.dst for e in self.edges} | {ENTRY}
        return {
            "method": self.method,
            "nodes": [
                {
                    "id": g.id,
                    "kind": g.kind,
                    "line": g.line,
                    **({"stmt": g.stmt} if g.stmt else {}),
                    **({"callees": list(g.callees)} if g.callees else {}),
                    **({"text": g.text} if g.text else {}),
                }
                for g in self.nodes
                if g.id in used
            ],
            "edges": [
                {
                    "src": e.src,
                    "dst": e.dst,
                    **({"cond": e.cond, "polarity": e.polarity} if e.cond else {}),
                    **({"exc": True} if e.exc else {}),
                }
                for e in self.edges
            ],
            "conds": {k: c.to_dict() for k, c in self.conds.items()},
            "loops_bounded": self.loops_bounded,
        }
