"""CLI commands of the source-analysis stage: inventory, entries, paths."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from anomalygen.parallel import EXECUTOR_HELP, RAY_ADDRESS_HELP

# piped output keeps rows on one line instead of rich's 80-column default
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

SRC_HELP = "Java source tree (a folder, or one .java file); default: the embedded example service"


def _print_diagnostics(diags: list) -> None:
    """Problems as file:line, the first 20 of them; the analysis went on past each."""
    by_kind = Counter(d.kind for d in diags)
    for d in diags[:20]:
        err_console.print(f"[yellow]warning[/]: {d}", highlight=False, markup=True)
    if len(diags) > 20:
        err_console.print(f"... and {len(diags) - 20} more problems ({dict(by_kind)})")


def _big(n: int) -> str:
    return f"{n:,}" if n < 10**9 else f"{float(n):.2e}"


def inventory(
    src: Path | None = typer.Argument(None, help=SRC_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="write the statements as JSONL here"),
    show: int = typer.Option(10, help="statements to print as a sample"),
) -> None:
    """Every logging call of a Java tree: id, place, level, template, regex, arguments."""
    from anomalygen.source.api import InventoryRequest, take_inventory

    res = take_inventory(InventoryRequest(src, out))
    _print_diagnostics(res.tree.diagnostics)
    stmts = res.statements
    table = Table(title=f"{len(stmts)} log statements in {res.tree.inventory.files} files ({res.tree.seconds:.2f} s)")
    for col in ("level", "statements"):
        table.add_column(col)
    for level, n in sorted(Counter(s.level for s in stmts).items(), key=lambda kv: -kv[1]):
        table.add_row(level, str(n))
    console.print(table)
    console.print(
        f"APIs: {dict(Counter(s.api for s in stmts))}; loggers recognised by "
        f"{dict(Counter(s.recognised_by for s in stmts))}; "
        f"with a throwable: {sum(1 for s in stmts if s.throwable)}; "
        f"guarded: {sum(1 for s in stmts if s.guard)}; in catch blocks: {sum(1 for s in stmts if s.in_catch)}"
    )
    if show:
        sample = Table(title=f"first {min(show, len(stmts))} statements")
        for col in ("id", "where", "level", "template"):
            sample.add_column(col, overflow="fold")
        for s in stmts[:show]:
            sample.add_row(s.id, f"{s.file}:{s.line}", s.level, s.template)
        console.print(sample)
    if out is not None:
        console.print(f"wrote {out}")


def entries(
    src: Path | None = typer.Argument(None, help=SRC_HELP),
    depth: int = typer.Option(4, min=0, help="call depth inlined when counting paths"),
    loop_bound: int = typer.Option(2, min=0, help="loop iterations unrolled (0..k)"),
    exceptions: str = typer.Option("all", help="all: any project call may throw; try: only inside try blocks"),
    json_out: Path | None = typer.Option(None, "--json", help="write the entries as JSONL here"),
) -> None:
    """Entry points found automatically (main, thread bodies, RPC/handler methods, methods nobody calls)."""
    from anomalygen.source.api import EntriesRequest, entry_points

    res = entry_points(EntriesRequest(src, depth, loop_bound, exceptions, json_out))
    _print_diagnostics(res.diagnostics)
    table = Table(title=f"{len(res.rows)} entry points")
    for col in ("entry", "method", "why", "paths"):
        table.add_column(col, overflow="fold")
    for r in res.rows:
        table.add_row(r["short"], r["method"], ",".join(r["reasons"]), _big(int(r["paths"])))
    console.print(table)
    for p in res.files.values():
        console.print(f"wrote {p}")


def paths(
    src: Path | None = typer.Argument(None, help=SRC_HELP),
    entry: list[str] = typer.Option(
        [],
        "--entry",
        "-e",
        help="Class.method, pkg.Class.method or Class#sig; repeatable; default: every automatic entry",
    ),
    out: Path = typer.Option(
        Path("paths.jsonl"),
        "--out",
        "-o",
        help="paths JSONL (a .conditions.jsonl and a .manifest.json are written beside it)",
    ),
    max_paths: int = typer.Option(1000, min=1, help="paths per entry; more than this are sampled uniformly"),
    max_length: int = typer.Option(200, min=1, help="events per path; longer paths are cut and counted"),
    depth: int = typer.Option(4, min=0, help="call depth inlined (context-sensitive); deeper calls stay opaque"),
    loop_bound: int = typer.Option(2, min=0, help="loop iterations unrolled (0..k)"),
    sample: int | None = typer.Option(None, min=1, help="sample this many paths per entry even when all would fit"),
    seed: int = typer.Option(0, help="seed of the uniform sampler"),
    cover: bool = typer.Option(
        True,
        "--cover/--no-cover",
        help="after a uniform sample, one more path through each statement the sample missed",
    ),
    min_level: str | None = typer.Option(
        None,
        help="the level the logs are recorded at (e.g. INFO): branches a "
        "level guard such as isDebugEnabled() rules out are left out",
    ),
    exceptions: str = typer.Option("all", help="all: any project call may throw; try: only inside try blocks"),
    lcfg_out: Path | None = typer.Option(None, help="also write every LCFG (JSONL, one method a line)"),
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        help="processes, one entry point a task (0: every core of this machine); the output is the same for any number",
    ),
    executor: str = typer.Option("process", "--executor", help=EXECUTOR_HELP),
    ray_address: str | None = typer.Option(None, "--ray-address", help=RAY_ADDRESS_HELP),
) -> None:
    """Inter-procedural log paths of each entry point: exact counts, enumerated or uniformly sampled paths."""
    from anomalygen.source.api import PathsRequest, find_paths

    res = find_paths(
        PathsRequest(
            src,
            out,
            list(entry),
            max_paths=max_paths,
            max_length=max_length,
            depth=depth,
            loop_bound=loop_bound,
            sample=sample,
            seed=seed,
            cover=cover,
            min_level=min_level,
            exceptions=exceptions,
            lcfg_out=lcfg_out,
            jobs=jobs,
            executor=executor,
            ray_address=ray_address,
        )
    )
    _print_diagnostics(res.diagnostics)
    table = Table(title=f"paths of {len(res.rows)} entries")
    for col in ("entry", "paths (exact)", "normal/exc/cut", "written", "distinct", "caps"):
        table.add_column(col, overflow="fold")
    for r in res.rows:
        table.add_row(
            r["short"],
            _big(int(r["total"])),
            "/".join(_big(int(r[k])) for k in ("normal", "exception", "cut")),
            f"{r['written']} {r['mode']}",
            str(r["distinct"]),
            " ".join(f"{k}:{v}" for k, v in sorted(r["caps"].items())),
        )
    console.print(table)
    console.print(f"calls: {res.calls}; unresolved {res.calls.get('unresolved', 0)}")
    console.print(f"caps hit: {res.caps or 'none'}")
    console.print(f"wrote {res.written} paths to {out} ({res.seconds:.1f} s)")


def register(app: typer.Typer) -> None:
    app.command()(inventory)
    app.command()(entries)
    app.command()(paths)
