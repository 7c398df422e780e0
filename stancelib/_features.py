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
from functools import cached_property
from itertools import chain, compress, pairwise, repeat
from typing import Any

import numpy as np

from ._frame import FRAME_RULES, content_tokens, frame_tokens, views
from ._text import tokenize_batch, tokenize_bytes
from .errors import InputError, ModelLoadError

__all__ = ["MAX_TOKENS", "MAX_TEXT_CHARS", "FeatureSpec", "FeatureIndex", "Key", "extract", "key_to_str", "str_to_key"]

Key = str | tuple[str, ...]

#: Features are read from a text's first `MAX_TOKENS` tokens, found within its
#: first `MAX_TEXT_CHARS` characters; the rest of a longer text is not read, so
#: that any string is labelled in bounded time and memory.
MAX_TOKENS = 100_000
MAX_TEXT_CHARS = 2_000_000


def _cap(tokens: list[bytes]) -> list[bytes]:
    """Keep the first `MAX_TOKENS` tokens (in place: the lists are the caller's own)."""
    if len(tokens) > MAX_TOKENS:
        del tokens[MAX_TOKENS:]
    return tokens


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
    frame : int
        Version of the reporting-frame rules of `_frame` (cut datelines,
        attribution, quotation marks and dates; see `_frame.views`), or 0 for
        plain tokens. With rules, the topic and the tone head each read their
        own view of the sentence.
    """

    word_ngrams: int = 2
    prefix_len: int = 0
    frame: int = 0

    def __post_init__(self) -> None:
        if self.word_ngrams not in (1, 2, 3):
            raise InputError(f"word_ngrams must be 1, 2 or 3, got {self.word_ngrams!r}")
        if not (self.prefix_len == 0 or 3 <= self.prefix_len <= 12):
            raise InputError(f"prefix_len must be 0 or between 3 and 12, got {self.prefix_len!r}")
        if self.frame not in (0, FRAME_RULES):
            raise InputError(
                f"frame must be 0 or {FRAME_RULES} (the reporting-frame rules this version knows), got {self.frame!r}"
            )

    def to_dict(self) -> dict[str, int]:
        """Return the settings as stored in ``model.json`` (``frame`` only when used)."""
        data = asdict(self)
        if not self.frame:
            del data["frame"]
        return data

    def tokens(self, text: str) -> tuple[list[bytes], list[bytes]]:
        """Return the tokens the topic head and the tone head read: the one tokenizer of training and prediction.

        Without frame rules both are the same list, ``tokenize_bytes(text)``.
        """
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
        if self.frame:
            topic, tone = frame_tokens(text)
            return _cap(topic), tone if tone is topic else _cap(tone)
        tokens = _cap(tokenize_bytes(text))
        return tokens, tokens

    def tokens_batch(self, texts: Sequence[str]) -> tuple[list[list[bytes]], list[list[bytes]]]:
        """`tokens` of every text: the topic views, and the tone views (the same list object where they agree).

        The same caps as `tokens`: the first `MAX_TEXT_CHARS` characters, the first `MAX_TOKENS` tokens.
        """
        if max(map(len, texts), default=0) > MAX_TEXT_CHARS:
            texts = [t[:MAX_TEXT_CHARS] if len(t) > MAX_TEXT_CHARS else t for t in texts]
        if not self.frame:
            lists = list(map(_cap, tokenize_batch(texts)))
            return lists, lists
        pairs = list(map(views, texts))
        topics = [p[0] for p in pairs]
        differ = [i for i, (topic, tone) in enumerate(pairs) if topic is not tone and topic != tone]
        n = len(topics)
        lists = list(map(content_tokens, tokenize_batch(topics + [pairs[i][1] for i in differ])))
        if max(map(len, lists), default=0) > MAX_TOKENS:
            lists = list(map(_cap, lists))
        topic_lists = lists[:n]
        tone_lists = list(topic_lists)
        for i, tokens in zip(differ, lists[n:]):
            tone_lists[i] = tokens
        return topic_lists, tone_lists

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "model.json") -> FeatureSpec:
        """Read the settings stored by `to_dict`; `source` names the file in errors."""
        try:
            values = {
                key: data[key] if key != "frame" else data.get(key, 0) for key in ("word_ngrams", "prefix_len", "frame")
            }
            for key, value in values.items():
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError(f"{key} must be an integer, got {value!r}")
            return cls(**values)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
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
    """Return the stored form of a key: n-grams are joined with one space."""
    return key if isinstance(key, str) else " ".join(key)


def str_to_key(text: str) -> Key:
    """Inverse of `key_to_str` (tokens never contain spaces)."""
    return tuple(text.split(" ")) if " " in text else text


class FeatureIndex:
    """Fast lookup of what a token list adds up to, for prediction.

    A model's table has one row per feature, then one all-zero `dummy` row
    that every unknown key maps to (so nothing has to be filtered out), then
    `combined` rows: for a token that has both a unigram and a prefix feature,
    the sum of the two rows, so that a known token costs one lookup and one
    row. Tokens (UTF-8 bytes, from `_text.tokenize_bytes`) get integer ids
    once and n-grams are looked up by tuples of those ids. The rows of a
    sentence add up to the same vector as the features of `extract` (up to
    rounding), and `ids` also counts those features.

    Parameters
    ----------
    vocabulary : sequence of str
        Stored keys (see `key_to_str`), in column order.
    spec : FeatureSpec

    Examples
    --------
    >>> index = FeatureIndex(["iran", "talks", "iran talks", "<negot", "negotiators"], FeatureSpec(2, 5))
    >>> index.dummy, index.combined
    (5, [(4, 3)])
    >>> index.ids([b"iran", b"talks", b"negotiations", b"negotiators"])
    ([0, 1, 5, 6, 2, 5, 5, 3], 6)
    """

    def __init__(self, vocabulary: Sequence[str], spec: FeatureSpec) -> None:
        self.spec = spec
        self.dummy = dummy = len(vocabulary)
        # Built at every model load, so it is written for load time too:
        # masks and compress() instead of per-key branches, one split for all
        # bigrams.
        keys = "\n".join(vocabulary).encode("utf-8").split(b"\n") if vocabulary else []
        fids = range(len(keys))
        is_gram = [b" " in k for k in keys]
        is_prefix = [k[:1] == b"<" for k in keys]
        is_unigram = [not (g or p) for g, p in zip(is_gram, is_prefix)]
        unigrams = dict(zip(compress(keys, is_unigram), compress(fids, is_unigram)))
        prefixes = {k[1:]: f for k, f in zip(compress(keys, is_prefix), compress(fids, is_prefix))}
        gram_keys = list(compress(keys, is_gram))
        gram_fids = list(compress(fids, is_gram))
        tokens = dict(zip(unigrams, range(len(unigrams))))
        parts = b" ".join(gram_keys).split(b" ") if gram_keys else []
        for part in sorted(set(parts).difference(tokens)):
            tokens[part] = len(tokens)
        get = tokens.__getitem__
        if len(parts) == 2 * len(gram_keys):  # bigrams only: pair up the parts
            ids = list(map(get, parts))
            self._bigram = dict(zip(zip(ids[0::2], ids[1::2]), gram_fids))
            self._trigram: dict[tuple[int, ...], int] = {}
        else:
            grams = [tuple(map(get, k.split(b" "))) for k in gram_keys]
            self._bigram = {g: f for g, f in zip(grams, gram_fids) if len(g) == 2}
            self._trigram = {g: f for g, f in zip(grams, gram_fids) if len(g) == 3}
        self.unknown = unknown = len(tokens)
        unigram = [*unigrams.values(), *[dummy] * (unknown + 1 - len(unigrams))]
        self._prefixes = prefixes
        # Per token id: the one row it adds and how many features that row holds.
        self.combined: list[tuple[int, int]] = []
        token_row = list(unigram)
        token_known = [int(u != dummy) for u in unigram]
        if spec.prefix_len:
            p = spec.prefix_len
            get_prefix = prefixes.get
            # Inline for ASCII tokens (nearly all); `_prefix` handles the rest.
            pres = [
                (get_prefix(w[:p], dummy) if len(w) > p else dummy) if w.isascii() else self._prefix(w) for w in tokens
            ]
            for t in [t for t, pre in enumerate(pres) if pre != dummy]:
                pre = pres[t]
                if unigram[t] == dummy:
                    token_row[t] = pre
                else:
                    token_row[t] = dummy + 1 + len(self.combined)
                    self.combined.append((unigram[t], pre))
                token_known[t] += 1
        #: Distinct keys indexed; less than the vocabulary's length if a key repeats.
        self.size = len(unigrams) + len(prefixes) + len(self._bigram) + len(self._trigram)
        self._tokens = tokens
        self._token_row = token_row
        self._token_known = token_known
        # The same lookups as arrays, for `batch`: n-grams are found by
        # binary search over integer keys built from token ids.
        self._token_row_array = np.array(token_row, dtype=np.intp)
        self._base = unknown + 1
        self._wide = self._base**spec.word_ngrams >= 2**62  # keys would not fit in int64

    def _prefix(self, word: bytes) -> int:
        p = self.spec.prefix_len
        if word.isascii():
            return self._prefixes.get(word[:p], self.dummy) if len(word) > p else self.dummy
        text = word.decode("utf-8")  # prefixes count characters, not bytes
        return self._prefixes.get(text[:p].encode("utf-8"), self.dummy) if len(text) > p else self.dummy

    @cached_property
    def _gram_tables(self) -> tuple[_IntTable, _IntTable]:
        # Built on the first batch, not at load: a single prediction does without.
        return _int_table(self._bigram, self._base), _int_table(self._trigram, self._base)

    def batch(self, lists: Sequence[list[bytes]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`ids` of many token lists at once.

        Returns
        -------
        rows : ndarray of intp
            The table rows of every list, one list after the other, each
            exactly as `ids` gives them (the `dummy` rows of unknown keys
            included: numpy's sums group the rows by position, so leaving
            zero rows out could change the last bit).
        sizes : ndarray of intp
            How many of `rows` belong to each list.
        known : ndarray of intp
            The number of known features per list, as `ids` counts them.
        """
        n = len(lists)
        if self._wide:  # n-gram keys too large for int64: list by list
            done = [self.ids(tokens) for tokens in lists]
            return (
                np.fromiter(chain.from_iterable(rows for rows, _ in done), dtype=np.intp),
                np.fromiter((len(rows) for rows, _ in done), dtype=np.intp, count=n),
                np.fromiter((k for _, k in done), dtype=np.intp, count=n),
            )
        lengths = np.fromiter(map(len, lists), dtype=np.intp, count=n)
        flat = list(chain.from_iterable(lists))
        total = len(flat)
        unknown, dummy = self.unknown, self.dummy
        tids = np.fromiter(map(self._tokens.get, flat, repeat(unknown)), dtype=np.intp, count=total)
        starts = np.zeros(n, dtype=np.intp)
        np.cumsum(lengths[:-1], out=starts[1:])
        owner = np.repeat(np.arange(n, dtype=np.intp), lengths)
        within = np.arange(total, dtype=np.intp) - starts[owner]
        # Per list, in the order of `ids`: tokens, bigrams, trigrams, prefixes of unknown tokens.
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [(self._token_row_array[tids], owner, within)]
        counts = [lengths]
        last = np.zeros(total + 2, dtype=bool)
        last[(starts + lengths - 1)[lengths > 0]] = True
        ngrams = self.spec.word_ngrams
        if ngrams >= 2:
            at = np.flatnonzero(~last[: total - 1]) if total > 1 else np.zeros(0, dtype=np.intp)
            keys = tids[at] * self._base + tids[at + 1]
            parts.append((self._gram_tables[0].find(keys, dummy), owner[at], within[at]))
            counts.append(np.maximum(lengths - 1, 0))
            if ngrams == 3:
                at = np.flatnonzero(~(last[: total - 2] | last[1 : total - 1])) if total > 2 else at[:0]
                keys = (tids[at] * self._base + tids[at + 1]) * self._base + tids[at + 2]
                parts.append((self._gram_tables[1].find(keys, dummy), owner[at], within[at]))
                counts.append(np.maximum(lengths - 2, 0))
        if self.spec.prefix_len:
            unseen = tids == unknown
            at = np.flatnonzero(unseen)
            p, get, prefix = self.spec.prefix_len, self._prefixes.get, self._prefix
            words = [flat[i] for i in at.tolist()]
            pre = np.fromiter(
                [(get(w[:p], dummy) if len(w) > p else dummy) if w.isascii() else prefix(w) for w in words],
                dtype=np.intp,
                count=len(words),
            )
            before = np.zeros(total + 1, dtype=np.intp)
            np.cumsum(unseen, out=before[1:])
            rank = before[at] - before[starts[owner[at]]]
            parts.append((pre, owner[at], rank))
            counts.append(np.bincount(owner[at], minlength=n))
        block = np.sum(counts, axis=0) if n else lengths
        offset = np.zeros(n, dtype=np.intp)
        np.cumsum(block[:-1], out=offset[1:])
        out = np.empty(int(block.sum()) if n else 0, dtype=np.intp)
        shift = offset.copy()
        for (rows, who, where), count in zip(parts, counts):
            out[shift[who] + where] = rows
            shift += count
        # Known features per list: rows other than the dummy, combined rows counting twice.
        weight = (out != dummy).astype(np.intp) + (out > dummy)
        total_weight = np.zeros(len(out) + 1, dtype=np.intp)
        np.cumsum(weight, out=total_weight[1:])
        known = total_weight[offset + block] - total_weight[offset]
        return out, block, known

    def ids(self, tokens: list[bytes]) -> tuple[list[int], int]:
        """Table rows to add up for `tokens`, and the number of known features they hold."""
        # Everything runs as map() over C callables: no Python bytecode per token.
        unknown = self.unknown
        tids = list(map(self._tokens.get, tokens, repeat(unknown)))
        rows = list(map(self._token_row.__getitem__, tids))
        known = sum(map(self._token_known.__getitem__, tids))
        dummy = self.dummy
        n = self.spec.word_ngrams
        if n >= 2:
            grams = list(map(self._bigram.get, pairwise(tids), repeat(dummy)))
            if n == 3:
                grams += map(self._trigram.get, zip(tids, tids[1:], tids[2:]), repeat(dummy))
            known += len(grams) - grams.count(dummy)
            rows += grams
        if self.spec.prefix_len and unknown in tids:
            # Unseen words may still share a known prefix.
            pre = [self._prefix(w) for w, t in zip(tokens, tids) if t == unknown]
            known += len(pre) - pre.count(dummy)
            rows += pre
        return rows, known


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class _IntTable:
    """A read-only hash table from int64 keys (>= 0) to ints, looked up for a whole array at once.

    Open addressing with linear probing at a load of at most 0.4, so a
    lookup touches one or two slots: about twice as fast as a binary search
    over the sorted keys, whose steps miss the cache.
    """

    __slots__ = ("_keys", "_mask", "_shift", "_values")

    def __init__(self, keys: np.ndarray, values: np.ndarray) -> None:
        bits = max(4, (len(keys) * 5 // 2).bit_length())
        self._mask = (1 << bits) - 1
        self._shift = np.uint64(64 - bits)
        self._keys = np.full(1 << bits, -1, dtype=np.int64)
        self._values = np.zeros(1 << bits, dtype=np.intp)
        slot = self._slots(keys)
        todo = np.arange(len(keys))
        while todo.size:
            free = todo[self._keys[slot[todo]] == -1]
            _, first = np.unique(slot[free], return_index=True)
            placed = free[first]
            self._keys[slot[placed]] = keys[placed]
            self._values[slot[placed]] = values[placed]
            todo = np.setdiff1d(todo, placed, assume_unique=True)
            taken = todo[self._keys[slot[todo]] != -1]
            slot[taken] = (slot[taken] + 1) & self._mask

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.astype(np.uint64) * _GOLDEN) >> self._shift).astype(np.intp)

    def find(self, keys: np.ndarray, default: int) -> np.ndarray:
        """Return the value of every key, `default` where a key is absent."""
        out = np.full(len(keys), default, dtype=np.intp)
        slot = self._slots(keys)
        where: np.ndarray | None = None
        while slot.size:
            found = self._keys[slot]
            hit = found == keys
            out[hit if where is None else where[hit]] = self._values[slot[hit]]
            go = ~hit & (found != -1)
            where = np.flatnonzero(go) if where is None else where[go]
            slot = (slot[go] + 1) & self._mask
            keys = keys[go]
        return out


def _int_table(grams: dict[tuple[int, int], int] | dict[tuple[int, ...], int], base: int) -> _IntTable:
    """N-gram token-id tuples as integer keys in base `base`, mapped to their feature ids."""
    keys = []
    for gram in grams:
        key = 0
        for t in gram:
            key = key * base + t
        keys.append(key)
    return _IntTable(np.array(keys, dtype=np.int64), np.fromiter(grams.values(), dtype=np.intp, count=len(grams)))
