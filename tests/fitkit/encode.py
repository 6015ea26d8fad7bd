"""Write small, valid FIT activity files whose contents are known.

Tests, benchmarks and the sample-data generator use :func:`encode_activity` to make FIT files with
known answers (an evening run in Denver crossing UTC midnight, a run-bike-run triathlon);
:func:`encode_messages` writes any list of profile messages. Files are little-endian, with
a 14-byte header carrying its own CRC and the file CRC at the end. Field numbers, base
types, scales, offsets and enum values come from fitparse's copy of the FIT profile, so a
field is named exactly as the profile names it (``garmin_product``, ``enhanced_speed``).

Canonical sample column -> FIT ``record`` field (:data:`RECORD_MAP`)::

    timestamp -> timestamp, latitude_deg / longitude_deg -> position_lat / position_long
    (degrees x 2**31 / 180 = semicircles), altitude_m -> enhanced_altitude,
    distance_m -> distance, speed_m_s -> enhanced_speed, heart_rate_bpm -> heart_rate,
    cadence_spm -> cadence (+ fractional_cadence), power_w -> power,
    temperature_c -> temperature, vertical_oscillation_mm -> vertical_oscillation,
    stance_time_ms -> stance_time, step_length_mm -> step_length,
    vertical_ratio_pct -> vertical_ratio

Running, walking and hiking cadence is written as FIT stores it, in strides (one foot) per
minute: ``cadence + fractional_cadence = cadence_spm / 2``; other sports write it as is.
A records column named like a FIT ``record`` field (``altitude``, ``speed``) is written
unconverted, so a test can build files with only the older fields.

References
----------
Garmin FIT SDK, "FIT Protocol" (file header, definition and data messages, CRC) and
"FIT File Types: Activity File" (https://developer.garmin.com/fit/).
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from fitparse import profile

from runback.io.fit_messages import FIT_EPOCH_S, FOOT_SPORTS, SEMICIRCLE_DEG

__all__ = ["encode_activity", "encode_messages", "fit_crc", "RECORD_MAP"]

#: FIT time zero (UTC for ``date_time``, the local wall clock for ``local_date_time``).
FIT_ZERO = pd.Timestamp(FIT_EPOCH_S, unit="s")
#: Degrees to semicircles.
DEG_SEMICIRCLE = 1.0 / SEMICIRCLE_DEG

#: Canonical ``raw_samples`` column -> FIT ``record`` field.
RECORD_MAP: dict[str, str] = {
    "timestamp": "timestamp",
    "latitude_deg": "position_lat",
    "longitude_deg": "position_long",
    "distance_m": "distance",
    "altitude_m": "enhanced_altitude",
    "speed_m_s": "enhanced_speed",
    "heart_rate_bpm": "heart_rate",
    "power_w": "power",
    "temperature_c": "temperature",
    "vertical_oscillation_mm": "vertical_oscillation",
    "stance_time_ms": "stance_time",
    "step_length_mm": "step_length",
    "vertical_ratio_pct": "vertical_ratio",
}

#: The device written when none is given.
DEFAULT_DEVICE: dict[str, object] = {"manufacturer": "development", "product": 0,
                                     "product_name": "runback"}

# Value FIT reserves for "invalid" in each base type.
_INVALID: dict[str, object] = {
    "enum": 0xFF, "sint8": 0x7F, "uint8": 0xFF, "sint16": 0x7FFF, "uint16": 0xFFFF,
    "sint32": 0x7FFFFFFF, "uint32": 0xFFFFFFFF, "uint8z": 0, "uint16z": 0, "uint32z": 0,
    "byte": 0xFF, "sint64": 0x7FFFFFFFFFFFFFFF, "uint64": 0xFFFFFFFFFFFFFFFF,
    "uint64z": 0, "float32": math.nan, "float64": math.nan,
}
_CRC_TABLE = (0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
              0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400)
_MESSAGES = {m.name: m for m in profile.MESSAGE_TYPES.values()}


def fit_crc(data: bytes, crc: int = 0) -> int:
    """The FIT CRC-16 of ``data``, continuing from ``crc``.

    References
    ----------
    Garmin FIT SDK, "FIT Protocol", section "CRC" (the nibble-table algorithm given there).
    """
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def _field(message: str, name: str):
    """(definition number, profile field or subfield) of ``message.name``."""
    try:
        mesg = _MESSAGES[message]
    except KeyError:
        raise ValueError(f"unknown FIT message {message!r}") from None
    for num, field in mesg.fields.items():
        if field.name == name:
            return num, field
        for sub in field.subfields or ():
            if sub.name == name:
                return num, sub
    raise ValueError(f"FIT message {message!r} has no field {name!r}")


def _base_type(field):
    ftype = field.type
    return ftype if not hasattr(ftype, "base_type") else ftype.base_type


def _raw(field, value):
    """The stored integer (or float, or bytes) of one field value."""
    base = _base_type(field)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return b"" if base.name == "string" else _INVALID[base.name]
    if base.name == "string":
        return str(value).encode("utf-8") + b"\0"
    if field.type.name in ("date_time", "local_date_time"):
        stamp = pd.Timestamp(value)
        if field.type.name == "date_time" and stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        elif stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
        return int((stamp - FIT_ZERO).total_seconds())
    if isinstance(value, str):
        names = {v: k for k, v in (getattr(field.type, "values", None) or {}).items()}
        if value not in names:
            raise ValueError(f"{value!r} is not a FIT {field.type.name} value")
        return names[value]
    number = (float(value) + (field.offset or 0)) * (field.scale or 1)
    return number if base.name.startswith("float") else int(round(number))


def encode_messages(messages: Iterable[tuple[str, Mapping[str, object]]], *,
                    profile_version: int = 2100) -> bytes:
    """Encode profile messages as one FIT file.

    Parameters
    ----------
    messages : iterable of (str, mapping)
        ``(message name, {field name: value})`` in file order. Values are in the profile's
        units (metres, m/s, semicircles, seconds); enums may be given by name; date_time
        fields take UTC timestamps, ``local_timestamp`` a naive wall-clock time; None or
        NaN writes the field's invalid value.
    profile_version : int, optional
        Profile version written in the header (2100 is 21.00).

    Returns
    -------
    bytes
        The file: header with CRC, definition and data messages, file CRC.
    """
    body = bytearray()
    local_of: dict[tuple, int] = {}
    defined = 0
    for message, values in messages:
        fields = [_field(message, name) for name in values]
        raws = [_raw(field, value) for (_, field), value in zip(fields, values.values(),
                                                                 strict=True)]
        layout = [(num, _base_type(field), len(raw) if isinstance(raw, bytes) else None)
                  for (num, field), raw in zip(fields, raws, strict=True)]
        key = (message, tuple((n, b.name, s) for n, b, s in layout))
        if key not in local_of:
            local = defined % 16
            defined += 1
            local_of = {k: v for k, v in local_of.items() if v != local}
            local_of[key] = local
            body += struct.pack("<BBBHB", 0x40 | local, 0, 0, _MESSAGES[message].mesg_num,
                                len(layout))
            for num, base, size in layout:
                body += struct.pack("<BBB", num, size or struct.calcsize(base.fmt),
                                    base.identifier)
        body.append(local_of[key])
        for (_, base, size), raw in zip(layout, raws, strict=True):
            body += raw.ljust(size, b"\0") if size else struct.pack("<" + base.fmt, raw)
    header = struct.pack("<BBHI4s", 14, 0x10, profile_version, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    data = header + bytes(body)
    return data + struct.pack("<H", fit_crc(data))


def _record_messages(records: pd.DataFrame, sport: str) -> list[tuple[str, dict]]:
    """``record`` messages for the rows of ``records`` (canonical or FIT-named columns)."""
    columns = {}
    for col in records.columns:
        if col in RECORD_MAP:
            columns[RECORD_MAP[col]] = records[col]
        elif col != "cadence_spm" and col in {f.name for f in _MESSAGES["record"].fields.values()}:
            columns[col] = records[col]
    for deg, semi in (("latitude_deg", "position_lat"), ("longitude_deg", "position_long")):
        if deg in records.columns:
            columns[semi] = (records[deg] * DEG_SEMICIRCLE).round()
    if "cadence_spm" in records.columns:
        spm = records["cadence_spm"].astype("float64")
        if sport in FOOT_SPORTS:
            strides = spm / 2
            columns["cadence"] = np.floor(strides)
            columns["fractional_cadence"] = strides - np.floor(strides)
        else:
            columns["cadence"] = spm
    frame = pd.DataFrame(columns)
    return [("record", row) for row in frame.to_dict("records")]


def _summary(rows: pd.DataFrame) -> dict[str, object]:
    """Elapsed time, distance, heart rate and climb of a span of records."""
    start, end = rows["timestamp"].iloc[0], rows["timestamp"].iloc[-1]
    elapsed = (end - start).total_seconds()
    out: dict[str, object] = {"timestamp": end, "start_time": start,
                              "total_elapsed_time": elapsed, "total_timer_time": elapsed}
    if "distance_m" in rows.columns:
        distance = rows["distance_m"].dropna()
        out["total_distance"] = distance.iloc[-1] - distance.iloc[0] if len(distance) else None
    if "heart_rate_bpm" in rows.columns:
        out["avg_heart_rate"] = rows["heart_rate_bpm"].mean()
        out["max_heart_rate"] = rows["heart_rate_bpm"].max()
    return out


def _per_part(value, n: int, what: str) -> list:
    if isinstance(value, str):
        return [value] * n
    values = list(value)
    if len(values) != n:
        raise ValueError(f"{what} must be one name or one per part ({n}), not {len(values)}")
    return values


def encode_activity(records: pd.DataFrame, *, sport: str | Sequence[str] = "running",
                    sub_sport: str | Sequence[str] = "generic",
                    local_offset_s: float | None = None,
                    laps: Sequence[pd.Timestamp] | None = None,
                    device: Mapping[str, object] | None = None,
                    file_type: str = "activity") -> bytes:
    """Encode records as a FIT activity file with laps, sessions and an activity message.

    Parameters
    ----------
    records : DataFrame
        One row per record with a UTC ``timestamp`` and canonical channels (see
        :data:`RECORD_MAP`; ``cadence_spm`` in steps per minute). An integer ``part``
        column splits them into several sessions (a multisport file), in part order.
    sport, sub_sport : str or sequence of str
        FIT sport and sub_sport names, one for all parts or one per part.
    local_offset_s : float, optional
        Local time minus UTC [s]; writes ``activity.local_timestamp`` when given.
    laps : sequence of Timestamp, optional
        UTC times at which new laps begin, besides each session's start.
    device : mapping, optional
        ``file_id`` fields naming the device, e.g. ``{"manufacturer": "garmin",
        "garmin_product": "fenix5"}`` (default :data:`DEFAULT_DEVICE`).
    file_type : str, optional
        ``file_id.type``; another type (``"monitoring_b"``) makes a non-activity file.

    Returns
    -------
    bytes
        The FIT file.
    """
    records = records.reset_index(drop=True)
    parts = records["part"] if "part" in records.columns else pd.Series(0, index=records.index)
    order = sorted(parts.unique())
    sports = _per_part(sport, len(order), "sport")
    sub_sports = _per_part(sub_sport, len(order), "sub_sport")
    lap_starts = pd.to_datetime(list(laps) if laps is not None else [], utc=True)
    first, last = records["timestamp"].iloc[0], records["timestamp"].iloc[-1]

    messages: list[tuple[str, Mapping[str, object]]] = [
        ("file_id", {"type": file_type, **(device or DEFAULT_DEVICE), "time_created": first,
                     "serial_number": 1}),
        ("event", {"timestamp": first, "event": "timer", "event_type": "start"}),
    ]
    lap_index = 0
    timer = 0.0
    for index, (part, sp, sub) in enumerate(zip(order, sports, sub_sports, strict=True)):
        rows = records[parts == part].drop(columns="part", errors="ignore")
        messages += _record_messages(rows, sp)
        cuts = lap_starts[(lap_starts > rows["timestamp"].iloc[0])
                          & (lap_starts <= rows["timestamp"].iloc[-1])]
        lap_of = cuts.searchsorted(pd.to_datetime(rows["timestamp"], utc=True), side="right")
        bounds = [*np.flatnonzero(np.diff(lap_of, prepend=-1)), len(rows) - 1]
        first_lap = lap_index
        for begin, end in itertools.pairwise(bounds):
            summary = _summary(rows.iloc[begin:max(end, begin) + 1])
            messages.append(("lap", {**summary, "event": "lap", "event_type": "stop",
                                     "sport": sp, "sub_sport": sub,
                                     "message_index": lap_index}))
            lap_index += 1
        summary = _summary(rows)
        timer += summary["total_timer_time"]
        messages.append(("session", {**summary, "event": "session", "event_type": "stop",
                                     "sport": sp, "sub_sport": sub, "message_index": index,
                                     "first_lap_index": first_lap,
                                     "num_laps": lap_index - first_lap}))
    messages.append(("event", {"timestamp": last, "event": "timer", "event_type": "stop_all"}))
    activity = {"timestamp": last, "total_timer_time": timer, "num_sessions": len(order),
                "type": "manual", "event": "activity", "event_type": "stop"}
    if local_offset_s is not None:
        local = pd.Timestamp(last).tz_convert("UTC").tz_localize(None)
        activity["local_timestamp"] = local + pd.Timedelta(seconds=local_offset_s)
    messages.append(("activity", activity))
    return encode_messages(messages)
