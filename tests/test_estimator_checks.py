"""scikit-learn's own estimator checks on `StanceClassifier`, with its tags set truthfully.

The estimator takes strings (one text per sample), so its tags say
``input_tags.string = True`` and ``two_d_array = False``. scikit-learn's
checks feed numeric 2-D arrays, and `parametrize_with_checks` skips all of
them for such an estimator except cloning; the checks that do not feed data
run here explicitly. The lists below are exact: a scikit-learn upgrade that
runs or skips another check fails `test_which_checks_run`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError, SkipTestWarning
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import estimator_checks_generator, parametrize_with_checks

from stancelib.errors import ParameterError, StanceLibError
from stancelib.estimator import StanceClassifier

#: What `parametrize_with_checks` runs for a string-input estimator.
RUN_BY_PARAMETRIZE = ["check_estimator_cloneable"]

#: scikit-learn checks that need no data: run here on top, all expected to pass.
RUN_EXPLICITLY = [
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
]

#: Skipped by the tags (they fit or predict on numeric 2-D arrays); the string-input
#: counterparts of the ones that matter are the tests at the end of this file.
SKIPPED_BY_TAGS = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_estimators_unfitted",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_complex_data",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimator_sparse_tag",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_pickle",
    "check_array_api_input",
    "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit1d",
    "check_fit2d_predict1d",
    "check_requires_y_none",
]

#: Expected failures: none.
EXPECTED_FAILED: dict[str, str] = {}


def _name(check: Callable[..., Any]) -> str:
    return str(getattr(check, "func", check).__name__)


@parametrize_with_checks([StanceClassifier()], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_sklearn_compatible_estimator(estimator: StanceClassifier, check: Callable[[StanceClassifier], None]) -> None:
    check(estimator)


@pytest.mark.parametrize("name", RUN_EXPLICITLY)
def test_sklearn_checks_without_data(name: str) -> None:
    getattr(estimator_checks, name)("StanceClassifier", StanceClassifier())


def test_which_checks_run() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ran = [_name(check) for _, check in estimator_checks_generator(StanceClassifier(), legacy=True, mark="skip")]
    assert ran == RUN_BY_PARAMETRIZE
    assert any(issubclass(w.category, SkipTestWarning) and "string=True" in str(w.message) for w in caught)

    class Numeric(StanceClassifier):
        def __sklearn_tags__(self) -> Any:
            tags = super().__sklearn_tags__()
            tags.input_tags.two_d_array = True
            tags.input_tags.string = False
            return tags

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        would_run = [_name(c) for _, c in estimator_checks_generator(Numeric(), legacy=True, mark="skip")]
    assert set(would_run) - set(RUN_BY_PARAMETRIZE) - set(RUN_EXPLICITLY) == set(SKIPPED_BY_TAGS)


def test_tags_are_truthful() -> None:
    tags = StanceClassifier().__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.target_tags.required


# ------------------------------------------- string-input counterparts of skipped checks
X = [
    "We condemn the missile launch by Pyongyang.",
    "We welcome the talks on Iran's nuclear programme.",
    "The ministers meet in Geneva on Monday.",
    "Iran enriched uranium beyond the cap, the IAEA said.",
    "North Korea fired a ballistic missile.",
    "We welcome the prisoner exchange.",
    "The delegations meet on Tuesday.",
    "We strongly condemn the strike.",
] * 3
Y = [
    (("north_korea",), "critical"),
    (("iran",), "cooperative"),
    ((), "neutral"),
    (("iran",), "neutral"),
    (("north_korea",), "critical"),
    ((), "cooperative"),
    ((), "neutral"),
    ((), "critical"),
] * 3


def _small() -> StanceClassifier:
    return StanceClassifier(folds=2, min_df=1)


def test_unfitted_raises_not_fitted_error() -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        StanceClassifier().predict_proba(["x"])


def test_fit_returns_self_and_is_idempotent() -> None:
    clf = _small()
    assert clf.fit(X, Y) is clf
    first = clf.predict_proba(X)
    assert np.array_equal(clone(clf).fit(X, Y).predict_proba(X), first)
    assert np.array_equal(clf.fit(X, Y).predict_proba(X), first)


def test_invalid_parameters_are_stancelib_errors() -> None:
    with pytest.raises(ParameterError, match="word_ngrams") as info:
        StanceClassifier(word_ngrams=5).fit(X, Y)
    assert isinstance(info.value, StanceLibError) and isinstance(info.value, ValueError)
    with pytest.raises(ParameterError, match="class_weight"):
        StanceClassifier(class_weight="sometimes").fit(X, Y)


def test_score_honours_sample_weight() -> None:
    clf = _small().fit(X, Y)
    plain = clf.score(X, Y)
    assert clf.score(X, Y, sample_weight=np.ones(len(X))) == pytest.approx(plain, abs=1e-12)
    half = len(X) // 2
    weights = np.r_[np.ones(half), np.zeros(len(X) - half)]
    assert clf.score(X, Y, sample_weight=weights) == pytest.approx(clf.score(X[:half], Y[:half]), abs=1e-12)
    assert clf.score(X, Y, sample_weight=2 * weights) == pytest.approx(clf.score(X[:half], Y[:half]), abs=1e-12)
