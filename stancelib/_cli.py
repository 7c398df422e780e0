"""The ``stancelib`` command: argument parsing, one handler per subcommand, printing via `_render`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from . import _render
from ._loading import DEFAULT_MODEL, load_model
from ._version import __version__
from .errors import BadRecordError, InputError, InputTypeError, StanceLibError

__all__ = ["main"]

DESCRIPTION = """\
Label diplomatic and political text with agenda topics (Ukraine, Venezuela,
Iran, Syria, North Korea, arms control) and tone (cooperative, critical,
neutral)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, exit code 2: scripts can grep it; --help has the rest.
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME|DIR",
        help=f"shipped model name or model directory (default: {DEFAULT_MODEL})",
    )


class _DeprecatedAlias(argparse.Action):
    """An old option name that still works for one release, with a warning on stderr."""

    def __init__(self, *args: object, new: str, convert: Callable[[str], object] = str, **kwargs: object) -> None:
        self.new = new
        self.convert = convert
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"stancelib: warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, self.convert(str(values)))


def _old_jobs(value: str) -> int:
    # --jobs 0 meant all cores; --n-jobs says -1 for that, as scikit-learn does.
    jobs = int(value)
    return -1 if jobs == 0 else jobs


def _add_streaming(p: argparse.ArgumentParser) -> None:
    """Add the options of --input streaming, shared by predict and analyze."""
    p.add_argument(
        "--input-format",
        choices=("txt", "jsonl", "csv", "tsv"),
        help="override the format guessed from --input's suffix",
    )
    p.add_argument(
        "--prefix",
        default="",
        metavar="PREFIX",
        help="put PREFIX before the names of the added fields/columns (e.g. stancelib_), "
        "needed when the input already has fields named like them",
    )
    p.add_argument(
        "--overwrite-input",
        action="store_true",
        help="allow --output to be the input file itself (replaced once the whole input was read)",
    )
    p.add_argument("--text-field", default="text", help="JSONL field or CSV column holding the text (default: text)")
    p.add_argument(
        "--text-column",
        dest="text_field",
        action=_DeprecatedAlias,
        new="--text-field",
        help=argparse.SUPPRESS,
    )
    p.add_argument(
        "--n-jobs", type=int, default=-1, help="worker processes for --input; -1 for all cores (default: -1)"
    )
    p.add_argument(
        "--jobs", dest="n_jobs", action=_DeprecatedAlias, new="--n-jobs", convert=_old_jobs, help=argparse.SUPPRESS
    )
    p.add_argument("--skip-bad", action="store_true", help="report and skip unreadable records instead of stopping")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``stancelib`` command; each subcommand sets its handler as ``func``."""
    parser = _Parser(prog="stancelib", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"stancelib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "predict",
        help="label sentences given as arguments, on stdin, or in a file",
        description="Label sentences. Give them as arguments, as '-' to read one sentence per "
        "line from stdin, or with --input FILE to stream a large .txt/.jsonl/.csv file.",
    )
    p.add_argument("texts", nargs="*", metavar="SENTENCE", help="sentences to label, or '-' for stdin")
    p.add_argument(
        "--format",
        choices=("table", "jsonl", "csv"),
        default=None,
        help="output format (default: table on a terminal, jsonl for --input)",
    )
    p.add_argument("--input", metavar="FILE", help="stream a .txt (one text per line), .jsonl or .csv file")
    p.add_argument("--output", metavar="FILE", help="write results here (with --input; default stdout)")
    _add_streaming(p)
    _add_model(p)
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser(
        "analyze",
        help="analyse a document: per-topic stance summary and every sentence",
        description="Segment a document into sentences, label each, and summarise the stance per topic. "
        "With --input, analyse one document per record of a .txt/.jsonl/.csv file.",
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="the document (a text file, or '-' for stdin)")
    p.add_argument(
        "--format",
        choices=("text", "json", "jsonl", "csv"),
        default="text",
        help="text report or JSON (default: text); jsonl/csv with --input",
    )
    p.add_argument("--input", metavar="FILE", help="one document per record (.txt line, .jsonl, .csv)")
    p.add_argument("--output", metavar="FILE", help="with --input: where to write (default stdout)")
    _add_streaming(p)
    _add_model(p)
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser(
        "explain",
        help="show the n-grams behind a sentence's topics and tone",
        description="Show each feature's exact contribution to the predicted topics and tone.",
    )
    p.add_argument("text", metavar="SENTENCE")
    p.add_argument("--top", type=int, default=8, help="features to show per label (default: 8)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_model(p)
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser(
        "train",
        help="train a model on labelled JSONL or CSV",
        description="Train a model: cross-validated feature and C selection, per-topic thresholds, "
        "dev metrics, model card. Needs the 'train' extra: pip install 'stancelib[train]'.",
    )
    p.add_argument("--data", required=True, metavar="FILE", help="training data (.jsonl or .csv)")
    p.add_argument("--dev", metavar="FILE", help="held-out data for the reported metrics")
    p.add_argument("--out", required=True, metavar="DIR", help="model directory to write")
    p.add_argument("--name", default=None, help="model name stored in its metadata")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="no grid search: one feature setting and one C per head")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="metrics of a model on labelled data",
        description="Report per-topic precision/recall/F1, topic micro/macro-F1, tone accuracy, "
        "macro-F1 and the confusion matrix on labelled data.",
    )
    p.add_argument("--data", required=True, metavar="FILE")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_model(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("info", help="show a model's metadata and headline metrics")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_model(p)
    p.set_defaults(func=_cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stancelib`` command with `argv` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handler: Callable[[argparse.Namespace, argparse.ArgumentParser], int] = args.func
    previous = _catch_signals()
    try:
        return int(handler(args, parser) or 0)
    except (InputError, InputTypeError) as exc:
        # Usage: a bad argument, path or option value.
        print(f"stancelib: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except StanceLibError as exc:
        print(f"stancelib: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except _Stopped as exc:
        # finally blocks have run: workers ended, temporary files removed.
        print(f"stancelib: stopped by {signal.Signals(exc.signum).name}", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("stancelib: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    finally:
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)


class _Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (ending workers, removing temporary files), then exit 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def _catch_signals() -> dict[int, Any]:
    """Turn SIGTERM and SIGHUP into `_Stopped` in the main thread; return the handlers they replace."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, _raise_stopped)
    return previous


