"""The one exception tree of runback.

::

    RunbackError                      anything runback reports to a user
    +-- ReadError(path, position)     a file could not be read as an activity
    |   +-- UnsupportedFormatError    no reader for this kind of file
    |   +-- NotAnActivityError        readable, but holds no activity (FIT monitoring,
    |                                 settings, workouts, courses; a GPX route with no
    |                                 times; an empty track): skipped, not broken
    |   +-- NotWellnessError          readable, but holds no daily wellness data
    +-- SchemaError                   a table or CSV lacks the columns it needs
    +-- DiaryError                    the pain diary cannot be used
    +-- InsufficientDataError         too little data for the asked analysis

Every message names the file (and, where known, the place in it) so the command line can
print it as one line. Errors chain their cause with ``raise ... from e``.
"""

from __future__ import annotations

import os

__all__ = [
    "RunbackError",
    "ReadError",
    "UnsupportedFormatError",
    "NotAnActivityError",
    "NotWellnessError",
    "SchemaError",
    "DiaryError",
    "InsufficientDataError",
]


class RunbackError(Exception):
    """Base class of every error runback raises on purpose."""


class ReadError(RunbackError):
    """A file could not be read.

    Parameters
    ----------
    path : str or os.PathLike or None
        The file, as the user named it (inside an archive: ``archive.zip:member``).
    reason : str
        What is wrong, in words a user understands.
    position : str or int or None
        Where in the file: a byte offset, a line number or an element name.
    """

    def __init__(self, path: str | os.PathLike[str] | None, reason: str,
                 position: int | str | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.reason = reason
        self.position = position
        where = ""
        if position is not None:
            where = f" (at byte {position})" if isinstance(position, int) else f" (at {position})"
        prefix = f"{self.path}: " if self.path else ""
        super().__init__(f"{prefix}{reason}{where}")


class UnsupportedFormatError(ReadError):
    """No reader knows this kind of file."""


class NotAnActivityError(ReadError):
    """The file is valid but holds no activity, so it is skipped with this reason."""


class NotWellnessError(ReadError):
    """The file is valid but holds no daily wellness data (sleep, resting heart rate, HRV,
    stress): a folder's other CSV or JSON files are passed over for this reason."""


class SchemaError(RunbackError):
    """A table or CSV file lacks required columns.

    The message lists the columns expected and the columns found.
    """


class DiaryError(RunbackError):
    """The pain diary cannot be read or written."""


class InsufficientDataError(RunbackError):
    """Too little data for the analysis that was asked for."""
