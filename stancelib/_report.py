"""The evaluation report: one self-contained HTML page with figures, written by ``stancelib evaluate --report DIR``.

The page (``DIR/index.html``) embeds its figures as PNG data, so it can be
mailed or archived as one file; ``DIR/metrics.json`` holds the numbers. The
figures: the tone confusion matrix, per-topic precision/recall/F1, per-topic
precision-recall curves with the threshold in use marked, the tone
calibration diagram; then the misclassified sentences with the n-grams that
pushed each wrong label. Needs the ``report`` extra (matplotlib).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._loading import load_model
from ._metrics import evaluate_arrays, metric_text, targets
from ._model import Model

if TYPE_CHECKING:
    from ._dataset import Record

__all__ = ["evaluation_report", "write_report", "data_warnings"]

#: How many misclassified sentences the page lists.
MAX_ERRORS = 60

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 2rem auto;
       max-width: 70rem; padding: 0 1rem; color: #1d1d1f; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.meta { color: #555; }
.warn { background: #fff4d6; border-left: 4px solid #e0a800; padding: 0.5rem 1rem; }
.grid { display: flex; flex-wrap: wrap; gap: 1rem; } figure { margin: 0; }
figcaption { color: #555; font-size: 0.9rem; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e5e5e5;
       text-align: left; vertical-align: top; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.na { color: #999; } code { font-size: 0.85rem; } .pos { color: #0a6; } .neg { color: #c22; }
"""


