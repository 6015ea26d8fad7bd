"""Put every activity on the runner's local calendar day.

Weekly mileage must match the runner's calendar, so each activity gets a ``timezone`` and a
``local_date``, chosen in this order (``tz_source`` records which):

1. ``option``  - the ``--tz`` option (or ``profile``, the athlete profile's timezone);
2. ``file``    - the offset the file records (FIT ``activity.local_timestamp``); named
                 after the zone at the first GPS fix when that zone has the same offset
                 at that moment, else a fixed offset such as ``UTC+08:00``;
3. ``gps``     - the zone at the first GPS fix (timezonefinder);
4. ``log``     - a log that gives the local wall clock only (a hand-kept CSV, Garmin's
                 Activities.csv): the local date is the one written, and the zone used to
                 place it in UTC comes from the steps below;
5. ``nearby``  - the zone of the nearest activity in time (within 7 days) that has one,
                 e.g. a treadmill run during a trip;
6. ``machine`` - this computer's zone, with a warning.

An evening run in Denver that starts at 02:00 UTC belongs to the previous local day, and a
Sunday-evening run to the week that ends that Sunday.
"""

from __future__ import annotations

import functools
import os
from datetime import timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from runback.errors import RunbackError

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

__all__ = ["resolve_local_dates", "parse_zone", "zone_at", "machine_zone", "offset_label",
           "zone_memo", "remember_zones"]

NEARBY = pd.Timedelta(days=7)


def parse_zone(name: str) -> tzinfo:
    """A tzinfo for an IANA name (``Europe/Paris``), ``UTC`` or a fixed ``UTC+08:00``.

    Raises
    ------
    RunbackError
        For an unknown name, with a hint.
    """
    text = name.strip()
    if text.upper().startswith(("UTC+", "UTC-")) and len(text) > 4:
        sign = 1 if text[3] == "+" else -1
        hh, _, mm = text[4:].partition(":")
        try:
            return timezone(sign * timedelta(hours=int(hh), minutes=int(mm or 0)))
        except ValueError:
            pass
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise RunbackError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London or "
            "America/Denver, or a fixed offset such as UTC+08:00"
        ) from None


def offset_label(seconds: float) -> str:
    """``UTC+08:00`` style label of an offset in seconds."""
    minutes = int(round(seconds / 60))
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@functools.lru_cache(maxsize=1)
def _finder() -> TimezoneFinder:
    from timezonefinder import TimezoneFinder

    # in memory: quick to load, and no open files left for the interpreter to close
    return TimezoneFinder(in_memory=True)


def load_finder() -> None:
    """Load the zone finder now, so that the first look-up does not wait for it (an import
    calls this while its workers parse). Does nothing when it cannot be loaded: look-ups
    then report the error."""
    try:
        _finder()
    except Exception:  # noqa: BLE001 - the first zone_at raises it where it matters
        pass


#: Zones already looked up, by rounded position ("lat,lon"); see :func:`zone_memo`.
_MEMO: dict[str, str | None] = {}


@functools.lru_cache(maxsize=4096)
def _zone_at_rounded(lat: float, lon: float) -> str | None:
    at = f"{lat:.2f},{lon:.2f}"
    if at not in _MEMO:
        _MEMO[at] = _finder().timezone_at(lng=lon, lat=lat)
    return _MEMO[at]


def zone_memo() -> tuple[str, dict[str, str | None]]:
    """The zones looked up so far by position, and the zone finder's version they hold for.

    A caller may keep them (the importer keeps them in its cache) and hand them back to
    :func:`remember_zones` in a later run, which then needs no zone finder for places
    already met: loading it costs more than a warm re-run's whole import.
    """
    return _finder_version(), dict(_MEMO)


def remember_zones(version: str, memo: object) -> None:
    """Take zones of :func:`zone_memo` from an earlier run (ignored for another version)."""
    if version == _finder_version() and isinstance(memo, dict):
        _MEMO.update((k, v) for k, v in memo.items()
                     if isinstance(k, str) and (v is None or isinstance(v, str)))


@functools.lru_cache(maxsize=1)
def _finder_version() -> str:
    """What the zone finder's answers depend on: where its code and its zone data are
    installed, and when (any upgrade or reinstall changes it). Found without importing
    them, which would cost a warm re-run more than the look-ups it saves."""
    import importlib.util

    parts = []
    for name in ("timezonefinder", "timezonefinder_data"):
        try:
            spec = importlib.util.find_spec(name)
            origin = os.path.dirname(spec.origin) if spec and spec.origin else None
            parts.append(f"{origin}@{os.stat(origin).st_mtime_ns}" if origin else "-")
        except (ImportError, OSError, ValueError):
            parts.append("-")
    return "|".join(parts)


