"""The stages of `anomalygen run` as sub-command argument lists over one run folder."""

from __future__ import annotations

from pathlib import Path

from anomalygen.core import layout
from anomalygen.deploy.online import supports
from anomalygen.evaluate.harness import default_jobs
from anomalygen.run.pipeline import Stage


def plan(cfg: dict) -> list[Stage]:
    r: Path = cfg["out"]
    src = str(cfg["source"])
    logs = [str(p) for p in cfg["logs"]]
    fmt = cfg["format"]
    log_paths = list(cfg["logs"])
    stages = [
        Stage("inventory", ["inventory", src, "--out", str(r / layout.INVENTORY)],
              [cfg["source"]], [(r / layout.INVENTORY).parent]),
        Stage("parse", ["parse", *logs, "--source", src, "--format", fmt, "--out", str(r / layout.PARSED)],
              [cfg["source"], *log_paths],
              [r / layout.PARSED / f for f in ("structured.csv", "templates.csv", "summary.json")]),
        Stage("sessions", ["sessions", *logs, "--source", src, "--format", fmt, "--by", cfg["sessions_by"],
                           *(["--labels", str(cfg["labels"])] if cfg["labels"] else []),
                           *(["--weak-labels", cfg["weak_labels"]] if cfg.get("weak_labels") else []),
                           "--out", str(r / layout.SESSIONS)],
              [cfg["source"], *log_paths, *([cfg["labels"]] if cfg["labels"] else [])],
              [r / layout.SESSIONS]),
        Stage("coverage", ["coverage", "--source", src, *[x for p in logs for x in ("--logs", p)], "--format", fmt,
                           "--out", str(r / layout.COVERAGE)],
              [cfg["source"], *log_paths], [r / layout.COVERAGE]),
        Stage("generate", ["generate", src, "--out", str(r / layout.SYNTHETIC),
                           *[x for p in logs for x in ("--logs", p)],
                           "--format", fmt, "--n", str(cfg["n"]), "--seed", str(cfg["seed"]),
                           "--max-paths", str(cfg["max_paths"]), "--anomalous-share", str(cfg["anomalous_share"]),
                           "--session-key", "block" if cfg["sessions_by"] == "id" else "none",
                           # whole sessions composed from the run's own labelled sessions; with a chronological
                           # split only from the first 80%, so no test session reaches sessions.jsonl
                           *(["--real-sessions", str(r / layout.SESSIONS)] if cfg["labels"] else []),
                           *(["--host-fraction", "0.8"] if cfg["labels"] and cfg["split"] == "chronological"
                             else []),
                           *(["--hosts", str(r / layout.SESSIONS), "--host-fraction", "0.8"]
                             if _hosts(cfg) else []),
                           "--llm", cfg["llm"]],
              [cfg["source"], *log_paths], [r / layout.SYNTHETIC], after=["sessions"]),
    ]
    if cfg["labels"] is not None or cfg.get("weak_labels"):
        stages.append(Stage(
            "evaluate", ["evaluate", "--dataset", str(r / layout.SESSIONS), "--augment", str(r / layout.SYNTHETIC),
                         "--ratios", str(cfg["ratios"]), "--models", str(cfg["models"]),
                         "--split", str(cfg["split"]), "--test-fraction", "0.2",
                         "--train-fractions", str(cfg["train_fractions"]), "--seeds", str(cfg["seeds"]),
                         "--epochs", str(cfg["epochs"]), "--jobs", str(default_jobs()),
                         "--out", str(r / layout.EVALUATE), "--quiet"],
            [], [r / layout.EVALUATE], after=["sessions", "generate"]))
    else:
        stages.append(Stage(
            "evaluate", ["alarm-rates", str(cfg["models"]), str(cfg["seeds"]), str(cfg["epochs"])], [],
            [r / layout.EVALUATE], after=["sessions", "generate"], call=lambda: _alarm_rates(cfg, r)))
    if cfg["labels"] is not None and supports(cfg["sessions_by"]):
        stages.append(Stage(
            "alarms", ["alarms", "--models", str(cfg["models"]), "--epochs", str(cfg["epochs"]), "--seed",
                       str(cfg["seed"]), "--format", fmt, "--sessions-by", cfg["sessions_by"]],
            [cfg["source"], *log_paths, cfg["labels"]], [r / "alarms"], after=["generate"],
            call=lambda: _alarms(cfg)))
    stages.append(Stage("report", ["report"], [], [r / layout.REPORT],
                        after=[s.name for s in stages], call=lambda: report(r), always=True))
    return stages


def _hosts(cfg: dict) -> bool:
    """Window sessions without ground-truth labels: splice synthetic paths into the first 80% of the windows
    (presumed normal, or normal by the weak rule), so that a synthetic session has a window's shape."""
    return str(cfg["sessions_by"]).startswith("window:") and not cfg["labels"]


def _alarm_rates(cfg: dict, r: Path) -> None:
    from anomalygen.detect.registry import DETECTORS
    from anomalygen.evaluate.alarms import AlarmConfig, run_alarms

    unsupervised = [m for m, c in DETECTORS.items() if not c.supervised]
    models = unsupervised if cfg["models"] == "all" else [m.strip() for m in str(cfg["models"]).split(",")]
    acfg = AlarmConfig(models=[m for m in models if m in unsupervised], seeds=list(range(int(cfg["seeds"]))),
                       epochs=cfg["epochs"])
    rows = run_alarms(r / layout.SESSIONS, r / layout.SYNTHETIC, r / layout.EVALUATE, acfg)
    print(f"alarm rates: {len(rows)} runs; wrote {r / 'evaluate' / 'summary.md'}")


def report(run_dir: Path) -> None:
    from anomalygen.report import build_report

    build_report(run_dir)


def _alarms(cfg: dict) -> None:
    from anomalygen.deploy.preview import preview_alarms

    preview_alarms(cfg["out"], cfg["source"], cfg["logs"], cfg["labels"], cfg["format"], cfg["sessions_by"],
                   str(cfg["models"]), int(cfg["epochs"]), int(cfg["seed"]))
