"""`stancelib.trend` and ``stancelib trend`` on the dated example corpus in examples/."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import stancelib
from stancelib import DataError, InputError
from stancelib._cli import main
from stancelib._document import tone_from_score
from stancelib._trend import ALL, period_of

from .conftest import ROOT

CORPUS = ROOT / "examples" / "briefings_2025.jsonl"


@pytest.fixture(scope="module")
def monthly() -> stancelib.Trend:
    return stancelib.trend(CORPUS, freq="month")


def test_periods() -> None:
    d = date(2024, 12, 30)
    assert [period_of(d, f) for f in ("day", "week", "month", "quarter", "year")] == [
        "2024-12-30",
        "2025-W01",
        "2024-12",
        "2024-Q4",
        "2024",
    ]
    with pytest.raises(InputError, match="freq"):
        period_of(d, "fortnight")


def test_counts_match_analyze(monthly: stancelib.Trend) -> None:
    docs = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    per_month: dict[tuple[str, str], int] = {}
    for d in docs:
        for s in stancelib.analyze(d["text"]).sentences:
            for topic in (ALL, *s.prediction.topics):
                key = (topic, d["date"][:7])
                per_month[key] = per_month.get(key, 0) + 1
    got = {(r.topic, r.period): r.n_sentences for r in monthly.rows}
    assert got == per_month
    assert {r.period for r in monthly.rows if r.topic == ALL} == {f"2025-{m:02d}" for m in range(1, 13)}


def test_band_and_tone(monthly: stancelib.Trend) -> None:
    for r in monthly.rows:
        assert -1.0 <= r.tone_score <= 1.0 and r.tone == tone_from_score(r.tone_score)
        if r.n_sentences == 1:
            assert r.low is None and r.high is None
        else:
            assert r.low is not None and r.high is not None and r.low <= r.tone_score <= r.high


def test_the_example_corpus_shows_the_turn_on_iran() -> None:
    # The corpus is written so that Iran is discussed warmly in Q1 and harshly in Q3.
    rows = {r.period: r for r in stancelib.trend(CORPUS, freq="quarter").rows if r.topic == "iran"}
    assert rows["2025-Q1"].tone_score > 0.1 > -0.1 > rows["2025-Q3"].tone_score
    wider = {r.period: r for r in stancelib.trend(CORPUS, freq="quarter", confidence=0.99).rows if r.topic == "iran"}
    assert wider["2025-Q1"].low < rows["2025-Q1"].low  # type: ignore[operator]


def test_records_and_errors() -> None:
    t = stancelib.trend(
        [{"when": "2025-01-05T10:00:00Z", "body": "We condemn Iran's enrichment."}],
        date_field="when",
        text_field="body",
        freq="year",
    )
    assert next((r.topic, r.period) for r in t.rows) == (ALL, "2025")
    with pytest.raises(DataError, match=r"document 0: field 'date' is 'soon'"):
        stancelib.trend([{"date": "soon", "text": "x"}])
    with pytest.raises(DataError, match=r"document 1: no field 'text'"):
        stancelib.trend([{"date": "2025-01-01", "text": "x"}, {"date": "2025-01-02"}])


def test_cli_csv_json_and_line_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trend", "--input", str(CORPUS), "--freq", "quarter"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["topic", "period", "n_documents", "n_sentences", "tone_score", "low", "high", "tone"]
    assert rows[0]["topic"] == ALL and len({r["period"] for r in rows}) == 4
    out = tmp_path / "t.json"
    assert main(["trend", "--input", str(CORPUS), "--format", "json", "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["freq"] == "month" and len(data["rows"]) > 12
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"date": "2025-01-01", "text": "ok"}\n\n{"date": "2025-13-45", "text": "x"}\n')
    done = subprocess.run(
        [sys.executable, "-m", "stancelib", "trend", "--input", str(bad)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 1 and f"{bad}:3: field 'date'" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--input", "missing.jsonl"],
        ["--input", str(CORPUS), "--chart", "x.pdf"],
        ["--input", str(CORPUS), "--topic", "mars"],
        ["--input", str(CORPUS), "--freq", "decade"],
    ],
)
def test_cli_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["trend", *args])
    assert exc.value.code == 2


@pytest.mark.slow
def test_chart_png_and_svg(tmp_path: Path, monthly: stancelib.Trend) -> None:
    pytest.importorskip("matplotlib")
    png = monthly.save_chart(tmp_path / "trend.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert main(["trend", "--input", str(CORPUS), "--chart", str(tmp_path / "t.svg"), "--topic", "iran"]) == 0
    assert (tmp_path / "t.svg").read_text().lstrip().startswith("<?xml")


def test_no_plotting_or_pandas_import_for_predict_analyze_and_the_table() -> None:
    code = (
        "import sys, stancelib\n"
        "stancelib.predict('Iran talks resumed.'); stancelib.analyze('We condemn it. Talks resume.')\n"
        f"stancelib.trend({str(CORPUS)!r}).to_csv()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'pandas', 'PIL'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"
