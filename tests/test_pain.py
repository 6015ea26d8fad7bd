"""Daily pain, flare-up episodes, red flags and the interventions summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.pain import (
    ADVICE,
    RED_FLAG_TEXT,
    daily_pain,
    find_flares,
    flare_days,
    intervention_summary,
    red_flags,
)

DAY0 = pd.Timestamp("2025-01-01")


def day(i: int) -> pd.Timestamp:
    return DAY0 + pd.Timedelta(days=i)


def entries(*rows: dict) -> pd.DataFrame:
    """A pain table from row dicts with ``d`` (day number) in place of ``date``."""
    df = pd.DataFrame([{**{k: v for k, v in r.items() if k != "d"}, "date": day(r["d"])}
                       for r in rows])
    df["entry"] = df.groupby("date").cumcount()
    df["line"] = np.arange(len(df)) + 2
    return schema.conform(df, "pain", extra=False)


def series(values: list, marked: tuple[int, ...] = ()) -> pd.DataFrame:
    """daily_pain of one entry per day; None is a day not logged."""
    rows = [{"d": i, "pain": v, "flare": i in marked} for i, v in enumerate(values)
            if v is not None]
    return daily_pain(entries(*rows))


# --- daily_pain ----------------------------------------------------------------------

def test_several_entries_a_day_give_the_max_and_unlogged_days_are_absent():
    pain = entries(
        {"d": 0, "pain": 2, "pain_type": "stiffness", "location": "lower", "sleep_hours": 6,
         "stress": 2, "interventions": "stretching;ice"},
        {"d": 0, "pain": 7, "pain_type": "spasm", "location": "mid", "sleep_hours": 8,
         "stress": 5, "interventions": "ice;massage", "red_flags": "fever"},
        {"d": 0, "pain": 4, "pain_type": "ache", "stress": 3, "flare": True},
        {"d": 2, "pain": 0},
    )
    dp = daily_pain(pain)
    assert list(dp.index) == [day(0), day(2)]  # day 1 not logged: absent, not 0
    first = dp.loc[day(0)]
    assert first["pain"] == 7.0
    assert (first["pain_type"], first["location"]) == ("spasm", "mid")
    assert first["sleep_hours"] == 7.0  # (6 + 8) / 2; the third entry has none
    assert first["stress"] == 5.0
    assert first["interventions"] == "ice;massage;stretching"
    assert first["red_flags"] == "fever"
    assert bool(first["flare"]) and bool(first["logged"])
    assert dp.loc[day(2), "pain"] == 0.0 and not bool(dp.loc[day(2), "flare"])


# --- find_flares ---------------------------------------------------------------------

def test_onset_end_and_gap_rules_on_a_hand_made_series():
    # days 0-9 pain 2: baseline B = 2, threshold B + k = 4.
    # day 10: 5 >= 4 and day 9 (2) < 4 -> onset. day 11: 6 (peak).
    # days 12, 13: 3, 2 < 4 -> two calm days, the flare ends on day 11.
    # days 20-22: 5, 5, 6 again, 8-10 flare-free days after day 11 -> onset on day 20,
    # which ends after days 23, 24 (2). Day 29: 7, 6 free days after day 22 -> within the
    # gap, so it extends the second episode (never a flare-free day), open at the end.
    values = [2] * 10 + [5, 6, 3, 2] + [2] * 6 + [5, 5, 6] + [2] * 6 + [7]
    fl = find_flares(series(values))
    assert list(fl.columns) == schema.columns("flares")
    assert list(fl["onset"]) == [day(10), day(20)]
    assert list(fl["end"]) == [day(11), day(29)]
    assert list(fl["peak"]) == [6.0, 7.0]
    assert list(fl["duration_d"]) == [2, 10]
    assert list(fl["baseline"]) == [2.0, 2.0]
    assert list(fl["ongoing"]) == [False, True]
    assert list(fl["dated"]) == [True, True]
    assert not fl["marked"].any()


def test_pain_back_up_within_the_gap_extends_the_episode():
    # Flare on days 10-11, calm 12-13, high again on days 16-17 (4-5 free days): the same
    # episode goes on to day 17; those days are flare days, never comparison days.
    values = [2] * 10 + [5, 6, 3, 2, 2, 2, 6, 5] + [2] * 12
    fl = find_flares(series(values))
    assert list(fl["onset"]) == [day(10)]
    assert list(fl["end"]) == [day(17)]


def test_an_onset_after_a_diary_gap_is_undated():
    values = [2] * 12 + [None, None, 6, 6, 2, 2] + [2] * 3
    fl = find_flares(series(values))
    assert list(fl["onset"]) == [day(14)]
    assert list(fl["dated"]) == [False]


def test_a_rise_right_after_the_gap_is_an_onset():
    # Flare on days 10-11, calm 12-13, the next rise on day 19: 19 - 11 - 1 = 7 free days.
    values = [2] * 10 + [5, 6, 3, 2] + [2] * 5 + [6, 2, 2]
    assert list(find_flares(series(values))["onset"]) == [day(10), day(19)]
    # One day earlier (6 free days) it is not: it extends the first episode.
    values = [2] * 10 + [5, 6, 3, 2] + [2] * 4 + [6, 2, 2, 2]
    fl = find_flares(series(values))
    assert list(fl["onset"]) == [day(10)]
    assert list(fl["end"]) == [day(18)]


def test_baseline_needs_seven_logged_days_in_the_fourteen():
    # Six logged days of 1 (every other day) then 8: no baseline, no onset.
    six = [1, None] * 6 + [None, 8]
    assert find_flares(series(six)).empty
    # Seven logged days: B = 1, 8 >= 3 -> onset.
    seven = [1, None] * 6 + [1, 8]
    assert list(find_flares(series(seven))["onset"]) == [day(13)]


def test_unlogged_days_do_not_break_the_two_calm_days():
    values = [2] * 10 + [6, None, 2, None, None, 2, 2]
    fl = find_flares(series(values))
    assert list(fl["end"]) == [day(10)]
    assert not fl["ongoing"].iloc[0]


def test_user_marked_flare_starts_an_episode_below_the_threshold():
    values = [2] * 10 + [3, 3, 2, 2]
    fl = find_flares(series(values, marked=(10,)))
    assert list(fl["onset"]) == [day(10)] and bool(fl["marked"].iloc[0])
    # day 10 is marked (not calm); day 11 is 3 < 4 and unmarked (calm); day 12 too: ends
    assert list(fl["end"]) == [day(10)]
    # Without the mark nothing happens.
    assert find_flares(series(values)).empty


def test_marked_flare_without_history_has_no_baseline():
    fl = find_flares(series([5, 5, 3, 3, 2], marked=(0, 1)))
    assert list(fl["onset"]) == [day(0)]
    assert pd.isna(fl["baseline"].iloc[0])
    assert list(fl["end"]) == [day(1)]


def test_k_and_relative_rule():
    values = [7] * 10 + [9, 2, 2]
    # absolute: 9 >= 7 + 2 -> onset; relative: rise max(2, 0.3 * 7 = 2.1) -> 9 < 9.1.
    assert len(find_flares(series(values))) == 1
    assert find_flares(series(values), rule="relative").empty
    assert find_flares(series(values), k=3).empty
    with pytest.raises(ValueError, match=r"rule must be one of \['absolute', 'relative'\]"):
        find_flares(series(values), rule="median")


def test_flare_days_and_pain_type():
    values = [2] * 10 + [5, 6, 6, 2, 2]
    dp = series(values)
    dp.loc[[day(10), day(11), day(12)], "pain_type"] = ["spasm", "ache", "ache"]
    fl = find_flares(dp)
    assert fl["pain_type"].iloc[0] == "ache"
    flags = flare_days(fl, pd.date_range(day(9), day(13)))
    assert list(flags) == [False, True, True, True, False]
    assert flags.name == "in_flare"


def test_no_diary_gives_no_flares():
    assert find_flares(daily_pain(schema.empty("pain"))).empty


# --- red flags -----------------------------------------------------------------------

def test_red_flags_emergency_first_then_most_recent():
    pain = entries(
        {"d": 0, "pain": 5, "red_flags": "saddle_numbness"},
        {"d": 3, "pain": 4, "red_flags": "fever;night_pain"},
        {"d": 5, "pain": 4, "red_flags": "night_pain"},
        {"d": 1, "pain": 6, "red_flags": "both_legs"},
        {"d": 2, "pain": 2},
    )
    rf = red_flags(pain)
    assert list(rf["flag"]) == ["both_legs", "saddle_numbness", "night_pain", "fever"]
    assert list(rf["urgency"]) == ["emergency", "emergency", "urgent", "urgent"]
    night = rf.set_index("flag").loc["night_pain"]
    assert (night["date"], night["first_date"], night["days"]) == (day(5), day(3), 2)
    assert rf["advice"].iloc[0] == ADVICE["emergency"]


def test_red_flag_wording_never_reassures():
    texts = [m for _, m in RED_FLAG_TEXT.values()] + list(ADVICE.values())
    for text in texts:
        lower = text.lower()
        for phrase in ("don't worry", "do not worry", "nothing serious", "is normal",
                       "harmless", "reassur", "probably fine", "unlikely"):
            assert phrase not in lower, (phrase, text)


def test_long_flare_adds_no_improvement_and_no_signs_give_an_empty_table():
    pain = entries({"d": 0, "pain": 3})
    assert red_flags(pain).empty
    flares = pd.DataFrame({"onset": [day(0)], "end": [day(40)], "duration_d": [41]})
    rf = red_flags(pain, flares)
    assert list(rf["flag"]) == ["no_improvement"]
    assert rf["date"].iloc[0] == day(40) and rf["first_date"].iloc[0] == day(27)


# --- interventions -------------------------------------------------------------------

def test_intervention_summary_by_hand():
    # three resolved flares: 2 days with ice, 4 days with ice + massage, 6 days without;
    # an ongoing one with massage is left out.
    dp = daily_pain(entries(
        {"d": 0, "pain": 6, "interventions": "ice"},
        {"d": 10, "pain": 6, "interventions": "ice"},
        {"d": 12, "pain": 6, "interventions": "massage"},
        {"d": 20, "pain": 6},
        {"d": 30, "pain": 6, "interventions": "massage"},
    ))
    flares = pd.DataFrame({
        "onset": [day(0), day(10), day(20), day(30)],
        "end": [day(1), day(13), day(25), day(30)],
        "duration_d": [2, 4, 6, 1],
        "ongoing": [False, False, False, True],
    })
    s = intervention_summary(flares, dp).set_index("intervention")
    assert list(s.index) == ["massage", "ice"]  # vocabulary order
    assert s.loc["ice", "flares_with"] == 2 and s.loc["ice", "median_days_with"] == 3.0
    assert s.loc["ice", "flares_without"] == 1 and s.loc["ice", "median_days_without"] == 6.0
    assert s.loc["massage", "flares_with"] == 1 and s.loc["massage", "median_days_with"] == 4.0
    assert s.loc["massage", "median_days_without"] == 4.0  # median of 2 and 6


@pytest.mark.parametrize(("birth_year", "flagged"), [
    (None, False), (1960, True), (1975, False), (2006, True), (2004, False)])
def test_back_pain_starting_under_20_or_over_50_is_a_red_flag(birth_year, flagged):
    # day(0) has pain 0: the first pain is on day(2), and the age is counted then
    pain = entries({"d": 0, "pain": 0}, {"d": 2, "pain": 3}, {"d": 9, "pain": 5})
    rf = red_flags(pain, birth_year=birth_year)
    assert ("age" in set(rf["flag"])) == flagged
    if flagged:
        (row,) = rf[rf["flag"] == "age"].itertuples()
        assert (row.urgency, row.date) == ("urgent", day(2))


def test_diary_words_outside_the_vocabulary_are_not_signs():
    pain = entries({"d": 0, "pain": 3, "red_flags": "age;no_improvement"})
    assert red_flags(pain).empty
