"""The answer a user runs anomalygen for: does synthetic data help on this system, and on which detectors?

Read from an evaluation's outputs (runs, paired comparisons, verdicts) without assuming which arms or metrics
exist beyond the baseline and the synthetic arm, so that arms and metric columns added to the evaluation show up
here without a change. The same answer feeds the top of report.html (`sections/answer.py`) and what `anomalygen
run` prints (`answer_text`)."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from anomalygen.core import layout
from anomalygen.core.arms import BASELINE, CONTROLS, SYNTHETIC
from anomalygen.report.load import RunDir, to_float

MEAN_OF_MODELS = "mean of models"  # evaluate/compare.py's name for the row over all detectors
LABELS = {
    "f1": "F1",
    "f1_prior": "F1 at prior",
    "precision": "precision",
    "recall": "recall",
    "fpr": "FPR",
    "fpr_novel": "FPR novel-normal",
    "fpr_seen": "FPR seen-normal",
    "false_alarms": "false alarms",
}
# the columns of the per-arm means, in this order, each when the runs have it; the primary metric goes first
COLUMNS = ("f1", "recall", "fpr", "fpr_novel", "fpr_seen")
TERMINAL_WIDTH = 100


@dataclass
class Comparison:
    """The synthetic arm against one other arm on the primary metric, as the paired test over seeds decided."""

    versus: str
    delta: float | None
    p: float | None
    verdict: str


@dataclass
class Detector:
    model: str
    means: dict[str, float]  # arm -> primary metric, mean over seeds
    seeds: dict[str, list[float]]  # arm -> primary metric per seed, in seed order
    vs_baseline: Comparison | None = None
    vs_control: Comparison | None = None  # against the best control


@dataclass
class Setting:
    """One training share and ratio of the evaluation."""

    train_fraction: float
    ratio: float
    metric: str  # the primary metric (f1, or f1_prior with a stated prior)
    n_seeds: int
    arms: list[str]
    columns: list[str]
    arm_means: dict[str, dict[str, float | None]]  # arm -> column -> mean of models (mean over seeds)
    overall: Detector  # the mean of models
    detectors: list[Detector] = field(default_factory=list)

    def sentence(self) -> str:
        o, label = self.overall, LABELS.get(self.metric, self.metric)
        if o.vs_baseline is None:
            return f"No paired test of the {SYNTHETIC} arm against the {BASELINE} in this evaluation."
        b = o.vs_baseline
        s = (
            f"Synthetic data: {_verb(b.verdict, 'the baseline')} ({label} {_f(o.means.get(BASELINE))} → "
            f"{_f(o.means.get(SYNTHETIC))}, Δ {_signed(b.delta)}, p {_p(b.p)})"
        )
        c = o.vs_control
        if c is not None:
            s += (
                f" and {_verb(c.verdict, f'the best control, {c.versus}')} ({label} {_f(o.means.get(c.versus))}, "
                f"Δ {_signed(c.delta)}, p {_p(c.p)})"
            )
        for col in ("fpr_novel",):
            base, syn = (self.arm_means.get(a, {}).get(col) for a in (BASELINE, SYNTHETIC))
            if base is not None and syn is not None:
                s += f"; false alarms on unseen valid behaviour ({LABELS[col]}) {_f(base)} → {_f(syn)}"
        n = len(self.detectors)
        return (
            s + f"; mean of {n} detector{'s' * (n != 1)} over {self.n_seeds} seed{'s' * (self.n_seeds != 1)}, "
            f"training share {self.train_fraction:g}, {self.ratio:g} added per real training session."
        )

    def by_detector(self) -> str:
        """Which detectors it helps: better than both, better than the baseline only, worse, the rest."""
        groups: dict[str, list[str]] = defaultdict(list)
        for d in self.detectors:
            vb = d.vs_baseline.verdict if d.vs_baseline else "n/a"
            vc = d.vs_control.verdict if d.vs_control else None
            if vb == "better" and vc in ("better", None):
                groups["better than " + ("the baseline" if vc is None else "both")].append(d.model)
            elif vb == "better":
                groups["better than the baseline only"].append(d.model)
            elif vb == "worse" or vc == "worse":
                groups["worse than " + ("the baseline" if vb == "worse" else "the best control")].append(d.model)
            else:
                groups["no significant change"].append(d.model)
        quiet = groups.pop("no significant change", [])
        parts = [f"{k} on {', '.join(v)}" for k, v in groups.items()]
        if quiet:
            parts.append(
                f"no significant change on the other {len(quiet)}"
                if parts
                else f"no significant change on any of the {len(quiet)}"
            )
        return "By detector: " + "; ".join(parts) + "." if parts else ""


def _verb(verdict: str, what: str) -> str:
    return {"better": f"better than {what}", "worse": f"worse than {what}"}.get(
        verdict, f"no significant change against {what}"
    )


def _f(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _signed(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.3f}"


def _p(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2g}"


def _runs(run: RunDir) -> list[dict]:
    got = run.json(layout.RUNS_JSON)
    if got.ok and isinstance(got.value, list):
        rows = [r for r in got.value if isinstance(r, dict)]
    else:
        csv_rows = run.csv_rows(layout.RUNS_CSV)
        rows = csv_rows.value if csv_rows.ok else []
    return [r for r in rows if str(r.get("status", "ok")) == "ok"]


def _key(r: dict) -> tuple[float, float]:
    return to_float(r.get("train_fraction")) or 0.0, to_float(r.get("ratio")) or 0.0


def _arm_order(arms: set[str]) -> list[str]:
    first = [a for a in (BASELINE, SYNTHETIC, *CONTROLS) if a in arms]
    return first + sorted(arms - set(first))


def read_answer(run_dir: Path | RunDir) -> tuple[list[Setting], str | None]:
    """The answer per training share and ratio, or ([], why there is none)."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(Path(run_dir))
    paired = run.csv_rows(layout.EVALUATE + "/paired.csv")
    runs = _runs(run)
    if not paired.ok or not runs:
        if run.path(layout.ALARM_RATES):
            return [], "no labels in this run: detectors are compared by their alarm rates (see Sessions, labels)"
        if run.path(layout.TESTBED_RESULTS):
            return [], "a testbed run: detectors are judged by operator metrics (see Sessions, labels)"
        return [], run.why_missing(
            "no paired comparison (evaluate/paired.csv)"
            if not paired.ok
            else "no finished detector run (evaluate/runs.json)",
            "evaluate",
        )
    metrics = {str(p.get("metric")) for p in paired.value}
    primary = "f1_prior" if "f1_prior" in metrics else "f1"
    verdicts = run.csv_rows(layout.VERDICT_CSV)
    best = {
        (str(v.get("model")), *_key(v)): str(v.get("best_control"))
        for v in (verdicts.value or [])
        if verdicts.ok and v.get("best_control")
    }
    tests = {
        (str(p.get("model")), *_key(p), str(p.get("arm")), str(p.get("versus"))): p
        for p in paired.value
        if p.get("metric") == primary
    }
    settings = sorted({k[1:3] for k in tests if k[3] == SYNTHETIC}, key=lambda k: (-k[0], k[1]))
    out = []
    for frac, ratio in settings:
        cells = [r for r in runs if _key(r)[0] == frac and (str(r.get("arm")) == BASELINE or _key(r)[1] == ratio)]
        out.append(_setting(frac, ratio, primary, cells, tests, best))
    return out, None if out else "no paired test of the synthetic arm in evaluate/paired.csv"


