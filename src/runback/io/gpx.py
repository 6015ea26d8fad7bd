"""Read GPX 1.0 and 1.1 tracks (Garmin Connect, Strava, Runkeeper, handheld GPS, converters).

Parsing
-------
The reader scans the text itself rather than handing it to gpxpy, the design card's first
choice, for safety, tolerance and speed: gpxpy parses the bytes with the standard-library
parser (the defusedxml check and the parse would be two different reads of the file), it
rejects a whole file for one ``<trkpt>`` without ``lat`` (an eTrex 30 writes those), its
extensions come back as raw namespaced elements, and it builds several Python objects per
point. gpxpy remains the reference the reader is tested against, on every real GPX file.

1. :func:`~runback.io._xml.xml_text` proves the file safe and well-formed (defusedxml on
   the prolog, expat over the whole file with no Python callback) and returns its text
   without comments.
2. Each ``<trkseg>`` body is cut out of the text and replaced by a placeholder; what is
   left (metadata, tracks, routes) is small and parsed into a tree
   (:func:`~runback.io._xml.parse_xml`, which refuses nesting deeper than
   :data:`~runback.io._xml.MAX_DEPTH`) for names, types, creator and times. Segments
   never become trees, so nesting inside them has nothing to exhaust.
3. One regular expression finds, in document order, the track point tags with their
   ``lat`` and ``lon``, the ``<extensions>`` tags and the value elements (``ele``,
   ``time``, ``speed`` and the extension fields, whatever their prefix); numpy turns the
   token stream into one column per field (:func:`scan_gpx`), with no object per point.

What one file becomes
---------------------
- All points of all tracks and segments, in time order of their segments (points keep file
  order inside a segment), form one activity; segments are pauses, so no distance is
  counted across a segment boundary. Where consecutive segments or tracks are more than
  :data:`PART_GAP_S` apart they become separate parts (activities).
- Times are UTC; a time without an offset is UTC, as the GPX schema defines. Points without
  a time are dropped with a warning; when fewer than half the points have one, the file is
  a route, not an activity. Times that go backwards keep file order, with a warning; a
  stretch starting more than :data:`~runback.io.base.MAX_STEP_BACK_S` back in time, inside
  a span already recorded, is left out.
- Elevation missing -> NaN; a file whose elevations are all exactly 0 has none (NaN).
  Positions outside the globe or at exactly (0, 0) are missing.
- ``distance_m`` is the cumulative great-circle (haversine) distance along the track.
  ``speed_m_s`` is the recorded speed (extension or GPX 1.0 ``<speed>``), never derived.
- Cadence in GPX (Garmin TrackPointExtension, Strava, Movescount) counts one foot for
  running, so for running activities ``cadence_spm = 2 * cad``; other sports keep the
  recorded value (revolutions per minute). A heart rate of 0 means no reading: NaN.
- Sport from ``<trk><type>`` through :func:`~runback.io.base.normalize_sport`, with
  Strava's numeric codes translated first (:data:`STRAVA_TYPE_CODES`); name and
  description from the track, else from the metadata; device from ``gpx/@creator``.

Extension fields are matched by local name, whatever the prefix or namespace
(:data:`EXTENSION_MAP`): Garmin TrackPointExtension v1/v2 ``hr``, ``cad``, ``atemp``,
``speed``; cluetrust gpxdata ``hr``, ``cadence``, ``temp``; ``power`` as Strava and
sportractive write it.

References
----------
.. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 159 (1984).
.. [2] GPX 1.1 schema, https://www.topografix.com/GPX/1/1/
"""

from __future__ import annotations

import html
import operator
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from runback import schema
from runback.errors import NotAnActivityError, ReadError
from runback.io._xml import child_text, parse_times, parse_xml, to_float, utc_offset_s, xml_text
from runback.io.base import (
    ParsedFile,
    Source,
    normalize_sport,
    read_source,
    recorded_before,
    source_name,
    time_order_warning,
)

__all__ = ["read_gpx", "scan_gpx", "GpxScan", "haversine_m", "EXTENSION_MAP",
           "STRAVA_TYPE_CODES", "PART_GAP_S"]

