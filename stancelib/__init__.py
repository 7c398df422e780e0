"""stancelib: topics and tone of diplomatic and political sentences.

The public names are the ones in ``__all__`` below, plus the public modules
`stancelib.errors`, `stancelib.estimator` (needs the ``train`` extra) and
`stancelib.dask` (needs the ``dask`` extra). Modules whose names start with
an underscore are the implementation and may change in any release.

>>> import stancelib
>>> p = stancelib.predict("Iran exceeded the deal's enrichment cap, the IAEA said.")
>>> sorted(p.topics)
['arms_control', 'iran']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, overload

from ._loading import DEFAULT_MODEL, SHIPPED_MODELS, load_model
from ._model import Model
from ._results import Columns, LabelScores, Prediction, Scores
from ._version import __version__
from .errors import (
    BadRecordError,
    DataError,
    InputError,
    InputTypeError,
    MissingExtraError,
    ModelLoadError,
    StanceLibError,
)

if TYPE_CHECKING:
    from ._batch import score_texts
    from ._document import DocumentAnalysis, SentenceResult, TopicSummary
    from ._explanation import Contribution, Explanation, LabelExplanation
    from ._pandas import label_frame
    from ._report import evaluation_report
    from ._trend import Trend, TrendRow, trend

# These load on first use, so that `import stancelib` plus a prediction stays
# as light as possible.
_LAZY = {
    "score_texts": "_batch",
    "DocumentAnalysis": "_document",
    "SentenceResult": "_document",
    "TopicSummary": "_document",
    "Explanation": "_explanation",
    "LabelExplanation": "_explanation",
    "Contribution": "_explanation",
    "label_frame": "_pandas",
    "trend": "_trend",
    "Trend": "_trend",
    "TrendRow": "_trend",
    "evaluation_report": "_report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'stancelib' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public names and the module's own dunders, not the helpers imported above.
    return sorted(set(__all__) | {name for name in globals() if name.startswith("__")})


__all__ = [
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


@overload
def predict(texts: str, *, model: Model | str | None = None) -> Prediction: ...  # type: ignore[overload-overlap]


@overload
def predict(texts: Iterable[str], *, model: Model | str | None = None) -> list[Prediction]: ...


def predict(texts: str | Iterable[str], *, model: Model | str | None = None) -> Prediction | list[Prediction]:
    """Label one sentence (a `str`) or a batch (any other iterable of `str`).

    Uses the shipped model unless `model` is given; it is loaded on the first
    call and cached. Safe to call from many threads at once.

    Parameters
    ----------
    texts : str or iterable of str
        One sentence, or many.
    model : Model, str or None
        A loaded model, a model name or directory, or None for the default.

    Returns
    -------
    Prediction or list of Prediction
        One result for a `str`; a list in input order otherwise.

    Examples
    --------
    >>> predict("Talks on a prisoner exchange between Kyiv and Moscow made progress.").topics
    ('ukraine',)
    >>> [p.tone for p in predict(["We condemn the strike.", "The meeting starts at 10 a.m."])]
    ['critical', 'neutral']
    """
    return load_model(model).predict(texts)


def predict_columns(texts: Iterable[str], *, model: Model | str | None = None) -> Columns:
    """Label a batch into columns: numpy arrays of scores and labels (the bulk path).

    The same values as `predict`, bit for bit, without one `Prediction`
    object per sentence; ``.to_pandas()`` gives a DataFrame with the columns
    ``topics``, ``tone``, ``topic_<name>``, ``tone_<name>`` and ``model``.

    Parameters
    ----------
    texts : iterable of str
    model : Model, str or None
        As for `predict`.

    Returns
    -------
    Columns

    Examples
    --------
    >>> c = predict_columns(["We condemn the strike.", "The meeting starts at 10 a.m."])
    >>> c.tone.tolist()
    ['critical', 'neutral']
    """
    return load_model(model).predict_columns(texts)


def analyze(document: str, *, model: Model | str | None = None) -> DocumentAnalysis:
    """Segment a document, label every sentence and summarise the stance per topic.

    Parameters
    ----------
    document : str
        A briefing, communiqué, transcript or article.
    model : Model, str or None
        As for `predict`.

    Returns
    -------
    DocumentAnalysis
        Sentences with their character spans and predictions, a summary per
        topic (count, tone shares, tone score in [-1, 1], driving sentences)
        and the overall tone.

    Examples
    --------
    >>> a = analyze("We strongly condemn the reckless missile launch by North Korea. "
    ...             "The Security Council meets on Monday.")
    >>> [s.prediction.tone for s in a.sentences]
    ['critical', 'neutral']
    """
    from ._document import analyze_with

    return analyze_with(load_model(model), document)


def explain(text: str, *, model: Model | str | None = None) -> Explanation:
    """Explain a sentence's prediction: the n-grams behind each predicted topic and the tone.

    The model is linear, so each contribution is exact: a label's logit is its
    bias plus the sum of its contributions.

    Parameters
    ----------
    text : str
        One sentence.
    model : Model, str or None
        As for `predict`.

    Returns
    -------
    Explanation
        The prediction, an explanation per explained topic
        (``topic_explanations``) and one of the tone.

    Examples
    --------
    >>> e = explain("We strongly condemn the reckless missile launch by the DPRK.")
    >>> e.tone.label
    'critical'
    """
    from ._explanation import explain_with

    return explain_with(load_model(model), text)
