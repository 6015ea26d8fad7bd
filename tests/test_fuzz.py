"""Fuzzing every reader: mutated valid files give a result or a RunbackError, nothing else.

Each reader gets a valid file, then bytes replaced, snippets inserted and the end cut off.
The allowed outcomes are a :class:`~runback.io.base.ParsedFile` (or a diary result) with
every canonical column, or a :class:`~runback.errors.RunbackError` naming the file. Each
test runs a fixed number of examples so the whole file stays within about a minute.
"""

from __future__ import annotations

import functools
import gzip

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runback import schema
from runback.errors import ReadError, RunbackError
from runback.io import fit
from runback.io.activity_csv import read_activity_csv
from runback.io.base import ParsedFile
from runback.io.diary import read_diary
from runback.io.exports import Entry, Skip, iter_entries
from runback.io.fit_fast import decode_fast
from runback.io.gpx import read_gpx
from runback.io.tcx import read_tcx
from tests.builders import gpx, tcx_treadmill, track, zip_of
from tests.fitkit.encode import encode_activity
from tests.fitkit.fitparse_decoder import decode_fitparse

FAST = settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _fit_bytes() -> bytes:
    n = 30
    t = pd.date_range("2024-05-01 06:00", periods=n, freq="5s", tz="UTC")
    rec = pd.DataFrame({"timestamp": t, "latitude_deg": 39.7 + np.arange(n) * 1e-4,
                        "longitude_deg": np.full(n, -105.0), "distance_m": np.arange(n) * 15.0,
                        "altitude_m": np.full(n, 1600.0), "heart_rate_bpm": np.full(n, 140.0),
                        "cadence_spm": np.full(n, 170.0)})
    return encode_activity(rec, laps=[t[10]], local_offset_s=-21600)


FIT = _fit_bytes()
GPX = gpx(track("2024-05-01 06:00", minutes=2))
TCX = tcx_treadmill("2024-05-01 06:00", minutes=2)
STRAVA_CSV = (b"Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,"
              b"Moving Time,Elevation Gain,Filename\n"
              b'1,"May 1, 2024, 6:00:00 AM",Morning Run,Run,1800,5.01,1750,30,'
              b"activities/1.fit.gz\n"
              b'2,"May 2, 2024, 6:00:00 AM",Trail,Trail Run,3600,9.5,3500,420,\n')
DIARY = (b"date,pain,location,pain_type,timing,sleep_hours,stress,interventions,red_flags,"
         b"notes\n2025-03-04,2,lower,stiffness,morning,7.5,3,stretching;foam_roller,,\n"
         b'2025-03-05,6,lower,spasm,during_run,6.0,5,,,"locked up at km 8"\n')
SNIPPETS = [b"<", b">", b"&", b"&amp;", b"]]>", b"<!DOCTYPE x [", b'"', b"'", b"\x00",
            b"\xff\xfe", b"\xef\xbb\xbf", b"\r\n", b";", b",", b"\n", b"-1e308", b"NaN",
            b"9999-99-99T99:99:99Z", b"<trkpt lat='91' lon='x'>", b"</trkseg>", b"1e400"]


@st.composite
def mutated(draw, base: bytes):
    """``base`` with bytes replaced, snippets inserted, and possibly cut short."""
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = draw(st.sampled_from(SNIPPETS))
    cut = draw(st.one_of(st.just(len(data)), st.integers(0, len(data))))
    return bytes(data[:cut])


def _check(result, name: str):
    """A reader's result has every canonical column; an error names the file."""
    assert isinstance(result, ParsedFile)
    assert list(result.activities.columns) == schema.columns("raw_activities")
    assert list(result.samples.columns) == schema.columns("raw_samples")
    assert list(result.laps.columns) == schema.columns("raw_laps")
    assert all(isinstance(w, str) for w in result.warnings)


def _read(reader, data: bytes, name: str):
    try:
        result = reader(data, name=name)
    except ReadError as e:
        assert str(e).startswith(f"{name}: ")
        return
    except RunbackError:
        return
    _check(result, name)


@pytest.mark.parametrize("decoder", [decode_fast, decode_fitparse], ids=["fast", "fitparse"])
@SLOW
@given(data=mutated(FIT))
def test_fit_both_decoders(decoder, data):
    _read(functools.partial(fit.read_fit, decoder=decoder), data, "fuzz.fit")


@FAST
@given(data=mutated(GPX))
def test_gpx(data):
    _read(read_gpx, data, "fuzz.gpx")


