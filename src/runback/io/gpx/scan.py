"""The text scan of a GPX file: segments cut out of the document, their points read into
columns (:func:`scan_gpx`)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

from runback.errors import ReadError
from runback.io._xml import parse_xml, xml_text
from runback.io.gpx.shapes import _uniform_points
from runback.io.gpx.tokens import _FIELDS, _PREFIX, _any_points

_SEGMENT_ATTR = "runback-segment"
_SEG_OPEN = re.compile(rf"<{_PREFIX}trkseg(?=[\s/>])[^>]*?(/?)>")
_SEG_CLOSE = re.compile(rf"</{_PREFIX}trkseg\s*>")
_XML_DECL = re.compile(r"<\?xml[^>]*\?>")


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
