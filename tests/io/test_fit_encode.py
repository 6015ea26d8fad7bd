"""The FIT encoder: valid files that fitparse and read_fit read back to the values written."""

from __future__ import annotations

import struct

import fitparse
import numpy as np
import pandas as pd
import pytest

from runback.io.fit import read_fit
from tests.fitkit.encode import encode_activity, encode_messages, fit_crc

T0 = pd.Timestamp("2023-07-14 23:40:00", tz="UTC")


def _records(n=6, step_s=10):
    times = pd.date_range(T0, periods=n, freq=f"{step_s}s")
    return pd.DataFrame({
        "timestamp": times,
        "latitude_deg": np.linspace(-33.8688, -33.8600, n),
        "longitude_deg": np.linspace(151.2093, 151.2150, n),
        "distance_m": np.arange(n) * 31.25,
        "altitude_m": np.linspace(12.4, 20.0, n),
        "speed_m_s": np.full(n, 3.125),
        "heart_rate_bpm": np.arange(n) + 140.0,
        "cadence_spm": np.linspace(170.0, 181.0, n),
        "temperature_c": np.full(n, 24.0),
    })


def _messages(data, name=None):
    return [m for m in fitparse.FitFile(data, check_crc=True).get_messages(name)]


def test_crc_matches_the_crc16_arc_check_value():
    # CRC-16/ARC (the FIT CRC) of "123456789" is 0xBB3D in every CRC catalogue.
    assert fit_crc(b"123456789") == 0xBB3D
    assert fit_crc(b"56789", fit_crc(b"1234")) == 0xBB3D


def test_header_and_file_crc_are_valid():
    data = encode_activity(_records())
    size, _, _, data_size, magic = struct.unpack("<BBHI4s", data[:12])
    assert (size, magic) == (14, b".FIT")
    assert data_size == len(data) - 16
    assert struct.unpack("<H", data[12:14])[0] == fit_crc(data[:12])
    assert struct.unpack("<H", data[-2:])[0] == fit_crc(data[:-2])


def test_fitparse_reads_back_what_was_written():
    rec = _records()
    records = [m.get_values() for m in _messages(encode_activity(rec), "record")]
    assert len(records) == len(rec)
    got = pd.DataFrame(records)
    assert list(pd.to_datetime(got["timestamp"], utc=True)) == list(rec["timestamp"])
    np.testing.assert_allclose(got["position_lat"] * 180 / 2**31, rec["latitude_deg"],
                               atol=1e-7)
    np.testing.assert_allclose(got["distance"], rec["distance_m"], atol=0.01)
    np.testing.assert_allclose(got["enhanced_altitude"], rec["altitude_m"], atol=0.2)
    np.testing.assert_allclose(got["heart_rate"], rec["heart_rate_bpm"])
    # running cadence is stored in strides per minute, halves in 1/128
    np.testing.assert_allclose(got["cadence"] + got["fractional_cadence"],
                               rec["cadence_spm"] / 2, atol=1 / 128)


def test_cycling_cadence_is_written_as_rpm():
    rec = _records().assign(cadence_spm=[80.0, 85, 90, 91, 92, 93])
    got = [m.get_value("cadence") for m in _messages(encode_activity(rec, sport="cycling"),
                                                      "record")]
    assert got == [80, 85, 90, 91, 92, 93]


def test_session_lap_and_activity_messages():
    rec = _records()
    data = encode_activity(rec, laps=[rec["timestamp"][3]], local_offset_s=36000)
    laps = [m.get_values() for m in _messages(data, "lap")]
    assert [lap["total_elapsed_time"] for lap in laps] == [30.0, 20.0]
    assert [lap["total_distance"] for lap in laps] == [93.75, 62.5]
    (session,) = [m.get_values() for m in _messages(data, "session")]
    assert session["total_elapsed_time"] == 50.0
    assert session["num_laps"] == 2
    (activity,) = [m.get_values() for m in _messages(data, "activity")]
    assert activity["local_timestamp"] - activity["timestamp"] == pd.Timedelta(hours=10)


def test_several_parts_become_several_sessions():
    rec = _records(9).assign(part=[0, 0, 0, 1, 1, 1, 2, 2, 2])
    data = encode_activity(rec, sport=["running", "transition", "cycling"],
                           sub_sport=["street", "generic", "road"])
    sessions = [m.get_values() for m in _messages(data, "session")]
    assert [s["sport"] for s in sessions] == ["running", "transition", "cycling"]
    assert [s["sub_sport"] for s in sessions] == ["street", "generic", "road"]
    with pytest.raises(ValueError, match="one per part"):
        encode_activity(rec, sport=["running", "cycling"])


def test_more_than_16_layouts_reuse_local_message_numbers():
    fields = ["heart_rate", "cadence", "power", "distance", "speed", "altitude", "temperature"]
    messages = [("file_id", {"type": "activity", "manufacturer": "development"})]
    for i in range(40):
        chosen = [f for j, f in enumerate(fields) if (i + 1) >> j & 1]
        messages.append(("record", {"timestamp": T0 + pd.Timedelta(seconds=i),
                                    **{f: 10 + i for f in chosen}}))
    got = [m.get_values() for m in _messages(encode_messages(messages), "record")]
    assert len(got) == 40
    for i, values in enumerate(got):
        chosen = {f for j, f in enumerate(fields) if (i + 1) >> j & 1}
        assert values["timestamp"].second == i
        assert {f for f in fields if values.get(f) is not None} == chosen
        assert all(values[f] == pytest.approx(10 + i) for f in chosen)


def test_unknown_field_or_enum_value_is_refused():
    with pytest.raises(ValueError, match="no field"):
        encode_messages([("record", {"heart_rates": 1})])
    with pytest.raises(ValueError, match="not a FIT sport"):
        encode_messages([("session", {"sport": "quidditch"})])


def test_round_trip_through_read_fit():
    rec = _records()
    parsed = read_fit(encode_activity(rec, sub_sport="trail"))
    s = parsed.samples
    assert len(s) == len(rec)
    np.testing.assert_allclose(s["latitude_deg"], rec["latitude_deg"], atol=1e-7)
    np.testing.assert_allclose(s["longitude_deg"], rec["longitude_deg"], atol=1e-7)
    np.testing.assert_allclose(s["speed_m_s"], rec["speed_m_s"], atol=1e-3)
    np.testing.assert_allclose(s["cadence_spm"], rec["cadence_spm"], atol=2 / 128)
    np.testing.assert_allclose(s["temperature_c"], rec["temperature_c"])
    assert parsed.activities.loc[0, "sub_sport"] == "trail"
    assert parsed.activities.loc[0, "device"] == "development runback"
