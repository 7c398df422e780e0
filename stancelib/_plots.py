"""Figures for the evaluation report and the trend chart (matplotlib, behind the ``report`` extra).

Only `stancelib._report` and `stancelib._trend` import this module, and only
when a figure is asked for: the predict path never loads matplotlib. Figures
are built with `matplotlib.figure.Figure` directly (no pyplot, no global
backend switch), so drawing works the same in a notebook, a script and a
headless server.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputError, MissingExtraError

if TYPE_CHECKING:
    from ._trend import Trend

__all__ = [
    "require_matplotlib",
    "figure",
    "to_bytes",
    "trend_chart",
    "confusion_figure",
    "prf_figure",
    "pr_curves_figure",
    "calibration_figure",
]


def require_matplotlib() -> Any:
    """Import matplotlib's Figure class, or raise `MissingExtraError` saying how to install it."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtraError('figures need the report extra: pip install "stancelib[report]"') from None
    return Figure


def figure(width: float, height: float) -> Any:
    """Return a new matplotlib Figure of `width` by `height` inches, laid out automatically."""
    return require_matplotlib()(figsize=(width, height), layout="constrained")


def to_bytes(fig: Any, fmt: str = "png") -> bytes:
    """Return the figure as PNG or SVG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    return buf.getvalue()


def trend_chart(t: Trend, path: Path, *, topics: Sequence[str] | None = None) -> Path:
    """Write the trend chart: tone score with its band per topic (top), sentences per period (bottom)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise InputError(f"{path}: the chart is written as .png or .svg; choose one of those suffixes")
    chosen = list(topics) if topics else [x for x in t.topics if x != "all"][:6] or list(t.topics)
    periods = sorted({r.period for r in t.rows})
    x = {p: i for i, p in enumerate(periods)}
    fig = figure(10, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.4])
    width = 0.8 / max(len(chosen), 1)
    for j, topic in enumerate(chosen):
        rows = [r for r in t.rows if r.topic == topic]
        if not rows:
            continue
        xs = np.array([x[r.period] for r in rows], dtype=float)
        ys = np.array([r.tone_score for r in rows])
        (line,) = top.plot(xs, ys, marker="o", label=topic)
        lo = np.array([r.low if r.low is not None else r.tone_score for r in rows])
        hi = np.array([r.high if r.high is not None else r.tone_score for r in rows])
        top.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)
        bottom.bar(xs - 0.4 + width * (j + 0.5), [r.n_sentences for r in rows], width, color=line.get_color())
    from ._document import NEUTRAL_BAND

    top.axhspan(-NEUTRAL_BAND, NEUTRAL_BAND, color="0.85", alpha=0.5, label="neutral band")
    top.axhline(0, color="0.4", linewidth=0.8)
    top.set_ylim(-1.05, 1.05)
    top.set_ylabel("tone score  P(coop) − P(crit)")
    top.set_title(f"Tone per {t.freq} ({t.confidence:.0%} band over sentences; model {t.model})")
    top.legend(loc="upper left", fontsize=8, ncols=min(len(chosen) + 1, 4))
    top.grid(alpha=0.3)
    bottom.set_ylabel("sentences")
    bottom.set_xticks(range(len(periods)), periods, rotation=45, ha="right", fontsize=8)
    bottom.grid(axis="y", alpha=0.3)
    path.write_bytes(to_bytes(fig, fmt))
    return path


def confusion_figure(confusion: Sequence[Sequence[int]], tones: Sequence[str]) -> Any:
    """Draw the tone confusion matrix, rows true, columns predicted, counts and row shares."""
    c = np.asarray(confusion, dtype=float)
    shares = c / np.maximum(c.sum(axis=1, keepdims=True), 1)
    fig = figure(5, 4.2)
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(tones)):
        for j in range(len(tones)):
            color = "white" if shares[i, j] > 0.6 else "black"
            ax.text(j, i, f"{int(c[i, j])}\n{shares[i, j]:.0%}", ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(len(tones)), tones)
    ax.set_yticks(range(len(tones)), tones)
    ax.set_xlabel("predicted tone")
    ax.set_ylabel("true tone")
    ax.set_title("Tone confusion (row shares)")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def prf_figure(per_topic: dict[str, dict[str, float | None]]) -> Any:
    """Draw grouped bars of precision, recall and F1 per topic (undefined values left out and marked n/a)."""
    names = list(per_topic)
    fig = figure(8, 3.8)
    ax = fig.subplots()
    xs = np.arange(len(names))
    for k, metric in enumerate(("precision", "recall", "f1")):
        values = [per_topic[n][metric] for n in names]
        heights = [v if v is not None else 0.0 for v in values]
        bars = ax.bar(xs + (k - 1) * 0.27, heights, 0.27, label=metric)
        for bar, v in zip(bars, values):
            if v is None:
                ax.text(bar.get_x() + bar.get_width() / 2, 0.02, "n/a", ha="center", fontsize=7, rotation=90)
    ax.set_xticks(xs, names, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title("Topics: precision, recall and F1 at the model's thresholds")
    ax.legend(fontsize=8, ncols=3, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    return fig


def pr_curves_figure(topics: Sequence[str], truth: np.ndarray, probs: np.ndarray, thresholds: Sequence[float]) -> Any:
    """Draw per topic the precision-recall curve with the model's threshold marked."""
    cols = 3
    rows = max(1, -(-len(topics) // cols))
    fig = figure(10, 3.0 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, j in zip(axes, range(len(topics))):
        y, p = truth[:, j].astype(bool), probs[:, j]
        ax.set_title(topics[j], fontsize=10)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall", fontsize=8)
        ax.set_ylabel("precision", fontsize=8)
        ax.grid(alpha=0.3)
        if not y.any():
            ax.text(0.5, 0.5, "no examples: n/a", ha="center", va="center")
            continue
        order = np.argsort(-p, kind="stable")
        tp = np.cumsum(y[order])
        k = np.arange(1, len(p) + 1)
        ax.plot(tp / y.sum(), tp / k, linewidth=1.4)
        th = thresholds[j]
        picked = p >= th
        if picked.any():
            prec = float((y & picked).sum() / picked.sum())
            rec = float((y & picked).sum() / y.sum())
            ax.plot([rec], [prec], "o", color="crimson", label=f"threshold {th:.2f}")
            ax.legend(fontsize=7, loc="lower left")
    for ax in axes[len(topics) :]:
        ax.set_visible(False)
    fig.suptitle("Precision-recall per topic (dot: the threshold in use)")
    return fig


def calibration_figure(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> Any:
    """Draw the reliability diagram of the predicted tone's probability, with the count per bin."""
    fig = figure(5, 4.2)
    ax = fig.subplots()
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges) - 1, 0, bins - 1)
    xs, ys, ns = [], [], []
    for b in range(bins):
        sel = which == b
        if sel.any():
            xs.append(float(confidence[sel].mean()))
            ys.append(float(correct[sel].mean()))
            ns.append(int(sel.sum()))
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.5", label="perfect calibration")
    ax.plot(xs, ys, marker="o", label="tone")
    for x, y, n in zip(xs, ys, ns):
        ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted tone probability (binned)")
    ax.set_ylabel("share correct")
    ax.set_title("Tone calibration")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig
