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

import re
import unicodedata
from collections.abc import Mapping

from .errors import InputTypeError

__all__ = ["normalize", "tokenize", "tokenize_bytes", "as_text_list", "check_text"]

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
    ``split``, several times faster than a regular expression; other text goes
    through the regular expression. Both give exactly the tokens of the rules
    above (`tokenize` is defined through this function).

    Examples
    --------
    >>> tokenize_bytes("New START, 2010")
    [b'new', b'start', b'2010']
    """
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).split()
    return [w.encode("utf-8") for w in _TOKEN.findall(normalize(text))]


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
