"""The plain-language summary and the display helpers, on small tables with known answers."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from runback import display
from runback.factors import FactorResult
from runback.report import fmt, summary


def weekly_table(km_per_week, start="2025-01-06", days_last=7):
    n = len(km_per_week)
    return pd.DataFrame({
        "week_start": pd.date_range(start, periods=n, freq="7D"),
        "days": [7] * (n - 1) + [days_last],
        "distance_m": [k * 1000.0 for k in km_per_week],
    })


def test_period_and_rising_trend():
    text = summary.period_summary(weekly_table([20] * 6 + [30] * 4))
    assert "Mon 6 Jan 2025 to Sun 16 Mar 2025 (10 weeks)" in text
    assert "30.0 km a week" in text
    assert "up 50 % on the 4 weeks before (20.0 km)" in text


def test_trend_in_miles_and_steady():
    text = summary.period_summary(weekly_table([32.2] * 4 + [33.8] * 4), units="imperial")
    assert f"{33.8 / fmt.KM_PER_MILE:.1f} mi a week" in text
    assert "about the same" in text
    assert " km" not in text


def test_partial_last_week_is_left_out_of_the_trend():
    # the last week has 2 days: its small distance must not read as a fall
    text = summary.period_summary(weekly_table([20] * 8 + [3], days_last=2))
    assert "about the same" in text
    assert "to Tue 4 Mar 2025 (9 weeks)" in text


def test_trend_after_a_break_and_during_one():
    text = summary.period_summary(weekly_table([20] * 4 + [0] * 4 + [12] * 4))
    assert "12.0 km a week on average, after 4 weeks without running." in text
    text = summary.period_summary(weekly_table([20] * 4 + [0] * 8))
    assert "You did not run in your last 8 full weeks." in text
    assert "0.0 km" not in text


def flares_table(onsets, ongoing_last=False):
    n = len(onsets)
    return pd.DataFrame({
        "onset": pd.to_datetime(onsets),
        "end": pd.to_datetime(onsets) + pd.Timedelta(days=2),
        "peak": [6.0] * n, "duration_d": [3] * n, "baseline": [2.0] * n,
        "marked": [False] * n, "pain_type": (["ache"] * (n - 1) + ["spasm"])[:n],
        "ongoing": ([False] * (n - 1) + [ongoing_last])[:n],
    })


def test_flare_summary_names_the_last_onset():
    text = summary.flare_summary(flares_table(["2025-08-18", "2025-09-02"]))
    assert text.startswith("Your diary shows 2 flare-ups, from Mon 18 Aug 2025")
    assert "last began on Tue 2 Sep 2025 (peak 6/10, spasm, 3 days)" in text
    ongoing = summary.flare_summary(flares_table(["2025-09-02"], ongoing_last=True))
    assert "still going on" in ongoing and "1 flare-up;" in ongoing
    assert "no flare-up" in summary.flare_summary(flares_table([]))


def season(onsets, big_days, days=90, start="2025-03-03"):
    """A daily table and runs: a 5 m-descent run every day, 500 m on ``big_days``."""
    dates = pd.date_range(start, periods=days)
    in_flare = np.zeros(days, dtype=bool)
    for o in onsets:
        in_flare[o:o + 3] = True
    daily = pd.DataFrame({"date": dates, "in_flare": in_flare,
                          "distance_change": np.zeros(days)})
    loss = np.where(np.isin(np.arange(days), big_days), 500.0, 5.0)
    acts = pd.DataFrame({
        "activity_id": [f"a{i}" for i in range(days)], "is_run": True,
        "local_date": dates, "start_time": dates.tz_localize("UTC"),
        "name": [f"run {i}" for i in range(days)], "surface": "road",
        "distance_m": 8000.0, "elevation_gain_m": 5.0, "elevation_loss_m": loss,
        "downhill_10_s": 0.0,
    })
    return daily, acts, flares_table([dates[o] for o in onsets])


def base_rate_by_hand(daily, big_days, window=3):
    hits = total = 0
    for d in range(window, len(daily)):
        if daily["in_flare"].iloc[d]:
            continue
        total += 1
        hits += any(d - k in big_days for k in range(1, window + 1))
    return hits / total


def test_pattern_table_counts_windows_and_the_base_rate():
    onsets = [20, 40, 60, 80]
    big = [o - 2 for o in onsets] + [10, 30]     # 2 days before each onset, plus two more
    daily, acts, flares = season(onsets, big)
    table = summary.pattern_table(daily, acts, flares, window_days=3)
    row = table.set_index("pattern").loc["descent"]
    assert row["hits"] == 4 and row["n_flares"] == 4
    assert row["base_rate"] == pytest.approx(base_rate_by_hand(daily, big))
    # big runs are 6 of 90: the 90th percentile is 5 m, the floor of 100 m applies
    assert row["threshold"] == 100.0
    assert table["pattern"].iloc[0] == "descent"        # the largest lift comes first
    lo, hi = row["chance_low"], row["chance_high"]
    assert lo <= hi < 4                                    # 4 of 4 is beyond chance here
    text = " ".join(summary.pattern_sentences(table))
    assert ("4 of your last 4 flare-ups came within 3 days after a run with more than "
            "100 m of descent") in text
    assert f"where chance alone gives {int(lo)} to {int(hi)} of 4" in text


def test_only_the_last_flare_ups_are_checked():
    onsets = [20, 40, 60, 80]
    daily, acts, flares = season(onsets, big_days=[18, 38])   # only the first two
    row = summary.pattern_table(daily, acts, flares, last_n=2).set_index("pattern").loc[
        "descent"]
    assert row["hits"] == 0 and row["n_flares"] == 2
    row = summary.pattern_table(daily, acts, flares, last_n=4).set_index("pattern").loc[
        "descent"]
    assert row["hits"] == 2


def test_a_count_within_chance_says_so():
    onsets = [20, 40, 60, 80]
    daily, acts, flares = season(onsets, big_days=[5, 50])
    table = summary.pattern_table(daily, acts, flares)
    text = summary.pattern_sentences(table)
    descent = [t for t in text if "descent" in t]
    assert descent and "0 of your last 4" in descent[0]
    assert "where chance alone gives" in descent[0]


def test_flare_context_lists_the_runs_of_each_window():
    daily, acts, flares = season([20, 40], big_days=[18])
    ctx = summary.flare_context(acts, flares, window_days=3)
    assert list(ctx["onset"].unique()) == list(flares["onset"].sort_values(ascending=False))
    first = ctx[ctx["onset"] == flares["onset"].iloc[0]]
    assert list(first["name"]) == ["run 17", "run 18", "run 19"]
    assert list(first["elevation_loss_m"]) == [5.0, 500.0, 5.0]


def factor_result(rows, n_onsets=10, power="underpowered"):
    cols = ["factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value", "finding"]
    f = pd.DataFrame(rows, columns=cols)
    f["n_onsets"] = n_onsets
    f["exploratory"] = False
    f["kind"] = "continuous"
    f["sd"] = 600.0
    f["step"] = 600.0
    f["quantity"] = "duration"
    f["column"] = "downhill_10_s"
    f["more"] = "ran more steep downhill"
    f["less"] = "ran less steep downhill"
    f["topic"] = "steep downhill running"
    f["adjusted_for"] = "climb, running distance"
    f["description"] = ""
    return FactorResult(n_onsets, [], power, 3, "case-crossover", f)


def test_the_summary_states_exactly_the_findings():
    res = factor_result([["climb", 0.5, 0.2, 1.3, 0.20, 0.40, False],
                         ["descent", 2.4, 1.2, 13.8, 0.005, 0.04, True],
                         ["sleep", np.nan, np.nan, np.nan, np.nan, np.nan, False]])
    text = summary.finding_sentences(res)
    assert len(text) == 2                      # the finding, then the direction note
    assert "ran more steep downhill" in text[0]
    assert "odds ratio 2.4 per 10 min" in text[0] and "q = 0.04" in text[0]
    assert "taking climb and running distance into account" in text[0]
    assert "not proof of cause" in text[0]
    assert "climb" not in text[0].split("into account")[1]
    assert summary.factor_status(res) == "descent (q = 0.04, 10 flare-ups)"


def test_no_finding_says_nothing_stands_out():
    res = factor_result([["climb", 1.6, 0.7, 3.5, 0.30, 0.45, False],
                         ["descent", 2.4, 1.1, 6.0, 0.04, 0.12, False]])
    text = summary.finding_sentences(res)
    assert len(text) == 1 and text[0].startswith("Nothing stands out")
    assert "descent" not in text[0]
    assert summary.factor_status(res) == "nothing stands out (10 flare-ups)"


def test_few_flare_ups_are_descriptive_only():
    res = factor_result([["descent", 4.0, 1.5, 20.0, 0.01, 0.05, False]], n_onsets=6,
                        power="descriptive only")
    assert summary.factor_status(res) == "too few flare-ups to test (6)"
    text = " ".join(summary.finding_sentences(res))
    assert "With 6 usable flare-ups, no factor can be told apart from chance" in text
    assert "descent" not in text


def test_reverse_causation_is_named_both_ways():
    res = factor_result([["intensity", 0.04, 0.001, 0.5, 0.01, 0.05, True],
                         ["distance", 0.8, 0.3, 2.0, 0.5, 0.6, False],
                         ["descent", 2.4, 1.2, 13.8, 0.005, 0.05, True]])
    note = display.direction_note(res)
    assert "lower before your flare-ups (intensity)" in note
    assert "higher before your flare-ups (descent)" in note
    assert "not a reason to train more" in note
    calm = factor_result([["distance", 0.8, 0.3, 2.0, 0.5, 0.6, False]])
    assert display.direction_note(calm) is None


def test_display_names_are_relative_to_the_given_path(tmp_path):
    root = tmp_path / "exports"
    assert fmt.display_name(str(root / "garmin" / "a.fit"), [root]) == "exports/garmin/a.fit"
    assert (fmt.display_name(f"{tmp_path}/exp.zip:activities/1.gpx", [tmp_path / "exp.zip"])
            == "exp.zip:activities/1.gpx")
    # outside every root: the last part only, never the machine's folders
    assert fmt.display_name("/somewhere/else/b.gpx", [root]) == "b.gpx"
    assert fmt.display_name("relative/c.gpx", []) == "relative/c.gpx"


def test_scrub_paths_removes_the_folders_above_the_roots(tmp_path):
    root = tmp_path / "exports"
    text = f"{root}{os.sep}bad.fit: file is truncated; see {os.path.expanduser('~')}/x"
    out = fmt.scrub_paths(text, [root])
    assert out.startswith("exports/bad.fit: file is truncated")
    assert str(tmp_path) not in out and "~/x" in out


@pytest.mark.parametrize(("value", "text"), [(2.3688, "2.4"), (140.4, "140"),
                                            (0.0398, "0.04"), (70682.0, ">1000"),
                                            (0.0004, "<0.001"), (np.nan, "-")])
def test_ratio_format(value, text):
    assert fmt.ratio(value) == text


def test_slugs_are_unique_html_ids():
    taken = set()
    names = ["Ana B", "ana-b", "Ben!", ""]
    slugs = []
    for n in names:
        slugs.append(fmt.slug(n, taken))
        taken.add(slugs[-1])
    assert slugs == ["ana-b", "ana-b-2", "ben", "athlete"]
