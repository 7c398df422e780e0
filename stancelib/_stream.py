"""Streaming large files through a model: chunks, worker processes, ordered output, the CSV/JSONL rows.

Reading, labelling and writing happen chunk by chunk, with a bounded number
of chunks in flight, so memory stays flat however large the input is. Workers
parse records, predict and format output lines themselves; the main process
only moves text. Output goes to a temporary file beside the target and is
renamed into place only when the whole input was processed, so an
interrupted run never leaves a truncated file posing as complete.

The output rows are written by `format_rows` only, so that every command
writes the same CSV dialect: the record's own fields first, then the labels,
probabilities with six decimals.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ._batch import init_worker, resolve_n_jobs, worker_model
from ._loading import DEFAULT_MODEL, load_model
from ._model import Model
from ._results import Prediction
from .errors import BadRecordError, InputError

__all__ = ["BatchOptions", "BatchReport", "run_batch", "format_from_path", "format_rows"]

CHUNK = 2000


@dataclass(frozen=True)
class BatchOptions:
    """What `run_batch` does.

    Attributes
    ----------
    mode : {"predict", "analyze"}
        Label each record as one sentence, or as a document.
    input_format, output_format : {"txt", "jsonl", "csv"}
        Input ``txt`` is one text per line; output is ``jsonl`` or ``csv``.
    text_field : str
        Field of a JSONL record, or column of a CSV file, that holds the text.
    n_jobs : int
        Worker processes; 1 works in this process, -1 uses all cores.
    skip_bad : bool
        Report and skip records that cannot be read instead of stopping.
    model : str
        Model name or directory, loaded once in every worker.
    thresholds : tuple of (topic, threshold)
        Per-topic threshold overrides (see `Model.with_thresholds`).
    """

    mode: str = "predict"
    input_format: str = "txt"
    output_format: str = "jsonl"
    text_field: str = "text"
    n_jobs: int = 1
    skip_bad: bool = False
    model: str = DEFAULT_MODEL
    chunk_size: int = CHUNK
    thresholds: tuple[tuple[str, float], ...] = ()


@dataclass
class BatchReport:
    """What `run_batch` did: records written, records skipped (with their lines), time taken."""

    records: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def format_from_path(path: str, default: str = "txt") -> str:
    """Guess a file's format (``txt``, ``jsonl`` or ``csv``) from its suffix."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "tsv"):
        return "csv" if suffix == "csv" else default
    if suffix == "txt":
        return "txt"
    return default


# ------------------------------------------------------------------ workers
def _process_chunk(
    opts: BatchOptions, items: list[tuple[int, Any]], header: list[str] | None
) -> tuple[str, list[str], int]:
    """Parse, label and format one chunk; returns (output text, bad-record messages, count)."""
    model = worker_model(opts.model)
    if opts.thresholds:
        model = model.with_thresholds(dict(opts.thresholds))
    records: list[dict[str, Any]] = []
    texts: list[str] = []
    bad: list[str] = []
    for line, item in items:
        try:
            record, text = _parse(opts, line, item, header)
        except BadRecordError as exc:
            bad.append(f"{line}: {exc}")
            continue
        records.append(record)
        texts.append(text)
    if bad and not opts.skip_bad:
        return "", bad, 0
    buf = io.StringIO()
    if opts.mode == "predict":
        results = [p.to_dict() for p in model.predict(texts)]
    else:
        from ._document import analyze_with

        results = [_document_row(analyze_with(model, t)) for t in texts]
    for record, result in zip(records, results):
        _write_row(buf, opts, record, result, model)
    return buf.getvalue(), bad, len(records)


def _document_row(analysis: Any) -> dict[str, Any]:
    d = analysis.to_dict()
    return {
        "tone": d["tone"],
        "tone_scores": d["tone_scores"],
        "tone_score": d["tone_score"],
        "topic_summaries": d["topic_summaries"],
        "n_sentences": len(d["sentences"]),
    }


def _parse(opts: BatchOptions, line: int, item: Any, header: list[str] | None) -> tuple[dict[str, Any], str]:
    if opts.input_format == "txt":
        return {"line": line, "text": item}, item
    if opts.input_format == "jsonl":
        try:
            record = json.loads(item)
        except json.JSONDecodeError as exc:
            raise BadRecordError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise BadRecordError(f"expected a JSON object, got {type(record).__name__}")
        if opts.text_field not in record:
            raise BadRecordError(f"no field {opts.text_field!r} (use --text-field to name the text field)")
        text = record[opts.text_field]
        if not isinstance(text, str):
            raise BadRecordError(f"field {opts.text_field!r} is {type(text).__name__}, not a string")
        return record, text
    row = item
    assert header is not None
    if len(row) != len(header):
        raise BadRecordError(f"{len(row)} fields, the header has {len(header)}")
    record = dict(zip(header, row))
    return record, record[opts.text_field]


def _write_row(buf: TextIO, opts: BatchOptions, record: dict[str, Any], result: dict[str, Any], model: Model) -> None:
    if opts.output_format == "jsonl":
        # Input fields first, then the labels; the text stays where it was.
        out = dict(record)
        out.update((key, value) for key, value in result.items() if key != "text")
        out["model"] = model.model_id
        buf.write(json.dumps(out, ensure_ascii=False))
        buf.write("\n")
        return
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*record.values(), *_csv_cells(result, model, opts), model.model_id])


