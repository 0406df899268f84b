"""The source stage as functions over plain requests: a Java tree read once (`SourceTree`), its inventory of
logging calls (`take_inventory`), its entry points (`entry_points`) and their log paths (`find_paths`).

The command line (`source/cli.py`) and `anomalygen run` are layers over these. A `SourceTree` is what later
stages take instead of re-reading the tree: its inventory now, its call graph and LCFGs when a stage asks.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from anomalygen import atomic
from anomalygen.checks import readable, writable
from anomalygen.core.errors import InputError
from anomalygen.core.statements import LogStatement
from anomalygen.jsonl import Skipped
from anomalygen.manifest import source_inputs, write_manifest
from anomalygen.source.analysis import Analysis, AnalysisConfig
from anomalygen.source.inventory import Inventory, build_inventory, read_inventory
from anomalygen.source.project import Project


def _default_tree(source: Path | None) -> Path:
    from anomalygen.core.example import example_tree

    return Path(source) if source is not None else example_tree()


@dataclass
class SourceTree:
    """A Java tree parsed and inventoried once; the call graph and each loop bound's analysis are built on the
    first request and kept, so every stage of a run shares them."""

    root: Path
    inventory: Inventory
    project: Project
    seconds: float = 0.0  # reading and inventory
    _analyses: dict = field(default_factory=dict, repr=False)
    _inputs: dict | None = field(default=None, repr=False)

    @classmethod
    def read(cls, source: Path | None = None) -> SourceTree:
        """The tree at `source` (default: the embedded example); fails with one line when no Java file in it
        could be analysed."""
        root = _default_tree(source)
        readable([root], "source file or folder", folder_ok=True)
        t0 = time.perf_counter()
        inv, project = build_inventory(root)
        if inv.files == 0:
            why = f" ({inv.diagnostics[0].message})" if inv.diagnostics else ""
            raise InputError(f"{root}: no Java source could be analysed{why}")
        return cls(root, inv, project, time.perf_counter() - t0)

    @property
    def statements(self) -> list[LogStatement]:
        return self.inventory.statements

    @property
    def diagnostics(self) -> list:
        return self.inventory.diagnostics

    def analysis(self, loop_bound: int = 2, exceptions: str = "all") -> Analysis:
        if exceptions not in ("all", "try"):
            raise InputError(f"--exceptions must be 'all' or 'try', not {exceptions!r}")
        key = (loop_bound, exceptions)
        a = self._analyses.get(key)
        if a is None:
            from anomalygen.source.callgraph import CallGraph

            graph = next((x.callgraph for x in self._analyses.values()), None)  # the same for any loop bound
            graph = graph or CallGraph.build(self.project, self.inventory)
            a = self._analyses[key] = Analysis(
                self.project, self.inventory, graph, AnalysisConfig(loop_bound=loop_bound, exceptions=exceptions)
            )
        return a

    def inputs(self) -> dict:
        """The manifest's description of the tree (where, how many files, a digest of them)."""
        if self._inputs is None:  # digested once: every stage's manifest names the same bytes
            self._inputs = source_inputs(self.root, self.project)
        return dict(self._inputs)


def statements_for(
    source: Path | None, inventory: Path | None, tree: SourceTree | None, skipped: Skipped | None = None
) -> list[LogStatement]:
    """The statements a logs stage matches against: the tree a caller already read, else an inventory file,
    else the source tree read now."""
    if tree is not None:
        return tree.statements
    if inventory is not None:
        readable([inventory], "inventory file")
        return read_inventory(inventory, skipped)
    if source is None:
        raise InputError("give --source SRC (a Java tree) or --inventory inventory.jsonl")
    return SourceTree.read(source).statements


@dataclass
class InventoryRequest:
    source: Path | None = None  # Java tree or one file; None: the embedded example
    out: Path | None = None  # statements as JSONL (a manifest beside it); None: in memory only
    tree: SourceTree | None = None  # an already read tree instead of `source`


