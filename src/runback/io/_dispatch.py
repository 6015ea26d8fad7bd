"""Choose the reader for a format."""

from __future__ import annotations

from runback.io.base import ParsedFile

__all__ = ["read_bytes", "READERS"]


def _fit(data, name):
    from runback.io.fit import read_fit

    return read_fit(data, name=name)


def _gpx(data, name):
    from runback.io.gpx import read_gpx

    return read_gpx(data, name=name)


def _tcx(data, name):
    from runback.io.tcx import read_tcx

    return read_tcx(data, name=name)


def _csv(data, name):
    from runback.io.activity_csv import read_activity_csv

    return read_activity_csv(data, name=name)


#: format -> reader(data: bytes, name: str) -> ParsedFile
READERS = {"fit": _fit, "gpx": _gpx, "tcx": _tcx, "csv": _csv}


def read_bytes(data: bytes, fmt: str, name: str) -> ParsedFile:
    """Read ``data`` of format ``fmt`` (``fit``, ``gpx``, ``tcx`` or ``csv``)."""
    try:
        reader = READERS[fmt]
    except KeyError:
        raise ValueError(f"fmt must be one of {sorted(READERS)}") from None
    return reader(data, name)
