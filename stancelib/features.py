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

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise, repeat
from typing import Any

from .errors import ModelLoadError

__all__ = ["FeatureSpec", "FeatureIndex", "Key", "extract", "key_to_str", "str_to_key"]

Key = str | tuple[str, ...]


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
        keys.extend(pairwise(tokens))
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


class FeatureIndex:
    """Fast lookup of the feature ids of a token list, for prediction.

    Gives the same multiset of features as looking every key of `extract` up
    in the vocabulary, built for speed: tokens (UTF-8 bytes, from
    `text.tokenize_bytes`) get integer ids once, n-grams are looked up by
    tuples of those ids, and every key the model does not know maps to one extra id,
    `dummy`, whose table row is all zeros, so nothing has to be filtered out.

    Parameters
    ----------
    vocabulary : sequence of str
        Stored keys (see `key_to_str`), in column order.
    spec : FeatureSpec

    Examples
    --------
    >>> index = FeatureIndex(["iran", "talks", "iran talks", "<negot"], FeatureSpec(2, 5))
    >>> index.ids([b"iran", b"talks", b"negotiations"])
    [0, 1, 4, 2, 4, 4, 4, 4, 3]
    >>> index.dummy
    4
    """

    def __init__(self, vocabulary: Sequence[str], spec: FeatureSpec) -> None:
        keys = [str_to_key(s) for s in vocabulary]
        self.spec = spec
        self.dummy = dummy = len(keys)
        tokens: dict[bytes, int] = {}
        for key in keys:
            if isinstance(key, tuple):
                for word in key:
                    tokens.setdefault(word.encode("utf-8"), len(tokens))
            elif not key.startswith("<"):
                tokens.setdefault(key.encode("utf-8"), len(tokens))
        self.unknown = unknown = len(tokens)
        self.base = base = unknown + 1
        unigram = [dummy] * base
        # n-grams are keyed by tuples of token ids; one table per n.
        ngrams: tuple[dict[tuple[int, ...], int], dict[tuple[int, ...], int]] = ({}, {})
        prefixes: dict[bytes, int] = {}
        for fid, key in enumerate(keys):
            if isinstance(key, tuple):
                ngrams[len(key) - 2][tuple(tokens[word.encode("utf-8")] for word in key)] = fid
            elif key.startswith("<"):
                prefixes[key[1:].encode("utf-8")] = fid
            else:
                unigram[tokens[key.encode("utf-8")]] = fid
        p = spec.prefix_len
        prefix_of = [dummy] * base
        if p:
            for token, t in tokens.items():
                prefix_of[t] = self._prefix(token, prefixes)
        self._tokens = tokens
        self._unigram = unigram
        self._bigram, self._trigram = ngrams
        self._prefixes = prefixes
        self._prefix_of = prefix_of

    def _prefix(self, word: bytes, prefixes: dict[bytes, int]) -> int:
        p = self.spec.prefix_len
        if word.isascii():
            return prefixes.get(word[:p], self.dummy) if len(word) > p else self.dummy
        text = word.decode("utf-8")  # prefixes count characters, not bytes
        return prefixes.get(text[:p].encode("utf-8"), self.dummy) if len(text) > p else self.dummy

    def ids(self, tokens: list[bytes]) -> list[int]:
        """Feature ids of `tokens` (the keys of `extract`, as a multiset); unknown keys give `dummy`."""
        # Everything runs as map() over C callables: no Python bytecode per token.
        unknown = self.unknown
        tids = list(map(self._tokens.get, tokens, repeat(unknown)))
        ids = list(map(self._unigram.__getitem__, tids))
        n = self.spec.word_ngrams
        if n >= 2:
            dummy = repeat(self.dummy)
            ids += map(self._bigram.get, zip(tids, tids[1:]), dummy)
            if n == 3:
                ids += map(self._trigram.get, zip(tids, tids[1:], tids[2:]), dummy)
        if self.spec.prefix_len:
            ids += map(self._prefix_of.__getitem__, tids)
            if unknown in tids:
                prefixes = self._prefixes
                ids += [self._prefix(w, prefixes) for w, t in zip(tokens, tids) if t == unknown]
        return ids
