"""``stancelib evaluate --report DIR`` and `stancelib.evaluation_report`: the page, its figures, a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import stancelib
from stancelib._cli import main

from .browser import find_browser, render
from .conftest import DATA, ROOT

pytest.importorskip("matplotlib")

pytestmark = pytest.mark.slow  # draws every figure of the report

RESULTS = ROOT / "benchmarks" / "results"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (DATA / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:120]
    path = tmp_path_factory.mktemp("data") / "sample.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stancelib.evaluation_report(sample, tmp_path_factory.mktemp("report"))


def test_page_is_self_contained_with_four_figures(page: Path, sample: Path) -> None:
    text = page.read_text(encoding="utf-8")
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', text)
    assert images == [
        "Tone confusion matrix",
        "Per-topic precision, recall and F1",
        "Precision-recall per topic",
        "Tone calibration",
    ]
    assert not re.search(r'(src|href)="(?!data:)', text)  # nothing outside the file
    metrics = json.loads((page.parent / "metrics.json").read_text())
    assert metrics["n"] == 120 and len(metrics["tone_confusion"]) == 3
    wrong = len(re.findall(r"<tr><td class='num'>\d+</td>", text))
    assert 0 < wrong <= 60
    # The misclassified rows carry n-gram contributions from explain.
    assert re.search(r'<span class="(pos|neg)">[^<]+ [+-]\d\.\d\d</span>', text)


@pytest.mark.slow
def test_thresholds_change_the_report(sample: Path, tmp_path: Path) -> None:
    page = stancelib.evaluation_report(sample, tmp_path, thresholds={"iran": 1.0})
    metrics = json.loads((page.parent / "metrics.json").read_text())
    assert "iran 1.00" in page.read_text() and metrics["topics"]["iran"]["recall"] == 0.0
    assert "topics.iran.precision" in metrics["undefined"]
    assert re.search(r"<td>iran</td><td class=\"num na\">n/a</td>", page.read_text())


@pytest.mark.slow
def test_cli_report_and_training_data_warning(sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    assert main(["evaluate", "--data", str(sample), "--report", str(out)]) == 0
    assert (out / "index.html").is_file()
    assert f"report written to {out / 'index.html'}" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--data", str(sample), "--report", str(tmp_path / "file")])
    assert exc.value.code == 2


def test_warning_when_evaluating_on_the_training_data(tmp_path: Path) -> None:
    from stancelib._dataset import read_records
    from stancelib._report import data_warnings

    data = tmp_path / "train.jsonl"
    data.write_text('{"text": "We condemn it.", "topics": [], "tone": "critical"}\n')
    records = read_records(data)
    model = stancelib.load_model()
    assert data_warnings(model, records, data) == []
    h = __import__("hashlib").sha256(records[0].to_json().encode() + b"\n").hexdigest()
    own = model.with_metadata({**model.metadata, "training": {"data_sha256": h}})
    warnings = data_warnings(own, records, data)
    assert len(warnings) == 1 and "trained on" in warnings[0]


@pytest.mark.slow
def test_page_renders_in_a_real_browser(page: Path) -> None:
    if find_browser() is None:
        pytest.skip("no Chromium-family browser installed (Debian: apt-get install chromium); .ci/run installs it")
    shot = RESULTS / "report.png"
    seen = render(page, shot)
    assert seen.images == 4 and seen.loaded == 4, seen
    assert seen.console == []
    assert seen.screenshot is not None and seen.screenshot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_browser_check_catches_a_broken_figure(page: Path, tmp_path: Path) -> None:
    if find_browser() is None:
        pytest.skip("no Chromium-family browser installed (Debian: apt-get install chromium); .ci/run installs it")
    broken = tmp_path / "index.html"
    text = page.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1).replace(
            "</body>", "<script>console.error('boom')</script></body>"
        ),
        encoding="utf-8",
    )
    seen = render(broken)
    assert seen.loaded == 3 and seen.images == 4
    assert any("boom" in line for line in seen.console)


def test_screenshot_script_exists_and_runs_help() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/screenshots.py", "--help"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and "docs/images" in done.stdout
    assert shutil.which(sys.executable)