#: Gap between segments or tracks that starts a new activity. [s]
PART_GAP_S = 6 * 3600.0

#: Mean Earth radius (IUGG). [m]
EARTH_RADIUS_M = 6_371_008.8

#: Track point extension element (lower-cased local name) -> point field.
EXTENSION_MAP: dict[str, str] = {
    "hr": "heart_rate_bpm",
    "heartrate": "heart_rate_bpm",
    "cad": "cadence",
    "cadence": "cadence",
    "atemp": "temperature_c",
    "temp": "temperature_c",
    "power": "power_w",
    "watts": "power_w",
    "speed": "speed_m_s",
}

#: Strava's numeric activity types in GPX ``<type>`` -> a label normalize_sport knows.
STRAVA_TYPE_CODES: dict[str, str] = {
    "1": "ride",
    "4": "hike",
    "9": "run",
    "10": "walk",
    "16": "swim",
    "17": "virtual ride",
    "29": "weight training",
}

# Creator applications that draw routes and stamp them with made-up times.
_ROUTE_CREATORS = re.compile(r"route|gpsies|plotaroute|alltrails|gps visualizer", re.I)

_NO_TIMES = "GPX track has no timestamps: a route, not an activity"
_FIELDS = ("heart_rate_bpm", "cadence", "temperature_c", "power_w", "speed_m_s")
_SEGMENT_ATTR = "runback-segment"

# --- the text scan ----------------------------------------------------------------------
_PREFIX = r"(?:[A-Za-z_][\w.\-]*:)?"
_SEG_OPEN = re.compile(rf"<{_PREFIX}trkseg(?=[\s/>])[^>]*?(/?)>")
_SEG_CLOSE = re.compile(rf"</{_PREFIX}trkseg\s*>")
_XML_DECL = re.compile(r"<\?xml[^>]*\?>")

#: A point shape: its pattern, and the group of each field the pattern captures.
_Shape = tuple[re.Pattern[str], dict[str, int]]
#: A tag of a point: closing slash, name, (attribute name, quote) pairs, empty-element slash.
_Tag = tuple[str, str, tuple[tuple[str, str], ...], str]


def _attr(name: str) -> str:
    """A look-ahead capturing attribute ``name`` of a ``trkpt`` tag (empty when absent)."""
    return rf"(?:(?<=trkpt)(?=[^>]*?(?<![\w:.\-]){name}\s*=\s*[\"']([^\"'>]*)))?"


# Groups: closing slash (track point and extensions tags only), name, lat, lon, the slash of
# an empty-element tag, the text after the tag (a value element's value).
_TOKEN = re.compile(
    rf"<(/(?={_PREFIX}(?:trkpt|extensions)\s*>))?{_PREFIX}"
    r"(trkpt|extensions|ele|time|speed|(?i:hr|heartrate|cad|cadence|atemp|temp|power|watts"
    r"|speed))(?=[\s/>])" + _attr("lat") + _attr("lon") + r"[^>]*?(/?)>([^<]*)")

# token codes
_PT, _PT_EMPTY, _PT_END, _EXT, _EXT_END = 1, 2, 3, 4, 5
_ELE, _TIME, _SPEED = 10, 11, 12
_EXT_CODES = {"heart_rate_bpm": 20, "cadence": 21, "temperature_c": 22, "power_w": 23,
              "speed_m_s": 12}


class _Codes(dict[str, int]):
    """Token key (closing slash + name + empty-element slash) -> code; names of value
    elements match whatever their case, anything else is 0 (ignored)."""

    def __missing__(self, key: str) -> int:
        lower = key.lower()
        return self.get(lower, 0) if lower != key else 0


_CODES = _Codes({"trkpt": _PT, "trkpt/": _PT_EMPTY, "/trkpt": _PT_END,
                 "extensions": _EXT, "/extensions": _EXT_END,
                 "ele": _ELE, "time": _TIME, "speed": _SPEED,
                 **{k: _EXT_CODES[v] for k, v in EXTENSION_MAP.items()}})


