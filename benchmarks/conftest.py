"""Fixtures and the summary table for the benchmarks.

Run with ``pytest benchmarks/`` (full) or ``pytest benchmarks/ --short``
(CI). Every figure of stancelib and its peers is measured in the same run;
the table with the ratios is printed at the end and written, with the raw
figures, to ``benchmarks/results/``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

#: metric -> system -> value; filled by the benchmarks, printed at the end.
REPORT: dict[str, dict[str, Any]] = defaultdict(dict)


@pytest.fixture(scope="session")
def train_records() -> list[Any]:
    from stancelib._dataset import read_records

    return read_records(ROOT / "training" / "data" / "train.jsonl")


@pytest.fixture(scope="session")
def dev_records() -> list[Any]:
    from stancelib._dataset import read_records

    return read_records(ROOT / "training" / "data" / "dev.jsonl")


@pytest.fixture(scope="session")
def pinned(dev_records: list[Any]) -> list[str]:
    """300 realistic sentences of varied length (4 to 60+ words), fixed by the dev file."""
    return [r.text for r in dev_records[:300]]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--short", action="store_true", help="fewer rounds and sentences (CI)")


@pytest.fixture(scope="session")
def short(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--short")) or os.environ.get("STANCELIB_BENCH_SHORT") == "1"


@pytest.fixture(scope="session")
def report() -> dict[str, dict[str, Any]]:
    return REPORT


# (metric, unit, better, target description)
ROWS = [
    ("single_p50_us", "µs", "lower", "≤ 0.8× fastText's time; ≥ 50× faster than sklearn"),
    ("single_p99_us", "µs", "lower", ""),
    ("batch_per_s", "sentences/s", "higher", "≥ 1.5× fastText (Python); ≥ 3× sklearn"),
    ("columns_per_s", "sentences/s", "higher", "≥ fastText's C++ loop"),
    ("batch_2cores_per_s", "sentences/s", "higher", "≥ 1.8× one process (scores)"),
    ("batch_1core_scores_per_s", "sentences/s", "higher", ""),
    ("cost_10w_us", "µs/sentence", "lower", ""),
    ("cost_30w_us", "µs/sentence", "lower", ""),
    ("cost_80w_us", "µs/sentence", "lower", ""),
    ("cost_300w_us", "µs/sentence", "lower", "per word ≤ 1.5× that at 30 words"),
    ("cold_start_s", "s", "lower", "≤ 1.5× python -c 'import numpy'"),
    ("model_mb", "MB", "lower", "≤ 5 MB"),
    ("rss_after_load_mb", "MB", "lower", "≤ 60 MB"),
    ("train_s", "s", "lower", ""),
    ("topic_micro_f1", "", "higher", "≥ both peers"),
    ("tone_macro_f1", "", "higher", "≥ both peers"),
]
#: "fastText C++" is fastText's own `predict-prob` loop, both heads, on the pinned input file.
SYSTEMS = ["stancelib", "fastText", "fastText C++", "sklearn"]


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.3f}"
    return str(v)


def _ratio(metric: str, better: str, ours: Any, peer: Any) -> str:
    if not isinstance(ours, (int, float)) or not isinstance(peer, (int, float)) or not ours or not peer:
        return "–"
    r = peer / ours if better == "lower" else ours / peer
    return f"{r:.2f}×"


def render_table() -> str:
    extra = REPORT.get("_baseline", {})
    lines = [
        "| metric | unit | " + " | ".join(SYSTEMS) + " | " + " | ".join(f"vs {s}" for s in SYSTEMS[1:]) + " | target |",
        "|---|---|" + "---:|" * (2 * len(SYSTEMS) - 1) + "---|",
    ]
    for metric, unit, better, target in ROWS:
        row = REPORT.get(metric)
        if not row:
            continue
        values = [row.get(s) for s in SYSTEMS]
        lines.append(
            f"| {metric} | {unit} | "
            + " | ".join(_fmt(v) for v in values)
            + " | "
            + " | ".join(_ratio(metric, better, values[0], v) for v in values[1:])
            + f" | {target} |"
        )
    notes = [
        "",
        "Ratios ('vs X') are speed-ups (or accuracy ratios) of stancelib over the peer, measured in this run: "
        "above 1× means stancelib is better.",
    ]
    if "cost_per_word" in extra:
        notes.append(
            f"Cost per word, 300 words / 30 words: {extra['cost_per_word']:.2f}× "
            "(stancelib `predict` on a list of sentences of that length)."
        )
    if "numpy_import_s" in extra:
        notes.append(
            f"Bare `python -c 'import numpy'`: {extra['numpy_import_s']:.3f} s; "
            f"stancelib cold start / numpy = {REPORT['cold_start_s']['stancelib'] / extra['numpy_import_s']:.2f}×."
        )
    if "scaling" in extra:
        notes.append(
            f"2-core scaling of stancelib (score arrays, {extra['scaling_n']:,} sentences): "
            f"{extra['scaling']:.2f}× one process."
        )
    if "sklearn_modules_after_predict" in extra:
        notes.append(
            f"Modules of sklearn/scipy/joblib imported by `import stancelib` + load + predict: "
            f"{extra['sklearn_modules_after_predict']}."
        )
    for key, value in sorted(extra.items()):
        if key.startswith("note_"):
            notes.append(str(value))
    return "\n".join(lines + notes)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REPORT:
        return
    table = render_table()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.md").write_text(
        f"# Benchmark summary\n\nMachine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.\n\n{table}\n",
        encoding="utf-8",
    )
    (RESULTS / "summary.json").write_text(json.dumps(REPORT, indent=2, default=str), encoding="utf-8")
    terminalreporter.write_sep("=", "stancelib benchmark summary")
    terminalreporter.write_line(table)
    terminalreporter.write_line(f"(written to {RESULTS / 'summary.md'} and summary.json)")
