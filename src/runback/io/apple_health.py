"""Read an Apple Health export (``export.zip``, or its unpacked ``apple_health_export`` folder).

The export holds ``export.xml`` (often over 1 GB: every heart-rate beat, step and stair the
phone and watch counted) and ``workout-routes/*.gpx``. Only a few of its elements matter
here, so the file is read as a stream (:func:`scan_export`): the expat parser of the
standard library is fed 1 MiB at a time and each top-level element is dropped as soon as
it is read, so memory stays flat whatever the file's size. The prolog, where any entity
must be declared, is checked by :mod:`defusedxml` first (:func:`runback.io._xml.PrologCheck`):
an entity expansion bomb or an external entity is refused before the body is read, as for
GPX and TCX; nesting deeper than :data:`~runback.io._xml.MAX_DEPTH` is refused too.

What is kept
------------
- Every ``<Workout>``: running, and every other type as cross-training, with its distance,
  duration, energy, indoor flag (``HKIndoorWorkout``: a treadmill run), heart-rate average
  and maximum (``<WorkoutStatistics>``, iOS 16 and later), climb (``HKElevationAscended``)
  and the route file it names (``<WorkoutRoute><FileReference path=...>``). A workout
  becomes a summary-only activity row; the import joins its route GPX to it (format
  ``apple_health``, ``file_ref`` relative to ``export.xml``), as a Strava export's
  ``activities.csv`` row is joined to its file.
- The records the daily wellness table reads (:mod:`runback.wellness`): sleep analysis,
  resting heart rate and heart-rate variability (SDNN).

Every other record type is skipped silently and counted (:attr:`HealthExport.skipped`).
Dates carry their own offset (``2024-01-14 07:00:00 -0500``): the offset gives the local
day. A truncated or broken ``export.xml`` keeps what was read before the break, with a
warning naming the byte offset.

The extract of one export (:meth:`HealthExport.to_bytes`) is a small JSON document: it is
what the import caches and hands to its workers, so the large file is read once.

References
----------
.. [1] Apple, HealthKit: HKWorkoutActivityType, HKCategoryValueSleepAnalysis,
   HKQuantityTypeIdentifierHeartRateVariabilitySDNN (developer.apple.com/documentation).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, TypedDict, cast

import pandas as pd

from runback.errors import NotAnActivityError, ReadError
from runback.io._xml import MAX_DEPTH, PrologCheck
from runback.io.base import ParsedFile, Source, source_name

__all__ = ["HealthExport", "HealthRecord", "scan_export", "read_apple_health", "apple_date",
           "EXTRACT_MAGIC", "EXTRACT_VERSION", "CHUNK_BYTES", "RECORD_KINDS", "WORKOUT_SPORTS"]

#: Version of what :func:`scan_export` keeps: extracts kept by an older version are made
#: again.
EXTRACT_VERSION = 1
#: Bytes fed to the parser at a time.
CHUNK_BYTES = 1 << 20
#: First bytes of an extract made by :meth:`HealthExport.to_bytes`.
EXTRACT_MAGIC = b'{"runback_apple_health":1,'
#: Record types kept -> the name the wellness table uses.
RECORD_KINDS = {
    "HKCategoryTypeIdentifierSleepAnalysis": "sleep",
    "HKQuantityTypeIdentifierRestingHeartRate": "resting_hr",
    "HKQuantityTypeIdentifierHeartRateVariabilitySDNN": "hrv_sdnn",
}
_PREFIX = "HKWorkoutActivityType"
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
#: HKWorkoutActivityType (without the prefix) -> (sport, sub_sport); any other is "other".
WORKOUT_SPORTS = {
    "Running": ("running", None), "Walking": ("walking", None),
    "Hiking": ("hiking", None), "Cycling": ("cycling", None),
    "HandCycling": ("cycling", None), "Swimming": ("swimming", None),
    "Rowing": ("rowing", None), "Elliptical": ("elliptical", None),
    "Yoga": ("yoga", None), "Pilates": ("yoga", None),
    "TraditionalStrengthTraining": ("strength", None),
    "FunctionalStrengthTraining": ("strength", None), "CoreTraining": ("strength", None),
    "HighIntensityIntervalTraining": ("strength", None), "CrossTraining": ("strength", None),
    "CrossCountrySkiing": ("skiing", None), "DownhillSkiing": ("skiing", None),
    "SnowSports": ("skiing", None), "StairClimbing": ("other", None),
    "WheelchairRunPace": ("other", None),
}
#: Units Apple writes -> factor to metres, seconds, kilocalories.
_DISTANCE = {"km": 1000.0, "m": 1.0, "mi": 1609.344, "yd": 0.9144, "ft": 0.3048, "cm": 0.01}
_DURATION = {"s": 1.0, "min": 60.0, "hr": 3600.0, "h": 3600.0, "ms": 0.001}
_ENERGY = {"kcal": 1.0, "Cal": 1.0, "cal": 0.001, "kJ": 1 / 4.184, "J": 1 / 4184.0}
_LENGTH_Q = re.compile(r"^\s*([-+0-9.eE]+)\s*([A-Za-z]+)\s*$")


class HealthRecord(TypedDict):
    """One wellness record of an Apple Health export, as :class:`HealthExport` keeps it."""

    kind: str  # sleep, resting_hr, hrv_sdnn
    start: str | None  # ISO 8601 with offset
    end: str | None
    value: str | float | None  # sleep: Apple's category name; resting HR [1/min]; HRV [ms]
    source: str
    device: str


@dataclass
class HealthExport:
    """What :func:`scan_export` kept of one ``export.xml``.

    Attributes
    ----------
    workouts : list of dict
        One ``raw_activities`` row per ``<Workout>`` (SI units).
    records : list of dict
        Wellness records: kind (``sleep``, ``resting_hr``, ``hrv_sdnn``), start and end
        (ISO 8601 with offset), value (sleep: Apple's category name; resting HR [1/min];
        HRV [ms]), source (the app or device that wrote it).
    skipped : dict
        Record types not read -> how many (skipped silently).
    warnings : list of str
        A truncated or broken file, with the byte offset.
    n_bytes : int
        Bytes of ``export.xml`` read.
    """

    workouts: list[dict[str, object]] = field(default_factory=list)
    records: list[HealthRecord] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    n_bytes: int = 0

    def to_bytes(self) -> bytes:
        """The extract as compact, deterministic JSON (starts with :data:`EXTRACT_MAGIC`)."""
        body = {"runback_apple_health": 1, "workouts": self.workouts, "records": self.records,
                "skipped": dict(sorted(self.skipped.items())), "warnings": self.warnings,
                "n_bytes": self.n_bytes}
        return json.dumps(body, separators=(",", ":"), allow_nan=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes, name: str) -> HealthExport:
        """The extract :meth:`to_bytes` made."""
        try:
            body = json.loads(data)
            return cls(list(body["workouts"]), list(body["records"]), dict(body["skipped"]),
                       list(body["warnings"]), int(body["n_bytes"]))
        except (ValueError, KeyError, TypeError) as e:
            raise ReadError(name, f"not a readable Apple Health extract ({e})") from e


def _chunks(source: Source, name: str) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for i in range(0, len(data), CHUNK_BYTES):
            yield data[i:i + CHUNK_BYTES]
        return
    if hasattr(source, "read"):
        yield from _read_chunks(cast(BinaryIO, source), name)
        return
    try:
        with open(source, "rb") as fh:
            yield from _read_chunks(fh, name)
    except OSError as e:
        raise ReadError(name, f"cannot read file: {e.strerror}") from e


def _events(parser: ET.XMLPullParser[ET.Element]) -> Iterator[tuple[str, ET.Element]]:
    """The parser's events: asked for start and end events only, each comes with its
    element (typeshed also lists the namespace and comment events' shapes)."""
    return cast(Iterator[tuple[str, ET.Element]], parser.read_events())


def _read_chunks(fh: BinaryIO, name: str) -> Iterator[bytes]:
    while True:
        try:
            chunk = fh.read(CHUNK_BYTES)
        except OSError as e:
            raise ReadError(name, f"cannot read file: {e}") from e
        if not chunk:
            return
        yield chunk


def scan_export(source: Source | Iterable[bytes], *, name: str | None = None) -> HealthExport:
    """Stream an Apple Health ``export.xml`` and keep its workouts and wellness records.

    Parameters
    ----------
    source : str, os.PathLike, bytes, binary file or iterable of bytes
        The ``export.xml`` (an iterable gives its bytes in pieces, e.g. from an archive).
    name : str, optional
        What messages call the file.

    Returns
    -------
    HealthExport
        Workouts, wellness records, skipped record types, warnings.

    Raises
    ------
    NotAnActivityError
        XML, but not an Apple Health export (the root element is not ``<HealthData>``):
        another application's ``export.xml``.
    ReadError
        Not XML, entity declarations or external entities (refused as unsafe), nesting
        deeper than :data:`~runback.io._xml.MAX_DEPTH`, or broken before anything was
        read.
    """
    if isinstance(source, Iterator) or (isinstance(source, Iterable)
                                        and not isinstance(source, str | bytes | bytearray
                                                           | memoryview)
                                        and not hasattr(source, "read")
                                        and not hasattr(source, "__fspath__")):
        name = name or "export.xml"
        chunks = iter(cast(Iterable[bytes], source))
    else:
        name = source_name(cast(Source, source), name)
        chunks = _chunks(cast(Source, source), name)
    out = HealthExport()
    prolog = PrologCheck(name)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    depth = 0
    root: ET.Element | None = None
    fed = 0  # bytes before the chunk being read
    lines_before = 0  # line breaks before it
    chunk = b""
    closing = False
    skipped = out.skipped
    try:
        for chunk in chunks:
            if not prolog.done:
                if fed == 0 and not chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                    raise ReadError(name, "not XML (the file does not start with '<')", 0)
                prolog.feed(chunk)
            parser.feed(chunk)
            for event, el in _events(parser):
                if event == "start":
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise ReadError(name, f"XML nested deeper than {MAX_DEPTH} elements; "
                                              "refused as unsafe", fed + len(chunk))
                    if root is None:
                        root = el
                        if el.tag != "HealthData":
                            raise NotAnActivityError(
                                name, f"not an Apple Health export (root element is "
                                      f"<{el.tag}>, not <HealthData>)")
                    continue
                depth -= 1
                if depth != 1:
                    continue
                tag = el.tag
                if tag == "Record":
                    t = el.get("type") or "?"
                    kind = RECORD_KINDS.get(t)
                    if kind is None:
                        skipped[t] = skipped.get(t, 0) + 1
                    else:
                        out.records.append(_record(el, kind))
                elif tag == "Workout":
                    out.workouts.append(_workout(el, len(out.workouts)))
                if root is not None and len(root) > 256:
                    root.clear()
            fed += len(chunk)
            lines_before += chunk.count(b"\n")
        closing = True
        prolog.close()
        parser.close()
    except ET.ParseError as e:
        if root is None:
            if not fed and not chunk:
                raise ReadError(name, "empty file (no XML)") from e
            raise ReadError(name, f"malformed XML: {str(e).split(':')[0]}", fed) from e
        at = fed if closing else _byte_at(e, fed, lines_before, chunk)
        out.warnings.append(
            f"export.xml is truncated or broken at byte {at} ({str(e).split(':')[0]}); the "
            f"{len(out.workouts)} workouts and {len(out.records)} wellness records read "
            "before it are kept")
    if root is None:
        raise ReadError(name, "not XML (no root element)", 0)
    out.n_bytes = fed
    return out


def _byte_at(e: ET.ParseError, fed: int, lines_before: int, chunk: bytes) -> int:
    """The byte offset of a parse error inside ``chunk``, which starts at byte ``fed``
    after ``lines_before`` line breaks (from the error's line and column)."""
    line, col = getattr(e, "position", (None, None))
    if line is None or line - 1 < lines_before:
        return fed
    pos = -1
    for _ in range(line - 1 - lines_before):
        pos = chunk.find(b"\n", pos + 1)
        if pos < 0:
            return fed
    return fed + pos + 1 + (col or 0)


def apple_date(text: str | None) -> pd.Timestamp | None:
    """``2024-01-14 07:00:00 -0500`` -> a timestamp with its offset; None when unreadable."""
    if not text:
        return None
    try:
        return pd.Timestamp(datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S %z"))
    except ValueError:
        try:
            ts = pd.Timestamp(text.strip())
        except ValueError:
            return None
        return ts if ts.tzinfo is not None else None


def _num(text: str | None) -> float:
    try:
        return float(text) if text is not None else float("nan")
    except ValueError:
        return float("nan")


def _scaled(value: str | None, unit: str | None, table: dict[str, float]) -> float:
    v = _num(value)
    if v != v:
        return v
    factor = table.get((unit or "").strip())
    return v * factor if factor is not None else float("nan")


def _record(el: ET.Element, kind: str) -> HealthRecord:
    value: str | float | None = el.get("value")
    if kind != "sleep":
        value = _num(el.get("value"))
        if kind == "resting_hr" and (el.get("unit") or "count/min") != "count/min":
            value = float("nan")
        if kind == "hrv_sdnn" and (el.get("unit") or "ms") != "ms":
            value = float("nan")
    return {"kind": kind, "start": el.get("startDate"), "end": el.get("endDate"),
            "value": value, "source": el.get("sourceName") or "",
            "device": _device_name(el.get("device"))}


_DEVICE_NAME = re.compile(r"name:([^,>]*)")


def _device_name(text: str | None) -> str:
    """``<<HKDevice: 0x...>, name:Apple Watch, manufacturer:...>`` -> ``Apple Watch``."""
    if not text:
        return ""
    m = _DEVICE_NAME.search(text)
    return m.group(1).strip() if m else ""


def _workout(el: ET.Element, part: int) -> dict[str, object]:
    start, end = apple_date(el.get("startDate")), apple_date(el.get("endDate"))
    kind = (el.get("workoutActivityType") or "").removeprefix(_PREFIX)
    words = _CAMEL.sub(" ", kind).lower()
    sport, sub = WORKOUT_SPORTS.get(kind, ("other" if kind else "unknown", None))
    meta = {m.get("key"): m.get("value") for m in el.iter("MetadataEntry")}
    indoor = (meta.get("HKIndoorWorkout") or "").strip() in ("1", "true", "YES")
    if indoor:
        sub = {"running": "treadmill", "cycling": "indoor_cycling",
               "walking": "indoor_walking"}.get(sport, "indoor")
    distance = _scaled(el.get("totalDistance"), el.get("totalDistanceUnit"), _DISTANCE)
    energy = _scaled(el.get("totalEnergyBurned"), el.get("totalEnergyBurnedUnit"), _ENERGY)
    avg_hr = max_hr = float("nan")
    for st in el.iter("WorkoutStatistics"):
        t = st.get("type") or ""
        if t.endswith("HeartRate"):
            avg_hr, max_hr = _num(st.get("average")), _num(st.get("maximum"))
        elif t.endswith(("DistanceWalkingRunning", "DistanceCycling", "DistanceSwimming",
                         "DistanceWheelchair")) and distance != distance:
            distance = _scaled(st.get("sum"), st.get("unit"), _DISTANCE)
        elif t.endswith("ActiveEnergyBurned") and energy != energy:
            energy = _scaled(st.get("sum"), st.get("unit"), _ENERGY)
    ascent = float("nan")
    m = _LENGTH_Q.match(meta.get("HKElevationAscended") or "")
    if m:
        ascent = _scaled(m.group(1), m.group(2), _DISTANCE)
    duration = _scaled(el.get("duration"), el.get("durationUnit") or "min", _DURATION)
    elapsed = (end - start).total_seconds() if start is not None and end is not None else None
    ref = None
    for fr in el.iter("FileReference"):
        path = (fr.get("path") or "").strip().lstrip("/")
        if path:
            ref = path
            break
    device = _device_name(el.get("device")) or el.get("sourceName")
    offset = None if start is None else start.utcoffset()  # apple_date: never None
    row: dict[str, object] = {
        "part": part, "format": "apple_health", "device": device or None, "sport": sport,
        "sub_sport": sub, "name": words.capitalize() or None,
        "start_time": None if start is None else start.tz_convert("UTC"),
        "local_start": None if start is None else start.tz_localize(None),
        "utc_offset_s": None if offset is None else offset.total_seconds(),
        "device_elapsed_s": elapsed, "device_timer_s": duration,
        "device_distance_m": distance, "device_ascent_m": ascent,
        "device_avg_hr_bpm": avg_hr, "device_max_hr_bpm": max_hr, "calories_kcal": energy,
        "file_ref": ref,
    }
    # JSON-ready: timestamps as ISO strings, NaN as None
    for k, v in list(row.items()):
        if isinstance(v, pd.Timestamp):
            row[k] = v.isoformat()
        elif isinstance(v, float) and v != v:
            row[k] = None
    return row


def read_apple_health(source: Source, *, name: str | None = None) -> ParsedFile:
    """Read the workouts of an Apple Health ``export.xml`` (or its extract) as activities.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        ``export.xml``, or the extract :meth:`HealthExport.to_bytes` made of it.
    name : str, optional
        What messages call the file.

    Returns
    -------
    ParsedFile
        One summary-only activity per workout (format ``apple_health``: sport, sub_sport
        ``treadmill`` for an indoor run, start_time [UTC], local_start, utc_offset_s [s],
        device_elapsed_s and device_timer_s [s], device_distance_m [m], device_ascent_m
        [m], device_avg_hr_bpm and device_max_hr_bpm [1/min], calories_kcal [kcal] and
        file_ref, the route GPX relative to ``export.xml``); no samples; the scan's
        warnings.

    Raises
    ------
    ReadError
        See :func:`scan_export`.
    NotAnActivityError
        The export holds no workout.
    """
    name = source_name(source, name)
    export = _load(source, name)
    if not export.workouts:
        raise NotAnActivityError(name, "Apple Health export without workouts")
    acts = pd.DataFrame(export.workouts)
    for col in ("start_time",):
        acts[col] = pd.to_datetime(acts[col], utc=True, format="ISO8601")
    acts["local_start"] = pd.to_datetime(acts["local_start"], format="ISO8601")
    return ParsedFile.build(acts, warnings=export.warnings)


def _load(source: Source, name: str) -> HealthExport:
    """The scan of ``source``: an extract is decoded, ``export.xml`` streamed."""
    if isinstance(source, bytes | bytearray | memoryview) and bytes(
            source[:len(EXTRACT_MAGIC)]) == EXTRACT_MAGIC:
        return HealthExport.from_bytes(bytes(source), name)
    return scan_export(source, name=name)
