"""Arms on identical splits: for each seed, split once; for each training share, train every detector once per
arm (the real training sessions plus what the arm adds, `arms.py`), pick thresholds on a validation set of real
sessions (with a floor, `splits.top_up_validation`), and score the same test sessions, which touch nothing else.

Cells (model x share x seed x arm x ratio) are independent; `jobs` runs them in worker processes and the rows
come back in cell order, so the outputs do not depend on the number of workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from anomalygen.core.event_keys import KeyPlan, plan_keys
from anomalygen.core.sessions import Session
from anomalygen.detect.base import best_f1_threshold
from anomalygen.detect.registry import DEEP, DETECTORS, SEMANTIC, make_detector
from anomalygen.evaluate import arms as A
from anomalygen.evaluate import splits as S
from anomalygen.evaluate.compare import paired_table
from anomalygen.evaluate.metrics import anomaly_metrics, mcnemar, prior_weights
from anomalygen.evaluate.withhold import Withheld, find_withheld, novel_metrics, unseen_metrics


@dataclass
class EvalConfig:
    models: list[str] = field(default_factory=lambda: list(DETECTORS))
    ratios: list[float] = field(default_factory=lambda: [1.0])  # added sessions / real training sessions, per arm
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    split: str = "random"  # random | chronological | given
    test_fraction: float = 0.2
    train_fractions: list[float] = field(default_factory=lambda: [1.0])
    val_fraction: float = 0.1
    val_min_normal: int = 200
    val_min_anomalous: int = 50
    arms: list[str] | None = None  # None: baseline, plus synthetic and both controls when synthetic data is given
    prior: float | None = None  # anomaly share to re-weight F1 to (HDFS_v1: 0.029); thresholds then maximise it
    epochs: int | None = None  # deep models only; None keeps each model's default
    semantic: str = "auto"
    tune_supervised: bool = False
    measure_memory: bool = False
    verbose: bool = False
    jobs: int = 1
    cache_dir: str | None = None  # finished cells are kept here and not trained again (same inputs, same cell)
    withhold: dict[str, list[str]] = field(default_factory=dict)  # behaviour -> events kept out of training
    unseen: bool = False  # also fpr_unseen: false alarms on test normal sessions with an event training lacks

    def resolved_arms(self, sources: dict, inventory: bool = False) -> list[str]:
        if self.arms is not None:
            arms = list(self.arms)
            return arms if A.BASELINE in arms else [A.BASELINE] + arms
        oracle = [A.ORACLE] if self.withhold else []
        if not sources:
            return [A.BASELINE] + oracle
        syn = [A.SYNTHETIC] if A.SYNTHETIC in sources else []
        controls = [c for c in A.CONTROLS if c != A.INVENTORY_RANDOM or inventory]
        return [A.BASELINE] + syn + controls + oracle + sorted(k for k in sources if k != A.SYNTHETIC)

    def aug_ratios(self) -> list[float]:
        return sorted({float(r) for r in self.ratios if r > 0}) or [1.0]


@dataclass
class EvalResult:
    runs: list[dict]
    paired: list[dict]
    info: dict
    mcnemar: list[dict] = field(default_factory=list)


def _split(cfg: EvalConfig, real: list[Session], seed: int):
    if cfg.split == "random":
        return S.random_split(len(real), cfg.test_fraction, seed)
    if cfg.split == "chronological":
        return S.chronological_split(np.array([s.order for s in real]), cfg.test_fraction)
    if cfg.split == "given":
        return S.given_split([s.split for s in real])
    raise ValueError(f"split must be random, chronological or given, not {cfg.split!r}")


def sources_from_sessions(
    synthetic: list[Session], plan: KeyPlan, name: str = A.SYNTHETIC, composer=None
) -> A.SyntheticSource:
    to_key = plan.statement_keys if composer is not None else None
    if composer is not None and plan.mode == "statements" and hasattr(composer, "with_keys"):
        # the model in the evaluation's keys, so that "a statement the bases never showed" is judged in the keys
        # the bases are written in (two statements printing one event's text share its key)
        composer, to_key = composer.with_keys(plan.synthetic_map), None
    return A.SyntheticSource(
        name,
        [plan.synthetic(s) for s in synthetic],
        np.array([s.label for s in synthetic], dtype=np.int64),
        composer,
        to_key,
        dict(plan.synthetic_map) if composer is not None else {},
    )


def run_evaluation(
    cfg: EvalConfig,
    real: list[Session],
    synthetic: list[Session] | dict[str, A.SyntheticSource] | None = None,
    template_map: dict[str, str] | KeyPlan | None = None,
    on_run: Callable[[dict], None] | None = None,
    factory: Callable[..., object] = make_detector,
    inventory: list[str] | None = None,
) -> EvalResult:
    """`synthetic`: sessions (the `synthetic` arm) or named sources (arms and ablations) already keyed by
    `template_map`, which is then the `KeyPlan` they were keyed with. `inventory`: every statement's key in
    that key space (for the `inventory-random` control)."""
    for m in cfg.models:
        if factory is make_detector and m not in DETECTORS:
            raise ValueError(f"unknown model {m!r}; choose from {', '.join(DETECTORS)}")
    if not real:
        raise ValueError("the dataset has no sessions")
    if isinstance(template_map, KeyPlan):
        plan = template_map
    else:
        syn_list = synthetic if isinstance(synthetic, list) else []
        plan = plan_keys(real, syn_list, template_map or {})
    if isinstance(synthetic, dict):
        sources = dict(synthetic)
    else:
        sources = {A.SYNTHETIC: sources_from_sessions(synthetic, plan)} if synthetic else {}
    arms = cfg.resolved_arms(sources, inventory is not None)
    missing = [a for a in arms if a not in A.BUILT_IN and a not in sources]
    if missing:
        raise ValueError(f"arm(s) {', '.join(missing)} need synthetic sessions (--augment / --augment-ablation)")
    if A.ORACLE in arms and not cfg.withhold:
        raise ValueError("arm 'oracle' needs a withheld behaviour (--withhold NAME=EVENTS)")
    if A.INVENTORY_RANDOM in arms and inventory is None:
        raise ValueError("arm 'inventory-random' needs the system's inventory (--source or --inventory)")
    X_real = [plan.real(s) for s in real]
    y_real = np.array([s.label for s in real], dtype=np.int64)
    wh = find_withheld(cfg.withhold, [list(s.events) for s in real], X_real, y_real) if cfg.withhold else Withheld()
    held = wh.any(len(real))
    share = (
        sources[A.SYNTHETIC].anomalous_share
        if A.SYNTHETIC in sources
        else (next(iter(sources.values())).anomalous_share if sources else 0.0)
    )
    info: dict[str, Any] = {
        "key_mode": plan.mode,
        "keys": plan.info,
        "arms": arms,
        "n_real": len(real),
        "n_real_anomalous": int(y_real.sum()),
        "synthetic": {
            k: {"sessions": len(v.X), "anomalous": int(v.y.sum()), "session_model": v.composer is not None, **v.info}
            for k, v in sources.items()
        },
        "semantic_backend": None,
        "ambiguous_test_anomalies": {},
        "validation": {},
        "withheld": wh.info(y_real) if wh.active else {},
    }
    cells, tests = [], {}
    for seed in cfg.seeds:
        pool, test = _split(cfg, real, seed)
        tests[seed] = test
        info["ambiguous_test_anomalies"][seed] = _ambiguous(X_real, y_real, pool, test)
        for frac in cfg.train_fractions:
            sub = S.stratified_subset(pool, y_real, frac, seed)
            tr, va = S.train_validation(sub, y_real, cfg.val_fraction, seed)
            # withheld sessions leave training and validation (the top-up too); the oracle gets the training ones
            gone = tr[held[tr]]
            tr, va = tr[~held[tr]], va[~held[va]]
            va = S.top_up_validation(
                va, pool[~held[pool]], sub, y_real, cfg.val_min_normal, cfg.val_min_anomalous, seed
            )
            info["validation"][f"{seed}/{frac:g}"] = {
                "normal": int(np.sum(y_real[va] == 0)),
                "anomalous": int(np.sum(y_real[va] == 1)),
            }
            X_tr = [X_real[i] for i in tr]
            ctx = A.CellContext([X_real[i] for i in gone], y_real[gone], inventory)
            for arm in arms:
                for ratio in [0.0] if arm == A.BASELINE else cfg.aug_ratios():
                    n_normal, n_anom = A.counts(len(tr), ratio, share)
                    add = A.make_addition(arm, sources, X_tr, y_real[tr], n_normal, n_anom, seed + 104729, ctx)
                    if wh.active:
                        add.info = {"n_train_withheld": len(gone), **wh.addition_stats(add.X, add.y)}
                    for name in cfg.models:
                        cells.append(_Cell(name, seed, frac, arm, ratio, tr, va, test, add))
    shared = _Shared(cfg, X_real, y_real, plan.texts, factory, held if wh.active else None)
    cache = _Cache(cfg, X_real, y_real, plan.texts) if cfg.cache_dir else None
    runs, preds = _run_cells(cells, shared, cfg.jobs, on_run, cache)
    for r in runs:
        if r.get("semantic_backend"):
            info["semantic_backend"] = r.pop("semantic_backend")
        r.pop("semantic_backend", None)
    mc = _mcnemar_rows(cfg, preds, tests, y_real, arms)
    metrics = ["f1_prior", "f1", "fpr", "recall"] if cfg.prior is not None else ["f1", "fpr", "recall"]
    if wh.active:
        metrics += ["fpr_novel", "fpr_seen"]
    if cfg.unseen:
        metrics += ["fpr_unseen"]
    paired = paired_table(runs, mc, arms, metrics)
    info["config"] = asdict(cfg)
    return EvalResult(runs, paired, info, mc)


@dataclass
class _Cell:
    model: str
    seed: int
    frac: float
    arm: str
    ratio: float
    tr: np.ndarray
    va: np.ndarray
    test: np.ndarray
    add: A.Addition


@dataclass
class _Shared:
    cfg: EvalConfig
    X: list[list[str]]
    y: np.ndarray
    texts: dict[str, str]
    factory: Callable[..., object]
    novel: np.ndarray | None = None  # per real session: holds a withheld event


_SHARED: _Shared | None = None


def _init_worker(shared: _Shared, parent: int | None = None) -> None:
    global _SHARED
    _SHARED = shared
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """A worker's parent is the forkserver, which outlives a killed evaluation; so each worker watches the
    evaluating process itself and leaves when it is gone (the forkserver then ends too)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # pragma: no cover - the pid was reused by another user's process
            os._exit(1)


