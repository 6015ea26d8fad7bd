"""Readers: one module per format, each ``read_<format>(source, *, name=None) -> ParsedFile``.

The readers are re-exported here (``from runback.io import read_fit``) and loaded on
first use, so that a re-run which parses nothing never loads them.

=====================  ===========================================  ====================
reader                 reads                                        module
=====================  ===========================================  ====================
``read_fit``           FIT activity files                           :mod:`.fit`
``read_gpx``           GPX tracks                                   :mod:`.gpx`
``read_tcx``           TCX activities                               :mod:`.tcx`
``read_activity_csv``  Strava and Garmin activity logs, hand-kept   :mod:`.activity_csv`
``read_diary``         the pain diary                               :mod:`.diary`
``read_bytes``         any activity format, chosen by name          :mod:`._dispatch`
``iter_entries``       files, folders and archives handed over      :mod:`.exports`
=====================  ===========================================  ====================
"""

from __future__ import annotations

__all__ = ["read_fit", "read_gpx", "read_tcx", "read_activity_csv", "read_diary",
           "read_bytes", "iter_entries", "ParsedFile"]

_LAZY = {
    "read_fit": "runback.io.fit",
    "read_gpx": "runback.io.gpx",
    "read_tcx": "runback.io.tcx",
    "read_activity_csv": "runback.io.activity_csv",
    "read_diary": "runback.io.diary",
    "read_bytes": "runback.io._dispatch",
    "iter_entries": "runback.io.exports",
    "ParsedFile": "runback.io.base",
}


def __getattr__(name: str) -> object:
    """The names of :data:`_LAZY`, imported when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'runback.io' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
