"""The seam between a FIT decoder and the FIT reader.

A decoder turns the bytes of a FIT file into :class:`FitMessages`: for each message the
reader uses, one DataFrame with a row per message in file order. Any decoder that fills
this contract can serve :func:`runback.io.fit.read_fit` (fitparse is the reference).

Contract
--------
- keys are FIT profile message names from :data:`USED_FIELDS`; a message the file lacks
  is an empty frame (it may lack columns);
- columns are FIT profile field names; only the fields in :data:`USED_FIELDS` are
  required, others may be present;
- values are converted as the FIT profile says (scale and offset applied, so
  ``enhanced_altitude`` is in metres and ``speed`` in m/s); positions stay in semicircles;
- enum fields hold the profile's value names as strings (``"running"``, ``"treadmill"``,
  ``"activity"``); a value the profile does not name is the decimal number as a string;
- ``date_time`` fields (``timestamp``, ``start_time``, ``time_created``) are
  ``datetime64[ns, UTC]``; ``local_timestamp`` is naive ``datetime64[ns]`` (local wall
  clock); FIT "invalid" values are missing (NaN / NaT / None);
- compressed-timestamp records get their full timestamp; chained FIT files (several
  headers one after another) are decoded as one stream of messages.

A decoder that meets a broken file (bad header, truncation, undefined local message)
returns what it decoded before the break with ``error`` set to a sentence and
``error_offset`` to the byte offset; a CRC mismatch alone sets ``crc_ok = False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["FitMessages", "USED_FIELDS"]

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


@dataclass
class FitMessages:
    """What a FIT decoder returns.

    Attributes
    ----------
    frames : dict of str to DataFrame
        One frame per message name in :data:`USED_FIELDS`.
    crc_ok : bool
        False when a file CRC did not match (the data is still returned).
    error : str or None
        Why decoding stopped early, when it did.
    error_offset : int or None
        Byte offset of the break.
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    crc_ok: bool = True
    error: str | None = None
    error_offset: int | None = None

    def get(self, message: str) -> pd.DataFrame:
        """The frame of ``message`` (an empty frame when the file has none)."""
        df = self.frames.get(message)
        return df if df is not None else pd.DataFrame()
