"""The pooled cohort model: design, meta-analysis, shrinkage, planted and null cohorts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from runback.cohort import (
    AthleteOutcome,
    Cohort,
    _design,
    _meta,
    pool,
    pooled_for_team,
    shrink,
)
from runback.errors import RunbackError
from tests.simulate_season import simulate_season

#: Days dropped from each simulated season: its load averages start from nothing, and a
#: warming-up chronic load would favour later days over earlier ones in every month.
BURN_IN_D = 60
FACTOR_OF_TRIGGER = ("climb", "descent", "uneven_terrain")


def season(seed: int, **kw) -> pd.DataFrame:
    return simulate_season(seed, days=365 + BURN_IN_D, **kw).iloc[BURN_IN_D:].reset_index(
        drop=True)


def planted_cohort(seed: int = 0, n: int = 24) -> dict[str, pd.DataFrame]:
    """Athletes whose hilly long runs trigger a flare-up now and then (a weak trigger)."""
    return {f"athlete{i:02d}": season(1000 * seed + i, trigger="hilly_long_run",
                                      trigger_prob=0.25, background_per_year=6)
            for i in range(n)}


def null_cohort(seed: int, n: int = 24) -> dict[str, pd.DataFrame]:
    """Flare-ups at random days, the runner easing off during each."""
    return {f"athlete{i:02d}": season(1000 * seed + i, trigger=None, flares_per_year=9)
            for i in range(n)}


# --- the design -----------------------------------------------------------------------

def tiny_daily(onsets=(), flare_days=(), logged=None, days=120):
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    onset = np.zeros(days, dtype=bool)
    inside = np.zeros(days, dtype=bool)
    onset[list(onsets)] = True
    inside[list(flare_days)] = True
    return pd.DataFrame({
        "date": dates, "distance_m": np.arange(days, dtype=float) * 100,
        "flare_onset": pd.array(onset, dtype="boolean"),
        "in_flare": pd.array(inside | onset, dtype="boolean"),
        "logged": pd.array(np.ones(days, dtype=bool) if logged is None else logged,
                           dtype="boolean"),
    })


def test_design_referents_share_weekday_month_and_the_at_risk_rule():
    # onset on 2024-03-13 (a Wednesday, day 72), a flare-up on 2024-03-04..05 (days 63-64)
    daily = tiny_daily(onsets=[63, 72], flare_days=[63, 64, 72, 73])
    d = _design(daily, window_days=3, washout_days=4)
    cases = d[d["case"]]
    assert list(cases["date"].dt.strftime("%Y-%m-%d")) == ["2024-03-04", "2024-03-13"]
    march13 = d[d["stratum"] == cases["stratum"].iloc[1]]
    refs = sorted(march13.loc[~march13["case"], "date"].dt.strftime("%Y-%m-%d"))
    # other Wednesdays of March 2024: 6 (in the washout of the flare-up ending on the 5th),
    # 20 (its window in the washout of the one ending on the 14th), 27 (clear)
    assert refs == ["2024-03-27"]
    # with a washout of 5 days the window of the 13th touches the first washout
    longer = _design(daily, window_days=3, washout_days=5)
    assert list(longer.loc[longer["case"], "date"].dt.day) == [4]
    # window exposure in raw units: distance summed over d-3..d-1
    case = cases.iloc[1]
    assert case["distance"] == pytest.approx((69 + 70 + 71) * 100)
    assert d.attrs["sd"]["distance"] > 0


def test_design_drops_windows_with_unlogged_days():
    logged = np.ones(120, dtype=bool)
    logged[70] = False  # inside the window of the 2024-03-13 onset
    daily = tiny_daily(onsets=[72], flare_days=[72], logged=logged)
    d = _design(daily, window_days=3, washout_days=5)
    assert d.empty


# --- meta-analysis and shrinkage ------------------------------------------------------

def test_meta_matches_dersimonian_laird_by_hand():
    y = np.array([0.2, 0.8, -0.1, 0.5])
    v = np.array([0.04, 0.09, 0.05, 0.02])
    w = 1 / v
    q = float((w * (y - (w * y).sum() / w.sum()) ** 2).sum())
    c = w.sum() - (w ** 2).sum() / w.sum()
    tau2 = max(0.0, (q - 3) / c)
    wr = 1 / (v + tau2)
    m = _meta(y, v)
    assert m["tau2"] == pytest.approx(tau2)
    assert m["mu"] == pytest.approx((wr * y).sum() / wr.sum())
    assert m["var_mu"] == pytest.approx(1 / wr.sum())
    assert m["i2"] == pytest.approx(max(0.0, (q - 3) / q))


def test_meta_truncates_a_negative_tau2_at_zero():
    m = _meta(np.array([0.1, 0.1001, 0.0999]), np.array([0.04, 0.05, 0.06]))
    assert m["tau2"] == 0.0 and m["i2"] == 0.0
    assert math.isfinite(m["var_mu"]) and m["var_mu"] > 0


def test_meta_needs_two_athletes():
    assert math.isnan(_meta(np.array([0.3, np.nan]), np.array([0.1, 0.1]))["tau2"])


def test_shrinkage_by_hand():
    theta, var = shrink(np.array([1.0, np.nan]), np.array([0.3, np.nan]), mu=0.2,
                        var_mu=0.01, tau2=0.1)
    b = 0.1 / 0.4
    assert theta[0] == pytest.approx(0.2 + b * 0.8)
    assert var[0] == pytest.approx(b * 0.3 + (1 - b) ** 2 * 0.01)
    # an athlete without an estimate gets the prediction for a new athlete
    assert theta[1] == pytest.approx(0.2)
    assert var[1] == pytest.approx(0.11)


def test_no_heterogeneity_shrinks_everyone_onto_the_pooled_mean():
    theta, var = shrink(np.array([1.0, -1.0]), np.array([0.2, 0.5]), mu=0.3, var_mu=0.02,
                        tau2=0.0)
    assert theta == pytest.approx([0.3, 0.3])
    assert var == pytest.approx([0.02, 0.02])


# --- whole cohorts --------------------------------------------------------------------

@pytest.fixture(scope="module")
def planted():
    cohort = Cohort.from_daily(planted_cohort())
    cohort.run(workers=1)
    return cohort


def test_weak_trigger_found_pooled_but_rarely_alone(planted):
    result = planted.result
    assert result.n_athletes >= 20
    found = {f["factor"] for f in result.findings}
    assert found & set(FACTOR_OF_TRIGGER), result.factors
    assert not found & {"sleep", "stress", "cold", "treadmill"}
    # alone, few athletes show it
    for factor in found & set(FACTOR_OF_TRIGGER):
        own = result.athletes[result.athletes["factor"] == factor]
        assert (own["own_q_value"] <= 0.10).sum() <= 4
        # every shrunk estimate has an interval around it
        shown = own.dropna(subset=["odds_ratio"])
        assert len(shown) == result.n_athletes
        assert ((shown["ci_low"] <= shown["odds_ratio"])
                & (shown["odds_ratio"] <= shown["ci_high"])).all()
    row = result.factors.set_index("factor").loc[next(iter(found))]
    assert row["ci_low"] > 1 and row["q_value"] <= 0.10
    assert 0 <= row["i2"] <= 1 and row["tau2"] >= 0
    for f in result.findings:
        assert "association, not proof of cause" in f["sentence"]


def test_json_has_the_contract_keys():
    d = Cohort.from_daily(dict(list(planted_cohort(n=4).items()))).run(workers=1).to_dict()
    assert list(d) == ["n_athletes", "n_onsets", "power", "method", "factors", "athletes",
                       "findings", "warnings"]
    assert list(d["factors"][0]) == ["factor", "odds_ratio", "ci_low", "ci_high", "p_value",
                                     "q_value", "n_onsets", "n_athletes", "tau2", "i2"]
    assert [list(a)[:3] for a in d["athletes"]] == [["athlete", "n_onsets", "factors"]] * 4
    assert d["n_onsets"] == sum(a["n_onsets"] for a in d["athletes"])


def test_results_do_not_depend_on_the_order_of_tasks():
    tables = planted_cohort(n=6)
    a = Cohort.from_daily(tables).run(workers=1)
    b = Cohort.from_daily(dict(reversed(list(tables.items())))).run(workers=1)
    cols = ["factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value"]
    pd.testing.assert_frame_equal(a.factors[cols], b.factors[cols], rtol=1e-9)


def test_athletes_without_diary_or_onsets_are_named():
    res = pool([AthleteOutcome("nodiary", "a folder", has_diary=False),
                AthleteOutcome("calm", "a folder", has_diary=True),
                AthleteOutcome("broken", "a folder", error="x.csv: not a table")])
    assert any("no pain diary for nodiary" in w for w in res.warnings)
    assert any(w.startswith("calm: no flare-up with a comparison day") for w in res.warnings)
    assert any(w == "broken: not analysed: x.csv: not a table" for w in res.warnings)
    assert res.n_onsets == 0 and res.findings == [] and res.n_athletes == 0
    assert list(res.quality["athlete"]) == ["nodiary", "calm", "broken"]


def test_cohort_page_draws_a_forest_plot_per_finding(planted, tmp_path):
    html = planted.report(tmp_path / "c.html")
    assert (tmp_path / "c.html").read_text() == html
    assert html.count('<figure><svg') == len(planted.result.findings) >= 1
    for f in planted.result.findings:
        assert f'id="finding-{f["factor"]}"' in html
        assert f"forest plot: {f['factor']}" in html
    assert html.count("<tr><th scope=\"row\">athlete") == 24  # the data-quality rows
    assert "<script" not in html


def test_forest_plot_marks_every_athlete(planted):
    ax = planted.plot_forest("descent")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == sorted(planted.result.quality["athlete"][
        planted.result.quality["onsets"] > 0])


def test_tables_need_a_folder(planted):
    with pytest.raises(RunbackError, match="run the cohort with tables="):
        planted.table("weekly")
    with pytest.raises(ValueError, match="name must be one of"):
        planted.table("samples")


def test_team_view_gets_pooled_findings_and_shrunk_estimates(tmp_path):
    from runback.log import TrainingLog
    from tests.cohort_files import write_folder

    logs = []
    for i, name in enumerate(["ana", "ben", "cleo"]):
        folder = write_folder(tmp_path / name, season(30 + i, trigger="hilly_long_run"),
                              diary=name != "cleo")
        diary = folder / "pain_diary.csv"
        logs.append((name, TrainingLog.from_paths([folder], diary=diary if diary.exists()
                                                  else None)))
    res = pooled_for_team(logs)
    assert list(res.quality["athlete"]) == ["ana", "ben", "cleo"]
    assert any("no pain diary for cleo" in w for w in res.warnings)
    assert res.n_athletes == 2 and res.n_onsets > 0
    shrunk = res.athletes.set_index(["athlete", "factor"])
    assert {"ana", "ben"} <= set(res.athletes["athlete"])
    assert "cleo" not in set(res.athletes["athlete"])
    assert shrunk.loc[("ana", "distance"), "odds_ratio"] > 0


@pytest.mark.slow
def test_null_cohorts_stay_silent():
    silent = 0
    for seed in range(10):
        result = Cohort.from_daily(null_cohort(seed)).run(workers=1)
        silent += not result.findings
    assert silent >= 9
