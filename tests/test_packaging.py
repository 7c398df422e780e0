"""The built wheel carries the model, and a fresh install works from any directory."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (found,) = out.glob("stancelib-*.whl")
    return found


def test_wheel_contains_model_and_types(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "stancelib/models/fast/model.json",
        "stancelib/models/fast/arrays.npz",
        "stancelib/models/fast/MODEL_CARD.md",
        "stancelib/py.typed",
        "stancelib/__init__.py",
    ):
        assert required in names
    assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names)
    assert not any(n.startswith(("tests/", "training/")) for n in names)


def test_fresh_venv_install_runs_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    code = (
        "import stancelib, sys; p = stancelib.predict('Iran exceeded the enrichment cap of the nuclear deal.'); "
        "print(sorted(p.topics)); print('sklearn' in sys.modules)"
    )
    done = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["['arms_control', 'iran']", "False"]
    cli = subprocess.run(
        [str(venv / "bin" / "stancelib"), "predict", "Kyiv welcomed the grain deal."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0 and "ukraine" in cli.stdout
