"""Plots drawn for the report (matplotlib, Agg backend), returned as PNG bytes so they can be embedded."""

from __future__ import annotations

import io


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def short_entry(entry: str, width: int = 48) -> str:
    """`com.example.pkg.Class#method(args)` -> `Class#method(args)`, cut to `width` characters, `$` escaped."""
    head, sep, tail = entry.partition("#")
    name = head.rsplit(".", 1)[-1] + sep + tail
    name = name if len(name) <= width else name[: width - 1] + "…"
    return name.replace("$", r"\$")  # matplotlib would read $...$ as mathtext


def paths_bar(rows: list[dict]) -> bytes:
    """Horizontal grouped bars per entry: paths examined, infeasible, unknown, kept, distinct sequences, new.
    `rows`: dicts with those keys and `entry`; drawn top to bottom in the given order."""
    plt = _pyplot()
    keys = [
        ("paths", "examined", "#9e9e9e"),
        ("infeasible", "infeasible", "#d62728"),
        ("unknown", "unknown", "#ff7f0e"),
        ("kept", "kept (feasible)", "#2ca02c"),
        ("sequences", "distinct sequences", "#1f77b4"),
        ("new", "new (unseen in real logs)", "#9467bd"),
    ]
    n = len(rows)
    fig, ax = plt.subplots(figsize=(11, max(2.5, 0.55 * n * len(keys) / 3 + 1.2)))
    h = 0.8 / len(keys)
    for j, (k, label, color) in enumerate(keys):
        ys = [i + j * h for i in range(n)]
        ax.barh(ys, [max(0, int(r.get(k, 0))) for r in rows], h, label=label, color=color)
    ax.set_yticks([i + h * (len(keys) - 1) / 2 for i in range(n)], [short_entry(r["entry"]) for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("paths")
    ax.set_title("paths per entry point")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
