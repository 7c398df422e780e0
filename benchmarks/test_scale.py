"""The streaming command over a large file: throughput, peak memory, and --n-jobs 2 over --n-jobs 1.

Full mode streams 1,000,000 sentences; short mode (CI) 200,000.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total / 1024


def run_streaming(src: Path, out: Path, jobs: int) -> tuple[float, float]:
    """Seconds and peak resident memory (MB, all processes together) of one run."""
    cmd = [
        sys.executable,
        "-m",
        "stancelib",
        "predict",
        "--input",
        str(src),
        "--output",
        str(out),
        "--n-jobs",
        str(jobs),
        "--quiet",
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    assert code == 0
    return seconds, peak


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory, short: bool) -> tuple[Path, int]:
    n = 200_000 if short else 1_000_000
    base = [json.loads(line)["text"] for line in (ROOT / "training" / "data" / "dev.jsonl").open()]
    path = tmp_path_factory.mktemp("scale") / "sentences.jsonl"
    with path.open("w") as f:
        for i, text in enumerate(itertools.islice(itertools.cycle(base), n)):
            f.write(json.dumps({"id": i, "text": text}) + "\n")
    return path, n


def test_streaming_scale(benchmark: Any, big_file: tuple[Path, int], report: dict[str, Any], tmp_path: Path) -> None:
    src, n = big_file
    one_s, one_mb = run_streaming(src, tmp_path / "one.jsonl", jobs=1)
    two_s, two_mb = benchmark.pedantic(run_streaming, args=(src, tmp_path / "two.jsonl", 2), rounds=1, iterations=1)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    lines = sum(1 for _ in (tmp_path / "two.jsonl").open())
    assert lines == n
    report["_baseline"]["note_scale"] = (
        f"Streaming `stancelib predict --input` over {n:,} JSONL sentences: --n-jobs 1 {n / one_s:,.0f}/s "
        f"(peak {one_mb:.0f} MB), --n-jobs 2 {n / two_s:,.0f}/s (peak {two_mb:.0f} MB, all processes), "
        f"speed-up {one_s / two_s:.2f}×; input file {src.stat().st_size / 1e6:.0f} MB."
    )
    report["_scale"] = {
        "n": n,
        "jobs1_per_s": n / one_s,
        "jobs2_per_s": n / two_s,
        "jobs1_peak_mb": one_mb,
        "jobs2_peak_mb": two_mb,
        "speedup": one_s / two_s,
    }
