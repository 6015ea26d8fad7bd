"""The record stream of many activities as arrays: order, intervals, GPS, distance, climb.

:func:`prepare_track` turns a ``samples`` table into a :class:`Track`: rows sorted by
activity and time, the intervals between samples, clean GPS fixes (spikes dropped),
accepted distance, moving intervals and elevation gain and loss. Both the session summary
(:mod:`runback.metrics.session`) and the terrain metrics (:mod:`runback.metrics.terrain`)
build on it; the rules are those of :mod:`runback.metrics.session`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "EARTH_RADIUS_M",
    "HYSTERESIS_M",
    "MAX_GAP_S",
    "MAX_HR_BPM",
    "MAX_SPEED_M_S",
    "MIN_SPEED_M_S",
    "PAUSE_S",
    "Timeline",
    "Track",
    "haversine_m",
    "hysteresis_gain_loss",
    "prepare_track",
    "timeline",
]

#: Mean Earth radius (IUGG) [m].
EARTH_RADIUS_M = 6_371_008.8
#: Slowest speed that counts as moving [m/s].
MIN_SPEED_M_S = 0.5
#: Longest gap between two samples treated as continuous recording [s] [unverified].
PAUSE_S = 30.0
#: Longest gap counted in elapsed time; longer gaps are clock jumps or separate recordings [s].
MAX_GAP_S = 3600.0
#: Fastest plausible speed between two GPS fixes or two distance values [m/s].
MAX_SPEED_M_S = 50.0
#: Elevation hysteresis [m] (GoldenCheetah's default).
HYSTERESIS_M = 3.0
#: Heart rates outside (0, MAX_HR_BPM] are sensor dropouts or garbage [1/min].
MAX_HR_BPM = 250.0

#: Samples in the moving median an altitude is checked against.
ALT_WINDOW = 15
#: Largest distance of an altitude from that median before it is a spike [m] [unverified].
ALT_SPIKE_M = 25.0

_SPIKE_PASSES = 3


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance between two points on a spherical Earth.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float or array_like
        WGS84 latitudes and longitudes. [deg]

    Returns
    -------
    float or ndarray
        Distance, NaN where any coordinate is NaN. [m]

    References
    ----------
    Sinnott, R. W. (1984). Virtues of the haversine. Sky and Telescope 68(2), 159.
    """
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype="float64")) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class Timeline:
    """The samples of many activities put in time order, as row arrays.

    Rows are the samples with a timestamp, sorted by activity then time (ties by the
    cumulative distance, then input order). Per-row arrays have one value per sorted row;
    per-activity arrays one value per activity, in the order of ``ids``.

    Attributes
    ----------
    ids : Index
        Activity ids, sorted, one per activity (including activities without timestamps).
    source : DataFrame
        The samples as given.
    order : ndarray of int
        Position in ``source`` of each sorted row.
    gid : ndarray of int
        Activity number of each row (non-decreasing).
    t_s, dt_s : ndarray
        Time since the epoch; time since the previous row of the activity (NaN first). [s]
    hold_s : ndarray
        Gap to the next row of the activity capped at ``pause_s`` (0 last). [s]
    n_samples : ndarray of int
        Rows of each activity, including rows without a timestamp.
    """

    ids: pd.Index
    source: pd.DataFrame
    order: np.ndarray
    gid: np.ndarray
    t_s: np.ndarray
    dt_s: np.ndarray
    hold_s: np.ndarray
    n_samples: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of activities."""
        return len(self.ids)

    def channel(self, name: str) -> np.ndarray:
        """A channel of the sorted rows as float64 (all NaN when the column is absent)."""
        return _numeric(self.source, name)[self.order]

    def group_sum(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Per-activity sum of ``values`` over the rows in ``mask`` (NaN counts as 0)."""
        w = np.where(np.isnan(values), 0.0, values)
        if mask is not None:
            w = np.where(mask, w, 0.0)
        return np.bincount(self.gid, weights=w, minlength=self.n_groups)


