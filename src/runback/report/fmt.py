"""Numbers and names as the reports print them: units, dates and paths without the machine.

Stored tables are SI; only what a reader sees goes through these helpers. Display names of
files are made relative to the PATH the user gave, so a report never shows the folders of
the machine it was made on (privacy).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Container, Iterable
from datetime import date
from typing import SupportsFloat, SupportsIndex

import numpy as np
import pandas as pd
from pandas.api.typing import NAType

__all__ = [
    "KM_PER_MILE",
    "FT_PER_M",
    "UNITS",
    "distance",
    "elevation",
    "duration",
    "percent",
    "ratio",
    "pvalue",
    "day",
    "distance_unit",
    "elevation_unit",
    "display_name",
    "scrub_paths",
    "slug",
]

KM_PER_MILE = 1.609344
FT_PER_M = 3.280839895
#: Display units -> (distance label, metres per distance unit, elevation label, feet per m).
UNITS = {
    "metric": ("km", 1000.0, "m", 1.0),
    "imperial": ("mi", 1000.0 * KM_PER_MILE, "ft", FT_PER_M),
}


def _units(units: str) -> tuple[str, float, str, float]:
    try:
        return UNITS[units]
    except KeyError:
        raise ValueError(f"units must be one of {sorted(UNITS)}") from None


def distance_unit(units: str) -> str:
    """``km`` or ``mi``."""
    return _units(units)[0]


def elevation_unit(units: str) -> str:
    """``m`` or ``ft``."""
    return _units(units)[2]


#: A folder or file the user gave: a report names files relative to it.
Root = str | os.PathLike[str] | None


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v))


def _number(v: object) -> float:
    """A table cell as a float (what ``float`` takes; else TypeError, as ``float`` raises)."""
    if isinstance(v, SupportsFloat | SupportsIndex | str | bytes):
        return float(v)
    raise TypeError(f"not a number: {v!r}")


def distance(metres: object, units: str, *, digits: int = 1) -> str:
    """A distance as ``12.3 km`` or ``7.6 mi``; ``-`` when missing.

    Parameters
    ----------
    metres : float
        Distance. [m]
    units : {"metric", "imperial"}
    digits : int
        Decimals shown.
    """
    label, per, _, _ = _units(units)
    if _missing(metres):
        return "-"
    return f"{_number(metres) / per:.{digits}f} {label}"


def elevation(metres: object, units: str) -> str:
    """A height difference as ``320 m`` or ``1050 ft``; ``-`` when missing. [m]"""
    _, _, label, factor = _units(units)
    if _missing(metres):
        return "-"
    return f"{_number(metres) * factor:.0f} {label}"


def duration(seconds: object) -> str:
    """A duration in words: ``45 s``, ``17 min``, ``2 h 05 min``; ``-`` when missing. [s]"""
    if _missing(seconds):
        return "-"
    s = _number(seconds)
    if s < 60:
        return f"{s:.0f} s"
    minutes = int(round(s / 60))
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def percent(fraction: object, *, signed: bool = False) -> str:
    """A fraction as a whole percentage (``+35 %`` when ``signed``); ``-`` when missing."""
    if _missing(fraction):
        return "-"
    return f"{_number(fraction) * 100:+.0f} %" if signed else f"{_number(fraction) * 100:.0f} %"


def ratio(v: object) -> str:
    """An odds ratio or interval end: 2 significant figures below 10 (one decimal from 1),
    whole numbers above,
    ``>1000`` / ``<0.001`` beyond (such an end means "unbounded" in practice), ``-`` when
    missing. Every table, sentence and chart shows ratios this way."""
    if v is None or v is pd.NA:
        return "-"
    x = _number(v)
    if math.isnan(x):
        return "-"
    if x > 1000:
        return ">1000"
    if x < 0.001:
        return "<0.001"
    return f"{x:.0f}" if x >= 9.95 else f"{x:.1f}" if x >= 0.995 else f"{x:.2g}"


def pvalue(v: object) -> str:
    """A p- or q-value to 2 significant figures (``<0.001`` below); ``-`` when missing."""
    if _missing(v):
        return "-"
    p = _number(v)
    return "<0.001" if p < 0.001 else f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


def day(value: object) -> str:
    """A calendar day as ``Tue 2 Sep 2025``; ``-`` when missing."""
    if not (value is None or isinstance(value, str | date | np.datetime64 | int | float
                                        | np.integer | NAType)):
        raise TypeError(f"not a day: {value!r}")  # as pd.Timestamp raises
    if value is None or pd.isna(value):
        return "-"
    ts = pd.Timestamp(value)
    return f"{ts:%a} {ts.day} {ts:%b %Y}"


def _roots(roots: Iterable[Root] | None) -> list[tuple[str, str]]:
    """(absolute root, what to show instead of its parent folder), longest first."""
    out = []
    for given in roots or ():
        if given is None or (not isinstance(given, str | os.PathLike) and pd.isna(given)):
            continue
        r = os.path.abspath(os.fspath(given)).rstrip(os.sep) or os.sep
        out.append((r, os.path.basename(r)))
    return sorted(set(out), key=lambda t: -len(t[0]))


def display_name(name: str, roots: Iterable[Root] | None = ()) -> str:
    """A file name as the report shows it: relative to the PATH it was found under.

    Parameters
    ----------
    name : str
        A path, or ``archive.zip:member`` inside an archive, as the importer names it.
    roots : iterable of str
        The PATHs the user gave (folders, archives or files).

    Returns
    -------
    str
        ``<PATH's last part>/<path inside it>`` when ``name`` lies under one of ``roots``;
        else the last part of an absolute path (never the machine's folders); else ``name``.
    """
    name = os.fspath(name)
    archive, sep, member = name.partition(".zip:")
    head = archive + ".zip" if sep else name
    absolute = os.path.abspath(head)
    for root, shown in _roots(roots):
        if absolute == root:
            return shown + (":" + member if sep else "")
        if absolute.startswith(root + os.sep):
            rel = os.path.relpath(absolute, root).replace(os.sep, "/")
            return f"{shown}/{rel}" + (":" + member if sep else "")
    if os.path.isabs(head):
        return os.path.basename(head) + (":" + member if sep else "")
    return name


def scrub_paths(text: str, roots: Iterable[Root] | None = ()) -> str:
    """``text`` with the machine's folders above every root (and the home folder) removed.

    Messages (import warnings, diary problems, profile notes) name files by the path the
    user gave; this keeps their last part and what lies below it.
    """
    text = str(text)
    for root, _ in _roots(roots):
        parent = os.path.dirname(root)
        if parent and parent != os.sep:
            text = text.replace(parent + os.sep, "")
    home = os.path.expanduser("~")
    if home and home != os.sep:
        text = re.sub(re.escape(home) + r"(?=[/\\])", "~", text)
    return text


def slug(name: str, taken: Container[str] = ()) -> str:
    """A lower-case HTML id part from ``name`` (letters, digits, hyphens), unique in ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "athlete"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    return out
