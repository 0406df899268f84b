"""Arms on identical splits: for each seed, split once; for each training share, train every detector once per
arm (the real training sessions plus what the arm adds, `arms.py`), pick thresholds on a validation set of real
sessions (with a floor, `splits.top_up_validation`), and score the same test sessions, which touch nothing else.

Cells (model x share x seed x arm x ratio) are independent; `jobs` runs them in worker processes and the rows
come back in cell order, so the outputs do not depend on the number of workers.
"""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from typing import Any

import numpy as np

from anomalygen.core.event_keys import KeyPlan, plan_keys
from anomalygen.core.sessions import Session
from anomalygen.detect.registry import DEEP, DETECTORS, SEMANTIC, make_detector
from anomalygen.evaluate import arms as A
from anomalygen.evaluate import calibrate as C
from anomalygen.evaluate import splits as S
from anomalygen.evaluate.cellcache import CellCache
from anomalygen.evaluate.compare import paired_table
from anomalygen.evaluate.metrics import anomaly_metrics, mcnemar, tuned_threshold
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
    calibrate: dict[str, list[str]] = field(default_factory=dict)  # behaviours training holds, to choose shares on
    calibrate_auto: bool = False  # ... or, per cell, one the session model could add (calibrate.Auto)
    calibrate_shares: list[float] = field(default_factory=lambda: list(C.DEFAULT_SHARES))
    # a calibrated session model's share is how often each new behaviour appears, not how often any does
    calibrate_each: bool = True

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
    raw = [list(s.events) for s in real] if cfg.withhold or cfg.calibrate else []  # named events, as written
    wh = find_withheld(cfg.withhold, raw, X_real, y_real) if cfg.withhold else Withheld()
    held = wh.any(len(real))
    chooser, cal_info = C.chooser(cfg.calibrate, cfg.calibrate_auto, cfg.calibrate_shares, sources, raw, X_real, y_real)
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
        "calibration": cal_info,
    }
    maker = _Additions(cfg, sources, share, X_real, y_real, wh, chooser)
    cells, tests = [], {}
    for seed in cfg.seeds:
        pool, test = _split(cfg, real, seed)
        tests[seed] = test
        info["ambiguous_test_anomalies"][seed] = _ambiguous(X_real, y_real, pool, test)
        for frac in cfg.train_fractions:
            tr, va, gone = cell_sessions(cfg, pool, y_real, held, frac, seed)
            info["validation"][f"{seed}/{frac:g}"] = {
                "normal": int(np.sum(y_real[va] == 0)),
                "anomalous": int(np.sum(y_real[va] == 1)),
            }
            ctx = A.CellContext([X_real[i] for i in gone], y_real[gone], inventory)
            for arm in arms:
                for ratio in [0.0] if arm == A.BASELINE else cfg.aug_ratios():
                    add, calib, why = maker.additions(arm, ratio, seed, tr, va, gone, ctx)
                    for name in cfg.models:
                        cells.append(_Cell(name, seed, frac, arm, ratio, tr, va, test, add, calib, why))
    shared = _Shared(cfg, X_real, y_real, plan.texts, factory, held if wh.active else None)
    cache = CellCache(cfg, X_real, y_real, plan.texts) if cfg.cache_dir else None
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


