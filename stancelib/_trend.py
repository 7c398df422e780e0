"""Tone over time: per topic and period, sentence counts and the mean tone score with an uncertainty band.

Every document is segmented and labelled as by `stancelib.analyze`; each
sentence carrying a topic contributes its tone score P(cooperative) -
P(critical) to that topic's period (and every sentence to the ``all`` row).
The band is the normal interval of the mean over sentences, mean ± z · sd /
sqrt(n) with the sample standard deviation, clipped to [-1, 1]; a period with
one sentence has no band. Sentences of one document are not independent, so
read the band as a lower bound on the uncertainty.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any

from ._document import tone_from_score
from ._loading import load_model
from ._model import Model
from ._segment import segment
from .errors import DataError, InputError

__all__ = ["FREQS", "ALL", "Trend", "TrendRow", "trend", "read_documents", "period_of"]

#: Period lengths `trend` groups by.
FREQS = ("day", "week", "month", "quarter", "year")
#: The row over every sentence of a period, whatever its topics.
ALL = "all"


def period_of(day: date, freq: str) -> str:
    """Return the label of the period holding `day`: ``2025-03-04``, ``2025-W09``, ``2025-03``, ``2025-Q1`` or ``2025``.

    Examples
    --------
    >>> [period_of(date(2025, 3, 4), f) for f in FREQS]
    ['2025-03-04', '2025-W10', '2025-03', '2025-Q1', '2025']
    """
    if freq == "day":
        return day.isoformat()
    if freq == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if freq == "month":
        return f"{day.year}-{day.month:02d}"
    if freq == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if freq == "year":
        return str(day.year)
    raise InputError(f"freq must be one of {list(FREQS)}, got {freq!r}")


@dataclass(frozen=True, slots=True)
class TrendRow:
    """One topic in one period.

    Attributes
    ----------
    topic : str
        A topic name, or ``"all"`` for every sentence of the period.
    period : str
        As `period_of` writes it.
    n_documents, n_sentences : int
        Documents with at least one such sentence, and the sentences.
    tone_score : float
        Mean P(cooperative) - P(critical) over the sentences, in [-1, 1].
    low, high : float or None
        The uncertainty band of `tone_score` (None for a single sentence).
    tone : str
        What `tone_score` reads as (the rule of `stancelib.analyze`).
    """

    topic: str
    period: str
    n_documents: int
    n_sentences: int
    tone_score: float
    low: float | None
    high: float | None
    tone: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Trend:
    """The result of `trend`: rows ordered by topic (``all`` first), then period.

    Attributes
    ----------
    rows : tuple of TrendRow
    freq : str
    confidence : float
        Coverage of the band, e.g. 0.95.
    model : str
        The model's name and version that labelled the sentences.
    """

    rows: tuple[TrendRow, ...]
    freq: str
    confidence: float
    model: str

    @property
    def topics(self) -> tuple[str, ...]:
        """Topics with at least one row, ``all`` first."""
        return tuple(dict.fromkeys(r.topic for r in self.rows))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: settings and rows."""
        return {
            "freq": self.freq,
            "confidence": self.confidence,
            "model": self.model,
            "rows": [r.to_dict() for r in self.rows],
        }

    def to_csv(self) -> str:
        """Return the rows as CSV with a header (six decimals, empty band where undefined)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["topic", "period", "n_documents", "n_sentences", "tone_score", "low", "high", "tone"])
        for r in self.rows:
            writer.writerow(
                [
                    r.topic,
                    r.period,
                    r.n_documents,
                    r.n_sentences,
                    f"{r.tone_score:.6f}",
                    "" if r.low is None else f"{r.low:.6f}",
                    "" if r.high is None else f"{r.high:.6f}",
                    r.tone,
                ]
            )
        return buf.getvalue()

    def save_chart(self, path: str | os.PathLike[str], *, topics: Sequence[str] | None = None) -> Path:
        """Draw the tone score with its band and the sentence counts per period (PNG or SVG by suffix).

        Needs the ``report`` extra (matplotlib).
        """
        from ._plots import trend_chart

        return trend_chart(self, Path(path), topics=topics)


def read_documents(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read documents from a ``.jsonl`` file (one JSON object a line) or a ``.csv`` file with a header.

    Raises
    ------
    DataError
        For a line that is not a JSON object; the message names the line.
    InputError
        If the file does not exist.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    with open(p, encoding="utf-8-sig", newline="") as f:
        if p.suffix.lower() == ".csv":
            return [dict(row, __line__=i) for i, row in enumerate(csv.DictReader(f), start=2)]
        docs = []
        for i, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError([f"{p}:{i}: not valid JSON ({exc.msg})"]) from None
            if not isinstance(record, dict):
                raise DataError([f"{p}:{i}: expected a JSON object, got {type(record).__name__}"])
            record["__line__"] = i
            docs.append(record)
    return docs


def _parse_date(value: Any, where: str, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
        except ValueError:
            pass
    raise DataError([f"{where}: field {field!r} is {value!r}, not an ISO date such as 2025-03-04"])


def trend(
    documents: Iterable[Mapping[str, Any]] | str | os.PathLike[str],
    *,
    date_field: str = "date",
    text_field: str = "text",
    freq: str = "month",
    model: Model | str | None = None,
    thresholds: Mapping[str, float] | None = None,
    confidence: float = 0.95,
) -> Trend:
    """Tone per topic over time: sentence counts and the mean tone score with a band, per period.

    Parameters
    ----------
    documents : iterable of mappings, or a path
        Records with a date and a text field, or a ``.jsonl``/``.csv`` file of them.
    date_field, text_field : str
        The record fields holding the date (ISO, e.g. ``2025-03-04``) and the text.
    freq : {"day", "week", "month", "quarter", "year"}
    model : Model, str or None
        As for `stancelib.predict`.
    thresholds : mapping of str to float, optional
        Per-topic threshold overrides (see `Model.with_thresholds`).
    confidence : float
        Coverage of the normal band, in (0, 1).

    Returns
    -------
    Trend
        ``rows`` per topic (``all`` first) and period, in time order; periods
        without a sentence on a topic have no row for it.

    Raises
    ------
    DataError
        For a record without the fields, or with a date that is not ISO.

    Examples
    --------
    >>> t = trend([{"date": "2025-01-05", "text": "We condemn Iran's enrichment. Talks resume."},
    ...            {"date": "2025-02-10", "text": "We welcome the new round of talks with Iran."}])
    >>> [(r.period, r.n_sentences) for r in t.rows if r.topic == "iran"]
    [('2025-01', 1), ('2025-02', 1)]
    """
    if freq not in FREQS:
        raise InputError(f"freq must be one of {list(FREQS)}, got {freq!r}")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be in (0, 1), got {confidence!r}")
    source = "document"
    if isinstance(documents, (str, os.PathLike)):
        source = os.fspath(documents)
        documents = read_documents(documents)
    m = load_model(model)
    if thresholds:
        m = m.with_thresholds(thresholds)
    polar = "cooperative" in m.tones and "critical" in m.tones
    if not polar:
        raise InputError(f"trend needs a model with cooperative and critical tones; this one has {list(m.tones)}")
    # (topic, period) -> [scores], {document numbers}
    scores: dict[tuple[str, str], list[float]] = {}
    docs_in: dict[tuple[str, str], set[int]] = {}
    problems: list[str] = []
    texts: list[str] = []
    owners: list[tuple[int, str]] = []
    for number, record in enumerate(documents):
        where = f"{source}:{record.get('__line__', number + 1)}" if source != "document" else f"document {number}"
        if date_field not in record or text_field not in record:
            missing = [f for f in (date_field, text_field) if f not in record]
            problems.append(f"{where}: no field {missing[0]!r} (use --date-field / --text-field to name it)")
            continue
        text = record[text_field]
        if not isinstance(text, str):
            problems.append(f"{where}: field {text_field!r} is {type(text).__name__}, not a string")
            continue
        try:
            period = period_of(_parse_date(record[date_field], where, date_field), freq)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        for start, end in segment(text):
            texts.append(text[start:end])
            owners.append((number, period))
    if problems:
        raise DataError(problems)
    batch = m.score_batch(texts)
    coop, crit = m.tones.index("cooperative"), m.tones.index("critical")
    lean = (batch.tone_probs[:, coop] - batch.tone_probs[:, crit]).tolist()
    flags = (batch.topic_probs >= list(m.thresholds)).tolist()
    for (doc, period), score, row in zip(owners, lean, flags):
        for topic in (ALL, *(t for t, f in zip(m.topics, row) if f)):
            scores.setdefault((topic, period), []).append(score)
            docs_in.setdefault((topic, period), set()).add(doc)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    order = {t: i for i, t in enumerate((ALL, *m.topics))}
    rows = []
    for (topic, period), values in sorted(scores.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        n = len(values)
        mean = math.fsum(values) / n
        low = high = None
        if n > 1:
            sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
            half = z * sd / math.sqrt(n)
            low, high = max(-1.0, mean - half), min(1.0, mean + half)
        rows.append(TrendRow(topic, period, len(docs_in[(topic, period)]), n, mean, low, high, tone_from_score(mean)))
    return Trend(tuple(rows), freq, confidence, m.model_id)
