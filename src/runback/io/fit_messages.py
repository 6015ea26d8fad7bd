"""The seam between a FIT decoder and the FIT reader.

A decoder turns the bytes of a FIT file into :class:`FitMessages`: for each message the
reader uses, its fields as numpy columns (:class:`Columns`), one value per message in file
order. Any decoder that fills this contract can serve :func:`runback.io.fit.read_fit`
(fitparse is the reference). The reader works on the arrays directly: a DataFrame per
message per file would cost more than decoding a small file.

Contract
--------
- keys are FIT profile message names from :data:`USED_FIELDS`; a message the file lacks
  is absent or empty;
- columns are FIT profile field names; only the fields in :data:`USED_FIELDS` are read,
  a field the file lacks may be absent;
- values follow the field's kind (:data:`KINDS`): ``"num"`` float64 with the FIT profile's
  scale and offset applied (``enhanced_altitude`` in metres, ``speed`` in m/s; positions
  stay in semicircles), NaN when invalid; ``"text"`` object arrays of ``str`` or None,
  enums as the profile's value names (``"running"``, ``"treadmill"``, ``"activity"``; a
  value the profile does not name is the decimal number as a string); ``"time"``
  (``date_time``: ``timestamp``, ``start_time``, ``time_created``) naive
  ``datetime64[ns]`` holding UTC; ``"local"`` (``local_timestamp``) naive
  ``datetime64[ns]`` on the local wall clock; invalid and relative (below 0x10000000)
  times are NaT;
- compressed-timestamp records get their full timestamp; chained FIT files (several
  headers one after another) are decoded as one stream of messages.

A decoder may also hand over DataFrames (UTC times tz-aware); they are turned into columns.
:meth:`FitMessages.get` gives any message as a DataFrame for inspection and tests.

A decoder that meets a broken file (bad header, truncation, undefined local message)
returns what it decoded before the break with ``error`` set to a sentence and
``error_offset`` to the byte offset; a CRC mismatch alone sets ``crc_ok = False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from fitparse import profile

from runback.schema import Columns

__all__ = ["Columns", "FitMessages", "KINDS", "USED_FIELDS", "from_frame", "to_frame",
           "FIT_EPOCH_S", "MIN_DATE_TIME", "SEMICIRCLE_DEG", "FOOT_SPORTS"]

# The FIT constants, for every decoder, the reader and the encoder of the tests.
#: FIT time zero, 1989-12-31T00:00:00Z, in Unix seconds.
FIT_EPOCH_S = 631065600
#: ``date_time`` values below this count seconds from device power-up, not a date.
MIN_DATE_TIME = 0x10000000
#: Semicircles to degrees. [deg]
SEMICIRCLE_DEG = 180.0 / 2**31
#: Sports whose FIT cadence counts strides of one foot.
FOOT_SPORTS = frozenset({"running", "walking", "hiking"})

#: The messages and fields runback reads from FIT files.
USED_FIELDS: dict[str, tuple[str, ...]] = {
    "file_id": ("type", "manufacturer", "product", "garmin_product", "product_name",
                "time_created", "serial_number"),
    "device_info": ("device_index", "manufacturer", "product", "garmin_product",
                    "product_name"),
    "activity": ("timestamp", "local_timestamp", "num_sessions", "total_timer_time"),
    "session": ("start_time", "timestamp", "sport", "sub_sport", "total_elapsed_time",
                "total_timer_time", "total_distance", "total_ascent", "total_descent",
                "avg_heart_rate", "max_heart_rate", "total_calories", "avg_temperature",
                "start_position_lat", "start_position_long"),
    "lap": ("start_time", "timestamp", "total_elapsed_time", "total_timer_time",
            "total_distance", "avg_heart_rate", "sport", "sub_sport"),
    "sport": ("sport", "sub_sport", "name"),
    "record": ("timestamp", "position_lat", "position_long", "distance", "altitude",
               "enhanced_altitude", "speed", "enhanced_speed", "heart_rate", "cadence",
               "fractional_cadence", "power", "temperature", "vertical_oscillation",
               "stance_time", "step_length", "vertical_ratio"),
}


def _field_kind(message: str, name: str) -> str:
    """The kind of a profile field (or sub-field): "num", "text", "time" or "local"."""
    fields = {}
    for f in next(m for m in profile.MESSAGE_TYPES.values() if m.name == message).fields.values():
        fields[f.name] = f
        for sub in f.subfields or ():
            fields[sub.name] = sub
    ftype = fields[name].type
    if ftype.name == "date_time":
        return "time"
    if ftype.name == "local_date_time":
        return "local"
    if ftype.name == "string" or getattr(ftype, "values", None):
        return "text"
    return "num"


#: Kind of every used field, by message: "num", "text", "time" (UTC) or "local".
KINDS: dict[str, dict[str, str]] = {
    m: {f: _field_kind(m, f) for f in fields} for m, fields in USED_FIELDS.items()
}

_NAT = np.datetime64("NaT", "ns")


def from_frame(df: pd.DataFrame) -> Columns:
    """The columns of a decoder's DataFrame, converted to the contract's arrays."""
    values = {}
    for name, s in df.items():
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            values[name] = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("M8[ns]")
        elif pd.api.types.is_datetime64_dtype(s.dtype):
            values[name] = s.to_numpy("M8[ns]")
        elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            values[name] = s.to_numpy("float64", na_value=np.nan)
        else:
            values[name] = np.array([None if _missing(v) else v for v in s], dtype=object)
    return Columns(len(df), values)


def to_frame(message: str, table: Columns) -> pd.DataFrame:
    """A DataFrame of every used field of ``message`` (UTC times tz-aware), then the other
    fields the decoder gave."""
    kinds = KINDS.get(message, {})
    index = pd.RangeIndex(table.n)
    out = {}
    for name in (*kinds, *(k for k in table.values if k not in kinds)):
        kind = kinds.get(name)
        v = table.get(name)
        if v is None:
            v = (np.full(table.n, None, dtype=object) if kind == "text" else
                 np.full(table.n, _NAT) if kind in ("time", "local") else
                 np.full(table.n, np.nan))
        if kind == "time":
            v = pd.DatetimeIndex(v, tz="UTC").array
        out[name] = pd.Series(v, index=index, dtype=v.dtype, copy=False)  # str and None stay
    return pd.DataFrame(out, index=index)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


@dataclass
class FitMessages:
    """What a FIT decoder returns.

    Attributes
    ----------
    tables : dict of str to Columns
        The decoded messages by name (DataFrames given here are converted to
        :class:`Columns`).
    crc_ok : bool
        False when a file CRC did not match (the data is still returned).
    error : str or None
        Why decoding stopped early, when it did.
    error_offset : int or None
        Byte offset of the break.
    """

    tables: dict[str, Columns] = field(default_factory=dict)
    crc_ok: bool = True
    error: str | None = None
    error_offset: int | None = None

    def __post_init__(self):
        for name, table in list(self.tables.items()):
            if isinstance(table, pd.DataFrame):
                self.tables[name] = from_frame(table)

    def columns(self, message: str) -> Columns:
        """The columns of ``message`` (no rows when the file has none)."""
        table = self.tables.get(message)
        return table if table is not None else Columns(0)

    def get(self, message: str) -> pd.DataFrame:
        """``message`` as a DataFrame (an empty frame when the file has none)."""
        table = self.tables.get(message)
        return to_frame(message, table) if table is not None else pd.DataFrame()