def cell_sessions(
    cfg: EvalConfig, pool: np.ndarray, y: np.ndarray, held: np.ndarray, frac: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One cell's training and validation indices, and the training ones its withheld behaviours removed (the
    oracle's): withheld sessions leave training and validation, the validation top-up included."""
    sub = S.stratified_subset(pool, y, frac, seed)
    tr, va = S.train_validation(sub, y, cfg.val_fraction, seed)
    gone = tr[held[tr]]
    tr, va = tr[~held[tr]], va[~held[va]]
    va = S.top_up_validation(va, pool[~held[pool]], sub, y, cfg.val_min_normal, cfg.val_min_anomalous, seed)
    return tr, va, gone


@dataclass
class _Additions:
    """What each arm of a cell adds: at the arm's own share, and, for an arm calibrated on validation, at each
    candidate share from the cell's training sessions with and without the calibration behaviours."""

    cfg: EvalConfig
    sources: dict[str, A.SyntheticSource]
    share: float  # the synthetic data's anomalous share
    X: list[list[str]]
    y: np.ndarray
    wh: Withheld
    chooser: C.Named | C.Auto | None

    def make(self, arm, ratio, seed, idx, gone, ctx, s: float | None = None, each: bool = False) -> A.Addition:
        n_normal, n_anom = A.counts(len(idx), ratio, self.share)
        add = A.make_addition(
            arm, self.sources, [self.X[i] for i in idx], self.y[idx], n_normal, n_anom, seed + 104729, ctx, s, each
        )
        if self.wh.active:
            add.info = {"n_train_withheld": len(gone), **self.wh.addition_stats(add.X, add.y)}
        return add

    def additions(self, arm, ratio, seed, tr, va, gone, ctx) -> tuple[A.Addition, C.Calibration | None, str]:
        add = self.make(arm, ratio, seed, tr, gone, ctx)
        own = A.knob(arm, self.sources) if self.chooser is not None else None
        if own is None or self.chooser is None:
            return add, None, ""
        picked = self.chooser.pick(tr, self.y)
        if isinstance(picked, str):
            return add, None, picked

        each = self.cfg.calibrate_each and arm in self.sources

        def at(s: float, idx: np.ndarray) -> A.Addition:
            if s == own and idx is tr and not each:
                return add
            return self.make(arm, ratio, seed, idx, gone, ctx, s, each)

        calib, why = C.plan(picked[0], self.cfg.calibrate_shares, picked[1], tr, va, self.y, at, each)
        return add, calib, why


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
    calib: C.Calibration | None = None  # the arm's share is chosen on validation (calibrate.py)
    calib_skipped: str = ""  # why a cell that would be calibrated is not


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


def _run_cells(cells: list[_Cell], shared: _Shared, jobs: int, on_run, cache: CellCache | None = None):
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
    calibration: dict[str, Any] = {}
    if cell.calib is not None:
        add, calibration = _calibrated(cell, cell.calib, sh, supervised)
    elif cell.calib_skipped:
        calibration = {"calibration_skipped": cell.calib_skipped}
    X_fit, y_fit, keep = _fit_data(sh, cell.tr, add, supervised)
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
        **calibration,
    }
    det = _detector(sh, cell)
    try:
        pred, extra = _fit_score(det, X_fit, y_fit, X_val, y_val, X_test, cfg)
    except ValueError as exc:  # e.g. one class only in a sparse supervised training set
        row.update(status="skipped", error=str(exc))
        return row, None
    row.update(extra, status="ok", **anomaly_metrics(y_test, pred, cfg.prior))
    if sh.novel is not None:
        row.update(novel_metrics(y_test, pred, sh.novel[cell.test], X_test, X_fit, y_fit))
    if cfg.unseen:
        row.update(unseen_metrics(y_test, pred, X_test, [sh.X[i] for i in cell.tr]))
    if cell.model in SEMANTIC:
        row["semantic_backend"] = getattr(det, "semantic_backend_", None)
    return row, pred


def _detector(sh: _Shared, cell: _Cell):
    cfg = sh.cfg
    params = {"random_state": cell.seed, "verbose": cfg.verbose, "semantic": cfg.semantic, "event_texts": sh.texts}
    if cfg.epochs is not None and cell.model in DEEP:
        params["epochs"] = cfg.epochs
    return sh.factory(cell.model, params)  # the settings every cell offers; each detector takes its own


def _fit_data(sh: _Shared, tr: np.ndarray, add: A.Addition, supervised: bool):
    """The real training sessions plus what the arm added (its anomalous ones for supervised detectors only)."""
    keep = np.ones(len(add.y), dtype=bool) if supervised else add.y == 0
    X_fit = [sh.X[i] for i in tr] + [x for x, k in zip(add.X, keep, strict=True) if k]
    return X_fit, np.concatenate([sh.y[tr], add.y[keep]]), keep


def _calibrated(cell: _Cell, cal: C.Calibration, sh: _Shared, supervised: bool) -> tuple[A.Addition, dict]:
    """Each candidate share tried on validation only (`calibrate.py`); the arm's addition at the best one."""
    X_fit_va, y_fit_va = [sh.X[i] for i in cal.va_fit], sh.y[cal.va_fit]
    X_va, y_va = [sh.X[i] for i in cal.va], sh.y[cal.va]
    metric = "f1_prior" if sh.cfg.prior is not None else "f1"
    scores = []
    for add in cal.trial:
        X_fit, y_fit, _ = _fit_data(sh, cal.tr, add, supervised)
        try:
            pred, _ = _fit_score(_detector(sh, cell), X_fit, y_fit, X_fit_va, y_fit_va, X_va, sh.cfg)
        except ValueError:  # this trial cannot train the detector: it cannot win
            scores.append(-1.0)
            continue
        scores.append(float(anomaly_metrics(y_va, pred, sh.cfg.prior)[metric]))
    k = C.choose(scores)
    return cal.final[k], C.row_fields(cal, scores, k)


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
