"""CLI commands of the source-analysis stage: inventory, entries, paths."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from anomalygen import atomic
from anomalygen.checks import readable, writable
from anomalygen.examples import example_tree
from anomalygen.manifest import source_inputs, write_manifest

# piped output keeps rows on one line instead of rich's 80-column default
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

SRC_HELP = "Java source tree (a folder, or one .java file); default: the embedded example service"


def _src(src: Optional[Path]) -> Path:
    return src if src is not None else example_tree()


def _report_diagnostics(diags: list, files: int, src: Path) -> None:
    """Print problems as file:line; stop only when nothing could be analysed (`files`: those read and parsed,
    unreadable ones are already left out)."""
    by_kind = Counter(d.kind for d in diags)
    for d in diags[:20]:
        err_console.print(f"[yellow]warning[/]: {d}", highlight=False, markup=True)
    if len(diags) > 20:
        err_console.print(f"... and {len(diags) - 20} more problems ({dict(by_kind)})")
    if files == 0:
        err_console.print(f"[red]error[/]: no Java source could be analysed in {src}")
        raise typer.Exit(2)


def _big(n: int) -> str:
    return f"{n:,}" if n < 10**9 else f"{float(n):.2e}"


def _analysis(src: Path, loop_bound: int, exceptions: str):
    from anomalygen.source.analysis import Analysis, AnalysisConfig

    if exceptions not in ("all", "try"):
        raise typer.BadParameter("--exceptions must be 'all' or 'try'")
    a = Analysis.run(src, AnalysisConfig(loop_bound=loop_bound, exceptions=exceptions))
    _report_diagnostics(a.diagnostics, a.inventory.files, src)
    return a


def inventory(
    src: Optional[Path] = typer.Argument(None, help=SRC_HELP),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="write the statements as JSONL here"),
    show: int = typer.Option(10, help="statements to print as a sample"),
) -> None:
    """Every logging call of a Java tree: id, place, level, template, regex, arguments."""
    from anomalygen.source.inventory import build_inventory

    src = _src(src)
    readable([src], "source file or folder", folder_ok=True)
    if out is not None:
        writable(out, folder=False)
    t0 = time.perf_counter()
    inv, project = build_inventory(src)
    secs = time.perf_counter() - t0
    _report_diagnostics(inv.diagnostics, inv.files, src)
    stmts = inv.statements
    table = Table(title=f"{len(stmts)} log statements in {inv.files} files ({secs:.2f} s)")
    for col in ("level", "statements"):
        table.add_column(col)
    for level, n in sorted(Counter(s.level for s in stmts).items(), key=lambda kv: -kv[1]):
        table.add_row(level, str(n))
    console.print(table)
    apis = Counter(s.api for s in stmts)
    how = Counter(s.recognised_by for s in stmts)
    console.print(f"APIs: {dict(apis)}; loggers recognised by {dict(how)}; "
                  f"with a throwable: {sum(1 for s in stmts if s.throwable)}; "
                  f"guarded: {sum(1 for s in stmts if s.guard)}; in catch blocks: {sum(1 for s in stmts if s.in_catch)}")
    if show:
        sample = Table(title=f"first {min(show, len(stmts))} statements")
        for col in ("id", "where", "level", "template"):
            sample.add_column(col, overflow="fold")
        for s in stmts[:show]:
            sample.add_row(s.id, f"{s.file}:{s.line}", s.level, s.template)
        console.print(sample)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        inv.write_jsonl(out)
        write_manifest(
            out.with_name(out.stem + ".manifest.json"), "inventory", source_inputs(src, project),
            {}, {"inventory": str(out), "statements": len(stmts),
                 "diagnostics": [d.to_dict() for d in inv.diagnostics]},
        )
        console.print(f"wrote {out}")


def entries(
    src: Optional[Path] = typer.Argument(None, help=SRC_HELP),
    depth: int = typer.Option(4, min=0, help="call depth inlined when counting paths"),
    loop_bound: int = typer.Option(2, min=0, help="loop iterations unrolled (0..k)"),
    exceptions: str = typer.Option("all", help="all: any project call may throw; try: only inside try blocks"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the entries as JSONL here"),
) -> None:
    """Entry points found automatically (main, thread bodies, RPC/handler methods, methods nobody calls)."""
    from anomalygen.source.entries import find_entries
    from anomalygen.source.paths import PathConfig, PathFinder

    readable([_src(src)], "source file or folder", folder_ok=True)
    if json_out is not None:
        writable(json_out, folder=False)
    a = _analysis(_src(src), loop_bound, exceptions)
    found = find_entries(a)
    pf = PathFinder(a, PathConfig(depth=depth))
    table = Table(title=f"{len(found)} entry points")
    for col in ("entry", "method", "why", "paths"):
        table.add_column(col, overflow="fold")
    rows = []
    for e in found:
        total = sum(pf.count(e.key))
        rows.append({"key": e.key, "class": e.cls, "method": e.method, "reasons": e.reasons, "paths": str(total)})
        table.add_row(e.short, e.method, ",".join(e.reasons), _big(total))
    console.print(table)
    if json_out is not None:
        atomic.write_text(json_out, "".join(json.dumps(r) + "\n" for r in rows))
        console.print(f"wrote {json_out}")


def paths(
    src: Optional[Path] = typer.Argument(None, help=SRC_HELP),
    entry: list[str] = typer.Option([], "--entry", "-e", help="Class.method, pkg.Class.method or Class#sig; repeatable; "
                                                             "default: every automatic entry"),
    out: Path = typer.Option(Path("paths.jsonl"), "--out", "-o", help="paths JSONL (a .conditions.jsonl and a "
                                                                   ".manifest.json are written beside it)"),
    max_paths: int = typer.Option(1000, min=1, help="paths per entry; more than this are sampled uniformly"),
    max_length: int = typer.Option(200, min=1, help="events per path; longer paths are cut and counted"),
    depth: int = typer.Option(4, min=0, help="call depth inlined (context-sensitive); deeper calls stay opaque"),
    loop_bound: int = typer.Option(2, min=0, help="loop iterations unrolled (0..k)"),
    sample: Optional[int] = typer.Option(None, min=1, help="sample this many paths per entry even when all would fit"),
    seed: int = typer.Option(0, help="seed of the uniform sampler"),
    min_level: Optional[str] = typer.Option(None, help="the level the logs are recorded at (e.g. INFO): branches a "
                                            "level guard such as isDebugEnabled() rules out are left out"),
    exceptions: str = typer.Option("all", help="all: any project call may throw; try: only inside try blocks"),
    lcfg_out: Optional[Path] = typer.Option(None, help="also write every LCFG (JSONL, one method a line)"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="processes, one entry point a task (0: every core of this "
                             "machine); the output is the same for any number"),
    executor: str = typer.Option("process", "--executor", help="process: a pool on this machine; ray: Ray tasks "
                                 "(the 'ray' extra), on the cluster at --ray-address / RAY_ADDRESS or a local one"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (default: "
                                              "RAY_ADDRESS, else a local Ray instance)"),
) -> None:
    """Inter-procedural log paths of each entry point: exact counts, enumerated or uniformly sampled paths."""
    from anomalygen.parallel import Shared, map_ordered
    from anomalygen.source.entries import find_entries, select_entries
    from anomalygen.source.pathio import PathWriter, conditions_path
    from anomalygen.source.paths import PathConfig, PathFinder, entry_task, finder_for

    src = _src(src)
    readable([src], "source file or folder", folder_ok=True)
    writable(out, folder=False)
    if lcfg_out is not None:
        writable(lcfg_out, folder=False)
    t0 = time.perf_counter()
    a = _analysis(src, loop_bound, exceptions)
    try:
        chosen = select_entries(find_entries(a), entry, a)
    except KeyError as err:
        err_console.print(f"[red]error[/]: {err.args[0]}")
        raise typer.Exit(2) from None
    cfg = PathConfig(depth=depth, max_paths=max_paths, max_length=max_length, sample=sample, seed=seed,
                     min_level=min_level)
    shared = Shared(finder_for, (str(src), loop_bound, exceptions, cfg)).prime(PathFinder(a, cfg))
    keys = [e.key for e in chosen]
    pf = shared.get()
    cost = [float(min(sum(pf.count(k)), cfg.sample or max_paths)) for k in keys]  # biggest entries start first
    try:
        found = map_ordered(entry_task, keys, jobs, executor, shared, ray_address, cost)
    except (ValueError, RuntimeError) as e:  # an unknown executor, Ray missing or unreachable
        err_console.print(f"[red]error[/]: {e}")
        raise typer.Exit(2) from None
    finally:
        shared.release()
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = PathWriter(a, out)
    caps: Counter = Counter()
    table = Table(title=f"paths of {len(chosen)} entries")
    for col in ("entry", "paths (exact)", "normal/exc/cut", "written", "distinct", "caps"):
        table.add_column(col, overflow="fold")
    summary = []
    try:
        for e, ep in zip(chosen, found):
            writer.write(ep.paths)
            caps.update(ep.caps)
            table.add_row(e.short, _big(ep.total_paths), "/".join(_big(x) for x in ep.total),
                          f"{len(ep.paths)} {ep.mode}", str(ep.distinct_sequences),
                          " ".join(f"{k}:{v}" for k, v in sorted(ep.caps.items())))
            summary.append({"entry": e.key, "reasons": e.reasons, "total": str(ep.total_paths),
                            "normal": str(ep.total[0]), "exception": str(ep.total[1]), "cut": str(ep.total[2]),
                            "written": len(ep.paths), "mode": ep.mode, "distinct": ep.distinct_sequences,
                            "caps": dict(ep.caps)})
    except BaseException:
        writer.discard()
        raise
    writer.close()
    console.print(table)
    how = dict(a.callgraph.how)
    console.print(f"calls: {how}; unresolved {how.get('unresolved', 0)}")
    console.print(f"caps hit: {dict(caps) or 'none'}")
    if lcfg_out is not None:
        with atomic.atomic_open(lcfg_out, "w") as fh:
            for key, g in sorted(a.build_all_lcfgs().items()):
                fh.write(json.dumps(g.to_dict(), ensure_ascii=False) + "\n")
    secs = time.perf_counter() - t0
    write_manifest(
        out.with_name(out.stem + ".manifest.json"), "paths", source_inputs(src, a.project),
        {"entries": entry, "max_paths": max_paths, "max_length": max_length, "depth": depth, "loop_bound": loop_bound,
         "sample": sample, "seed": seed, "exceptions": exceptions, "min_level": min_level, "jobs": jobs,
         "executor": executor},
        {"paths": str(out), "conditions": str(conditions_path(out)), "written": writer.written,
         "conditions_written": writer.conditions, "caps": dict(caps), "calls": how,
         "unresolved_examples": a.callgraph.unresolved_examples, "per_entry": summary, "seconds": round(secs, 3),
         "diagnostics": [d.to_dict() for d in a.diagnostics]},
    )
    console.print(f"wrote {writer.written} paths to {out} ({secs:.1f} s)")


def register(app: typer.Typer) -> None:
    app.command()(inventory)
    app.command()(entries)
    app.command()(paths)
