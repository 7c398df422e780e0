"""Evaluation metrics for both heads, numpy only (so `evaluate` needs no scikit-learn)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DataError

if TYPE_CHECKING:
    from ._dataset import Record
    from ._model import Model

__all__ = ["evaluate", "evaluate_arrays", "format_report", "metric_text", "targets"]


def targets(records: Sequence[Record], topics: Sequence[str], tones: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Topic indicator matrix and tone indices of `records`.

    Raises
    ------
    DataError
        If a record has a topic or tone outside the given label sets.
    """
    tindex = {t: j for j, t in enumerate(topics)}
    oindex = {t: j for j, t in enumerate(tones)}
    Y = np.zeros((len(records), len(topics)), dtype=bool)
    y = np.zeros(len(records), dtype=np.int64)
    problems = []
    for i, r in enumerate(records):
        for t in r.topics:
            if t not in tindex:
                problems.append(f"{r.source}:{r.line}: topic {t!r} is not one of the model's topics {list(topics)}")
            else:
                Y[i, tindex[t]] = True
        if r.tone not in oindex:
            problems.append(f"{r.source}:{r.line}: tone {r.tone!r} is not one of the model's tones {list(tones)}")
        else:
            y[i] = oindex[r.tone]
    if problems:
        raise DataError(problems)
    return Y, y


def evaluate(model: Model, records: Sequence[Record]) -> dict[str, Any]:
    """Metrics of `model` on labelled `records` (see `evaluate_arrays`)."""
    Y, y = targets(records, model.topics, model.tones)
    scores = model.score_batch([r.text for r in records])
    pred_topics = scores.topic_probs >= np.asarray(model.thresholds)
    pred_tone = scores.tone_probs.argmax(axis=1)
    return evaluate_arrays(model.topics, model.tones, Y, pred_topics, y, pred_tone)


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _undefined(prefix: str, tp: int, fp: int, fn: int) -> list[str]:
    """Names of the metrics of one label that are 0/0 on this data."""
    out = []
    if tp + fp == 0:
        out.append(f"{prefix}.precision")
    if tp + fn == 0:
        out.append(f"{prefix}.recall")
    if tp + fp + fn == 0:
        out.append(f"{prefix}.f1")
    return out