class _Cache:
    """Finished cells on disk, keyed by everything that decides their result: the cell, the settings, the data,
    the indices, what the arm added, and the detector and harness code."""

    FIELDS = (
        "split",
        "test_fraction",
        "val_fraction",
        "val_min_normal",
        "val_min_anomalous",
        "prior",
        "epochs",
        "withhold",
        "unseen",
        "semantic",
        "tune_supervised",
    )

    def __init__(self, cfg: EvalConfig, X, y, texts):
        self.dir = Path(cfg.cache_dir)  # type: ignore[arg-type]  # made only with a cache_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256(json.dumps({f: getattr(cfg, f) for f in self.FIELDS}, sort_keys=True).encode())
        h.update(json.dumps([X, y.tolist()]).encode())
        self.texts = hashlib.sha256(json.dumps(sorted(texts.items())).encode()).hexdigest()  # semantic models only
        pkg = Path(__file__).resolve().parents[1]
        for f in sorted([*(pkg / "detect").glob("*.py"), Path(__file__)]):
            h.update(f.read_bytes())
        self.base = h.hexdigest()

    def key(self, c: _Cell) -> Path:
        h = hashlib.sha256(self.base.encode())
        h.update(
            json.dumps(
                [
                    c.model,
                    c.seed,
                    c.frac,
                    c.arm,
                    c.ratio,
                    c.add.X,
                    c.add.y.tolist(),
                    self.texts if c.model in SEMANTIC else None,
                ]
            ).encode()
        )
        for a in (c.tr, c.va, c.test):
            h.update(np.asarray(a, dtype=np.int64).tobytes())
        return self.dir / f"{h.hexdigest()[:40]}.json"

    def get(self, c: _Cell):
        p = self.key(c)
        if not p.is_file():
            return None
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
            return doc["row"], (None if doc["pred"] is None else np.asarray(doc["pred"], dtype=np.int64))
        except (ValueError, KeyError):  # a torn or foreign file is a miss
            return None

    def put(self, c: _Cell, row: dict, pred) -> None:
        p = self.key(c)
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps({"row": row, "pred": None if pred is None else pred.tolist()}), encoding="utf-8")
        os.replace(tmp, p)


def _run_cells(cells: list[_Cell], shared: _Shared, jobs: int, on_run, cache: _Cache | None = None):
    done = {i: cache.get(c) for i, c in enumerate(cells)} if cache else {}
    todo = [c for i, c in enumerate(cells) if done.get(i) is None]
    if jobs <= 1 or len(todo) <= 1:
        _init_worker(shared)
        return _gather(cells, done, map(_run_cell, todo), cache, on_run)
    # forkserver: torch in a forked parent's threads can deadlock a fork
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=get_context("forkserver"), initializer=_init_worker, initargs=(shared, os.getpid())
    ) as ex:
        try:
            return _gather(cells, done, ex.map(_run_cell, todo, chunksize=1), cache, on_run)
        except BrokenProcessPool:  # a worker was killed (OOM, SIGKILL): exit 1 in one line, not an input error
            from anomalygen.parallel import WorkerDied

            raise WorkerDied(
                "a worker process died before it finished its cell (out of memory, or killed?); "
                "the evaluation stopped and wrote nothing"
            ) from None


def _gather(cells, done, fresh, cache, on_run) -> tuple[list[dict], dict]:
    """Rows in cell order: cached ones as they were, the others as the workers return them."""
    runs: list[dict] = []
    preds: dict[tuple, np.ndarray] = {}
    fresh = iter(fresh)
    for i, cell in enumerate(cells):
        got = done.get(i)
        if got is None:
            got = next(fresh)
            if cache:
                cache.put(cell, *got)
        row, pred = got
        _collect(cell, row, pred, runs, preds, on_run)
    return runs, preds


