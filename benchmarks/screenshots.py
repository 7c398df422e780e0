"""Regenerate the README's pictures: the evaluation report page and the trend chart on the example corpus.

    python benchmarks/screenshots.py            # writes docs/images/report.png and docs/images/trend.png

Needs the report extra (matplotlib) and a Chromium-family browser (Debian: apt-get install chromium).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] + " Output: docs/images/.")
    parser.add_argument("--out", default=str(OUT), help="directory for the pictures (default: docs/images)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import stancelib
    from tests.browser import find_browser, render

    out = Path(args.out).resolve()
    os.chdir(ROOT)  # relative paths in the pictures, whoever's checkout this is
    out.mkdir(parents=True, exist_ok=True)
    stancelib.trend("examples/briefings_2025.jsonl", freq="month").save_chart(
        out / "trend.png", topics=["iran", "ukraine"]
    )
    print(f"wrote {out / 'trend.png'}")
    if find_browser() is None:
        print("no Chromium-family browser found: install one (apt-get install chromium) for the report screenshot")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        page = stancelib.evaluation_report("training/data/dev.jsonl", tmp)
        seen = render(page, out / "report.png", width=1280, height=1500)
    if seen.loaded != seen.images or seen.console:
        print(f"the page did not render cleanly: {seen}")
        return 1
    print(f"wrote {out / 'report.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
