"""The ``stancelib`` command: argument parsing and printing only."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from . import __version__
from .errors import StanceLibError
from .labels import Prediction
from .registry import DEFAULT_MODEL, load_model

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


def build_parser() -> argparse.ArgumentParser:
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
    p.add_argument(
        "--input-format", choices=("txt", "jsonl", "csv"), help="override the format guessed from --input's suffix"
    )
    p.add_argument("--text-field", default="text", help="JSONL field holding the text (default: text)")
    p.add_argument("--text-column", default=None, help="CSV column holding the text (default: text)")
    p.add_argument("--jobs", type=int, default=0, help="worker processes for --input (default: all cores)")
    p.add_argument("--skip-bad", action="store_true", help="report and skip unreadable records instead of stopping")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_model(p)

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
    p.add_argument("--input-format", choices=("txt", "jsonl", "csv"))
    p.add_argument("--text-field", default="text")
    p.add_argument("--text-column", default=None)
    p.add_argument("--jobs", type=int, default=0)
    p.add_argument("--skip-bad", action="store_true")
    p.add_argument("--quiet", action="store_true")
    _add_model(p)

    p = sub.add_parser(
        "explain",
        help="show the n-grams behind a sentence's topics and tone",
        description="Show each feature's exact contribution to the predicted topics and tone.",
    )
    p.add_argument("text", metavar="SENTENCE")
    p.add_argument("--top", type=int, default=8, help="features to show per label (default: 8)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_model(p)

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

    p = sub.add_parser(
        "evaluate",
        help="metrics of a model on labelled data",
        description="Report per-topic precision/recall/F1, topic micro/macro-F1, tone accuracy, "
        "macro-F1 and the confusion matrix on labelled data.",
    )
    p.add_argument("--data", required=True, metavar="FILE")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_model(p)

    p = sub.add_parser("info", help="show a model's metadata and headline metrics")
    p.add_argument("--format", choices=("text", "json"), default="text")
    _add_model(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handler = globals()[f"_cmd_{args.command}"]
    try:
        return int(handler(args, parser) or 0)
    except StanceLibError as exc:
        print(f"stancelib: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stancelib: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: not an error.
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0


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
    texts = [line.rstrip("\r\n") for line in sys.stdin] if args.texts == ["-"] else list(args.texts)
    model = load_model(args.model)
    predictions = model.predict(texts)
    fmt = args.format or "table"
    _print_predictions(predictions, fmt, model.topics, model.tones, sys.stdout)
    return 0


def _print_predictions(
    predictions: list[Prediction], fmt: str, topics: Sequence[str], tones: Sequence[str], out: TextIO
) -> None:
    if fmt == "jsonl":
        for p in predictions:
            out.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["text", "topics", "tone", *(f"topic_{t}" for t in topics), *(f"tone_{t}" for t in tones)])
        for p in predictions:
            w.writerow(
                [
                    p.text,
                    ";".join(p.topics),
                    p.tone,
                    *(f"{p.topic_scores[t]:.4f}" for t in topics),
                    *(f"{p.tone_scores[t]:.4f}" for t in tones),
                ]
            )
        return
    for p in predictions:
        topics_text = ", ".join(f"{t} {p.topic_scores[t]:.2f}" for t in p.topics) or "off-agenda"
        out.write(f"{p.tone:<11} {p.tone_scores[p.tone]:.2f}  {topics_text:<36}  {_clip(p.text, 70)}\n")


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _stream(args: argparse.Namespace, parser: argparse.ArgumentParser, mode: str) -> int:
    from .batch import BatchOptions, format_from_path, run_batch

    in_fmt = args.input_format or format_from_path(args.input)
    out_path = args.output or "-"
    fmt = args.format
    if fmt in (None, "text", "table", "json"):
        fmt = "csv" if (args.output and format_from_path(args.output, "jsonl") == "csv") else "jsonl"
    text_field = (args.text_column or "text") if in_fmt == "csv" else args.text_field
    jobs = args.jobs or (os.cpu_count() or 1)
    if args.input != "-" and not os.path.isfile(args.input):
        parser.error(f"--input {args.input}: no such file")
    if args.output and not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
        parser.error(f"--output {args.output}: its directory does not exist")
    opts = BatchOptions(
        mode=mode,
        input_format=in_fmt,
        output_format=fmt,
        text_field=text_field,
        jobs=jobs,
        skip_bad=args.skip_bad,
        model=str(args.model),
    )
    show = not args.quiet and sys.stderr.isatty()
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
        sys.stderr.write(line)
        sys.stderr.flush()

    report = run_batch(args.input, out_path, opts, progress=progress)
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
        document = sys.stdin.read()
    else:
        try:
            with open(args.file, encoding="utf-8-sig") as f:
                document = f.read()
        except FileNotFoundError:
            parser.error(f"{args.file}: no such file")
        except UnicodeDecodeError:
            parser.error(f"{args.file}: not UTF-8 text; convert it first (e.g. iconv -t utf-8)")
    from .document import analyze_with

    analysis = analyze_with(load_model(args.model), document)
    if args.format in ("json", "jsonl"):
        print(json.dumps(analysis.to_dict(), ensure_ascii=False, indent=2 if args.format == "json" else None))
        return 0
    if args.format == "csv":
        parser.error("--format csv needs --input")
    print(render_report(analysis))
    return 0


def render_report(analysis: Any) -> str:
    """The human-readable report of a `DocumentAnalysis`."""
    lines = []
    n = len(analysis.sentences)
    score = analysis.tone_score
    lines.append(
        f"Document: {n} sentence{'s' if n != 1 else ''}, overall tone {analysis.tone}"
        + (f" (score {score:+.2f})" if score is not None else "")
    )
    lines.append("")
    if analysis.topics:
        tones = list(analysis.tone_scores)
        header = (
            f"{'topic':<14}{'sentences':>10}  "
            + "".join(f"{t:>12}" for t in tones)
            + f"{'score':>8}  driving sentences"
        )
        lines.append(header)
        lines.append("-" * len(header))
        for s in analysis.topics.values():
            shares = "".join(f"{s.tone_shares[t]:>12.0%}" for t in tones)
            sc = f"{s.tone_score:+8.2f}" if s.tone_score is not None else f"{'':>8}"
            lines.append(f"{s.topic:<14}{s.count:>10}  {shares}{sc}  {', '.join(f'#{i + 1}' for i in s.drivers)}")
    else:
        lines.append("No agenda topic found.")
    lines.append("")
    lines.append("Sentences")
    for s in analysis.sentences:
        p = s.prediction
        topics = ", ".join(p.topics) or "off-agenda"
        lines.append(f"#{s.index + 1:<3} {p.tone:<11} {p.tone_scores[p.tone]:.2f}  [{topics}]")
        lines.append(f"     {_clip(p.text, 100)}")
    return "\n".join(lines)


# ----------------------------------------------------------------- explain
def _cmd_explain(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .explanation import explain_with

    if args.top < 1:
        parser.error("--top must be at least 1")
    e = explain_with(load_model(args.model), args.text)
    if args.format == "json":
        print(json.dumps(e.to_dict(args.top), ensure_ascii=False, indent=2))
        return 0
    p = e.prediction
    print(f"{_clip(p.text, 100)}")
    print(f"topics: {', '.join(p.topics) or 'off-agenda'}    tone: {p.tone} ({p.tone_scores[p.tone]:.2f})")
    for part in (*e.topics, e.tone):
        what = f"topic {part.label}" if part.head == "topic" else f"tone {part.label} vs {part.versus}"
        print()
        print(f"{what}: p={part.probability:.3f}  logit {part.logit:+.3f} = bias {part.bias:+.3f} + features")
        ups = [c for c in part.contributions if c.value > 0][: args.top]
        downs = sorted((c for c in part.contributions if c.value < 0), key=lambda c: c.value)[: args.top]
        for label, items in (("for", ups), ("against", downs)):
            if items:
                print(f"  {label:<8}" + "   ".join(f"{c.feature} {c.value:+.3f}" for c in items))
    return 0


# ----------------------------------------------------------- train/evaluate
def _cmd_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .fit import train_to_directory

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
    from .dataset import read_records
    from .metrics import evaluate, format_report

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
    meta = dict(model.metadata)
    if args.format == "json":
        print(json.dumps(meta, indent=2, ensure_ascii=False))
        return 0
    print(repr(model))
    print(f"thresholds: {dict(zip(model.topics, model.thresholds))}")
    dev = meta.get("metrics", {}).get("dev")
    if dev:
        print(
            f"dev: topic micro-F1 {dev['topic_micro_f1']:.3f}, tone macro-F1 {dev['tone_macro_f1']:.3f} (n={dev['n']})"
        )
    return 0
