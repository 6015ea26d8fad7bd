"""Tests of the case-crossover factor analysis (runback.factors).

Hand-checked pieces (referents, windows, BH, power labels), equality with statsmodels'
ConditionalLogit, separation, factors without data, and simulated seasons: a planted
trigger must be found and random flare-ups must not produce more false discoveries than
the nominal rate.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.discrete.conditional_models import ConditionalLogit
from statsmodels.stats.multitest import multipletests

from runback import factors as fx
from runback.errors import SchemaError
from simulate_season import detect_flares, simulate_season

JSON_KEYS = {"n_onsets", "onsets", "power", "window_days", "method", "factors", "red_flags",
             "warnings"}
FACTOR_KEYS = {"factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value", "n_onsets",
               "description"}
PLANTED = {"climb", "descent"}


def blank_daily(start: str, end: str) -> pd.DataFrame:
    """A daily table without runs, flare-ups or gaps in the diary."""
    dates = pd.date_range(start, end, freq="D")
    n = len(dates)
    return pd.DataFrame({
        "date": dates,
        "distance_m": np.zeros(n),
        "logged": pd.array(np.ones(n, dtype=bool), dtype="boolean"),
        "flare_onset": pd.array(np.zeros(n, dtype=bool), dtype="boolean"),
        "in_flare": pd.array(np.zeros(n, dtype=bool), dtype="boolean"),
    })


def set_flare(daily: pd.DataFrame, onset: str, end: str) -> None:
    dates = daily["date"]
    daily.loc[dates == pd.Timestamp(onset), "flare_onset"] = True
    daily.loc[(dates >= pd.Timestamp(onset)) & (dates <= pd.Timestamp(end)), "in_flare"] = True


def top_factor(result: fx.FactorResult) -> pd.Series:
    """The family factor with the smallest p-value (ties: the larger |log OR|)."""
    f = result.factors[result.factors["p_value"].notna()].copy()
    f["effect"] = np.abs(np.log(f["odds_ratio"]))
    return f.sort_values(["p_value", "effect"], ascending=[True, False]).iloc[0]


# ----------------------------------------------------------------------------------------
# Referents and windows, by hand
# ----------------------------------------------------------------------------------------

def test_referents_are_the_other_same_weekdays_of_the_month():
    dates = pd.date_range("2025-02-20", "2025-04-10", freq="D")
    cand = fx.referent_days(dates)
    where = {d: i for i, d in enumerate(dates)}
    # Tuesday 11 March 2025: the other Tuesdays of March are the 4th, 18th and 25th.
    got = sorted(dates[j].day for j in cand[where[pd.Timestamp("2025-03-11")]] if j >= 0)
    assert got == [4, 18, 25]
    # Monday 31 March: Mondays 3, 10, 17, 24 (four referents, the month's fifth Monday).
    got = sorted(dates[j].day for j in cand[where[pd.Timestamp("2025-03-31")]] if j >= 0)
    assert got == [3, 10, 17, 24]
    # Thursday 3 April: only the 10th lies inside the span; never a March Thursday.
    got = [dates[j] for j in cand[where[pd.Timestamp("2025-04-03")]] if j >= 0]
    assert got == [pd.Timestamp("2025-04-10")]


def test_referent_in_or_after_a_flare_is_dropped():
    daily = blank_daily("2025-02-01", "2025-04-30")
    set_flare(daily, "2025-03-11", "2025-03-12")   # the onset under study (a Tuesday)
    set_flare(daily, "2025-03-27", "2025-03-28")   # a later flare (a Thursday)
    daily.loc[daily["date"] == pd.Timestamp("2025-03-04"), "logged"] = False
    comp = fx.comparison_days(daily, window_days=3)
    march = comp[(comp["onset"] == pd.Timestamp("2025-03-11")) & (comp["role"] == "referent")]
    got = dict(zip(march["date"].dt.day, march["reason"], strict=True))
    # 4th: not logged. 18th: its window 15..18 lies in the 7 days after the flare ending on
    # the 12th. 25th: window 22..25 is clear of both flares (the next starts on the 27th).
    assert got == {4: "not logged", 18: "in or near a flare-up", 25: ""}
    later = comp[(comp["onset"] == pd.Timestamp("2025-03-27")) & (comp["role"] == "referent")]
    # March Thursdays 6, 13, 20: the 13th's window 10..13 overlaps the flare of the 11th-12th
    # and the 20th's window 17..20 its 7 days after (to the 19th); only the 6th is used.
    got = dict(zip(later["date"].dt.day, later["used"], strict=True))
    assert got == {6: True, 13: False, 20: False}


def test_post_flare_days_sets_the_blocked_span():
    daily = blank_daily("2025-02-01", "2025-04-30")
    set_flare(daily, "2025-03-11", "2025-03-12")
    used = {}
    for days in (0, 2, 3, 7, 9, 10):
        comp = fx.comparison_days(daily, post_flare_days=days)
        used[days] = sorted(comp.loc[comp["used"] & (comp["role"] == "referent"), "date"]
                            .dt.day)
    # Blocked to the 12th + days. 18th: window 15..18, blocked from 3 days on.
    # 25th: window 22..25, blocked from 10 days on.
    assert used == {0: [4, 18, 25], 2: [4, 18, 25], 3: [4, 25], 7: [4, 25], 9: [4, 25],
                    10: [4]}


def test_logged_rule_can_be_switched_off():
    daily = blank_daily("2025-02-01", "2025-04-30")
    set_flare(daily, "2025-03-11", "2025-03-12")
    daily.loc[daily["date"] == pd.Timestamp("2025-03-04"), "logged"] = False
    comp = fx.comparison_days(daily, require_logged=False)
    row = comp[comp["date"] == pd.Timestamp("2025-03-04")]
    assert row["used"].tolist() == [True]


def test_window_aggregations_by_hand():
    values = pd.Series([0.0, 1.0, 2.0, np.nan, 4.0, np.nan, np.nan, np.nan, 6.0])
    expect = {
        # window d-3..d-1 of each day, from day 3 on (days 0-2 lack a full window)
        "sum": [3.0, 3.0, 6.0, 4.0, 4.0, np.nan],
        "mean": [1.0, 1.5, 3.0, 4.0, 4.0, np.nan],
        "max": [2.0, 2.0, 4.0, 4.0, 4.0, np.nan],
        "last": [2.0, np.nan, 4.0, np.nan, np.nan, np.nan],
        "any_below": [1.0, 1.0, 0.0, 0.0, 0.0, 0.0],      # threshold 1.5
        "any_above": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],      # threshold 1.5
    }
    for agg, want in expect.items():
        f = fx.Factor("x", ("x",), agg, "continuous", threshold=1.5)
        got = fx.window_exposure(values, f, 3).to_numpy()
        assert np.isnan(got[:3]).all(), agg
        np.testing.assert_array_equal(got[3:], want, err_msg=agg)


def test_window_excludes_the_onset_day_and_equal_windows_are_equal():
    values = pd.Series([0.1, 0.2, 0.3, 0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 0.0, 0.0, 0.0, 5.0])
    got = fx.window_exposure(values, fx.FACTORS[0], 3).to_numpy()
    assert got[12] == 0.0                        # the day's own 5.0 is not in its window
    assert got[3] == got[9]                      # same three values, the same exposure
    assert got[6] == got[12] == 0.0


def test_mark_flares_sets_onset_and_span():
    daily = blank_daily("2025-01-01", "2025-01-20")
    flares = pd.DataFrame({"onset": pd.to_datetime(["2025-01-05", "2025-01-18"]),
                           "end": pd.to_datetime(["2025-01-07", pd.NaT])})
    out = fx.mark_flares(daily, flares)
    assert out.loc[out["flare_onset"], "date"].dt.day.tolist() == [5, 18]
    assert out.loc[out["in_flare"], "date"].dt.day.tolist() == [5, 6, 7, 18, 19, 20]


# ----------------------------------------------------------------------------------------
# Model pieces
# ----------------------------------------------------------------------------------------

def test_clogit_equals_statsmodels_conditional_logit():
    rng = np.random.default_rng(7)
    strata, members = 12, 5
    x = rng.normal(size=(strata, members))
    x[:, 0] += 0.6                                   # cases a little more exposed
    valid = np.ones_like(x, dtype=bool)
    valid[3, 3:] = False                             # strata of different sizes
    valid[8, 2:] = False
    b, se, lr = fx.clogit(x, valid)
    endog = np.concatenate([[1] + [0] * (valid[s].sum() - 1) for s in range(strata)])
    exog = np.concatenate([x[s][valid[s]] for s in range(strata)])
    groups = np.concatenate([[s] * valid[s].sum() for s in range(strata)])
    fit = ConditionalLogit(endog, exog[:, None], groups=groups).fit(method="newton",
                                                                     disp=False)
    assert b == pytest.approx(fit.params[0], rel=1e-7)
    assert se == pytest.approx(fit.bse[0], rel=1e-6)
    ll0 = -np.log(valid.sum(axis=1)).sum()
    assert lr == pytest.approx(2 * (fit.llf - ll0), rel=1e-7)


def test_clogit_vectorised_fits_equal_single_fits():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 9, 4))
    valid = rng.random((6, 9, 4)) > 0.2
    b, se, lr = fx.clogit(x, valid)
    for i in range(6):
        bi, sei, lri = fx.clogit(x[i], valid[i])
        assert b[i] == pytest.approx(float(bi), abs=1e-9)
        assert lr[i] == pytest.approx(float(lri), abs=1e-9)


def test_clogit_separation_and_no_information():
    x = np.array([[[3.0, 1.0, 2.0], [5.0, 5.0, 1.0]],      # case never below a referent
                  [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]])      # no variation at all
    b, se, lr = fx.clogit(x, np.ones_like(x, dtype=bool))
    assert b[0] == np.inf and np.isnan(se[0])
    # supremum of the likelihood: stratum 1 -> log 1, stratum 2 -> log(1/2) (a tie)
    assert lr[0] == pytest.approx(2 * (-math.log(2) + 2 * math.log(3)))
    assert np.isnan(b[1]) and lr[1] == 0.0


def test_benjamini_hochberg_by_hand():
    p = [0.01, 0.04, 0.03, 0.20, np.nan]
    # m = 4: sorted 0.01 0.03 0.04 0.20 -> 0.04, 0.06, 0.0533, 0.20 -> step-up minimum
    want = [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.20, np.nan]
    np.testing.assert_allclose(fx.benjamini_hochberg(p), want)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30))
def test_benjamini_hochberg_matches_statsmodels(p):
    q = fx.benjamini_hochberg(p)
    np.testing.assert_allclose(q, multipletests(p, method="fdr_bh")[1], atol=1e-12)
    assert np.all(q >= np.asarray(p) - 1e-12)


@pytest.mark.parametrize(("n", "label"), [(0, "descriptive only"), (7, "descriptive only"),
                                          (8, "underpowered"), (19, "underpowered"),
                                          (20, "adequate"), (45, "adequate")])
def test_power_labels(n, label):
    assert fx.power_label(n) == label


# ----------------------------------------------------------------------------------------
# The analysis on constructed and simulated data
# ----------------------------------------------------------------------------------------

def test_permutation_p_equals_a_loop_over_shifted_series():
    """The vectorised shifts give the p-value of refitting on each rolled flare series."""
    d = simulate_season(11, days=240, trigger=None, flares_per_year=25)
    d.loc[d.index[-12:], ["flare_onset", "in_flare"]] = False   # no flare at the seam
    factor = fx.FACTORS[0]
    res = fx.case_crossover(d, factors=[factor], n_permutations=7, seed=0)
    # the shifts case_crossover draws: 7 of 28..T-28 without replacement
    shifts = np.random.default_rng(0).choice(np.arange(28, 240 - 27), 7, replace=False)
    expo = fx.window_exposure(d["distance_m"], factor, 3).to_numpy()
    z = (expo - np.nanmean(expo)) / np.nanstd(expo, ddof=1)

    def lr_of(daily):
        comp = fx.comparison_days(daily)
        comp = comp[comp["used"]]
        pos = {t: i for i, t in enumerate(pd.to_datetime(daily["date"]))}
        x, valid = np.zeros((0, 5)), np.zeros((0, 5), dtype=bool)
        for _, g in comp.groupby("onset"):
            case = g[g["role"] == "onset"]["date"].map(pos).tolist()
            refs = g[g["role"] == "referent"]["date"].map(pos).tolist()
            row = np.full(5, np.nan)
            row[: 1 + len(refs)] = z[case + refs]
            x = np.vstack([x, row])
            valid = np.vstack([valid, ~np.isnan(row)])
        return float(fx.clogit(x, valid)[2])

    observed = lr_of(d)
    rolled = []
    for s in shifts:
        r = d.copy()
        for col in ("flare_onset", "in_flare", "logged"):
            r[col] = pd.array(np.roll(d[col].to_numpy(dtype=bool), s), dtype="boolean")
        rolled.append(lr_of(r))
    want = (1 + sum(v >= observed * (1 - 1e-9) - 1e-12 for v in rolled)) / (1 + len(shifts))
    assert res.factors["p_value"].iloc[0] == pytest.approx(want)


def test_perfect_separation_gives_firth_estimate_and_valid_p():
    d = simulate_season(5, trigger=None)
    onset = d["flare_onset"].to_numpy(dtype=bool)
    marker = np.zeros(len(d))
    for t in np.flatnonzero(onset):
        marker[max(0, t - 2)] = 1.0                  # something done 2 days before each onset
    d["marker"] = marker
    res = fx.case_crossover(d, factors=[fx.custom_factor("marker", "sum", kind="binary")])
    row = res.factors.iloc[0]
    assert row["method"].startswith("firth-clogit")
    assert 1 < row["ci_low"] < row["odds_ratio"] < row["ci_high"] < math.inf
    n_shifts = 365 - 2 * 28 + 1
    assert 1 / (1 + n_shifts) <= row["p_value"] < 0.05
    assert "penalised" in row["description"]


def test_factor_without_data_is_listed_with_a_reason():
    d = simulate_season(2).drop(columns=["sleep_hours"])
    d["treadmill_m"] = 0.0
    d["stress"] = np.nan
    res = fx.case_crossover(d, n_permutations=20)
    f = res.factors.set_index("factor")
    assert list(f.index) == [x.name for x in fx.FACTORS]
    for name in ("sleep", "treadmill", "stress"):
        assert np.isnan(f.loc[name, "odds_ratio"]) and np.isnan(f.loc[name, "p_value"])
        assert "no data" in f.loc[name, "reason"]
        assert f.loc[name, "description"].startswith("Not analysed: no data")
    assert any(w.startswith("sleep: no data") for w in res.warnings)
    out = res.to_dict()
    sleep = next(e for e in out["factors"] if e["factor"] == "sleep")
    assert sleep["odds_ratio"] is None and sleep["q_value"] is None


def test_constant_exposure_has_no_variation():
    d = simulate_season(2)
    d["constant"] = 4.0
    res = fx.case_crossover(d, factors=["distance", fx.custom_factor("constant")],
                            n_permutations=20)
    assert res.factors["reason"].tolist()[1] == "no variation in the exposure"
    assert math.isfinite(res.factors["odds_ratio"].iloc[0])


def test_exploratory_factor_stays_outside_the_family():
    d = simulate_season(4)
    base = fx.case_crossover(d, n_permutations=60)
    more = fx.case_crossover(d, factors=[*fx.FACTORS, fx.custom_factor("uphill_5_s")],
                             n_permutations=60)
    np.testing.assert_allclose(more.factors["q_value"].iloc[:-1], base.factors["q_value"])
    extra = more.factors.iloc[-1]
    assert extra["exploratory"] and np.isnan(extra["q_value"])
    assert "Exploratory" in extra["description"]


def test_result_json_has_exactly_the_contract_keys():
    res = fx.case_crossover(simulate_season(0), n_permutations=30)
    out = res.to_dict()
    assert set(out) == JSON_KEYS
    assert all(set(e) == FACTOR_KEYS for e in out["factors"])
    assert [e["factor"] for e in out["factors"]] == [f.name for f in fx.FACTORS]
    assert out["onsets"] == [d.isoformat() for d in res.onsets]
    assert out["power"] in {"descriptive only", "underpowered", "adequate"}
    json.dumps(out, allow_nan=False)
    assert list(res.factors.columns[:10]) == [
        "factor", "window", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
        "n_onsets", "method", "description"]
    assert (res.factors["window"] == "d-3..d-1").all()


def test_descriptions_say_association_and_not_known():
    factor = fx._BY_NAME["descent"]
    row = SimpleNamespace(reason="", n_onsets=9, kind="continuous", sd=840.0,
                          odds_ratio=2.4, ci_low=1.1, ci_high=5.3, separation=0,
                          exploratory=False, q_value=0.04)
    text = fx._describe(factor, row, 3, 14)
    assert text.startswith("In the 3 days before your 9 flare-ups you ran more steep downhill "
                           "than on comparable days (odds ratio 2.4 per 14 min more, "
                           "95 % CI 1.1 to 5.3).")
    assert "association, not proof of cause" in text and "underpowered" in text
    assert "stands out among the 14 factors checked (q = 0.04)" in text
    unclear = SimpleNamespace(**{**row.__dict__, "odds_ratio": 3.0, "ci_low": 0.8,
                                 "ci_high": 11.0, "n_onsets": 25})
    text = fx._describe(factor, unclear, 3, 14)
    assert "is not known" in text and "0.8 to 11" in text and "underpowered" not in text
    sleep = SimpleNamespace(**{**row.__dict__, "sd": 0.7})
    assert "you slept less" in fx._describe(fx._BY_NAME["sleep"], sleep, 3, 14)
    # an interval end beyond 1000 reads as the table shows it, not as 70683
    wide = SimpleNamespace(**{**row.__dict__, "odds_ratio": 120.0, "ci_low": 0.3,
                              "ci_high": 70683.0, "n_onsets": 10})
    assert "95 % CI 0.3 to >1000)" in fx._describe(factor, wide, 3, 14)
    tiny = SimpleNamespace(**{**row.__dict__, "odds_ratio": 0.01, "ci_low": 0.0004,
                              "ci_high": 0.2})
    assert "odds ratio 0.01 per 14 min more, 95 % CI <0.001 to 0.2" in fx._describe(
        factor, tiny, 3, 14)


def test_short_sleep_before_flares_reads_as_less_sleep():
    d = simulate_season(8, trigger=None)
    sleep = d["sleep_hours"].to_numpy(dtype=float).copy()
    for t in np.flatnonzero(d["flare_onset"].to_numpy(dtype=bool)):
        sleep[max(0, t - 3):t] -= 2.0
    d["sleep_hours"] = sleep
    row = fx.case_crossover(d, factors=["sleep"]).factors.iloc[0]
    assert row["odds_ratio"] > 1 and row["ci_low"] > 1
    assert "slept less" in row["description"]


def test_few_onsets_are_descriptive_only():
    d = blank_daily("2025-01-01", "2025-12-31")
    d["distance_m"] = np.random.default_rng(1).uniform(0, 20000, len(d))
    set_flare(d, "2025-03-11", "2025-03-12")
    set_flare(d, "2025-06-17", "2025-06-18")
    res = fx.case_crossover(d, factors=["distance"])
    assert res.n_onsets == 2 and res.power == "descriptive only"
    assert any("descriptive only" in w for w in res.warnings)
    assert "descriptive only" in res.factors["description"].iloc[0]


def test_no_onsets_and_short_spans_give_null_rows_and_warnings():
    d = simulate_season(0)
    quiet = d.assign(flare_onset=False, in_flare=False)
    res = fx.case_crossover(quiet)
    assert res.n_onsets == 0 and res.onsets == [] and res.power == "descriptive only"
    assert res.factors["odds_ratio"].isna().all() and (res.factors["n_onsets"] == 0).all()
    assert "no flare-up onset" in res.warnings[0]
    short = fx.case_crossover(d.iloc[:50])
    assert short.factors["p_value"].isna().all()
    assert any("too short for circular-shift" in w for w in short.warnings)
    assert fx.case_crossover(d.iloc[:0]).to_dict()["n_onsets"] == 0


def test_bad_input_is_refused():
    d = simulate_season(0)
    with pytest.raises(SchemaError, match="flare_onset"):
        fx.case_crossover(d.drop(columns="flare_onset"))
    with pytest.raises(ValueError, match="statistic must be one of"):
        fx.case_crossover(d, statistic="t")
    with pytest.raises(ValueError, match="factors must be"):
        fx.case_crossover(d, factors=["hills"])
    with pytest.raises(ValueError, match="factors must be"):
        fx.case_crossover(d, factors=[])
    with pytest.raises(ValueError, match="aggregate must be one of"):
        fx.custom_factor("distance_m", "median")


def test_sensitivity_grid_covers_every_k_and_window():
    d = simulate_season(6)
    grid = fx.sensitivity_grid(d, d[["date", "pain"]], factors=["climb", "distance"],
                               n_permutations=40, find_flares=detect_flares)
    assert len(grid) == 3 * 3 * 2
    assert set(grid["k"]) == {1.5, 2.0, 3.0} and set(grid["window_days"]) == {1, 3, 7}
    assert {"odds_ratio", "ci_low", "ci_high", "p_value", "q_value", "n_onsets"} <= set(grid)
    onsets = grid.groupby("k")["n_onsets"].max()
    assert onsets[1.5] >= onsets[2.0] >= onsets[3.0] and onsets[3.0] < onsets[1.5]


def test_sensitivity_grid_uses_runback_pain_by_default():
    pain = pytest.importorskip("runback.pain")
    d = simulate_season(6)
    entries = d.loc[d["pain"].notna(), ["date", "pain"]].assign(entry=0)
    per_day = pain.daily_pain(entries)
    grid = fx.sensitivity_grid(d, per_day, ks=(1.5, 3.0), windows=(3,), factors=["climb"],
                               n_permutations=20)
    want = {k: fx.case_crossover(fx.mark_flares(d, pain.find_flares(per_day, k=k)),
                                 factors=["climb"], n_permutations=20)
            .factors["n_onsets"].iloc[0] for k in (1.5, 3.0)}
    assert dict(zip(grid["k"], grid["n_onsets"], strict=True)) == want
    assert want[3.0] < want[1.5]


# ----------------------------------------------------------------------------------------
# Simulation: power and false discoveries
# ----------------------------------------------------------------------------------------

def test_planted_trigger_comes_out_on_top():
    """Hilly long runs followed 1-2 days later by flare-ups: found in most seasons."""
    seeds = range(10)
    found = []
    for seed in seeds:
        res = fx.case_crossover(simulate_season(seed, trigger="hilly_long_run"))
        top = top_factor(res)
        found.append(top["factor"] in PLANTED and top["q_value"] <= fx.FDR)
        if found[-1]:
            assert top["odds_ratio"] > 1
            assert f"q = {top['q_value']:.2f}" in top["description"]
    rate = np.mean(found)
    print(f"planted trigger detected in {sum(found)}/{len(found)} seasons")
    assert rate >= 0.6


def test_random_flares_keep_the_false_discovery_rate():
    """Random flare-ups: seasons with any q <= 0.10 stay at the nominal 10 %."""
    seeds = range(1000, 1060)
    any_hit = []
    for seed in seeds:
        res = fx.case_crossover(simulate_season(seed, trigger=None), n_permutations=199,
                                seed=seed)
        any_hit.append(bool((res.factors["q_value"] <= fx.FDR).any()))
    n = len(any_hit)
    print(f"seasons with a false discovery: {sum(any_hit)}/{n}")
    assert sum(any_hit) <= stats.binom.ppf(0.975, n, fx.FDR)
