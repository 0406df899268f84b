"""`anomalygen evaluate`: arms on identical splits from the command line (a layer over `evaluate.api`)."""

from __future__ import annotations

from pathlib import Path

import typer

from anomalygen.checks import number_list, writable
from anomalygen.core.datasets import ALIASES
from anomalygen.core.errors import InputError
from anomalygen.evaluate.calibrate import DEFAULT_SHARES

_SHARES = ",".join(f"{v:g}" for v in DEFAULT_SHARES)


def _floats(text: str, what: str, low: float, high: float, low_open: bool = False) -> list[float]:
    try:
        return number_list(text, what, low, high, low_open)
    except InputError as e:
        raise typer.BadParameter(str(e)) from None


def _open_unit(name: str, value: float | None) -> None:
    if value is not None and not 0 < value < 1:
        raise typer.BadParameter(f"{name}: {value:g} is not in (0, 1)")


def _ablations(specs: list[str]) -> dict[str, Path]:
    out = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise typer.BadParameter(f"--augment-ablation: expected NAME=DIR, got {spec!r}")
        out[name.strip()] = Path(path.strip())
    return out


def _withhold(specs: list[str], flag: str = "--withhold") -> dict[str, list[str]]:
    from anomalygen.evaluate.withhold import parse_withhold

    try:
        return parse_withhold(specs, flag)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def _calibrate(specs: list[str]) -> tuple[dict[str, list[str]], bool]:
    from anomalygen.evaluate.calibrate import AUTO

    if AUTO in specs and len(specs) > 1:
        raise typer.BadParameter(f"--calibrate {AUTO} chooses the behaviour itself: give it alone, or name behaviours")
    return _withhold([s for s in specs if s != AUTO], "--calibrate"), AUTO in specs


def _shares(text: str) -> list[float]:
    from anomalygen.evaluate.calibrate import parse_shares

    try:
        return parse_shares(text)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def _progress(console):
    def on_run(row: dict) -> None:
        msg = f"F1 {row['f1']:.3f} FPR {row['fpr']:.4f}" if row.get("status") == "ok" else row.get("error", "")
        console.print(
            f"{row['model']:16s} seed {row['seed']} frac {row['train_fraction']:g} "
            f"{row['arm']} x{row['ratio']:g}: {msg}"
        )

    return on_run


