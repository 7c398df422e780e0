"""The accurate tier's thread count: argument, ``--threads``, ``$STANCELIB_THREADS``; results equal across counts."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import stancelib
from stancelib import InputError
from stancelib._cli import main
from stancelib._encoder import DEFAULT_THREADS, THREADS_ENV, resolve_threads

TEXTS = [
    "We condemn Iran's enrichment beyond the limits of the deal.",
    "The talks open in Geneva on Monday.",
    "We welcome the prisoner exchange between Kyiv and Moscow, a step towards peace.",
    "Pyongyang fired another ballistic missile over Japan, and Seoul condemned it.",
    "",
]


def test_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert resolve_threads() == DEFAULT_THREADS == 1
    monkeypatch.setenv(THREADS_ENV, "3")
    assert resolve_threads() == 3 and resolve_threads(2) == 2
    assert resolve_threads(-1) == (os.cpu_count() or 1)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(InputError, match="threads"):
            resolve_threads(bad)  # type: ignore[arg-type]
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(InputError, match=r"\$STANCELIB_THREADS must be a whole number"):
        resolve_threads()


@pytest.mark.parametrize("value", ["0", "-2"])
def test_cli_refuses_bad_counts(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["predict", "--threads", value, "Talks resume."])
    assert exc.value.code == 2 and "--threads must be at least 1" in capsys.readouterr().err


def test_fast_tier_ignores_threads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", "--threads", "2", "--format", "jsonl", "Talks resume."]) == 0
    assert capsys.readouterr().out.startswith("{")


@pytest.fixture(scope="module")
def accurate() -> Any:
    pytest.importorskip("torch")
    try:
        return stancelib.load_model("accurate")
    except stancelib.MissingExtraError as exc:
        pytest.skip(f"the accurate extra is not installed: {exc}")


@pytest.mark.slow
def test_results_equal_across_thread_counts(accurate: Any) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        runs = {n: accurate.with_threads(n).score_batch(TEXTS) for n in (1, 2, 4)}
        singles = {n: [accurate.with_threads(n).predict(t).tone_scores["critical"] for t in TEXTS] for n in (1, 3)}
    finally:
        torch.set_num_threads(before)
    for n in (2, 4):
        np.testing.assert_allclose(runs[n].topic_probs, runs[1].topic_probs, rtol=0, atol=1e-6)
        np.testing.assert_allclose(runs[n].tone_probs, runs[1].tone_probs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(singles[3], singles[1], rtol=0, atol=1e-6)


@pytest.mark.slow
def test_copy_carries_its_count(accurate: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert accurate.with_threads(None).threads == 1
    assert accurate.with_threads(2).threads == 2 and accurate.with_threads(2).topics == accurate.topics
    monkeypatch.setenv(THREADS_ENV, "2")
    assert accurate.with_threads(None).threads == 2
