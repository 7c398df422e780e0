"""The scikit-learn-compatible estimator: clone, params, Pipeline, grid search."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from stancelib import Prediction
from stancelib._dataset import read_records
from stancelib.estimator import StanceClassifier

from .conftest import DATA

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data() -> tuple[list[str], list[tuple[tuple[str, ...], str]]]:
    records = read_records(DATA / "train.jsonl")
    rng = np.random.default_rng(0)
    records = [records[i] for i in rng.permutation(len(records))[:600]]
    return [r.text for r in records], [(r.topics, r.tone) for r in records]


def test_params_and_clone() -> None:
    clf = StanceClassifier(topic_C=3.0, prefix_len=5)
    assert clf.get_params()["topic_C"] == 3.0
    clf.set_params(tone_C=0.5)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and twin is not clf


def test_fit_predict_proba_score(data: tuple[list[str], list[tuple[tuple[str, ...], str]]]) -> None:
    X, y = data
    clf = StanceClassifier(folds=3).fit(X, y)
    preds = clf.predict(X[:5])
    assert preds.dtype == object and all(isinstance(p, Prediction) for p in preds)
    proba = clf.predict_proba(X[:5])
    assert proba.shape == (5, len(clf.topics_) + len(clf.classes_))
    assert np.allclose(proba[:, len(clf.topics_) :].sum(axis=1), 1.0)
    assert clf.columns_[0].startswith("topic:") and clf.columns_[-1].startswith("tone:")
    assert 0.5 < clf.score(X, y) <= 1.0


def test_unfitted_and_bad_y() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="call fit"):
        StanceClassifier().predict(["x"])
    with pytest.raises(ValueError, match=r"y\[0\] must be a \(topics, tone\) pair"):
        StanceClassifier().fit(["a b c"], ["neutral"])
    with pytest.raises(ValueError, match="X has 1 texts but y has 2 labels"):
        StanceClassifier().fit(["a"], [((), "a"), ((), "b")])


@pytest.mark.filterwarnings("error")
def test_in_pipeline_and_grid_search(data: tuple[list[str], list[tuple[tuple[str, ...], str]]]) -> None:
    X, y = data
    pipe = Pipeline(
        [("strip", FunctionTransformer(lambda xs: [x.strip() for x in xs])), ("clf", StanceClassifier(folds=3))]
    )
    search = GridSearchCV(pipe, {"clf__tone_C": [0.5, 2.0]}, cv=KFold(2, shuffle=True, random_state=0))
    search.fit(X, y)
    assert search.best_params_["clf__tone_C"] in (0.5, 2.0)
    assert len(search.predict(X[:3])) == 3
