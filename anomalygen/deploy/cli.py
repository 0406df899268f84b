"""`anomalygen train` and `anomalygen detect`: thin layers over `deploy.train` and `Detector.stream`."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import typer

from anomalygen.logs.cli import LABELS_CONFLICT_HELP
from anomalygen.options import format_option


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def _params(model: str, items: list[str], epochs: int | None) -> dict:
    import inspect

    from anomalygen.detect.registry import DETECTORS

    if model not in DETECTORS:
        _fail(f"unknown detector {model!r}; choose from {', '.join(DETECTORS)}")
    accepted = set(inspect.signature(DETECTORS[model].__init__).parameters) - {"self"}
    out: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or key not in accepted:
            _fail(f"--param {item!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(accepted))}")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    if epochs is not None:
        if "epochs" not in accepted:
            _fail(f"--epochs: {model} is not trained in epochs")
        out["epochs"] = epochs
    return out


def train(
    model: str = typer.Option("DeepLog", "--model", "-m", help="detector to train (any of the 14)"),
    source: Path | None = typer.Option(None, "--source", "-s", help="Java source tree (default: the example)"),
    logs: list[Path] = typer.Option([], "--logs", "-l", help="raw log file, repeatable (default: the example's)"),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="session labels: anomaly_label.csv or a labelled "
        "sessions JSONL (without them every real session counts as normal)",
    ),
    fmt: str | None = format_option(None, "zookeeper for the example, else hdfs"),
    sessions_by: str = typer.Option("id", "--sessions-by", help="id | regex:PATTERN | field:NAME | window:count:N"),
    augment: Path | None = typer.Option(None, "--augment", help="synthetic sessions from `anomalygen generate`"),
    synthesize: int = typer.Option(0, "--synthesize", help="or generate this many synthetic sessions now"),
    out: Path = typer.Option(Path("anomalygen_model"), "--out", "-o", help="model folder to write"),
    epochs: int | None = typer.Option(None, "--epochs", help="epochs of a deep detector"),
    param: list[str] = typer.Option([], "--param", help="detector parameter KEY=VALUE (JSON value), repeatable"),
    val_fraction: float = typer.Option(
        0.2, "--val-fraction", help="share of real sessions that choose the threshold (stratified)"
    ),
    idle_lines: int = typer.Option(
        100_000,
        "--idle-lines",
        help="detect's default: a session closes after this many lines without one of its events",
    ),
    holdout: float = typer.Option(
        0.0,
        "--holdout",
        help="keep the last share of real sessions (log order) out "
        "of training and validation; their keys go to the manifest, to test on",
    ),
    seed: int = typer.Option(0, "--seed", help="seed of every random choice"),
    labels_conflict: str = typer.Option("error", "--labels-conflict", help=LABELS_CONFLICT_HELP),
    force: bool = typer.Option(
        False,
        "--force",
        help="write into an --out folder that holds something else than "
        "a model (its other files stay); a model folder is always replaced whole",
    ),
) -> None:
    """Train one detector on real (+ synthetic) sessions and save it as a model folder for `detect`."""
    from anomalygen.deploy.trainer import TrainError, TrainRequest
    from anomalygen.deploy.trainer import train as run_train

    if augment is not None and synthesize:
        _fail("give --augment DIR or --synthesize N, not both")
    req = TrainRequest(
        model=model,
        source=source,
        logs=list(logs),
        labels=labels,
        format=fmt,
        sessions_by=sessions_by,
        augment=augment,
        synthesize=synthesize,
        out=out,
        params=_params(model, param, epochs),
        val_fraction=val_fraction,
        seed=seed,
        idle_lines=idle_lines,
        holdout=holdout,
        force=force,
        labels_conflict=labels_conflict,
    )
    try:
        _print_trained(run_train(req))
    except (TrainError, OSError) as e:
        _fail(str(e))


def _print_trained(res) -> None:
    r = res.read
    typer.echo(f"lines read {r['lines_read']}: parsed {r['parsed']}, rejected {r['rejected']}")
    s = res.sessions
    typer.echo(
        f"sessions: {s['real']} real ({s['anomalous']} anomalous): {s['train']} train, {s['validation']} "
        f"validation; {s['synthetic']} synthetic" + (f"; {s['held_out']} held out" if s["held_out"] else "")
    )
    v = res.validation
    if v.get("f1") is not None:
        typer.echo(
            f"validation ({v['sessions']} sessions, {v['anomalies']} anomalous): precision {v['precision']}, "
            f"recall {v['recall']}, F1 {v['f1']}, false alarms {v['false_alarms']}"
        )
    typer.echo(f"{res.detector}: threshold {res.threshold:.6g}; wrote {res.out} in {res.seconds:.1f}s")


def detect(
    model: Path = typer.Argument(..., help="model folder written by `anomalygen train`"),
    logs: list[str] = typer.Argument(..., help="log files (plain or .gz) in order, or - for stdin"),
    follow: bool = typer.Option(False, "--follow", "-F", help="follow the last file as it grows, across rotation"),
    fmt: str | None = format_option(None, "the model's"),
    sessions_by: str | None = typer.Option(None, "--sessions-by", help="session rule (default: the model's)"),
    json_out: Path | None = typer.Option(None, "--json", help="write each alarm as a JSON line here"),
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="session labels: the summary then counts true "
        "and false alarms (separately on the sessions training held out)",
    ),
    source: Path | None = typer.Option(None, "--source", help="check the model against this source tree"),
    allow_other_source: bool = typer.Option(
        False,
        "--allow-other-source",
        help="use a model trained on another inventory (lines are parsed against --source's)",
    ),
    idle_lines: int | None = typer.Option(
        None,
        "--idle-lines",
        help="close a session after this many lines without one of its events (default: the model's)",
    ),
    idle_seconds: float = typer.Option(30.0, "--idle-seconds", help="with --follow: also after this many seconds"),
    max_open: int = typer.Option(
        100_000, "--max-open", help="open sessions kept; beyond, the least recent is scored early (counted as evicted)"
    ),
    exit_idle: float | None = typer.Option(
        None, "--exit-idle", help="with --follow: stop after this many seconds without a new line"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="print only the summary"),
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        help="processes that parse big plain files (0: the machine's "
        "cores); sessions and scores are the same for any number",
    ),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="serve Prometheus metrics on this port (0: any free one, printed)"
    ),
    metrics_addr: str = typer.Option("127.0.0.1", "--metrics-addr", help="address the metrics listen on"),
    alert_url: str | None = typer.Option(
        None, "--alert-url", help="post each alarm here: Alertmanager's http://HOST:9093/api/v2/alerts, or any webhook"
    ),
    alert_format: str = typer.Option(
        "auto",
        "--alert-format",
        help="auto (alertmanager when the URL ends in /api/v2/alerts) | alertmanager | webhook",
    ),
    alert_queue: int = typer.Option(
        1000,
        "--alert-queue",
        help="alarms waiting to be posted; beyond, new ones are dropped and counted (reading never waits)",
    ),
    alert_retries: int = typer.Option(3, "--alert-retries", help="retries per alarm, with back-off"),
    labels_conflict: str = typer.Option("error", "--labels-conflict", help=LABELS_CONFLICT_HELP),
) -> None:
    """Score logs with a saved detector as they stream in; print each alarm with its source statements."""
    from anomalygen.core.formats import FormatError
    from anomalygen.deploy.detector import DetectRequest
    from anomalygen.deploy.outlets import OutletSettings, outlets

    det = _load(model, logs, follow, labels, source, allow_other_source)
    req = DetectRequest(
        model=model,
        logs=list(logs),
        follow=follow,
        format=fmt,
        sessions_by=sessions_by,
        idle_lines=idle_lines,
        idle_seconds=idle_seconds,
        max_open=max_open,
        exit_idle=exit_idle,
        json_out=json_out,
        labels=labels,
        jobs=jobs,
        labels_conflict=labels_conflict,
    )
    settings = OutletSettings(metrics_port, metrics_addr, alert_url, alert_format, alert_queue, alert_retries)
    try:
        with (
            _sigterm_interrupts(),
            outlets(settings, det.name, None if quiet else _print_alarm) as (req.monitor, on_alarm),
        ):
            res = det.stream(req, on_alarm)
    except (FormatError, ValueError, OSError) as e:
        _fail(str(e))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    _print_detected(det.name, res)


@contextmanager
def _sigterm_interrupts():
    """SIGTERM ends a stream as Ctrl-C does (how a service manager stops `detect --follow`): the alarms written so
    far are kept under the --json name, whole lines only."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _load(
    model: Path, logs: list[str], follow: bool, labels: Path | None, source: Path | None, allow_other_source: bool
):
    """The model, once every named input exists (the followed file may not yet)."""
    from anomalygen.deploy.detector import load_detector
    from anomalygen.deploy.folder import ModelError

    for p in [*logs, *([str(labels)] if labels else [])]:
        if p != "-" and not (follow and p == logs[-1]) and not Path(p).is_file():
            _fail(f"{p}: no such file")
    try:
        det = load_detector(model, source, allow_other_source)
    except ModelError as e:
        _fail(str(e))
    for d in det.differences:
        typer.echo(f"warning: inventory differs: {d}", err=True)
    return det