@FAST
@given(data=mutated(TCX))
def test_tcx(data):
    _read(read_tcx, data, "fuzz.tcx")


@FAST
@given(data=mutated(STRAVA_CSV))
def test_activity_csv(data):
    _read(read_activity_csv, data, "fuzz.csv")


@FAST
@given(data=mutated(DIARY))
def test_diary(data):
    try:
        res = read_diary(data, name="diary.csv")
    except RunbackError as e:
        assert str(e).startswith("diary.csv: ")
        return
    assert list(res.pain.columns)[: len(schema.columns("pain"))] == schema.columns("pain")
    assert res.pain["pain"].between(0, 10).all()
    assert all(p.startswith("line ") for p in res.problems)


ZIP = zip_of({"a/run.gpx": GPX, "b/run.tcx.gz": gzip.compress(TCX, mtime=0),
              "inner.zip": zip_of({"x.fit": FIT})})
GZ = gzip.compress(GPX, mtime=0)


def _walk(path) -> None:
    """Every entry of ``path`` loads or raises ReadError; every skip has a reason."""
    for item in iter_entries([path]):
        if isinstance(item, Skip):
            assert item.reason
            continue
        assert isinstance(item, Entry)
        try:
            data = item.load()
        except ReadError as e:
            assert str(e).startswith(str(path))
            continue
        assert isinstance(data, bytes)


@SLOW
@given(data=mutated(ZIP))
def test_zip_archives(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "export.zip"
    path.write_bytes(data)
    _walk(path)


@FAST
@given(data=mutated(GZ))
def test_gzip_files(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "run.gpx.gz"
    path.write_bytes(data)
    _walk(path)


# -- regressions: minimal inputs of crashes the fuzzing found -----------------------------

@pytest.mark.parametrize("reader, root",
                         [(read_gpx, b"gpx"), (read_tcx, b"TrainingCenterDatabase")],
                         ids=["gpx", "tcx"])
@pytest.mark.parametrize("encoding", [b"U-F-8", b"utf-32"])
def test_an_encoding_python_cannot_read_is_a_read_error(reader, root, encoding):
    data = b'<?xml version="1.0" encoding="%s"?><%s/>' % (encoding, root)
    with pytest.raises(ReadError, match=f"x.xml: XML declares an encoding that cannot be read "
                                        f"\\('{encoding.decode()}'\\)"):
        reader(data, name="x.xml")


@pytest.mark.parametrize("data, match", [
    (b"A\rB,C\n1,2\n", "not a known activity CSV"),
    (b"\xff\xfe" + "date,distance\n".encode("utf-16-le") + b"\x00", "not valid UTF-16"),
], ids=["carriage-return-in-header", "odd-utf16"])
def test_activity_csv_header_oddities_are_read_errors(data, match):
    with pytest.raises(ReadError, match=f"x.csv: {match}"):
        read_activity_csv(data, name="x.csv")


def test_activity_csv_row_dated_in_year_24_is_skipped_not_a_crash():
    data = (b"Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance\n"
            b'1,"May 2, 0024, 6:00:00 AM",T,Run,3600,9.5\n'
            b'2,"May 2, 2024, 6:00:00 AM",T,Run,3600,9.5\n')
    res = read_activity_csv(data, name="x.csv")
    assert len(res.activities) == 1
    assert any("0024" in w and "outside the years 1900-2199" in w for w in res.warnings)


def test_diary_date_in_year_24_is_a_problem_not_a_crash():
    res = read_diary(b"date,pain\n0024-03-01,2\n2025-03-01,3\n", name="d.csv",
                     today=pd.Timestamp("2025-06-30").date())
    assert res.problems == ["line 2: date '0024-03-01' is before 1900 (a typo in the year?); "
                            "row left out"]
    assert res.pain["line"].tolist() == [3]


@pytest.mark.parametrize("inner", [False, True], ids=["archive", "nested"])
def test_zip_of_an_unsupported_version_is_skipped(inner, tmp_path):
    raw = bytearray(zip_of({"run.gpx": GPX}))
    at = raw.index(b"PK\x01\x02")
    raw[at + 6] = 64                                  # "version needed to extract": 6.4
    path = tmp_path / "export.zip"
    path.write_bytes(zip_of({"old.zip": bytes(raw)}) if inner else bytes(raw))
    (skip,) = list(iter_entries([path]))
    assert isinstance(skip, Skip) and "zip file version 6.4" in skip.reason
