"""The FIT reader: hand-made files with known answers, then public real-world files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.errors import NotAnActivityError, ReadError
from runback.io import fit
from runback.io.fit import read_fit
from runback.io.fit_messages import USED_FIELDS, FitMessages
from tests.fitkit.encode import encode_activity
from tests.fitkit.fitparse_decoder import decode_fitparse

# 18:30 on 2024-06-20 in Denver (MDT, UTC-6) is 00:30 UTC on the 21st.
DENVER_START = pd.Timestamp("2024-06-21 00:30:00", tz="UTC")
DENVER = (39.7392, -104.9903)


def _run(n=20, start=DENVER_START, step_s=5, **columns):
    times = pd.date_range(start, periods=n, freq=f"{step_s}s")
    frame = pd.DataFrame({
        "timestamp": times,
        "latitude_deg": DENVER[0] + np.arange(n) * 1e-4,
        "longitude_deg": DENVER[1] - np.arange(n) * 1e-4,
        "distance_m": np.arange(n) * 15.0,
        "altitude_m": 1609.0 + np.arange(n) * 0.4,
        "speed_m_s": np.full(n, 3.0),
        "heart_rate_bpm": np.linspace(120, 160, n).round(),
        "cadence_spm": np.linspace(160, 178, n).round(1),
        "temperature_c": np.full(n, 27.0),
    })
    return frame.assign(**columns)


def _triathlon():
    """Run 8 records, transition 3, bike 10, transition 2, run 6 (a run-bike-run)."""
    sizes = [8, 3, 10, 2, 6]
    n = sum(sizes)
    rec = _run(n, part=np.repeat(np.arange(5), sizes))
    rec["cadence_spm"] = np.where(rec["part"] == 2, 90.0, 170.0)
    sports = ["running", "transition", "cycling", "transition", "running"]
    return rec, sizes, sports


# -- hand-made files ---------------------------------------------------------------------

def test_values_units_and_schema():
    rec = _run()
    parsed = read_fit(encode_activity(rec, local_offset_s=-6 * 3600, sub_sport="street",
                                      device={"manufacturer": "garmin",
                                              "garmin_product": "fenix5"}))
    assert list(parsed.samples.columns) == schema.columns("raw_samples")
    assert list(parsed.activities.columns) == schema.columns("raw_activities")
    assert list(parsed.laps.columns) == schema.columns("raw_laps")
    s = parsed.samples
    assert str(s["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert list(s["timestamp"]) == list(rec["timestamp"])
    np.testing.assert_allclose(s["elapsed_s"], np.arange(len(rec)) * 5.0)
    np.testing.assert_allclose(s["distance_m"], rec["distance_m"], atol=0.01)
    np.testing.assert_allclose(s["altitude_m"], rec["altitude_m"], atol=0.2)
    np.testing.assert_allclose(s["heart_rate_bpm"], rec["heart_rate_bpm"])
    a = parsed.activities.iloc[0]
    assert (a["format"], a["sport"], a["sub_sport"]) == ("fit", "running", "street")
    assert a["device"] == "garmin fenix5"
    assert a["start_time"] == rec["timestamp"].iloc[0]
    assert a["device_elapsed_s"] == (len(rec) - 1) * 5
    assert a["device_distance_m"] == pytest.approx(rec["distance_m"].iloc[-1])
    assert a["device_max_hr_bpm"] == rec["heart_rate_bpm"].max()
    assert parsed.warnings == []


def test_semicircles_become_degrees_and_null_island_is_no_fix():
    rec = _run(4)
    rec.loc[2, ["latitude_deg", "longitude_deg"]] = 0.0
    s = read_fit(encode_activity(rec)).samples
    expected_lat = rec["latitude_deg"].where(rec.index != 2)
    np.testing.assert_allclose(s["latitude_deg"], expected_lat, atol=1e-7)
    np.testing.assert_allclose(s["longitude_deg"], rec["longitude_deg"].where(rec.index != 2),
                               atol=1e-7)
    # one semicircle is 180 / 2**31 degrees: the stored integers give these exact values
    semicircles = np.round(rec["latitude_deg"].iloc[0] * 2**31 / 180)
    assert s["latitude_deg"].iloc[0] == semicircles * 180 / 2**31


@pytest.mark.parametrize("sport", ["running", "walking", "hiking"])
def test_cadence_on_foot_is_doubled_to_steps_per_minute(sport):
    rec = _run(5, cadence_spm=[150.0, 163.0, 171.5, 180.0, 181.0])
    s = read_fit(encode_activity(rec, sport=sport)).samples
    np.testing.assert_allclose(s["cadence_spm"], rec["cadence_spm"], atol=2 / 128)


def test_cadence_of_other_sports_is_kept_as_rpm():
    rec = _run(4, cadence_spm=[85.0, 90.0, 91.0, 95.0])
    s = read_fit(encode_activity(rec, sport="cycling")).samples
    np.testing.assert_allclose(s["cadence_spm"], rec["cadence_spm"])


def test_zero_heart_rate_is_missing():
    rec = _run(4, heart_rate_bpm=[0.0, 0.0, 131.0, 0.0])
    s = read_fit(encode_activity(rec)).samples
    assert s["heart_rate_bpm"].isna().tolist() == [True, True, False, True]


def test_enhanced_fields_preferred_over_plain_ones():
    base = _run(3).drop(columns=["altitude_m", "speed_m_s"])
    both = base.assign(altitude=[100.0, 101.0, 102.0], enhanced_altitude=[200.0, 201.0, 202.0],
                       speed=[1.0, 1.5, 2.0], enhanced_speed=[4.0, 4.5, 5.0])
    s = read_fit(encode_activity(both)).samples
    np.testing.assert_allclose(s["altitude_m"], both["enhanced_altitude"], atol=0.2)
    np.testing.assert_allclose(s["speed_m_s"], both["enhanced_speed"], atol=1e-3)
    plain = base.assign(altitude=[100.0, 101.0, 102.0], speed=[1.0, 1.5, 2.0])
    s = read_fit(encode_activity(plain)).samples
    np.testing.assert_allclose(s["altitude_m"], plain["altitude"], atol=0.2)
    np.testing.assert_allclose(s["speed_m_s"], plain["speed"], atol=1e-3)


def test_running_dynamics_and_power():
    rec = _run(3, power_w=[250.0, 260.0, 270.0], vertical_oscillation_mm=[82.5, 84.0, 90.1],
               stance_time_ms=[240.0, 245.5, 250.0], step_length_mm=[1100.0, 1120.0, 1130.0],
               vertical_ratio_pct=[7.25, 7.5, 8.0])
    s = read_fit(encode_activity(rec)).samples
    for col in ["power_w", "vertical_oscillation_mm", "stance_time_ms", "step_length_mm",
                "vertical_ratio_pct"]:
        np.testing.assert_allclose(s[col], rec[col], atol=0.01, err_msg=col)


def test_file_order_kept_exact_duplicates_dropped_undated_records_dropped():
    rec = _run(6)
    rec.loc[3] = rec.loc[2]  # an exact duplicate row
    rec.loc[4, "timestamp"] = rec.loc[1, "timestamp"]  # time goes backwards
    rec.loc[4, "heart_rate_bpm"] = 99.0
    rec.loc[1, "timestamp"] = pd.NaT  # a record without time
    s = read_fit(encode_activity(rec)).samples
    kept = rec.drop(index=[1, 3])
    assert list(s["timestamp"]) == list(kept["timestamp"])
    np.testing.assert_allclose(s["heart_rate_bpm"], kept["heart_rate_bpm"])
    assert s["elapsed_s"].tolist() == [0.0, 10.0, 5.0, 25.0]


def test_multisport_file_splits_into_parts():
    rec, sizes, sports = _triathlon()
    parsed = read_fit(encode_activity(rec, sport=sports, laps=[rec["timestamp"][4]]))
    a, s = parsed.activities, parsed.samples
    assert a["part"].tolist() == [0, 1, 2, 3, 4]
    assert a["sport"].tolist() == sports
    assert s.groupby("part").size().tolist() == sizes
    for part, rows in rec.groupby("part"):
        got = s[s["part"] == part]
        assert list(got["timestamp"]) == list(rows["timestamp"])
        assert got["elapsed_s"].iloc[0] == 0.0
        assert a.loc[part, "start_time"] == rows["timestamp"].iloc[0]
    # run cadence doubled back from strides, bike cadence left in rpm
    assert set(s.loc[s["part"] == 2, "cadence_spm"]) == {90.0}
    assert set(s.loc[s["part"].isin([0, 4]), "cadence_spm"]) == {170.0}
    assert parsed.laps.groupby("part").size().tolist() == [2, 1, 1, 1, 1]
    assert parsed.laps["lap"].tolist() == [0, 1, 0, 0, 0, 0]


def test_utc_offset_from_local_timestamp_denver_evening():
    rec = _run(30)
    a = read_fit(encode_activity(rec, local_offset_s=-6 * 3600)).activities.iloc[0]
    assert a["utc_offset_s"] == -21600
    assert a["start_time"].date() == pd.Timestamp("2024-06-21").date()
    assert a["local_start"] == pd.Timestamp("2024-06-20 18:30:00")


@pytest.mark.parametrize(("written", "expected"), [
    (19800 + 50, 19800.0),   # India, with a clock lag of 50 s
    (-12600 - 20, -12600.0),  # Newfoundland
    (0, 0.0),
    (15 * 3600, np.nan),      # beyond 14 h: not a time zone
])
def test_utc_offset_rounded_to_quarter_hours(written, expected):
    a = read_fit(encode_activity(_run(3), local_offset_s=written)).activities.iloc[0]
    np.testing.assert_equal(a["utc_offset_s"], expected)
    assert pd.isna(a["local_start"]) == np.isnan(expected)


def test_no_local_timestamp_leaves_offset_unknown():
    a = read_fit(encode_activity(_run(3))).activities.iloc[0]
    assert np.isnan(a["utc_offset_s"]) and pd.isna(a["local_start"])


@pytest.mark.parametrize("file_type", ["monitoring_b", "settings", "course", "workout"])
def test_non_activity_file_is_skipped_with_reason(file_type):
    data = encode_activity(_run(50), file_type=file_type)
    with pytest.raises(NotAnActivityError, match=f"FIT file type '{file_type}' holds no "
                                                 "activity"):
        read_fit(data, name="x.fit")
    # decided from file_id alone: not one record is decoded
    assert set(decode_fitparse(data, "x.fit").tables) == {"file_id"}


def test_truncated_file_is_salvaged_with_warning():
    rec = _run(40)
    data = encode_activity(rec)
    cut = len(data) // 2
    parsed = read_fit(data[:cut], name="cut.fit")
    n = len(parsed.samples)
    assert 0 < n < len(rec)
    assert list(parsed.samples["timestamp"]) == list(rec["timestamp"][:n])
    (truncated,) = [w for w in parsed.warnings if w.startswith("file is truncated")]
    offset = int(truncated.split("at byte ")[1].split(";")[0])
    assert cut - 60 < offset <= cut
    assert f"kept the {n} records before the break" in truncated
    assert any("no session message" in w for w in parsed.warnings)
    assert parsed.activities["sport"].tolist() == ["unknown"]


def test_crc_mismatch_keeps_data_with_warning():
    data = encode_activity(_run(10))
    broken = data[:-2] + bytes([data[-2] ^ 0xFF, data[-1]])
    good, bad = read_fit(data), read_fit(broken)
    assert bad.warnings == ["file CRC does not match; data kept"]
    pd.testing.assert_frame_equal(good.samples, bad.samples)


def test_random_bytes_and_csv_are_refused(tmp_path):
    noise = np.random.default_rng(7).bytes(600)
    with pytest.raises(ReadError, match="noise.fit: not a FIT file"):
        read_fit(noise, name="noise.fit")
    csv = tmp_path / "activity.fit"
    csv.write_text("timestamp,heart_rate\n2024-01-01T10:00:00Z,120\n" * 20)
    with pytest.raises(ReadError, match="activity.fit: not a FIT file"):
        read_fit(csv)


def test_empty_and_tiny_files_are_refused():
    with pytest.raises(ReadError, match="empty.fit: empty file"):
        read_fit(b"", name="empty.fit")
    with pytest.raises(ReadError, match="not a FIT file"):
        read_fit(b"\x0e\x10", name="tiny.fit")


def test_break_before_any_record_is_a_read_error():
    data = encode_activity(_run(5))
    with pytest.raises(ReadError, match=r"short.fit: file is truncated [a-z ]+ \(at byte \d+\)"):
        read_fit(data[:40], name="short.fit")


def test_corrupt_bytes_give_data_or_read_error():
    rng = np.random.default_rng(11)
    data = encode_activity(_run(30), laps=[DENVER_START + pd.Timedelta(seconds=60)],
                           local_offset_s=-21600)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(150):
        broken = bytearray(data)
        for at in rng.integers(14, len(data), size=rng.integers(1, 6)):
            broken[at] = rng.integers(0, 256)
        try:
            read_fit(bytes(broken[:rng.integers(15, len(data) + 1)]), name="fuzz.fit")
        except ReadError as e:
            assert str(e).startswith("fuzz.fit: ")
            outcomes["refused"] += 1
        else:
            outcomes["read"] += 1
    assert outcomes["read"] > 0 and outcomes["refused"] > 0


def test_reads_paths_and_file_objects(tmp_path):
    path = tmp_path / "run.fit"
    path.write_bytes(encode_activity(_run(5)))
    with open(path, "rb") as fh:
        from_handle = read_fit(fh)
    pd.testing.assert_frame_equal(read_fit(path).samples, from_handle.samples)


def test_a_decoder_given_replaces_the_fast_one():
    times = pd.DatetimeIndex(["2024-05-01 06:00:00", "2024-05-01 06:00:01"], tz="UTC")
    frames = {
        "file_id": pd.DataFrame({"type": ["activity"], "manufacturer": ["coros"],
                                 "product_name": ["PACE 3"]}),
        "record": pd.DataFrame({c: [np.nan, np.nan] for c in USED_FIELDS["record"]})
        .assign(timestamp=times, heart_rate=[100.0, 101.0]),
    }
    seen = []

    def fake(data, name):
        seen.append((data, name))
        return FitMessages(frames)

    parsed = read_fit(b"anything", name="hook.fit", decoder=fake)
    assert seen == [(b"anything", "hook.fit")]
    assert parsed.samples["heart_rate_bpm"].tolist() == [100.0, 101.0]
    assert parsed.activities.loc[0, "device"] == "coros PACE 3"


# -- real-world files --------------------------------------------------------------------

def _fit_files(root: Path, under: str = "") -> list[Path]:
    return sorted(p for p in (root / under).rglob("*") if p.suffix.lower() == ".fit")


@pytest.mark.realdata
@pytest.mark.slow
def test_every_real_file_reads_or_raises_read_error(realdata):
    offenders = []
    for path in _fit_files(realdata):
        if "FIT_OUT" in path.parts:
            continue
        try:
            parsed = read_fit(path)
        except ReadError:
            continue
        except Exception as e:  # any other exception is what this test reports
            offenders.append(f"{path.relative_to(realdata)}: {type(e).__name__}: {e}")
            continue
        if parsed.activities.empty or parsed.activities["part"].tolist() != list(
                range(len(parsed.activities))):
            offenders.append(f"{path.relative_to(realdata)}: parts {parsed.activities}")
        if not set(parsed.samples["part"]) <= set(parsed.activities["part"]):
            offenders.append(f"{path.relative_to(realdata)}: samples of unknown parts")
    assert not offenders, "\n".join(offenders)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["Settings.fit", "Settings2.fit", "MonitoringFile.fit",
                                  "WorkoutCustomTargetValues.fit",
                                  "WorkoutIndividualSteps.fit",
                                  "WorkoutRepeatGreaterThanStep.fit", "WorkoutRepeatSteps.fit",
                                  "WeightScaleMultiUser.fit", "WeightScaleSingleUser.fit"])
def test_non_activity_real_files_are_skipped(realdata, name):
    with pytest.raises(NotAnActivityError, match="FIT file type '.+' holds no activity"):
        read_fit(realdata / "dtcooper__python-fitparse/tests/files" / name)


@pytest.mark.realdata
def test_triathlon_gives_five_parts(realdata):
    path = realdata / "Runalyze__Runalyze/tests/testfiles/fit/multisport-triathlon-fenix3.fit"
    parsed = read_fit(path)
    sessions = decode_fitparse(path.read_bytes(), path.name).get("session")
    assert parsed.activities["sport"].tolist() == [
        "swimming", "transition", "cycling", "transition", "running"]
    a = parsed.activities.set_index("part")
    for part, rows in parsed.samples.groupby("part"):
        start = a.loc[part, "start_time"]
        end = start + pd.Timedelta(seconds=sessions["total_elapsed_time"].iloc[part])
        inside = rows["timestamp"].between(start, end)
        assert inside.mean() > 0.99, part


@pytest.mark.realdata
def test_chained_file_gives_the_records_of_every_part(realdata):
    path = realdata / "dtcooper__python-fitparse/tests/files/sample_mulitple_header.fit"
    parsed = read_fit(path)
    assert len(parsed.activities) == 5
    counts = parsed.samples.groupby("part").size()
    assert counts.index.tolist() == [0, 1, 2, 3, 4] and (counts > 0).all()


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["activity-unexpected-eof.fit", "nick.fit"])
def test_truncated_real_files_are_salvaged(realdata, name):
    parsed = read_fit(realdata / "dtcooper__python-fitparse/tests/files" / name)
    assert len(parsed.samples) > 0
    assert any(w.startswith("file is truncated") and " at byte " in w for w in parsed.warnings)


@pytest.mark.realdata
def test_coros_misaligned_fields_are_salvaged(realdata):
    fitdecode = pytest.importorskip("fitdecode")
    path = realdata / "dtcooper__python-fitparse/tests/files/" \
                      "coros-pace-2-cycling-misaligned-fields.fit"
    with pytest.warns(UserWarning), fitdecode.FitReader(str(path)) as reader:
        expected = sum(1 for f in reader if isinstance(f, fitdecode.FitDataMessage)
                       and f.name == "record" and f.get_value("timestamp") is not None)
    parsed = read_fit(path)
    assert parsed.warnings == []
    assert len(parsed.samples) == expected


@pytest.mark.realdata
def test_crc_mismatch_real_file(realdata):
    parsed = read_fit(realdata / "dtcooper__python-fitparse/tests/files/activity-filecrc.fit")
    assert parsed.warnings == ["file CRC does not match; data kept"]
    assert len(parsed.samples) > 0


@pytest.mark.realdata
@pytest.mark.slow
def test_apple_watch_history(realdata):
    """One person's 691 exported workouts, named by their local start time."""
    folder = realdata / "shaonianche__running-data-sync" / "FIT_OUT"
    files = _fit_files(folder)
    if not files:
        pytest.skip(f"no FIT files in {folder}")
    started = time.perf_counter()
    results, failed = {}, []
    for path in files:
        try:
            results[path] = read_fit(path)
        except ReadError as e:
            failed.append(str(e))
    elapsed = time.perf_counter() - started
    runs, distance_off, date_off = 0, [], []
    for path, parsed in results.items():
        for _, a in parsed.activities.iterrows():
            if pd.isna(a["local_start"]) or str(a["local_start"].date()) != path.name[:10]:
                date_off.append(f"{path.name}: local_start {a['local_start']}")
            if a["sport"] != "running":
                continue
            runs += 1
            d = parsed.samples.loc[parsed.samples["part"] == a["part"], "distance_m"].dropna()
            span = d.iloc[-1] - d.iloc[0] if len(d) else np.nan
            if not abs(span - a["device_distance_m"]) <= 0.02 * a["device_distance_m"]:
                distance_off.append(f"{path.name}: records {span} m, session "
                                    f"{a['device_distance_m']} m")
    parts = sum(len(p.activities) for p in results.values())
    print(f"\nread_fit: {len(files)} files, {parts} parts, {runs} runs in {elapsed:.1f} s")
    assert runs / (runs + len(failed)) >= 0.98, "\n".join(failed)
    assert len(distance_off) <= 0.05 * runs, "\n".join(distance_off)
    assert len(date_off) <= 0.02 * parts, "\n".join(date_off)


def test_repeated_rows_are_what_pandas_calls_duplicated():
    # ties of time far apart, NaN in both rows of a pair, rows that differ in one channel
    rng = np.random.default_rng(7)
    n = 400
    stamps = np.sort(rng.integers(0, 150, n)).astype("int64") * 10**9
    channels = {
        "timestamp": stamps.view("M8[ns]"),
        "part": rng.integers(0, 2, n).astype("int64"),
        "heart_rate_bpm": rng.choice([120.0, 121.0, np.nan], n),
        "altitude_m": rng.choice([1.0, -0.0, 0.0, np.nan], n),
    }
    order = rng.permutation(n)  # ties no longer next to each other
    channels = {k: v[order] for k, v in channels.items()}
    got = fit._repeated_rows(channels, channels["timestamp"].view("int64"))
    want = pd.DataFrame(channels).duplicated().to_numpy()
    assert want.sum() >= 10 and (~want).sum() >= 100
    np.testing.assert_array_equal(got, want)
