"""Read the daily wellness JSON of a Garmin Connect export.

Garmin's account export (``DI_CONNECT/``) keeps, beside the FIT files:

- ``DI-Connect-Wellness/*_sleepData.json``: one object per night with ``calendarDate`` (the
  day the night ends on), ``sleepStartTimestampGMT``, ``sleepEndTimestampGMT`` and
  ``deepSleepSeconds``, ``lightSleepSeconds``, ``remSleepSeconds``, ``awakeSleepSeconds``:
  sleep is deep + light + REM;
- ``DI-Connect-Aggregator/UDSFile_*.json``: one daily summary per day with
  ``restingHeartRate`` [1/min] and ``allDayStress.aggregatorList`` (the ``TOTAL`` entry's
  ``averageStressLevel``, Garmin's 0-100 scale; negative values mean too little data);
- ``DI-Connect-Wellness/*_healthStatusData.json``: ``metrics`` per day, of which ``HRV``
  is the night's average RMSSD [ms].

Each file becomes observations (:func:`read_garmin_wellness`) that
:mod:`runback.wellness` puts on the daily table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from runback.errors import NotWellnessError, ReadError
from runback.io.base import Source, read_json, source_name

__all__ = ["read_garmin_wellness", "OBSERVATION_COLUMNS", "observations"]

#: Columns of an observations frame: one value of one metric on one local day.
OBSERVATION_COLUMNS = ("date", "metric", "value", "kind", "source", "watch", "start", "end")


def observations(rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """An observations frame from row dicts (``start``/``end`` UTC, for sleep sessions).

    ``metric`` is ``sleep_h`` [h], ``resting_hr_bpm`` [1/min], ``hrv_ms`` [ms] or
    ``stress``; ``kind`` names the HRV measure (``rmssd``, ``sdnn``) or the stress scale;
    ``source`` the device or app; ``watch`` whether a wrist device measured it.
    """
    df = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype("float64")
    for col in ("metric", "kind", "source"):
        df[col] = df[col].astype("string")
    df["watch"] = df["watch"].astype("bool")
    for col in ("start", "end"):
        df[col] = pd.to_datetime(df[col], utc=True)
    return df


def _day(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("date")
    if not isinstance(value, str):
        return None
    try:
        return pd.Timestamp(value[:10]).strftime("%Y-%m-%d")
    except ValueError:
        return None


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def read_garmin_wellness(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Observations from one Garmin export wellness JSON (sleep, daily summary or health
    status file, told apart by their fields).

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The JSON file.
    name : str, optional
        What messages call the file.

    Returns
    -------
    DataFrame
        Observations (:data:`OBSERVATION_COLUMNS`): ``sleep_h`` [h] on ``calendarDate``,
        ``resting_hr_bpm`` [1/min], ``stress`` (kind ``garmin 0-100``), ``hrv_ms`` [ms]
        (kind ``rmssd``); source ``garmin``.

    Raises
    ------
    ReadError
        Not JSON, or not a list of objects.
    NotWellnessError
        Not a Garmin wellness file (no field this reader knows).
    """
    name = source_name(source, name)
    days = read_json(source, name)
    if isinstance(days, dict):
        days = [days]
    if not isinstance(days, list):
        raise ReadError(name, "not a Garmin wellness file (expected a JSON list of days)")
    rows: list[dict[str, object]] = []
    known = False
    for d in days:
        if not isinstance(d, dict):
            continue
        day = _day(d.get("calendarDate"))
        if day is None:
            continue
        base = {"date": day, "source": "garmin", "watch": True, "start": None, "end": None}
        stages = [_num(d.get(k)) for k in ("deepSleepSeconds", "lightSleepSeconds",
                                            "remSleepSeconds")]
        if any(s is not None for s in stages):
            known = True
            rows.append({**base, "metric": "sleep_h", "kind": None,
                         "value": sum(s for s in stages if s is not None) / 3600.0,
                         "start": d.get("sleepStartTimestampGMT"),
                         "end": d.get("sleepEndTimestampGMT")})
        if "restingHeartRate" in d or "allDayStress" in d:
            known = True
            rhr = _num(d.get("restingHeartRate"))
            if rhr is not None:
                rows.append({**base, "metric": "resting_hr_bpm", "kind": None, "value": rhr})
            stress = d.get("allDayStress")
            for agg in (stress.get("aggregatorList") or []) if isinstance(stress, dict) else []:
                level = _num(agg.get("averageStressLevel")) if isinstance(agg, dict) else None
                if agg.get("type") == "TOTAL" and level is not None and level >= 0:
                    rows.append({**base, "metric": "stress", "kind": "garmin 0-100",
                                 "value": level})
        metrics = d.get("metrics")
        if isinstance(metrics, list):
            known = True
            for m in metrics:
                if isinstance(m, dict) and m.get("type") == "HRV" \
                        and _num(m.get("value")) is not None:
                    rows.append({**base, "metric": "hrv_ms", "kind": "rmssd",
                                 "value": _num(m.get("value"))})
    if not known and days:
        raise NotWellnessError(name, "not a Garmin wellness file this reader knows")
    return observations(rows)
