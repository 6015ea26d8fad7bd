"""Heart-rate histogram, TRIMP, zones and session load worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.metrics.intensity import (
    banister_trimp,
    edwards_trimp,
    hr_histogram,
    session_load,
    zone_times,
)
from runback.profile import AthleteProfile

T0 = pd.Timestamp("2024-05-01T06:00:00Z")
MEN = AthleteProfile(hr_max=190, hr_rest=50, sex="male")


def hr_stream(aid, hr, t=None):
    hr = np.asarray(hr, dtype=float)
    t = np.arange(len(hr), dtype=float) if t is None else np.asarray(t, dtype=float)
    df = pd.DataFrame({"activity_id": aid, "timestamp": T0 + pd.to_timedelta(t, unit="s"),
                       "heart_rate_bpm": hr})
    return schema.conform(df, "samples", extra=False)


def test_histogram_shape_and_seconds():
    # 1801 samples 1 s apart: the first 1800 hold 1 s each, the last holds 0 s
    hist = hr_histogram(hr_stream("a", np.full(1801, 120.0)))
    assert list(hist.columns) == list(range(251))
    assert hist.index.name == "activity_id"
    assert hist.loc["a", 120] == 1800.0
    assert hist.loc["a"].sum() == 1800.0


def test_histogram_caps_pauses_and_rounds():
    # 120 held 1 s, 130.4 held 300 s (capped at 30), 150.6 held 1 s, last 150
    s = hr_stream("a", [120, 130.4, 150.6, 150], t=[0, 1, 301, 302])
    hist = hr_histogram(s)
    assert hist.loc["a", 120] == 1.0
    assert hist.loc["a", 130] == 30.0
    assert hist.loc["a", 151] == 1.0
    assert hist.loc["a"].sum() == 32.0


def test_histogram_unsorted_and_separate_activities():
    a = hr_stream("a", np.linspace(100, 180, 600))
    b = hr_stream("b", np.full(300, 90.0))
    both = pd.concat([a, b]).sample(frac=1.0, random_state=1)
    hist = hr_histogram(both)
    pd.testing.assert_frame_equal(hist.loc[["a"]], hr_histogram(a))
    pd.testing.assert_frame_equal(hist.loc[["b"]], hr_histogram(b))
    no_hr = hr_stream("c", [np.nan, np.nan])
    assert hr_histogram(no_hr).loc["c"].sum() == 0.0


def test_banister_trimp_constant_hr():
    # HR 120 with rest 50 and max 190: HRr = 70 / 140 = 0.5, for 30 min
    hist = hr_histogram(hr_stream("a", np.full(1801, 120.0)))
    # men: 30 * 0.5 * 0.64 * exp(1.92 * 0.5) = 9.6 * exp(0.96) = 25.0723
    assert banister_trimp(hist, MEN)["a"] == pytest.approx(30 * 0.5 * 0.64 * np.exp(0.96))
    assert banister_trimp(hist, MEN)["a"] == pytest.approx(25.0723, abs=1e-4)
    # women: 9.6 * exp(1.67 * 0.5) = 9.6 * exp(0.835) = 22.1265
    women = AthleteProfile(hr_max=190, hr_rest=50, sex="female")
    assert banister_trimp(hist, women)["a"] == pytest.approx(9.6 * np.exp(0.835))
    # unknown sex takes the men's weighting
    anyone = AthleteProfile(hr_max=190, hr_rest=50)
    assert banister_trimp(hist, anyone)["a"] == pytest.approx(banister_trimp(hist, MEN)["a"])


def test_banister_clips_reserve():
    # below rest counts 0; above max counts as HRr = 1: 10 min * 1 * 0.64 * e^1.92
    hist = hr_histogram(hr_stream("a", np.r_[np.full(600, 40.0), np.full(601, 200.0)]))
    assert banister_trimp(hist, MEN)["a"] == pytest.approx(10 * 0.64 * np.exp(1.92))


def test_trimp_without_hr_or_profile_is_nan():
    hist = hr_histogram(pd.concat([hr_stream("a", np.full(61, 150.0)),
                                   hr_stream("b", [np.nan] * 61)]))
    assert np.isnan(banister_trimp(hist, MEN)["b"])
    assert np.isnan(banister_trimp(hist, AthleteProfile())["a"])
    assert np.isnan(edwards_trimp(hist, AthleteProfile())["a"])


def test_edwards_and_zones():
    # HR max 200: 10 min each at 90 (45 %, no zone), 110 (55 %, z1), 150 (75 %, z3),
    # 170 (85 %, z4) and 190 (95 %, z5), plus a last sample that holds 0 s
    hr = np.r_[np.repeat([90.0, 110.0, 150.0, 170.0, 190.0], 600), 190.0]
    hist = hr_histogram(hr_stream("a", hr))
    p = AthleteProfile(hr_max=200, hr_rest=50)
    # 10 * 0 + 10 * 1 + 10 * 3 + 10 * 4 + 10 * 5 = 130
    assert edwards_trimp(hist, p)["a"] == pytest.approx(130.0)
    z = zone_times(hist, p).loc["a"]
    assert list(z.index) == ["hr_z1_s", "hr_z2_s", "hr_z3_s", "hr_z4_s", "hr_z5_s",
                             "hi_intensity_s"]
    assert z.tolist() == [600.0, 0.0, 600.0, 600.0, 600.0, 1200.0]


def test_zone_boundaries_are_lower_inclusive():
    # 120 / 200 = 60 % exactly -> zone 2, not zone 1
    hist = hr_histogram(hr_stream("a", [120.0, 120.0]))
    z = zone_times(hist, AthleteProfile(hr_max=200, hr_rest=50)).loc["a"]
    assert z["hr_z2_s"] == 1.0 and z["hr_z1_s"] == 0.0


def test_session_load_methods():
    s = hr_stream("hr", np.full(3601, 120.0))  # 60 min at HRr 0.5
    hist = hr_histogram(s)
    acts = pd.DataFrame({
        "activity_id": ["hr", "rpe", "pace", "km", "none", "strap_off"],
        "sport": ["running", "running", "running", "cycling", "running", "running"],
        "moving_time_s": [3600.0, 3600.0, 3000.0, 3600.0, np.nan, 3600.0],
        "distance_m": [10000.0, 10000.0, 10000.0, 30000.0, np.nan, 10000.0],
        "rpe": [5.0, 6.0, np.nan, np.nan, np.nan, 4.0],
    })
    # strap_off: 5 min of HR in a 60 min session (< 50 % coverage)
    hist = pd.concat([hist, hr_histogram(hr_stream("strap_off", np.full(301, 150.0)))])
    p = AthleteProfile(hr_max=190, hr_rest=50, sex="male", threshold_pace_s_per_km=300)
    out = session_load(acts, hist, p).set_index("activity_id")
    # session RPE is known for 3 of the 5 sessions with any load: it is the scale; the
    # others are calibrated to it (never summed in other units)
    assert list(out["load_method"].astype(object).fillna("-")) == [
        "srpe", "srpe", "srpe (from rtss)", "srpe (from distance)", "-", "srpe"]
    # 60 * 0.5 * 0.64 * e^0.96: TRIMP is kept as a column, the load is on the sRPE scale
    assert out.loc["hr", "trimp"] == pytest.approx(60 * 0.32 * np.exp(0.96))
    assert out.loc["hr", "load"] == pytest.approx(5 * 60)
    assert out.loc["rpe", "load"] == pytest.approx(360.0)
    assert np.isnan(out.loc["rpe", "trimp"])
    # rTSS-like of 10 km in 60 min at a 5:00 threshold pace: (2.78 / 3.33)^2 * 100 = 69.4;
    # sRPE / rTSS over the three sessions with both: 4.32, 5.18, 3.46 -> median 4.32;
    # the 50 min session's rTSS-like 83.3 reads as 83.3 * 4.32 = 360 sRPE units
    assert out.loc["pace", "load"] == pytest.approx(100 * 3000 / 3600 * 300 / (
        100 * (10000 / 3600 / (1000 / 300)) ** 2), rel=1e-6)
    # a ride with neither HR nor RPE: 30 km at the median 30 sRPE units per km
    assert out.loc["km", "load"] == pytest.approx(900.0)
    assert np.isnan(out.loc["none", "load"])
    assert out.loc["strap_off", "load"] == pytest.approx(4 * 60)
    assert out.loc["strap_off", "trimp"] > 0
    # 120 / 190 = 63 % of HR max: zone 2 for the whole hour; no heart rate is missing, not 0
    assert out.loc["hr", "hr_z2_s"] == 3600.0
    assert np.isnan(out.loc["rpe", "hr_z2_s"])
    assert np.isnan(out.loc["rpe", "hi_intensity_s"])


def test_trimp_is_the_scale_when_most_sessions_have_heart_rate():
    streams = [hr_stream(f"hr{i}", np.full(3601, 120.0 + 5 * i)) for i in range(3)]
    hist = pd.concat([hr_histogram(s) for s in streams])
    acts = pd.DataFrame({
        "activity_id": ["hr0", "hr1", "hr2", "watch_off"],
        "sport": ["running"] * 4,
        "moving_time_s": [3600.0] * 4,
        "distance_m": [10000.0, 11000.0, 12000.0, 10000.0],
    })
    p = AthleteProfile(hr_max=190, hr_rest=50, sex="male")
    out = session_load(acts, hist, p).set_index("activity_id")
    assert list(out["load_method"]) == ["trimp", "trimp", "trimp", "trimp (from distance)"]
    per_km = np.median(out.loc[["hr0", "hr1", "hr2"], "trimp"] / [10, 11, 12])
    assert out.loc["watch_off", "load"] == pytest.approx(10 * per_km)
    assert np.isnan(out.loc["watch_off", "trimp"])


def test_session_load_rtss_uses_grade_adjusted_pace():
    acts = pd.DataFrame({"activity_id": ["a"], "sport": ["running"],
                         "moving_time_s": [3600.0], "distance_m": [10000.0],
                         "gap_s_per_km": [240.0]})
    p = AthleteProfile(threshold_pace_s_per_km=300)
    out = session_load(acts, hr_histogram(schema.empty("samples")), p)
    # GAP 4:00 vs threshold 5:00: (300 / 240)^2 * 1 h * 100 = 156.25
    assert out.loc[0, "load"] == pytest.approx(156.25)
    assert out.loc[0, "load_method"] == "rtss"
    # without a threshold pace the distance is the load
    out = session_load(acts, hr_histogram(schema.empty("samples")), AthleteProfile())
    assert out.loc[0, "load"] == 10.0


def test_session_load_indexed_by_activity_id():
    hist = hr_histogram(hr_stream("x", np.full(601, 120.0)))
    acts = pd.DataFrame({"moving_time_s": [600.0]}, index=pd.Index(["x"], name="activity_id"))
    out = session_load(acts, hist, MEN)
    assert out.loc["x", "load_method"] == "trimp"
    assert out.loc["x", "load"] == pytest.approx(10 * 0.32 * np.exp(0.96))


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["2013-02-06-12-11-14.fit",
                                  "Edge810-Vector-2013-08-16-15-35-10.fit"])
def test_real_files_heart_rate(realdata, name):
    fit = pytest.importorskip("runback.io.fit", reason="FIT reader not available")
    from runback.metrics.session import summarize_samples

    path = realdata / "dtcooper__python-fitparse/tests/files" / name
    if not path.is_file():
        pytest.skip(f"{name} not in the real-data folder")
    parsed = fit.read_fit(path)
    s = parsed.samples.rename(columns={"part": "activity_id"})
    s["activity_id"] = s["activity_id"].astype("string")
    hist = hr_histogram(s).iloc[0]
    summary = summarize_samples(s).iloc[0]
    device = parsed.activities.iloc[0]
    # the device's session average and maximum, from its own record stream
    assert summary["avg_hr_bpm"] == pytest.approx(device["device_avg_hr_bpm"], abs=1.5)
    assert summary["max_hr_bpm"] == device["device_max_hr_bpm"]
    # the histogram holds the same time-weighted heart rate, within the elapsed time
    assert (hist * hist.index).sum() / hist.sum() == pytest.approx(summary["avg_hr_bpm"])
    assert 0 < hist.sum() <= summary["elapsed_time_s"]
