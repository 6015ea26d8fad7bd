"""Calendar load tables and load metrics, checked against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runback import schema
from runback.metrics.load import (
    acwr,
    change_category,
    ctl_atl_tsb,
    daily_table,
    distance_change,
    ewma,
    monotony,
    session_spike,
    strain,
    weekly_table,
)
from runback.pain import daily_pain, find_flares

MON = pd.Timestamp("2025-03-03")  # a Monday


def d(i: int) -> pd.Timestamp:
    return MON + pd.Timedelta(days=i)


def activities(*rows: dict) -> pd.DataFrame:
    """An activities frame from row dicts with ``day`` (offset from MON) for local_date."""
    out = []
    for n, r in enumerate(rows):
        row = {"activity_id": f"a{n}", "sport": "running", "is_run": True, "surface": "road",
               **{k: v for k, v in r.items() if k != "day"}}
        row["local_date"] = d(r["day"])
        out.append(row)
    return pd.DataFrame(out)


def series(values) -> pd.Series:
    return pd.Series(values, index=pd.date_range(MON, periods=len(values)), dtype=float)


# --- helpers by hand -----------------------------------------------------------------

def test_ewma_by_hand_over_five_days():
    # N = 3: lambda = 2 / 4 = 0.5; X starts at 0 the day before.
    # X0 = 0.5*10 = 5; X1 = 0.5*0 + 0.5*5 = 2.5; X2 = 0.5*20 + 0.5*2.5 = 11.25;
    # X3 = 0 + 5.625 = 5.625; X4 = 0.5*40 + 0.5*5.625 = 22.8125
    out = ewma(series([10, 0, 20, 0, 40]), 3)
    assert out.tolist() == pytest.approx([5.0, 2.5, 11.25, 5.625, 22.8125])
    # N = 7: lambda = 0.25: 25, 18.75, 14.0625, 10.546875, 7.91015625
    out = ewma(series([100, 0, 0, 0, 0]), 7)
    assert out.tolist() == pytest.approx([25.0, 18.75, 14.0625, 10.546875, 7.91015625])


def test_monotony_and_strain_by_hand():
    # loads 0,0,60,0,60,0,60: mean = 180/7 = 25.714; deviations -180/7 (x4), 240/7 (x3);
    # population variance = (4*32400 + 3*57600) / 49 / 7 = 302400/343 = 881.63, SD 29.69;
    # monotony = 25.714 / 29.69 = 0.8660 (= sqrt(3)/2); sample SD 32.07 -> 0.8018.
    # strain = 180 * 0.8660 = 155.88
    load = series([0, 0, 60, 0, 60, 0, 60])
    m = monotony(load)
    assert m.iloc[:6].isna().all()
    assert m.iloc[6] == pytest.approx(math.sqrt(3) / 2)
    assert monotony(load, ddof=1).iloc[6] == pytest.approx(math.sqrt(18 / 28))
    assert strain(load).iloc[6] == pytest.approx(180 * math.sqrt(3) / 2)


def test_monotony_is_na_when_all_days_are_equal():
    assert monotony(series([0] * 7)).isna().all()
    assert monotony(series([0.1] * 7)).isna().all()  # SD is 0 up to rounding
    assert strain(series([50] * 8)).isna().all()


def test_ctl_atl_tsb_two_steps_by_hand():
    ac, aa = 1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7)  # 0.023528, 0.133122
    out = ctl_atl_tsb(series([100, 50]))
    ctl0, atl0 = 100 * ac, 100 * aa  # 2.3528, 13.3122
    ctl1, atl1 = ctl0 + ac * (50 - ctl0), atl0 + aa * (50 - atl0)  # 3.4739, 18.1962
    assert out["ctl"].tolist() == pytest.approx([ctl0, ctl1])
    assert out["atl"].tolist() == pytest.approx([atl0, atl1])
    assert out["tsb"].tolist() == pytest.approx([0.0, ctl0 - atl0])  # -10.9594
    assert out["ctl"].iloc[1] == pytest.approx(3.4739, abs=1e-4)
    assert out["atl"].iloc[1] == pytest.approx(18.1962, abs=1e-4)


def test_acwr_is_na_for_28_days_and_where_chronic_is_zero():
    load = series([0] * 5 + [50] * 35)
    acute, chronic = ewma(load, 7), ewma(load, 28)
    ratio = acwr(acute, chronic)
    assert ratio.iloc[:28].isna().all()
    assert ratio.iloc[28:].notna().all()
    assert ratio.iloc[30] == pytest.approx(acute.iloc[30] / chronic.iloc[30])
    zero = series([0] * 40)
    assert acwr(ewma(zero, 7), ewma(zero, 28)).isna().all()


def test_distance_change_needs_two_full_weeks_and_a_non_zero_one():
    dist = series([1000] * 7 + [1250] * 7)
    change = distance_change(dist)
    assert change.iloc[:13].isna().all()
    assert change.iloc[13] == pytest.approx(0.25)  # 8750 / 7000 - 1
    assert distance_change(series([0] * 7 + [1000] * 7)).isna().all()


@pytest.mark.parametrize(("x", "label"), [(-0.4, "<10 %"), (0.0999, "<10 %"), (0.10, "10-30 %"),
                                          (0.30, "10-30 %"), (0.3001, ">30 %"), (2.0, ">30 %")])
def test_change_category_boundaries(x, label):
    assert change_category(x) == label
    assert change_category(pd.Series([x])).iloc[0] == label


def test_change_category_na():
    assert change_category(float("nan")) is pd.NA
    assert change_category(pd.Series([np.nan, 0.5])).isna().tolist() == [True, False]


# --- a week with one long run ------------------------------------------------------

def long_run_weeks() -> pd.DataFrame:
    # Week 1 (Mon 3 Mar): 5 km Tue, 5 km Thu, 10 km Sun.  Week 2: 5 km Tue, 5 km Thu,
    # 15 km Sat (the long run), a 1 h ride Sun.
    return activities(
        {"day": 1, "distance_m": 5000}, {"day": 3, "distance_m": 5000},
        {"day": 6, "distance_m": 10000},
        {"day": 8, "distance_m": 5000}, {"day": 10, "distance_m": 5000},
        {"day": 12, "distance_m": 15000},
        {"day": 13, "distance_m": 30000, "sport": "cycling", "is_run": False,
         "moving_time_s": 3600, "load": 40},
    )


def test_session_spike_by_hand():
    spikes = session_spike(long_run_weeks())
    # first run: nothing before -> NA; 5 km Thu vs 5 km -> 0; 10 km vs 5 km -> 1;
    # 5 km vs 10 km -> -0.5 (twice); 15 km vs 10 km -> 0.5; the ride is not a run.
    assert spikes.iloc[0] != spikes.iloc[0]  # NA
    assert spikes.iloc[1:6].tolist() == pytest.approx([0.0, 1.0, -0.5, -0.5, 0.5])
    assert np.isnan(spikes.iloc[6])


def test_session_spike_looks_back_thirty_days_only():
    acts = activities({"day": 0, "distance_m": 10000}, {"day": 30, "distance_m": 5000},
                      {"day": 60, "distance_m": 5000})
    spikes = session_spike(acts)
    assert spikes.iloc[1] == pytest.approx(-0.5)  # day 0 is within d-30..d-1
    assert spikes.iloc[2] == pytest.approx(0.0)  # window 30..59: day 30 in, day 0 out
    acts = activities({"day": 0, "distance_m": 10000}, {"day": 31, "distance_m": 5000})
    assert np.isnan(session_spike(acts).iloc[1])


def test_week_with_a_long_run_daily_and_weekly():
    daily = daily_table(long_run_weeks(), start=d(0))  # row i is day i
    assert daily.loc[12, "session_spike"] == pytest.approx(0.5)
    assert daily.loc[12, "longest_run_m"] == 15000
    # 7 days to Sun 16 Mar: 5 + 5 + 15 = 25 km; the 7 before: 5 + 5 + 10 = 20 km -> +25 %
    assert daily.loc[13, "distance_change"] == pytest.approx(0.25)
    # On Sat 15 Mar the previous window (2-8 Mar) starts before the table (3 Mar) -> NA
    assert np.isnan(daily.loc[12, "distance_change"])
    assert daily.loc[13, "cross_training_s"] == 3600
    assert daily.loc[13, "distance_m"] == 0 and daily.loc[13, "load"] == 40
    assert daily.loc[13, "run_load"] == 0
    weekly = weekly_table(daily)
    assert list(weekly["week_start"]) == [d(0), d(7)]
    assert list(weekly["distance_m"]) == [20000, 25000]
    assert list(weekly["runs"]) == [3, 3]
    assert np.isnan(weekly.loc[0, "distance_change"])
    assert weekly.loc[1, "distance_change"] == pytest.approx(0.25)
    assert change_category(weekly["distance_change"]).iloc[1] == "10-30 %"


# --- calendar ------------------------------------------------------------------------

def test_sunday_run_belongs_to_the_week_ending_that_sunday():
    acts = activities({"day": 6, "distance_m": 8000}, {"day": 7, "distance_m": 3000})
    weekly = weekly_table(daily_table(acts))
    assert list(weekly["week_start"]) == [d(0), d(7)]
    assert list(weekly["distance_m"]) == [8000, 3000]
    assert list(weekly["days"]) == [1, 1]  # partial weeks are kept


def test_every_day_present_rest_days_zero_and_pain_na_when_not_logged():
    acts = activities({"day": 0, "distance_m": 5000, "load": 50},
                      {"day": 9, "distance_m": 6000, "load": 60})
    pain = daily_pain(pd.DataFrame({"date": [d(4), d(11)], "entry": [0, 0], "pain": [3.0, 0.0],
                                    "sleep_hours": [7.0, np.nan]}))
    daily = daily_table(acts, pain_daily=pain)
    assert list(daily.columns) == schema.columns("daily")
    assert list(daily["date"]) == list(pd.date_range(d(0), d(11)))  # diary extends the span
    assert daily["distance_m"].tolist() == [5000] + [0] * 8 + [6000, 0, 0]
    assert daily["runs"].sum() == 2 and daily["load"].sum() == 110
    for col in ("moving_time_s", "elevation_gain_m", "downhill_10_s", "trail_m",
                "cross_training_s"):
        assert (daily[col] == 0).all() and daily[col].notna().all()
    assert daily["pain"].notna().tolist() == [i in (4, 11) for i in range(12)]
    assert daily.loc[11, "pain"] == 0.0  # logged zero, not missing
    assert daily["logged"].tolist() == [i in (4, 11) for i in range(12)]
    assert daily.loc[4, "sleep_hours"] == 7.0
    assert daily["flare_onset"].isna().all()  # flares not computed


def test_missing_values_do_not_make_a_day_missing():
    acts = activities(
        {"day": 0, "distance_m": 5000, "load": np.nan, "hi_intensity_s": np.nan,
         "roughness_m": 2.0, "temperature_c": 12.0},
        {"day": 0, "distance_m": 15000, "load": 80, "hi_intensity_s": 600,
         "moving_time_s": 4000, "roughness_m": np.nan, "temperature_c": 8.0},
        {"day": 0, "distance_m": np.nan, "load": 20, "surface": "treadmill"},
    )
    row = daily_table(acts).iloc[0]
    assert row["load"] == 100 and row["run_load"] == 100 and row["distance_m"] == 20000
    assert row["hi_intensity_s"] == 600 and row["hr_time_s"] == 4000
    assert row["roughness_m"] == 2.0  # weighted over the runs that have it
    assert row["temperature_c"] == 8.0  # the coldest run
    assert row["runs"] == 3


def test_surface_distances_and_distance_weighted_terrain():
    acts = activities({"day": 0, "distance_m": 3000, "surface": "trail", "roughness_m": 4.0},
                      {"day": 0, "distance_m": 1000, "surface": "treadmill",
                       "roughness_m": 0.0})
    row = daily_table(acts).iloc[0]
    assert (row["trail_m"], row["treadmill_m"]) == (3000, 1000)
    assert row["roughness_m"] == pytest.approx(3.0)  # (4*3000 + 0*1000) / 4000
    weekly = weekly_table(daily_table(acts))
    assert weekly.loc[0, "trail_share"] == pytest.approx(0.75)


def test_start_and_end_cut_the_table_and_flares_fill_their_columns():
    acts = activities({"day": 0, "distance_m": 5000}, {"day": 20, "distance_m": 5000})
    pain = daily_pain(pd.DataFrame({"date": [d(i) for i in range(12)], "entry": 0,
                                    "pain": [1.0] * 10 + [6.0, 1.0]}))
    flares = find_flares(pain, end_after=1)
    daily = daily_table(acts, pain_daily=pain, flares=flares, start=d(5), end=d(14))
    assert daily["date"].iloc[0] == d(5) and daily["date"].iloc[-1] == d(14)
    assert daily["distance_m"].sum() == 0
    assert daily["flare_onset"].tolist() == [i == 10 for i in range(5, 15)]
    assert daily["in_flare"].tolist() == [i == 10 for i in range(5, 15)]
    assert weekly_table(daily)["flare_onsets"].sum() == 1


def test_weekly_load_columns_and_monotony():
    loads = [0, 0, 60, 0, 60, 0, 60]
    acts = activities(*[{"day": i, "distance_m": 1000, "load": v} for i, v in enumerate(loads)
                        if v])
    daily = daily_table(acts, start=d(0), end=d(6))
    w = weekly_table(daily).iloc[0]
    assert w["load"] == 180 and w["days"] == 7
    assert w["monotony"] == pytest.approx(math.sqrt(3) / 2)
    assert w["strain"] == pytest.approx(180 * math.sqrt(3) / 2)
    assert w["acute_load"] == daily["acute_load"].iloc[-1]


def test_weekly_monotony_is_each_full_weeks_own_and_na_for_partial_or_flat_weeks():
    # starts on a Thursday (a partial week of 4 days), then two full weeks (one all rest:
    # flat), then a partial week of 3 days; loads vary within weeks
    rng = np.random.default_rng(7)
    loads = np.round(rng.uniform(0, 120, 4 + 7 + 7 + 3), 1)
    loads[4:11] = 0.0
    loads[11] = 0.0  # a rest day inside the last full week
    acts = activities(*[{"day": 3 + i, "distance_m": 1000, "load": v}
                        for i, v in enumerate(loads) if v])
    daily = daily_table(acts, start=d(3), end=d(23))
    w = weekly_table(daily)
    assert w["days"].tolist() == [4, 7, 7, 3]
    assert w["monotony"].isna().tolist() == [True, True, False, True]
    week = loads[11:18]
    assert w.loc[2, "monotony"] == week.mean() / week.std()  # population SD, this week only
    assert w.loc[2, "strain"] == pytest.approx(week.sum() * week.mean() / week.std())


def test_no_data_gives_empty_tables_with_every_column():
    daily = daily_table(schema.empty("activities"))
    assert daily.empty and list(daily.columns) == schema.columns("daily")
    weekly = weekly_table(daily)
    assert weekly.empty and list(weekly.columns) == schema.columns("weekly")


# --- properties ----------------------------------------------------------------------

activity_rows = st.lists(
    st.fixed_dictionaries({
        "day": st.integers(0, 60),
        "distance_m": st.one_of(st.none(), st.floats(0, 40000)),
        "load": st.one_of(st.none(), st.floats(0, 400)),
        "moving_time_s": st.floats(0, 20000),
        "elevation_gain_m": st.floats(0, 2000),
        "is_run": st.booleans(),
    }),
    min_size=1, max_size=25,
)


def frame(rows: list[dict], shift_days: int = 0) -> pd.DataFrame:
    acts = activities(*[{**r, "day": r["day"] + shift_days} for r in rows])
    return acts.astype({"distance_m": float, "load": float})


@settings(max_examples=60, deadline=None)
@given(activity_rows)
def test_weekly_sums_equal_daily_sums(rows):
    daily = daily_table(frame(rows))
    weekly = weekly_table(daily)
    assert weekly["days"].sum() == len(daily)
    for col in ("distance_m", "runs", "moving_time_s", "elevation_gain_m", "load"):
        assert weekly[col].sum() == pytest.approx(daily[col].sum(), rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(activity_rows, st.integers(-10, 10))
def test_shifting_by_whole_weeks_shifts_only_the_weeks(rows, weeks):
    base = weekly_table(daily_table(frame(rows)))
    moved = weekly_table(daily_table(frame(rows, 7 * weeks)))
    assert (moved["week_start"] - base["week_start"] == pd.Timedelta(weeks=weeks)).all()
    pd.testing.assert_frame_equal(moved.drop(columns="week_start"),
                                  base.drop(columns="week_start"))


@settings(max_examples=40, deadline=None)
@given(activity_rows, st.randoms(use_true_random=False))
def test_reordering_activity_rows_changes_nothing(rows, rnd):
    acts = frame(rows)
    order = list(acts.index)
    rnd.shuffle(order)
    pd.testing.assert_frame_equal(daily_table(acts.loc[order]), daily_table(acts))
