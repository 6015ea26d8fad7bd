"""Heart-rate intensity and session load.

The heart-rate histogram (seconds at each integer bpm, per activity) does not depend on
the athlete profile, so it is computed once at import and cached. TRIMP and zone times
are exact functions of the histogram for any profile, so a changed HR max or HR rest never
requires reading the files again.

Session load follows docs/methods.md section 1: Banister TRIMP when the session has heart
rate, else session RPE, else an rTSS-like score, else the distance in km. The four are on
different scales; ``load_method`` says which one each row used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from runback.metrics.track import MAX_HR_BPM, PAUSE_S, timeline
from runback.profile import AthleteProfile

__all__ = [
    "HR_BINS",
    "ZONES",
    "LOAD_METHODS",
    "hr_histogram",
    "hr_reserve",
    "banister_trimp",
    "edwards_trimp",
    "zone_times",
    "session_load",
]

#: Histogram columns: integer heart rates [1/min].
HR_BINS = np.arange(0, int(MAX_HR_BPM) + 1)

#: Edwards zones: column -> (lower, upper) fraction of HR max and weight. The top zone
#: also holds heart rates above HR max.
ZONES = {
    "hr_z1_s": (0.5, 0.6, 1),
    "hr_z2_s": (0.6, 0.7, 2),
    "hr_z3_s": (0.7, 0.8, 3),
    "hr_z4_s": (0.8, 0.9, 4),
    "hr_z5_s": (0.9, np.inf, 5),
}
#: Zones that count as high intensity.
HI_ZONES = ("hr_z4_s", "hr_z5_s")
#: Banister TRIMP constant (Morton, Fitz-Clarke & Banister 1990).
BANISTER_A = 0.64
#: Load methods in order of preference.
LOAD_METHODS = ("trimp", "srpe", "rtss", "distance")
#: Heart-rate time must cover this share of the moving time for TRIMP to be the load
#: [unverified]: a strap that drops out after minutes would understate the session.
MIN_HR_COVERAGE = 0.5
#: A load method is the athlete's scale when it is known for at least this share of the
#: sessions whose load is known at all [unverified].
MIN_SCALE_SHARE = 0.5
#: Sports whose speed the running threshold pace applies to.
_RTSS_SPORTS = frozenset({"running"})


def hr_histogram(samples: pd.DataFrame, *, pause_s: float = PAUSE_S) -> pd.DataFrame:
    """Seconds at each integer heart rate, per activity.

    Each sample's heart rate, rounded to a whole bpm, holds for the gap to the next
    sample of the activity capped at ``pause_s`` (the last sample holds 0 s). Heart rates
    outside (0, 250] bpm are ignored.

    Parameters
    ----------
    samples : DataFrame
        Canonical ``samples`` table, one or many activities, rows in any order.
    pause_s : float
        Cap of the time one sample holds. [s]

    Returns
    -------
    DataFrame
        Index ``activity_id`` (every activity in ``samples``), columns the integer bpm
        0..250 (name ``bpm``), values seconds. [s]
    """
    track = timeline(samples, pause_s=pause_s)
    hr = np.rint(track.channel("heart_rate_bpm"))
    ok = (hr > 0) & (hr <= MAX_HR_BPM)
    n_bins = len(HR_BINS)
    flat = track.gid[ok] * n_bins + hr[ok].astype(np.int64)
    secs = np.bincount(flat, weights=track.hold_s[ok], minlength=track.n_groups * n_bins)
    return pd.DataFrame(secs.reshape(track.n_groups, n_bins), index=track.ids,
                        columns=pd.Index(HR_BINS, name="bpm"))


def hr_reserve(bpm: ArrayLike, profile: AthleteProfile) -> np.ndarray:
    """Fraction of heart-rate reserve, clipped to [0, 1].

    Parameters
    ----------
    bpm : float or array_like
        Heart rate. [1/min]
    profile : AthleteProfile
        Needs ``hr_max`` and ``hr_rest``.

    Returns
    -------
    float or ndarray
        (HR - HRrest) / (HRmax - HRrest), NaN when the profile lacks either. [1]
    """
    bpm = np.asarray(bpm, dtype="float64")
    if profile.hr_max is None or profile.hr_rest is None:
        return np.full(bpm.shape, np.nan)
    return np.clip((bpm - profile.hr_rest) / (profile.hr_max - profile.hr_rest), 0.0, 1.0)


def banister_trimp(hist: pd.DataFrame, profile: AthleteProfile) -> pd.Series:
    """Banister training impulse of each activity.

    TRIMP = sum over time of dt[min] * HRr * 0.64 * exp(b * HRr), with HRr the fraction of
    heart-rate reserve (:func:`hr_reserve`) and b = 1.92 for men, 1.67 for women (1.92
    when the sex is unknown, see :attr:`AthleteProfile.banister_b`). Summed per sample, not
    from the average heart rate, so intervals weigh as they should.

    Parameters
    ----------
    hist : DataFrame
        :func:`hr_histogram`. [s]
    profile : AthleteProfile
        Needs ``hr_max`` and ``hr_rest`` (see :func:`runback.profile.with_estimates`).

    Returns
    -------
    Series
        TRIMP per activity, NaN without heart rate or without HR max/rest. [AU]

    References
    ----------
    Morton, R. H., Fitz-Clarke, J. R., & Banister, E. W. (1990). Modeling human performance
    in running. J Appl Physiol 69, 1171-1177. GoldenCheetah, TRIMPPoints.
    """
    bpm = _bpm(hist)
    hrr = hr_reserve(bpm, profile)
    weight = hrr * BANISTER_A * np.exp(profile.banister_b * hrr)
    return _weighted_minutes(hist, weight, "trimp")


def edwards_trimp(hist: pd.DataFrame, profile: AthleteProfile) -> pd.Series:
    """Edwards training impulse: minutes in the five HR-max zones weighted 1 to 5.

    Zones are 50-60, 60-70, 70-80, 80-90 and >= 90 % of HR max (lower bound inclusive);
    time below 50 % counts 0.

    Parameters
    ----------
    hist : DataFrame
        :func:`hr_histogram`. [s]
    profile : AthleteProfile
        Needs ``hr_max``.

    Returns
    -------
    Series
        Edwards TRIMP per activity, NaN without heart rate or HR max. [AU]

    References
    ----------
    Edwards, S. (1993). The Heart Rate Monitor Book. Sacramento: Fleet Feet Press.
    """
    if profile.hr_max is None:
        weight = np.full(hist.shape[1], np.nan)
    else:
        weight = np.asarray(sum(w * _zone_mask(_bpm(hist), profile, name)
                                for name, (_, _, w) in ZONES.items()))
    return _weighted_minutes(hist, weight, "trimp_edwards")


def zone_times(hist: pd.DataFrame, profile: AthleteProfile) -> pd.DataFrame:
    """Time in each Edwards heart-rate zone.

    Parameters
    ----------
    hist : DataFrame
        :func:`hr_histogram`. [s]
    profile : AthleteProfile
        Needs ``hr_max``.

    Returns
    -------
    DataFrame
        Same index as ``hist``: hr_z1_s .. hr_z5_s (see :data:`ZONES`) and hi_intensity_s
        (zones 4 and 5); NaN without heart rate or HR max. [s]
    """
    bpm = _bpm(hist)
    has_hr = hist.sum(axis=1).to_numpy() > 0
    out = {}
    for name in ZONES:
        if profile.hr_max is None:
            secs = np.full(len(hist), np.nan)
        else:
            secs = hist.to_numpy(dtype="float64") @ _zone_mask(bpm, profile, name)
        out[name] = np.where(has_hr, secs, np.nan)
    frame = pd.DataFrame(out, index=hist.index)
    frame["hi_intensity_s"] = frame[list(HI_ZONES)].sum(axis=1, min_count=1)
    return frame


def session_load(activities: pd.DataFrame, hist: pd.DataFrame,
                 profile: AthleteProfile, *,
                 min_hr_coverage: float = MIN_HR_COVERAGE) -> pd.DataFrame:
    """Add TRIMP, zone times, session RPE and the session load to every activity.

    Parameters
    ----------
    activities : DataFrame
        ``activities`` table; activities are matched to ``hist`` rows by the
        ``activity_id`` column (or the index when there is no such column). Uses
        ``moving_time_s`` (else ``elapsed_time_s``), ``rpe``, ``distance_m``, ``sport``
        and ``gap_s_per_km`` where present.
    hist : DataFrame
        :func:`hr_histogram` of the activities' samples; activities absent from it have no
        heart rate. [s]
    profile : AthleteProfile
        With HR max and rest (see :func:`runback.profile.with_estimates`) and optionally a
        threshold pace.
    min_hr_coverage : float
        TRIMP is the load only when the heart-rate time covers at least this share of the
        moving time. [1]

    Returns
    -------
    DataFrame
        A copy of ``activities`` with trimp, trimp_edwards, hr_z1_s..hr_z5_s,
        hi_intensity_s, srpe [AU] (CR-10 RPE x moving minutes), load [AU] and load_method
        (``trimp``, ``srpe``, ``rtss``, ``distance``, or missing when nothing is known).

    Notes
    -----
    The rTSS-like score is hours x (v / v_threshold)^2 x 100 with v the session's
    grade-adjusted speed (1000 / gap_s_per_km) or, without it, the mean moving speed. It
    departs from docs/methods.md section 1, which asks for the normalised graded speed
    (4th-power mean of 30 s rolling speeds): that needs the samples, which this function
    does not take, and the mean speed understates variable-pace sessions. It is used only
    for running and only when the profile has a threshold pace.

    References
    ----------
    Foster, C. et al. (2001). A new approach to monitoring exercise training. J Strength
    Cond Res 15, 109-115 (session RPE).
    """
    out = activities.copy()
    ids = out["activity_id"] if "activity_id" in out.columns else out.index.to_series()
    h = hist.set_axis(hist.index.astype("string"), axis=0)
    h = h.reindex(pd.Index(ids.astype("string")), fill_value=0.0)

    trimp = banister_trimp(h, profile).to_numpy()
    out["trimp"] = trimp
    out["trimp_edwards"] = edwards_trimp(h, profile).to_numpy()
    zones = zone_times(h, profile)
    for name in zones.columns:
        out[name] = zones[name].to_numpy()

    def num(name: str) -> np.ndarray:
        if name not in out.columns:
            return np.full(len(out), np.nan)
        return pd.to_numeric(out[name], errors="coerce").to_numpy(dtype="float64",
                                                                   na_value=np.nan)

    moving = num("moving_time_s")
    moving = np.where(np.isnan(moving), num("elapsed_time_s"), moving)
    srpe = num("rpe") * moving / 60.0
    out["srpe"] = srpe

    hr_s = h.to_numpy(dtype="float64").sum(axis=1)
    no_hr = ~(hr_s > 0)
    # missing heart rate is missing, never 0 s of hard running or a TRIMP of 0
    for name in ("trimp", "trimp_edwards", *zones.columns):
        out[name] = np.where(no_hr, np.nan, out[name].to_numpy(dtype="float64"))
    trimp = np.where(no_hr, np.nan, trimp)
    with np.errstate(invalid="ignore"):
        covered = np.isnan(moving) | (hr_s >= min_hr_coverage * moving)
    candidates = {
        "trimp": np.where(np.isfinite(trimp) & (hr_s > 0) & covered, trimp, np.nan),
        "srpe": srpe,
        "rtss": _rtss(num("distance_m"), moving, num("gap_s_per_km"), out, profile),
        "distance": num("distance_m") / 1000.0,
    }
    load, method = one_scale(candidates, moving)
    out["load"] = load
    out["load_method"] = pd.Series(method, index=out.index, dtype="string").replace("", pd.NA)
    return out


def one_scale(candidates: dict[str, np.ndarray], minutes_s: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Every session's load on one scale: the athlete's preferred, well-covered method.

    TRIMP, session RPE, rTSS-like and kilometres are different units and are never summed.
    The first method of :data:`LOAD_METHODS` known for at least :data:`MIN_SCALE_SHARE` of
    the sessions is the athlete's scale (else the one known for the most). A session
    without it is calibrated from the next method it has: its value times the median ratio
    of the two over the sessions that have both (at least 3); failing that, from its moving
    time at the median load per minute. ``method`` names the scale,
    with ``" (from <other>)"`` for a calibrated session; empty when nothing is known.

    Parameters
    ----------
    candidates : dict
        Method -> array of loads (NaN where unknown), in preference order.
    minutes_s : ndarray
        Moving time [s], for the last-resort calibration.
    """
    n = len(minutes_s)
    counts = {m: int(np.isfinite(v).sum()) for m, v in candidates.items()}
    known = int(np.any([np.isfinite(v) for v in candidates.values()], axis=0).sum())
    if not known:
        return np.full(n, np.nan), np.full(n, "", dtype=object)
    order = list(candidates)
    enough = [m for m in order if counts[m] >= MIN_SCALE_SHARE * known]
    primary = enough[0] if enough else max(order, key=lambda m: (counts[m], -order.index(m)))
    load = np.array(candidates[primary], dtype=float)
    method = np.where(np.isfinite(load), primary, "").astype(object)
    for other in order:
        if other == primary:
            continue
        both = np.isfinite(candidates[primary]) & np.isfinite(candidates[other]) & (
            candidates[other] > 0)
        todo = ~np.isfinite(load) & np.isfinite(candidates[other])
        if both.sum() < 3 or not todo.any():
            continue
        ratio = float(np.median(candidates[primary][both] / candidates[other][both]))
        load[todo] = candidates[other][todo] * ratio
        method[todo] = f"{primary} (from {other})"
    with np.errstate(invalid="ignore", divide="ignore"):
        per_min = candidates[primary] / (minutes_s / 60.0)
    ok = np.isfinite(per_min) & (minutes_s > 0)
    todo = ~np.isfinite(load) & np.isfinite(minutes_s) & (minutes_s > 0)
    if ok.sum() >= 3 and todo.any():
        load[todo] = float(np.median(per_min[ok])) * minutes_s[todo] / 60.0
        method[todo] = f"{primary} (from moving time)"
    return load, method


