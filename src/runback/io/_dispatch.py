"""Choose the reader for a format."""

from __future__ import annotations

from collections.abc import Callable

from runback.io.base import ParsedColumns, ParsedFile

__all__ = ["read_bytes", "read_tables", "READERS"]


def _fit(data: bytes, name: str) -> ParsedFile:
    from runback.io.fit import read_fit

    return read_fit(data, name=name)


def _gpx(data: bytes, name: str) -> ParsedFile:
    from runback.io.gpx import read_gpx

    return read_gpx(data, name=name)


def _tcx(data: bytes, name: str) -> ParsedFile:
    from runback.io.tcx import read_tcx

    return read_tcx(data, name=name)


def _csv(data: bytes, name: str) -> ParsedFile:
    from runback.io.activity_csv import read_activity_csv

    return read_activity_csv(data, name=name)


def _apple_health(data: bytes, name: str) -> ParsedFile:
    from runback.io.apple_health import read_apple_health

    return read_apple_health(data, name=name)


def _fitbit(data: bytes, name: str) -> ParsedFile:
    from runback.io.fitbit import read_fitbit_exercises

    return read_fitbit_exercises(data, name=name)


#: format -> reader(data: bytes, name: str) -> ParsedFile
READERS: dict[str, Callable[[bytes, str], ParsedFile]] = {
    "fit": _fit, "gpx": _gpx, "tcx": _tcx, "csv": _csv, "apple_health": _apple_health,
    "fitbit": _fitbit}


def read_bytes(data: bytes, fmt: str, name: str) -> ParsedFile:
    """Read ``data`` of format ``fmt`` (``fit``, ``gpx``, ``tcx``, ``csv``, ``apple_health``
    or ``fitbit``)."""
    try:
        reader = READERS[fmt]
    except KeyError:
        raise ValueError(f"fmt must be one of {sorted(READERS)}") from None
    return reader(data, name)


def read_tables(data: bytes, fmt: str, name: str) -> ParsedFile | ParsedColumns:
    """:func:`read_bytes`, with the tables of a FIT file left as arrays
    (:class:`~runback.io.base.ParsedColumns`) for a batch to join."""
    if fmt == "fit":
        from runback.io.fit import read_fit_columns

        return read_fit_columns(data, name)
    return read_bytes(data, fmt, name)
