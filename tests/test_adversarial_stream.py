"""Adversarial suite, streaming and the file system: hostile records, hostile paths, special files.

Every case runs the real command (`stancelib._cli.main`, in process, with a
tiny model directory so that each run takes milliseconds) and checks three
things: the exit status (0 success, 1 data, 2 usage), one line on stderr
without a traceback, and that no input was lost and no temporary file left.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stancelib import InputError
from stancelib._batch import cores, worker_count
from stancelib._cli import main
from stancelib._stream import BatchOptions, run_batch

from .conftest import ROOT, make_tiny_model

Capture = pytest.CaptureFixture[str]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(make_tiny_model().save(tmp_path_factory.mktemp("m") / "tiny"))


def _main(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:  # argparse's usage errors
        return int(exc.code or 0)


def _run(args: list[str], tiny: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = _main([*args, "--model", tiny, "--n-jobs", "1", "--quiet"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code != 0:
        assert err.count("\n") == 1 and err.startswith("stancelib: error: "), err
    return code, out, err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial") or ".tmp" in p.name)


# ---------------------------------------------------------------- records
# (file name, content bytes, extra args, expected status, expected status with --skip-bad, text in stderr)
RECORDS: dict[str, tuple[str, bytes, list[str], int, int, str]] = {
    "txt-invalid-utf8": ("in.txt", b"iran talks\n\xff\xfe bad bytes\nwelcome\n", [], 1, 0, ":2: not valid UTF-8"),
    "txt-latin1-file": ("in.txt", "Guaid\xf3 met\n".encode("latin-1"), [], 1, 0, ":1: not valid UTF-8"),
    "jsonl-invalid-utf8": ("in.jsonl", b'{"text": "ok"}\n{"text": "\xc3("}\n', [], 1, 0, ":2: not valid UTF-8"),
    "jsonl-huge-integer": ("in.jsonl", b'{"text": "iran", "n": ' + b"9" * 5000 + b"}\n", [], 1, 0, "JSON value"),
    "jsonl-deep-nesting": (
        "in.jsonl",
        b'{"text": "iran", "x": ' + b"[" * 50000 + b"]" * 50000 + b"}\n",
        [],
        1,
        0,
        "nested",
    ),
    "jsonl-1e999": ("in.jsonl", b'{"text": "iran", "score": 1e999}\n', [], 1, 0, "out of range"),
    "jsonl-NaN": ("in.jsonl", b'{"text": "iran", "score": NaN}\n', [], 1, 0, "NaN"),
    "jsonl-not-an-object": ("in.jsonl", b'["iran"]\n', [], 1, 0, "expected a JSON object"),
    "jsonl-text-not-string": ("in.jsonl", b'{"text": 5}\n', [], 1, 0, "not a string"),
    "jsonl-no-text-field": ("in.jsonl", b'{"body": "iran"}\n', [], 1, 0, "--text-field"),
    "jsonl-broken-json": ("in.jsonl", b'{"text": "iran"\n', [], 1, 0, "not valid JSON"),
    "csv-unterminated-quote": ("in.csv", b'text,id\n"iran talks,1\nwelcome,2\ncondemn,3\n', [], 1, 0, "never closed"),
    "csv-wrong-field-count": ("in.csv", b"text,id\niran,1,extra\n", [], 1, 0, "fields, the header has"),
    "csv-repeated-header": ("in.csv", b"text,id,id\niran,1,2\n", [], 1, 1, "repeats the column name(s) ['id']"),
    "csv-no-text-column": ("in.csv", b"body,id\niran,1\n", [], 1, 1, "no column 'text'"),
    "csv-invalid-utf8": ("in.csv", b"text,id\n\xff,1\n", [], 1, 0, ":2: not valid UTF-8"),
    "tsv-invalid-utf8-header": ("in.tsv", b"te\xffxt\tid\niran\t1\n", [], 1, 1, "header is not valid UTF-8"),
}


@pytest.mark.parametrize("name", list(RECORDS))
def test_hostile_records(name: str, tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    file_name, content, extra, status, skip_status, message = RECORDS[name]
    src = tmp_path / file_name
    src.write_bytes(content)
    out = tmp_path / "out.jsonl"
    code, _, err = _run(["predict", "--input", str(src), "--output", str(out), *extra], tiny_dir, capsys)
    assert code == status and message in err, err
    assert not out.exists() and _leftovers(tmp_path) == []
    assert src.read_bytes() == content
    code, _, err = _run(["predict", "--input", str(src), "--output", str(out), "--skip-bad", *extra], tiny_dir, capsys)
    assert code == skip_status, err
    if code == 0:
        for line in out.read_bytes().decode("utf-8").splitlines():
            json.loads(line)  # valid JSON, strict UTF-8
            assert "Infinity" not in line and "NaN" not in line


def test_lone_surrogate_escape_is_labelled_and_written_back_escaped(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "iran \\ud800 talks"}\n')
    out = tmp_path / "out.jsonl"
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(out)], tiny_dir, capsys)
    assert code == 0
    raw = out.read_bytes()
    row = json.loads(raw.decode("utf-8"))
    assert row["text"] == "iran \ud800 talks" and row["topics"] == ["iran"]


def test_csv_field_over_128_kb_is_labelled(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src = tmp_path / "in.csv"
    src.write_text("text,id\n" + '"' + "iran " * 60_000 + '",1\nwelcome,2\n')
    out = tmp_path / "out.csv"
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(out)], tiny_dir, capsys)
    assert code == 0
    rows = list(csv.reader(out.open()))
    assert len(rows) == 3 and rows[1][2] == "iran"


def test_csv_field_over_the_cap_is_a_bad_record(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import stancelib._stream as stream

    monkeypatch.setattr(stream, "MAX_CSV_FIELD", 1000)
    src = tmp_path / "in.csv"
    src.write_text("text,id\nwelcome,1\n" + "x" * 5000 + ",2\n")
    out = tmp_path / "out.csv"
    code, _, err = _run(["predict", "--input", str(src), "--output", str(out)], tiny_dir, capsys)
    assert code == 1 and ":3: malformed CSV" in err and "field larger than field limit" in err


def test_tsv_is_read_as_tab_separated(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src = tmp_path / "in.tsv"
    src.write_text("id\ttext\n1\tiran talks, again\n")
    out = tmp_path / "out.csv"
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(out)], tiny_dir, capsys)
    assert code == 0
    rows = list(csv.reader(out.open()))
    assert rows[0][:3] == ["id", "text", "topics"] and rows[1][:3] == ["1", "iran talks, again", "iran"]


# ------------------------------------------------------------ collisions
COLLISIONS: dict[str, tuple[str, str, str]] = {
    "jsonl-tone": ("in.jsonl", '{"text": "iran", "tone": "gold"}\n', "['tone']"),
    "jsonl-topics": ("in.jsonl", '{"text": "iran", "topics": ["gold"]}\n', "['topics']"),
    "jsonl-topic-scores": ("in.jsonl", '{"text": "iran", "topic_scores": 1}\n', "['topic_scores']"),
    "jsonl-model": ("in.jsonl", '{"text": "iran", "model": "mine"}\n', "['model']"),
    "jsonl-later-record": ("in.jsonl", '{"text": "a"}\n{"text": "iran", "n_known_features": 1}\n', "line 2"),
    "csv-tone": ("in.csv", "text,tone\niran,gold\n", "['tone']"),
    "csv-topic-column": ("in.csv", "text,topic_iran\niran,1\n", "['topic_iran']"),
}


@pytest.mark.parametrize("name", list(COLLISIONS))
def test_field_collisions_are_refused_then_prefixed(
    name: str, tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file_name, content, named = COLLISIONS[name]
    src = tmp_path / file_name
    src.write_text(content)
    out = tmp_path / ("out.csv" if file_name.endswith(".csv") else "out.jsonl")
    code, _, err = _run(["predict", "--input", str(src), "--output", str(out)], tiny_dir, capsys)
    assert code == 2 and named in err and "--prefix" in err, err
    assert not out.exists() and _leftovers(tmp_path) == []
    code, _, _ = _run(
        ["predict", "--input", str(src), "--output", str(out), "--prefix", "stancelib_"], tiny_dir, capsys
    )
    assert code == 0
    if out.suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        source_rows = [json.loads(line) for line in content.splitlines()]
        for row, original in zip(rows, source_rows):
            assert {k: row[k] for k in original} == original  # the input's fields kept as they were
            assert "stancelib_tone" in row
    else:
        header = next(csv.reader(out.open()))
        assert header[:2] == content.splitlines()[0].split(",") and "stancelib_tone" in header
        assert len(header) == len(set(header))


# ------------------------------------------------------------ paths
def _fs_case(tmp_path: Path) -> tuple[Path, bytes]:
    src = tmp_path / "news.txt"
    content = b"iran talks\nwelcome the meeting\n"
    src.write_bytes(content)
    return src, content


def test_output_is_the_input(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, content = _fs_case(tmp_path)
    code, _, err = _run(["predict", "--input", str(src), "--output", str(src)], tiny_dir, capsys)
    assert code == 2 and "--overwrite-input" in err
    assert src.read_bytes() == content


def test_output_is_the_input_through_a_symlink(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, content = _fs_case(tmp_path)
    (tmp_path / "link.jsonl").symlink_to(src)
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(tmp_path / "link.jsonl")], tiny_dir, capsys)
    assert code == 2 and src.read_bytes() == content


def test_output_is_the_input_through_a_hard_link(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, content = _fs_case(tmp_path)
    os.link(src, tmp_path / "hard.jsonl")
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(tmp_path / "hard.jsonl")], tiny_dir, capsys)
    assert code == 2 and src.read_bytes() == content


def test_overwrite_input_when_asked(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, _ = _fs_case(tmp_path)
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(src), "--overwrite-input"], tiny_dir, capsys)
    assert code == 0 and next(json.loads(x)["text"] for x in src.read_text().splitlines()) == "iran talks"


def test_output_is_a_folder(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, _ = _fs_case(tmp_path)
    folder = tmp_path / "results"
    folder.mkdir()
    code, _, err = _run(["predict", "--input", str(src), "--output", str(folder)], tiny_dir, capsys)
    assert code == 2 and "is a folder" in err and list(folder.iterdir()) == []


def test_output_folder_missing(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, _ = _fs_case(tmp_path)
    code, _, err = _run(
        ["predict", "--input", str(src), "--output", str(tmp_path / "no" / "o.jsonl")], tiny_dir, capsys
    )
    assert code == 2 and "does not exist" in err


def test_input_is_a_folder(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    code, _, err = _run(["predict", "--input", str(tmp_path)], tiny_dir, capsys)
    assert code == 2 and "is a folder" in err


def test_input_missing(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    code, _, err = _run(["predict", "--input", str(tmp_path / "none.txt")], tiny_dir, capsys)
    assert code == 2 and "no such file" in err


def test_analyze_on_a_folder(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    assert _main(["analyze", str(tmp_path), "--model", tiny_dir]) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and err.count("\n") == 1


def test_output_to_dev_null_keeps_the_device(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, _ = _fs_case(tmp_path)
    code, _, _ = _run(["predict", "--input", str(src), "--output", "/dev/null"], tiny_dir, capsys)
    assert code == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_to_dev_full_is_a_write_error(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    # /dev/full answers every write with ENOSPC: a disk that is full.
    src, _ = _fs_case(tmp_path)
    code, _, err = _run(["predict", "--input", str(src), "--output", "/dev/full"], tiny_dir, capsys)
    assert code == 1 and "No space left" in err


def test_disk_full_at_the_end_leaves_no_temp_file(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    src, _ = _fs_case(tmp_path)

    def full(*args: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    out = tmp_path / "out.jsonl"
    code, _, err = _run(["predict", "--input", str(src), "--output", str(out)], tiny_dir, capsys)
    assert code == 1 and "No space left" in err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_output_to_a_fifo_keeps_the_fifo(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, _ = _fs_case(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(fifo)], tiny_dir, capsys)
    reader.join(10)
    assert code == 0 and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(got[0].decode().splitlines()) == 2


def test_input_from_a_fifo(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    # Like --input <(cmd): the data streams through a pipe.
    fifo = tmp_path / "in.txt"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"iran talks\nwelcome\n"))
    writer.start()
    out = tmp_path / "out.jsonl"
    code, _, _ = _run(["predict", "--input", str(fifo), "--output", str(out)], tiny_dir, capsys)
    writer.join(10)
    assert code == 0 and len(out.read_text().splitlines()) == 2


def test_input_from_process_substitution(tiny_dir: str, tmp_path: Path) -> None:
    script = f"{sys.executable} -m stancelib predict --quiet --n-jobs 1 --model {tiny_dir} --input <(printf 'iran\\n')"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["topics"] == ["iran"]


def test_output_symlink_to_dev_stdout(tiny_dir: str, tmp_path: Path) -> None:
    src, _ = _fs_case(tmp_path)
    link = tmp_path / "out.jsonl"
    link.symlink_to("/dev/stdout")
    args = ["predict", "--quiet", "--n-jobs", "1", "--model", tiny_dir, "--input", str(src), "--output", str(link)]
    done = subprocess.run(
        [sys.executable, "-m", "stancelib", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2 and link.is_symlink()


def test_output_dash_streams_to_stdout(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, _ = _fs_case(tmp_path)
    code, out, _ = _run(["predict", "--input", str(src), "--output", "-"], tiny_dir, capsys)
    assert code == 0 and len(out.splitlines()) == 2


def test_output_symlink_to_a_file_keeps_the_link(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, _ = _fs_case(tmp_path)
    real = tmp_path / "real.jsonl"
    real.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(link)], tiny_dir, capsys)
    assert code == 0 and link.is_symlink() and len(real.read_text().splitlines()) == 2


def test_output_name_at_the_length_limit(tiny_dir: str, tmp_path: Path, capsys: Capture) -> None:
    src, _ = _fs_case(tmp_path)
    out = tmp_path / ("o" * 249 + ".jsonl")
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(out)], tiny_dir, capsys)
    assert code == 0 and out.exists()


def test_stale_temp_files_of_dead_runs_are_removed(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, _ = _fs_case(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".stancelib.{dead.pid}.abc123.partial"
    live = tmp_path / f".stancelib.{os.getppid()}.abc123.partial"
    stale.write_text("half")
    live.write_text("in progress")
    code, _, _ = _run(["predict", "--input", str(src), "--output", str(tmp_path / "o.jsonl")], tiny_dir, capsys)
    assert code == 0 and not stale.exists() and live.exists()


def test_non_utf8_stdin(tiny_dir: str, monkeypatch: pytest.MonkeyPatch, capsys: Capture) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"iran\n\xff\xfe\n")))
    assert main(["predict", "-", "--model", tiny_dir]) == 1
    err = capsys.readouterr().err
    assert "stdin:2: not valid UTF-8" in err and err.count("\n") == 1


def test_non_utf8_stdin_streamed(
    tiny_dir: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"iran\n\xff\xfe\n")))
    code, _, err = _run(["predict", "--input", "-"], tiny_dir, capsys)
    assert code == 1 and "-:2: not valid UTF-8" in err


# --------------------------------------------------- unprivileged user
def _as_nobody() -> list[str] | None:
    if os.geteuid() != 0:
        return []  # already unprivileged
    for tool in ("/usr/bin/setpriv", "/usr/sbin/runuser"):
        if os.path.exists(tool):
            if tool.endswith("setpriv"):
                return [tool, "--reuid=65534", "--regid=65534", "--clear-groups"]
            return [tool, "-u", "nobody", "--"]
    return None


UNPRIVILEGED = _as_nobody()
needs_nobody = pytest.mark.skipif(
    UNPRIVILEGED is None, reason="runs as root and neither setpriv nor runuser is there to drop to an unprivileged user"
)


def _world(path: Path) -> None:
    for p in [path, *path.parents]:
        if str(p) in ("/", "/tmp"):
            break
        p.chmod(p.stat().st_mode | 0o755)


@needs_nobody
def test_unreadable_input_as_unprivileged_user(tiny_dir: str, tmp_path: Path) -> None:
    assert UNPRIVILEGED is not None
    src, _ = _fs_case(tmp_path)
    _world(tmp_path)
    _world(Path(tiny_dir))
    src.chmod(0o000)
    args = ["predict", "--quiet", "--model", tiny_dir, "--input", str(src)]
    done = subprocess.run(
        [*UNPRIVILEGED, sys.executable, "-m", "stancelib", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and "permission denied" in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1


@needs_nobody
def test_read_only_output_folder_as_unprivileged_user(tiny_dir: str, tmp_path: Path) -> None:
    assert UNPRIVILEGED is not None
    src, _ = _fs_case(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    _world(tmp_path)
    _world(Path(tiny_dir))
    src.chmod(0o644)
    locked.chmod(0o555)
    args = ["predict", "--quiet", "--model", tiny_dir, "--input", str(src), "--output", str(locked / "o.jsonl")]
    done = subprocess.run(
        [*UNPRIVILEGED, sys.executable, "-m", "stancelib", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and "cannot write" in done.stderr, done.stderr
    assert list(locked.iterdir()) == []


# ------------------------------------------------------------ API limits
API: dict[str, Callable[[], Any]] = {
    "score-texts-chunk-size-0": lambda: __import__("stancelib").score_texts(["a"], chunk_size=0),
    "score-texts-chunk-size-negative": lambda: __import__("stancelib").score_texts(["a"], chunk_size=-5),
    "score-texts-chunk-size-bool": lambda: __import__("stancelib").score_texts(["a"], chunk_size=True),
    "score-texts-n-jobs-0": lambda: __import__("stancelib").score_texts(["a"], n_jobs=0),
    "batch-options-chunk-size-0": lambda: BatchOptions(chunk_size=0),
    "batch-options-unknown-format": lambda: BatchOptions(input_format="xml"),
    "run-batch-output-is-input": lambda: run_batch(__file__, __file__, BatchOptions()),
}


@pytest.mark.parametrize("name", list(API))
def test_api_misuse_is_an_input_error(name: str) -> None:
    with pytest.raises(InputError):
        API[name]()


def test_worker_count_is_capped_by_cores_and_chunks() -> None:
    assert worker_count(1000, 3) <= min(cores(), 3)
    assert worker_count(-1, 1) == 1
    assert worker_count(1000, 10**6) == cores()
    with pytest.raises(InputError):
        worker_count(0, 5)


def test_jobs_1000_starts_no_more_workers_than_chunks(
    tiny_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    started: list[int] = []
    real_pool = multiprocessing.Pool

    def counting_pool(processes: int, *args: Any, **kwargs: Any) -> Any:
        started.append(processes)
        return real_pool(processes, *args, **kwargs)

    monkeypatch.setattr(multiprocessing, "Pool", counting_pool)
    src, _ = _fs_case(tmp_path)
    assert main(["predict", "--input", str(src), "--model", tiny_dir, "--n-jobs", "1000", "--quiet"]) == 0
    assert started == []  # one chunk: no worker at all
    capsys.readouterr()
