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

import contextlib
import csv
import io
import itertools
import json
import multiprocessing
import os
import re
import stat
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from . import _json
from ._batch import cores, init_worker, resolve_n_jobs, worker_count, worker_model
from ._loading import DEFAULT_MODEL, load_model
from ._model import Model
from ._results import Prediction
from .errors import BadRecordError, InputError, OutputError, OutputWriteError

__all__ = [
    "BatchOptions",
    "BatchReport",
    "MAX_CSV_FIELD",
    "run_batch",
    "check_output",
    "check_collisions",
    "output_fields",
    "remove_stale_temp_files",
    "format_from_path",
    "format_rows",
]

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
    chunk_size : int
        Records per chunk handed to a worker.
    prefix : str
        Put before the names of the fields and columns this adds (e.g.
        ``"stancelib_"``), when the input has fields of the same names.
    overwrite_input : bool
        Allow the output to be the input file itself (it is replaced only
        when the whole input was read).
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
    prefix: str = ""
    overwrite_input: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise InputError(f"chunk_size must be a positive integer, got {self.chunk_size!r}")
        if self.input_format not in ("txt", "jsonl", "csv", "tsv"):
            raise InputError(f"input_format must be txt, jsonl, csv or tsv, got {self.input_format!r}")
        if self.output_format not in ("jsonl", "csv"):
            raise InputError(f"output_format must be jsonl or csv, got {self.output_format!r}")


