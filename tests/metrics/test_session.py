"""Session summaries worked out by hand on small synthetic record streams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.metrics.session import (
    EARTH_RADIUS_M,
    SUMMARY_COLUMNS,
    haversine_m,
    hysteresis_gain_loss,
    summarize_samples,
)
from runback.metrics.terrain import TERRAIN_COLUMNS

T0 = pd.Timestamp("2024-05-01T06:00:00Z")
M_PER_DEG_LAT = EARTH_RADIUS_M * np.pi / 180  # 111 195.08 m


def stream(aid="a", *, t=None, dist=None, alt=None, gps=True, hr=None, speed=None, **extra):
    """A samples frame: times in seconds from T0, cumulative distance, a track due north."""
    t = np.asarray(t, dtype=float)
    dist = np.asarray(dist, dtype=float)
    lat = 47.0 + dist / M_PER_DEG_LAT if gps else np.full(len(t), np.nan)
    cols = {
        "activity_id": aid,
        "timestamp": T0 + pd.to_timedelta(t, unit="s"),
        "distance_m": dist,
        "latitude_deg": lat,
        "longitude_deg": np.where(np.isnan(lat), np.nan, 8.0),
        "altitude_m": np.full(len(t), np.nan) if alt is None else np.asarray(alt, float),
        "heart_rate_bpm": np.full(len(t), np.nan) if hr is None else hr,
        "speed_m_s": np.full(len(t), np.nan) if speed is None else speed,
        **extra,
    }
    return schema.conform(pd.DataFrame(cols), "samples", extra=False)


def climb(aid="a", *, km=2.0, v=4.0, grade=0.05):
    n = int(km * 1000 / v) + 1
    t = np.arange(n, dtype=float)
    d = v * t
    return stream(aid, t=t, dist=d, alt=100 + grade * d, speed=np.full(n, v))


def test_columns_and_dtypes():
    out = summarize_samples(climb())
    assert list(out.columns) == list(SUMMARY_COLUMNS) + list(TERRAIN_COLUMNS)
    assert out.index.name == "activity_id"
    assert str(out["n_samples"].dtype) == "int64"
    assert str(out["has_gps"].dtype) == "boolean"
    empty = summarize_samples(schema.empty("samples"))
    assert len(empty) == 0
    assert list(empty.columns) == list(out.columns)


def test_climb_2km_at_5_percent():
    out = summarize_samples(climb()).loc["a"]
    # 501 samples 1 s apart at 4 m/s: 2000 m in 500 s, all moving
    assert out["distance_m"] == pytest.approx(2000.0)
    assert out["elapsed_time_s"] == 500.0
    assert out["moving_time_s"] == 500.0
    # altitude rises 0.2 m a sample; the reference moves after 16 steps (3.2 m > 3 m):
    # floor(100 / 3.2) = 31 moves -> 31 * 3.2 = 99.2 m counted, the last 0.8 m is not
    assert out["elevation_gain_m"] == pytest.approx(99.2)
    assert out["elevation_loss_m"] == 0.0
    assert bool(out["has_gps"])
    assert out["start_lat_deg"] == pytest.approx(47.0)
    assert out["start_lon_deg"] == pytest.approx(8.0)
    assert out["n_samples"] == 501


def test_noisy_flat_gain_needs_hysteresis():
    rng = np.random.default_rng(7)
    n = 1000
    t = np.arange(n, dtype=float)
    # altitude noise within +-1.4 m: no swing ever exceeds the 3 m hysteresis
    alt = 200 + rng.uniform(-1.4, 1.4, n)
    s = stream(t=t, dist=3 * t, alt=alt)
    with_h = summarize_samples(s).loc["a"]
    assert with_h["elevation_gain_m"] == 0.0
    assert with_h["elevation_loss_m"] == 0.0
    # without hysteresis every rise counts: E[max(X - Y, 0)] = 2.8 / 6 = 0.47 m a step
    raw = summarize_samples(s, hysteresis_m=0.0).loc["a"]
    assert raw["elevation_gain_m"] > 300
    assert raw["elevation_gain_m"] == pytest.approx(np.clip(np.diff(alt), 0, None).sum())


def test_altitude_spike_is_dropped():
    s = climb()
    s.loc[1:3, "altitude_m"] += 87.4  # a barometer reading high for three samples
    out = summarize_samples(s).loc["a"]
    # without the drop: +87.4 and -87.4 more
    assert out["elevation_gain_m"] == pytest.approx(99.2)
    assert out["elevation_loss_m"] == 0.0


def test_hysteresis_by_hand():
    alt = np.array([10.0, 12.0, 14.0, 13.0, 9.0, 9.5, 20.0])
    gain, loss = hysteresis_gain_loss(alt, np.zeros(7, dtype=int), 1)
    # ref 10: 12 no, 14 > 13 -> +4 (ref 14); 13 no; 9 < 11 -> -5 (ref 9); 9.5 no;
    # 20 > 12 -> +11. gain 15, loss 5
    assert gain[0] == 15.0 and loss[0] == 5.0
    gain, loss = hysteresis_gain_loss(np.array([np.nan, np.nan]), np.zeros(2, dtype=int), 1)
    assert np.isnan(gain[0]) and np.isnan(loss[0])


def test_moving_time_with_five_minute_stop():
    # 600 s at 3 m/s, 300 s standing still (still recording), 600 s at 3 m/s
    v = np.r_[np.full(600, 3.0), np.zeros(300), np.full(600, 3.0)]
    t = np.arange(1501, dtype=float)
    d = np.r_[0.0, np.cumsum(v)]
    out = summarize_samples(stream(t=t, dist=d, speed=np.r_[0.0, v])).loc["a"]
    assert out["elapsed_time_s"] == 1500.0
    assert out["moving_time_s"] == 1200.0
    assert out["distance_m"] == pytest.approx(3600.0)


def test_auto_pause_gap_is_not_moving():
    # 600 s at 3 m/s, the device pauses 5 min (no samples; same place), 600 s more
    t = np.r_[np.arange(601.0), 900 + np.arange(601.0)]
    d = np.r_[3 * np.arange(601.0), 1800 + 3 * np.arange(601.0)]
    speed = np.full(len(t), 3.0)  # the recorded speed right after the pause is 3 m/s
    out = summarize_samples(stream(t=t, dist=d, speed=speed)).loc["a"]
    # the 300 s gap covers 0 m: elapsed counts it, moving does not
    assert out["elapsed_time_s"] == 1500.0
    assert out["moving_time_s"] == 1200.0
    # without distance and GPS the gap is judged by nothing but distance: not moving
    nod = stream(t=t, dist=np.full(len(t), np.nan), gps=False, speed=speed)
    out = summarize_samples(nod).loc["a"]
    assert out["moving_time_s"] == 1200.0
    assert np.isnan(out["distance_m"])


def test_distance_updated_every_few_seconds():
    # the device writes a new distance every 3 s and repeats it in between (real FIT files
    # do); 3 m/s for 600 s, then standing 120 s, then 300 s more
    t = np.arange(1021, dtype=float)
    true = np.where(t <= 600, 3 * t, np.where(t <= 720, 1800.0, 1800 + 3 * (t - 720)))
    d = true[(t // 3 * 3).astype(int)]
    out = summarize_samples(stream(t=t, dist=d, gps=False)).loc["a"]
    # the stop reads 0 m/s; the rest reads about 3 m/s (a repeat is not a standstill)
    assert out["moving_time_s"] == pytest.approx(900.0, abs=3)
    assert out["distance_m"] == pytest.approx(true[1020 // 3 * 3])


def test_no_motion_data_gives_no_moving_time():
    t = np.arange(0, 1800, 6.0)  # heart rate only, every 6 s
    s = stream(t=t, dist=np.full(len(t), np.nan), gps=False, hr=np.full(len(t), 140.0))
    out = summarize_samples(s).loc["a"]
    assert np.isnan(out["moving_time_s"]) and np.isnan(out["distance_m"])
    assert out["elapsed_time_s"] == 1794.0


def test_gps_dropout_is_still_moving():
    # GPS only (no record distance): 900 s at 3 m/s north, no fix from t = 300 to 359
    t = np.arange(901, dtype=float)
    s = stream(t=t, dist=3 * t)
    s["distance_m"] = np.nan
    lost = (t >= 300) & (t < 360)
    s.loc[lost, ["latitude_deg", "longitude_deg"]] = np.nan
    out = summarize_samples(s).loc["a"]
    # the 61 s between the fixes at 299 and 360 cover 183 m (3 m/s): moving
    assert out["moving_time_s"] == 900.0
    assert out["distance_m"] == pytest.approx(2700.0, rel=1e-6)
    assert out["gps_spikes"] == 0


def test_gps_spike_dropped_and_counted():
    t = np.arange(601, dtype=float)
    s = stream(t=t, dist=3 * t)
    s["distance_m"] = np.nan
    s.loc[200, "latitude_deg"] += 5000 / M_PER_DEG_LAT  # one fix 5 km off
    out = summarize_samples(s).loc["a"]
    assert out["gps_spikes"] == 1
    assert out["distance_m"] == pytest.approx(1800.0, rel=1e-6)
    # a bad first fix (a stale position from the last activity) is dropped too
    s2 = stream(t=t, dist=3 * t)
    s2["distance_m"] = np.nan
    s2.loc[0, ["latitude_deg", "longitude_deg"]] = [51.5, -0.1]
    out2 = summarize_samples(s2).loc["a"]
    assert out2["gps_spikes"] == 1
    assert out2["start_lat_deg"] == pytest.approx(47.0 + 3 / M_PER_DEG_LAT)
    assert out2["distance_m"] == pytest.approx(1797.0, rel=1e-6)


def test_treadmill_distance_from_record_stream():
    t = np.arange(1201, dtype=float)
    s = stream(t=t, dist=2.8 * t, gps=False, hr=np.full(1201, 140.0))
    out = summarize_samples(s).loc["a"]
    assert out["distance_m"] == pytest.approx(2.8 * 1200)
    assert out["moving_time_s"] == 1200.0
    assert not bool(out["has_gps"])
    assert np.isnan(out["start_lat_deg"])
    assert np.isnan(out["elevation_gain_m"])
    assert out[list(TERRAIN_COLUMNS)].isna().all()


def test_distance_reset_and_corrupt_value():
    t = np.arange(1501, dtype=float)
    d = 2.0 * t
    d[1000:] = 2.0 * (t[1000:] - 1000)  # the counter restarts at 0 after 2000 m
    d[300] = 1e7                          # one corrupt value
    out = summarize_samples(stream(t=t, dist=d, gps=False)).loc["a"]
    # increments: 0..999 -> 1998 m, less the 598 -> 602 m step, whose two halves touch
    # the corrupt value (one too fast, one negative); then 0..1000 after the reset
    assert out["distance_m"] == pytest.approx(1998 - 4 + 1000)


def test_time_jump_is_not_elapsed():
    # the clock jumps 20 days forward after 600 s (a device with a stale clock)
    t = np.r_[np.arange(600.0), 20 * 86400 + np.arange(600.0)]
    d = 3 * np.arange(1200.0)
    out = summarize_samples(stream(t=t, dist=d)).loc["a"]
    # 599 + 599 one-second gaps; the 20-day gap is dropped
    assert out["elapsed_time_s"] == 1198.0
    assert out["moving_time_s"] == 1198.0


def test_time_weighted_heart_rate():
    # 100 bpm at t = 0..9 (1 s each), 160 bpm at t = 10 held 10 s to the last sample at 20
    t = np.r_[np.arange(11.0), 20.0]
    hr = np.r_[np.full(10, 100.0), 160.0, 160.0]
    out = summarize_samples(stream(t=t, dist=t, hr=hr)).loc["a"]
    # (10 * 100 + 10 * 160) / 20 = 130 (the plain mean would be 110)
    assert out["avg_hr_bpm"] == pytest.approx(130.0)
    assert out["max_hr_bpm"] == 160.0


def test_heart_rate_zero_is_missing():
    t = np.arange(5.0)
    out = summarize_samples(stream(t=t, dist=t, hr=[0.0, 150, 150, 150, 0])).loc["a"]
    assert out["avg_hr_bpm"] == 150.0


def test_unsorted_duplicates_and_two_activities():
    a = climb("a")
    b = climb("b", grade=-0.12, km=1.0)
    both = pd.concat([a, b, a.iloc[[10]]], ignore_index=True)  # one duplicated row
    shuffled = both.sample(frac=1.0, random_state=3)
    out = summarize_samples(shuffled)
    assert list(out.index) == ["a", "b"]
    pd.testing.assert_frame_equal(out.loc[["b"]], summarize_samples(b))
    alone = summarize_samples(a).drop(columns="n_samples")
    pd.testing.assert_frame_equal(out.loc[["a"]].drop(columns="n_samples"), alone)
    assert out.loc["a", "n_samples"] == 502


def test_speed_only_activity():
    t = np.arange(301, dtype=float)
    s = stream(t=t, dist=np.full(301, np.nan), gps=False, speed=np.r_[np.full(200, 3.0),
                                                                         np.full(101, 0.2)])
    out = summarize_samples(s).loc["a"]
    # intervals ending at t = 1..199 carry 3 m/s; those ending at 200..300 carry 0.2 m/s
    assert out["moving_time_s"] == 199.0
    assert np.isnan(out["distance_m"])


def test_missing_timestamps_are_skipped():
    s = climb()
    s.loc[5, "timestamp"] = pd.NaT
    out = summarize_samples(s).loc["a"]
    assert out["n_samples"] == 501
    assert out["elapsed_time_s"] == 500.0


def test_haversine():
    # one degree of latitude on the mean sphere: R * pi / 180
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(M_PER_DEG_LAT)
    d = haversine_m(np.array([47.0, np.nan]), 8.0, np.array([47.0, 47.0]), 8.001)
    # 0.001 deg of longitude at 47 deg N: R * cos(47 deg) * 0.001 * pi / 180
    assert d[0] == pytest.approx(M_PER_DEG_LAT * np.cos(np.radians(47.0)) * 0.001, rel=1e-6)
    assert np.isnan(d[1])


@pytest.mark.realdata
def test_real_fit_file(realdata):
    fit = pytest.importorskip("runback.io.fit", reason="FIT reader not available yet")
    path = realdata / "dtcooper__python-fitparse/tests/files/activity-small-fenix2-run.fit"
    if not path.is_file():
        pytest.skip(f"{path.name} not in the real-data folder")
    parsed = fit.read_fit(path)
    s = parsed.samples.rename(columns={"part": "activity_id"})
    s["activity_id"] = s["activity_id"].astype("string")
    out = summarize_samples(s).iloc[0]
    dev = parsed.activities.iloc[0]
    assert out["distance_m"] == pytest.approx(dev["device_distance_m"], rel=0.02)
    assert out["moving_time_s"] <= out["elapsed_time_s"] <= dev["device_elapsed_s"] + 1
    assert out["moving_time_s"] == pytest.approx(dev["device_timer_s"], rel=0.1)
    if pd.notna(dev["device_ascent_m"]):
        assert out["elevation_gain_m"] == pytest.approx(dev["device_ascent_m"], rel=0.35,
                                                        abs=15)


def test_timeline_order_is_the_sorted_order_whether_or_not_rows_come_sorted():
    from runback.metrics.session import timeline

    # ties in time broken by distance (a missing distance last), two activities
    t = [0, 1, 1, 2, 2, 3]
    d = [0.0, 5.0, 3.0, np.nan, 7.0, 9.0]
    rows = pd.concat([stream("b", t=t, dist=d), stream("a", t=t, dist=d)], ignore_index=True)
    want = [6, 8, 7, 10, 9, 11, 0, 2, 1, 4, 3, 5]
    assert timeline(rows).order.tolist() == want
    tidy = rows.iloc[want].reset_index(drop=True)     # already in order: kept as it is
    assert timeline(tidy).order.tolist() == list(range(12))
    np.testing.assert_array_equal(timeline(tidy).t_s, timeline(rows).t_s)
