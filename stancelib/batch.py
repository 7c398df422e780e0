"""Deprecated: use `stancelib.score_texts` (this module goes away in the next release)."""

from __future__ import annotations

import warnings

from ._batch import score_texts
from .errors import BadRecordError

__all__ = ["score_texts", "BadRecordError"]

warnings.warn(
    "stancelib.batch is deprecated; use stancelib.score_texts (and stancelib.BadRecordError)",
    DeprecationWarning,
    stacklevel=2,
)