def evaluate(
    dataset: str = typer.Option(
        ...,
        help="sessions .jsonl, a DeepLog HDFS folder, a loghub structured-CSV folder, "
        f"or an alias: {', '.join(ALIASES)} (from ../shared/data)",
    ),
    augment: Path = typer.Option(
        None,
        help="synthetic sessions (the `synthetic` arm): a `generate` output DIR "
        "(sessions.jsonl; with session_model.json, normal sessions are composed "
        "from each cell's real training sessions) or a loghub CSV folder",
    ),
    augment_ablation: list[str] = typer.Option(
        [], help="NAME=DIR: another generator output as arm NAME, e.g. whole-path=DIR (repeatable)"
    ),
    arms: str = typer.Option(
        "auto",
        help="comma-separated arms: baseline, synthetic, real-duplicate, naive, "
        "inventory-random, oracle, ablation names; auto: all that the inputs "
        "allow",
    ),
    withhold: list[str] = typer.Option(
        [],
        help="NAME=EVENTS: a behaviour (its events: the dataset's event keys "
        "or statement ids, e.g. deletion=E21,E23) whose sessions leave "
        "training and validation in every arm but oracle (repeatable)",
    ),
    calibrate: list[str] = typer.Option(
        [],
        help="NAME=EVENTS: a behaviour the training holds, on which the arms that add new behaviour "
        "(a session model, inventory-random) choose per cell and detector, on validation only, how "
        "often to add it: each of --calibrate-shares is tried with this behaviour taken out of "
        "training (repeatable); 'auto': per cell, the behaviour the session model could add that the "
        "training holds in the most normal sessions, up to half, and that the session model reproduces",
    ),
    calibrate_shares: str = typer.Option(
        _SHARES, help="with --calibrate: the candidate shares of added sessions given each new behaviour"
    ),
    calibrate_any: bool = typer.Option(
        False,
        "--calibrate-any",
        help="with --calibrate: a session model's share is of sessions given any new behaviour (1-3 of those it "
        "offers), not per behaviour",
    ),
    ratios: str = typer.Option("1", help="sessions each arm adds, as a share of the real training sessions"),
    seeds: int = typer.Option(5, min=1, help="number of seeds (0..N-1)"),
    models: str = typer.Option("all", help="comma-separated detector names, or 'all'"),
    split: str = typer.Option("random", help="random (80/20) | chronological | given (the dataset's split field)"),
    train_fractions: str = typer.Option("1", help="fractions of the training pool to train on, e.g. 1,0.05,0.01"),
    test_fraction: float = typer.Option(0.2, help="share of sessions held out for the test, in (0, 1)"),
    val_min_normal: int = typer.Option(
        200, min=0, help="validation floor: normal sessions (topped up from the unused training pool)"
    ),
    val_min_anomalous: int = typer.Option(50, min=0, help="validation floor: anomalous sessions"),
    prior: float = typer.Option(
        None,
        help="in (0, 1): the anomaly share to re-weight F1 to (HDFS_v1's logs: 0.029); thresholds "
        "then maximise that F1",
    ),
    epochs: int = typer.Option(None, min=1, help="epochs for the deep models (default: each model's own)"),
    semantic: str = typer.Option("auto", help="semantic vectors: auto | minilm | hashed"),
    template_map: str = typer.Option(
        None,
        help="'auto': key both sides alike by matching (statement ids with "
        "--source/--inventory), or a JSON {event key: template}",
    ),
    source: Path = typer.Option(None, help="Java source of the system (keys event-id data by statement ids)"),
    inventory: Path = typer.Option(None, help="or an inventory.jsonl of it"),
    jobs: int = typer.Option(1, min=1, help="worker processes for the evaluation cells (same results for any N)"),
    cache: Path = typer.Option(None, help="keep finished cells here; a re-run trains only cells whose inputs changed"),
    out: Path = typer.Option(Path("eval_out"), help="output folder"),
    quiet: bool = typer.Option(False, help="no progress lines"),
) -> None:
    """Train each detector once per arm (baseline, synthetic, controls, ablations) on identical splits and say
    whether synthetic data helps, with paired tests over seeds."""
    from rich.console import Console

    from anomalygen.detect.registry import parse_models
    from anomalygen.evaluate.api import EvaluateRequest
    from anomalygen.evaluate.api import evaluate as run
    from anomalygen.evaluate.harness import EvalConfig

    console = Console(stderr=True)
    writable(out, folder=True)  # before minutes of training, not after
    _open_unit("--test-fraction", test_fraction)
    _open_unit("--prior", prior)
    names = parse_models(models)
    named, auto = _calibrate(calibrate)
    cfg = EvalConfig(
        models=names,
        ratios=_floats(ratios, "--ratios", 0.0, 100.0),
        seeds=list(range(seeds)),
        split=split,
        test_fraction=test_fraction,
        train_fractions=_floats(train_fractions, "--train-fractions", 0.0, 1.0, low_open=True),
        val_min_normal=val_min_normal,
        val_min_anomalous=val_min_anomalous,
        prior=prior,
        arms=None if arms == "auto" else [a.strip() for a in arms.split(",") if a.strip()],
        epochs=epochs,
        semantic=semantic,
        verbose=False,
        jobs=jobs,
        cache_dir=str(cache) if cache else None,
        withhold=_withhold(withhold),
        calibrate=named,
        calibrate_auto=auto,
        calibrate_shares=_shares(calibrate_shares),
        calibrate_each=not calibrate_any,
    )
    req = EvaluateRequest(
        dataset,
        out,
        cfg,
        augment,
        _ablations(augment_ablation),
        template_map,
        source,
        inventory,
        on_run=None if quiet else _progress(console),
        on_info=console.print,
    )
    try:
        outcome = run(req)
    except (ValueError, RuntimeError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    typer.echo(outcome.files["summary_md"].read_text(encoding="utf-8"))
    console.print(f"wrote {', '.join(str(p) for p in outcome.files.values())}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
