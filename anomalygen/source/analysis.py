"""One analysed tree: project index, inventory, call graph, and LCFGs built on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from anomalygen.source.callgraph import CallGraph
from anomalygen.source.index import MethodDecl
from anomalygen.source.inventory import Inventory, build_inventory
from anomalygen.source.lcfg import LCFG
from anomalygen.source.lcfg_builder import LCFGBuilder
from anomalygen.source.lcfg_jumps import JDK_EXCEPTION_PARENT
from anomalygen.source.project import Project


@dataclass
class AnalysisConfig:
    loop_bound: int = 2
    exceptions: str = "all"  # "all": any call may throw; "try": only calls inside try blocks with handlers


@dataclass
class Analysis:
    project: Project
    inventory: Inventory
    callgraph: CallGraph
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    _lcfgs: dict[str, LCFG] = field(default_factory=dict)

    @classmethod
    def run(cls, root: Path | str, config: AnalysisConfig | None = None) -> Analysis:
        inventory, project = build_inventory(Path(root))
        return cls(project, inventory, CallGraph.build(project, inventory), config or AnalysisConfig())

    @property
    def diagnostics(self):
        return self.inventory.diagnostics

    def method(self, key: str) -> MethodDecl:
        return self.project.methods[key]

    def lcfg(self, key: str) -> LCFG:
        g = self._lcfgs.get(key)
        if g is None:
            m = self.project.methods[key]
            by_call = self.inventory.by_call

            def log_stmt(call: Node) -> str | None:
                s = by_call.get(call.id)
                return s.id if s is not None else None

            g = LCFGBuilder(
                m,
                log_stmt,
                self.callgraph.logging_callees,
                self._is_subtype,
                loop_bound=self.config.loop_bound,
                exceptions=self.config.exceptions,
            ).build()
            self._lcfgs[key] = g
        return g

    def build_all_lcfgs(self) -> dict[str, LCFG]:
        for key in sorted(self.callgraph.logging):
            self.lcfg(key)
        return self._lcfgs

    def _is_subtype(self, a: str, b: str) -> bool | None:
        """Is exception type a a subtype of b? None when the tree and the JDK table cannot tell."""
        sa, sb = a.rsplit(".", 1)[-1], b.rsplit(".", 1)[-1]
        if sa == sb or sb == "Throwable":
            return True
        names = _ancestors(sa, self.project)
        if sb in names:
            return True
        return False if names and names[-1] == "Throwable" else None


def _ancestors(simple: str, project: Project) -> list[str]:
    """Chain of supertype simple names of an exception type, through project classes and the JDK table."""
    chain: list[str] = []
    cur = simple
    nxt: str | None
    for _ in range(20):
        cands = project.by_simple.get(cur, [])
        if cands and cands[0].superclass:
            nxt = cands[0].superclass.rsplit(".", 1)[-1]
        else:
            nxt = JDK_EXCEPTION_PARENT.get(cur)
        if nxt is None or nxt in chain:
            break
        chain.append(nxt)
        cur = nxt
    return chain
