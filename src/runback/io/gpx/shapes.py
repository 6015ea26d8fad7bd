"""The fast point scanner: a segment whose points come in a few shapes (the same tags
in the same order) is read by one regular expression per shape."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from runback.io.gpx.tokens import _FIELDS, EXTENSION_MAP, _clean_text, _floats

#: A point shape: its pattern, and the group of each field the pattern captures.
_Shape = tuple[re.Pattern[str], dict[str, int]]
#: A tag of a point: closing slash, name, (attribute name, quote) pairs, empty-element slash.
_Tag = tuple[str, str, tuple[tuple[str, str], ...], str]


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
#: spread evenly through it, so that one pass usually reads a segment of mixed points. A
#: shape missed costs a pass over the whole segment to cut out the points read and another
#: to read it again: on the real GPX files 32 samples leave a quarter of the segments that
#: 8 leave with a shape missed, and read them in two thirds of the time.
_SAMPLES = 32


def _offsets(shapes: list[_Shape]) -> np.ndarray:
    """The group of each shape's ``<trkpt`` marker in :func:`_alternation` (0-based)."""
    return np.cumsum([0] + [p.groups for p, _ in shapes])


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
    captures ``<trkpt``, so a row shows which shape it matched. The pattern of one shape
    is the shape's own (compiled once)."""
    return re.compile("|".join(p.pattern for p, _ in shapes))

_TAG = re.compile(r"<(/?)([A-Za-z_][\w.:\-]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
                  r"\s*(/?)>")
_ATTR = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


@lru_cache(maxsize=64)
def _template_of(tags: tuple[_Tag, ...]) -> _Shape | None:
    """The pattern of points with ``tags`` (slash, name, attribute names and quotes,
    empty-element slash), and the group of each field it reads.

    The pattern's first group captures ``<trkpt`` (the marker :func:`_alternation`
    tells shapes apart by); the others capture the fields: ``lat`` and ``lon`` of
    ``trkpt`` and the text of value elements (``slots`` numbers them from 0, after the
    marker). None when the tags do not make one ``trkpt`` element, or a field comes twice
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
    if stack or tags[0][1] != "trkpt" or tags[0][0]:
        return None
    pattern = "".join(parts)
    return re.compile("(<trkpt)" + pattern[len("<trkpt"):]), slots


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
