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
from ._model import Model
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


def _threshold_pair(value: str) -> tuple[str, float]:
    topic, sep, number = value.partition("=")
    try:
        if not sep or not topic:
            raise ValueError
        return topic.strip(), float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TOPIC=VALUE such as iran=0.3, got {value!r}") from None


def _add_threshold(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threshold",
        action="append",
        type=_threshold_pair,
        default=[],
        metavar="TOPIC=VALUE",
        help="override a topic's decision threshold, e.g. iran=0.3; repeatable (default: the model's own)",
    )


def _add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="N",
        help="torch threads of the accurate tier's encoder; -1 for all cores "
        "(default: $STANCELIB_THREADS, else 1; the fast tier ignores it)",
    )


def _model_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Model:
    """Load --model and apply any --threshold and --threads (a bad value is a usage error)."""
    threads = getattr(args, "threads", None)
    if threads is not None:
        if threads == 0 or threads < -1:
            parser.error(f"--threads must be at least 1, or -1 for all cores; got {threads}")
        # Also for the models that streaming workers load themselves.
        os.environ["STANCELIB_THREADS"] = str(threads)
    model = load_model(args.model)
    with_threads = getattr(model, "with_threads", None)
    if threads is not None and with_threads is not None:
        model = with_threads(threads)
    overrides = dict(getattr(args, "threshold", None) or [])
    if overrides:
        try:
            model = model.with_thresholds(overrides)
        except InputError as exc:
            parser.error(f"--threshold: {exc}")
    return model


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


def _add_model_options(p: argparse.ArgumentParser) -> None:
    """--model, --threshold and --threads: every command that predicts takes all three."""
    _add_model(p)
    _add_threshold(p)
    _add_threads(p)


