"""Text normalisation and tokenisation: the one tokenizer of the library.

Training and prediction both call `tokenize`, so a model always sees text cut
the same way. The rules are deliberately small and fast:

* text is lower-cased; Latin letters with diacritics are folded to ASCII
  (``Guaidó`` and ``Guaido`` give the same token);
* a token is a maximal run of letters and digits, so hyphens, apostrophes and
  punctuation separate tokens (``Kim Jong-un`` and ``Kim Jong Un`` agree);
* lone surrogates, control and format characters (zero-width, RTL marks) act
  as separators and never raise.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from itertools import repeat

from .errors import InputTypeError

__all__ = ["normalize", "tokenize", "tokenize_batch", "tokenize_bytes", "as_text_list", "check_text"]

_TOKEN = re.compile(r"[^\W_]+")

# For ASCII text the same rules fit in one bytes.translate: letters are
# lower-cased, digits kept, every other byte becomes a space to split on.
_ASCII_TABLE = (
    bytes((c | 0x20 if chr(c).isalpha() else c) if chr(c).isalnum() else 0x20 for c in range(128)) + b" " * 128
)


def _build_fold_table() -> dict[int, str]:
    # Fold the Latin-1 Supplement and Latin Extended-A letters to ASCII once,
    # so that the hot path is a single str.translate on non-ASCII text.
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base != char and base.isascii() and base:
            table[code] = base
    table.update({ord("ß"): "ss", ord("æ"): "ae", ord("ø"): "o", ord("đ"): "d", ord("ł"): "l"})
    table.update({ord("Æ"): "AE", ord("Ø"): "O", ord("Đ"): "D", ord("Ł"): "L"})
    return table


_FOLD = _build_fold_table()


def normalize(text: str) -> str:
    """Lower-case `text` and fold Latin diacritics to ASCII.

    Parameters
    ----------
    text : str
        Any string, including one with lone surrogates or control characters.

    Returns
    -------
    str
        The normalised text.

    Examples
    --------
    >>> normalize("Guaidó met Zelenskyy")
    'guaido met zelenskyy'
    """
    if not text.isascii():
        text = text.translate(_FOLD)
    return text.lower()


def tokenize_bytes(text: str) -> list[bytes]:
    """`tokenize`, with each token as UTF-8 bytes: the prediction fast path.

    ASCII text, the common case, is cut by one ``bytes.translate`` and
    ``split``, several times faster than a regular expression. In other text
    each non-ASCII character that tokenizes as some ASCII text wherever it
    stands (quotation marks and dashes as a space, ``é`` as ``e``) is
    replaced by it first; text with any other character goes through the
    regular expression (`_tokenize_regex`). All give exactly the tokens of
    the rules above (`tokenize` is defined through this function).

    Examples
    --------
    >>> tokenize_bytes("New START, 2010")
    [b'new', b'start', b'2010']
    """
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).split()
    # Mostly ASCII with a few quotation marks, dashes or accented letters:
    # each such character becomes the ASCII it tokenizes as.
    plain = _NON_ASCII.sub(_as_ascii, text)
    if plain.isascii():
        return plain.encode("ascii").translate(_ASCII_TABLE).split()
    return _tokenize_regex(text)


def _tokenize_regex(text: str) -> list[bytes]:
    """Cut by the rules above with one regular expression: the definition the fast paths are tested against."""
    return [w.encode("utf-8") for w in _TOKEN.findall(normalize(text))]


# Characters that may join a batch of non-ASCII texts for one pass of the
# regular expression: never a token character, never whitespace to
# ``bytes.split``. A batch uses the first one that none of its texts contains
# (any text may contain any of them), or goes text by text if it contains all.
_JOINERS = tuple(chr(c) for c in (*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F))


@functools.lru_cache(maxsize=len(_JOINERS))
def _gaps(joiner: str) -> re.Pattern[str]:
    """Match runs of characters between tokens, the joiner excepted."""
    return re.compile(f"(?:[^\\w{re.escape(joiner)}]|_)+")


_NON_ASCII = re.compile("[^\x00-\x7f]+")
# Non-ASCII character -> the ASCII text that tokenizes the same, wherever the
# character stands: " " for one that only separates tokens (punctuation,
# symbols, spaces), its folded lower-case letters for a letter that folds to
# ASCII letters, itself where neither holds. Filled as characters are met.
_ASCII_OF: dict[str, str] = {}


def _char_as_ascii(char: str) -> str:
    # `normalize` works character by character (str.lower depends on context
    # only for the Greek capital sigma, which is no ASCII letter either).
    norm = normalize(char)
    if norm.isascii() and norm.isalnum():
        return norm
    if not _TOKEN.search(norm):
        return " "
    return char


def _as_ascii(match: re.Match[str]) -> str:
    run = match.group()
    get = _ASCII_OF.get
    out = []
    for char in run:
        a = get(char)
        if a is None:
            a = _char_as_ascii(char)
            if len(_ASCII_OF) < 65536:
                _ASCII_OF[char] = a
        out.append(a)
    return "".join(out)


def tokenize_batch(texts: Sequence[str]) -> list[list[bytes]]:
    """`tokenize_bytes` of every text, in one pass over the batch where that is faster.

    ASCII texts each take one C call per step (encode, translate, split);
    the non-ASCII texts are joined with a character that none of them
    contains, normalised and cut by the regular expression once, and split
    back. Any `str` works: nothing is reserved.

    Examples
    --------
    >>> tokenize_batch(["New START, 2010", "Guaidó met", ""])
    [[b'new', b'start', b'2010'], [b'guaido', b'met'], []]
    """
    flags = list(map(str.isascii, texts))
    if all(flags):
        return list(map(bytes.split, map(bytes.translate, map(str.encode, texts), repeat(_ASCII_TABLE))))
    out: list[list[bytes]] = [[] for _ in texts]
    ascii_at = [i for i, f in enumerate(flags) if f]
    for i, tokens in zip(
        ascii_at,
        map(bytes.split, map(bytes.translate, map(str.encode, [texts[i] for i in ascii_at]), repeat(_ASCII_TABLE))),
    ):
        out[i] = tokens
    other_at = []
    for i, f in enumerate(flags):
        if not f:
            text = _NON_ASCII.sub(_as_ascii, texts[i])  # as in `tokenize_bytes`
            if text.isascii():
                out[i] = text.encode("ascii").translate(_ASCII_TABLE).split()
            else:
                other_at.append(i)
    if not other_at:
        return out
    others = [texts[i] for i in other_at]
    seen = "".join(others)
    joiner = next((c for c in _JOINERS if c not in seen), None)
    if joiner is None:
        parts = [_tokenize_regex(t) for t in others]
    else:
        cut = _gaps(joiner).sub(" ", normalize(joiner.join(others)))
        parts = list(map(bytes.split, cut.encode("utf-8").split(joiner.encode("ascii"))))
    for i, tokens in zip(other_at, parts):
        out[i] = tokens
    return out


def tokenize(text: str) -> list[str]:
    """Split `text` into normalised word tokens.

    Parameters
    ----------
    text : str
        The text to split.

    Returns
    -------
    list of str
        Lower-cased runs of letters and digits, in order.

    Examples
    --------
    >>> tokenize("Kim Jong-un's ICBM test, 2017.")
    ['kim', 'jong', 'un', 's', 'icbm', 'test', '2017']
    """
    return [w.decode("utf-8") for w in tokenize_bytes(text)]


def as_text_list(texts: object) -> list[str]:
    """Check a batch at the boundary and return it as a list of str.

    Raises
    ------
    InputTypeError
        If `texts` is not an iterable of str; the message names the index
        and the type of the first bad item.
    """
    if isinstance(texts, (bytes, bytearray)):
        raise InputTypeError(
            f"expected str or an iterable of str, got {type(texts).__name__}; decode bytes first, "
            "e.g. data.decode('utf-8')"
        )
    if isinstance(texts, Mapping):
        raise InputTypeError(
            f"expected str or an iterable of str, got {type(texts).__name__}; pass its values, e.g. list(d.values())"
        )
    try:
        items = list(texts)  # type: ignore[call-overload]
    except TypeError:
        raise InputTypeError(f"expected str or an iterable of str, got {type(texts).__name__}") from None
    for i, item in enumerate(items):
        if type(item) is not str:
            if isinstance(item, str):  # str subclasses, e.g. numpy.str_
                items[i] = str(item)
                continue
            hint = " (decode bytes first)" if isinstance(item, (bytes, bytearray)) else ""
            raise InputTypeError(
                f"item {i} of the batch is {type(item).__name__}, not str{hint}; "
                "pass text only (drop or convert missing values first)"
            )
    return items


def check_text(text: object, name: str = "text") -> str:
    """Check that `text` is a str, with an exact message otherwise."""
    if isinstance(text, str):
        return text
    raise InputTypeError(f"{name} must be str, got {type(text).__name__}")