def _print_alarm(v) -> None:
    from anomalygen.deploy.explain import format_alarm

    typer.echo(format_alarm(v.to_dict()))
    sys.stdout.flush()


def _print_detected(name: str, res) -> None:
    r, s = res.read, res.sessions
    typer.echo(
        f"{name}: {res.alarms} alarms in {res.scored} sessions; lines read {r['lines_read']}: parsed "
        f"{r['parsed']}, rejected {r['rejected']}"
        + (f" {r['rejected_by_kind']}" if r["rejected"] else "")
        + f"; sessions closed idle {s['closed_idle']}, at end {s['closed_end']}, evicted {s['evicted']} "
        f"(most open at once {s['max_open']}); {res.seconds:.2f}s",
        err=True,
    )
    warned = set(r["warnings_by_kind"])
    for kind, examples in r["examples"].items():
        if kind in warned:  # a truncated .gz, bytes that are not UTF-8, ...: the result may lack lines
            for e in examples:
                typer.echo(f"warning: [{kind}] {e}", err=True)
    for w in res.warnings:
        typer.echo(f"warning: {w}", err=True)
    for part, m in res.labelled.items():
        what = "labelled sessions" if part == "all" else "labelled sessions training held out"
        typer.echo(
            f"{what}: {m['sessions']} ({m['anomalies']} anomalous): {m['true_alarms']} true alarms, "
            f"{m['false_alarms']} false alarms, {m['missed']} missed; precision {m['precision']}, "
            f"recall {m['recall']}",
            err=True,
        )


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("detect")(detect)
