"""Headless Chromium from the system's packages: render a page, check its figures and console, screenshot it.

No driver library: the browser's own command line does it. A small script is
added to a copy of the page; once the page has loaded it writes into the
title how many images decoded, and Chromium's ``--dump-dom`` returns the
page as rendered. Console messages are read from Chromium's log on stderr
(``--enable-logging=stderr``), where they appear as ``CONSOLE`` lines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Names the browser goes by in Debian, Ubuntu and elsewhere.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: Flags for a closed network and a root user: no sandbox (root), nothing fetched in the background.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

_PROBE = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const ok = imgs.filter((i) => i.complete && i.naturalWidth > 0).length;
  document.title = "figures " + ok + "/" + imgs.length;
});
</script>"""


def find_browser() -> str | None:
    """The path of a Chromium-family browser, or None (``STANCELIB_BROWSER`` overrides the search)."""
    if os.environ.get("STANCELIB_BROWSER"):
        return os.environ["STANCELIB_BROWSER"]
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Rendered:
    """What the browser saw: images decoded out of images found, console lines, the screenshot."""

    loaded: int
    images: int
    console: list[str]
    screenshot: Path | None


def _run(browser: str, args: list[str], profile: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def render(page: Path, screenshot: Path | None = None, *, width: int = 1280, height: int = 2000) -> Rendered:
    """Load `page` in headless Chromium; count decoded images and console messages; optionally screenshot it."""
    browser = find_browser()
    if browser is None:
        raise RuntimeError("no Chromium-family browser found")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / page.name
        probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
        done = _run(
            browser,
            ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
            str(Path(tmp) / "profile-a"),
        )
        match = re.search(r"<title>figures (\d+)/(\d+)</title>", done.stdout)
        loaded, images = (int(match.group(1)), int(match.group(2))) if match else (0, -1)
        # Console lines of the page itself (the probe page lives in tmp; the original's name is the same).
        console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
        shot = None
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            _run(
                browser,
                [f"--window-size={width},{height}", f"--screenshot={screenshot}", page.resolve().as_uri()],
                str(Path(tmp) / "profile-b"),
            )
            shot = screenshot if screenshot.is_file() else None
    return Rendered(loaded, images, console, shot)