@dataclass
class InventoryResult:
    tree: SourceTree
    files: dict[str, Path]

    @property
    def statements(self) -> list[LogStatement]:
        return self.tree.statements

    def describe(self) -> list[str]:
        stmts = self.statements
        levels = ", ".join(f"{lv} {n}" for lv, n in Counter(s.level for s in stmts).most_common())
        return [
            f"{len(stmts)} log statements in {self.tree.inventory.files} files ({self.tree.seconds:.2f} s): {levels}",
            *(f"wrote {p}" for p in self.files.values()),
        ]


def take_inventory(req: InventoryRequest) -> InventoryResult:
    """Every logging call of a Java tree: id, place, level, template, regex, arguments."""
    if req.out is not None:
        writable(req.out, folder=False)
    tree = req.tree or SourceTree.read(req.source)
    files: dict[str, Path] = {}
    if req.out is not None:
        req.out.parent.mkdir(parents=True, exist_ok=True)
        tree.inventory.write_jsonl(req.out)
        manifest = req.out.with_name(req.out.stem + ".manifest.json")
        write_manifest(
            manifest,
            "inventory",
            tree.inputs(),
            {},
            {
                "inventory": str(req.out),
                "statements": len(tree.statements),
                "diagnostics": [d.to_dict() for d in tree.diagnostics],
            },
        )
        files = {"inventory": req.out, "manifest": manifest}
    return InventoryResult(tree, files)


@dataclass
class EntriesRequest:
    source: Path | None = None
    depth: int = 4  # call depth inlined when counting paths
    loop_bound: int = 2
    exceptions: str = "all"
    out: Path | None = None  # entries as JSONL
    tree: SourceTree | None = None


@dataclass
class EntriesResult:
    rows: list[dict]  # key, class, method, reasons, paths (exact count, as text: it can be huge)
    files: dict[str, Path]
    diagnostics: list  # problems met reading the tree (file:line); the analysis went on past each


def entry_points(req: EntriesRequest) -> EntriesResult:
    """Entry points found automatically (main, thread bodies, RPC/handler methods, methods nobody calls), each
    with its exact number of log paths."""
    from anomalygen.source.entries import find_entries
    from anomalygen.source.paths import PathConfig, PathFinder

    if req.out is not None:
        writable(req.out, folder=False)
    a = (req.tree or SourceTree.read(req.source)).analysis(req.loop_bound, req.exceptions)
    pf = PathFinder(a, PathConfig(depth=req.depth))
    rows = [
        {
            "key": e.key,
            "class": e.cls,
            "method": e.method,
            "reasons": e.reasons,
            "paths": str(sum(pf.count(e.key))),
            "short": e.short,
        }
        for e in find_entries(a)
    ]
    files: dict[str, Path] = {}
    if req.out is not None:
        atomic.write_text(
            req.out, "".join(json.dumps({k: v for k, v in r.items() if k != "short"}) + "\n" for r in rows)
        )
        files["entries"] = req.out
    return EntriesResult(rows, files, a.diagnostics)


@dataclass
class PathsRequest:
    source: Path | None = None
    out: Path = Path("paths.jsonl")  # a .conditions.jsonl and a .manifest.json are written beside it
    entries: list[str] = field(default_factory=list)  # patterns; empty: every automatic entry
    max_paths: int = 1000
    max_length: int = 200
    depth: int = 4
    loop_bound: int = 2
    sample: int | None = None
    seed: int = 0
    cover: bool = True  # a sampled entry also gets a path through each statement its sample missed
    min_level: str | None = None
    exceptions: str = "all"
    lcfg_out: Path | None = None
    jobs: int = 0
    executor: str = "process"
    ray_address: str | None = None
    tree: SourceTree | None = None


@dataclass
class PathsResult:
    rows: list[dict]  # one per entry: totals, written, mode, distinct sequences, caps
    caps: dict[str, int]
    calls: dict[str, int]  # how calls were resolved
    written: int
    seconds: float
    files: dict[str, Path]
    diagnostics: list