def _add_streaming(p: argparse.ArgumentParser) -> None:
    """Add the options of --input streaming, shared by predict and analyze."""
    p.add_argument(
        "--input-format",
        choices=("txt", "jsonl", "csv", "tsv"),
        help="format of --input (default: guessed from its suffix: .txt, .jsonl/.ndjson/.json, .csv, .tsv)",
    )
    p.add_argument(
        "--prefix",
        default="",
        metavar="PREFIX",
        help="put PREFIX before the names of the added fields/columns (e.g. stancelib_), "
        "needed when the input already has fields named like them (default: none)",
    )
    p.add_argument(
        "--overwrite-input",
        action="store_true",
        help="allow --output to be the input file itself, replaced once the whole input was read (default: refuse)",
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
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="report and skip unreadable records instead of stopping (default: stop at the first)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary line (default: show them)")


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
    p.add_argument("texts", nargs="*", metavar="SENTENCE", help="sentences to label (each in quotes), or '-' for stdin")
    p.add_argument(
        "--format",
        choices=("table", "jsonl", "csv"),
        default=None,
        help="output format (default: table on a terminal, jsonl for --input)",
    )
    p.add_argument(
        "--input", metavar="FILE", help="stream a .txt (one text per line), .jsonl or .csv file (default: none)"
    )
    p.add_argument("--output", metavar="FILE", help="with --input: where to write (default: stdout)")
    _add_streaming(p)
    _add_model_options(p)
    p.set_defaults(func=_cmd_predict)

    p = sub.add_parser(
        "analyze",
        help="analyse a document: per-topic stance summary and every sentence",
        description="Segment a document into sentences, label each, and summarise the stance per topic. "
        "With --input, analyse one document per record of a .txt/.jsonl/.csv file.",
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="the document (a UTF-8 text file, or '-' for stdin)")
    p.add_argument(
        "--format",
        choices=("text", "json", "jsonl", "csv"),
        default=None,
        help="text report or JSON for one document; jsonl or csv with --input (default: text, or jsonl with --input)",
    )
    p.add_argument("--input", metavar="FILE", help="one document per record (.txt line, .jsonl, .csv) (default: none)")
    p.add_argument("--output", metavar="FILE", help="with --input: where to write (default: stdout)")
    _add_streaming(p)
    _add_model_options(p)
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser(
        "explain",
        help="show the n-grams behind a sentence's topics and tone",
        description="Show each feature's exact contribution to the predicted topics and tone.",
    )
    p.add_argument("text", metavar="SENTENCE", help="one sentence, in quotes if it has spaces")
    p.add_argument("--top", type=int, default=8, help="features to show per label (default: 8)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    _add_model_options(p)
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser(
        "train",
        help="train a model on labelled JSONL or CSV",
        description="Train a model: cross-validated feature and C selection, per-topic thresholds, "
        "dev metrics, model card. Needs the 'train' extra: pip install 'stancelib[train]'.",
    )
    p.add_argument("--data", required=True, metavar="FILE", help="training data (.jsonl or .csv; required)")
    p.add_argument("--dev", metavar="FILE", help="held-out data for the reported metrics (default: none)")
    p.add_argument("--out", required=True, metavar="DIR", help="model directory to write (required)")
    p.add_argument("--name", default=None, help="model name stored in its metadata (default: the --out folder's name)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the folds and the solvers (default: 0)")
    p.add_argument(
        "--folds", type=int, default=5, help="cross-validation folds for selection and thresholds (default: 5)"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="no grid search: one feature setting and one C per head (default: full search)",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="metrics of a model on labelled data",
        description="Report per-topic precision/recall/F1, topic micro/macro-F1, tone accuracy, "
        "macro-F1 and the confusion matrix on labelled data.",
    )
    p.add_argument("--data", required=True, metavar="FILE", help="labelled data (.jsonl or .csv: text, topics, tone)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument(
        "--report",
        metavar="DIR",
        help="also write DIR/index.html, a self-contained page with figures and the misclassified sentences "
        "(needs the report extra: pip install 'stancelib[report]'; default: no report)",
    )
    _add_model_options(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "trend",
        help="tone per topic over time, from dated documents",
        description="Segment and label dated documents, then give per topic and period the number of "
        "sentences and the mean tone score P(cooperative) - P(critical) with an uncertainty band.",
    )
    p.add_argument("--input", required=True, metavar="FILE", help="documents as .jsonl (one object a line) or .csv")
    p.add_argument("--date-field", default="date", help="field holding the ISO date (default: date)")
    p.add_argument("--text-field", default="text", help="field holding the document's text (default: text)")
    p.add_argument(
        "--freq",
        choices=("day", "week", "month", "quarter", "year"),
        default="month",
        help="period length (default: month)",
    )
    p.add_argument("--confidence", type=float, default=0.95, help="coverage of the band over sentences (default: 0.95)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="table format (default: csv)")
    p.add_argument("--output", metavar="FILE", help="write the table here (default: stdout)")
    p.add_argument(
        "--chart",
        metavar="FILE",
        help="also draw the chart as .png or .svg (needs the report extra; default: no chart)",
    )
    p.add_argument(
        "--topic",
        action="append",
        default=[],
        metavar="TOPIC",
        help="topics to draw; repeatable (default: the topics found, up to six)",
    )
    _add_model_options(p)
    p.set_defaults(func=_cmd_trend)

    p = sub.add_parser("info", help="show a model's metadata and headline metrics")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    _add_model_options(p)
    p.set_defaults(func=_cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``stancelib`` command with `argv` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = _subparser(parser, args.command)
        hint = ""
        if args.command == "explain" and not any(e.startswith("-") for e in extra):
            hint = (
                f'; explain takes one sentence: put it in quotes, e.g. stancelib explain "{args.text} {extra[0]} ..."'
            )
        sub.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
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


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """Return the parser of `command` (for its own --help in messages), or the main one."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


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
    model = _model_from(args, parser)
    predictions = model.predict(texts)
    fmt = args.format or "table"
    if fmt == "table":
        sys.stdout.write(_render.prediction_table(predictions, width=100 if sys.stdout.isatty() else None))
    else:
        from ._stream import format_rows

        sys.stdout.write(format_rows(predictions, fmt, model))
    return 0


def _stream(args: argparse.Namespace, parser: argparse.ArgumentParser, mode: str) -> int:
    from ._stream import BatchOptions, check_output, format_from_path, run_batch

    if args.format in ("table", "text"):
        parser.error(
            f"--format {args.format} is for sentences or a document given directly; with --input "
            "choose --format jsonl or csv"
        )
    _model_from(args, parser)  # a bad --threshold is refused before anything is read
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
        thresholds=tuple(args.threshold),
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

    analysis = analyze_with(_model_from(args, parser), document)
    args.format = args.format or "text"
    if args.format in ("json", "jsonl"):
        print(json.dumps(analysis.to_dict(), ensure_ascii=False, indent=2 if args.format == "json" else None))
        return 0
    if args.format == "csv":
        parser.error("--format csv needs --input")
    print(_render.document_report(analysis, width=100 if sys.stdout.isatty() else None))
    return 0


# ----------------------------------------------------------------- explain
def _cmd_explain(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._explanation import explain_with

    if args.top < 1:
        parser.error("--top must be at least 1")
    e = explain_with(_model_from(args, parser), args.text)
    if args.format == "json":
        print(json.dumps(e.to_dict(args.top), ensure_ascii=False, indent=2))
        return 0
    print(_render.explanation_text(e, args.top))
    return 0


# ----------------------------------------------------------- train/evaluate
#: Below this many training records, `train` warns that the model will not generalise.
FEW_RECORDS = 200


def _cmd_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._dataset import read_records
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

    if os.path.isfile(args.data):
        n = len(read_records(args.data))
        if n < FEW_RECORDS:
            print(
                f"stancelib: warning: training on {n} records; expect an unreliable model below "
                f"{FEW_RECORDS} (the shipped model saw about 8,000) and use --dev to measure it",
                file=sys.stderr,
            )
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

    if args.report:
        if os.path.exists(args.report) and not os.path.isdir(args.report):
            parser.error(f"--report {args.report}: exists and is not a directory")
        from ._plots import require_matplotlib

        require_matplotlib()  # before the work: without the report extra, say so at once
    model = _model_from(args, parser)
    records = read_records(args.data)
    from ._report import data_warnings

    for warning in data_warnings(model, records, args.data):
        print(f"stancelib: warning: {warning}", file=sys.stderr)
    metrics = evaluate(model, records)
    if args.report:
        from ._report import write_report

        page = write_report(
            model, records, args.report, data_name=args.data, warnings=data_warnings(model, records, args.data)
        )
        print(f"stancelib: report written to {page}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(metrics, indent=2))
    else:
        print(f"{len(records)} records from {args.data}\n")
        print(format_report(metrics, model.tones))
    return 0


def _cmd_info(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    model = _model_from(args, parser)
    if args.format == "json":
        print(json.dumps(dict(model.metadata), indent=2, ensure_ascii=False))
        return 0
    print(_render.model_summary(model))
    return 0


# ------------------------------------------------------------------- trend
def _cmd_trend(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ._trend import trend

    if not os.path.isfile(args.input):
        parser.error(f"--input {args.input}: no such file")
    if not 0.0 < args.confidence < 1.0:
        parser.error(f"--confidence must be between 0 and 1, got {args.confidence}")
    if args.chart and os.path.splitext(args.chart)[1].lower() not in (".png", ".svg"):
        parser.error(f"--chart {args.chart}: give a .png or .svg file name")
    for path in (args.output, args.chart):
        if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            parser.error(f"{path}: its directory does not exist")
    model = _model_from(args, parser)
    unknown = [t for t in args.topic if t not in (*model.topics, "all")]
    if unknown:
        parser.error(f"--topic {unknown[0]}: not one of the model's topics {list(model.topics)} or 'all'")
    result = trend(
        args.input,
        date_field=args.date_field,
        text_field=args.text_field,
        freq=args.freq,
        model=model,
        confidence=args.confidence,
    )
    text = result.to_csv() if args.format == "csv" else json.dumps(result.to_dict(), indent=2) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    if args.chart:
        result.save_chart(args.chart, topics=args.topic or None)
        print(f"stancelib: chart written to {args.chart}", file=sys.stderr)
    return 0
