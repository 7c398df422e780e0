"""Labelling pandas DataFrames: the one flat column layout, shared with `stancelib.dask`.

Needs pandas only (``pip install "stancelib[pandas]"``). The label columns are,
in this order: ``topics`` (string, topic names joined by ``;``, empty for
off-agenda), ``tone`` (categorical over the model's tones), ``topic_<name>``
and ``tone_<name>`` (float64 probabilities) and ``model`` (string, the
`Model.model_id` that made them) -- the same names as the CSV output of the
command line. With ``prefix="stancelib_"`` every one of them is namespaced
(``stancelib_tone``, ``stancelib_topic_iran``, ...).

An input column whose name equals one of ours is refused with `InputError`
before any labelling, naming the colliding columns and ``prefix=``; the
input's own columns are never overwritten or dropped. Rows are matched by
position, never by index label, so a frame with a repeated index (after
``pd.concat``, say) keeps its rows, its order and its labels.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._loading import load_model
from ._model import Model
from ._text import as_text_list
from .errors import InputError, MissingExtraError

__all__ = [
    "label_frame",
    "model_id",
    "label_columns",
    "output_columns",
    "check_collisions",
    "empty_labels",
    "require_pandas",
]


def require_pandas() -> Any:
    """Import pandas, or raise `MissingExtraError` saying how to install it."""
    try:
        import pandas as pd
    except ImportError:
        raise MissingExtraError('labelling DataFrames needs pandas: pip install "stancelib[pandas]"') from None
    return pd


def _prefix(prefix: str | None) -> str:
    if prefix is None:
        return ""
    if not isinstance(prefix, str):
        raise InputError(f"prefix must be a str such as 'stancelib_', got {type(prefix).__name__}")
    return prefix


def model_id(model: Model) -> str:
    """Return the model's `Model.model_id`."""
    return model.model_id


def output_columns(model: Model, prefix: str | None = None) -> list[str]:
    """Return the label columns `label_frame` adds for `model`, in order."""
    p = _prefix(prefix)
    return [
        f"{p}topics",
        f"{p}tone",
        *(f"{p}topic_{t}" for t in model.topics),
        *(f"{p}tone_{t}" for t in model.tones),
        f"{p}model",
    ]


def check_collisions(columns: Iterable[Any], model: Model, prefix: str | None = None) -> None:
    """Refuse input columns named like our label columns.

    Raises
    ------
    InputError
        Naming the colliding columns and the ``prefix=`` argument that avoids them.
    """
    ours = set(output_columns(model, prefix))
    clash = [str(c) for c in columns if c in ours]
    if clash:
        suggestion = "stancelib_" if prefix is None else f"{prefix}stancelib_"
        raise InputError(
            f"the input already has column(s) {clash} that the labels would overwrite; "
            f"pass prefix={suggestion!r} to namespace the label columns"
        )


def label_columns(model: Model, texts: Sequence[str], prefix: str | None = None) -> dict[str, Any]:
    """Label `texts` with `model`: column name to a pandas array or numpy array, by position."""
    pd = require_pandas()
    p = _prefix(prefix)
    scores = model.score_batch(texts)
    flags = scores.topic_probs >= np.asarray(model.thresholds)
    topics = [";".join(t for t, f in zip(model.topics, row) if f) for row in flags.tolist()]
    best = scores.tone_probs.argmax(axis=1) if len(topics) else np.zeros(0, dtype=np.int64)
    columns: dict[str, Any] = {
        f"{p}topics": pd.array(topics, dtype="string"),
        f"{p}tone": pd.Categorical.from_codes(best, categories=list(model.tones)),
    }
    for j, t in enumerate(model.topics):
        columns[f"{p}topic_{t}"] = np.ascontiguousarray(scores.topic_probs[:, j])
    for j, t in enumerate(model.tones):
        columns[f"{p}tone_{t}"] = np.ascontiguousarray(scores.tone_probs[:, j])
    columns[f"{p}model"] = pd.array([model_id(model)] * len(topics), dtype="string")
    return columns


def empty_labels(model: Model, prefix: str | None = None) -> Any:
    """Return an empty DataFrame with the label columns and their dtypes (Dask's ``meta``)."""
    return require_pandas().DataFrame(label_columns(model, [], prefix))


def label_frame(
    frame: Any,
    text_field: str = "text",
    *,
    model: Model | str | os.PathLike[str] | None = None,
    prefix: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    keep: bool = True,
) -> Any:
    """Label the text column of a pandas DataFrame; needs pandas only.

    Parameters
    ----------
    frame : pandas.DataFrame
    text_field : str
        The column holding the text (every value a str).
    model : Model, str or path, optional
        As for `stancelib.predict`.
    prefix : str, optional
        Put before every label column's name, e.g. ``"stancelib_"``.
    thresholds : mapping of str to float, optional
        Per-topic threshold overrides (see `Model.with_thresholds`).
    keep : bool
        Return the input columns followed by the labels (True), or the
        label columns alone, with the input's index (False).

    Returns
    -------
    pandas.DataFrame
        A new frame, same index and row order: ``topics`` (string),
        ``tone`` (category), ``topic_<name>`` and ``tone_<name>``
        (float64), ``model`` (string).

    Raises
    ------
    InputError
        If `text_field` is not a column, or an input column has the name of a
        label column (use `prefix`).
    InputTypeError
        If a text is not a str (a missing value, say); the message names its position.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [7, 8], "text": ["We condemn the missile launch by North Korea.", "Hello."]})
    >>> out = label_frame(df)
    >>> list(out.columns[:5]), str(out["tone"].dtype), out["topic_iran"].dtype
    (['id', 'text', 'topics', 'tone', 'topic_arms_control'], 'category', dtype('float64'))
    >>> "north_korea" in out["topics"][0].split(";")
    True
    """
    pd = require_pandas()
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"label_frame takes a pandas DataFrame, got {type(frame).__name__}")
    if text_field not in frame.columns:
        raise InputError(f"no column {text_field!r}; the frame has {list(frame.columns)}; use text_field=")
    m = load_model(model)
    if thresholds:
        m = m.with_thresholds(thresholds)
    if keep:
        check_collisions(frame.columns, m, prefix)
    texts = as_text_list(frame[text_field].to_numpy(dtype=object))
    columns = label_columns(m, texts, prefix)
    labels = pd.DataFrame(columns, index=frame.index)
    if not keep:
        return labels
    # By position: a repeated index label must neither multiply rows nor cross labels.
    out = frame.copy()
    for name, values in columns.items():
        out[name] = values
    return out
