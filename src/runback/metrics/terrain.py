"""Terrain of each session: grade, hills, grade-adjusted pace, roughness, turns, gait, surface.

All metrics come from the samples alone (:func:`terrain_metrics`), so an activity with
neither GPS nor altitude gets NaN terrain. A treadmill run may carry a barometric altitude
or running dynamics; its grade is still unknown, so the caller blanks the terrain of
activities whose :func:`surface` is ``"treadmill"`` (docs/methods.md section 3).

Grade. Altitude is interpolated against the cumulative horizontal distance of the
activity (:class:`~runback.metrics.track.Track`: the record distance, else the GPS track)
on a 10 m grid. The grade of each 10 m interval is the altitude change over a centred
50 m window divided by its length (the window is cut at the ends of the activity),
clipped to +-0.45. An interval covered slower than 0.5 m/s (a pause inside it) has no
grade and counts neither as distance nor as time on a slope. Grade thresholds are
inclusive (a steady 5 % climb counts as "above 5 %"); the 50 m window and the 5 % and
10 % thresholds are [unverified] defaults.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from runback.io.base import normalize_sport
from runback.metrics.track import MIN_SPEED_M_S, Track, prepare_track

__all__ = [
    "SURFACES",
    "TERRAIN_COLUMNS",
    "minetti_cost",
    "surface",
    "surfaces",
    "terrain_from_track",
    "terrain_metrics",
]

#: Resampling step of the grade grid [m].
GRID_M = 10.0
#: Centred window over which grade is measured [m] [unverified].
GRADE_WINDOW_M = 50.0
#: Grades are clipped to +-MAX_GRADE (the range of Minetti's measurements) [1].
MAX_GRADE = 0.45
#: Moving-median window of the roughness detrend [m].
DETREND_M = 200.0
#: Resampling step of the heading-change rate [m].
HEADING_STEP_M = 20.0
#: A steady sample's speed lies within this fraction of the median moving speed [1]
#: [unverified].
STEADY_TOLERANCE = 0.10
#: Fewest steady values a gait channel needs for its coefficient of variation [unverified].
MIN_GAIT_VALUES = 30
#: Running-dynamics channels of the gait variability, in samples-table names.
GAIT_CHANNELS = ("cadence_spm", "step_length_mm", "vertical_oscillation_mm", "stance_time_ms")

#: Columns of :func:`terrain_metrics`.
TERRAIN_COLUMNS = (
    "climb_m_per_km", "descent_m_per_km", "uphill_5_m", "uphill_5_s", "downhill_5_m",
    "downhill_5_s", "downhill_10_m", "downhill_10_s", "gap_s_per_km", "roughness_m",
    "heading_change_deg_per_100m", "gait_cv",
)

#: Grade bands: column stem -> (lower bound, upper bound) of grade, inclusive [1].
_BANDS = {
    "uphill_5": (0.05, np.inf),
    "downhill_5": (-np.inf, -0.05),
    "downhill_10": (-np.inf, -0.10),
}
_GRADE_TOL = 1e-9

#: Surfaces :func:`surface` returns.
SURFACES = ("road", "trail", "track", "treadmill", "unknown")

#: FIT sub_sport (and the same words in GPX/TCX/CSV types) -> surface.
SUB_SPORT_SURFACE = {
    "treadmill": "treadmill",
    "indoor_running": "treadmill",
    "virtual_activity": "treadmill",
    "indoor_walking": "treadmill",
    "street": "road",
    "road": "road",
    "trail": "trail",
    "mixed_surface": "trail",
    "mountain": "trail",
    "track": "track",
    "indoor_track": "track",
}

#: Sports whose activities can be on a treadmill.
_FOOT_SPORTS = frozenset({"running", "walking", "hiking"})


def minetti_cost(grade):
    """Energy cost of running on a slope.

    Parameters
    ----------
    grade : float or array_like
        Grade, rise over horizontal run, valid in [-0.45, 0.45]. [1]

    Returns
    -------
    float or ndarray
        Cost of running. [J/kg/m]; 3.6 on the flat.

    References
    ----------
    Minetti, A. E., Moia, C., Roi, G. S., Susta, D., & Ferretti, G. (2002). Energy cost of
    walking and running at extreme uphill and downhill slopes. J Appl Physiol 93, 1039-1046.
    """
    i = np.asarray(grade, dtype="float64")
    return ((((155.4 * i - 30.4) * i - 43.3) * i + 46.3) * i + 19.5) * i + 3.6


def terrain_metrics(samples: pd.DataFrame, **track_options) -> pd.DataFrame:
    """Terrain metrics of every activity in ``samples``.

    Parameters
    ----------
    samples : DataFrame
        Canonical ``samples`` table, one or many activities, rows in any order.
    **track_options
        Passed to :func:`runback.metrics.track.prepare_track`.

    Returns
    -------
    DataFrame
        Indexed by ``activity_id``, columns :data:`TERRAIN_COLUMNS`
        (see :func:`terrain_from_track`).
    """
    return terrain_from_track(prepare_track(samples, **track_options))


def terrain_from_track(track: Track, *, min_speed_m_s: float = MIN_SPEED_M_S) -> pd.DataFrame:
    """Terrain metrics of a prepared track.

    Parameters
    ----------
    track : Track
        From :func:`runback.metrics.track.prepare_track`.
    min_speed_m_s : float
        A 10 m interval covered more slowly has no grade. [m/s]

    Returns
    -------
    DataFrame
        Indexed by ``activity_id``:

        climb_m_per_km, descent_m_per_km : hysteresis gain and loss per km. [m/km]
        uphill_5_m, uphill_5_s : distance and time at grade >= +5 %. [m], [s]
        downhill_5_m, downhill_5_s : at grade <= -5 %. [m], [s]
        downhill_10_m, downhill_10_s : at grade <= -10 %. [m], [s]
        gap_s_per_km : grade-adjusted pace, the moving time over the flat-equivalent
            distance sum(10 m * Cr(grade) / 3.6) of the graded intervals. [s/km]
        roughness_m : SD of the 10 m-grid altitude minus its 200 m centred moving median
            (needs 200 m of altitude). [m]
        heading_change_deg_per_100m : sum of |change of bearing| between successive 20 m
            steps along the GPS track, per 100 m. [deg/100 m]
        gait_cv : mean over the running-dynamics channels present (cadence, step length,
            vertical oscillation, stance time) of their coefficient of variation over the
            steady samples: moving, with a speed within 10 % of the activity's median
            moving speed, at least 30 values. [1]

    References
    ----------
    Minetti et al. (2002), J Appl Physiol 93, 1039 (grade-adjusted pace);
    Voloshina & Ferris (2015), J Exp Biol 218, 711 (gait variability on uneven terrain).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        km = np.where(track.distance_m > 0, track.distance_m / 1000.0, np.nan)
        out = {"climb_m_per_km": track.gain_m / km, "descent_m_per_km": track.loss_m / km}
    out.update(_grade_metrics(track, min_speed_m_s))
    out["heading_change_deg_per_100m"] = _heading_change(track)
    out["gait_cv"] = _gait_cv(track)
    frame = pd.DataFrame(out, index=track.ids)
    return frame.loc[:, list(TERRAIN_COLUMNS)].astype("float64")


