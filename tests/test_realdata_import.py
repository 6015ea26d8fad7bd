"""Import on real files no one here wrote (../shared/realdata or $RUNBACK_REALDATA)."""

from __future__ import annotations

import re

import fitparse
import pandas as pd
import pytest

from runback.importer import import_activities

pytestmark = pytest.mark.realdata

HISTORY = "shaonianche__running-data-sync"


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("realdata-cache")


@pytest.fixture(scope="session")
def fit_out(realdata, cache):
    folder = realdata / HISTORY / "FIT_OUT"
    return folder, import_activities([folder], cache_dir=cache)


def _device_running_sessions(folder):
    """(file stem, session start, total_distance) of every running session, per fitparse."""
    rows = []
    for path in sorted(folder.glob("*.fit")):
        for m in fitparse.FitFile(str(path), check_crc=False).get_messages("session"):
            v = m.get_values()
            if v.get("sport") == "running":
                rows.append((path.name, v.get("start_time"), v.get("total_distance")))
    return pd.DataFrame(rows, columns=["file", "start", "total_distance"])


def test_history_runs_import_with_device_distance(fit_out):
    folder, res = fit_out
    device = _device_running_sessions(folder)
    runs = res.activities[res.activities["sport"] == "running"]
    # a file is imported when it is the kept record or a merged duplicate of one (the
    # history holds runs recorded twice, by watch and phone, a few seconds apart)
    holders = runs.assign(file=runs["sources"].str.split(" | ", regex=False)).explode("file")
    holders["file"] = holders["file"].str.rsplit("/", n=1).str[-1]
    holders["kept"] = holders["file"] == holders["source_path"].str.rsplit("/", n=1).str[-1]
    merged = device.merge(holders[["file", "kept", "distance_m"]], on="file", how="left")
    imported = merged["kept"].notna()
    assert imported.mean() >= 0.98, merged.loc[~imported, "file"].tolist()
    d = merged[imported & merged["kept"].astype(bool) & (merged["total_distance"] > 0)]
    close = (d["distance_m"] - d["total_distance"]).abs() <= 0.02 * d["total_distance"]
    assert close.mean() >= 0.95, d.loc[~close, ["file", "distance_m", "total_distance"]]


def test_history_lands_on_the_local_dates_in_the_file_names(fit_out):
    _, res = fit_out
    acts = res.activities
    named = acts["source_path"].str.extract(r"(\d{4}-\d{2}-\d{2})-\d{6}\.fit$")[0]
    ok = pd.to_datetime(named) == acts["local_date"]
    assert ok.mean() >= 0.98, acts.loc[~ok, ["source_path", "start_time", "local_date"]]


def test_history_with_its_gpx_reexports_and_itself_again_counts_once(realdata, fit_out, cache):
    folder, res = fit_out
    again = import_activities([folder, realdata / HISTORY / "GPX_OUT", folder], cache_dir=cache)
    assert len(again.activities) == len(res.activities)
    gpx_sources = again.activities["sources"].str.contains("GPX_OUT").sum()
    assert gpx_sources > 0  # re-exports were recognised as duplicates, not dropped unread


def test_every_realdata_file_is_imported_or_skipped_with_a_reason(realdata, cache):
    res = import_activities([realdata], cache_dir=cache)
    unexpected = res.skipped[res.skipped["reason"].str.contains("unexpected error")]
    assert unexpected.empty, unexpected.to_string()
    assert res.skipped["reason"].str.len().min() > 0
    assert res.n_files == res.n_imported + len(res.skipped)
    assert len(res.activities) > 1000
    # every activity is on a local day
    assert res.activities["local_date"].notna().all()


def test_non_activity_fit_files_are_skipped_as_such(realdata, cache):
    folder = realdata / "dtcooper__python-fitparse" / "tests" / "files"
    names = ["MonitoringFile.fit", "Settings.fit", "WorkoutRepeatSteps.fit",
             "WeightScaleSingleUser.fit"]
    res = import_activities([folder / n for n in names], cache_dir=cache)
    assert res.activities.empty
    assert res.skipped["not_activity"].all(), res.skipped.to_string()
    assert all(re.search(r"monitoring|settings|workout|weight", r)
               for r in res.skipped["reason"])
