"""The public API, written out: adding, removing or renaming a public name must change this file.

Public means: the names in ``stancelib.__all__`` and the modules
`stancelib.errors`, `stancelib.estimator` and `stancelib.dask`. Every other
module is underscored (implementation); ``stancelib.batch`` is a deprecated
alias kept for one release. Old public names keep working, with a
`DeprecationWarning`, for one release; those are tested here too.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import stancelib
from stancelib import InputError, StanceLibError

from .conftest import ROOT

PACKAGE_API = [
    "__version__",
    "predict",
    "analyze",
    "explain",
    "score_texts",
    "label_frame",
    "trend",
    "evaluation_report",
    "load_model",
    "DEFAULT_MODEL",
    "SHIPPED_MODELS",
    "Model",
    "Prediction",
    "LabelScores",
    "Scores",
    "Columns",
    "predict_columns",
    "DocumentAnalysis",
    "SentenceResult",
    "TopicSummary",
    "Trend",
    "TrendRow",
    "Explanation",
    "LabelExplanation",
    "Contribution",
    "StanceLibError",
    "InputError",
    "InputTypeError",
    "ModelLoadError",
    "DataError",
    "MissingExtraError",
    "BadRecordError",
]

MODULE_API = {
    "stancelib.errors": [
        "StanceLibError",
        "InputError",
        "InputTypeError",
        "ModelLoadError",
        "DataError",
        "MissingExtraError",
        "BadRecordError",
        "ParameterError",
        "OutputError",
        "OutputWriteError",
    ],
    "stancelib.estimator": ["StanceClassifier"],
    "stancelib.dask": ["label_dataframe", "label_bag", "label_pandas"],
}

#: Modules without a leading underscore; ``batch`` is deprecated.
PUBLIC_MODULES = {"batch", "dask", "errors", "estimator"}

#: Public attributes and methods of the result types and the model.
CLASS_API = {
    "Model": [
        "arguments",
        "checksum",
        "extra_logits",
        "feature_counts",
        "from_file",
        "has_extra_logits",
        "load",
        "logit_contributions",
        "metadata",
        "model_id",
        "predict",
        "predict_columns",
        "save",
        "score_batch",
        "spec",
        "thresholds",
        "tones",
        "topics",
        "version",
        "vocabulary",
        "with_metadata",
        "with_thresholds",
    ],
    "Prediction": [
        "n_features",
        "n_known_features",
        "text",
        "to_dict",
        "tone",
        "tone_scores",
        "topic_scores",
        "topics",
    ],
    "Scores": ["n_features", "n_known_features", "tone_probs", "topic_probs"],
    "Columns": [
        "model",
        "n_known_features",
        "to_pandas",
        "tone",
        "tone_names",
        "tone_scores",
        "topic_flags",
        "topic_names",
        "topic_scores",
        "topics",
    ],
    "DocumentAnalysis": ["sentences", "to_dict", "tone", "tone_score", "tone_scores", "topic_summaries", "topics"],
    "Explanation": ["prediction", "to_dict", "tone", "topic_explanations", "topics"],
}


def _own_public_names(module: types.ModuleType) -> set[str]:
    """Public names a module defines itself (not the helpers it imports)."""
    return {
        name
        for name in dir(module)
        if not name.startswith("_") and getattr(getattr(module, name), "__module__", None) == module.__name__
    }


def test_package_all_is_the_written_list() -> None:
    assert stancelib.__all__ == PACKAGE_API
    for name in PACKAGE_API:
        assert getattr(stancelib, name) is not None


def test_package_dir_shows_the_public_names_only() -> None:
    public = {name for name in dir(stancelib) if not name.startswith("_")}
    assert public == set(PACKAGE_API) - {"__version__"}


@pytest.mark.parametrize("module_name", sorted(MODULE_API))
def test_public_module_all_is_the_written_list(module_name: str) -> None:
    if module_name == "stancelib.dask":
        pytest.importorskip("dask.dataframe")
    module = importlib.import_module(module_name)
    assert list(module.__all__) == MODULE_API[module_name]
    assert _own_public_names(module) == set(MODULE_API[module_name])


def test_the_public_modules_are_the_written_set() -> None:
    names = {m.name for m in pkgutil.iter_modules(stancelib.__path__)}
    assert {n for n in names if not n.startswith("_")} == PUBLIC_MODULES


@pytest.mark.parametrize("class_name", sorted(CLASS_API))
def test_public_attributes_of_the_main_types(class_name: str) -> None:
    cls = getattr(stancelib, class_name)
    fields = set(getattr(cls, "__dataclass_fields__", {})) | set(getattr(cls, "__slots__", ()))
    names = {n for n in dir(cls) if not n.startswith("_")} | {n for n in fields if not n.startswith("_")}
    if class_name == "Model":  # attributes set in __init__
        names |= {n for n in vars(stancelib.load_model()) if not n.startswith("_")}
    assert names == set(CLASS_API[class_name])


def test_every_error_is_a_stancelib_error() -> None:
    from stancelib import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.StanceLibError)


# ------------------------------------------------------------- deprecations
def test_old_batch_module_warns_and_still_works() -> None:
    sys.modules.pop("stancelib.batch", None)
    with pytest.warns(DeprecationWarning, match="stancelib.batch is deprecated"):
        module = importlib.import_module("stancelib.batch")
    scores = module.score_texts(["Iran nuclear talks resumed."])
    assert scores.topic_probs.shape[0] == 1
    assert module.BadRecordError is stancelib.BadRecordError


def test_prediction_n_features_warns() -> None:
    p = stancelib.predict("Iran nuclear talks resumed.")
    with pytest.warns(DeprecationWarning, match="n_known_features"):
        assert p.n_features == p.n_known_features > 0
    s = stancelib.load_model().score_batch(["Iran nuclear talks resumed."])
    with pytest.warns(DeprecationWarning, match="n_known_features"):
        assert s.n_features.tolist() == s.n_known_features.tolist()


def test_document_topics_warns() -> None:
    a = stancelib.analyze("We welcome the talks on Syria. The talks open on Monday.")
    with pytest.warns(DeprecationWarning, match="topic_summaries"):
        assert a.topics is a.topic_summaries


def test_explanation_topics_warns() -> None:
    e = stancelib.explain("We condemn Iran's enrichment.")
    with pytest.warns(DeprecationWarning, match="topic_explanations"):
        assert e.topics == e.topic_explanations


def test_n_jobs_follows_scikit_learn() -> None:
    texts = ["Iran nuclear talks resumed."] * 3
    with pytest.raises(InputError, match="n_jobs must be at least 1, or -1") as info:
        stancelib.score_texts(texts, n_jobs=0)
    assert isinstance(info.value, StanceLibError)
    every = stancelib.score_texts(texts, n_jobs=-1)
    assert np.array_equal(every.topic_probs, stancelib.score_texts(texts).topic_probs)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stancelib", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_old_option_names_warn_and_work(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,body\n1,We condemn the missile launch.\n", encoding="utf-8")
    done = _cli("predict", "--input", str(src), "--text-column", "body", "--jobs", "0", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "--text-column is deprecated; use --text-field" in done.stderr
    assert "--jobs is deprecated; use --n-jobs" in done.stderr
    assert '"tone": "critical"' in done.stdout
    new = _cli("predict", "--input", str(src), "--text-field", "body", "--n-jobs", "-1", "--quiet")
    assert new.returncode == 0 and new.stdout == done.stdout and "deprecated" not in new.stderr


def test_cli_n_jobs_zero_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("Talks resumed.\n", encoding="utf-8")
    done = _cli("predict", "--input", str(src), "--n-jobs", "0")
    assert done.returncode == 2
    assert "--n-jobs must be at least 1, or -1 for all cores" in done.stderr


def test_dask_column_keyword_warns() -> None:
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    from stancelib.dask import label_dataframe

    ddf = dd.from_pandas(pd.DataFrame({"body": ["We condemn the strike."]}), npartitions=1)
    with pytest.warns(DeprecationWarning, match="text_field"):
        old = label_dataframe(ddf, column="body")
    assert list(old.compute()["tone"]) == list(label_dataframe(ddf, text_field="body").compute()["tone"])


def test_every_public_name_has_a_docstring() -> None:
    """Ruff's docstring rules skip underscored modules, where the public names are defined; check them here."""
    missing = []
    for name in PACKAGE_API:
        obj = getattr(stancelib, name)
        if callable(obj) and not (obj.__doc__ or "").strip():
            missing.append(name)
        if isinstance(obj, type):
            for attr in CLASS_API.get(name, []):
                member = getattr(obj, attr, None)
                if callable(member) and not (member.__doc__ or "").strip():
                    missing.append(f"{name}.{attr}")
    assert missing == []