@dataclass(frozen=True)
class Track(Timeline):
    """A :class:`Timeline` with cleaned positions, distance, speed and elevation.

    Attributes
    ----------
    alt_m : ndarray
        Altitude with spikes set to NaN (see the module rules). [m]
    lat_deg, lon_deg : ndarray
        GPS fixes with invalid fixes and spikes set to NaN. [deg]
    gps_step_m : ndarray
        Distance from the previous clean fix, at clean fixes after the first. [m]
    x_m : ndarray
        Cumulative horizontal distance along the activity (record distance when the
        activity uses it, else the GPS track). [m]
    x_known : ndarray of bool
        Rows where ``x_m`` rests on a new measured value (not carried over a gap or
        repeated from the row before).
    speed_m_s : ndarray
        Speed of the interval ending at each row (see the module rules). [m/s]
    moving : ndarray of bool
        The interval ending at each row counts as moving.
    gps_spikes, n_fixes : ndarray of int
        Dropped spikes and clean fixes per activity.
    distance_m, gain_m, loss_m : ndarray
        Per-activity distance and hysteresis elevation gain and loss. [m]
    """

    alt_m: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    gps_step_m: np.ndarray
    x_m: np.ndarray
    x_known: np.ndarray
    speed_m_s: np.ndarray
    moving: np.ndarray
    gps_spikes: np.ndarray
    n_fixes: np.ndarray
    distance_m: np.ndarray
    gain_m: np.ndarray
    loss_m: np.ndarray