def _setting(frac: float, ratio: float, primary: str, cells: list[dict], tests: dict, best: dict) -> Setting:
    per: dict[tuple[str, str], dict[int, dict]] = defaultdict(dict)  # (model, arm) -> seed -> run
    for r in cells:
        per[(str(r.get("model")), str(r.get("arm")))][int(to_float(r.get("seed")) or 0)] = r
    models = sorted({m for m, _ in per})
    arms = _arm_order({a for _, a in per})
    columns = [primary] + [c for c in COLUMNS if c != primary and any(to_float(r.get(c)) is not None for r in cells)]
    seeds = sorted({s for runs in per.values() for s in runs})

    def value(model: str, arm: str, seed: int, col: str) -> float | None:
        return to_float(per.get((model, arm), {}).get(seed, {}).get(col))

    def detector(model: str) -> Detector:
        ms = models if model == MEAN_OF_MODELS else [model]
        d = Detector(model, {}, {})
        for arm in arms:
            vals: list[float] = []
            for s in seeds:
                v = [value(m, arm, s, primary) for m in ms]
                nums = [x for x in v if x is not None]
                if v and len(nums) == len(v):
                    vals.append(mean(nums))
            if vals:
                d.seeds[arm], d.means[arm] = vals, mean(vals)
        d.vs_baseline = _comparison(tests.get((model, frac, ratio, SYNTHETIC, BASELINE)))
        ctrl = best.get((model, frac, ratio)) or max(
            (c for c in CONTROLS if (model, frac, ratio, SYNTHETIC, c) in tests and c in d.means),
            key=lambda c: d.means[c],
            default=None,
        )
        d.vs_control = _comparison(tests.get((model, frac, ratio, SYNTHETIC, ctrl))) if ctrl else None
        return d

    arm_means: dict[str, dict[str, float | None]] = {}
    for arm in arms:
        arm_means[arm] = {}
        for col in columns:
            per_model = [
                mean(vs) for m in models if (vs := [v for s in seeds if (v := value(m, arm, s, col)) is not None])
            ]
            arm_means[arm][col] = mean(per_model) if per_model else None
    return Setting(
        frac,
        ratio,
        primary,
        len(seeds),
        arms,
        columns,
        arm_means,
        detector(MEAN_OF_MODELS),
        [detector(m) for m in models],
    )