@dataclass
class GpxScan:
    """The track points of a GPX file as columns, in file order, before any cleaning.

    Attributes
    ----------
    root : xml.etree.ElementTree.Element
        The document without its track segments (namespaces stripped): metadata, tracks
        with their names and types, routes, waypoints.
    tracks : list of Element
        The ``<trk>`` elements, in file order.
    points : dict of str to ndarray
        One array per column, one value per ``<trkpt>`` of every segment of every track:
        ``track`` and ``segment`` (indexes in file order, int64), ``time`` (the text of
        ``<time>`` as written, object, None when absent), ``latitude_deg``, ``longitude_deg`` [deg],
        ``altitude_m`` [m] and the extension fields ``heart_rate_bpm`` [1/min],
        ``cadence`` [1/min], ``temperature_c`` [degC], ``power_w`` [W], ``speed_m_s``
        [m/s] (float64, NaN when absent or not a number). ``speed_m_s`` is the extension's
        speed, else GPX 1.0 ``<speed>``.
    """

    root: ET.Element
    tracks: list[ET.Element]
    points: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.points["track"])


def scan_gpx(data: bytes, name: str) -> GpxScan:
    """Read the track points of GPX ``data`` into columns (see :class:`GpxScan`).

    Raises
    ------
    ReadError
        The file is not XML, not GPX, or unsafe.
    """
    text = xml_text(data, name)
    pieces, bodies, pos = [], [], 0
    prefixed = ":trkseg" in text
    while (m := _SEG_OPEN.search(text, pos)) is not None:
        end = m.end()
        if m.group(1):
            bodies.append("")
        else:
            close = _segment_end(text, end, prefixed)
            if close is None:  # expat has read the file: cannot happen in well-formed XML
                raise ReadError(name, "malformed GPX: <trkseg> is never closed")
            bodies.append(text[end:close.start()])
            end = close.end()
        pieces.append(text[pos:m.start()])
        pieces.append(f'<trkseg {_SEGMENT_ATTR}="{len(bodies) - 1}"/>')
        pos = end
    pieces.append(text[pos:])
    skeleton = _XML_DECL.sub("", "".join(pieces), count=1)
    root = parse_xml(skeleton.encode(), name)
    if root.tag != "gpx":
        raise ReadError(name, f"not a GPX file (root element is <{root.tag}>)")
    tracks = root.findall("trk")
    columns: list[dict[str, np.ndarray]] = []
    for t, trk in enumerate(tracks):
        for s, seg in enumerate(trk.findall("trkseg")):
            k = seg.get(_SEGMENT_ATTR)
            if k is None:
                continue
            cols = _segment_points(bodies[int(k)])
            n = len(cols["time"])
            if n:
                cols["track"] = np.full(n, t, dtype=np.int64)
                cols["segment"] = np.full(n, s, dtype=np.int64)
                columns.append(cols)
    names = ("track", "segment", "time", "latitude_deg", "longitude_deg", "altitude_m",
             *_FIELDS)
    if not columns:
        points = {c: np.empty(0, dtype=object if c == "time" else
                              np.int64 if c in ("track", "segment") else np.float64)
                  for c in names}
    else:
        points = {c: np.concatenate([cols[c] for cols in columns]) for c in names}
    return GpxScan(root, tracks, points)


def _segment_end(text: str, pos: int, prefixed: bool) -> re.Match[str] | None:
    """The first ``</trkseg>`` from ``pos``: a plain search unless a prefix may precede it."""
    if prefixed:
        return _SEG_CLOSE.search(text, pos)
    while (i := text.find("</trkseg", pos)) >= 0:
        m = _SEG_CLOSE.match(text, i)
        if m is not None:
            return m
        pos = i + 1
    return None


def _segment_points(body: str) -> dict[str, np.ndarray]:
    """The point columns of one segment's text (no ``track``/``segment`` yet)."""
    out = _uniform_points(body)
    return out if out is not None else _any_points(body)


