"""JSON as stancelib reads it: numbers must be finite.

Python's `json` accepts ``NaN``, ``Infinity`` and ``1e400`` (which becomes
infinity); none of them is JSON, and each would later surface as a crash or a
silent wrong value. Model files and streamed records are both read with
`loads`, which raises `ValueError` for them (callers turn it into their own
one-line error naming the file or line).
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["loads"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:30]} is out of range")
    return value


def loads(text: str) -> Any:
    """Parse `text` like `json.loads`, refusing NaN, infinities and numbers that overflow a float.

    Examples
    --------
    >>> loads('{"a": [1, 2.5]}')
    {'a': [1, 2.5]}
    >>> loads('1e400')
    Traceback (most recent call last):
    ...
    ValueError: number 1e400 is out of range
    """
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
