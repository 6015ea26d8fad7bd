"""The pooled cohort model: design, meta-analysis, shrinkage, planted and null cohorts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from runback.cohort import (
    AthleteOutcome,
    Cohort,
    _meta,
    pool,
    pooled_for_team,
    shrink,
)
from runback.errors import RunbackError
from runback.simulate import simulate_season

#: The planted trigger: a trail run in the 3 days before raises the flare-up hazard by
#: this ratio, weak enough that few athletes show it alone.
TRIGGER, TRIGGER_OR = "trail", 3.0
FACTOR_OF_TRIGGER = "uneven_terrain"
#: Days dropped from the start of each simulated season: its load averages start from 0,
#: and a chronic load still warming up rises through every early month, which the
#: referents (mostly before an onset, since the weeks after one are not at risk) turn
#: into a false "chronic load" finding once 24 athletes are pooled.
BURN_IN_D = 60


def season(seed: int, **kw) -> pd.DataFrame:
    """A simulated year after the burn-in."""
    return simulate_season(seed, days=365 + BURN_IN_D, **kw).iloc[BURN_IN_D:].reset_index(
        drop=True)


def planted_cohort(seed: int = 0, n: int = 24) -> dict[str, pd.DataFrame]:
    """Athletes whose trail runs bring on a flare-up now and then (a weak trigger)."""
    return {f"athlete{i:02d}": season(1000 * seed + i, trigger=TRIGGER, trigger_or=TRIGGER_OR)
            for i in range(n)}


def null_cohort(seed: int, n: int = 24) -> dict[str, pd.DataFrame]:
    """Flare-ups independent of training, the runner easing back after each."""
    return {f"athlete{i:02d}": season(50_000 + 1000 * seed + i)
            for i in range(n)}


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
    assert FACTOR_OF_TRIGGER in found, result.factors
    # alone, few athletes show it
    own = result.athletes[result.athletes["factor"] == FACTOR_OF_TRIGGER]
    assert (own["own_q_value"] <= 0.10).sum() <= 4
    # every athlete in the model has a shrunk estimate inside its interval
    shown = own.dropna(subset=["odds_ratio"])
    assert len(shown) == result.n_athletes
    assert ((shown["ci_low"] <= shown["odds_ratio"])
            & (shown["odds_ratio"] <= shown["ci_high"])).all()
    row = result.factors.set_index("factor").loc[FACTOR_OF_TRIGGER]
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
    from tests.cohort_files import season as file_season
    from tests.cohort_files import write_folder

    logs = []
    for i, name in enumerate(["ana", "ben", "cleo"]):
        daily = file_season(30 + i, days=365, trigger="trail")
        folder = write_folder(tmp_path / name, daily, diary=name != "cleo")
        diary = folder / "pain_diary.csv"
        logs.append((name, TrainingLog.from_paths([folder], diary=diary if diary.exists()
                                                  else None)))
    res = pooled_for_team(logs)
    assert list(res.quality["athlete"]) == ["ana", "ben", "cleo"]
    assert any("no pain diary for cleo" in w for w in res.warnings)
    in_model = list(res.quality.loc[res.quality["onsets"] > 0, "athlete"])
    assert res.n_athletes == len(in_model) >= 1 and "cleo" not in in_model
    assert set(res.athletes["athlete"]) == set(in_model)
    shrunk = res.athletes.set_index(["athlete", "factor"])
    assert shrunk.loc[(in_model[0], "distance"), "odds_ratio"] > 0


@pytest.mark.slow
def test_null_cohorts_stay_silent():
    silent = 0
    for seed in range(10):
        result = Cohort.from_daily(null_cohort(seed)).run(workers=1)
        silent += not result.findings
    assert silent >= 9


@pytest.mark.slow
def test_a_mileage_build_up_is_not_a_pooled_finding():
    """Runners building mileage through the year, flare-ups at random, easing after each.

    The weeks after a flare-up are not at risk, so comparison days sit mostly before onsets,
    earlier in the build, on lower load. Without the time trend in the model these 100
    athletes gave chronic load, distance and climb as pooled findings (p < 0.005).
    """
    athletes = {f"a{i:03d}": season(500_000 + i, build=1.0) for i in range(100)}
    result = Cohort.from_daily(athletes).run(workers=1)
    assert not result.findings
    factors = result.factors.set_index("factor")
    assert factors.loc["chronic_load", "p_value"] > 0.05
