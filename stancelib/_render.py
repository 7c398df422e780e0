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


def prediction_table(predictions: Sequence[Prediction]) -> str:
    """Return one line per prediction: tone, its probability, the topics, the text."""
    lines = []
    for p in predictions:
        topics_text = ", ".join(f"{t} {p.topic_scores[t]:.2f}" for t in p.topics) or "off-agenda"
        lines.append(f"{p.tone:<11} {p.tone_scores[p.tone]:.2f}  {topics_text:<36}  {clip(p.text, 70)}\n")
    return "".join(lines)


def document_report(analysis: DocumentAnalysis) -> str:
    """Return the human-readable report of a `DocumentAnalysis`."""
    lines = []
    n = len(analysis.sentences)
    score = analysis.tone_score
    lines.append(
        f"Document: {n} sentence{'s' if n != 1 else ''}, overall tone {analysis.tone}"
        + (f" (score {score:+.2f})" if score is not None else "")
    )
    lines.append("")
    if analysis.topic_summaries:
        tones = list(analysis.tone_scores)
        header = (
            f"{'topic':<14}{'sentences':>10}  "
            + "".join(f"{t:>12}" for t in tones)
            + f"{'score':>8}  driving sentences"
        )
        lines.append(header)
        lines.append("-" * len(header))
        for summary in analysis.topic_summaries.values():
            shares = "".join(f"{summary.tone_shares[t]:>12.0%}" for t in tones)
            sc = f"{summary.tone_score:+8.2f}" if summary.tone_score is not None else f"{'':>8}"
            drivers = ", ".join(f"#{i + 1}" for i in summary.drivers)
            lines.append(f"{summary.topic:<14}{summary.count:>10}  {shares}{sc}  {drivers}")
    else:
        lines.append("No agenda topic found.")
    lines.append("")
    lines.append("Sentences")
    for s in analysis.sentences:
        p = s.prediction
        topics = ", ".join(p.topics) or "off-agenda"
        lines.append(f"#{s.index + 1:<3} {p.tone:<11} {p.tone_scores[p.tone]:.2f}  [{topics}]")
        lines.append(f"     {clip(p.text, 100)}")
    return "\n".join(lines)


def explanation_text(e: Explanation, top: int) -> str:
    """Return the readable explanation: per label, the `top` features for and against it."""
    p = e.prediction
    lines = [
        f"{clip(p.text, 100)}",
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
    """Return the model's identity, labels, thresholds and headline dev metrics."""
    name = model.metadata.get("name", "unnamed")
    lines = [
        f"model: {model.model_id}",
        f"name: {name}, version {model.version}, arrays sha256 {model.checksum or '(not saved)'}",
        f"features: {len(model.vocabulary)}; topics: {', '.join(model.topics)}; tones: {', '.join(model.tones)}",
        f"thresholds: {dict(zip(model.topics, model.thresholds))}",
    ]
    dev: Any = dict(model.metadata).get("metrics", {}).get("dev")
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
