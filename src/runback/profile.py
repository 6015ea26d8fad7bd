"""The athlete profile: heart-rate anchors, sex, time zone, units and analysis settings.

A profile is read from a ``runback.toml`` file with one ``[athlete]`` table::

    [athlete]
    hr_max = 188              # [1/min]
    hr_rest = 52              # [1/min]
    hr_threshold = 170        # lactate-threshold heart rate [1/min]
    threshold_pace = "4:30"   # threshold running pace, min:s per km (or seconds per km)
    sex = "female"            # "male" or "female"; sets the Banister TRIMP weighting
    timezone = "Europe/Zurich"
    units = "metric"          # or "imperial" (display only)
    flare_k = 2.0             # flare threshold above the baseline pain [NRS points]
    hazard_window_days = 3
    birth_year = 1980         # back pain starting under 20 or over 50 is a red flag

Other tables in the file belong to other parts of runback and are left alone. Values the
profile lacks are estimated by :func:`with_estimates`, each with a note the reports show.
Changing a profile changes TRIMP, so results carry :meth:`AthleteProfile.version`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from runback.errors import RunbackError

__all__ = [
    "AthleteProfile",
    "PROFILE_FILENAME",
    "DEFAULT_HR_REST_BPM",
    "HR_MAX_PERCENTILE",
    "BANISTER_B",
    "load_profile",
    "find_profile",
    "with_estimates",
]

PROFILE_FILENAME = "runback.toml"
#: Resting heart rate assumed when the profile gives none [1/min] [unverified].
DEFAULT_HR_REST_BPM = 60.0
#: Percentile of the time-weighted observed heart rate taken as HR max [%].
HR_MAX_PERCENTILE = 99.5
#: Banister TRIMP weighting b by sex (Morton, Fitz-Clarke & Banister 1990). With sex
#: unknown the men's value is used (as GoldenCheetah does) and a note says so.
BANISTER_B = {"male": 1.92, "female": 1.67}

_SEXES = ("male", "female")
_UNITS = ("metric", "imperial")
_FIELDS_TOML = {
    # key in [athlete] -> AthleteProfile field
    "hr_max": "hr_max",
    "hr_rest": "hr_rest",
    "hr_threshold": "hr_threshold",
    "threshold_pace": "threshold_pace_s_per_km",
    "sex": "sex",
    "timezone": "timezone",
    "units": "units",
    "flare_k": "flare_k",
    "hazard_window_days": "hazard_window_days",
    "birth_year": "birth_year",
}


@dataclass(frozen=True)
class AthleteProfile:
    """What runback knows about the athlete.

    Attributes
    ----------
    hr_max, hr_rest, hr_threshold : float or None
        Maximum, resting and lactate-threshold heart rate. [1/min]
    threshold_pace_s_per_km : float or None
        Threshold running pace, for the rTSS-like load. [s/km]
    sex : {"male", "female"} or None
        Selects the Banister TRIMP weighting.
    timezone : str or None
        IANA zone name for local days.
    units : {"metric", "imperial"}
        Display units only; stored tables are SI.
    flare_k : float
        Flare-up threshold above the baseline pain. [NRS points]
    hazard_window_days : int
        Days before a flare-up onset whose exposure is summed. [d]
    birth_year : int or None
        Year of birth, for the red flag of back pain starting before 20 or after 50.
    notes : tuple of str
        Plain sentences on values that were estimated rather than given.
    """

    hr_max: float | None = None
    hr_rest: float | None = None
    hr_threshold: float | None = None
    threshold_pace_s_per_km: float | None = None
    sex: str | None = None
    timezone: str | None = None
    units: str = "metric"
    flare_k: float = 2.0
    hazard_window_days: int = 3
    birth_year: int | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        problem = _check(self)
        if problem:
            raise RunbackError(f"athlete profile: {problem}")

    @property
    def banister_b(self) -> float:
        """Banister TRIMP weighting: 1.92 men, 1.67 women, 1.92 when sex is unknown."""
        return BANISTER_B.get(self.sex or "male", BANISTER_B["male"])

    @property
    def threshold_speed_m_s(self) -> float | None:
        """Threshold speed from the threshold pace. [m/s]"""
        p = self.threshold_pace_s_per_km
        return None if p is None else 1000.0 / p

    def version(self) -> str:
        """A short hash of the values (not the notes): it changes whenever TRIMP may."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name != "notes"}
        blob = json.dumps(values, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:10]


