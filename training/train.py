"""Rebuild the shipped model: ``python -m training.train``.

Trains on ``training/data/train.jsonl`` with cross-validated selection,
reports metrics on ``training/data/dev.jsonl``, and writes ``models/fast/``
(``model.json``, ``arrays.npz``, ``MODEL_CARD.md``). Seeded: the same data,
seed and library versions give byte-identical arrays.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from stancelib._fit import train_to_directory
from stancelib.errors import StanceLibError

ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT / "training" / "data" / "train.jsonl"))
    parser.add_argument("--dev", default=str(ROOT / "training" / "data" / "dev.jsonl"))
    parser.add_argument("--out", default=str(ROOT / "models" / "fast"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="skip the grid search")
    args = parser.parse_args(argv)
    try:
        train_to_directory(
            args.data,
            args.dev,
            args.out,
            name="fast",
            seed=args.seed,
            quick=args.quick,
            progress=lambda line: print(line, flush=True),
        )
    except StanceLibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