def _comparison(row: dict | None) -> Comparison | None:
    if row is None:
        return None
    return Comparison(
        str(row.get("versus")),
        to_float(row.get("delta_mean")),
        to_float(row.get("p_ttest")),
        str(row.get("verdict") or "n/a"),
    )


# the terminal ------------------------------------------------------------------------------------------------


def _short(c: Comparison | None) -> str:
    if c is None:
        return "n/a"
    word = {"better": "better", "worse": "worse"}.get(c.verdict, "n.s.")
    return f"{_signed(c.delta)} p {_p(c.p)} {word}"


def setting_text(s: Setting, width: int = TERMINAL_WIDTH, detectors: bool = True) -> list[str]:
    label = LABELS.get(s.metric, s.metric)
    lines = [f"Does synthetic data help? ({label}, paired t-test over seeds, p < 0.05)"]
    lines += textwrap.wrap(s.sentence(), width)
    if s.by_detector():
        lines += textwrap.wrap(s.by_detector(), width)
    lines.append("")
    head = ["arm (mean of models)"] + [LABELS.get(c, c) for c in s.columns]
    rows = [[a] + [_f(s.arm_means[a].get(c), 4 if c.startswith("fpr") else 3) for c in s.columns] for a in s.arms]
    lines += _grid(head, rows)
    if detectors and s.detectors:
        lines.append("")
        ctrl = "vs best control"
        rows = [
            [
                d.model,
                _f(d.means.get(BASELINE)),
                _f(d.means.get(SYNTHETIC)),
                _short(d.vs_baseline),
                d.vs_control.versus if d.vs_control else "n/a",
                _short(d.vs_control),
            ]
            for d in s.detectors
        ]
        lines += _grid(["detector", BASELINE, SYNTHETIC, "vs baseline", "best control", ctrl], rows)
    return lines


def _grid(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(
        str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
    ).rstrip()
    return [fmt(head)] + [fmt(r) for r in rows]


def answer_text(run_dir: Path, width: int = TERMINAL_WIDTH, max_lines: int = 36) -> str:
    """What `anomalygen run` prints at its end: the verdict block (at most `max_lines` lines of at most `width`
    columns where the detector names allow), or, without a labelled comparison, the head of summary.md."""
    run = RunDir(Path(run_dir))
    settings, why = read_answer(run)
    if not settings:
        summary = run.path(layout.EVALUATE_SUMMARY)
        if summary is None:
            return why or ""
        lines = summary.read_text(encoding="utf-8").splitlines()
        cut = lines[: max_lines - 1]
        if len(lines) > len(cut):
            cut.append(f"... {len(lines) - len(cut)} more lines in summary.md")
        return "\n".join(cut)
    blocks = [setting_text(s, width) for s in settings]
    if sum(len(b) + 1 for b in blocks) > max_lines:  # several settings: the per-detector tables stay in summary.md
        blocks = [setting_text(s, width, detectors=False) for s in settings]
    lines = [x for b in blocks for x in (*b, "")]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [f"... {len(settings)} settings: the rest is in summary.md"]
    return "\n".join(lines).rstrip("\n")
