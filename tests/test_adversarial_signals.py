"""Adversarial suite, signals mid-run: a streaming run with workers leaves no workers and no temporary files.

SIGTERM and SIGHUP are caught: the run unwinds, ends its workers, removes its
temporary file and exits with 128 + the signal. SIGKILL cannot be caught:
the workers notice that their parent is gone and exit, and the next run
into the same folder removes the temporary file the killed run left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stancelib._batch import cores

from .conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find worker processes"),
    pytest.mark.skipif(cores() < 2, reason="needs two cores for two workers"),
]

SENTENCES = [
    "Iran resumed talks on its nuclear programme in Vienna.",
    "We strongly condemn the missile launch by Pyongyang.",
    "The ministers welcomed the ceasefire in Syria.",
    "Venezuela's opposition called for new elections.",
]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, list[int]]:
    src, out = tmp_path / "big.txt", tmp_path / "out.jsonl"
    with src.open("w") as f:
        for i in range(300_000):
            f.write(f"{SENTENCES[i % 4]} Item {i}.\n")
    args = ["predict", "--input", str(src), "--output", str(out), "--n-jobs", "2", "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "stancelib", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline:
        workers = _children(proc.pid)
        if len(workers) >= 2 and list(tmp_path.glob(".stancelib.*.partial")):
            break
        time.sleep(0.05)
    assert len(workers) >= 2, "the run should start two workers"
    time.sleep(0.3)  # mid-run
    return proc, out, workers


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_caught_signal_ends_workers_and_removes_temp_files(signum: int, tmp_path: Path) -> None:
    proc, out, workers = _start(tmp_path)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err and err.count("\n") == 1
    assert _wait_gone(workers, 5) == []
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.txt"]


def test_sigkill_workers_exit_and_next_run_cleans_up(tmp_path: Path) -> None:
    proc, out, workers = _start(tmp_path)
    proc.kill()
    proc.communicate(timeout=60)
    assert _wait_gone(workers, 10) == [], "workers should exit when their parent is killed"
    assert list(tmp_path.glob(".stancelib.*.partial")), "a killed run leaves its temporary file"
    small = tmp_path / "small.txt"
    small.write_text("Iran talks.\n")
    done = subprocess.run(
        [sys.executable, "-m", "stancelib", "predict", "--input", str(small), "--output", str(out), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.glob(".stancelib.*.partial")) == []