def zone_at(lat: float, lon: float) -> str | None:
    """IANA zone name at a position, or None (open sea, invalid position)."""
    if not (np.isfinite(lat) and np.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    # ~1 km rounding: plenty for zones and lets a season of runs share look-ups
    return _zone_at_rounded(round(float(lat), 2), round(float(lon), 2))


def machine_zone() -> str:
    """This computer's zone name (IANA when it can be found, else a fixed offset)."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
        if name:
            return name
    except Exception:  # noqa: BLE001 - any failure falls back to the offset
        pass
    off = pd.Timestamp.now().tz_localize(None) - pd.Timestamp.now("UTC").tz_localize(None)
    return offset_label(round(off.total_seconds() / 900) * 900)


def _offset_s(zone: str, when: pd.Timestamp) -> float:
    offset = when.tz_convert(parse_zone(zone)).utcoffset()
    assert offset is not None  # an aware time always has an offset
    return offset.total_seconds()


def resolve_local_dates(activities: pd.DataFrame, *, tz: str | None = None,
                        source: str = "option") -> tuple[pd.DataFrame, list[str]]:
    """Fill ``timezone``, ``tz_source``, ``local_date`` (and ``start_time`` for logs).

    Parameters
    ----------
    activities : DataFrame
        Activities with start_time (UTC, may be NaT for local-only logs), local_start,
        utc_offset_s, start_lat_deg, start_lon_deg.
    tz : str, optional
        Zone that overrides every automatic choice.
    source : str
        What to record in tz_source when ``tz`` is given (``option`` or ``profile``).

    Returns
    -------
    (DataFrame, list of str)
        The activities with the columns filled, and warnings for the user.
    """
    df = activities.copy()
    n = len(df)
    warnings: list[str] = []
    zones = pd.Series(pd.NA, index=df.index, dtype="string")
    srcs = pd.Series(pd.NA, index=df.index, dtype="string")
    start = df["start_time"]
    if tz is not None:
        parse_zone(tz)
        zones[:] = tz
        srcs[:] = source
    else:
        offsets = df["utc_offset_s"].to_numpy("float64", na_value=np.nan)
        lat = df["start_lat_deg"].to_numpy("float64", na_value=np.nan)
        lon = df["start_lon_deg"].to_numpy("float64", na_value=np.nan)
        found: list[str | None] = [None] * n
        how: list[str | None] = [None] * n
        for j, when in enumerate(start.array):
            gz = zone_at(lat[j], lon[j]) if not np.isnan(lat[j]) else None
            if not np.isnan(offsets[j]) and pd.notna(when):
                if gz and _offset_s(gz, when) == offsets[j]:
                    found[j] = gz
                else:
                    found[j] = offset_label(offsets[j])
                how[j] = "file"
            elif gz:
                found[j], how[j] = gz, "gps"
        zones = pd.Series(found, index=df.index, dtype="string")
        srcs = pd.Series(how, index=df.index, dtype="string")
        _fill_nearby(df, zones, srcs)
        if zones.isna().any():
            mz = machine_zone()
            missing = zones.isna()
            zones[missing] = mz
            srcs[missing] = "machine"
            k = int(missing.sum())
            warnings.append(
                f"{k} activit{'y has' if k == 1 else 'ies have'} no time zone in the file and "
                f"no GPS; placed on local days in this computer's zone ({mz}). "
                "Use --tz to choose."
            )
    local_only = start.isna() & df["local_start"].notna()
    srcs[local_only] = "log"
    start = start.copy()
    local_date = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    for i in df.index[local_only]:
        zone = parse_zone(zones[i])
        ls = cast(pd.Timestamp, df.at[i, "local_start"])
        local_date[i] = ls.normalize()
        start[i] = pd.Timestamp(ls).tz_localize(zone, ambiguous=True,
                                                nonexistent="shift_forward").tz_convert("UTC")
    dated = ~local_only & start.notna()
    for name, rows in start[dated].groupby(zones[dated], sort=False):  # one pass per zone
        local = rows.dt.tz_convert(parse_zone(name)).dt.tz_localize(None).dt.normalize()
        local_date[rows.index] = local.astype("datetime64[ns]")
    df["start_time"] = start
    df["timezone"] = zones
    df["tz_source"] = srcs
    df["local_date"] = local_date
    return df, warnings


def _fill_nearby(df: pd.DataFrame, zones: pd.Series, srcs: pd.Series) -> None:
    """Give activities without a zone the zone of the nearest activity within NEARBY."""
    when = df["start_time"].where(df["start_time"].notna(),
                                  df["local_start"].dt.tz_localize("UTC"))
    known = zones.notna() & when.notna()
    if not known.any():
        return
    k_times = when[known].astype("int64").to_numpy()
    order = np.argsort(k_times)
    k_times = k_times[order]
    k_zones = zones[known].to_numpy()[order]
    for i in df.index[zones.isna() & when.notna()]:
        t = when[i].value
        j = np.searchsorted(k_times, t)
        cands = [c for c in (j - 1, j) if 0 <= c < len(k_times)]
        best = min(cands, key=lambda c: abs(k_times[c] - t))
        if abs(k_times[best] - t) <= NEARBY.value:
            zones[i] = k_zones[best]
            srcs[i] = "nearby"