def load_profile(path: str | os.PathLike[str]) -> AthleteProfile:
    """Read the ``[athlete]`` table of a ``runback.toml`` file.

    Parameters
    ----------
    path : path
        The TOML file.

    Returns
    -------
    AthleteProfile

    Raises
    ------
    RunbackError
        When the file cannot be read or parsed, when ``[athlete]`` holds a key runback
        does not know, or a value is out of range; the message names the file.
    """
    name = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as e:
        raise RunbackError(f"{name}: cannot read profile: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise RunbackError(f"{name}: not valid TOML: {e}") from e
    stray = [k for k, v in data.items() if not isinstance(v, dict)]
    if stray:
        raise RunbackError(f"{name}: key {stray[0]!r} must be inside the [athlete] table")
    athlete = data.get("athlete", {})
    values = {}
    for key, value in athlete.items():
        if key not in _FIELDS_TOML:
            raise RunbackError(f"{name}: unknown key {key!r} in [athlete]; known keys: "
                               f"{', '.join(sorted(_FIELDS_TOML))}")
        values[_FIELDS_TOML[key]] = value
    try:
        if "threshold_pace_s_per_km" in values:
            values["threshold_pace_s_per_km"] = _pace_s(values["threshold_pace_s_per_km"])
        return AthleteProfile(**values)
    except (RunbackError, TypeError, ValueError) as e:
        reason = str(e).removeprefix("athlete profile: ")
        raise RunbackError(f"{name}: {reason}") from e


def find_profile(paths: Iterable[str | os.PathLike[str]]) -> Path | None:
    """The first ``runback.toml`` in, or next to, the given folders or files.

    For each path in order, looks in the folder itself (a file's own folder) and then in
    its parent folder, so a profile beside an ``activities/`` folder is found too.

    Returns
    -------
    Path or None
    """
    for p in paths:
        p = Path(p)
        folder = p if p.is_dir() else p.parent
        for where in (folder, folder.parent):
            candidate = where / PROFILE_FILENAME
            if candidate.is_file():
                return candidate
    return None


def with_estimates(profile: AthleteProfile, hr_hist: pd.DataFrame) -> AthleteProfile:
    """Fill the heart-rate anchors the profile lacks, with a note for each.

    Parameters
    ----------
    profile : AthleteProfile
    hr_hist : DataFrame
        Seconds at each heart rate: rows activities, columns integer bpm
        (:func:`runback.metrics.intensity.hr_histogram`). [s]

    Returns
    -------
    AthleteProfile
        ``hr_max`` = the 99.5th percentile of the time-weighted observed heart rate (the
        lowest bpm with at least 99.5 % of the time at or below it) when missing and the
        data hold heart rate; ``hr_rest`` = 60 [unverified] when missing; a note for each
        estimate and for an unknown sex.
    """
    notes = list(profile.notes)
    hr_max, hr_rest = profile.hr_max, profile.hr_rest
    if hr_max is None:
        est = _hr_percentile(hr_hist, HR_MAX_PERCENTILE)
        if est is None:
            notes.append("HR max unknown and no heart rate in the data: TRIMP not computed")
        else:
            hr_max = est
            notes.append(f"HR max {est:.0f} estimated from your data "
                         f"({HR_MAX_PERCENTILE:g}th percentile)")
    if hr_rest is None:
        hr_rest = DEFAULT_HR_REST_BPM
        notes.append(f"HR rest {DEFAULT_HR_REST_BPM:.0f} assumed (a default, not measured)")
    if profile.sex is None:
        notes.append(f"sex not set: TRIMP uses the men's weighting b = {BANISTER_B['male']}")
    if hr_max is not None and hr_rest >= hr_max:
        notes.append(f"HR rest {hr_rest:.0f} is not below HR max {hr_max:.0f}: "
                     "TRIMP not computed")
        hr_rest = None
    return dataclasses.replace(profile, notes=tuple(notes), hr_max=hr_max, hr_rest=hr_rest)


def _hr_percentile(hr_hist: pd.DataFrame, pct: float) -> float | None:
    if hr_hist is None or hr_hist.empty:
        return None
    seconds = hr_hist.sum(axis=0)
    bpm = np.asarray(seconds.index, dtype="float64")
    w = seconds.to_numpy(dtype="float64")
    keep = (bpm > 0) & (w > 0)
    if not keep.any():
        return None
    bpm, w = bpm[keep], w[keep]
    order = np.argsort(bpm)
    cum = np.cumsum(w[order])
    i = int(np.searchsorted(cum, pct / 100.0 * cum[-1]))
    return float(bpm[order][min(i, len(cum) - 1)])


def _pace_s(value: object) -> float:
    """Seconds per km from 270, 270.0 or "4:30"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    m = re.fullmatch(r"\s*(\d+):([0-5]\d)\s*", str(value))
    if not m:
        raise ValueError(f"threshold_pace must be seconds per km or 'm:ss', not {value!r}")
    return 60.0 * int(m.group(1)) + int(m.group(2))


def _check(p: AthleteProfile) -> str | None:
    for name in ("hr_max", "hr_rest", "hr_threshold", "threshold_pace_s_per_km", "flare_k"):
        v = getattr(p, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)
                              or not math.isfinite(v) or v <= 0):
            return f"{name} must be a positive number, not {v!r}"
    for name in ("hr_max", "hr_rest", "hr_threshold"):
        v = getattr(p, name)
        if v is not None and not 25 <= v <= 250:
            return f"{name} {v} is not a heart rate (25-250 bpm)"
    if p.hr_max is not None and p.hr_rest is not None and p.hr_rest >= p.hr_max:
        return f"hr_rest {p.hr_rest} must be below hr_max {p.hr_max}"
    if p.sex not in (None, *_SEXES):
        return f"sex must be one of {list(_SEXES)}, not {p.sex!r}"
    if p.units not in _UNITS:
        return f"units must be one of {list(_UNITS)}, not {p.units!r}"
    if isinstance(p.hazard_window_days, bool) or not isinstance(p.hazard_window_days, int) \
            or p.hazard_window_days < 1:
        return f"hazard_window_days must be a whole number of days >= 1, " \
               f"not {p.hazard_window_days!r}"
    if p.birth_year is not None and (isinstance(p.birth_year, bool)
                                     or not isinstance(p.birth_year, int)
                                     or not 1900 <= p.birth_year <= dt.date.today().year):
        return f"birth_year must be a year such as 1985, not {p.birth_year!r}"
    if p.timezone is not None:
        try:
            ZoneInfo(str(p.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            return f"timezone {p.timezone!r} is not an IANA zone name (e.g. Europe/Zurich)"
    return None
