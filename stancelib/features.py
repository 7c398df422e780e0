"""Feature keys: what a model sees of a sentence.

`extract` is the only place that turns tokens into feature keys; training
builds its vocabulary and its matrix through it, and prediction looks the same
keys up in the stored vocabulary. The settings travel inside the model file as
a `FeatureSpec`.

A key is a unigram (``"iran"``), a word n-gram as a tuple
(``("new", "start")``), or a word prefix marked with ``<`` (``"<sanct"``),
which lets unseen inflections (``sanctioned``, ``sanctioning``) share weight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Union

from .errors import ModelLoadError

__all__ = ["FeatureSpec", "Key", "extract", "key_to_str", "str_to_key"]

Key = Union[str, tuple[str, ...]]


@dataclass(frozen=True)
class FeatureSpec:
    """How sentences become feature keys.

    Parameters
    ----------
    word_ngrams : int
        Longest word n-gram, 1 to 3.
    prefix_len : int
        Also emit the first `prefix_len` characters of every longer token;
        0 turns prefixes off.
    """

    word_ngrams: int = 2
    prefix_len: int = 0

    def __post_init__(self) -> None:
        if self.word_ngrams not in (1, 2, 3):
            raise ValueError(f"word_ngrams must be 1, 2 or 3, got {self.word_ngrams!r}")
        if not (self.prefix_len == 0 or 3 <= self.prefix_len <= 12):
            raise ValueError(f"prefix_len must be 0 or between 3 and 12, got {self.prefix_len!r}")

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "model.json") -> FeatureSpec:
        try:
            return cls(word_ngrams=int(data["word_ngrams"]), prefix_len=int(data["prefix_len"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(
                f"{source}: bad 'features' settings {dict(data)!r} ({exc}); "
                "the file is damaged or was not written by stancelib: re-save or retrain the model"
            ) from None


def extract(tokens: list[str], spec: FeatureSpec) -> list[Key]:
    """Return the feature keys of a token list, with repeats.

    Examples
    --------
    >>> extract(["new", "start", "treaty"], FeatureSpec(word_ngrams=2, prefix_len=4))
    ['new', 'start', 'treaty', ('new', 'start'), ('start', 'treaty'), '<star', '<trea']
    """
    keys: list[Key] = list(tokens)
    if spec.word_ngrams >= 2:
        keys.extend(zip(tokens, tokens[1:]))
        if spec.word_ngrams == 3:
            keys.extend(zip(tokens, tokens[1:], tokens[2:]))
    p = spec.prefix_len
    if p:
        keys.extend(["<" + w[:p] for w in tokens if len(w) > p])
    return keys


def key_to_str(key: Key) -> str:
    """The stored form of a key: n-grams are joined with one space."""
    return key if isinstance(key, str) else " ".join(key)


def str_to_key(text: str) -> Key:
    """Inverse of `key_to_str` (tokens never contain spaces)."""
    return tuple(text.split(" ")) if " " in text else text
