"""Per-session summary of the record stream: time, distance, climb, heart rate and GPS.

Every function takes the canonical ``samples`` table (:mod:`runback.schema`) holding one or
many activities, in any row order, and works on all activities at once (numpy over the
rows sorted by activity and time).

Rules, with their defaults (each a parameter):

* Time. Rows are sorted by ``(activity_id, timestamp)``; rows without a timestamp are not
  used. An *interval* is the gap from one sample to the next of the same activity.
  ``elapsed_time_s`` is the sum of the intervals no longer than ``max_gap_s`` (1 h): a
  clock jump (a device that starts with a stale clock and jumps 20 days) or a gap of hours
  between two recordings glued together is left out instead of counting as time.
* Distance. The record stream's cumulative distance is summed as its accepted increments:
  an increment counts when it is not negative (a negative one is a counter reset) and not
  faster than ``max_speed_m_s`` over its time step (a corrupt value). For a clean stream
  this is exactly the last minus the first value. Without a usable record distance (fewer
  than two values, or all zero while the GPS moves), distance is the haversine length of
  the GPS track after its spikes are dropped; with neither it is NaN.
* GPS spikes. A fix is invalid when it is missing, out of range or exactly (0, 0). A fix is
  a spike when the speed from the previous fix and the speed to the next fix both exceed
  ``max_speed_m_s`` (an isolated jump out and back); at either end of the track, when the
  one neighbouring step is too fast while the step after it is not. The default, 50 m/s,
  is deliberately sport-independent: it only removes jumps no athlete (nor a car on a
  motorway) makes, and leaves cycling and running alike. Up to ``_SPIKE_PASSES`` passes
  peel off neighbouring spikes.
* Moving. An interval is moving when its speed exceeds ``min_speed_m_s`` (0.5 m/s). Its
  speed is, in order of preference: the record distance covered between the distance
  values around it divided by their time step; the recorded speed at its end (only for
  intervals up to ``pause_s``); the GPS distance between the fixes around it divided by
  their time step. An interval longer than ``pause_s`` (30 s) is judged only by the
  distance it covers (record or GPS), so a pause with the device still recording or an
  auto-pause gap is not moving unless the runner really covered ground during it. A
  distance or fix that repeats the one before is not a new value (many devices update
  distance every 2-3 s and repeat it in between), unless the repetition lasts longer than
  ``pause_s``: then it is a stop, and its last row counts as a new value, so the stop
  reads as 0 m/s and the running after it at its own speed. An activity with neither
  distance, GPS nor recorded speed has no moving time (NaN).
* Heart rate. Each sample holds for the gap to the next sample, capped at ``pause_s``
  (the same weights :func:`runback.metrics.intensity.hr_histogram` uses). Values outside
  (0, 250] bpm are missing.
* Elevation. An altitude more than ``ALT_SPIKE_M`` (25 m) away from the median of the
  ``ALT_WINDOW`` (15) samples around it is a spike and is dropped (a barometer that
  reads 87 m high for three samples at the start of a run is a real case). Gain and loss
  use a 3 m hysteresis: a climb counts once the altitude is more than 3 m above the last
  reference point, which then moves there (GoldenCheetah's ElevationGain); raw
  sample-to-sample sums overstate gain several-fold on noisy tracks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from runback.metrics.terrain import terrain_from_track
from runback.metrics.track import (
    EARTH_RADIUS_M,
    HYSTERESIS_M,
    MAX_GAP_S,
    MAX_HR_BPM,
    MAX_SPEED_M_S,
    MIN_SPEED_M_S,
    PAUSE_S,
    Timeline,
    Track,
    _first_valid,
    _group_nanmax,
    haversine_m,
    hysteresis_gain_loss,
    prepare_track,
    timeline,
)

# the track's names stay importable from here, where the rules are written down
__all__ = [
    "EARTH_RADIUS_M",
    "MAX_GAP_S",
    "MAX_SPEED_M_S",
    "MIN_SPEED_M_S",
    "PAUSE_S",
    "SUMMARY_COLUMNS",
    "Timeline",
    "Track",
    "haversine_m",
    "hysteresis_gain_loss",
    "prepare_track",
    "summarize_samples",
    "timeline",
]

#: Columns of :func:`summarize_samples` before the terrain columns, with their dtypes.
SUMMARY_COLUMNS = {
    "elapsed_time_s": "float64",
    "moving_time_s": "float64",
    "distance_m": "float64",
    "elevation_gain_m": "float64",
    "elevation_loss_m": "float64",
    "avg_hr_bpm": "float64",
    "max_hr_bpm": "float64",
    "temperature_c": "float64",
    "n_samples": "int64",
    "has_gps": "boolean",
    "start_lat_deg": "float64",
    "start_lon_deg": "float64",
    "gps_spikes": "int64",
}


def summarize_samples(samples: pd.DataFrame, *, pause_s: float = PAUSE_S,
                      max_gap_s: float = MAX_GAP_S, max_speed_m_s: float = MAX_SPEED_M_S,
                      min_speed_m_s: float = MIN_SPEED_M_S,
                      hysteresis_m: float = HYSTERESIS_M) -> pd.DataFrame:
    """Summarise the record stream of every activity in ``samples``.

    Parameters
    ----------
    samples : DataFrame
        Canonical ``samples`` table with one or many activities, rows in any order.
    pause_s, max_gap_s, max_speed_m_s, min_speed_m_s, hysteresis_m : float
        See :func:`prepare_track` and the module rules. [s], [s], [m/s], [m/s], [m]

    Returns
    -------
    DataFrame
        Indexed by ``activity_id``: elapsed_time_s [s], moving_time_s [s], distance_m [m],
        elevation_gain_m [m], elevation_loss_m [m], avg_hr_bpm [1/min] (time-weighted),
        max_hr_bpm [1/min], temperature_c [degC] (mean), n_samples, has_gps (at least two
        clean fixes), start_lat_deg, start_lon_deg [deg] (first clean fix), gps_spikes,
        then the columns of :func:`runback.metrics.terrain.terrain_from_track`.
    """
    track = prepare_track(samples, pause_s=pause_s, max_gap_s=max_gap_s,
                          max_speed_m_s=max_speed_m_s, min_speed_m_s=min_speed_m_s,
                          hysteresis_m=hysteresis_m)
    summary = _basic_summary(track, max_gap_s)
    return summary.join(terrain_from_track(track))


def _basic_summary(track: Track, max_gap_s: float) -> pd.DataFrame:
    g, n_groups = track.gid, track.n_groups
    dt = track.dt_s
    counted = (dt > 0) & (dt <= max_gap_s)
    elapsed = track.group_sum(dt, counted)
    moving = track.group_sum(dt, track.moving)

    hr = track.channel("heart_rate_bpm")
    hr = np.where((hr > 0) & (hr <= MAX_HR_BPM), hr, np.nan)
    hr_ok = ~np.isnan(hr)
    w = np.where(hr_ok, track.hold_s, 0.0)
    w_sum = np.bincount(g, weights=w, minlength=n_groups)
    hr_n = np.bincount(g, weights=hr_ok, minlength=n_groups)
    hr0 = np.nan_to_num(hr)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg_w = np.bincount(g, weights=hr0 * w, minlength=n_groups) / w_sum
        avg_plain = np.bincount(g, weights=hr0, minlength=n_groups) / hr_n
    avg_hr = np.where(w_sum > 0, avg_w, np.where(hr_n > 0, avg_plain, np.nan))
    max_hr = _group_nanmax(hr, g, n_groups)

    temp = track.channel("temperature_c")
    t_ok = ~np.isnan(temp)
    t_n = np.bincount(g, weights=t_ok, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        temp_mean = np.where(t_n > 0, np.bincount(g, weights=np.nan_to_num(temp),
                                                  minlength=n_groups) / t_n, np.nan)

    fix = ~np.isnan(track.lat_deg)
    first_fix = _first_valid(fix, g, n_groups)
    has_first = first_fix >= 0
    start_lat = np.where(has_first, track.lat_deg[np.maximum(first_fix, 0)], np.nan)
    start_lon = np.where(has_first, track.lon_deg[np.maximum(first_fix, 0)], np.nan)

    timed = np.bincount(g, minlength=n_groups) > 0
    speeds = np.bincount(g, weights=~np.isnan(track.channel("speed_m_s")), minlength=n_groups)
    motion = timed & (np.isfinite(track.distance_m) | (speeds > 0))
    out = pd.DataFrame({
        "elapsed_time_s": np.where(timed, elapsed, np.nan),
        "moving_time_s": np.where(motion, moving, np.nan),
        "distance_m": track.distance_m,
        "elevation_gain_m": track.gain_m,
        "elevation_loss_m": track.loss_m,
        "avg_hr_bpm": avg_hr,
        "max_hr_bpm": max_hr,
        "temperature_c": temp_mean,
        "n_samples": track.n_samples,
        "has_gps": track.n_fixes >= 2,
        "start_lat_deg": start_lat,
        "start_lon_deg": start_lon,
        "gps_spikes": track.gps_spikes,
    }, index=track.ids)
    return out.astype(SUMMARY_COLUMNS)
