"""Paths + feasibility of one entry point: the unit of work that `Generator.explore` fans out over processes.

Each entry gets its own feasibility checker, so its verdicts, reasons and kept paths depend on nothing but the
entry (the checker's symbol numbering and caches would otherwise carry over from whichever entries the same
worker happened to explore first); the outcome is then identical for any number of workers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anomalygen.source.analysis import Analysis, AnalysisConfig
from anomalygen.source.paths import PathConfig, PathFinder, PathRecord
from anomalygen.synthesis.feasibility import FeasibilityChecker, Verdict

if TYPE_CHECKING:
    from anomalygen.synthesis.generate import GenerateConfig

REASONS_PER_ENTRY = 3


@dataclass
class EntryReport:
    entry: str
    total: int
    paths: int
    infeasible: int = 0
    unknown: int = 0
    partial: int = 0
    kept: int = 0
    sequences: int = 0  # distinct event sequences among kept paths (after level/key filtering)
    seen: int = 0  # ... of which real logs showed every statement
    new: int = 0  # ... of which print at least one statement real logs never showed
    llm_rejected: int = 0
    caps: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


@dataclass
class EntryOutcome:
    report: EntryReport
    # (index among the entry's paths, path), feasible or undecided; the conditions only of the `partial` ones: the
    # others' held most of the main process's memory on a large tree (Hadoop 2.5.0), and nothing reads them
    kept: list[tuple[int, PathRecord]]
    partial: set[int]  # indices z3 could only partly read (or gave up on)
    checker: Counter  # the checker's work counters


class EntryExplorer:
    """Per worker process: the analysis and a path finder whose count tables are shared by all its entries."""

    def __init__(
        self, analysis: Analysis, cfg: GenerateConfig, min_level: str, plain_avoid: frozenset[str] = frozenset()
    ):
        self.a = analysis
        self.cfg = cfg
        self.min_level = min_level
        # the lines the label rules object to: a path covering a statement the sample missed avoids them where it
        # can, since a statement shown only beside them cannot stand for valid behaviour on its own
        self.plain_avoid = plain_avoid
        self.pf = PathFinder(
            analysis,
            # covering paths come from `_paths`, which knows which ones the checker kept
            PathConfig(depth=cfg.depth, max_paths=cfg.max_paths, seed=cfg.seed, min_level=min_level, cover=False),
        )

    def __call__(self, key: str) -> EntryOutcome:
        checker = FeasibilityChecker(min_level=self.min_level, max_cores=REASONS_PER_ENTRY)
        paths, verdicts, total, caps = self._paths(key, checker)
        rep = EntryReport(key, total, len(paths), caps=caps)
        kept: list[tuple[int, PathRecord]] = []
        partial: set[int] = set()
        for i, (p, v) in enumerate(zip(paths, verdicts, strict=True)):
            rep.partial += v.partial
            if v.status == "unsat":
                rep.infeasible += 1
                if len(rep.reasons) < REASONS_PER_ENTRY and v.reasons:
                    rep.reasons.append("; ".join(v.reasons))
                continue
            rep.unknown += v.status == "unknown"
            if v.partial or v.status == "unknown":
                partial.add(i)
                kept.append((i, p))
            else:  # only partly read paths go on to the LLM check, the one later reader of conditions
                kept.append((i, PathRecord(p.entry, p.events, [], p.exit, p.caps)))
        rep.kept = len(kept)
        work = Counter(checked=checker.checked, cache_hits=checker.cache_hits, components_solved=checker.solved)
        return EntryOutcome(rep, kept, partial, work)

    def _check(self, checker: FeasibilityChecker):
        if not self.cfg.feasibility:  # the `no-feasibility` ablation: every path kept
            return lambda p: Verdict("sat")
        return lambda p: checker.check_record(p, self.a)

    def _paths(self, key: str, checker: FeasibilityChecker) -> tuple[list[PathRecord], list[Verdict], int, dict]:
        """An entry's paths and verdicts: all paths when few, else uniform samples; when most samples are
        infeasible, more rounds (other seeds) until half the budget is feasible or `sample_rounds` are spent."""
        cfg, pf = self.cfg, self.pf
        ep = pf.entry_paths(key)
        paths, caps = list(ep.paths), Counter(ep.caps)
        check = self._check(checker)
        verdicts = [check(p) for p in paths]
        if ep.mode != "sampled":
            return paths, verdicts, ep.total_paths, dict(caps)
        seen = {_sig(p) for p in paths}
        for r in range(1, cfg.sample_rounds):
            if sum(v.keep for v in verdicts) >= cfg.max_paths // 2:
                break
            for p in pf.entry_paths(key, seed=cfg.seed + 7919 * r).paths:
                sig = _sig(p)
                if sig not in seen:
                    seen.add(sig)
                    paths.append(p)
                    verdicts.append(check(p))
            caps["sample_rounds"] = r + 1
        # statements no feasible path prints yet (never drawn, or only on paths the checker dropped): covering paths
        for r in range(cfg.sample_rounds if cfg.cover else 0):
            printed = {e for p, v in zip(paths, verdicts, strict=True) if v.keep for e in p.events}
            drawn = pf.covering_paths(key, printed, cfg.seed + 104729 * r, self.plain_avoid)
            fresh = [p for p in drawn if _sig(p) not in seen]
            if not fresh:
                break
            for p in fresh:
                seen.add(_sig(p))
                paths.append(p)
                verdicts.append(check(p))
            caps["cover_rounds"] = r + 1
        return paths, verdicts, ep.total_paths, dict(caps)


def _sig(p: PathRecord) -> tuple:
    return tuple(p.events), tuple(p.conditions)


def explorer_for(
    src: str, loop_bound: int, cfg: GenerateConfig, min_level: str, plain_avoid: frozenset[str] = frozenset()
) -> EntryExplorer:
    """A worker's explorer built from plain data (Ray workers, spawned processes)."""
    return EntryExplorer(Analysis.run(src, AnalysisConfig(loop_bound=loop_bound)), cfg, min_level, plain_avoid)


def explore_entry(explorer: EntryExplorer, key: str) -> EntryOutcome:
    return explorer(key)
