"""The general point scanner: every point tag and value element of a segment as one
token stream, turned into columns by numpy (no object per point)."""

from __future__ import annotations

import html
import operator
import re

import numpy as np

from runback.io._xml import to_float

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

_FIELDS = ("heart_rate_bpm", "cadence", "temperature_c", "power_w", "speed_m_s")
_PREFIX = r"(?:[A-Za-z_][\w.\-]*:)?"


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
