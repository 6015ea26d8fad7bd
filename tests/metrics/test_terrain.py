"""Terrain metrics and surface worked out by hand on synthetic tracks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.metrics.terrain import (
    TERRAIN_COLUMNS,
    minetti_cost,
    surface,
    surfaces,
    terrain_metrics,
)

T0 = pd.Timestamp("2024-05-01T06:00:00Z")
R = 6_371_008.8
M_PER_DEG = R * np.pi / 180  # metres per degree of latitude


def track(aid="a", *, north_m, east_m=None, t=None, alt=None, v=4.0, gps=True, dist=True,
          **extra):
    """Samples along a local east/north path [m] around 47 N 8 E, 1 s apart at ``v``."""
    north_m = np.asarray(north_m, float)
    east_m = np.zeros_like(north_m) if east_m is None else np.asarray(east_m, float)
    step = np.hypot(np.diff(north_m), np.diff(east_m))
    d = np.r_[0.0, np.cumsum(step)]
    t = d / v if t is None else np.asarray(t, float)
    lat = 47.0 + north_m / M_PER_DEG
    lon = 8.0 + east_m / (M_PER_DEG * np.cos(np.radians(47.0)))
    df = pd.DataFrame({
        "activity_id": aid,
        "timestamp": T0 + pd.to_timedelta(t, unit="s"),
        "distance_m": d if dist else np.nan,
        "latitude_deg": lat if gps else np.nan,
        "longitude_deg": lon if gps else np.nan,
        "altitude_m": np.nan if alt is None else alt,
        **extra,
    })
    return schema.conform(df, "samples", extra=False)


def slope(aid="a", *, km, grade, v=4.0):
    d = np.arange(0, km * 1000 + v / 2, v)  # one sample a second
    return track(aid, north_m=d, alt=300 + grade * d, v=v)


def test_columns():
    out = terrain_metrics(slope(km=1, grade=0.0))
    assert list(out.columns) == list(TERRAIN_COLUMNS)
    assert out.index.name == "activity_id"
    assert len(terrain_metrics(schema.empty("samples"))) == 0


def test_climb_2km_at_5_percent():
    out = terrain_metrics(slope(km=2, grade=0.05)).loc["a"]
    # 200 intervals of 10 m, each at exactly +5 % (inclusive threshold): 2000 m, 500 s
    assert out["uphill_5_m"] == pytest.approx(2000.0)
    assert out["uphill_5_s"] == pytest.approx(500.0)
    assert out["downhill_5_m"] == 0.0 and out["downhill_10_m"] == 0.0
    # hysteresis gain 99.2 m (0.2 m steps, 3.2 m moves) over 2 km -> 49.6 m/km
    assert out["climb_m_per_km"] == pytest.approx(49.6)
    assert out["descent_m_per_km"] == 0.0


def test_descent_at_minus_12_percent():
    out = terrain_metrics(slope(km=1, grade=-0.12)).loc["a"]
    assert out["downhill_5_m"] == pytest.approx(1000.0)
    assert out["downhill_10_m"] == pytest.approx(1000.0)
    assert out["downhill_10_s"] == pytest.approx(250.0)
    assert out["uphill_5_m"] == 0.0
    # 0.48 m a sample; the reference moves every 7 samples (3.36 m): floor(120 / 3.36) = 35
    # moves -> 117.6 m over 1 km
    assert out["descent_m_per_km"] == pytest.approx(117.6)


@pytest.mark.parametrize("grade, cr", [
    # Cr(i) = 155.4 i^5 - 30.4 i^4 - 43.3 i^3 + 46.3 i^2 + 19.5 i + 3.6
    # +0.1: 0.001554 - 0.00304 - 0.0433 + 0.463 + 1.95 + 3.6 = 5.968214
    (0.10, 5.968214),
    # -0.1: -0.001554 - 0.00304 + 0.0433 + 0.463 - 1.95 + 3.6 = 2.151706
    (-0.10, 2.151706),
    (0.0, 3.6),
])
def test_minetti_gap(grade, cr):
    assert minetti_cost(grade) == pytest.approx(cr)
    out = terrain_metrics(slope(km=1, grade=grade)).loc["a"]
    # 4 m/s is 250 s/km; the flat-equivalent speed is v * Cr / 3.6, so GAP = 250 * 3.6 / Cr
    # (+10 %: 150.80 s/km; -10 %: 418.27 s/km; flat: 250)
    assert out["gap_s_per_km"] == pytest.approx(250 * 3.6 / cr)


def test_grade_clipped_at_45_percent():
    out = terrain_metrics(slope(km=0.5, grade=0.8, v=1.0)).loc["a"]
    # every interval clips to +0.45: GAP = 500 s/km (1 m/s) * 3.6 / Cr(0.45)
    assert out["gap_s_per_km"] == pytest.approx(1000 * 3.6 / minetti_cost(0.45))


def test_pause_on_a_climb_is_not_slope_time():
    s = slope(km=2, grade=0.05)
    stop = s["timestamp"] > T0 + pd.Timedelta(seconds=250.5)
    s.loc[stop, "timestamp"] += pd.Timedelta(minutes=5)  # 5 min stopped at 1002 m
    out = terrain_metrics(s).loc["a"]
    # the 10 m interval holding the stop is covered at < 0.5 m/s: no grade, no time
    assert out["uphill_5_m"] == pytest.approx(1990.0)
    assert out["uphill_5_s"] == pytest.approx(497.5)


def test_roughness():
    d = np.arange(0, 2000.0, 2.0)
    flat = track(north_m=d, alt=np.full(len(d), 50.0))
    assert terrain_metrics(flat).loc["a"]["roughness_m"] == pytest.approx(0.0, abs=1e-9)
    ramp = slope(km=2, grade=0.08)
    # a straight ramp equals its own moving median
    assert terrain_metrics(ramp).loc["a"]["roughness_m"] == pytest.approx(0.0, abs=1e-6)
    # a 2 m bump every 100 m: grid points 0, 10, ..., 1990; the full 21-point window fits
    # at points 10..189 (180 of them); the median is 50 everywhere, so 18 residuals are 2
    # and 162 are 0: mean 0.2, variance (18 * 1.8^2 + 162 * 0.2^2) / 179 -> SD 0.60168
    bumps = np.where(d % 100 == 0, 52.0, 50.0)
    rough = terrain_metrics(track(north_m=d, alt=bumps)).loc["a"]["roughness_m"]
    assert rough == pytest.approx(np.sqrt((18 * 1.8**2 + 162 * 0.2**2) / 179))


def test_heading_change_staircase():
    # 100 m legs turning +90 and -90 degrees alternately, the last leg 115 m long:
    # 9 corners of 90 deg on the first 1000 m (50 steps of 20 m; the tail adds none)
    lengths = [100.0] * 9 + [115.0]
    legs_n = np.r_[0.0, np.cumsum([x if k % 2 == 0 else 0.0 for k, x in enumerate(lengths)])]
    legs_e = np.r_[0.0, np.cumsum([0.0 if k % 2 == 0 else x for k, x in enumerate(lengths)])]
    at = np.r_[0.0, np.cumsum(lengths)]
    s = np.arange(0, at[-1] + 0.5, 1.0)
    north = np.interp(s, at, legs_n)
    east = np.interp(s, at, legs_e)
    out = terrain_metrics(track(north_m=north, east_m=east, dist=False)).loc["a"]
    # 9 * 90 = 810 deg over 1000 m -> 81 deg / 100 m
    assert out["heading_change_deg_per_100m"] == pytest.approx(81.0, rel=1e-3)
    straight = terrain_metrics(track(north_m=s, dist=False)).loc["a"]
    assert straight["heading_change_deg_per_100m"] == pytest.approx(0.0, abs=1e-6)


def test_gait_cv_over_present_channels():
    n = 601
    d = np.arange(n) * 3.0
    cad = np.where(np.arange(n) % 2 == 0, 166.6, 173.4)  # 170 +- 3.4
    s = track(north_m=d, v=3.0, cadence_spm=cad, step_length_mm=np.full(n, 1050.0))
    out = terrain_metrics(s).loc["a"]
    # cadence: mean 170, SD ~3.4 -> CV 0.02; step length constant -> CV 0; mean 0.01
    assert out["gait_cv"] == pytest.approx(0.01, rel=0.01)
    assert np.isnan(terrain_metrics(track(north_m=d, v=3.0)).loc["a", "gait_cv"])


def test_no_gps_no_altitude_is_nan():
    s = track(north_m=np.arange(0, 3000.0, 3.0), v=3.0, gps=False)
    out = terrain_metrics(s).loc["a"]
    assert out.isna().all()


def test_unsorted_and_two_activities_do_not_mix():
    up = slope("up", km=2, grade=0.05)
    down = slope("down", km=1, grade=-0.12)
    both = pd.concat([up, down]).sample(frac=1.0, random_state=5)
    out = terrain_metrics(both)
    pd.testing.assert_frame_equal(out.loc[["up"]], terrain_metrics(up))
    pd.testing.assert_frame_equal(out.loc[["down"]], terrain_metrics(down))


def test_altitude_starting_late():
    # altitude missing for the first 400 m of a 2 km climb, a second activity before it
    s = slope("b", km=2, grade=0.05)
    s.loc[s["distance_m"] < 400, "altitude_m"] = np.nan
    both = pd.concat([slope("a", km=1, grade=0.0), s])
    out = terrain_metrics(both).loc["b"]
    assert out["uphill_5_m"] == pytest.approx(1600.0)
    assert terrain_metrics(both).loc["a", "uphill_5_m"] == 0.0


@pytest.mark.parametrize("args, expected", [
    (("running", "treadmill", False), "treadmill"),
    (("running", "indoor_running", False), "treadmill"),
    (("running", "virtual_activity", True), "treadmill"),
    (("running", "street", True), "road"),
    (("running", "trail", True), "trail"),
    (("running", "mixed_surface", True), "trail"),
    (("running", "track", True), "track"),
    (("running", "Trail Run", True), "trail"),
    (("running", "VirtualRun", False), "treadmill"),
    (("running", "generic", True), "unknown"),
    (("running", None, True, "Evening trail loop"), "trail"),
    (("running", None, False), "treadmill"),
    (("cycling", None, False), "unknown"),
    (("running", None, True), "unknown"),
])
def test_surface(args, expected):
    assert surface(*args) == expected


def test_surface_needs_distance_for_the_treadmill_inference():
    assert surface("running", None, False, distance_m=0.0) == "unknown"
    assert surface("running", None, False, distance_m=5000.0) == "treadmill"


def test_surfaces_matches_surface():
    acts = pd.DataFrame({
        "sport": ["running", "running", "running", "cycling", "running"],
        "sub_sport": ["trail", pd.NA, pd.NA, pd.NA, "street"],
        "has_gps": pd.array([True, False, True, False, pd.NA], dtype="boolean"),
        "name": [pd.NA, pd.NA, "Track Tuesday", pd.NA, pd.NA],
        "distance_m": [8000.0, 5000.0, 6000.0, 20000.0, np.nan],
    }, index=[10, 11, 12, 13, 14])
    got = surfaces(acts)
    assert list(got) == ["trail", "treadmill", "track", "unknown", "road"]
    assert list(got.index) == [10, 11, 12, 13, 14]
    assert str(got.dtype) == "string"
