"""The answer first: the verdict sentence, each arm's mean of models, and one compact figure of every detector's
arms side by side with their spread over seeds. The full verdict table and every arm's means follow in
"Detectors"; every paired comparison is in evaluate/paired.csv.

The figure is inline SVG rather than a PNG so that it stays sharp and narrow enough for a laptop screen, and
its text can be searched."""

from __future__ import annotations

from anomalygen.report.answer import LABELS, Detector, Setting, read_answer
from anomalygen.report.load import RunDir
from anomalygen.report.markup import esc, note, table

ID = "answer"
TITLE = "Answer: does synthetic data help?"

# one colour per arm in order of appearance (baseline grey, synthetic blue), colour-blind safe
PALETTE = ("#888888", "#1f77b4", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#000000")
ROW, LEFT, RIGHT, WIDTH = 22, 150, 20, 640


def _verdict_class(setting: Setting) -> str:
    v = setting.overall.vs_baseline.verdict if setting.overall.vs_baseline else ""
    c = setting.overall.vs_control.verdict if setting.overall.vs_control else v
    if v == "better" and c == "better":
        return "pos"
    return "neg" if "worse" in (v, c) else ""


def figure(s: Setting) -> str:
    """Per detector (mean of models first): each arm's mean as a dot and its seeds' range as a line."""
    rows: list[Detector] = [s.overall, *s.detectors]
    arms = [a for a in s.arms if any(a in d.means for d in rows)]
    colour = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(arms)}
    lo = min(0.0, *(v for d in rows for vs in d.seeds.values() for v in vs))
    hi = max(1.0, *(v for d in rows for vs in d.seeds.values() for v in vs))
    plot_w = WIDTH - LEFT - RIGHT
    x = lambda v: LEFT + (v - lo) / (hi - lo) * plot_w
    top = 28
    height = top + ROW * len(rows) + 24
    parts = [
        f'<svg class="answer-fig" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" role="img" '
        f'aria-label="{esc(LABELS.get(s.metric, s.metric))} per detector and arm">'
    ]
    lx: float = LEFT
    for a in arms:  # the legend, on one line above the plot
        parts.append(
            f'<circle cx="{lx + 5}" cy="10" r="4" fill="{colour[a]}"/>'
            f'<text x="{lx + 12}" y="14" font-size="11">{esc(a)}</text>'
        )
        lx += 24 + 6.5 * len(a)
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        if lo <= t <= hi:
            parts.append(
                f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top - 4}" y2="{height - 20}" stroke="#e5e5e5"/>'
                f'<text x="{x(t):.1f}" y="{height - 6}" font-size="10" text-anchor="middle">{t:g}</text>'
            )
    step = (ROW - 8) / max(1, len(arms) - 1)
    for i, d in enumerate(rows):
        y0 = top + i * ROW
        weight = ' font-weight="bold"' if i == 0 else ""
        parts.append(
            f'<text x="{LEFT - 8}" y="{y0 + ROW / 2 + 4:.1f}" font-size="11" text-anchor="end"{weight}>'
            f"{esc(d.model)}</text>"
        )
        for j, a in enumerate(arms):
            if a not in d.means:
                continue
            y = y0 + 4 + j * step
            vs = d.seeds[a]
            parts.append(
                f'<line x1="{x(min(vs)):.1f}" x2="{x(max(vs)):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{colour[a]}" stroke-width="1.5"/>'
                f'<circle cx="{x(d.means[a]):.1f}" cy="{y:.1f}" r="3" fill="{colour[a]}">'
                f"<title>{esc(d.model)}, {esc(a)}: mean {d.means[a]:.3f}, seeds {min(vs):.3f} to "
                f"{max(vs):.3f}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _setting_html(s: Setting) -> str:
    cls = _verdict_class(s)
    parts = [f'<p class="answer {cls}"><strong>{esc(s.sentence())}</strong></p>']
    if s.by_detector():
        parts.append(f"<p>{esc(s.by_detector())}</p>")
    head = ["arm (mean of models)"] + [LABELS.get(c, c) for c in s.columns]
    parts.append('<div class="answer-row">')  # table and figure side by side where the screen is wide enough
    parts.append(
        table(
            head,
            [
                [esc(a)]
                + [
                    "n/a" if (v := s.arm_means[a].get(c)) is None else f"{v:.{4 if c.startswith('fpr') else 3}f}"
                    for c in s.columns
                ]
                for a in s.arms
            ],
            raw=True,
        )
    )
    parts.append(
        f"<figure>{figure(s)}<figcaption>{esc(LABELS.get(s.metric, s.metric))} per detector: dot = mean "
        f"over {s.n_seeds} seeds, line = lowest to highest seed; the first row is the mean of models"
        "</figcaption></figure></div>"
    )
    return "".join(parts)


def render(run: RunDir) -> str:
    settings, why = read_answer(run)
    if not settings:
        return note(why or "no answer", "missing")
    return "".join(_setting_html(s) for s in settings) + note(
        "verdicts need a paired t-test over seeds with p < 0.05; the per-detector table is under Detectors, "
        "every paired comparison in evaluate/paired.csv and evaluate/summary.md",
        "info",
    )
