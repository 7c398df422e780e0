"""Text for people: the prediction table, the document report, the explanation and model summaries.

Pure functions from result objects to strings; the command line prints them.
Machine-readable output (JSONL, CSV) is written by `stancelib._stream`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ._results import Prediction

if TYPE_CHECKING:
    from ._document import DocumentAnalysis
    from ._explanation import Explanation
    from ._model import Model

__all__ = ["clip", "prediction_table", "document_report", "explanation_text", "model_summary", "progress_printer"]


def clip(text: str, width: int) -> str:
    """Return `text` on one line, cut to `width` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _cut(text: str, width: int | None) -> str:
    """One line; cut to `width` with an ellipsis, or whole when `width` is None (output going to a file)."""
    return " ".join(text.split()) if width is None else clip(text, width)


def prediction_table(predictions: Sequence[Prediction], *, width: int | None = 70) -> str:
    """Return a header and one line per prediction: index (from 0), tone, its probability, the topics, the text.

    `width` cuts the text for a terminal; None leaves it whole (for a file or a pipe).
    """
    lines = [f"{'index':>5}  {'tone':<11} {'p':>4}  {'topics':<36}  text\n"]
    for i, p in enumerate(predictions):
        topics_text = ", ".join(f"{t} {p.topic_scores[t]:.2f}" for t in p.topics) or "off-agenda"
        lines.append(f"{i:>5}  {p.tone:<11} {p.tone_scores[p.tone]:.2f}  {topics_text:<36}  {_cut(p.text, width)}\n")
    return "".join(lines)


def document_report(analysis: DocumentAnalysis, *, width: int | None = 100) -> str:
    """Return the human-readable report of a `DocumentAnalysis`; sentences are numbered by index, from 0."""
    from ._document import NEUTRAL_BAND

    lines = []
    n = len(analysis.sentences)
    score = analysis.tone_score
    lines.append(
        f"Document: {n} sentence{'s' if n != 1 else ''}, overall tone {analysis.tone}"
        + (f" (score {score:+.2f}; neutral within ±{NEUTRAL_BAND:.2f})" if score is not None else "")
    )
    lines.append("")
    if analysis.topic_summaries:
        tones = list(analysis.tone_scores)
        header = (
            f"{'topic':<14}{'sentences':>10}  "
            + "".join(f"{t:>12}" for t in tones)
            + f"{'score':>8}  {'tone':<12}driving sentences (index)"
        )
        lines.append(header)
        lines.append("-" * len(header))
        for summary in analysis.topic_summaries.values():
            shares = "".join(f"{summary.tone_shares[t]:>12.0%}" for t in tones)
            sc = f"{summary.tone_score:+8.2f}" if summary.tone_score is not None else f"{'':>8}"
            drivers = ", ".join(str(i) for i in summary.drivers)
            lines.append(f"{summary.topic:<14}{summary.count:>10}  {shares}{sc}  {summary.tone:<12}{drivers}")
    else:
        lines.append("No agenda topic found.")
    lines.append("")
    lines.append("Sentences (index from 0, as in the JSON output and the API)")
    for s in analysis.sentences:
        p = s.prediction
        topics = ", ".join(p.topics) or "off-agenda"
        lines.append(f"{s.index:>5}  {p.tone:<11} {p.tone_scores[p.tone]:.2f}  [{topics}]")
        lines.append(f"       {_cut(p.text, width)}")
    return "\n".join(lines)


def explanation_text(e: Explanation, top: int) -> str:
    """Return the readable explanation: per label, the `top` features for and against it."""
    p = e.prediction
    lines = [
        " ".join(p.text.split()),
        f"topics: {', '.join(p.topics) or 'off-agenda'}    tone: {p.tone} ({p.tone_scores[p.tone]:.2f})",
    ]
    for part in (*e.topic_explanations, e.tone):
        what = f"topic {part.label}" if part.head == "topic" else f"tone {part.label} vs {part.versus}"
        lines.append("")
        lines.append(f"{what}: p={part.probability:.3f}  logit {part.logit:+.3f} = bias {part.bias:+.3f} + features")
        ups = [c for c in part.contributions if c.value > 0][:top]
        downs = sorted((c for c in part.contributions if c.value < 0), key=lambda c: c.value)[:top]
        for label, items in (("for", ups), ("against", downs)):
            if items:
                lines.append(f"  {label:<8}" + "   ".join(f"{c.feature} {c.value:+.3f}" for c in items))
    return "\n".join(lines)


def model_summary(model: Model) -> str:
    """Return the readable model summary: identity, size, labels, thresholds (overrides marked), dev metrics."""
    meta = dict(model.metadata)
    overrides: Any = meta.get("threshold_overrides") or {}
    lines = [
        f"model: {model.model_id}",
        f"name: {meta.get('name', 'unnamed')}, version {model.version}, sha256 {model.checksum or '(not saved)'}",
        f"kind: {'accurate (n-grams + sentence encoder)' if model.has_extra_logits else 'fast (n-grams)'}",
        f"features: {len(model.vocabulary):,}",
        f"topics: {', '.join(model.topics)}",
        f"tones: {', '.join(model.tones)}",
        "thresholds:",
    ]
    for topic, value in zip(model.topics, model.thresholds):
        was = overrides.get(topic, {}).get("from")
        note = f"  (overridden; the model's own: {was:.2f})" if was is not None else ""
        lines.append(f"  {topic:<14}{value:.2f}{note}")
    dev: Any = meta.get("metrics", {}).get("dev")
    if dev:
        lines.append(
            f"dev: topic micro-F1 {dev['topic_micro_f1']:.3f}, tone macro-F1 {dev['tone_macro_f1']:.3f} (n={dev['n']})"
        )
    return "\n".join(lines)


def progress_printer(out: TextIO, show: bool) -> Callable[[int, int, int], None]:
    """Return a progress callback for `run_batch` drawing records, rate, a bar and the ETA on `out`."""
    started = time.perf_counter()

    def progress(records: int, done: int, total: int) -> None:
        if not show:
            return
        elapsed = max(time.perf_counter() - started, 1e-9)
        rate = records / elapsed
        line = f"\r{records:,} records  {rate:,.0f}/s"
        if total and done:
            frac = min(done / total, 1.0)
            eta = elapsed * (1 - frac) / max(frac, 1e-9)
            bar = "#" * int(frac * 30)
            line += f"  [{bar:<30}] {frac:6.1%}  ETA {eta:,.0f}s"
        out.write(line)
        out.flush()

    return progress