def _collect(cell, row, pred, runs, preds, on_run) -> None:
    runs.append(row)
    if pred is not None:
        preds[(cell.model, cell.seed, cell.frac, cell.arm, cell.ratio)] = pred
    if on_run:
        on_run(row)


def _run_cell(cell: _Cell) -> tuple[dict, np.ndarray | None]:
    sh = _SHARED
    assert sh is not None, "a worker's initializer sets it before any cell"
    cfg = sh.cfg
    supervised = bool(getattr(DETECTORS.get(cell.model), "supervised", False)) if cell.model in DETECTORS else False
    add = cell.add
    keep = np.ones(len(add.y), dtype=bool) if supervised else add.y == 0
    X_fit = [sh.X[i] for i in cell.tr] + [x for x, k in zip(add.X, keep, strict=True) if k]
    y_fit = np.concatenate([sh.y[cell.tr], add.y[keep]])
    X_val, y_val = [sh.X[i] for i in cell.va], sh.y[cell.va]
    X_test, y_test = [sh.X[i] for i in cell.test], sh.y[cell.test]
    row = {
        "model": cell.model,
        "seed": cell.seed,
        "split": cfg.split,
        "train_fraction": cell.frac,
        "arm": cell.arm,
        "ratio": cell.ratio,
        "n_train_real": len(cell.tr),
        "n_train_real_anomalous": int(sh.y[cell.tr].sum()),
        "n_added": int(keep.sum()),
        "n_added_anomalous": int(add.y[keep].sum()),
        "n_val": len(cell.va),
        "n_val_anomalous": int(y_val.sum()),
        "n_test": len(cell.test),
        "n_test_anomalous": int(y_test.sum()),
        "supervised": supervised,
        **add.info,
    }
    params = {"random_state": cell.seed, "verbose": cfg.verbose, "semantic": cfg.semantic, "event_texts": sh.texts}
    if cfg.epochs is not None and cell.model in DEEP:
        params["epochs"] = cfg.epochs
    det = sh.factory(cell.model, params)  # the settings every cell offers; each detector takes its own
    try:
        pred, extra = _fit_score(det, X_fit, y_fit, X_val, y_val, X_test, cfg)
    except ValueError as exc:  # e.g. one class only in a sparse supervised training set
        row.update(status="skipped", error=str(exc))
        return row, None
    row.update(extra, status="ok", **anomaly_metrics(y_test, pred, cfg.prior))
    if sh.novel is not None:
        row.update(novel_metrics(y_test, pred, sh.novel[cell.test]))
    if cfg.unseen:
        row.update(unseen_metrics(y_test, pred, X_test, [sh.X[i] for i in cell.tr]))
    if cell.model in SEMANTIC:
        row["semantic_backend"] = getattr(det, "semantic_backend_", None)
    return row, pred