def _offsets(length: np.ndarray) -> np.ndarray:
    """Start of each activity on one global axis with a margin between activities."""
    span = np.nan_to_num(length) + 10 * DETREND_M
    return np.concatenate([[0.0], np.cumsum(span)[:-1]]) if len(span) else span


def _first_last(values: np.ndarray, g: np.ndarray, n_groups: int):
    """First and last of ``values`` per activity (rows in activity order), NaN if none."""
    first = np.full(n_groups, np.nan)
    last = np.full(n_groups, np.nan)
    first[g[::-1]] = values[::-1]
    last[g] = values
    return first, last


def _grade_metrics(track: Track, min_speed_m_s: float) -> dict[str, np.ndarray]:
    n_groups = track.n_groups
    gid = track.gid
    known = track.x_known
    lo, hi = _first_last(track.x_m[known], gid[known], n_groups)
    off = _offsets(hi - lo)
    rel = track.x_m - lo[gid]
    # time against distance (every row with a measured distance), on one global axis
    TX = rel[known] + off[gid[known]]
    TT = track.t_s[known]
    alt = track.alt_m
    use = known & ~np.isnan(alt)
    g = gid[use]
    X = rel[use] + off[g]
    z = alt[use]
    has_alt = np.bincount(g, minlength=n_groups) >= 2
    alo, ahi = _first_last(rel[use], g, n_groups)
    length = np.where(has_alt, ahi - alo, 0.0)

    # 10 m intervals of every activity, from its first altitude on
    n_int = np.floor(length / GRID_M + 1e-9).astype(int)
    ig = np.repeat(np.arange(n_groups), n_int)
    k = np.arange(len(ig)) - np.repeat(np.cumsum(n_int) - n_int, n_int)
    e0 = alo[ig] + k * GRID_M
    mid = e0 + GRID_M / 2
    half = GRADE_WINDOW_M / 2
    a = np.maximum(mid - half, alo[ig])
    b = np.minimum(mid + half, ahi[ig])
    base = off[ig]
    res: dict[str, np.ndarray] = {}
    if len(ig):
        za = np.interp(a + base, X, z)
        zb = np.interp(b + base, X, z)
        dt = np.interp(e0 + GRID_M + base, TX, TT) - np.interp(e0 + base, TX, TT)
    else:
        za = zb = dt = np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        grade = np.clip((zb - za) / (b - a), -MAX_GRADE, MAX_GRADE)
        slow = ~(GRID_M / dt >= min_speed_m_s) | ~(dt > 0)
    grade = np.where(slow, np.nan, grade)
    graded = ~np.isnan(grade)
    for stem, (gmin, gmax) in _BANDS.items():
        with np.errstate(invalid="ignore"):
            inside = graded & (grade >= gmin - _GRADE_TOL) & (grade <= gmax + _GRADE_TOL)
        res[f"{stem}_m"] = np.bincount(ig, weights=inside * GRID_M, minlength=n_groups)
        res[f"{stem}_s"] = np.bincount(ig, weights=np.where(inside, dt, 0.0),
                                       minlength=n_groups)
    flat_m = np.bincount(ig, weights=np.where(
        graded, GRID_M * minetti_cost(np.nan_to_num(grade)) / 3.6, 0.0), minlength=n_groups)
    graded_s = np.bincount(ig, weights=np.where(graded, dt, 0.0), minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        res["gap_s_per_km"] = np.where(flat_m > 0, graded_s / (flat_m / 1000.0), np.nan)
    for key in res:
        res[key] = np.where(has_alt, res[key], np.nan)
    res["roughness_m"] = _roughness(n_groups, length, has_alt, alo + off, X, z)
    return res


def _roughness(n_groups, length, has_alt, start, X, z) -> np.ndarray:
    """SD of the grid altitude about its centred moving median, per activity."""
    n_pts = np.where(has_alt, np.floor(length / GRID_M + 1e-9).astype(int) + 1, 0)
    half = int(round(DETREND_M / GRID_M / 2))
    window = 2 * half + 1
    pad = half
    pg = np.repeat(np.arange(n_groups), n_pts)
    k = np.arange(len(pg)) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    zg = np.interp(k * GRID_M + start[pg], X, z) if len(pg) else np.zeros(0)
    # lay the activities end to end with `pad` blanks between them so windows never mix
    slot = np.arange(len(pg)) + pg * pad
    series = np.full(len(pg) + n_groups * pad, np.nan)
    series[slot] = zg
    # a residual only where the full 200 m window lies inside the activity
    med = pd.Series(series).rolling(window, center=True, min_periods=window).median()
    resid = zg - med.to_numpy()[slot]
    ok = ~np.isnan(resid)
    cnt = np.bincount(pg[ok], minlength=n_groups)
    s1 = np.bincount(pg[ok], weights=resid[ok], minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / cnt
        ss = np.bincount(pg[ok], weights=(resid[ok] - mean[pg[ok]]) ** 2, minlength=n_groups)
        sd = np.sqrt(ss / (cnt - 1))
    return np.where(cnt >= 2, sd, np.nan)


def _heading_change(track: Track) -> np.ndarray:
    """Sum of |bearing change| between 20 m steps of the GPS track, per 100 m."""
    n_groups = track.n_groups
    fix = ~np.isnan(track.lat_deg)
    g = track.gid[fix]
    step = np.nan_to_num(track.gps_step_m)
    cum = np.cumsum(np.where(fix, step, 0.0))[fix]
    lo, hi = _first_last(cum, g, n_groups)
    length = np.nan_to_num(hi - lo)
    off = _offsets(length)
    S = cum - lo[g] + off[g]
    n_pts = np.floor(length / HEADING_STEP_M + 1e-9).astype(int) + 1
    n_pts = np.where(length > 0, n_pts, 0)
    pg = np.repeat(np.arange(n_groups), n_pts)
    k = np.arange(len(pg)) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    s = k * HEADING_STEP_M + off[pg]
    lat = np.radians(np.interp(s, S, track.lat_deg[fix])) if len(pg) else np.zeros(0)
    lon = np.radians(np.interp(s, S, track.lon_deg[fix])) if len(pg) else np.zeros(0)
    same = pg[1:] == pg[:-1]
    dlon = lon[1:] - lon[:-1]
    brg = np.degrees(np.arctan2(np.sin(dlon) * np.cos(lat[1:]),
                                np.cos(lat[:-1]) * np.sin(lat[1:])
                                - np.sin(lat[:-1]) * np.cos(lat[1:]) * np.cos(dlon)))
    turn_ok = same[1:] & same[:-1]
    turn = np.abs((brg[1:] - brg[:-1] + 180.0) % 360.0 - 180.0)
    tg = pg[2:]
    total = np.bincount(tg[turn_ok], weights=turn[turn_ok], minlength=n_groups)
    steps = np.bincount(pg[1:][same], minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = total / (steps * HEADING_STEP_M / 100.0)
    return np.where(steps >= 2, rate, np.nan)


def _gait_cv(track: Track) -> np.ndarray:
    """Mean coefficient of variation of the running-dynamics channels over steady samples."""
    n_groups = track.n_groups
    gid = track.gid
    speed = np.where(track.moving, track.speed_m_s, np.nan)
    med = pd.Series(speed).groupby(gid).median().reindex(range(n_groups)).to_numpy()
    with np.errstate(invalid="ignore"):
        steady = track.moving & (np.abs(speed - med[gid]) <= STEADY_TOLERANCE * med[gid])
    cvs = []
    for name in GAIT_CHANNELS:
        v = track.channel(name)
        ok = steady & (v > 0)
        cnt = np.bincount(gid[ok], minlength=n_groups)
        s1 = np.bincount(gid[ok], weights=v[ok], minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = s1 / cnt
            ss = np.bincount(gid[ok], weights=(v[ok] - mean[gid[ok]]) ** 2, minlength=n_groups)
            cv = np.sqrt(ss / (cnt - 1)) / mean
        cvs.append(np.where(cnt >= MIN_GAIT_VALUES, cv, np.nan))
    stack = np.vstack(cvs)
    n_ok = (~np.isnan(stack)).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_ok > 0, np.nansum(stack, axis=0) / n_ok, np.nan)


def surface(sport, sub_sport, has_gps, name=None, *, distance_m=None) -> str:
    """The surface an activity was on: road, trail, track, treadmill or unknown.

    Parameters
    ----------
    sport : str or None
        runback sport (``running``, ``walking``, ...).
    sub_sport : str or None
        FIT sub_sport or the file's activity type: ``treadmill``, ``indoor_running`` and
        ``virtual_activity`` give treadmill, ``street`` road, ``trail`` and
        ``mixed_surface`` trail, ``track`` track (:data:`SUB_SPORT_SURFACE`); other words
        ("Trail Run", "VirtualRun") go through :func:`runback.io.base.normalize_sport`.
    has_gps : bool
        The activity has a GPS track.
    name : str, optional
        Activity name; its words ("treadmill", "trail", "track") are used when the
        sub_sport says nothing.
    distance_m : float, optional
        Distance of the activity. [m]

    Returns
    -------
    str
        One of :data:`SURFACES`.

    Notes
    -----
    Inference: a running, walking or hiking activity without GPS that covered distance
    (``distance_m`` > 0, or not given) is taken as a treadmill run, its distance coming
    from a foot pod or the wrist accelerometer. A GPS activity the files say nothing about
    is ``unknown``, not road.
    """
    for text in (sub_sport, name):
        found = _surface_word(text)
        if found is not None:
            return found
    moved = distance_m is None or (pd.notna(distance_m) and distance_m > 0)
    if not _true(has_gps) and moved and str(sport).lower() in _FOOT_SPORTS:
        return "treadmill"
    return "unknown"


def surfaces(activities: pd.DataFrame) -> pd.Series:
    """:func:`surface` of every row of an ``activities`` frame.

    Uses the columns ``sport``, ``sub_sport``, ``has_gps``, ``name`` and ``distance_m``
    where present (a missing column counts as unknown; a missing ``has_gps`` as no GPS).
    Each distinct combination is classified once.

    Returns
    -------
    Series
        Surface per row, string dtype, same index as ``activities``.
    """
    def column(name):
        if name in activities.columns:
            return activities[name].astype("object").where(activities[name].notna(), None)
        return pd.Series(None, index=activities.index, dtype="object")

    moved = column("distance_m").map(lambda d: None if d is None else float(d) > 0)
    keys = zip(column("sport"), column("sub_sport"), column("has_gps").map(_true),
               column("name"), moved, strict=True)
    memo: dict[tuple, str] = {}
    out = []
    for key in keys:
        if key not in memo:
            sport, sub, gps, name, m = key
            memo[key] = surface(sport, sub, gps, name,
                                distance_m=None if m is None else float(m))
        out.append(memo[key])
    return pd.Series(out, index=activities.index, dtype="string", name="surface")


def _true(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) \
        and value is not pd.NA and bool(value)


def _surface_word(text) -> str | None:
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return None
    t = str(text).strip().lower()
    key = re.sub(r"[\s-]+", "_", t)
    if key in SUB_SPORT_SURFACE:
        return SUB_SPORT_SURFACE[key]
    _, implied = normalize_sport(t)
    if implied in SUB_SPORT_SURFACE:
        return SUB_SPORT_SURFACE[implied]
    if re.search(r"\b(road|street)\b", t):
        return "road"
    return None