def _one_line(exc: BaseException) -> str:
    """Return the first line of an error message, with a count of the rest (one line on stderr)."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    return lines[0] + (f" (and {len(lines) - 1} more problem(s))" if len(lines) > 1 else "")


def _read_stdin() -> str:
    """All of stdin as UTF-8 text, or a data error naming the byte that is not UTF-8."""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadRecordError(f"stdin:{line}: not valid UTF-8; convert the input first (e.g. iconv -t utf-8)") from None


# ----------------------------------------------------------------- predict
def _cmd_predict(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.input:
        if args.texts:
            parser.error("give sentences as arguments or --input FILE, not both")
        return _stream(args, parser, "predict")
    if args.output:
        parser.error("--output needs --input")
    if not args.texts:
        parser.error("give a sentence, '-' for stdin, or --input FILE")
    texts = _read_stdin().splitlines() if args.texts == ["-"] else list(args.texts)
    model = load_model(args.model)
    predictions = model.predict(texts)
    fmt = args.format or "table"
    if fmt == "table":
        sys.stdout.write(_render.prediction_table(predictions))
    else:
        from ._stream import format_rows

        sys.stdout.write(format_rows(predictions, fmt, model))
    return 0


def _stream(args: argparse.Namespace, parser: argparse.ArgumentParser, mode: str) -> int:
    from ._stream import BatchOptions, check_output, format_from_path, run_batch

    in_fmt = args.input_format or format_from_path(args.input)
    out_path = args.output or "-"
    fmt = args.format
    if fmt in (None, "text", "table", "json"):
        fmt = "csv" if (args.output and format_from_path(args.output, "jsonl") == "csv") else "jsonl"
    if args.n_jobs == 0 or args.n_jobs < -1:
        parser.error(f"--n-jobs must be at least 1, or -1 for all cores; got {args.n_jobs}")
    # The input may be a file, a FIFO or a pipe such as <(cmd): data streams.
    if args.input != "-":
        if os.path.isdir(args.input):
            parser.error(f"--input {args.input}: is a folder; give a file")
        if not os.path.exists(args.input):
            parser.error(f"--input {args.input}: no such file")
        if not os.access(args.input, os.R_OK):
            parser.error(f"--input {args.input}: permission denied")
    check_output(args.input, out_path, overwrite_input=args.overwrite_input)
    opts = BatchOptions(
        mode=mode,
        input_format=in_fmt,
        output_format=fmt,
        text_field=args.text_field,
        n_jobs=args.n_jobs,
        skip_bad=args.skip_bad,
        model=str(args.model),
        prefix=args.prefix,
        overwrite_input=args.overwrite_input,
    )
    show = not args.quiet and sys.stderr.isatty()
    report = run_batch(args.input, out_path, opts, progress=_render.progress_printer(sys.stderr, show))
    if show:
        sys.stderr.write("\n")
    for message in report.skipped:
        print(f"stancelib: skipped {message}", file=sys.stderr)
    if not args.quiet:
        print(
            f"stancelib: {report.records:,} records in {report.seconds:.1f}s"
            f" ({report.records / max(report.seconds, 1e-9):,.0f}/s)"
            + (f", {len(report.skipped)} skipped" if report.skipped else ""),
            file=sys.stderr,
        )
    return 0


# ----------------------------------------------------------------- analyze
def _cmd_analyze(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.input:
        if args.file:
            parser.error("give a document FILE or --input FILE, not both")
        return _stream(args, parser, "analyze")
    if not args.file:
        parser.error("give a document FILE, '-' for stdin, or --input FILE")
    if args.file == "-":
        document = _read_stdin()
    else:
        try:
            with open(args.file, encoding="utf-8-sig") as f:
                document = f.read()
        except FileNotFoundError:
            parser.error(f"{args.file}: no such file")
        except IsADirectoryError:
            parser.error(f"{args.file}: is a folder; give a text file (or --input FILE for one document per record)")
        except PermissionError:
            parser.error(f"{args.file}: permission denied")
        except UnicodeDecodeError:
            parser.error(f"{args.file}: not UTF-8 text; convert it first (e.g. iconv -t utf-8)")
    from ._document import analyze_with

    analysis = analyze_with(load_model(args.model), document)
    if args.format in ("json", "jsonl"):
        print(json.dumps(analysis.to_dict(), ensure_ascii=False, indent=2 if args.format == "json" else None))
        return 0
    if args.format == "csv":
        parser.error("--format csv needs --input")
    print(_render.document_report(analysis))
    return 0


# ----------------------------------------------------------------- explain
def _cmd_explain(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._explanation import explain_with

    if args.top < 1:
        parser.error("--top must be at least 1")
    e = explain_with(load_model(args.model), args.text)
    if args.format == "json":
        print(json.dumps(e.to_dict(args.top), ensure_ascii=False, indent=2))
        return 0
    print(_render.explanation_text(e, args.top))
    return 0


# ----------------------------------------------------------- train/evaluate
def _cmd_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._loading import SHIPPED_MODELS, shipped_model_path

    if args.folds < 2:
        parser.error(f"--folds must be at least 2, got {args.folds}")
    if args.seed < 0:
        parser.error(f"--seed must be 0 or more, got {args.seed}")
    if args.out in SHIPPED_MODELS:
        parser.error(
            f"--out {args.out}: the shipped model {args.out!r} would shadow it in --model {args.out}; "
            f"write --out ./{args.out} (and load it as --model ./{args.out}) or choose another name"
        )
    real = os.path.realpath(args.out)
    for name in SHIPPED_MODELS:
        shipped = os.path.realpath(shipped_model_path(name))
        if real == shipped or real.startswith(shipped + os.sep):
            parser.error(f"--out {args.out}: is the shipped model {name!r}; save your model to a directory of your own")
    from ._modelfile import check_destination

    check_destination(args.out)
    from ._fit import train_to_directory  # scikit-learn: only once the options are known to be good

    train_to_directory(
        args.data,
        args.dev,
        args.out,
        name=args.name,
        seed=args.seed,
        folds=args.folds,
        quick=args.quick,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    return 0


def _cmd_evaluate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._dataset import read_records
    from ._metrics import evaluate, format_report

    model = load_model(args.model)
    records = read_records(args.data)
    metrics = evaluate(model, records)
    if args.format == "json":
        print(json.dumps(metrics, indent=2))
    else:
        print(f"{len(records)} records from {args.data}\n")
        print(format_report(metrics, model.tones))
    return 0


def _cmd_info(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    model = load_model(args.model)
    if args.format == "json":
        print(json.dumps(dict(model.metadata), indent=2, ensure_ascii=False))
        return 0
    print(_render.model_summary(model))
    return 0
