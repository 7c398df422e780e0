"""Single-sentence latency of the accurate tier by thread count, on a quiet machine and with cores kept busy.

    python benchmarks/threads.py             # prints a table, writes benchmarks/results/threads.json

"Busy" starts one process per core but one that spins in a tight loop, as another
user's job would; latency is the median over the sentences of examples/briefing.txt.
The default thread count (`stancelib._encoder.DEFAULT_THREADS`) is chosen so that
the busy figure stays within 3x of the quiet one.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _spin(stop: object) -> None:
    while not stop.is_set():  # type: ignore[attr-defined]
        pass


def _latency(model: object, texts: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter()
            model.predict(t)  # type: ignore[attr-defined]
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    import stancelib
    from stancelib._segment import segment

    doc = (ROOT / "examples" / "briefing.txt").read_text(encoding="utf-8")
    texts = [doc[s:e] for s, e in segment(doc)][:12]
    base = stancelib.load_model("accurate")
    cores = os.cpu_count() or 1
    counts = sorted({1, 2, cores})
    results: dict[str, dict[str, float]] = {}
    for n in counts:
        model = base.with_threads(n)  # type: ignore[attr-defined]
        model.predict(texts[0])
        quiet = _latency(model, texts, 3)
        stop = mp.Event()
        busy_procs = [mp.Process(target=_spin, args=(stop,)) for _ in range(max(1, cores - 1))]
        for p in busy_procs:
            p.start()
        time.sleep(0.5)
        try:
            busy = _latency(model, texts, 3)
        finally:
            stop.set()
            for p in busy_procs:
                p.join()
        results[str(n)] = {"quiet_ms": round(quiet, 2), "busy_ms": round(busy, 2), "ratio": round(busy / quiet, 2)}
    print(f"{cores} cores; busy = {max(1, cores - 1)} spinning process(es); median single-sentence latency")
    print(f"{'threads':>8}{'quiet ms':>10}{'busy ms':>10}{'busy/quiet':>12}")
    for count, r in results.items():
        print(f"{count:>8}{r['quiet_ms']:>10.1f}{r['busy_ms']:>10.1f}{r['ratio']:>12.1f}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "threads.json").write_text(json.dumps({"cores": cores, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