def find_paths(req: PathsRequest) -> PathsResult:
    """Inter-procedural log paths of each entry point: exact counts, enumerated or uniformly sampled paths."""
    from anomalygen.parallel import Shared, map_ordered
    from anomalygen.source.entries import find_entries, select_entries
    from anomalygen.source.paths import PathConfig, PathFinder, entry_task, finder_for

    writable(req.out, folder=False)
    if req.lcfg_out is not None:
        writable(req.lcfg_out, folder=False)
    t0 = time.perf_counter()
    tree = req.tree or SourceTree.read(req.source)
    a = tree.analysis(req.loop_bound, req.exceptions)
    try:
        chosen = select_entries(find_entries(a), req.entries, a)
    except KeyError as err:
        raise InputError(err.args[0]) from None
    cfg = PathConfig(
        depth=req.depth,
        max_paths=req.max_paths,
        max_length=req.max_length,
        sample=req.sample,
        seed=req.seed,
        min_level=req.min_level,
        cover=req.cover,
    )
    shared = Shared(finder_for, (str(tree.root), req.loop_bound, req.exceptions, cfg)).prime(PathFinder(a, cfg))
    keys = [e.key for e in chosen]
    pf = shared.get()
    cost = [float(min(sum(pf.count(k)), cfg.sample or req.max_paths)) for k in keys]  # biggest entries start first
    try:
        found = map_ordered(entry_task, keys, req.jobs, req.executor, shared, req.ray_address, cost)
    except (ValueError, RuntimeError) as e:  # an unknown executor, Ray missing or unreachable
        raise InputError(str(e)) from None
    finally:
        shared.release()
    rows, caps, written = _write_paths(req, a, chosen, found)
    if req.lcfg_out is not None:
        with atomic.atomic_open(req.lcfg_out, "w") as fh:
            for _key, g in sorted(a.build_all_lcfgs().items()):
                fh.write(json.dumps(g.to_dict(), ensure_ascii=False) + "\n")
    secs = time.perf_counter() - t0
    how = dict(a.callgraph.how)
    manifest = req.out.with_name(req.out.stem + ".manifest.json")
    write_manifest(
        manifest,
        "paths",
        tree.inputs(),
        {
            "entries": req.entries,
            "max_paths": req.max_paths,
            "max_length": req.max_length,
            "depth": req.depth,
            "loop_bound": req.loop_bound,
            "sample": req.sample,
            "seed": req.seed,
            "cover": req.cover,
            "exceptions": req.exceptions,
            "min_level": req.min_level,
            "jobs": req.jobs,
            "executor": req.executor,
        },
        {
            "paths": str(req.out),
            "conditions": str(written["conditions_file"]),
            "written": written["paths"],
            "conditions_written": written["conditions"],
            "caps": dict(caps),
            "calls": how,
            "unresolved_examples": a.callgraph.unresolved_examples,
            "per_entry": [{k: v for k, v in r.items() if k != "short"} for r in rows],
            "seconds": round(secs, 3),
            "diagnostics": [d.to_dict() for d in a.diagnostics],
        },
    )
    files = {
        "paths": req.out,
        "conditions": written["conditions_file"],
        "manifest": manifest,
        **({"lcfgs": req.lcfg_out} if req.lcfg_out is not None else {}),
    }
    return PathsResult(rows, dict(caps), how, written["paths"], secs, files, a.diagnostics)


def _write_paths(req: PathsRequest, a: Analysis, chosen: list, found: list) -> tuple[list[dict], Counter, dict]:
    """Write every entry's paths in entry order; a failure leaves no half-written file behind."""
    from anomalygen.source.pathio import PathWriter, conditions_path

    req.out.parent.mkdir(parents=True, exist_ok=True)
    writer = PathWriter(a, req.out)
    caps: Counter = Counter()
    rows = []
    try:
        for e, ep in zip(chosen, found, strict=True):
            writer.write(ep.paths)
            caps.update(ep.caps)
            rows.append(
                {
                    "entry": e.key,
                    "reasons": e.reasons,
                    "total": str(ep.total_paths),
                    "normal": str(ep.total[0]),
                    "exception": str(ep.total[1]),
                    "cut": str(ep.total[2]),
                    "written": len(ep.paths),
                    "covering": ep.covering,
                    "mode": ep.mode,
                    "distinct": ep.distinct_sequences,
                    "caps": dict(ep.caps),
                    "short": e.short,
                }
            )
    except BaseException:
        writer.discard()
        raise
    writer.close()
    return (
        rows,
        caps,
        {"paths": writer.written, "conditions": writer.conditions, "conditions_file": conditions_path(req.out)},
    )
