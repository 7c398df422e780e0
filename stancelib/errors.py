"""The exception tree: every error the library raises on purpose is a `StanceLibError`.

Messages say what was wrong and how to fix it, so that a caller can print them
as they are. (`stancelib.estimator.StanceClassifier` also raises
scikit-learn's own ``NotFittedError`` before ``fit``, as scikit-learn's
protocol requires.)
"""

from __future__ import annotations

__all__ = [
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
]


class StanceLibError(Exception):
    """Base class of every error raised by stancelib."""


class InputError(StanceLibError, ValueError):
    """An argument has the right type but an unusable value."""


class InputTypeError(StanceLibError, TypeError):
    """An argument, or an item of a batch, has the wrong type."""


class ModelLoadError(StanceLibError):
    """A model directory is missing, damaged, or written by an unsupported format."""


class DataError(StanceLibError, ValueError):
    """Labelled data is malformed; the message starts with ``file:line:``.

    Attributes
    ----------
    problems : list of str
        Every problem found, each as ``file:line: what is wrong``.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = "\n".join(self.problems[:20])
        more = len(self.problems) - 20
        if more > 0:
            shown += f"\n... and {more} more problem(s)"
        super().__init__(shown)


class MissingExtraError(StanceLibError, ImportError):
    """An optional feature was asked for whose extra is not installed."""


class BadRecordError(StanceLibError):
    """A record of a streamed input file could not be read; the message names the line."""


class ParameterError(InputError, TypeError):
    """An estimator parameter has an invalid type or value (scikit-learn's parameter validation)."""


class OutputError(InputError):
    """An output path is refused before anything is written.

    It is the input itself, a folder where a file is expected, a shipped model,
    or a directory that is not a model directory. The command line exits with
    status 2.
    """


class OutputWriteError(StanceLibError, OSError):
    """Writing the output failed part-way (disk full, file system error); nothing partial is left behind."""