def _csv_cells(result: dict[str, Any], model: Model, opts: BatchOptions) -> list[Any]:
    if opts.mode == "predict":
        return [
            ";".join(result["topics"]),
            result["tone"],
            *(f"{result['topic_scores'][t]:.6f}" for t in model.topics),
            *(f"{result['tone_scores'][t]:.6f}" for t in model.tones),
        ]
    return [
        result["tone"],
        "" if result["tone_score"] is None else f"{result['tone_score']:.6f}",
        ";".join(result["topic_summaries"]),
        result["n_sentences"],
    ]


def _csv_header(record_fields: list[str], model: Model, opts: BatchOptions) -> list[str]:
    if opts.mode == "predict":
        extra = ["topics", "tone", *(f"topic_{t}" for t in model.topics), *(f"tone_{t}" for t in model.tones)]
    else:
        extra = ["tone", "tone_score", "topics", "n_sentences"]
    return [*record_fields, *extra, "model"]


# ------------------------------------------------------------------- reader
def _chunks(opts: BatchOptions, stream: TextIO) -> Iterator[list[tuple[int, Any]]]:
    """Yield chunks of ``(line number, raw item)``: a line of text, or a CSV row."""
    size = opts.chunk_size
    chunk: list[tuple[int, Any]] = []
    if opts.input_format == "csv":
        reader = csv.reader(stream)
        while True:
            line = reader.line_num + 2  # the header was read before this reader
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise BadRecordError(f"{stream.name}:{line}: malformed CSV ({exc})") from None
            if row:
                chunk.append((line, row))
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
    else:
        skip_blank = opts.input_format == "jsonl"
        for number, raw in enumerate(stream, start=1):
            text = raw.rstrip("\r\n")
            if skip_blank and not text.strip():
                continue
            chunk.append((number, text))
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def run_batch(
    input_path: str,
    output_path: str,
    opts: BatchOptions,
    *,
    progress: Callable[[int, int, int], None] | None = None,
) -> BatchReport:
    """Label every record of `input_path` into `output_path` (``-`` for stdin/stdout).

    Raises
    ------
    BadRecordError
        On the first unreadable record when ``skip_bad`` is false; nothing is
        written to `output_path` then.
    """
    if opts.mode not in ("predict", "analyze"):
        raise InputError(f"mode must be 'predict' or 'analyze', got {opts.mode!r}")
    jobs = resolve_n_jobs(opts.n_jobs)
    model = load_model(opts.model)
    started = time.perf_counter()
    report = BatchReport()
    total = os.path.getsize(input_path) if input_path != "-" else 0
    source: TextIO = (
        sys.stdin if input_path == "-" else open(input_path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    )
    tmp_path: str | None = None
    if output_path == "-":
        sink: TextIO = sys.stdout
    else:
        target = Path(output_path)
        fd, tmp_path = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent or ".")
        sink = os.fdopen(fd, "w", encoding="utf-8", newline="")
    try:
        header: list[str] | None = None
        if opts.input_format == "csv":
            first_line = source.readline()
            header = next(csv.reader([first_line])) if first_line else []
            if opts.text_field not in header:
                raise BadRecordError(
                    f"{input_path}:1: the CSV header has no column {opts.text_field!r} "
                    f"(columns: {header}); use --text-field"
                )
        if opts.output_format == "csv":
            fields = header if header is not None else (["line", "text"] if opts.input_format == "txt" else None)
            if fields is None:
                raise InputError("CSV output needs CSV or text input; use --format jsonl for JSONL input")
            csv.writer(sink, lineterminator="\n").writerow(_csv_header(fields, model, opts))
        for text, bad, count in _run_chunks(opts, jobs, source, header):
            if bad:
                if not opts.skip_bad:
                    raise BadRecordError(f"{input_path}:{bad[0]} (use --skip-bad to skip bad records)")
                report.skipped.extend(f"{input_path}:{b}" for b in bad)
            sink.write(text)
            report.records += count
            if progress is not None:
                done = source.buffer.tell() if hasattr(source, "buffer") and total else 0
                progress(report.records, done, total)
        sink.flush()
        if tmp_path is not None:
            sink.close()
            # mkstemp makes the file private; give it the permissions of any new file.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
            os.replace(tmp_path, output_path)
            tmp_path = None
    finally:
        if source is not sys.stdin:
            source.close()
        if tmp_path is not None:
            sink.close()
            os.unlink(tmp_path)
    report.seconds = time.perf_counter() - started
    return report


def _run_chunks(
    opts: BatchOptions, jobs: int, source: TextIO, header: list[str] | None
) -> Iterator[tuple[str, list[str], int]]:
    chunks = _chunks(opts, source)
    if jobs == 1:
        for items in chunks:
            yield _process_chunk(opts, items, header)
        return
    window = 2 * jobs
    with ProcessPoolExecutor(max_workers=jobs, initializer=init_worker, initargs=(opts.model,)) as pool:
        pending: deque[Future[tuple[str, list[str], int]]] = deque()
        try:
            for items in chunks:
                pending.append(pool.submit(_process_chunk, opts, items, header))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()


def format_rows(predictions: Sequence[Prediction], output_format: str, model: Model) -> str:
    """Return the JSONL lines or the CSV table (with header) of in-memory predictions.

    The same rows as `run_batch` writes for records with a ``text`` field only.
    """
    opts = BatchOptions(output_format=output_format)
    buf = io.StringIO()
    if output_format == "csv":
        csv.writer(buf, lineterminator="\n").writerow(_csv_header(["text"], model, opts))
    for p in predictions:
        _write_row(buf, opts, {"text": p.text}, p.to_dict(), model)
    return buf.getvalue()