def _fit_score(det, X_fit, y_fit, X_val, y_val, X_test, cfg):
    if cfg.measure_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    det.fit(X_fit, y_fit)
    if (not det.supervised or cfg.tune_supervised) and len(X_val) and np.any(y_val == 1):
        det.threshold_ = tuned_threshold(unique_scores(det, X_val), y_val, det.threshold_, cfg.prior)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = (unique_scores(det, X_test) > det.threshold_).astype(np.int64)
    predict_s = time.perf_counter() - t0
    extra = {"fit_s": round(fit_s, 3), "predict_s": round(predict_s, 3), "threshold": float(det.threshold_)}
    if cfg.measure_memory:
        extra["peak_python_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    if hasattr(det, "train_info_"):
        extra["epochs_run"] = det.train_info_["epochs_run"]
    return pred, extra


def unique_scores(det, X: list[list[str]]) -> np.ndarray:
    """Scores of `X`, each distinct session scored once: a detector's score is a function of the session, and
    event-set data repeats itself (full HDFS_v1: 5,573 distinct sequences among 35,693 sessions)."""
    index: dict[tuple, int] = {}
    pos = np.array([index.setdefault(tuple(x), len(index)) for x in X], dtype=np.int64)
    if not len(pos):
        return np.zeros(0)
    return np.asarray(det.decision_function([list(k) for k in index]), dtype=np.float64)[pos]


def tuned_threshold(scores: np.ndarray, y: np.ndarray, default: float, prior: float | None) -> float:
    """The validation cut with the best F1; with a prior, the best F1 re-weighted to that anomaly share, so the
    cut is chosen for the metric that is reported (an anomaly-heavy validation set would otherwise pull it low)."""
    if prior is None:
        return best_f1_threshold(scores, y, default)
    scores = np.asarray(scores, dtype=np.float64)
    w = prior_weights(y, prior)
    uniq = np.unique(scores)
    cands = np.concatenate(([default], (uniq[:-1] + uniq[1:]) / 2, [uniq[0] - 1.0]))
    pos = y == 1
    wpos = float(w[pos].sum())
    best, best_f1 = default, -1.0
    for t in cands:
        flag = scores > t
        tp = float(w[flag & pos].sum())
        denom = float(w[flag].sum()) + wpos
        f1 = 2 * tp / denom if denom else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best


def _ambiguous(X, y, pool, test) -> int:
    """Test anomalies whose exact event sequence is labelled normal in the training pool: no session-level
    detector can get them right, which caps recall (the first-100k-lines HDFS sample has many)."""
    normal = {tuple(X[i]) for i in pool if y[i] == 0}
    return int(sum(1 for i in test if y[i] == 1 and tuple(X[i]) in normal))


def _mcnemar_rows(cfg, preds, tests, y_real, arms) -> list[dict]:
    from anomalygen.evaluate.compare import comparisons

    out = []
    for (model, seed, frac, arm, ratio), pred in sorted(preds.items(), key=lambda kv: str(kv[0])):
        for a, versus in comparisons(arms):
            if a != arm:
                continue
            other = preds.get((model, seed, frac, versus, 0.0 if versus == A.BASELINE else ratio))
            if other is None:
                continue
            out.append(
                {
                    "model": model,
                    "seed": seed,
                    "train_fraction": frac,
                    "ratio": ratio,
                    "arm": arm,
                    "versus": versus,
                    **mcnemar(y_real[tests[seed]], other, pred),
                }
            )
    return out


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
