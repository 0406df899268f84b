"""`anomalygen train` and `anomalygen detect`: thin layers over `deploy.train` and `Detector.stream`."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from anomalygen.deploy.outlets import OutletSettings, outlets
from anomalygen.deploy.requests import DetectRequest, TrainRequest
from anomalygen.options import command, request_values


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


# what the command line alone takes: the detector's parameters, which `TrainRequest.params` holds as a dict
_TRAIN_CONTROLS = {
    "epochs": (int | None, typer.Option(None, "--epochs", help="epochs of a deep detector"), "out"),
    "param": (
        list[str],
        typer.Option([], "--param", help="detector parameter KEY=VALUE (JSON value), repeatable"),
        "epochs",
    ),
}


def train(**given: Any) -> None:
    """Train one detector on real (+ synthetic) sessions and save it as a model folder for `detect`."""
    from anomalygen.deploy.trainer import TrainError
    from anomalygen.deploy.trainer import train as run_train

    settings = request_values(TrainRequest, given)
    if settings["augment"] is not None and settings["synthesize"]:
        _fail("give --augment DIR or --synthesize N, not both")
    req = TrainRequest(**settings, params=_params(settings["model"], given["param"], given["epochs"]))
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


# what the command line alone takes
_DETECT_CONTROLS = {"quiet": (bool, typer.Option(False, "--quiet", "-q", help="print only the summary"), "exit_idle")}


def detect(**given: Any) -> None:
    """Score logs with a saved detector as they stream in; print each alarm with its source statements."""
    from anomalygen.core.formats import FormatError

    req = DetectRequest(**request_values(DetectRequest, given))
    settings = OutletSettings(**request_values(OutletSettings, given))
    det = _load(req)
    try:
        with (
            _sigterm_interrupts(),
            outlets(settings, det.name, None if given["quiet"] else _print_alarm) as (req.monitor, on_alarm),
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


def _load(req: DetectRequest):
    """The model, once every named input exists (the followed file may not yet)."""
    from anomalygen.deploy.detector import load_detector
    from anomalygen.deploy.folder import ModelError

    logs = [str(p) for p in req.logs]
    for p in [*logs, *([str(req.labels)] if req.labels else [])]:
        if p != "-" and not (req.follow and p == logs[-1]) and not Path(p).is_file():
            _fail(f"{p}: no such file")
    try:
        det = load_detector(req.model, req.source, req.allow_other_source)
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
    app.command("train")(command(train, TrainRequest, controls=_TRAIN_CONTROLS))
    app.command("detect")(command(detect, DetectRequest, OutletSettings, controls=_DETECT_CONTROLS))