def _img(fig: Any, alt: str) -> str:
    from ._plots import to_bytes

    data = base64.b64encode(to_bytes(fig, "png")).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _metrics_table(metrics: dict[str, Any], head: str) -> str:
    rows = ["<table><tr><th>" + head[:-1] + "</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"]
    for name, v in metrics[head].items():
        cells = []
        for k in ("precision", "recall", "f1"):
            text = metric_text(metrics, f"{head}.{name}.{k}")
            cls = "num na" if text == "n/a" else "num"
            cells.append(f'<td class="{cls}">{text}</td>')
        rows.append(f"<tr><td>{html.escape(name)}</td>{''.join(cells)}<td class='num'>{v['support']}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _contributions(model: Model, text: str, labels: Sequence[str], top: int) -> str:
    from ._explanation import explain_with

    e = explain_with(model, text)
    parts = []
    for part in (*e.topic_explanations, e.tone):
        if part.label not in labels:
            continue
        items = ", ".join(
            f'<span class="{"pos" if c.value > 0 else "neg"}">{html.escape(c.feature)} {c.value:+.2f}</span>'
            for c in part.top(top)
        )
        parts.append(f"<b>{html.escape(part.label)}</b>: {items or '(bias only)'}")
    return "<br>".join(parts)


def write_report(
    model: Model,
    records: Sequence[Record],
    directory: str | os.PathLike[str],
    *,
    data_name: str = "",
    warnings: Sequence[str] = (),
    top: int = 5,
) -> Path:
    """Evaluate `model` on `records` and write ``index.html`` and ``metrics.json`` into `directory`.

    Returns
    -------
    Path
        The page.
    """
    from ._plots import calibration_figure, confusion_figure, pr_curves_figure, prf_figure, require_matplotlib

    require_matplotlib()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    truth, tone_true = targets(records, model.topics, model.tones)
    scores = model.score_batch([r.text for r in records])
    pred_topics = scores.topic_probs >= np.asarray(model.thresholds)
    tone_pred = scores.tone_probs.argmax(axis=1)
    metrics = evaluate_arrays(model.topics, model.tones, truth, pred_topics, tone_true, tone_pred)
    name = model.model_id
    (out / "metrics.json").write_text(json.dumps({"model": name, **metrics}, indent=2) + "\n", encoding="utf-8")

    per_topic = {
        t: {k: None if f"topics.{t}.{k}" in metrics["undefined"] else v[k] for k in ("precision", "recall", "f1")}
        for t, v in metrics["topics"].items()
    }
    confidence = scores.tone_probs.max(axis=1)
    figures = [
        (confusion_figure(metrics["tone_confusion"], model.tones), "Tone confusion matrix"),
        (prf_figure(per_topic), "Per-topic precision, recall and F1"),
        (pr_curves_figure(model.topics, truth, scores.topic_probs, model.thresholds), "Precision-recall per topic"),
        (calibration_figure(confidence, tone_pred == tone_true), "Tone calibration"),
    ]
    wrong = [i for i in range(len(records)) if tone_pred[i] != tone_true[i] or (pred_topics[i] != truth[i]).any()]
    error_rows = []
    for i in wrong[:MAX_ERRORS]:
        r = records[i]
        predicted = [t for t, f in zip(model.topics, pred_topics[i]) if f]
        tone = model.tones[int(tone_pred[i])]
        labels = [t for t in (*predicted, *r.topics) if (t in predicted) != (t in r.topics)]
        if tone != r.tone:
            labels.append(tone)
        error_rows.append(
            "<tr>"
            f"<td class='num'>{i}</td><td>{html.escape(r.text)}</td>"
            f"<td>{html.escape(', '.join(r.topics) or 'off-agenda')}<br><i>{html.escape(r.tone)}</i></td>"
            f"<td>{html.escape(', '.join(predicted) or 'off-agenda')}<br><i>{html.escape(tone)}</i></td>"
            f"<td>{_contributions(model, r.text, labels, top)}</td>"
            "</tr>"
        )
    thresholds = ", ".join(f"{t} {th:.2f}" for t, th in zip(model.topics, model.thresholds))
    warn = "".join(f'<p class="warn">{html.escape(w)}</p>' for w in warnings)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stancelib evaluation: {html.escape(name)}</title>
<style>{_CSS}</style></head>
<body>
<h1>Evaluation of {html.escape(name)}</h1>
<p class="meta">{metrics["n"]} sentences from {html.escape(data_name or "the given records")};
thresholds: {html.escape(thresholds)}</p>
{warn}
<p>Topic micro-F1 <b>{metrics["topic_micro_f1"]:.3f}</b>, macro-F1 <b>{metrics["topic_macro_f1"]:.3f}</b>,
exact match {metric_text(metrics, "topic_exact_match")}, off-agenda accuracy
{metric_text(metrics, "offagenda_accuracy")}; tone accuracy <b>{metric_text(metrics, "tone_accuracy")}</b>,
macro-F1 <b>{metrics["tone_macro_f1"]:.3f}</b>. Undefined values (0/0 on this data) read n/a.</p>
<h2>Figures</h2>
<div class="grid">
{"".join(f"<figure>{_img(fig, alt)}<figcaption>{html.escape(alt)}</figcaption></figure>" for fig, alt in figures)}
</div>
<h2>Topics</h2>
{_metrics_table(metrics, "topics")}
<h2>Tones</h2>
{_metrics_table(metrics, "tones")}
<h2>Misclassified sentences ({len(wrong)}{f", first {MAX_ERRORS} shown" if len(wrong) > MAX_ERRORS else ""})</h2>
<p class="meta">Index counts records from 0, as in the JSON output. Contributions: the top n-grams for each wrong
label (green pushed towards it, red away from it), from <code>stancelib explain</code>.</p>
<table><tr><th>index</th><th>sentence</th><th>true</th><th>predicted</th><th>top n-gram contributions</th></tr>
{"".join(error_rows)}
</table>
</body></html>
"""
    page_path = out / "index.html"
    page_path.write_text(page, encoding="utf-8")
    return page_path


def evaluation_report(
    data: str | os.PathLike[str],
    directory: str | os.PathLike[str],
    *,
    model: Model | str | None = None,
    thresholds: Mapping[str, float] | None = None,
    top: int = 5,
) -> Path:
    """Evaluate a model on labelled data and write an HTML report with figures; needs the ``report`` extra.

    Parameters
    ----------
    data : path-like
        Labelled ``.jsonl`` or ``.csv`` (``text``, ``topics``, ``tone``), as for ``stancelib evaluate``.
    directory : path-like
        Created if needed; gets ``index.html`` (self-contained) and ``metrics.json``.
    model : Model, str or None
        As for `stancelib.predict`.
    thresholds : mapping of str to float, optional
        Per-topic threshold overrides (see `Model.with_thresholds`).
    top : int
        N-gram contributions shown per wrong label.

    Returns
    -------
    Path
        The page, ``directory/index.html``.
    """
    from ._dataset import read_records

    m = load_model(model)
    if thresholds:
        m = m.with_thresholds(thresholds)
    records = read_records(data)
    return write_report(
        m, records, directory, data_name=os.fspath(data), warnings=data_warnings(m, records, data), top=top
    )


def data_warnings(model: Model, records: Sequence[Record], data: str | os.PathLike[str]) -> list[str]:
    """Warnings about evaluating `model` on `records`: they are the model's own training data."""
    trained: Any = dict(model.metadata).get("training", {})
    recorded = trained.get("data_sha256") if isinstance(trained, Mapping) else None
    if not recorded or not records:
        return []
    h = hashlib.sha256()
    for r in records:  # as stancelib._fit.data_hash does
        h.update(r.to_json().encode("utf-8"))
        h.update(b"\n")
    if h.hexdigest() != recorded:
        return []
    return [
        f"{os.fspath(data)} is the data this model was trained on: these figures overstate how well it "
        "does on new text; evaluate on held-out data (e.g. --dev at training time)"
    ]