def _uniform_points(body: str) -> dict[str, np.ndarray] | None:
    """The point columns when the segment's points come in a few shapes.

    Devices and exporters write points alike, or in a few shapes (with and without heart
    rate, say). A point, tokenised, gives the pattern of every point of its shape (the
    same tags in the same order, any values): shapes are gathered until every point
    matches one, and one ``findall`` of their alternation reads the segment. None when a
    segment needs more than :data:`_MAX_SHAPES` shapes or a point cannot be matched (a
    namespace prefix on ``trkpt``, ``trkpt`` in a text): :func:`_any_points` reads those.
    """
    names = body.count("trkpt")  # each point's tags name it twice, or once when empty
    shapes = _sampled_shapes(body) if names else []
    if not shapes:
        return None
    rows = _alternation(shapes).findall(body)
    columns = _table(rows)
    if _names(shapes, columns, len(rows)) != names:  # more shapes: cut out those matched
        rest = _alternation(shapes).sub("", body)
        while (i := rest.find("<trkpt")) >= 0:
            shape = _template(rest, i) if len(shapes) < _MAX_SHAPES else None
            if shape is None:
                return None
            left = shape[0].sub("", rest)
            if len(left) == len(rest):
                return None
            shapes.append(shape)
            rest = left
        rows = _alternation(shapes).findall(body)
        columns = _table(rows)
        if _names(shapes, columns, len(rows)) != names:
            return None
    n = len(rows)
    offsets, which = _offsets(shapes), _which(shapes, columns, n)
    out = {}
    for field in ("latitude_deg", "longitude_deg", "altitude_m", *_FIELDS, "time"):
        if not any(field in slots for _, slots in shapes):
            out[field] = np.full(n, None, dtype=object) if field == "time" else np.full(n, np.nan)
            continue
        values = np.full(n, None, dtype=object)
        for k, (_, slots) in enumerate(shapes):
            if field in slots:
                column = columns[:, offsets[k] + 1 + slots[field]]
                values = column if len(shapes) == 1 else np.where(which == k, column, values)
        if field != "time":
            out[field] = _floats(values)
        else:
            out[field] = values if "&" not in body else np.array(
                [_clean_text(v) for v in values], dtype=object)
    return out


#: Most point shapes one segment is read in by :func:`_uniform_points`.
_MAX_SHAPES = 8
#: Points whose shapes are taken before a segment is read: its first point and points
#: spread evenly through it, so that one pass usually reads a segment of mixed points.
_SAMPLES = 8


def _offsets(shapes: list[_Shape]) -> np.ndarray:
    """The group of each shape's ``<trkpt`` marker in :func:`_alternation` (0-based)."""
    return np.cumsum([0] + [1 + p.groups for p, _ in shapes])


def _table(rows: list[Any]) -> np.ndarray:
    """The rows of a ``findall`` as a 2-D object array, one column per group."""
    if not rows:
        return np.empty((0, 0), dtype=object)
    table = np.array(rows, dtype=object)
    return table.reshape(len(rows), 1) if table.ndim != 2 else table


def _which(shapes: list[_Shape], columns: np.ndarray,
           n: int) -> np.ndarray:
    """The shape each of ``n`` rows of :func:`_alternation` matched."""
    which = np.zeros(n, dtype=np.int8)
    offsets = _offsets(shapes)
    for k in range(1, len(shapes)):
        which[columns[:, offsets[k]] != ""] = k
    return which


def _names(shapes: list[_Shape], columns: np.ndarray,
           n: int) -> int:
    """How often ``n`` points read as ``columns`` name ``trkpt``: twice, or once in an
    empty element."""
    twice = np.array([0 if p.pattern.endswith("/>") else 1 for p, _ in shapes])
    if not n or len(shapes) == 1:
        return n * (1 + int(twice[0]))
    return n + int(twice[_which(shapes, columns, n)].sum())