@dataclass
class BatchReport:
    """What `run_batch` did: records written, records skipped (with their lines), time taken."""

    records: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def format_from_path(path: str, default: str = "txt") -> str:
    """Guess a file's format (``txt``, ``jsonl``, ``csv`` or ``tsv``) from its suffix."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix in ("csv", "tsv"):
        return suffix
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
        if opts.input_format == "jsonl":
            check_collisions(list(record), output_fields(opts, model), f"line {line}")
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


class _Malformed(str):
    """A record the CSV reader could not split; reported like any bad record."""


_DELIMITER = {"csv": ",", "tsv": "\t"}
#: The largest CSV/TSV field read (characters); a longer one is a bad record.
MAX_CSV_FIELD = 16 << 20


def _parse(opts: BatchOptions, line: int, item: Any, header: list[str] | None) -> tuple[dict[str, Any], str]:
    if isinstance(item, _Malformed):
        raise BadRecordError(str(item))
    if opts.input_format == "txt":
        if _SURROGATE.search(item):
            raise BadRecordError(_NOT_UTF8)
        return {"line": line, "text": item}, item
    if opts.input_format == "jsonl":
        if _SURROGATE.search(item):
            raise BadRecordError(_NOT_UTF8)
        try:
            record = _json.loads(item)
        except json.JSONDecodeError as exc:
            raise BadRecordError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise BadRecordError("JSON nested too deeply to read; flatten the record") from None
        except ValueError as exc:  # integers over the digit limit, 1e999, NaN
            raise BadRecordError(f"unreadable JSON value ({exc})") from None
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
    if any(_SURROGATE.search(cell) for cell in row):
        raise BadRecordError(_NOT_UTF8)
    if len(row) != len(header):
        raise BadRecordError(f"{len(row)} fields, the header has {len(header)}")
    record = dict(zip(header, row))
    return record, record[opts.text_field]


_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UTF8 = "not valid UTF-8; convert the file first (e.g. iconv -f latin1 -t utf-8)"


def output_fields(opts: BatchOptions, model: Model) -> list[str]:
    """Return the fields (JSONL) or columns (CSV) a run adds to each record, prefix included."""
    if opts.output_format == "jsonl":
        if opts.mode == "predict":
            names = ["topics", "topic_scores", "tone", "tone_scores", "n_known_features"]
        else:
            names = ["tone", "tone_scores", "tone_score", "topic_summaries", "n_sentences"]
    elif opts.mode == "predict":
        names = ["topics", "tone", *(f"topic_{t}" for t in model.topics), *(f"tone_{t}" for t in model.tones)]
    else:
        names = ["tone", "tone_score", "topics", "n_sentences"]
    # "model" is reserved for the model identity that records carry.
    return [opts.prefix + n for n in [*names, "model"]]


def check_collisions(fields: Sequence[str], ours: Sequence[str], where: str) -> None:
    """Refuse input fields named like the ones a run adds (the input's fields are never overwritten)."""
    clash = [f for f in fields if f in set(ours)]
    if clash:
        raise InputError(
            f"{where}: the input already has field(s) {clash}, which the output would add; "
            "pass --prefix (prefix= in Python), e.g. --prefix stancelib_, to name the added fields apart"
        )


def _write_row(buf: TextIO, opts: BatchOptions, record: dict[str, Any], result: dict[str, Any], model: Model) -> None:
    if opts.output_format == "jsonl":
        # Input fields first, then the labels; the text stays where it was.
        out = dict(record)
        out.update((opts.prefix + key, value) for key, value in result.items() if key != "text")
        out[opts.prefix + "model"] = model.model_id
        line = json.dumps(out, ensure_ascii=False, allow_nan=False)
        if _SURROGATE.search(line):  # a lone surrogate escaped in the input stays escaped: valid UTF-8 out
            line = json.dumps(out, ensure_ascii=True, allow_nan=False)
        buf.write(line)
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
    return [*record_fields, *output_fields(opts, model)]


# ------------------------------------------------------------------- reader
def _chunks(opts: BatchOptions, stream: TextIO) -> Iterator[list[tuple[int, Any]]]:
    """Yield chunks of ``(line number, raw item)``: a line of text, or a CSV row."""
    size = opts.chunk_size
    chunk: list[tuple[int, Any]] = []
    if opts.input_format in ("csv", "tsv"):
        # strict: an unterminated quote is an error at its line, not the rest of the file swallowed.
        reader = csv.reader(stream, delimiter=_DELIMITER[opts.input_format], strict=True)
        while True:
            line = reader.line_num + 2  # the header was read before this reader
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                message = f"malformed {opts.input_format.upper()} ({exc}"
                message += "; an opening quote is never closed)" if "end of data" in str(exc) else ")"
                chunk.append((line, _Malformed(message)))
                if not opts.skip_bad:
                    break
                continue
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


def _open_input(input_path: str) -> TextIO:
    """Open the input for reading as UTF-8; undecodable bytes are kept (escaped) and reported per record."""
    if input_path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        if os.path.isdir(input_path):
            raise InputError(f"{input_path}: is a folder; give a file (or '-' for stdin)")
        return open(input_path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise InputError(f"{input_path}: no such file") from None
    except PermissionError:
        raise InputError(f"{input_path}: permission denied; make it readable or copy it") from None
    except OSError as exc:
        raise InputError(f"{input_path}: cannot be read ({exc.strerror})") from None


def _in_place(path: str) -> bool:
    """Whether `path` is written directly rather than through a temporary file (devices, FIFOs, /dev/stdout)."""
    real = os.path.realpath(path)
    if any(p.startswith(("/dev/", "/proc/")) for p in (os.path.abspath(path), real)):
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode) and not stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def check_output(input_path: str, output_path: str, *, overwrite_input: bool = False) -> None:
    """Refuse an output path before any work: a folder, a missing folder, the input itself.

    Raises
    ------
    OutputError
        The message names the path and the option or fix.
    """
    if output_path == "-":
        return
    if os.path.isdir(output_path):
        raise OutputError(f"--output {output_path}: is a folder; give a file name inside it")
    if _in_place(output_path):
        return
    parent = os.path.dirname(os.path.realpath(output_path)) or "."
    if not os.path.isdir(parent):
        raise OutputError(f"--output {output_path}: its directory does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"--output {output_path}: cannot write in {parent} (permission denied)")
    if input_path != "-" and os.path.exists(output_path) and not overwrite_input:
        try:
            same = os.path.samefile(input_path, output_path)
        except OSError:
            same = False
        if same:
            raise OutputError(
                f"--output {output_path}: is the input file itself; give another file, "
                "or pass --overwrite-input to replace the input once the run is complete"
            )


#: Temporary output files: `.stancelib.<pid>.<random>.partial` beside the target.
_TEMP_PREFIX = ".stancelib."
_TEMP_SUFFIX = ".partial"


def remove_stale_temp_files(directory: str) -> list[str]:
    """Remove temporary output files left in `directory` by runs whose process is gone; return their paths."""
    removed: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(_TEMP_PREFIX) and name.endswith(_TEMP_SUFFIX)):
            continue
        pid_text = name[len(_TEMP_PREFIX) :].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        try:
            os.unlink(entry.path)
            removed.append(entry.path)
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def run_batch(
    input_path: str,
    output_path: str,
    opts: BatchOptions,
    *,
    progress: Callable[[int, int, int], None] | None = None,
) -> BatchReport:
    """Label every record of `input_path` into `output_path` (``-`` for stdin/stdout).

    A regular output file is written to a temporary file beside it and renamed
    into place at the end; a device, FIFO or ``/dev/stdout`` is written to in
    place. Temporary files of earlier runs that were killed are removed.

    Raises
    ------
    BadRecordError
        On the first unreadable record when ``skip_bad`` is false; nothing is
        written to `output_path` then.
    OutputError
        For an output that is a folder or the input itself (see `check_output`).
    OutputWriteError
        When writing fails (disk full); the temporary file is removed.
    """
    if opts.mode not in ("predict", "analyze"):
        raise InputError(f"mode must be 'predict' or 'analyze', got {opts.mode!r}")
    resolve_n_jobs(opts.n_jobs)
    check_output(input_path, output_path, overwrite_input=opts.overwrite_input)
    model = load_model(opts.model)
    csv.field_size_limit(MAX_CSV_FIELD)
    started = time.perf_counter()
    report = BatchReport()
    try:
        total = os.path.getsize(input_path) if input_path != "-" and os.path.isfile(input_path) else 0
    except OSError:
        total = 0
    source = _open_input(input_path)
    tmp_path: str | None = None
    target = output_path
    try:
        if output_path == "-":
            sink: TextIO = sys.stdout
        elif _in_place(output_path):
            sink = open(output_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        else:
            target = os.path.realpath(output_path)  # a link to a file: write the file, keep the link
            parent = os.path.dirname(target) or "."
            remove_stale_temp_files(parent)
            fd, tmp_path = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}.", suffix=_TEMP_SUFFIX, dir=parent)
            sink = os.fdopen(fd, "w", encoding="utf-8", newline="")
    except OSError as exc:
        source.close()
        raise OutputError(f"--output {output_path}: cannot be written ({exc.strerror})") from None
    try:
        header: list[str] | None = None
        if opts.input_format in ("csv", "tsv"):
            header = _read_header(source, input_path, opts)
        if opts.output_format == "csv":
            fields = header if header is not None else (["line", "text"] if opts.input_format == "txt" else None)
            if fields is None:
                raise InputError("CSV output needs CSV, TSV or text input; use --format jsonl for JSONL input")
            check_collisions(fields, output_fields(opts, model), input_path)
            csv.writer(sink, lineterminator="\n").writerow(_csv_header(fields, model, opts))
        elif header is not None:
            check_collisions(header, output_fields(opts, model), input_path)
        for text, bad, count in _run_chunks(opts, source, header):
            if bad:
                if not opts.skip_bad:
                    raise BadRecordError(f"{input_path}:{bad[0]} (use --skip-bad to skip bad records)")
                report.skipped.extend(f"{input_path}:{b}" for b in bad)
            sink.write(text)
            report.records += count
            if progress is not None:
                try:
                    done = source.buffer.tell() if total else 0
                except (AttributeError, OSError, ValueError):
                    done = 0
                progress(report.records, done, total)
        sink.flush()
        if sink is not sys.stdout:
            sink.close()
        if tmp_path is not None:
            # mkstemp makes the file private; give it the permissions of any new file.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
            os.replace(tmp_path, target)
            tmp_path = None
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or (output_path == "-" and not isinstance(exc, OutputWriteError)):
            raise
        raise OutputWriteError(
            exc.errno, f"--output {output_path}: writing failed ({exc.strerror}); no partial output was left"
        ) from None
    finally:
        if input_path == "-":
            cast(io.TextIOWrapper, source).detach()  # leave sys.stdin usable
        else:
            source.close()
        if tmp_path is not None:
            with contextlib.suppress(OSError):
                sink.close()
            with contextlib.suppress(OSError):
                os.unlink(tmp_path)
    report.seconds = time.perf_counter() - started
    return report


def _read_header(source: TextIO, input_path: str, opts: BatchOptions) -> list[str]:
    first_line = source.readline()
    name = opts.input_format.upper()
    if _SURROGATE.search(first_line):
        raise BadRecordError(f"{input_path}:1: the header is {_NOT_UTF8}")
    try:
        header = next(csv.reader([first_line], delimiter=_DELIMITER[opts.input_format], strict=True))
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise BadRecordError(f"{input_path}:1: malformed {name} header ({exc})") from None
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise BadRecordError(
            f"{input_path}:1: the {name} header repeats the column name(s) {repeated}; "
            "rename them so that every column has its own name"
        )
    if opts.text_field not in header:
        raise BadRecordError(
            f"{input_path}:1: the {name} header has no column {opts.text_field!r} (columns: {header}); use --text-field"
        )
    return header


def _run_chunks(opts: BatchOptions, source: TextIO, header: list[str] | None) -> Iterator[tuple[str, list[str], int]]:
    chunks = _chunks(opts, source)
    # Read as many chunks as workers could start: never more workers than chunks or cores.
    first = list(itertools.islice(chunks, max(1, min(resolve_n_jobs(opts.n_jobs), cores()))))
    jobs = worker_count(opts.n_jobs, len(first))
    if jobs == 1:
        for items in itertools.chain(first, chunks):
            yield _process_chunk(opts, items, header)
        return
    window = 2 * jobs
    pool = multiprocessing.Pool(jobs, initializer=init_worker, initargs=(opts.model,))
    try:
        pending: deque[Any] = deque()
        for items in itertools.chain(first, chunks):
            pending.append(pool.apply_async(_process_chunk, (opts, items, header)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        # Also on an error, a signal or an abandoned generator: no worker outlives the run.
        pool.terminate()
        pool.join()


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
