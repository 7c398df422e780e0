"""Adversarial suite, saving and training: nothing that is not a model is ever replaced; bad data and settings
are refused before training, with one line.
"""

from __future__ import annotations

import copy
import json
import math
import os
import pickle
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import stancelib
from stancelib import DataError, InputError, Model, ModelLoadError
from stancelib._cli import main
from stancelib._dataset import read_records
from stancelib._features import MAX_TOKENS
from stancelib._modelfile import METADATA_FILE
from stancelib.errors import OutputError

from .conftest import make_tiny_model


def _main(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as exc:
        return int(exc.code or 0)


# ------------------------------------------------------------------ save
def test_save_onto_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    with pytest.raises(OutputError, match="not a directory"):
        make_tiny_model().save(target)
    assert target.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_save_onto_a_foreign_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "project"
    (target / "src").mkdir(parents=True)
    (target / "src" / "main.py").write_text("print()")
    with pytest.raises(OutputError, match="not a stancelib model directory"):
        make_tiny_model().save(target)
    assert (target / "src" / "main.py").read_text() == "print()"


def test_save_over_a_model_keeps_the_users_files_and_folders(tmp_path: Path) -> None:
    target = make_tiny_model().save(tmp_path / "m")
    (target / "NOTES.md").write_text("notes")
    (target / "runs" / "a").mkdir(parents=True)
    (target / "runs" / "a" / "log.txt").write_text("log")
    make_tiny_model().save(target)
    assert (target / "NOTES.md").read_text() == "notes" and (target / "runs" / "a" / "log.txt").read_text() == "log"
    assert Model.load(target).predict("iran").topics == ("iran",)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary directory left


def test_save_into_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert Model.load(make_tiny_model().save(tmp_path / "empty")).topics


def test_save_to_the_current_directory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="current directory"):
        make_tiny_model().save(".")
    assert list(tmp_path.iterdir()) == []


def test_save_inside_the_installed_shipped_models_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stancelib._modelfile as modelfile

    shipped = tmp_path / "site-packages" / "stancelib" / "models"
    (shipped / "fast").mkdir(parents=True)
    monkeypatch.setattr(modelfile, "_package_models", lambda: shipped)
    with pytest.raises(OutputError, match="shipped models"):
        make_tiny_model().save(shipped / "fast")
    with pytest.raises(OutputError, match="shipped models"):
        make_tiny_model().save(shipped / "mine")


def test_save_through_a_link_to_a_model_keeps_the_link(tmp_path: Path) -> None:
    real = make_tiny_model().save(tmp_path / "real")
    (tmp_path / "link").symlink_to(real)
    make_tiny_model().save(tmp_path / "link")
    assert (tmp_path / "link").is_symlink() and Model.load(tmp_path / "link").topics


def test_save_with_a_name_at_the_length_limit(tmp_path: Path) -> None:
    assert Model.load(make_tiny_model().save(tmp_path / ("m" * 250))).topics


def test_concurrent_saves_and_loads(tmp_path: Path) -> None:
    target = make_tiny_model().save(tmp_path / "shared")
    errors: list[BaseException] = []
    stop = threading.Event()

    def save() -> None:
        try:
            for _ in range(5):
                make_tiny_model().save(target)
        except BaseException as exc:
            errors.append(exc)

    def load() -> None:
        while not stop.is_set():
            try:
                Model.load(target)
            except BaseException as exc:
                errors.append(exc)
                return

    readers = [threading.Thread(target=load) for _ in range(2)]
    writers = [threading.Thread(target=save) for _ in range(4)]
    for t in [*readers, *writers]:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert Model.load(target).predict("iran").topics == ("iran",)
    assert [p.name for p in tmp_path.iterdir()] == ["shared"]


# ------------------------------------------------------------- train CLI
TRAIN_USAGE: dict[str, tuple[list[str], str]] = {
    "out-named-like-shipped": (["--out", "fast"], "./fast"),
    "out-is-shipped-model": (["--out", str(stancelib._loading.shipped_model_path("fast"))], "shipped model"),
    "folds-1": (["--folds", "1"], "--folds must be at least 2"),
    "folds-0": (["--folds", "0"], "--folds must be at least 2"),
    "folds-negative": (["--folds", "-1"], "--folds must be at least 2"),
    "seed-negative": (["--seed", "-1"], "--seed must be 0 or more"),
}