def timeline(samples: pd.DataFrame, *, pause_s: float = PAUSE_S) -> Timeline:
    """Sort the samples of many activities by activity and time.

    Parameters
    ----------
    samples : DataFrame
        Canonical ``samples`` table (needs ``activity_id`` and ``timestamp``).
    pause_s : float
        Cap of the time each sample holds. [s]

    Returns
    -------
    Timeline
    """
    ts = pd.to_datetime(samples["timestamp"], utc=True)
    t_all = (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(
        dtype="float64", na_value=np.nan)
    codes_all, ids = pd.factorize(samples["activity_id"], sort=True)
    n_samples = np.bincount(codes_all[codes_all >= 0], minlength=len(ids)).astype("int64")
    keep = np.flatnonzero(~np.isnan(t_all) & (codes_all >= 0))
    dist = _numeric(samples, "distance_m")[keep]
    dist = np.where(np.isnan(dist), np.inf, dist)  # a sample without distance sorts last
    codes, times = codes_all[keep], t_all[keep]
    if _in_order(codes, times, dist):  # as a reader gives them: nothing to sort
        order = keep
    else:
        order = np.argsort(dist, kind="stable")
        order = order[np.argsort(times[order], kind="stable")]
        order = keep[order[np.argsort(codes[order], kind="stable")]]
    gid = codes_all[order]
    t = t_all[order]
    n = len(order)
    dt = np.full(n, np.nan)
    if n > 1:
        dt[1:] = np.where(gid[1:] == gid[:-1], np.diff(t), np.nan)
    hold = np.zeros(n)
    if n > 1:
        hold[:-1] = np.minimum(np.nan_to_num(dt[1:], nan=0.0), pause_s)
    return Timeline(ids=pd.Index(ids, name="activity_id"), source=samples, order=order,
                    gid=gid, t_s=t, dt_s=dt, hold_s=hold, n_samples=n_samples)


def _in_order(codes: np.ndarray, times: np.ndarray, dist: np.ndarray) -> bool:
    """Whether the rows are sorted by activity, then time, then distance already."""
    if len(codes) < 2:
        return True
    step = np.diff(codes)
    later = times[1:] > times[:-1]
    same = times[1:] == times[:-1]
    return bool(np.all((step > 0) | ((step == 0) & (later | (same & (dist[1:] >= dist[:-1]))))))


def prepare_track(samples: pd.DataFrame, *, pause_s: float = PAUSE_S,
                  max_gap_s: float = MAX_GAP_S, max_speed_m_s: float = MAX_SPEED_M_S,
                  min_speed_m_s: float = MIN_SPEED_M_S,
                  hysteresis_m: float = HYSTERESIS_M) -> Track:
    """Sort and clean the samples of many activities once for every per-session metric.

    Parameters
    ----------
    samples : DataFrame
        Canonical ``samples`` table; channels it lacks are treated as missing.
    pause_s : float
        Longest gap judged by the recorded speed; cap of each sample's hold time. [s]
    max_gap_s : float
        Longest gap counted as elapsed or moving time. [s]
    max_speed_m_s : float
        Fastest plausible speed between GPS fixes or distance values. [m/s]
    min_speed_m_s : float
        Slowest moving speed. [m/s]
    hysteresis_m : float
        Elevation hysteresis. [m]

    Returns
    -------
    Track
    """
    tl = timeline(samples, pause_s=pause_s)
    gid, t, dt, n_groups = tl.gid, tl.t_s, tl.dt_s, tl.n_groups
    n = len(gid)
    first = np.isnan(dt)
    col = tl.channel

    lat, lon, spikes = _clean_fixes(col("latitude_deg"), col("longitude_deg"), t, gid,
                                    n_groups, max_speed_m_s)
    fix = ~np.isnan(lat)
    fprev = _prev_valid(fix, gid)
    same_fix = (fprev >= 0) & (lat == lat[np.maximum(fprev, 0)]) \
        & (lon == lon[np.maximum(fprev, 0)])
    fix_new = _new_values(fix, same_fix, t, gid, pause_s)
    fprev = _prev_valid(fix_new, gid)
    gps_step = np.full(n, np.nan)
    has_prev_fix = fix_new & (fprev >= 0)
    pi = fprev[has_prev_fix]
    gps_step[has_prev_fix] = haversine_m(lat[pi], lon[pi], lat[has_prev_fix], lon[has_prev_fix])
    gps_seg_speed = np.full(n, np.nan)
    gdt = t[has_prev_fix] - t[pi]
    with np.errstate(divide="ignore", invalid="ignore"):
        gps_seg_speed[has_prev_fix] = np.where(gdt > 0, gps_step[has_prev_fix] / gdt, np.nan)
    gps_total = np.bincount(gid, weights=np.nan_to_num(gps_step), minlength=n_groups)
    n_fixes = np.bincount(gid, weights=fix, minlength=n_groups).astype("int64")

    # record distance: accepted non-negative, plausible increments between new values
    d = col("distance_m")
    dvalid = np.isfinite(d) & (d >= 0)
    dprev = _prev_valid(dvalid, gid)
    d_new = _new_values(dvalid, (dprev >= 0) & (d == d[np.maximum(dprev, 0)]), t, gid,
                        pause_s)
    dprev = _prev_valid(d_new, gid)
    has_prev_d = d_new & (dprev >= 0)
    rec_step = np.full(n, np.nan)
    rec_seg_speed = np.full(n, np.nan)
    di = dprev[has_prev_d]
    inc = d[has_prev_d] - d[di]
    ddt = t[has_prev_d] - t[di]
    ok = (inc >= 0) & (inc <= max_speed_m_s * np.maximum(ddt, 1.0))
    rec_step[has_prev_d] = np.where(ok, inc, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rec_seg_speed[has_prev_d] = np.where(ok & (ddt > 0), inc / ddt, np.nan)
    rec_total = np.bincount(gid, weights=np.nan_to_num(rec_step), minlength=n_groups)
    n_dvalid = np.bincount(gid, weights=dvalid, minlength=n_groups)
    use_rec = (n_dvalid >= 2) & ((rec_total > 0) | ~(n_fixes >= 2))
    use_gps = ~use_rec & (n_fixes >= 2)
    distance = np.where(use_rec, rec_total, np.where(use_gps, gps_total, np.nan))

    rec_rows = use_rec[gid]
    step = np.where(rec_rows, rec_step, np.where(use_gps[gid], gps_step, np.nan))
    x_known = np.where(rec_rows, d_new, fix_new) & (use_rec | use_gps)[gid]
    x = _group_cumsum(np.nan_to_num(step), gid, n_groups)

    # speed of each interval: record distance, else recorded speed, else GPS
    nxt_d = _next_valid(~np.isnan(rec_seg_speed), gid)
    nxt_f = _next_valid(~np.isnan(gps_seg_speed), gid)
    seg_rec = np.where(rec_rows & (nxt_d >= 0), rec_seg_speed[np.maximum(nxt_d, 0)], np.nan)
    seg_gps = np.where(nxt_f >= 0, gps_seg_speed[np.maximum(nxt_f, 0)], np.nan)
    rec_speed = col("speed_m_s")
    rec_speed = np.where((rec_speed >= 0) & (dt <= pause_s), rec_speed, np.nan)
    speed = np.where(np.isnan(seg_rec), np.where(np.isnan(rec_speed), seg_gps, rec_speed),
                     seg_rec)
    speed[first] = np.nan
    with np.errstate(invalid="ignore"):
        moving = (speed > min_speed_m_s) & (dt > 0) & (dt <= max_gap_s)

    alt = _despike_altitude(col("altitude_m"), gid, n_groups)
    gain, loss = hysteresis_gain_loss(alt, gid, n_groups, hysteresis_m=hysteresis_m)
    return Track(**vars(tl), alt_m=alt, lat_deg=lat, lon_deg=lon, gps_step_m=gps_step,
                 x_m=x, x_known=x_known, speed_m_s=speed, moving=moving,
                 gps_spikes=spikes, n_fixes=n_fixes,
                 distance_m=distance, gain_m=gain, loss_m=loss)


def hysteresis_gain_loss(altitude_m: np.ndarray, gid: np.ndarray, n_groups: int, *,
                         hysteresis_m: float = HYSTERESIS_M) -> tuple[np.ndarray, np.ndarray]:
    """Elevation gain and loss of each activity with a hysteresis.

    The first valid altitude is the reference. A sample more than ``hysteresis_m`` above
    the reference adds the difference to the gain and becomes the reference; one more than
    ``hysteresis_m`` below adds to the loss and becomes the reference. Missing altitudes
    are skipped.

    Parameters
    ----------
    altitude_m : ndarray
        Altitude of each row, rows grouped by activity in time order. [m]
    gid : ndarray of int
        Activity number of each row (non-decreasing).
    n_groups : int
        Number of activities.
    hysteresis_m : float
        Hysteresis. [m]

    Returns
    -------
    gain_m, loss_m : ndarray
        Per activity; NaN for an activity without any altitude. [m]

    References
    ----------
    GoldenCheetah, src/Metrics/BasicRideMetrics.cpp, ElevationGain and ElevationLoss
    (default hysteresis 3 m).
    """
    gain = np.full(n_groups, np.nan)
    loss = np.full(n_groups, np.nan)
    valid = ~np.isnan(altitude_m)
    alts = altitude_m[valid].tolist()
    groups = gid[valid].tolist()
    h = float(hysteresis_m)
    cur, ref, up, down = -1, 0.0, 0.0, 0.0
    for a, g in zip(alts, groups, strict=True):
        if g != cur:
            if cur >= 0:
                gain[cur], loss[cur] = up, down
            cur, ref, up, down = g, a, 0.0, 0.0
        elif a > ref + h:
            up += a - ref
            ref = a
        elif a < ref - h:
            down += ref - a
            ref = a
    if cur >= 0:
        gain[cur], loss[cur] = up, down
    return gain, loss


# ---------------------------------------------------------------- row helpers (numpy)

def _numeric(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _prev_valid(valid: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Index of the previous valid row of the same activity (strictly before), else -1."""
    n = len(valid)
    last = np.maximum.accumulate(np.where(valid, np.arange(n), -1)) if n else valid.astype(int)
    prev = np.full(n, -1)
    if n > 1:
        prev[1:] = last[:-1]
    bad = (prev >= 0) & (gid[np.maximum(prev, 0)] != gid)
    prev[bad] = -1
    return prev


def _next_valid(valid: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Index of the next valid row of the same activity (at or after the row), else -1."""
    n = len(valid)
    if n == 0:
        return np.zeros(0, dtype=int)
    idx = np.where(valid, np.arange(n), n)
    nxt = np.minimum.accumulate(idx[::-1])[::-1]
    out = np.where(nxt < n, nxt, -1)
    bad = (out >= 0) & (gid[np.maximum(out, 0)] != gid)
    out[bad] = -1
    return out


def _new_values(valid: np.ndarray, repeat: np.ndarray, t: np.ndarray, gid: np.ndarray,
                pause_s: float) -> np.ndarray:
    """Rows holding a new value: a change, or the last row of a repeat longer than pause_s."""
    n = len(valid)
    change = valid & ~repeat
    if n == 0:
        return change
    start = np.maximum.accumulate(np.where(change, np.arange(n), -1))
    prev = _prev_valid(valid, gid)
    last = np.full(int(gid.max()) + 1, -1)
    idx = np.flatnonzero(valid)
    last[gid[idx]] = idx
    ends = np.concatenate([prev[change & (prev >= 0)], last[last >= 0]])
    ends = ends[start[ends] >= 0]
    out = change.copy()
    out[ends[t[ends] - t[start[ends]] > pause_s]] = True
    return out


def _first_valid(valid: np.ndarray, gid: np.ndarray, n_groups: int) -> np.ndarray:
    """First valid row of each activity, else -1."""
    out = np.full(n_groups, -1)
    idx = np.flatnonzero(valid)
    g = gid[idx]
    # reversed assignment leaves the first index of each group in place
    out[g[::-1]] = idx[::-1]
    return out


def _group_cumsum(step: np.ndarray, gid: np.ndarray, n_groups: int) -> np.ndarray:
    """Cumulative sum of ``step`` restarting at each activity (first row's step included)."""
    c = np.cumsum(step)
    before = np.zeros(n_groups)
    first = _first_valid(np.ones(len(step), dtype=bool), gid, n_groups)
    has = first >= 0
    before[has] = c[first[has]] - step[first[has]]
    return c - before[gid]


def _group_nanmax(values: np.ndarray, gid: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.full(n_groups, -np.inf)
    ok = ~np.isnan(values)
    np.maximum.at(out, gid[ok], values[ok])
    return np.where(np.isinf(out), np.nan, out)


def _despike_altitude(alt: np.ndarray, gid: np.ndarray, n_groups: int) -> np.ndarray:
    """Altitude with the values far from their moving median set to NaN."""
    if not len(alt):
        return alt
    half = ALT_WINDOW // 2
    # activities end to end with `half` blanks between them, so no window mixes two
    slot = np.arange(len(alt)) + gid * half
    series = np.full(len(alt) + n_groups * half, np.nan)
    series[slot] = alt
    med = pd.Series(series).rolling(ALT_WINDOW, center=True, min_periods=1).median()
    with np.errstate(invalid="ignore"):
        spike = np.abs(alt - med.to_numpy()[slot]) > ALT_SPIKE_M
    return np.where(spike, np.nan, alt)


def _clean_fixes(lat: np.ndarray, lon: np.ndarray, t: np.ndarray, gid: np.ndarray,
                 n_groups: int, max_speed_m_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fixes with invalid ones and spikes set to NaN, and the spike count per activity."""
    valid = (np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
             & ~((lat == 0) & (lon == 0)))
    lat = np.where(valid, lat, np.nan)
    lon = np.where(valid, lon, np.nan)
    spike = np.zeros(len(lat), dtype=bool)
    for _ in range(_SPIKE_PASSES):
        idx = np.flatnonzero(valid & ~spike)
        if len(idx) < 3:
            break
        g = gid[idx]
        same = g[1:] == g[:-1]
        step = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
        v = np.where(same, step / np.maximum(t[idx[1:]] - t[idx[:-1]], 1.0), np.nan)
        v_in = np.concatenate([[np.nan], v])    # from the previous fix
        v_out = np.concatenate([v, [np.nan]])   # to the next fix
        v_out_next = np.concatenate([v[1:], [np.nan, np.nan]])
        v_in_prev = np.concatenate([[np.nan, np.nan], v[:-1]])
        with np.errstate(invalid="ignore"):
            fast_in, fast_out = v_in > max_speed_m_s, v_out > max_speed_m_s
            new = (fast_in & fast_out) \
                | (np.isnan(v_in) & fast_out & (v_out_next <= max_speed_m_s)) \
                | (np.isnan(v_out) & fast_in & (v_in_prev <= max_speed_m_s))
        if not new.any():
            break
        spike[idx[new]] = True
    counts = np.bincount(gid[spike], minlength=n_groups).astype("int64")
    lat = np.where(spike, np.nan, lat)
    lon = np.where(spike, np.nan, lon)
    return lat, lon, counts
