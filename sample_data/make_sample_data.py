"""Write runback's bundled sample season: one runner in Denver and two team athletes.

Run ``python sample_data/make_sample_data.py`` to rewrite ``sample_data/runner`` and
``sample_data/team``; ``--out DIR`` writes elsewhere and ``--months N`` keeps only the first N
months of every athlete's season (the first N months are the same as in the full season).
The output is deterministic (fixed seeds; gzip and zip members carry fixed times) and needs
no network.

What is simulated
-----------------
Runs are generated every 4-7 s along a synthetic route: a distance-dependent elevation
profile (flat, gently rolling, mild trail, a fire road up and back at 4-5.5 %, or a shuttle
run with a short climb and a long descent at 13-17 %), a winding horizontal path, speed
slowed uphill by the energy cost of running on a grade (Minetti et al. 2002), heart rate
following the effort with a 30 s lag and a slow drift, cadence rising with speed, and wrist
temperature following Denver's season.
Every athlete's pain diary has a baseline of 1-3 points with noise, gaps, sleep and stress,
and flare-ups (pain rising 3-5 points over the baseline for 2-4 days) planted by a rule
particular to the athlete. During a flare-up the athlete runs less (the reverse causation the
analysis must not mistake for protection).

``planted.json`` beside each diary records the truth: every session with its file, the
planted flare-up onsets and what triggered them.

References
----------
Minetti AE et al. (2002) Energy cost of walking and running at extreme uphill and downhill
slopes. J Appl Physiol 93:1039-1046.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import shutil
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# the FIT encoder is test tooling, not part of the runback package: found beside it
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fitkit.encode import encode_activity  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 20250303
ZONE = "America/Denver"
#: Fixed time written on zip members (the day the export was requested).
ZIP_TIME = (2025, 10, 1, 9, 0, 0)
#: Daily mean air temperature in Denver by month. [degC]
DENVER_MEAN_C = {1: -1.0, 2: 0.5, 3: 4.0, 4: 8.0, 5: 13.0, 6: 19.0, 7: 23.0, 8: 22.0, 9: 17.0,
                 10: 10.5, 11: 3.5, 12: -1.0}
#: Wrist devices read warmer than the air. [degC]
WRIST_WARMING_C = 6.0
#: Diary columns in the order of the command-line contract.
DIARY_HEADER = ("date", "pain", "location", "pain_type", "timing", "sleep_hours", "stress",
                "interventions", "red_flags", "notes")
#: Strava bulk export ``activities.csv`` header (modern layout, 99 columns).
STRAVA_HEADER = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,"
    "Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,"
    "Average Speed,Elevation Gain,Elevation Loss,Elevation Low,Elevation High,Max Grade,"
    "Average Grade,Average Positive Grade,Average Negative Grade,Max Cadence,Average Cadence,"
    "Max Heart Rate,Average Heart Rate,Max Watts,Average Watts,Calories,Max Temperature,"
    "Average Temperature,Relative Effort,Total Work,Number of Runs,Uphill Time,Downhill Time,"
    "Other Time,Perceived Exertion,Type,Start Time,Weighted Average Power,Power Count,"
    "Prefer Perceived Exertion,Perceived Relative Effort,Commute,Total Weight Lifted,"
    "From Upload,Grade Adjusted Distance,Weather Observation Time,Weather Condition,"
    "Weather Temperature,Apparent Temperature,Dewpoint,Humidity,Weather Pressure,Wind Speed,"
    "Wind Gust,Wind Bearing,Precipitation Intensity,Sunrise Time,Sunset Time,Moon Phase,Bike,"
    "Gear,Precipitation Probability,Precipitation Type,Cloud Cover,Weather Visibility,"
    "UV Index,Weather Ozone,Jump Count,Total Grit,Average Flow,Flagged,Average Elapsed Speed,"
    "Dirt Distance,Newly Explored Distance,Newly Explored Dirt Distance,Activity Count,"
    "Total Steps,Carbon Saved,Pool Length,Training Load,Intensity,"
    "Average Grade Adjusted Pace,Timer Time,Total Cycles,Recovery,With Pet,Competition,"
    "Long Run,For a Cause,Media"
).split(",")
#: Strava column position -> what the generator fills in (the rest stays empty).
STRAVA_FIELDS = {0: "id", 1: "date", 2: "name", 3: "type", 5: "elapsed", 6: "distance_km",
                 7: "max_hr", 9: "commute", 11: "gear", 12: "filename", 15: "elapsed_f",
                 16: "moving", 17: "distance_m", 20: "gain", 21: "loss", 31: "avg_hr",
                 43: "rpe"}
#: Session kind -> (FIT sport, FIT sub_sport) for files that carry one.
FIT_SPORT = {"ride": ("cycling", "road"), "strength": ("training", "strength_training"),
             "treadmill": ("running", "treadmill")}
#: Surface -> FIT running sub_sport.
SURFACE_SUB_SPORT = {"road": "street", "trail": "trail", "track": "track",
                     "treadmill": "treadmill"}
#: Weeks of the main runner's season with a background flare-up instead of a descent run.
BACKGROUND_WEEKS = (13, 25, 34, 49)
#: Weeks whose steep-descent run is not followed by a flare-up (the pattern is not perfect).
UNTRIGGERED_WEEKS = (22,)
#: No steep-descent run from this week on (a flare-up after it would fall past the diary).
LAST_DESCENT_WEEK = 56
#: Session kinds that are runs.
RUN_KINDS = frozenset({"easy", "intervals", "long_flat", "long_rolling", "long_trail",
                       "long_descent", "trail_easy", "treadmill"})
#: Interventions on ordinary days and during flare-ups.
ROUTINE = ("foam_roller", "core", "yoga", "stretching", "strength")
FLARE_CARE = ("heat", "stretching", "massage", "nsaid", "physio", "ice", "foam_roller")


@dataclass(frozen=True)
class Athlete:
    """One simulated athlete and how the sample writes them down."""

    key: str
    folder: str
    start: str
    end: str
    sex: str
    hr_max: float
    hr_rest: float
    easy_speed_m_s: float
    home: tuple[float, float, float]
    trailhead: tuple[float, float, float]
    trigger: str
    log_share: float
    profile: bool
    device: dict = field(default_factory=dict)
    shoes: dict = field(default_factory=dict)


RUNNER = Athlete(
    key="runner", folder="runner", start="2025-01-06", end="2026-02-22", sex="male",
    hr_max=188.0, hr_rest=48.0, easy_speed_m_s=3.0,
    home=(39.7030, -104.9790, 1609.0), trailhead=(39.7465, -105.2110, 1790.0),
    trigger="descent", log_share=0.97, profile=True,
    device={"manufacturer": "garmin", "garmin_product": "fr935"},
    shoes={"road": "Pegasus 41", "trail": "Speedgoat 6", "fast": "Endorphin Speed 4"},
)
ANA = Athlete(
    key="ana", folder="team/ana", start="2025-06-02", end="2025-08-31", sex="female",
    hr_max=194.0, hr_rest=52.0, easy_speed_m_s=2.8,
    home=(40.0150, -105.2705, 1655.0), trailhead=(39.9990, -105.2830, 1720.0),
    trigger="mileage_jump", log_share=0.9, profile=True,
    device={"manufacturer": "garmin", "garmin_product": "fenix5s"},
)
BEN = Athlete(
    key="ben", folder="team/ben", start="2025-06-30", end="2025-09-28", sex="male",
    hr_max=182.0, hr_rest=55.0, easy_speed_m_s=2.9,
    home=(39.6780, -104.9610, 1620.0), trailhead=(39.6550, -105.1980, 1900.0),
    trigger="none", log_share=0.7, profile=False,
    device={"manufacturer": "garmin", "garmin_product": "fr235"},
)
ATHLETES = (RUNNER, ANA, BEN)


@dataclass
class Session:
    """One planned session: what, when (local wall clock), where it is written."""

    index: int
    local_start: pd.Timestamp
    kind: str
    distance_m: float
    surface: str
    source: str
    rpe: int | None = None
    shoe: str | None = None
    name: str = ""
    file: str | None = None
    also: str | None = None

    @property
    def utc_start(self) -> pd.Timestamp:
        """The start in UTC (the local wall clock read in Denver's zone)."""
        return self.local_start.tz_localize(ZONE).tz_convert("UTC")


@dataclass
class Flare:
    """A planted flare-up: onset day, high-pain values from the onset, and its cause."""

    onset: pd.Timestamp
    values: list[int]
    cause: str
    pain_type: str


# --------------------------------------------------------------------------------------------
# Season plan: sessions and flare-ups, day by day
# --------------------------------------------------------------------------------------------

def season_days(athlete: Athlete, months: int | None) -> pd.DatetimeIndex:
    """The athlete's days, cut to the first ``months`` months when given."""
    start, end = pd.Timestamp(athlete.start), pd.Timestamp(athlete.end)
    if months is not None:
        end = min(end, start + pd.DateOffset(months=months) - pd.Timedelta(days=1))
    return pd.date_range(start, end, freq="D")


def _clock(day: pd.Timestamp, rng, first: str, last: str) -> pd.Timestamp:
    """A start time between two wall-clock times, to the second."""
    lo, hi = pd.Timedelta(f"{first}:00"), pd.Timedelta(f"{last}:00")
    return day + lo + pd.Timedelta(seconds=int(rng.integers(0, (hi - lo).total_seconds())))


def _flare_values(rng, rise: int) -> list[int]:
    """Pain points above the baseline during a flare-up: up, peak, easing (2-4 days)."""
    days = int(rng.integers(2, 5))
    peak = rise + int(rng.integers(0, 2))
    shape = [rise, peak] + [max(2, peak - 1 - i // 2) for i in range(days - 2)]
    return shape + [1, 1]


def plan_runner(rng, days: pd.DatetimeIndex) -> tuple[list[Session], list[Flare]]:
    """The main runner: a build to a September trail race and a winter after it; steep
    descents bring flare-ups.

    Every third Saturday (weeks 1, 4, 7, ... 55 of the season) the long run is a shuttle
    run with a short climb and a long steep descent at 13-17 % (on trail, or on a steep
    mountain road one time in three); it is followed by a flare-up 1 or 2 days later, except
    in :data:`UNTRIGGERED_WEEKS`. Saturday runs are never skipped; other runs are, one in 12.
    In four of those weeks (:data:`BACKGROUND_WEEKS`) there is no such run and a flare-up
    comes on the Tuesday for no reason in the data (background). Other long runs are flat
    road, rolling road (about 400 m of climbing on grades under 7 %) or a trail up a fire
    road and back (250-350 m at 4-5.5 %). Every fourth week the Wednesday run is on a
    treadmill.
    """
    full = pd.date_range(RUNNER.start, RUNNER.end, freq="D")
    background = {full[0] + pd.Timedelta(weeks=w, days=1) for w in BACKGROUND_WEEKS}
    sessions: list[Session] = []
    flares: list[Flare] = []
    pending: dict[pd.Timestamp, str] = {}
    flare_until = pd.Timestamp.min
    strength_in_strava = False
    rides = 0
    for day in days:
        week = (day - full[0]).days // 7
        weekday = day.weekday()
        cause = pending.pop(day, None) or ("background" if day in background else None)
        if cause is not None and day > flare_until:
            rise = int(rng.integers(3, 5))
            kind = "radiating" if cause == "background" and not any(
                f.cause == "background" for f in flares) else (
                "spasm" if rng.random() < 0.7 else "ache")
            f = Flare(day, _flare_values(rng, rise), cause, kind)
            flares.append(f)
            flare_until = day + pd.Timedelta(days=len(f.values) - 1)
        in_flare = bool(flares) and flares[-1].onset <= day <= flare_until
        flare_day = (day - flares[-1].onset).days if in_flare else None
        source = _runner_source(day)
        build = min(1.0, week / 20) * (0.75 if week % 4 == 3 else 1.0)
        skip = rng.random() < 0.08
        new: list[tuple[str, pd.Timestamp, float, str]] = []
        if weekday == 1:
            new.append(("easy", _clock(day, rng, "18:00", "19:15"), rng.uniform(6, 10), "road"))
        elif weekday == 2:
            if source in ("fit", "log") and week % 4 == 1:
                new.append(("treadmill", _clock(day, rng, "06:00", "06:40"),
                            rng.uniform(6, 9), "treadmill"))
            elif rng.random() < 0.45:
                new.append(("trail_easy", _clock(day, rng, "06:10", "06:50"),
                            rng.uniform(7, 10), "trail"))
            else:
                new.append(("easy", _clock(day, rng, "06:10", "06:50"), rng.uniform(6, 9),
                            "road"))
        elif weekday == 3:
            new.append(("intervals", _clock(day, rng, "17:45", "18:50"), rng.uniform(9, 12),
                        "road" if rng.random() < 0.6 else "track"))
        elif weekday == 4 and week % 2 == 1:
            if source in ("fit", "log") or (source == "strava" and not strength_in_strava):
                strength_in_strava |= source == "strava"
                new.append(("strength", _clock(day, rng, "17:30", "18:15"), 0.0, ""))
        elif weekday == 5:
            long_km = 14 + 10 * build + rng.uniform(-1.5, 1.5)
            if week % 3 == 1 and week < LAST_DESCENT_WEEK and week not in BACKGROUND_WEEKS \
                    and source != "log" and not in_flare:
                kind, surface = "long_descent", "trail" if rng.random() < 0.65 else "road"
            else:
                kind, surface = [("long_rolling", "road"), ("long_trail", "trail"),
                                 ("long_flat", "road")][int(rng.choice(3, p=[.4, .4, .2]))]
            new.append((kind, _clock(day, rng, "07:00", "08:30"), long_km, surface))
        elif weekday == 6:
            if rides < 6 and week % 5 == 2:
                rides += 1
                new.append(("ride", _clock(day, rng, "08:00", "09:00"), rng.uniform(30, 45),
                            "road"))
            else:
                trail = rng.random() < 0.55
                new.append(("trail_easy" if trail else "easy", _clock(day, rng, "08:00",
                                                                       "09:30"),
                            rng.uniform(8, 12), "trail" if trail else "road"))
        for kind, start, km, surface in new:
            if kind in RUN_KINDS and skip and weekday != 5:
                continue
            if flare_day is not None and kind in RUN_KINDS:
                if flare_day < 2:
                    continue
                kind, km, surface = "easy", rng.uniform(4, 6), "road"
            s = Session(len(sessions), start, kind, km * 1000.0, surface, source,
                        rpe=_rpe(kind, rng), shoe=_shoe(RUNNER, kind, surface))
            sessions.append(s)
            if kind == "long_descent" and week not in UNTRIGGERED_WEEKS:
                lag = 1 if rng.random() < 0.6 else 2
                pending[day + pd.Timedelta(days=lag)] = f"steep descent run on {day:%Y-%m-%d}"
    _runner_files(sessions)
    return sessions, flares


def _runner_source(day: pd.Timestamp) -> str:
    """Where the runner's sessions of a day end up."""
    if day < pd.Timestamp("2025-03-31"):
        return "strava"
    if day < pd.Timestamp("2025-04-14"):
        return "log"
    if pd.Timestamp("2025-08-04") <= day <= pd.Timestamp("2025-08-17"):
        return "gpx"
    return "fit"


def _runner_files(sessions: list[Session]) -> None:
    """Special cases of the FIT period: TCX exports, and runs shared on Strava too.

    In a season cut short by ``--months`` a case whose session does not exist is left out.
    """
    def first(pred, after):
        return next((s for s in sessions if s.source == "fit" and pred(s)
                     and s.local_start >= pd.Timestamp(after)), None)

    cases = [(first(lambda s: s.kind == "intervals", "2025-06-01"), "source", "tcx_laps"),
             (first(lambda s: s.kind == "treadmill", "2025-05-01"), "source", "tcx_treadmill"),
             (first(lambda s: s.kind.startswith("long"), "2025-05-10"), "also", "strava"),
             (first(lambda s: s.kind.startswith("long"), "2025-07-12"), "also", "strava")]
    for s, attr, value in cases:
        if s is not None:
            setattr(s, attr, value)
    gpx = [s for s in sessions if s.source == "gpx"]
    for i, s in enumerate(gpx):
        s.source = "gpx_gz" if i % 2 else "gpx"


def plan_ana(rng, days: pd.DatetimeIndex) -> tuple[list[Session], list[Flare]]:
    """Ana: flare-ups follow mileage jumps (weeks 4, 8 and 12 run 50 % over the base)."""
    return _plan_simple(ANA, rng, days, jump_weeks={3, 7, 11}, base_km=32.0)


def plan_ben(rng, days: pd.DatetimeIndex) -> tuple[list[Session], list[Flare]]:
    """Ben: steady road running and one flare-up at a random day."""
    return _plan_simple(BEN, rng, days, jump_weeks=set(), base_km=40.0,
                        background={pd.Timestamp("2025-09-09")})


def _plan_simple(athlete: Athlete, rng, days, *, jump_weeks: set[int], base_km: float,
                 background: set[pd.Timestamp] = frozenset()):
    """Four or five runs a week; a jump week adds a run and lengthens the others by 50 %."""
    first = pd.Timestamp(athlete.start)
    sessions: list[Session] = []
    flares: list[Flare] = []
    flare_until = pd.Timestamp.min
    pending: dict[pd.Timestamp, str] = {}
    week_days = {1: ("easy", 0.22), 3: ("intervals", 0.22), 5: ("long_flat", 0.36),
                 6: ("easy", 0.2)}
    for day in days:
        week = (day - first).days // 7
        jump = week in jump_weeks
        if day.weekday() == 0 and jump and rng.random() < 0.9:
            pending[day + pd.Timedelta(days=int(rng.integers(4, 8)))] = (
                f"mileage jump in the week of {day:%Y-%m-%d}")
        cause = pending.pop(day, None) or ("background" if day in background else None)
        if cause is not None and day > flare_until:
            f = Flare(day, _flare_values(rng, int(rng.integers(3, 5))), cause,
                      "spasm" if rng.random() < 0.5 else "ache")
            flares.append(f)
            flare_until = day + pd.Timedelta(days=len(f.values) - 1)
        flare_day = (day - flares[-1].onset).days if flares and day <= flare_until else None
        plan = dict(week_days)
        if jump:
            plan[2] = ("easy", 0.2)
        if day.weekday() not in plan or rng.random() < 0.07:
            continue
        kind, share = plan[day.weekday()]
        km = base_km * share * (1.5 if jump else 1.0) * rng.uniform(0.9, 1.1)
        surface = "track" if kind == "intervals" and athlete is ANA else "road"
        if flare_day is not None:
            if flare_day < 2:
                continue
            kind, km = "easy", rng.uniform(4, 6)
        hours = ("06:00", "07:00") if day.weekday() in (5, 6) else ("17:50", "19:00")
        s = Session(len(sessions), _clock(day, rng, *hours), kind, km * 1000.0, surface, "fit",
                    rpe=_rpe(kind, rng))
        sessions.append(s)
    if athlete is BEN:
        for s in sessions:
            if s.index % 3:
                s.source = "gpx_gz" if s.index % 2 else "gpx"
    return sessions, flares


def _rpe(kind: str, rng) -> int:
    """Perceived exertion (CR-10) a runner would give the session."""
    base = {"intervals": 7, "long_descent": 6, "long_rolling": 6, "long_trail": 5,
            "long_flat": 5, "ride": 4, "strength": 5}.get(kind, 3)
    return int(np.clip(base + rng.integers(-1, 2), 1, 10))


def _shoe(athlete: Athlete, kind: str, surface: str) -> str | None:
    if kind not in RUN_KINDS or not athlete.shoes:
        return None
    if kind == "intervals":
        return athlete.shoes["fast"]
    return athlete.shoes["trail" if surface == "trail" else "road"]


# --------------------------------------------------------------------------------------------
# Record streams
# --------------------------------------------------------------------------------------------

def minetti_cost(grade):
    """Energy cost of running on a grade [J/kg/m] (Minetti et al. 2002)."""
    i = np.clip(grade, -0.45, 0.45)
    return 155.4 * i**5 - 30.4 * i**4 - 43.3 * i**3 + 46.3 * i**2 + 19.5 * i + 3.6


def _elevation(kind: str, grid: np.ndarray, total: float, rng) -> np.ndarray:
    """Altitude above the start along the route [m] for a session kind."""
    if kind == "long_descent":  # a shuttle run: a short climb, then a long steep descent
        climb = rng.uniform(150.0, 250.0)
        drop = climb + rng.uniform(250.0, 350.0)
        up, down = climb / rng.uniform(0.05, 0.065), drop / rng.uniform(0.13, 0.17)
        approach = 1000.0
        z = np.interp(grid, [0, approach, approach + up, approach + up + down, total + 1e4],
                      [0, 0, climb, climb - drop, climb - drop])
        z += 4.0 * np.sin(2 * np.pi * grid / 900.0) * (grid > approach + up + down)
    elif kind == "long_trail":  # up a fire road and back at an even grade
        grade = rng.uniform(0.04, 0.055)
        approach = 1000.0
        climb = min(rng.uniform(250.0, 350.0), 0.45 * (total - approach) * grade)
        up = climb / grade
        z = np.interp(grid, [0, approach, approach + up, approach + 2 * up, total + 1e4],
                      [0, 0, climb, 0, 0])
    elif kind == "long_rolling":
        period = rng.uniform(1900.0, 2300.0)
        z = 0.065 * period / (2 * np.pi) * (1 - np.cos(2 * np.pi * grid / period))
    elif kind == "trail_easy":
        z = 7.0 * (1 - np.cos(2 * np.pi * grid / 1400.0)) + 3.0 * np.sin(grid / 310.0)
    elif kind in ("treadmill", "strength"):
        z = np.zeros_like(grid)
    else:
        z = 2.5 * np.sin(2 * np.pi * grid / 1700.0)
    if kind in ("long_trail", "trail_easy", "long_descent"):
        bumps = np.convolve(rng.normal(0, 1.6, len(grid)), np.ones(8) / 8, mode="same")
        z = z + bumps
    return z


def _path(grid: np.ndarray, total: float, winding: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """East and north offsets [m] of a route that curls back towards its start."""
    step = np.diff(grid, prepend=0.0)
    turn = 2 * np.pi * step / max(total, 1.0) + rng.normal(0, winding, len(grid))
    if winding < 0.05:  # streets: a corner now and then
        corners = rng.random(len(grid)) < 0.004
        turn[corners] += rng.choice([-np.pi / 2, np.pi / 2], corners.sum())
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(turn)
    return np.cumsum(np.cos(heading) * step), np.cumsum(np.sin(heading) * step)


def simulate_records(athlete: Athlete, s: Session, seed: int) -> tuple[pd.DataFrame, list]:
    """The record stream of one session and the UTC times its laps start.

    Returns
    -------
    records : DataFrame
        ``timestamp`` (UTC), ``latitude_deg``, ``longitude_deg``, ``altitude_m``,
        ``distance_m`` [m], ``speed_m_s`` [m/s], ``heart_rate_bpm`` [1/min], ``cadence_spm``
        [1/min, steps for runs, crank rpm for rides], ``temperature_c`` [degC].
    laps : list of Timestamp
        Starts of the interval repetitions and recoveries (intervals only).
    """
    rng = np.random.default_rng(seed)
    kind = s.kind
    duration = {"strength": rng.uniform(35, 50) * 60}.get(kind)
    total = s.distance_m if duration is None else 0.0
    trail = s.surface == "trail"
    lat0, lon0, alt0 = athlete.trailhead if trail else athlete.home
    if kind == "long_descent":  # the shuttle starts higher up
        lat0, lon0, alt0 = lat0 - 0.05, lon0 - 0.02, alt0 + 450.0
    grid = np.arange(0.0, total + 3000.0, 5.0)
    alt = alt0 + _elevation(kind, grid, total, rng)
    east, north = _path(grid, total, 0.09 if trail else 0.02, rng)
    speed0 = {"ride": 7.0, "long_descent": athlete.easy_speed_m_s * 0.95,
              "long_trail": athlete.easy_speed_m_s * 0.95}.get(
        kind, athlete.easy_speed_m_s * (1.05 if kind == "intervals" else 1.0))
    v_threshold = athlete.easy_speed_m_s * 1.35
    reps = int(rng.integers(5, 8))
    on_s, off_s, warm_s = 180.0, 120.0, 900.0
    pause_at = rng.uniform(300, 1500) if s.surface == "road" and rng.random() < 0.4 else -1
    pause_s = rng.uniform(30, 90)
    month = s.local_start.month
    hour = s.local_start.hour
    air = DENVER_MEAN_C[month] + (-5.0 if hour < 11 else 4.0)
    hr = athlete.hr_rest + 0.3 * (athlete.hr_max - athlete.hr_rest)
    t = d = 0.0
    rows = []
    laps = []
    lap_phase = None
    while (d < total) if duration is None else (t < duration):
        z_ahead = np.interp(d + 10.0, grid, alt)
        z_back = np.interp(max(d - 10.0, 0.0), grid, alt)
        grade = (z_ahead - z_back) / (20.0 if d >= 10 else 10.0 + d)
        factor = float(np.clip((3.6 / minetti_cost(grade)) ** 0.5, 0.55, 1.2))
        phase = None
        if kind == "intervals" and warm_s <= t < warm_s + reps * (on_s + off_s):
            phase = int((t - warm_s) // (on_s + off_s) * 2 + ((t - warm_s) % (on_s + off_s)
                                                               >= on_s))
            factor *= 1.45 if phase % 2 == 0 else 0.8
        if phase != lap_phase and (phase is not None or lap_phase is not None):
            laps.append(t)
            lap_phase = phase
        paused = pause_at <= t < pause_at + pause_s
        if kind == "ride":
            factor = float(np.clip(1 - 6 * grade, 0.35, 1.6))
        v = 0.0 if paused or kind == "strength" else speed0 * factor * (1 + rng.normal(0, 0.03))
        effort = v * minetti_cost(grade) / 3.6 / v_threshold
        if kind == "ride":
            effort = 0.55 + 0.5 * (factor < 0.8)
        elif kind == "strength":
            effort = 0.45 + 0.2 * ((t // 90) % 2)
        elif paused:
            effort = 0.3
        target = athlete.hr_rest + (athlete.hr_max - athlete.hr_rest) * (
            0.25 + 0.6 * effort) + 0.05 * t / 60
        dt = float(rng.choice([4.0, 5.0, 5.0, 6.0, 7.0]))
        hr += (min(target, athlete.hr_max - 2) - hr) * (1 - np.exp(-dt / 30.0))
        cadence = (86 + rng.normal(0, 3) if kind == "ride" else
                   0.0 if v == 0 else 160 + 12 * v / v_threshold + rng.normal(0, 2))
        rows.append((t, d, v, hr + rng.normal(0, 1.5), cadence,
                     air + WRIST_WARMING_C + rng.normal(0, 0.7)))
        t += dt
        d += v * dt
    rec = np.array(rows)
    distance = rec[:, 1]
    start = s.utc_start
    records = pd.DataFrame({
        "timestamp": start + pd.to_timedelta(rec[:, 0], unit="s"),
        "distance_m": distance,
        "speed_m_s": rec[:, 2],
        "heart_rate_bpm": np.round(rec[:, 3]),
        "cadence_spm": np.round(rec[:, 4]),
        "temperature_c": np.round(rec[:, 5]),
    })
    if kind not in ("treadmill", "strength"):
        metres_lat = 111_195.0
        noise = rng.normal(0, 1.5, (len(rec), 2))
        records["latitude_deg"] = lat0 + (np.interp(distance, grid, north) + noise[:, 0]) \
            / metres_lat
        records["longitude_deg"] = lon0 + (np.interp(distance, grid, east) + noise[:, 1]) \
            / (metres_lat * np.cos(np.radians(lat0)))
        baro = np.convolve(rng.normal(0, 0.6, len(rec)), np.ones(5) / 5, mode="same")
        records["altitude_m"] = np.round(np.interp(distance, grid, alt) + baro, 1)
    if kind == "strength":
        records = records.drop(columns=["distance_m", "speed_m_s", "cadence_spm"])
    if kind == "treadmill":  # foot-pod distance reads 3 % long
        records["distance_m"] *= 1.03
        records["speed_m_s"] *= 1.03
    return records, [start + pd.Timedelta(seconds=x) for x in laps[1:]]


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

def _z(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def gpx_bytes(records: pd.DataFrame, *, name: str, sport: str, creator: str) -> bytes:
    """A GPX 1.1 track with Garmin TrackPointExtension heart rate and cadence (one foot)."""
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              f'<gpx creator="{creator}" version="1.1" '
              'xmlns="http://www.topografix.com/GPX/1/1" '
              'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
              f" <metadata>\n  <time>{_z(records['timestamp'].iloc[0])}</time>\n </metadata>\n"
              f" <trk>\n  <name>{name}</name>\n  <type>{sport}</type>\n  <trkseg>\n")
    foot = sport == "running"
    for r in records.itertuples(index=False):
        cad = r.cadence_spm / 2 if foot else r.cadence_spm
        out.write(f'   <trkpt lat="{r.latitude_deg:.7f}" lon="{r.longitude_deg:.7f}">\n'
                  f"    <ele>{r.altitude_m:.1f}</ele>\n    <time>{_z(r.timestamp)}</time>\n"
                  "    <extensions>\n     <gpxtpx:TrackPointExtension>\n"
                  f"      <gpxtpx:hr>{int(r.heart_rate_bpm)}</gpxtpx:hr>\n"
                  f"      <gpxtpx:cad>{int(round(cad))}</gpxtpx:cad>\n"
                  "     </gpxtpx:TrackPointExtension>\n    </extensions>\n   </trkpt>\n")
    out.write("  </trkseg>\n </trk>\n</gpx>\n")
    return out.getvalue().encode("utf-8")


def tcx_bytes(records: pd.DataFrame, laps: list, *, device: str) -> bytes:
    """A Garmin Connect style TCX running activity, one ``<Lap>`` per lap."""
    times = records["timestamp"]
    bounds = [0, *np.searchsorted(times.to_numpy(), pd.DatetimeIndex(laps).to_numpy()),
              len(records)]
    gps = "latitude_deg" in records.columns
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
              'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
              'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2" '
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
              f' <Activities>\n  <Activity Sport="Running">\n   <Id>{_z(times.iloc[0])}</Id>\n')
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        lap = records.iloc[a:b]
        if lap.empty:
            continue
        end = records["timestamp"].iloc[min(b, len(records) - 1)]
        span = (end - lap["timestamp"].iloc[0]).total_seconds()
        dist = records["distance_m"].iloc[min(b, len(records) - 1)] - lap["distance_m"].iloc[0]
        out.write(f'   <Lap StartTime="{_z(lap["timestamp"].iloc[0])}">\n'
                  f"    <TotalTimeSeconds>{span:.1f}</TotalTimeSeconds>\n"
                  f"    <DistanceMeters>{dist:.1f}</DistanceMeters>\n"
                  f"    <MaximumSpeed>{lap['speed_m_s'].max():.3f}</MaximumSpeed>\n"
                  f"    <Calories>{int(span / 60 * 11)}</Calories>\n"
                  "    <AverageHeartRateBpm><Value>"
                  f"{int(round(lap['heart_rate_bpm'].mean()))}</Value></AverageHeartRateBpm>\n"
                  "    <MaximumHeartRateBpm><Value>"
                  f"{int(lap['heart_rate_bpm'].max())}</Value></MaximumHeartRateBpm>\n"
                  "    <Intensity>Active</Intensity>\n"
                  f"    <TriggerMethod>{'Manual' if len(laps) else 'Distance'}</TriggerMethod>\n"
                  "    <Track>\n")
        for r in lap.itertuples(index=False):
            pos = (f"<Position><LatitudeDegrees>{r.latitude_deg:.7f}</LatitudeDegrees>"
                   f"<LongitudeDegrees>{r.longitude_deg:.7f}</LongitudeDegrees></Position>"
                   f"<AltitudeMeters>{r.altitude_m:.1f}</AltitudeMeters>") if gps else ""
            out.write(f"     <Trackpoint><Time>{_z(r.timestamp)}</Time>{pos}"
                      f"<DistanceMeters>{r.distance_m:.1f}</DistanceMeters>"
                      f"<HeartRateBpm><Value>{int(r.heart_rate_bpm)}</Value></HeartRateBpm>"
                      f"<Extensions><ns3:TPX><ns3:Speed>{r.speed_m_s:.3f}</ns3:Speed>"
                      f"<ns3:RunCadence>{int(round(r.cadence_spm / 2))}</ns3:RunCadence>"
                      "</ns3:TPX></Extensions></Trackpoint>\n")
        out.write("    </Track>\n   </Lap>\n")
    out.write(f'   <Creator xsi:type="Device_t"><Name>{device}</Name></Creator>\n'
              "  </Activity>\n </Activities>\n</TrainingCenterDatabase>\n")
    return out.getvalue().encode("utf-8")


def fit_bytes(athlete: Athlete, s: Session, records: pd.DataFrame, laps: list) -> bytes:
    """The watch's FIT file, with the local-time offset of the start in Denver."""
    sport, sub = FIT_SPORT.get(s.kind, ("running", SURFACE_SUB_SPORT.get(s.surface, "generic")))
    offset = s.local_start.tz_localize(ZONE).utcoffset().total_seconds()
    return encode_activity(records, sport=sport, sub_sport=sub, local_offset_s=offset,
                           laps=laps or None, device=athlete.device)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _strava_date(t: pd.Timestamp) -> str:
    """Strava's ``Activity Date``: UTC, e.g. ``Mar 5, 2025, 1:15:21 AM``."""
    hour = t.hour % 12 or 12
    return f"{t:%b} {t.day}, {t.year}, {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


def _day_part(t: pd.Timestamp) -> str:
    return ("Morning" if t.hour < 12 else "Lunch" if t.hour < 14 else
            "Afternoon" if t.hour < 17 else "Evening")


def _gain_loss(alt: pd.Series) -> tuple[float, float]:
    diff = alt.rolling(6, center=True, min_periods=1).mean().diff()
    return float(diff.clip(lower=0).sum()), float(-diff.clip(upper=0).sum())


def strava_row(s: Session, records: pd.DataFrame | None, activity_id: int) -> list[str]:
    """One row of ``activities.csv`` (empty cells where Strava leaves them empty)."""
    start = s.utc_start if records is None else records["timestamp"].iloc[0]
    values: dict[str, object] = {"id": activity_id, "commute": "false",
                                 "date": _strava_date(start), "name": s.name,
                                 "gear": s.shoe or "", "rpe": s.rpe}
    if s.kind == "strength":
        values.update(type="Weight Training", elapsed=2700, elapsed_f="2700.0",
                      moving="2700.0")
    else:
        elapsed = (records["timestamp"].iloc[-1] - records["timestamp"].iloc[0]).total_seconds()
        moving = float((records["speed_m_s"] > 0.5).sum() * elapsed / len(records))
        gain, loss = _gain_loss(records["altitude_m"])
        dist = float(records["distance_m"].iloc[-1])
        values.update(
            type={"ride": "Ride"}.get(s.kind, "Trail Run" if s.surface == "trail" else "Run"),
            elapsed=int(elapsed), elapsed_f=f"{elapsed:.1f}", moving=f"{moving:.1f}",
            distance_km=f"{dist / 1000:.2f}", distance_m=f"{dist:.1f}", gain=f"{gain:.1f}",
            loss=f"{loss:.1f}", avg_hr=f"{records['heart_rate_bpm'].mean():.1f}",
            max_hr=f"{records['heart_rate_bpm'].max():.1f}", filename=s.file)
    row = [""] * len(STRAVA_HEADER)
    for pos, key in STRAVA_FIELDS.items():
        if values.get(key) is not None:
            row[pos] = str(values[key])
    return row


def _csv_text(rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


LOG_HEADER = ("date", "distance_km", "duration", "elevation_gain", "surface", "shoe", "rpe",
              "notes", "type")


def log_row(s: Session, rng) -> list[object]:
    """A hand-kept log row (docs/activity-log.md): some with the start time, some without."""
    when = s.local_start.strftime("%Y-%m-%d %H:%M" if rng.random() < 0.6 else "%Y-%m-%d")
    if s.kind == "strength":
        return [when, "", f"{int(rng.integers(35, 50))} min", "", "", "", s.rpe,
                "gym: squats, deadlifts, planks", "strength"]
    if s.kind == "ride":
        minutes = s.distance_m / 7.0 / 60
        return [when, f"{s.distance_m / 1000:.1f}", f"{int(minutes)} min", "", "", "", s.rpe,
                "bike path", "ride"]
    minutes = s.distance_m / (RUNNER.easy_speed_m_s * (0.95 if s.kind.startswith("long")
                                                       else 1.0)) / 60
    duration = f"{int(minutes // 60)}:{int(minutes % 60):02d}:{int(minutes * 60 % 60):02d}" \
        if minutes >= 60 else f"{int(minutes)}:{int(minutes * 60 % 60):02d}"
    gain = "" if s.surface == "treadmill" else int(s.distance_m / 1000 * rng.uniform(3, 9))
    notes = {"intervals": "6 x 3 min hard", "treadmill": "snow outside",
             "long_rolling": "hilly loop, felt good"}.get(s.kind, "")
    return [when, f"{s.distance_m / 1000:.1f}", duration, gain, s.surface, s.shoe or "",
            s.rpe, notes, ""]


# --------------------------------------------------------------------------------------------
# Pain diary
# --------------------------------------------------------------------------------------------

def diary_rows(athlete: Athlete, rng, days: pd.DatetimeIndex, flares: list[Flare],
               sessions: list[Session]) -> list[list[object]]:
    """The athlete's pain diary rows (cli-contract.md format).

    Baseline pain is 1-3 (mostly 2); a flare-up adds its values to a baseline of 2. Flare-up
    days and the two days after are always logged; other days with ``athlete.log_share``,
    except a holiday of four days with no entries at all.
    """
    high: dict[pd.Timestamp, tuple[int, Flare, int]] = {}
    for f in flares:
        for i, v in enumerate(f.values):
            high[f.onset + pd.Timedelta(days=i)] = (2 + v, f, i)
    holiday = set(pd.date_range(pd.Timestamp(athlete.start) + pd.Timedelta(days=45),
                                periods=4, freq="D"))
    hard_days = {s.local_start.normalize() for s in sessions
                 if s.kind in ("intervals", "long_rolling", "long_flat", "long_trail")}
    red_flag_day = pd.Timestamp(athlete.start) + pd.Timedelta(days=30) if athlete is BEN \
        else None
    rows: list[list[object]] = []
    for day in days:
        sleep = round(float(np.clip(rng.normal(7.2, 0.6), 4.5, 9.5)) * 4) / 4
        stress = int(np.clip(np.round(rng.normal(3.2, 1.4)), 0, 9))
        care = "" if rng.random() < 0.7 else str(rng.choice(ROUTINE))
        if day in high:
            pain, f, i = high[day]
            care = ";".join(sorted(rng.choice(FLARE_CARE, size=2, replace=False)))
            note = (f"back locked up this morning ({f.cause})" if i == 0
                    and f.cause != "background" else
                    "came on out of nowhere, long day at the desk" if i == 0 else "")
            if f.pain_type == "radiating" and i < 2:
                note = "pain into the right buttock, not below the knee"
            kind = f.pain_type if pain >= 5 else "ache"
            rows.append([day, pain, "lower", kind, "morning", sleep, stress, care, "", note])
            continue
        if day in holiday or rng.random() > athlete.log_share:
            continue
        pain = int(rng.choice([1, 2, 2, 2, 2, 2, 3, 3]))
        if day == red_flag_day:
            rows.append([day, 4, "lower", "ache", "rest", sleep, stress, "heat", "night_pain",
                         "woke at 3 am with back pain, no position eased it"])
            continue
        rows.append([day, pain, "lower", "stiffness" if pain < 3 else "ache", "morning", sleep,
                     stress, care, "", ""])
        if day in hard_days and rng.random() < 0.3:
            rows.append([day, min(pain + 1, 3), "lower", "ache", "after_run", "", "", "", "",
                         "a bit tight after the session"])
    return [[f"{r[0]:%Y-%m-%d}", *r[1:]] for r in rows]


# --------------------------------------------------------------------------------------------
# One athlete's folder
# --------------------------------------------------------------------------------------------

PLANS = {"runner": plan_runner, "ana": plan_ana, "ben": plan_ben}


def write_athlete(athlete: Athlete, out: Path, months: int | None, seed: int) -> dict:
    """Write one athlete's folder; return the planted truth (also written as planted.json).

    The plan, the diary and the files draw from three independent random streams, each
    consumed day by day or session by session, so a season cut by ``months`` gives the same
    files and a diary that is a prefix of the full one.
    """
    plan_rng, diary_rng, rng = (np.random.default_rng(s)
                                for s in np.random.SeedSequence(seed).spawn(3))
    days = season_days(athlete, months)
    sessions, flares = PLANS[athlete.key](plan_rng, days)
    folder = out / athlete.folder
    acts = folder / "activities"
    acts.mkdir(parents=True)
    strava_rows, strava_files, log_rows = [], {}, []
    strava_id = 13_800_000_000 + seed % 1000 * 1000
    for s in sessions:
        s.name = f"{_day_part(s.local_start)} {_label(s)}"
        records = laps = None
        if s.source != "log" and not (s.source == "strava" and s.kind == "strength"):
            records, laps = simulate_records(athlete, s, seed * 1000 + s.index)
        stamp = f"{s.local_start:%Y-%m-%d-%H-%M-%S}"
        if s.source == "fit":
            s.file = f"garmin/{stamp}.fit"
            _write(acts / s.file, fit_bytes(athlete, s, records, laps))
        elif s.source == "tcx_laps":
            s.file = f"garmin_connect/activity_{19_000_000_000 + s.index}.tcx"
            _write(acts / s.file, tcx_bytes(records, laps, device="Forerunner 935"))
        elif s.source == "tcx_treadmill":
            s.file = f"gym/treadmill_{s.local_start:%Y-%m-%d}.tcx"
            _write(acts / s.file, tcx_bytes(records, [], device="Treadmill console"))
        elif s.source in ("gpx", "gpx_gz"):
            sport = {"ride": "cycling"}.get(s.kind, "running")
            data = gpx_bytes(records, name=s.name, sport=sport, creator="Phone running app")
            s.file = f"phone/{stamp}.gpx" + (".gz" if s.source == "gpx_gz" else "")
            _write(acts / s.file, _gz(data) if s.source == "gpx_gz" else data)
        elif s.source == "log":
            s.file = "hand_log.csv"
            log_rows.append(log_row(s, rng))
        if s.source == "strava" or s.also == "strava":
            strava_id += int(rng.integers(20_000, 90_000))
            member = shared = None
            if records is not None:
                member = f"activities/{strava_id}.gpx.gz"
                shared = records.assign(timestamp=records["timestamp"] + pd.Timedelta(
                    seconds=4 if s.also else 0))
                sport = {"ride": "cycling"}.get(s.kind, "running")
                strava_files[member] = _gz(gpx_bytes(shared, name=s.name, sport=sport,
                                                     creator="StravaGPX Android"))
            ref = "strava_export.zip" + (f":{member}" if member else " (activities.csv)")
            if s.source == "strava":
                s.file = ref
            else:
                s.also = ref
            strava_rows.append(strava_row(
                Session(s.index, s.local_start, s.kind, s.distance_m, s.surface, s.source,
                        s.rpe, s.shoe, s.name, member), shared, strava_id))
    if strava_rows:
        csv_bytes = _csv_text([list(STRAVA_HEADER), *strava_rows])
        _write(acts / "strava_export.zip", _zip({"activities.csv": csv_bytes, **strava_files}))
    if log_rows:
        _write(acts / "hand_log.csv", _csv_text([list(LOG_HEADER), *log_rows]))
    _write(folder / "pain_diary.csv",
           _csv_text([list(DIARY_HEADER), *diary_rows(athlete, diary_rng, days, flares,
                                                        sessions)]))
    if athlete.profile:
        _write(folder / "runback.toml", _profile_toml(athlete))
    truth = _truth(athlete, days, sessions, flares)
    _write(folder / "planted.json", (json.dumps(truth, indent=1) + "\n").encode())
    return truth


def _label(s: Session) -> str:
    if s.kind == "ride":
        return "Ride"
    if s.kind == "strength":
        return "Weight Training"
    if s.kind == "treadmill":
        return "Treadmill Run"
    return "Trail Run" if s.surface == "trail" else "Run"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _profile_toml(athlete: Athlete) -> bytes:
    return (f"# Athlete profile read by runback (see src/runback/profile.py)\n[athlete]\n"
            f"hr_max = {athlete.hr_max:g}\nhr_rest = {athlete.hr_rest:g}\n"
            f'sex = "{athlete.sex}"\ntimezone = "{ZONE}"\n').encode()


def _truth(athlete: Athlete, days, sessions: list[Session], flares: list[Flare]) -> dict:
    """What was planted, for the README and the tests."""
    return {
        "athlete": athlete.key,
        "first_day": f"{days[0]:%Y-%m-%d}",
        "last_day": f"{days[-1]:%Y-%m-%d}",
        "timezone": ZONE,
        "trigger": athlete.trigger,
        "n_activities": len(sessions),
        "n_runs": sum(s.kind in RUN_KINDS for s in sessions),
        "flare_onsets": [f"{f.onset:%Y-%m-%d}" for f in flares],
        "flare_causes": [f.cause for f in flares],
        "sessions": [{
            "local_start": f"{s.local_start:%Y-%m-%d %H:%M:%S}",
            "utc_start": _z(s.utc_start),
            "kind": s.kind,
            "surface": s.surface,
            "distance_km": round(s.distance_m / 1000, 2),
            "file": s.file,
            "also": s.also,
        } for s in sessions],
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: ``make_sample_data.py [--out DIR] [--months N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder to write runner/ and team/ into (default: beside this "
                             "script)")
    parser.add_argument("--months", type=int, default=None,
                        help="keep only the first N months of each season")
    args = parser.parse_args(argv)
    for sub in ("runner", "team"):
        shutil.rmtree(args.out / sub, ignore_errors=True)
    for i, athlete in enumerate(ATHLETES):
        truth = write_athlete(athlete, args.out, args.months, SEED + i)
        print(f"{athlete.folder}: {truth['n_activities']} activities, "
              f"{len(truth['flare_onsets'])} flare-ups")


if __name__ == "__main__":
    main()
