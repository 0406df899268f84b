"""`anomalygen evaluate`: the baseline-vs-augmented harness from the command line."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import time
from pathlib import Path

import typer

from anomalygen.checks import in_range, number_list, writable
from anomalygen.errors import InputError
from anomalygen.jsonl import Skipped

ALIASES = {"hdfs_100k": "hdfs/HDFS_100k.sessions.jsonl", "hdfs_deeplog": "hdfs/deeplog"}


def shared_data_dir() -> Path:
    env = os.environ.get("ANOMALYGEN_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"


def resolve_dataset(spec: str) -> Path:
    if spec in ALIASES:
        return shared_data_dir() / ALIASES[spec]
    return Path(spec)


def _digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def evaluate(
    dataset: str = typer.Option(..., help="sessions .jsonl, a DeepLog HDFS folder, a loghub structured-CSV folder, "
                                          "or an alias: hdfs_100k, hdfs_deeplog (from ../shared/data)"),
    augment: Path = typer.Option(None, help="synthetic sessions: DIR/sessions.jsonl or DIR with a loghub "
                                           "structured CSV + anomaly_label.csv"),
    ratios: str = typer.Option("0", help="synthetic/real training-session ratios; 0 is the baseline"),
    seeds: int = typer.Option(1, min=1, help="number of seeds (0..N-1)"),
    models: str = typer.Option("all", help="comma-separated detector names, or 'all'"),
    split: str = typer.Option("random", help="random (80/20) | chronological | given (the dataset's split field)"),
    train_fractions: str = typer.Option("1", help="fractions of the training pool to train on, e.g. 1,0.05,0.01"),
    test_fraction: float = typer.Option(0.2, help="share of the sessions held out for testing, in (0, 1)"),
    epochs: int = typer.Option(None, help="epochs for the deep models (default: each model's own)"),
    semantic: str = typer.Option("auto", help="semantic vectors: auto | minilm | hashed"),
    template_map: str = typer.Option(None, help="JSON {event key: template} to key synthetic sessions by template, "
                                     "or 'auto': match each synthetic line against the real data's templates"),
    out: Path = typer.Option(Path("eval_out"), help="output folder"),
    quiet: bool = typer.Option(False, help="no progress bars"),
) -> None:
    """Train each detector with and without synthetic sessions and score identical test sets."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from anomalygen.detect.registry import DETECTORS
    from anomalygen.detect.semantic import resolve_backend
    from anomalygen.evaluate.harness import EvalConfig, run_evaluation
    from anomalygen.evaluate.keys import load_template_map
    from anomalygen.evaluate.report import write_report
    from anomalygen.logs.sessions_data import DataFormatError, load_augment_dir, load_dataset

    console = Console(stderr=True)
    path = resolve_dataset(dataset)
    if not path.exists():
        raise typer.BadParameter(f"dataset {dataset!r} not found at {path}")
    names = list(DETECTORS) if models == "all" else [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in DETECTORS]
    if unknown or not names:
        raise InputError(f"--models: unknown detector(s) {', '.join(unknown) or models!r} "
                         f"(known: {', '.join(DETECTORS)})")
    # every setting is checked here, before minutes of training could end in an error
    writable(out, folder=True)
    cfg = EvalConfig(models=names, ratios=number_list(ratios, "--ratios", 0.0), seeds=list(range(seeds)),
                     split=split, test_fraction=in_range(test_fraction, "--test-fraction", 0, 1, True, True),
                     train_fractions=number_list(train_fractions, "--train-fractions", 0.0, 1.0, low_open=True),
                     epochs=epochs, semantic=semantic, verbose=not quiet)
    if 0.0 not in cfg.ratios:
        cfg.ratios.insert(0, 0.0)  # the baseline is what every augmented run is compared with
    try:
        skipped = {"dataset": Skipped(), "augment": Skipped()}
        real = load_dataset(path, skipped["dataset"])
        synthetic = load_augment_dir(augment, skipped["augment"]) if augment else []
        for what, sk in skipped.items():
            for line in sk.lines(f"the {what} {path if what == 'dataset' else augment}"):
                console.print(line, highlight=False, markup=False)
        if template_map == "auto":
            from anomalygen.evaluate.keys import auto_template_map

            tmap = auto_template_map(real, synthetic)
            console.print(f"template map: {len(tmap)} synthetic events matched a real template")
        else:
            tmap = load_template_map(template_map)
        resolve_backend(semantic)
    except (DataFormatError, ValueError, RuntimeError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    total = len(cfg.seeds) * len(cfg.train_fractions) * len(cfg.ratios) * len(names)
    started = time.time()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=quiet) as progress:
        task = progress.add_task("evaluate", total=total)

        def on_run(row: dict) -> None:
            msg = f"F1 {row['f1']:.3f}" if row.get("status") == "ok" else row.get("error", "")
            progress.console.print(f"{row['model']:16s} seed {row['seed']} frac {row['train_fraction']:g} "
                                   f"ratio {row['ratio']:g}: {msg}")
            progress.update(task, advance=1)

        try:
            result = run_evaluation(cfg, real, synthetic, tmap, on_run=on_run)
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    import numpy
    import sklearn
    import torch

    manifest = {
        "command": sys.argv, "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "inputs": {"dataset": str(path), "dataset_sha256": _digest(path), "augment": str(augment) if augment else None,
                   "augment_sha256": _digest(augment / "sessions.jsonl") if augment and augment.is_dir() else
                   _digest(augment) if augment else None,
                   "template_map": str(template_map) if template_map else None},
        "data": {k: v for k, v in result.info.items() if k != "config"},
        "skipped_records": {k: v.to_dict() for k, v in skipped.items()},
        "config": result.info["config"],
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
                     "scikit-learn": sklearn.__version__},
    }
    files = write_report(result, out, manifest)
    typer.echo((out / "summary.md").read_text(encoding="utf-8"))
    console.print(f"wrote {', '.join(str(p) for p in files.values())}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