def evaluate_arrays(
    topics: Sequence[str],
    tones: Sequence[str],
    true_topics: np.ndarray,
    pred_topics: np.ndarray,
    true_tone: np.ndarray,
    pred_tone: np.ndarray,
) -> dict[str, Any]:
    """Metrics from indicator matrices and tone indices.

    Parameters
    ----------
    topics, tones : sequence of str
    true_topics, pred_topics : bool ndarray of shape (n, n_topics)
    true_tone, pred_tone : int ndarray of shape (n,)

    Returns
    -------
    dict
        ``topics`` (per-topic precision, recall, f1, support), ``topic_micro_f1``,
        ``topic_macro_f1``, ``topic_exact_match``, ``offagenda_accuracy``,
        ``tones`` (per-tone precision, recall, f1, support), ``tone_accuracy``,
        ``tone_macro_f1``, ``tone_confusion`` (rows true, columns predicted), ``n``,
        and ``undefined``: the metrics that have no value on this data (such
        as ``"topics.iran.precision"`` when nothing was predicted as iran, or
        ``"offagenda_accuracy"`` without off-agenda sentences), reported as
        0.0 in their place and printed as n/a.

    Examples
    --------
    >>> m = evaluate_arrays(["a"], ["x", "y"], np.array([[1], [0]], bool),
    ...                     np.array([[1], [1]], bool), np.array([0, 1]), np.array([0, 0]))
    >>> round(m["topic_micro_f1"], 3), m["tone_accuracy"]
    (0.667, 0.5)
    """
    t_true = np.asarray(true_topics, dtype=bool)
    t_pred = np.asarray(pred_topics, dtype=bool)
    per_topic = {}
    undefined: list[str] = []
    tp_all = fp_all = fn_all = 0
    for j, name in enumerate(topics):
        tp = int(np.sum(t_true[:, j] & t_pred[:, j]))
        fp = int(np.sum(~t_true[:, j] & t_pred[:, j]))
        fn = int(np.sum(t_true[:, j] & ~t_pred[:, j]))
        p, r, f = _prf(tp, fp, fn)
        per_topic[name] = {"precision": p, "recall": r, "f1": f, "support": int(t_true[:, j].sum())}
        undefined += _undefined(f"topics.{name}", tp, fp, fn)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
    micro = _prf(tp_all, fp_all, fn_all)[2]
    macro = float(np.mean([v["f1"] for v in per_topic.values()])) if per_topic else 0.0
    off_true = np.asarray(~t_true.any(axis=1))
    off_pred = np.asarray(~t_pred.any(axis=1))
    y_true = np.asarray(true_tone, dtype=np.int64)
    y_pred = np.asarray(pred_tone, dtype=np.int64)
    m = len(tones)
    confusion = np.zeros((m, m), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    per_tone = {}
    for j, name in enumerate(tones):
        tp = int(confusion[j, j])
        p, r, f = _prf(tp, int(confusion[:, j].sum()) - tp, int(confusion[j, :].sum()) - tp)
        per_tone[name] = {"precision": p, "recall": r, "f1": f, "support": int(confusion[j, :].sum())}
        undefined += _undefined(f"tones.{name}", tp, int(confusion[:, j].sum()) - tp, int(confusion[j, :].sum()) - tp)
    n = len(y_true)
    if not off_true.any():
        undefined.append("offagenda_accuracy")
    if not n:
        undefined += ["topic_exact_match", "tone_accuracy"]
    return {
        "n": n,
        "topics": per_topic,
        "topic_micro_f1": micro,
        "topic_macro_f1": macro,
        "topic_exact_match": float(np.mean(np.all(t_true == t_pred, axis=1))) if n else 0.0,
        "offagenda_accuracy": float(np.mean(off_pred[off_true])) if off_true.any() else 0.0,
        "tones": per_tone,
        "tone_accuracy": float(np.trace(confusion) / n) if n else 0.0,
        "tone_macro_f1": float(np.mean([v["f1"] for v in per_tone.values()])),
        "tone_confusion": confusion.tolist(),
        "undefined": undefined,
    }


def metric_text(metrics: dict[str, Any], name: str, width: int = 0) -> str:
    """Return a metric of `evaluate_arrays` output as text: three decimals, or ``n/a`` where it is undefined.

    `name` is a dotted path such as ``"topics.iran.precision"`` or ``"tone_accuracy"``.
    """
    value: Any = metrics
    for part in name.split("."):
        value = value[part]
    text = "n/a" if name in metrics.get("undefined", ()) else f"{value:.3f}"
    return f"{text:>{width}}"


def format_report(metrics: dict[str, Any], tones: Sequence[str]) -> str:
    """Return a plain-text report of `evaluate_arrays` output; undefined metrics read n/a."""

    def row(head: str, name: str, v: dict[str, Any]) -> str:
        cells = [
            metric_text(metrics, f"{head}.{name}.{k}", w) for k, w in (("precision", 10), ("recall", 8), ("f1", 8))
        ]
        return f"{name:<14}{''.join(cells)}{v['support']:>9d}"

    lines = [f"{'topic':<14}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for name, v in metrics["topics"].items():
        lines.append(row("topics", name, v))
    lines.append(
        f"topic micro-F1 {metrics['topic_micro_f1']:.3f}   macro-F1 {metrics['topic_macro_f1']:.3f}   "
        f"exact match {metric_text(metrics, 'topic_exact_match')}   "
        f"off-agenda accuracy {metric_text(metrics, 'offagenda_accuracy')}"
    )
    lines.append("")
    lines.append(f"{'tone':<14}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
    for name, v in metrics["tones"].items():
        lines.append(row("tones", name, v))
    lines.append(f"tone accuracy {metric_text(metrics, 'tone_accuracy')}   macro-F1 {metrics['tone_macro_f1']:.3f}")
    lines.append("")
    lines.append("tone confusion (rows: true, columns: predicted)")
    width = max(len(t) for t in tones) + 2
    lines.append(" " * width + "".join(f"{t:>{width}}" for t in tones))
    for t, row_ in zip(tones, metrics["tone_confusion"]):
        lines.append(f"{t:<{width}}" + "".join(f"{c:>{width}d}" for c in row_))
    return "\n".join(lines)