def _sampled_shapes(body: str) -> list[_Shape]:
    """The distinct shapes of the first point and of points spread through ``body``."""
    shapes: list[_Shape] = []
    seen: set[str] = set()
    for at in range(0, len(body), max(len(body) // _SAMPLES, 1)):
        i = body.find("<trkpt", at)
        if i < 0:
            break
        shape = _template(body, i)
        if shape is None:
            return shapes
        if shape[0].pattern not in seen and len(shapes) < _MAX_SHAPES:
            seen.add(shape[0].pattern)
            shapes.append(shape)
    return shapes


def _alternation(shapes: list[_Shape]) -> re.Pattern[str]:
    """One pattern matching a point of any of ``shapes``; each alternative's first group
    captures ``<trkpt``, so a row shows which shape it matched."""
    return re.compile("|".join("(<trkpt)" + p.pattern[len("<trkpt"):] for p, _ in shapes))

_TAG = re.compile(r"<(/?)([A-Za-z_][\w.:\-]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
                  r"\s*(/?)>")
_ATTR = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


@lru_cache(maxsize=64)
def _template_of(tags: tuple[_Tag, ...]) -> _Shape | None:
    """The pattern of points with ``tags`` (slash, name, attribute names and quotes,
    empty-element slash), and the group of each field it reads.

    Only the fields are captured: ``lat`` and ``lon`` of ``trkpt`` and the text of value
    elements. None when the tags do not make one ``trkpt`` element, or a field comes twice
    (the first non-empty one is wanted, which :func:`_any_points` finds).
    """
    parts: list[str] = []
    slots: dict[str, int] = {}
    stack: list[str] = []
    previous: _Tag | None = None
    for slash, name, attrs, empty in tags:
        if previous is not None:
            value = not previous[0] and not previous[3] and slash and name == previous[1]
            field = _field(name, stack[:-1]) if value else None
            if field is None:
                parts.append("[^<]*")
            elif field in slots:
                return None
            else:
                slots[field] = len(slots)
                parts.append("([^<]*)")
        parts.append("<" + slash + re.escape(name))
        for attr, quote in attrs:
            field = {"lat": "latitude_deg", "lon": "longitude_deg"}.get(attr)
            if stack or name != "trkpt" or field is None or field in slots:
                parts.append(rf"\s+{re.escape(attr)}\s*=\s*{quote}[^{quote}<]*{quote}")
            else:
                slots[field] = len(slots)
                parts.append(rf"\s+{re.escape(attr)}\s*=\s*{quote}([^{quote}<]*){quote}")
        parts.append(r"\s*" + ("/" if empty else "") + ">")
        if slash:
            if not stack or stack.pop() != name:
                return None
        elif not empty:
            stack.append(name)
        previous = (slash, name, attrs, empty)
        if not stack:
            break
    if stack or tags[0][1] != "trkpt":
        return None
    return re.compile("".join(parts)), slots


def _field(name: str, ancestors: list[str]) -> str | None:
    """The point field a value element ``name`` inside ``ancestors`` (below trkpt) gives."""
    local = name.rsplit(":", 1)[-1]
    in_ext = any(a.rsplit(":", 1)[-1] == "extensions" for a in ancestors[1:])
    if not in_ext:
        direct = {"ele": "altitude_m", "time": "time", "speed": "direct_speed"}
        return direct.get(local) if len(ancestors) == 1 else None
    return EXTENSION_MAP.get(local.lower())


def _template(text: str, pos: int = 0) -> _Shape | None:
    """:func:`_template_of` the point that starts at ``pos`` in ``text``."""
    tags, depth = [], 0
    for m in _TAG.finditer(text, pos):
        slash, name, attrs, empty = m.groups()
        attr_names = tuple((a.group(1), '"' if a.group(2) is not None else "'")
                           for a in _ATTR.finditer(attrs))
        tags.append((slash, name, attr_names, empty))
        depth += -1 if slash else 0 if empty else 1
        if depth <= 0 or len(tags) > 64:
            break
    if not tags:
        return None
    shape = _template_of(tuple(tags))
    if shape is None or "direct_speed" not in shape[1]:
        return shape
    slots = dict(shape[1])
    speed = slots.pop("direct_speed")
    slots.setdefault("speed_m_s", speed)
    return shape[0], slots


def _any_points(body: str) -> dict[str, np.ndarray]:
    """The point columns of one segment's text, whatever each point holds."""
    tokens = _TOKEN.findall(body)
    if not tokens:
        return {"time": np.empty(0, dtype=object)}
    slash, names, lat, lon, empty, text = zip(*tokens, strict=True)
    keys = map(operator.add, map(operator.add, slash, names), empty)
    code = np.fromiter(map(_CODES.__getitem__, keys), dtype=np.int8, count=len(tokens))
    is_pt = (code == _PT) | (code == _PT_EMPTY)
    n = int(is_pt.sum())
    point = np.cumsum(is_pt) - 1
    in_pt = _state(code, (_PT, _PT_EMPTY, _PT_END), _PT)
    in_ext = _state(code, (_PT, _PT_EMPTY, _PT_END, _EXT, _EXT_END), _EXT)
    at = np.flatnonzero(is_pt)
    texts = np.array(text, dtype=object)
    out = {
        "latitude_deg": _floats(np.array(lat, dtype=object)[at]),
        "longitude_deg": _floats(np.array(lon, dtype=object)[at]),
        "altitude_m": _first(_ELE, code, in_pt & ~in_ext, point, texts, n),
        "time": _first(_TIME, code, in_pt & ~in_ext, point, texts, n, numeric=False),
    }
    for field in _FIELDS:
        out[field] = _first(_EXT_CODES[field], code, in_pt & in_ext, point, texts, n)
    direct = _first(_SPEED, code, in_pt & ~in_ext, point, texts, n)
    out["speed_m_s"] = np.where(np.isnan(out["speed_m_s"]), direct, out["speed_m_s"])
    return out


def _state(code: np.ndarray, events: tuple[int, ...], opened: int) -> np.ndarray:
    """Whether each token follows an ``opened`` event more recently than the other events."""
    is_event = np.isin(code, events)
    last = np.maximum.accumulate(np.where(is_event, np.arange(len(code)), -1))
    inside: np.ndarray = (last >= 0) & (code[np.maximum(last, 0)] == opened)
    return inside


def _first(which: int, code: np.ndarray, inside: np.ndarray, point: np.ndarray,
           texts: np.ndarray, n: int, *, numeric: bool = True) -> np.ndarray:
    """Per point, the first non-empty value of the value elements coded ``which``."""
    at = np.flatnonzero((code == which) & inside)
    if numeric:
        out = np.full(n, np.nan)
        values = _floats(texts[at])
        keep = ~np.isnan(values)
    else:
        out = np.full(n, None, dtype=object)
        values = np.array([_clean_text(v) for v in texts[at]], dtype=object)
        keep = values != None  # noqa: E711 - element-wise test of an object array
    at, values = at[keep], values[keep]
    pid = point[at]
    first = np.ones(len(pid), dtype=bool)
    first[1:] = pid[1:] != pid[:-1]
    out[pid[first]] = values[first]
    return out


def _clean_text(text: str | None) -> str | None:
    """``text`` with entities resolved and blanks stripped; None when empty."""
    if text is None:
        return None
    text = html.unescape(text) if "&" in text else text  # expat has refused other entities
    return text.strip() or None


def _floats(texts: np.ndarray) -> np.ndarray:
    """Floats of an object array of strings; NaN where empty or not a number."""
    try:
        return texts.astype(np.float64)
    except ValueError:
        return np.array([to_float(_clean_text(t)) for t in texts], dtype=np.float64)


# --- from points to activities ----------------------------------------------------------


def read_gpx(source: Source, *, name: str | None = None) -> ParsedFile:
    """Read a GPX file into canonical frames.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The GPX file.
    name : str, optional
        What error messages call the file (defaults to the path).

    Returns
    -------
    ParsedFile
        ``activities`` (one row per part: format ``"gpx"``, device, sport, sub_sport, name,
        description, start_time, local_start and utc_offset_s when the times carry an
        offset), ``samples`` (timestamp, elapsed_s [s], distance_m [m], latitude_deg,
        longitude_deg [deg], altitude_m [m], speed_m_s [m/s], heart_rate_bpm [1/min],
        cadence_spm [1/min], power_w [W], temperature_c [degC]), no laps, and warnings.

    Raises
    ------
    ReadError
        The file is not XML, not GPX, or unsafe.
    NotAnActivityError
        No track points, only a route, or a track without (real) times.
    """
    name = source_name(source, name)
    scan = scan_gpx(read_source(source, name), name)
    root, tracks, pts = scan.root, scan.tracks, scan.points
    if not len(scan):
        if root.find("rte/rtept") is not None:
            raise NotAnActivityError(name, _NO_TIMES)
        raise NotAnActivityError(name, "GPX file has no track points")

    warnings = []
    times = parse_times(pts["time"].tolist())
    timed = np.asarray(times.notna())
    n_points, n_timed = len(scan), int(timed.sum())
    if n_timed == 0 or 2 * n_timed < n_points:
        raise NotAnActivityError(name, _NO_TIMES)
    if n_timed < n_points:
        warnings.append(f"dropped {n_points - n_timed} of {n_points} track points without a time")
        pts = {c: v[timed] for c, v in pts.items()}
        times = times[timed]

    meta = root.find("metadata")
    meta = root if meta is None else meta  # GPX 1.0 keeps name, desc and time at the root
    creator = (root.get("creator") or "").strip() or None
    if _placeholder_times(times, child_text(meta, "time"), creator):
        raise NotAnActivityError(name, "GPX track times are placeholders a route planner "
                                       "wrote: a route, not an activity")
    _clean(pts)
    order, part = _in_parts(times, pts["track"] * 1_000_000 + pts["segment"])
    if order is not None:
        pts = {c: v[order] for c, v in pts.items()}
        times = times[order]

    activities, samples = [], []
    bounds = np.flatnonzero(np.diff(part)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(part)], strict=True):
        p = int(part[lo])
        sub = {c: v[lo:hi] for c, v in pts.items()}
        t = times[lo:hi]
        track_ids = pd.unique(sub["track"])
        sport, implied = normalize_sport(_sport_label(tracks, track_ids))
        ns = t.as_unit("ns").asi8
        forward = bool((ns[1:] >= ns[:-1]).all())
        label = f"part {p}: " if part[-1] else ""
        warning = None
        if not forward:
            dropped = recorded_before(pd.Series(t))
            warning = time_order_warning(pd.Series(t), dropped, label)
        if warning:
            warnings.append(warning)
            sub = {c: v[~dropped] for c, v in sub.items()}
            t = t[~dropped]
        trk = tracks[int(track_ids[0])]
        activities.append(_activity_row(p, t, sub["time"][0], trk, meta, creator, sport,
                                        implied))
        samples.append(_samples(p, t, sub, running=sport == "running"))
    acts = {c: np.array([a[c] for a in activities], dtype=object) for c in activities[0]}
    acts["part"] = acts["part"].astype(np.int64)
    acts["utc_offset_s"] = acts["utc_offset_s"].astype(np.float64)
    acts["start_time"] = acts["start_time"].astype("datetime64[ns]")
    acts["local_start"] = acts["local_start"].astype("datetime64[ns]")
    cols = {c: np.concatenate([s[c] for s in samples]) for c in samples[0]}
    return ParsedFile(schema.from_columns("raw_activities", acts, len(activities)),
                      schema.from_columns("raw_samples", cols, len(cols["part"])),
                      schema.empty("raw_laps"), warnings)


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike,
                lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance between points on a sphere of the mean Earth radius.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        WGS84 coordinates. [deg]

    Returns
    -------
    ndarray
        Distance; NaN where a coordinate is missing. [m]

    References
    ----------
    .. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 159 (1984).
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    distance: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distance


def _clean(pts: dict[str, np.ndarray]) -> None:
    """In place: impossible positions, zero heart rates and all-zero elevation become NaN."""
    lat, lon = pts["latitude_deg"], pts["longitude_deg"]
    with np.errstate(invalid="ignore"):
        bad = ~((lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)) | (
            (lat == 0) & (lon == 0))
        pts["latitude_deg"] = np.where(bad, np.nan, lat)
        pts["longitude_deg"] = np.where(bad, np.nan, lon)
        ele = pts["altitude_m"]
        known = ele[~np.isnan(ele)]
        if len(known) and (known == 0).all():
            pts["altitude_m"] = np.full(len(ele), np.nan)
        hr = pts["heart_rate_bpm"]
        pts["heart_rate_bpm"] = np.where(hr <= 0, np.nan, hr)


def _placeholder_times(ts: pd.DatetimeIndex, meta_time: str | None, creator: str | None) -> bool:
    """True for times a route planner invented rather than a device recorded.

    Both signs must hold: the track starts exactly on a year boundary (``YYYY-01-01
    00:00:00``, the planners' stand-in clock) and either the creator is a route planner or
    the file says it was written more than a day after the track ended.
    """
    start, end = ts.min(), ts.max()
    if (start.month, start.day, start.hour, start.minute, start.second,
            start.microsecond) != (1, 1, 0, 0, 0, 0):
        return False
    if creator and _ROUTE_CREATORS.search(creator):
        return True
    written = parse_times([meta_time])[0]
    return pd.notna(written) and (written - end) > pd.Timedelta(days=1)


def _in_parts(times: pd.DatetimeIndex, key: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The order that puts segments in order of their first time, and each point's part.

    Points keep file order inside a segment (``key``; a segment's points are consecutive
    in file order). A segment starting more than :data:`PART_GAP_S` after everything
    before it has ended starts a new part. The order is None when the file's is kept.
    """
    t = times.as_unit("ns").asi8
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    order = None
    if len(starts) > 1:
        seg_min = np.minimum.reduceat(t, starts)
        runs = np.lexsort((key[starts], seg_min))
        if (runs != np.arange(len(runs))).any():
            lengths = np.diff(np.r_[starts, len(t)])
            order = np.concatenate([np.arange(starts[r], starts[r] + lengths[r]) for r in runs])
            t, key = t[order], key[order]
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    new_part = np.zeros(len(t), dtype=bool)
    if len(starts) > 1:
        before = np.maximum.accumulate(t)[starts[1:] - 1]
        new_part[starts[1:]] = (t[starts[1:]] - before) > PART_GAP_S * 1e9
    return order, np.cumsum(new_part).astype(np.int64)


def _sport_label(tracks: list[ET.Element], track_ids: np.ndarray) -> str | None:
    """The first ``<type>`` among the part's tracks, Strava codes translated."""
    for t in track_ids:
        label = child_text(tracks[int(t)], "type")
        if label:
            return STRAVA_TYPE_CODES.get(label, label)
    return None


def _activity_row(part: int, times: pd.DatetimeIndex, first_time: str, trk: ET.Element,
                  meta: ET.Element, creator: str | None, sport: str,
                  implied: str | None) -> dict[str, Any]:
    """The ``raw_activities`` row of one part; the offset is the one its first time states."""
    start = times.min()
    offset = utc_offset_s(first_time)
    return {
        "part": part,
        "format": "gpx",
        "device": creator,
        "sport": sport,
        "sub_sport": implied,
        "name": child_text(trk, "name") or child_text(meta, "name"),
        "description": child_text(trk, "desc") or child_text(meta, "desc"),
        "start_time": start.tz_convert(None).to_datetime64(),
        "utc_offset_s": offset,
        "local_start": (start + pd.Timedelta(seconds=offset)).tz_localize(None).to_datetime64()
        if not np.isnan(offset) else np.datetime64("NaT", "ns"),
    }


def _samples(part: int, times: pd.DatetimeIndex, pts: dict[str, np.ndarray], *,
             running: bool) -> dict[str, np.ndarray]:
    """The canonical sample columns of one part; distance restarts at 0 for each part."""
    lat, lon = pts["latitude_deg"], pts["longitude_deg"]
    key = pts["track"] * 1_000_000 + pts["segment"]
    has_fix = ~np.isnan(lat)
    idx = np.flatnonzero(has_fix)
    step = np.zeros(len(lat))
    if len(idx) > 1:
        same_segment = key[idx[1:]] == key[idx[:-1]]
        d = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
        step[idx[1:]] = np.where(same_segment, d, 0.0)
    distance = np.cumsum(step) if has_fix.any() else np.full(len(lat), np.nan)
    t = times.tz_convert(None).to_numpy("datetime64[ns]")
    return {
        "part": np.full(len(t), part, dtype=np.int64),
        "timestamp": t,
        "elapsed_s": (t - t.min()).astype(np.int64) / 1e9,
        "distance_m": distance,
        "latitude_deg": lat,
        "longitude_deg": lon,
        "altitude_m": pts["altitude_m"],
        "speed_m_s": pts["speed_m_s"],
        "heart_rate_bpm": pts["heart_rate_bpm"],
        "cadence_spm": pts["cadence"] * 2 if running else pts["cadence"],
        "power_w": pts["power_w"],
        "temperature_c": pts["temperature_c"],
    }