@pytest.mark.parametrize("name", list(TRAIN_USAGE))
def test_train_usage_errors(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra, message = TRAIN_USAGE[name]
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "x", "topics": [], "tone": "neutral"}\n')
    args = ["train", "--data", str(data), *extra]
    if "--out" not in extra:
        args += ["--out", str(tmp_path / "m")]
    assert _main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_train_out_onto_a_file_is_refused_before_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "model.txt"
    out.write_text("keep")
    assert _main(["train", "--data", str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 2
    assert "not a directory" in capsys.readouterr().err and out.read_text() == "keep"


def test_train_out_dot_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.jsonl").write_text('{"text": "x", "topics": [], "tone": "neutral"}\n')
    assert _main(["train", "--data", "data.jsonl", "--out", "."]) == 2
    assert "data.jsonl" in [p.name for p in tmp_path.iterdir()]
    capsys.readouterr()


# ------------------------------------------------------------ training data
DATA_ATTACKS: dict[str, tuple[str, str]] = {
    "nested-json": ('{"text": "x", "topics": ' + "[" * 50000 + "]" * 50000 + ', "tone": "neutral"}', "nested"),
    "huge-integer": ('{"text": "x", "topics": [], "tone": "neutral", "n": ' + "9" * 5000 + "}", "JSON value"),
    "lone-surrogate": ('{"text": "iran \\ud800", "topics": [], "tone": "neutral"}', "lone surrogate"),
    "topic-trailing-newline": ('{"text": "x", "topics": ["iran\\n"], "tone": "neutral"}', "not a label name"),
    "tone-trailing-newline": ('{"text": "x", "topics": [], "tone": "neutral\\n"}', "not a label name"),
    "topics-a-string": ('{"text": "x", "topics": "iran", "tone": "neutral"}', "must be a list"),
    "text-a-number": ('{"text": 1e400, "topics": [], "tone": "neutral"}', "must be a string"),
}


@pytest.mark.parametrize("name", list(DATA_ATTACKS))
def test_hostile_training_data(name: str, tmp_path: Path) -> None:
    line, message = DATA_ATTACKS[name]
    path = tmp_path / "d.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(DataError, match=message) as info:
        read_records(path)
    assert str(info.value).startswith(f"{path}:1:")


def _records(n: int = 24) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        topic = ["iran"] if i % 2 else []
        tone = ["critical", "cooperative", "neutral"][i % 3]
        rows.append(
            {"text": f"sentence {i} about {'iran' if topic else 'trade'} {tone}", "topics": topic, "tone": tone}
        )
    return rows


def test_dev_labels_unknown_to_train_are_refused_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stancelib import _fit

    train_path, dev_path = tmp_path / "train.jsonl", tmp_path / "dev.jsonl"
    train_path.write_text("".join(json.dumps(r) + "\n" for r in _records()))
    dev_path.write_text(json.dumps({"text": "x", "topics": ["syria"], "tone": "hostile"}) + "\n")

    def no_fitting(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("training started")

    monkeypatch.setattr(_fit, "fit_topic_heads", no_fitting)
    with pytest.raises(DataError) as info:
        _fit.train_to_directory(str(train_path), str(dev_path), str(tmp_path / "m"), quick=True)
    assert "['syria'] do not occur" in str(info.value) and "'hostile'" in str(info.value)


@pytest.mark.parametrize(("folds", "seed"), [(1, 0), (0, 0), (5, -1), (2.5, 0)])
def test_train_config_limits(folds: Any, seed: Any) -> None:
    from stancelib._fit import TrainConfig

    with pytest.raises(InputError):
        TrainConfig(folds=folds, seed=seed)


def test_estimator_refuses_topics_given_as_a_string() -> None:
    from stancelib.estimator import StanceClassifier

    texts = [r["text"] for r in _records()]
    y = [("iran", "critical")] * len(texts)
    with pytest.raises(InputError, match=r"y\[0\]: topics must be a list"):
        StanceClassifier().fit(texts, y)


# ---------------------------------------------------------------- smaller
def test_analysis_pickles_and_deep_copies() -> None:
    a = stancelib.analyze("Iran nuclear talks resumed in Vienna. We condemn the missile strike.")
    assert pickle.loads(pickle.dumps(a)) == a and copy.deepcopy(a) == a
    with pytest.raises(TypeError):
        a.tone_scores["x"] = 1.0  # type: ignore[index]


def test_explain_empty_text_probabilities_follow_logits() -> None:
    e = stancelib.explain("")
    for part in e.topic_explanations:
        assert math.isclose(part.probability, 1 / (1 + math.exp(-part.logit)))
    assert 0.0 < e.tone.probability < 1.0


def test_a_very_long_string_is_labelled_in_bounded_work(tiny_model: Model) -> None:
    text = "iran " * 2_000_000  # 10 MB of one word
    p = tiny_model.predict(text)
    assert p.topics == ("iran",) and p.n_known_features == MAX_TOKENS
    assert tiny_model.score_batch([text]).n_known_features[0] == MAX_TOKENS


@pytest.mark.parametrize("text", ["\ud800", "\x00" * 10, "\u202e iran", "iran\udcff", "\ufeff"])
def test_no_str_makes_predict_raise(text: str, tiny_model: Model) -> None:
    tiny_model.predict(text)
    stancelib.predict(text)


def test_save_refused_leaves_model_loadable(tmp_path: Path) -> None:
    # A refused save is refused before anything is touched.
    target = make_tiny_model().save(tmp_path / "m")
    (target / METADATA_FILE).write_text("{}")  # now not a model directory
    (target / "data.csv").write_text("x")
    with pytest.raises(OutputError):
        make_tiny_model().save(target)
    assert (target / "data.csv").exists()
    with pytest.raises(ModelLoadError):
        Model.load(target)
    assert np.isfinite(1.0)
    assert os.path.isdir(target)


def test_training_data_without_repeated_words_is_a_data_error(tmp_path: Path) -> None:
    from stancelib._fit import train_to_directory

    rows = _records()
    for i, row in enumerate(rows):
        row["text"] = f"w{i}a w{i}b"  # no word occurs twice
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match="no feature occurs in at least 2 records"):
        train_to_directory(str(path), None, str(tmp_path / "m"), quick=True)
    assert not (tmp_path / "m").exists()
