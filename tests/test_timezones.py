"""Local days: every activity lands on the runner's calendar day."""

from __future__ import annotations

import pandas as pd
import pytest

from runback import schema
from runback.errors import RunbackError
from runback.timezones import offset_label, parse_zone, resolve_local_dates, zone_at
from tests.builders import DENVER, LONDON, SYDNEY


def frame(**cols):
    n = len(next(iter(cols.values())))
    base = {"start_time": [pd.NaT] * n, "local_start": [pd.NaT] * n,
            "utc_offset_s": [float("nan")] * n, "start_lat_deg": [float("nan")] * n,
            "start_lon_deg": [float("nan")] * n}
    base.update(cols)
    return schema.conform(pd.DataFrame(base), "activities")


def test_denver_evening_run_after_utc_midnight_is_previous_local_day():
    # 02:00 UTC on 6 March is 19:00 MST on 5 March
    df = frame(start_time=["2024-03-06T02:00:00Z"], start_lat_deg=[DENVER[0]],
               start_lon_deg=[DENVER[1]])
    out, warnings = resolve_local_dates(df)
    assert out.loc[0, "timezone"] == "America/Denver"
    assert out.loc[0, "tz_source"] == "gps"
    assert out.loc[0, "local_date"] == pd.Timestamp("2024-03-05")
    assert warnings == []


def test_sydney_morning_run_before_utc_midnight_is_next_local_day():
    # 21:30 UTC on 1 June is 07:30 AEST on 2 June
    df = frame(start_time=["2024-06-01T21:30:00Z"], start_lat_deg=[SYDNEY[0]],
               start_lon_deg=[SYDNEY[1]])
    out, _ = resolve_local_dates(df)
    assert out.loc[0, "local_date"] == pd.Timestamp("2024-06-02")


def test_dst_change_in_london_moves_the_late_evening_run():
    # 23:30 UTC: in winter (GMT) the same day, in summer (BST, +1) the next day
    df = frame(start_time=["2024-03-30T23:30:00Z", "2024-03-31T23:30:00Z"],
               start_lat_deg=[LONDON[0]] * 2, start_lon_deg=[LONDON[1]] * 2)
    out, _ = resolve_local_dates(df)
    assert list(out["local_date"]) == [pd.Timestamp("2024-03-30"), pd.Timestamp("2024-04-01")]


def test_file_offset_wins_over_gps_and_is_named_when_it_agrees():
    # the file says +08:00; the GPS fix is in Beijing, which is +08:00 too
    df = frame(start_time=["2021-04-06T16:30:00Z", "2021-04-06T16:30:00Z"],
               utc_offset_s=[8 * 3600.0, 8 * 3600.0],
               start_lat_deg=[39.9, float("nan")], start_lon_deg=[116.4, float("nan")])
    out, _ = resolve_local_dates(df)
    assert list(out["tz_source"]) == ["file", "file"]
    assert out.loc[0, "timezone"] == "Asia/Shanghai"
    assert out.loc[1, "timezone"] == "UTC+08:00"
    assert (out["local_date"] == pd.Timestamp("2021-04-07")).all()


def test_option_overrides_everything():
    df = frame(start_time=["2024-03-06T02:00:00Z"], utc_offset_s=[-7 * 3600.0],
               start_lat_deg=[DENVER[0]], start_lon_deg=[DENVER[1]])
    out, _ = resolve_local_dates(df, tz="Europe/Paris")
    assert out.loc[0, "tz_source"] == "option"
    assert out.loc[0, "local_date"] == pd.Timestamp("2024-03-06")


def test_treadmill_run_takes_the_zone_of_a_nearby_activity():
    df = frame(start_time=["2024-03-05T15:00:00Z", "2024-03-06T02:30:00Z"],
               start_lat_deg=[DENVER[0], float("nan")],
               start_lon_deg=[DENVER[1], float("nan")])
    out, warnings = resolve_local_dates(df)
    assert out.loc[1, "tz_source"] == "nearby"
    assert out.loc[1, "timezone"] == "America/Denver"
    assert out.loc[1, "local_date"] == pd.Timestamp("2024-03-05")
    assert warnings == []


def test_no_clue_falls_back_to_machine_zone_with_a_warning(monkeypatch):
    monkeypatch.setattr("runback.timezones.machine_zone", lambda: "Asia/Tokyo")
    df = frame(start_time=["2024-03-05T20:00:00Z"])
    out, warnings = resolve_local_dates(df)
    assert out.loc[0, "tz_source"] == "machine"
    assert out.loc[0, "local_date"] == pd.Timestamp("2024-03-06")
    assert len(warnings) == 1 and "Asia/Tokyo" in warnings[0] and "--tz" in warnings[0]


def test_local_only_log_keeps_its_written_date():
    # a hand log says 2024-03-05 18:30 local; with --tz Denver that is 01:30 UTC next day
    df = frame(local_start=["2024-03-05T18:30:00"])
    out, _ = resolve_local_dates(df, tz="America/Denver")
    assert out.loc[0, "local_date"] == pd.Timestamp("2024-03-05")
    assert out.loc[0, "tz_source"] == "log"
    assert out.loc[0, "start_time"] == pd.Timestamp("2024-03-06T01:30:00Z")


def test_zone_parsing_and_labels():
    assert offset_label(5.5 * 3600) == "UTC+05:30"
    assert offset_label(-7 * 3600) == "UTC-07:00"
    assert parse_zone("UTC+05:30").utcoffset(None).total_seconds() == 5.5 * 3600
    with pytest.raises(RunbackError, match="unknown time zone 'Mars/Olympus'"):
        parse_zone("Mars/Olympus")
    assert zone_at(float("nan"), 0.0) is None
    assert zone_at(DENVER[0], DENVER[1]) == "America/Denver"
