"""`anomalygen testbed zookeeper`: a real 3-server ZooKeeper ensemble, a kazoo workload, seeded faults, labels."""

from __future__ import annotations

from pathlib import Path

import typer

from anomalygen.testbed.schedule import KINDS, OPERATIONS, SpecError

testbed_app = typer.Typer(
    help="Fault-injection testbeds that produce logs labelled by ground truth.", no_args_is_help=True
)


def _must_exist(source: Path | None, inventory: Path | None) -> None:
    for name, path in (("--source", source), ("--inventory", inventory)):
        if path is not None and not path.exists():
            raise typer.BadParameter(f"{name} {path} not found")


def _install() -> None:
    from anomalygen.testbed.install import MissingServer, install_debian, locate

    try:
        install_debian(log=typer.echo)
        dist = locate()
    except MissingServer as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"ZooKeeper {dist.version} ready: {dist.home}")


def _locate(zk_home: Path | None):
    from anomalygen.testbed.install import MissingServer, locate

    try:
        return locate(zk_home)
    except MissingServer as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def _print_check(dist) -> None:
    from anomalygen.testbed.install import default_cache

    typer.echo(
        f"ok: ZooKeeper {dist.version} ({dist.kind}, {dist.logging}) at {dist.home}; java {dist.java} "
        f"({'; '.join(dist.notes)}); cache {default_cache()}"
    )


def _print_schedule(planned) -> None:
    for p in planned:
        typer.echo(
            f"{p.at:8.1f}s  {p.kind:16s} hold {p.hold:5.1f}s  settle {p.settle:g}s"
            + ("  (planned operation, normal)" if p.planned else "")
        )


def _run(req, dist):
    from anomalygen.testbed.runner import RunError, run_testbed

    try:
        return run_testbed(req, dist)
    except RunError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def _print_summary(s: dict, out: Path) -> None:
    typer.echo(
        f"lines {s['structured']['lines']} ({s['structured']['anomalous_lines']} in fault intervals); "
        f"windows {s['sessions']['windows']} ({s['sessions']['anomalous']} anomalous, "
        f"{100 * s['sessions']['anomalous_share']:.1f}%); faults {s['faults_run']}/{s['faults_planned']}; "
        f"operations {s['operations_run']}/{s['operations_planned']}; "
        f"leader elections {s['leader_elections']}; ops {s['workload'].get('ops_total', 0)} "
        f"(errors {s['workload'].get('errors_total', 0)})"
    )
    typer.echo(f"wrote {out}/ (summary.json, faults.jsonl, sessions.jsonl, structured.csv, logs/)")


@testbed_app.command("zookeeper")
def zookeeper(
    out: Path | None = typer.Option(None, help="output folder (a new one per run)"),
    duration: float = typer.Option(300.0, help="seconds of workload (faults included)"),
    faults: str = typer.Option("all", help="KIND[:COUNT],... or all[:COUNT] or none; kinds: " + ", ".join(KINDS)),
    operations: str = typer.Option(
        "none",
        help="planned operations, labelled normal: KIND[:COUNT],... or "
        "all[:COUNT] or none; kinds: " + ", ".join(OPERATIONS),
    ),
    seed: int = typer.Option(0, help="seed of the fault schedule, its targets and the workload's choices"),
    rate: float = typer.Option(20.0, help="client operations per second (all clients together)"),
    clients: int = typer.Option(3, help="long-lived workload client sessions"),
    churn: float = typer.Option(0.2, help="short client sessions opened per second (connect, write, read, close)"),
    window: float = typer.Option(10.0, help="window size in seconds for sessions.jsonl"),
    step: float | None = typer.Option(None, help="window step in seconds (default: the size: tumbling)"),
    margin: float = typer.Option(10.0, help="recovery margin in seconds added after each fault's end"),
    warmup: float = typer.Option(20.0, help="fault-free seconds at the start"),
    zk_home: Path | None = typer.Option(
        None,
        help="an Apache ZooKeeper release folder (lib/*.jar) or an unpacked Debian tree (usr/share/java/zookeeper.jar)",
    ),
    source: Path | None = typer.Option(None, help="ZooKeeper 3.8 Java source: lines get statement ids"),
    inventory: Path | None = typer.Option(None, help="inventory.jsonl of the 3.8 source (instead of --source)"),
    base_port: int | None = typer.Option(
        None, help="client ports BASE+i, quorum BASE+100+i, election BASE+200+i (default: free ports)"
    ),
    install: bool = typer.Option(
        False,
        "--install",
        help="download Debian's ZooKeeper 3.8 jars (apt-get download + dpkg -x into the user cache; no root) and exit",
    ),
    check: bool = typer.Option(False, "--check", help="only say whether Java and the server are there"),
    plan_only: bool = typer.Option(False, "--plan", help="print the fault schedule and exit"),
) -> None:
    """Run a 3-server ZooKeeper ensemble on loopback under a kazoo workload, inject faults on a seeded schedule,
    and write the servers' logs, a structured CSV, ground-truth-labelled windows and a manifest into OUT."""
    from anomalygen.testbed.runner import TestbedRequest, plan_schedule

    if install:
        _install()
        return
    req = TestbedRequest(
        out=out,
        duration=duration,
        faults=faults,
        operations=operations,
        seed=seed,
        rate=rate,
        clients=clients,
        churn=churn,
        window=window,
        step=step,
        margin=margin,
        warmup=warmup,
        base_port=base_port,
        zk_home=zk_home,
        source=source,
        inventory=inventory,
        on_info=typer.echo,
    )
    try:
        schedule = plan_schedule(req)
    except SpecError as err:
        raise typer.BadParameter(str(err)) from None
    if plan_only:
        _print_schedule(schedule.planned)
        return
    dist = _locate(zk_home)
    if check:
        _print_check(dist)
        return
    if out is None:
        raise typer.BadParameter("give --out DIR")
    _must_exist(source, inventory)
    res = _run(req, dist)
    _print_summary(res.summary, out)
    if res.interrupted:
        raise typer.Exit(130)


@testbed_app.command("relabel")
def relabel_cmd(
    run_dir: Path = typer.Argument(..., help="the --out folder of a testbed run"),
    window: float = typer.Option(10.0, help="window size in seconds"),
    step: float | None = typer.Option(None, help="window step in seconds (default: the size)"),
    margin: float = typer.Option(10.0, help="recovery margin in seconds after each fault's end"),
    source: Path | None = typer.Option(None, help="ZooKeeper 3.8 Java source"),
    inventory: Path | None = typer.Option(None, help="inventory.jsonl of the 3.8 source"),
) -> None:
    """Parse and label a finished run again with other windows, margin or statements (no servers started)."""
    from anomalygen.testbed.labels import LabelError
    from anomalygen.testbed.runner import RunError, relabel

    _must_exist(source, inventory)
    try:
        res = relabel(run_dir, window, step, margin, source, inventory)
    except (RunError, LabelError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    s = res["sessions"]
    typer.echo(
        f"lines {res['structured']['lines']} ({res['structured']['anomalous_lines']} in fault intervals); "
        f"windows {s['windows']} ({s['anomalous']} anomalous, {100 * s['anomalous_share']:.1f}%); "
        f"wrote {run_dir}/sessions.jsonl, sessions_by_server.jsonl, structured.csv"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(testbed_app, name="testbed")
