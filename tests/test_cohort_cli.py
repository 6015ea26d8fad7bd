"""``runback cohort`` on files: folders, long tables, --tables, and hostile input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from runback.cli import main
from runback.cohort import sources
from runback.factors import FACTORS
from tests.cohort_files import long_tables, season, write_folder

TOP_KEYS = ["n_athletes", "n_onsets", "power", "method", "factors", "athletes", "findings",
            "warnings"]


def run(*args):
    return CliRunner().invoke(main, ["cohort", *map(str, args)], catch_exceptions=False)


@pytest.fixture
def squad(tmp_path):
    """Two athlete folders and a long table of two more, with their long diary."""
    for i, name in enumerate(["ana", "ben"]):
        write_folder(tmp_path / "squad" / name, season(10 + i, trigger="trail"))
    acts, diary = long_tables({"cleo": season(20, trigger="trail"),
                               "dan": season(21, trigger="trail")})
    acts.to_csv(tmp_path / "club.csv", index=False)
    diary.to_csv(tmp_path / "club_diary.csv", index=False)
    return tmp_path


def test_folders_and_a_long_table_pool_together(squad, tmp_path):
    r = run(squad / "squad" / "ana", squad / "squad" / "ben", squad / "club.csv",
            "--diary-table", squad / "club_diary.csv", "--format", "json", "--workers", "1",
            "--tables", tmp_path / "tables", "-o", tmp_path / "cohort.html")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert list(d) == TOP_KEYS
    assert [a["athlete"] for a in d["athletes"]] == ["ana", "ben", "cleo", "dan"]
    with_onsets = [a for a in d["athletes"] if a["n_onsets"] > 0]
    assert d["n_athletes"] == len(with_onsets) >= 3
    assert d["n_onsets"] == sum(a["n_onsets"] for a in d["athletes"])
    assert {x["athlete"] for x in with_onsets} >= {"ana", "cleo"}  # a folder and a table row
    assert all(len(a["factors"]) == len(FACTORS) for a in d["athletes"] if a["n_onsets"])
    html = (tmp_path / "cohort.html").read_text()
    assert "Data quality, per athlete" in html and "cleo" in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    weekly = pd.read_parquet(tmp_path / "tables" / "weekly")
    assert sorted(weekly["athlete"].astype(str).unique()) == ["ana", "ben", "cleo", "dan"]
    assert (tmp_path / "tables" / "daily" / "athlete=cleo" / "part-0.parquet").is_file()
    # the same distances whether an athlete came from a folder or the long table
    acts = pd.read_parquet(tmp_path / "tables" / "activities")
    cleo = season(20, trigger="trail")
    assert len(acts[acts["athlete"] == "cleo"]) == int((cleo["distance_m"] > 0).sum())


def test_offsets_and_wall_clock_times_give_the_same_local_days(tmp_path):
    s = {"eve": season(5)}
    for offset in (True, False):
        acts, _ = long_tables(s, offset=offset)
        path = tmp_path / f"t{offset}.parquet"
        acts.to_parquet(path)
        r = run(path, "--workers", "1", "--tables", tmp_path / f"out{offset}")
        assert r.exit_code == 0, r.output
    a = pd.read_parquet(tmp_path / "outTrue" / "daily")
    b = pd.read_parquet(tmp_path / "outFalse" / "daily")
    pd.testing.assert_series_equal(a["distance_m"], b["distance_m"])
    first = s["eve"].loc[s["eve"]["distance_m"] > 0, "date"].min()
    assert a["date"].min() == first and b["date"].min() == first
    assert a["distance_m"].sum() == pytest.approx(s["eve"]["distance_m"].round(1).sum())


def test_a_cohort_without_any_diary_still_writes_its_tables(tmp_path):
    for name in ("ana", "ben"):
        write_folder(tmp_path / name, season(3), diary=False)
    r = run(tmp_path / "ana", tmp_path / "ben", "--workers", "1", "--tables", tmp_path / "t",
            "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["n_athletes"] == 0 and d["findings"] == []
    assert "no pain diary for ana, ben: left out of the factor analysis" in d["warnings"]
    assert (tmp_path / "t" / "weekly" / "athlete=ben" / "part-0.parquet").is_file()


def test_hostile_cohort_names_each_problem_and_goes_on(tmp_path):
    good = write_folder(tmp_path / "a" / "ana", season(1, trigger="trail"))
    same_name = write_folder(tmp_path / "b" / "ana", season(2, trigger="trail"))
    write_folder(tmp_path / "nodiary", season(3), diary=False)
    empty = tmp_path / "noruns"
    empty.mkdir()
    (empty / "pain_diary.csv").write_text("date,pain\n2024-01-01,2\n")
    broken = write_folder(tmp_path / "broken", season(4, trigger="trail"))
    (broken / "watch.fit").write_bytes(b"\x0e\x10garbage")
    mixed = write_folder(tmp_path / "mixed", season(6, trigger="trail"))
    write_folder(mixed / "someone_else", season(7, trigger="trail"))
    acts, diary = long_tables({"cleo": season(8, trigger="trail")})
    acts.loc[[3, 5], "Athlete"] = ""
    acts.to_csv(tmp_path / "club.csv", index=False)
    diary.to_csv(tmp_path / "club_diary.csv", index=False)
    r = run(good, same_name, tmp_path / "nodiary", empty, broken, mixed, tmp_path / "club.csv",
            "--diary-table", tmp_path / "club_diary.csv", "--workers", "1", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    w = "\n".join(d["warnings"])
    assert f"two athletes are called 'ana': the one from {same_name} is shown as 'ana (2)'" in w
    assert "no pain diary for nodiary" in w
    assert "noruns: no runs imported" in w
    assert f"broken: skipped {broken / 'watch.fit'}: not a FIT file" in w
    assert (f"mixed: the folder holds another pain diary "
            f"({mixed / 'someone_else' / 'pain_diary.csv'}): are two athletes' files mixed "
            "in it?") in w
    assert "2 rows without an athlete name left out (rows 5, 7)" in w
    names = [a["athlete"] for a in d["athletes"]]
    assert names == ["ana", "ana (2)", "nodiary", "noruns", "broken", "mixed", "cleo"]
    assert d["n_athletes"] >= 4
    assert "warning: two athletes are called 'ana'" in r.stderr


def test_an_unreadable_athlete_does_not_stop_the_others(tmp_path):
    write_folder(tmp_path / "ana", season(1, trigger="trail"))
    pd.DataFrame({"athlete": ["zed"], "when": ["2024-01-01"], "distance_m": [5000]}).to_csv(
        tmp_path / "bad.csv", index=False)
    r = run(tmp_path / "ana", tmp_path / "bad.csv", "--workers", "1", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert any(x.startswith("zed: not analysed: ") and "no start_time column" in x
               for x in d["warnings"])
    assert d["athletes"][0]["n_onsets"] > 0


def test_exit_status_follows_the_contract(tmp_path):
    assert run().exit_code == 2
    r = run(tmp_path / "missing.csv")
    assert r.exit_code == 1
    assert "missing.csv: no such file or folder" in r.stderr
    (tmp_path / "t.csv").write_text("who,start_time\nx,2024-01-01\n")
    r = run(tmp_path / "t.csv")
    assert r.exit_code == 1 and "no athlete column" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_sources_numbers_names_and_reports_empty_rows(tmp_path):
    acts, _ = long_tables({"x": season(1, days=30), "y": season(2, days=30)})
    acts.loc[0, "Athlete"] = " "
    acts.to_csv(tmp_path / "t.csv", index=False)
    found, warnings = sources([tmp_path / "t.csv", tmp_path / "t.csv"])
    assert [s.name for s in found] == ["x", "y", "x (2)", "y (2)"]
    assert [s.table_name for s in found] == ["x", "y", "x", "y"]
    assert warnings[0].endswith("1 row without an athlete name left out (rows 2)")
    assert len({s.seed for s in found}) == 4


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_long_tables_at_a_url_read_through_fsspec_give_the_same_answer(tmp_path, suffix):
    fsspec = pytest.importorskip("fsspec")
    acts, diary = long_tables({"cleo": season(20, trigger="trail"),
                               "dan": season(21, trigger="trail")})
    local = tmp_path / f"club.{suffix}"
    url = f"memory://runback-test/{tmp_path.name}/club.{suffix}"
    diary_url = f"memory://runback-test/{tmp_path.name}/club_diary.csv"
    for where in (str(local), url):
        if suffix == "parquet":
            acts.to_parquet(where)
        else:
            acts.to_csv(where, index=False)
    diary.to_csv(tmp_path / "club_diary.csv", index=False)
    diary.to_csv(diary_url, index=False)
    try:
        here = run(local, "--diary-table", tmp_path / "club_diary.csv", "--format", "json",
                   "--workers", "1")
        there = run(url, "--diary-table", diary_url, "--format", "json", "--workers", "1")
    finally:
        fsspec.filesystem("memory").rm(f"runback-test/{tmp_path.name}", recursive=True)
    assert here.exit_code == there.exit_code == 0, there.output
    a, b = json.loads(here.stdout), json.loads(there.stdout)
    assert a["n_onsets"] > 0 and a["factors"] == b["factors"]
    assert [x["athlete"] for x in b["athletes"]] == ["cleo", "dan"]