def _rtss(distance_m: np.ndarray, moving_s: np.ndarray, gap_s_per_km: np.ndarray,
          activities: pd.DataFrame, profile: AthleteProfile) -> np.ndarray:
    v_thr = profile.threshold_speed_m_s
    if v_thr is None:
        return np.full(len(activities), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(gap_s_per_km > 0, 1000.0 / gap_s_per_km, distance_m / moving_s)
        score = moving_s / 3600.0 * (v / v_thr) ** 2 * 100.0
    if "sport" in activities.columns:
        sports = activities["sport"].astype("string").str.lower().isin(_RTSS_SPORTS)
        runs = sports.fillna(False).to_numpy(dtype=bool)
    else:
        runs = np.zeros(len(activities), dtype=bool)
    return np.where(runs & (moving_s > 0), score, np.nan)


def _bpm(hist: pd.DataFrame) -> np.ndarray:
    return np.asarray(hist.columns, dtype="float64")


def _zone_mask(bpm: np.ndarray, profile: AthleteProfile, name: str) -> np.ndarray:
    lo, hi, _ = ZONES[name]
    if profile.hr_max is None:
        return np.zeros(len(bpm))
    frac = bpm / profile.hr_max
    return ((frac >= lo) & (frac < hi)).astype("float64")


def _weighted_minutes(hist: pd.DataFrame, weight: np.ndarray, name: str) -> pd.Series:
    secs = hist.to_numpy(dtype="float64")
    has_hr = secs.sum(axis=1) > 0
    with np.errstate(invalid="ignore"):
        value = secs @ np.nan_to_num(weight) / 60.0
    ok = has_hr & bool(np.isfinite(weight).all())
    return pd.Series(np.where(ok, value, np.nan), index=hist.index, name=name)
