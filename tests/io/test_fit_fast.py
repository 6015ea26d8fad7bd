"""The vectorised FIT decoder against fitparse, on every real file and on hand-built bytes."""

from __future__ import annotations

import datetime as dt
import math
import re
import struct

import fitparse
import numpy as np
import pandas as pd
import pytest
from fitparse.records import Crc
from hypothesis import given, settings
from hypothesis import strategies as st

from runback.io.fit_fast import decode_fast, fit_crc16
from runback.io.fit_messages import USED_FIELDS, FitMessages
from tests.fitkit.fitparse_decoder import decode_fitparse

#: The messages compared value by value with fitparse.
COMPARED = ("record", "session", "lap", "activity", "file_id", "sport")
#: The first date a FIT date_time gives: below 0x10000000 it counts seconds from device
#: power-up (fitparse keeps the seconds, the decoder gives NaT).
FIRST_DATE = dt.datetime(1989, 12, 31) + dt.timedelta(seconds=0x10000000)
#: Files where the fast decoder reads further than fitparse, and why. fitparse stops on a
#: field whose size is not a multiple of its base type's size; the FIT SDK reads such a
#: field as bytes and reads on, the decoder reads on with that field missing. (fitparse
#: also stops on developer fields whose developer_data_id was never given; their sizes are
#: all a decoder needs: see test_developer_fields_are_skipped_by_their_sizes.)
READS_FURTHER = {
    "coros-pace-2-cycling-misaligned-fields.fit": "field size misfits its base type",
}


# --------------------------------------------------------------------------------------------
# Reference: plain fitparse


def _first(value):
    return value[0] if isinstance(value, tuple) and value else value


def _fitparse_rows(data: bytes):
    """Per compared message, one dict per message in file order, and the exception (if any)."""
    rows: dict[str, list[dict]] = {m: [] for m in COMPARED}
    try:
        for message in fitparse.FitFile(data, check_crc=False).get_messages():
            if message.name not in rows:
                continue
            values: dict = {}
            components: dict = {}
            for fd in message.fields:
                if fd.field is None or fd.field.field_type == "devfield":
                    continue
                value = fd.value
                if fd.parent_field is not None:      # sub-field: the parent keeps its raw value
                    values[fd.parent_field.name] = fd.raw_value
                if fd.field_def is None and fd.field.name != "timestamp":
                    components[fd.field.name] = value
                else:
                    values[fd.field.name] = value
            for name, value in components.items():
                values.setdefault(name, value)   # a field the message carries wins
            rows[message.name].append(values)
    except Exception as e:  # noqa: BLE001 - where fitparse stops is what is compared
        return rows, e
    return rows, None


def _expected(value, kind: str):
    """fitparse's value as the fast decoder's column holds it (None for missing)."""
    value = _first(value)
    if value is None:
        return None
    if kind == "text":
        return str(value)
    if kind in ("time", "local"):
        if isinstance(value, dt.datetime):
            if kind == "local" and value < FIRST_DATE:
                return None   # below 0x10000000: a relative time, not a date
            return pd.Timestamp(value)
        return None          # fitparse keeps a relative time (below 0x10000000) as seconds
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, int | float) else None


def _kinds(frame: pd.DataFrame) -> dict[str, str]:
    out = {}
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[column] = "time"
        elif pd.api.types.is_datetime64_dtype(dtype):
            out[column] = "local"
        elif pd.api.types.is_float_dtype(dtype):
            out[column] = "num"
        else:
            out[column] = "text"
    return out


def _same(got, want, kind: str) -> bool:
    """Equal as the task asks: times and positions exactly, other numbers to 1e-6."""
    if want is None:
        return got is None or got is pd.NA or pd.isna(got)
    if got is None or got is pd.NA or (not isinstance(got, str) and pd.isna(got)):
        return False
    if kind == "num":
        return math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9)
    if kind == "time":
        return got == want.tz_localize("UTC")
    return got == want


def compare_with_fitparse(data: bytes) -> list[str]:
    """Every difference between fitparse and decode_fast on ``data``, as sentences."""
    want, died = _fitparse_rows(data)
    got = decode_fast(data, "file.fit")
    problems = []
    if died is None and got.error is not None:
        problems.append(f"fast stopped ({got.error} at {got.error_offset}), fitparse did not")
    if died is not None and got.error is None:
        problems.append(f"fitparse stopped ({died!r}), fast did not")
    for message in COMPARED:
        frame = got.get(message)
        rows = want[message]
        if len(frame) < len(rows) or (died is None and len(frame) != len(rows)):
            problems.append(f"{message}: {len(frame)} rows, fitparse {len(rows)}")
            continue
        if len(frame) > len(rows):
            problems.append(f"fast reads further: {message} {len(frame)} rows, fitparse "
                            f"{len(rows)} before it stopped")
        kinds = _kinds(frame)
        for column in USED_FIELDS[message]:
            values = frame[column].tolist()
            for i, row in enumerate(rows):
                expected = _expected(row.get(column), kinds[column])
                kind = "exact" if "position" in column else kinds[column]
                if not _same(values[i], expected, kind):
                    problems.append(f"{message}[{i}].{column}: {values[i]!r}, fitparse "
                                    f"{expected!r} ({row.get(column)!r})")
                    break
    return problems


# --------------------------------------------------------------------------------------------
# Hand-built FIT bytes

FILE_ID, SPORT, SESSION, RECORD, EVENT = 0, 12, 18, 20, 21
# field definitions: (field number, size, base type byte)
TS, LAT, LON = (253, 4, 0x86), (0, 4, 0x85), (1, 4, 0x85)
ALT, HR, DIST, SPEED = (2, 2, 0x84), (3, 1, 0x02), (5, 4, 0x86), (6, 2, 0x84)
T0 = 1_000_000_030           # a FIT timestamp [s]; its low 5 bits are 30
T0_UTC = pd.Timestamp("2021-09-08 01:47:10", tz="UTC")   # 631065600 + T0 seconds since 1970


def header(data_size: int, crc: int | None = None) -> bytes:
    """A 14-byte FIT file header (protocol 2.0); its CRC is computed unless given."""
    head = struct.pack("<BBHI4s", 14, 0x20, 2132, data_size, b".FIT")
    return head + struct.pack("<H", Crc.calculate(head) if crc is None else crc)


def fit_file(*messages: bytes, data_size: int | None = None,
             header_crc: int | None = None) -> bytes:
    """Header + messages + file CRC, as a device writes it."""
    body = b"".join(messages)
    head = header(len(body) if data_size is None else data_size, header_crc)
    return head + body + struct.pack("<H", Crc.calculate(head + body))


def definition(local: int, global_num: int, fields, *, big: bool = False, dev=()) -> bytes:
    """A definition message; ``dev`` lists developer fields (number, size, developer index)."""
    out = bytes([0x40 | local | (0x20 if dev else 0), 0, int(big)])
    out += struct.pack((">" if big else "<") + "HB", global_num, len(fields))
    out += b"".join(bytes(f) for f in fields)
    if dev:
        out += bytes([len(dev)]) + b"".join(bytes(f) for f in dev)
    return out


def data(local: int, fmt: str, *values, big: bool = False) -> bytes:
    return bytes([local]) + struct.pack((">" if big else "<") + fmt, *values)


def compressed(local: int, time_offset: int, fmt: str, *values) -> bytes:
    """A data message with a compressed-timestamp header (local types 0-3)."""
    return bytes([0x80 | local << 5 | time_offset]) + struct.pack("<" + fmt, *values)


def records_file(n: int = 5) -> bytes:
    return fit_file(definition(0, RECORD, [TS, HR, DIST]),
                    *(data(0, "IBI", T0 + i, 100 + i, 1000 * i) for i in range(n)))


@pytest.mark.parametrize("big", [False, True], ids=["little-endian", "big-endian"])
def test_record_fields_in_either_byte_order(big):
    raw = fit_file(
        definition(0, RECORD, [TS, LAT, LON, ALT, HR, DIST, SPEED], big=big),
        data(0, "IiiHBIH", T0, 600_000_000, -100_000_000, 3000, 150, 123456, 3500, big=big),
        data(0, "IiiHBIH", T0 + 1, 0x7FFFFFFF, 0x7FFFFFFF, 0xFFFF, 0xFF, 0xFFFFFFFF, 0xFFFF,
             big=big),
    )
    got = decode_fast(raw, "x.fit")
    rec = got.get("record")
    assert (got.error, got.crc_ok, len(rec)) == (None, True, 2)
    first = rec.iloc[0]
    assert first["timestamp"] == T0_UTC
    assert (first["position_lat"], first["position_long"]) == (600_000_000, -100_000_000)
    assert first["altitude"] == first["enhanced_altitude"] == 3000 / 5 - 500
    assert first["speed"] == first["enhanced_speed"] == 3.5
    assert (first["heart_rate"], first["distance"]) == (150, 1234.56)
    assert rec.iloc[1]["timestamp"] == T0_UTC + pd.Timedelta(seconds=1)
    assert rec.iloc[1].drop("timestamp").isna().all()     # every FIT invalid value is missing
    assert compare_with_fitparse(raw) == []


def test_compressed_timestamps_roll_over_against_the_last_full_timestamp():
    raw = fit_file(
        definition(0, RECORD, [TS, HR]),
        data(0, "IB", T0, 100),                   # full timestamp, low 5 bits 30
        definition(1, RECORD, [HR]),
        compressed(1, 31, "B", 101),              # 30 -> 31: +1
        compressed(1, 2, "B", 102),               # 31 -> 2 rolls over: +3
        compressed(1, 2, "B", 103),               # same offset: +0
        compressed(1, 1, "B", 104),               # 2 -> 1 rolls over: +31
        definition(2, EVENT, [TS]),
        data(2, "I", T0 + 1000),                  # any message's timestamp resets; low bits 6
        compressed(1, 10, "B", 105),              # 6 -> 10: +4
    )
    rec = decode_fast(raw, "x.fit").get("record")
    seconds = [0, 1, 4, 4, 35, 1004]
    assert rec["timestamp"].tolist() == [T0_UTC + pd.Timedelta(seconds=s) for s in seconds]
    assert rec["heart_rate"].tolist() == [100, 101, 102, 103, 104, 105]
    assert compare_with_fitparse(raw) == []


def test_a_local_type_redefined_mid_file_switches_layout():
    raw = fit_file(
        definition(0, FILE_ID, [(0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84)]),
        data(0, "BHH", 4, 1, 1124),
        definition(0, RECORD, [TS, HR]),
        data(0, "IB", T0, 90),
        definition(0, RECORD, [HR, DIST, TS]),
        data(0, "BII", 91, 500, T0 + 1),
        definition(0, RECORD, [TS, HR]),
        data(0, "IB", T0 + 2, 92),
    )
    got = decode_fast(raw, "x.fit")
    file_id = got.get("file_id").iloc[0]
    assert (file_id["type"], file_id["manufacturer"]) == ("activity", "garmin")
    assert (file_id["product"], file_id["garmin_product"]) == (1124, "fr110")
    rec = got.get("record")
    assert rec["heart_rate"].tolist() == [90, 91, 92]
    assert rec["distance"].isna().tolist() == [True, False, True]
    assert rec["distance"].iloc[1] == 5.0
    assert (rec["timestamp"] - T0_UTC).dt.total_seconds().tolist() == [0, 1, 2]
    assert compare_with_fitparse(raw) == []


def test_developer_fields_are_skipped_by_their_sizes():
    raw = fit_file(
        definition(0, RECORD, [TS, HR], dev=[(0, 3, 0), (1, 2, 0)]),
        data(0, "IB3sH", T0, 120, b"\x01\x02\x03", 0x4142),
        data(0, "IB3sH", T0 + 1, 121, b"\xff\x40\x41", 0x0000),
        definition(1, RECORD, [HR, TS]),
        data(1, "BI", 122, T0 + 2),
    )
    got = decode_fast(raw, "x.fit")
    assert got.error is None
    assert got.get("record")["heart_rate"].tolist() == [120, 121, 122]


def test_chained_files_are_one_stream_and_local_types_do_not_carry_over():
    first = records_file(2)
    second = fit_file(definition(3, RECORD, [HR, TS]), data(3, "BI", 77, T0 + 60))
    got = decode_fast(first + second, "x.fit")
    assert (got.error, got.crc_ok) == (None, True)
    assert got.get("record")["heart_rate"].tolist() == [100, 101, 77]
    assert compare_with_fitparse(first + second) == []

    orphan = fit_file(data(0, "IBI", T0, 1, 1))          # local type 0 was defined in `first`
    got = decode_fast(first + orphan, "x.fit")
    assert len(got.get("record")) == 2
    assert got.error == "data message of local type 0, which has no definition"
    assert got.error_offset == len(first) + 14


def test_a_truncated_file_keeps_every_whole_message_before_the_break():
    whole = records_file(5)
    message_starts = [14 + 15 + 10 * i for i in range(5)]      # header, definition, records
    for cut in range(len(whole)):
        got = decode_fast(whole[:cut], "x.fit")
        complete = sum(start + 10 <= cut for start in message_starts)
        assert got.error is not None, cut
        assert len(got.get("record")) == complete, cut
        assert got.get("record")["heart_rate"].tolist() == [100 + i for i in range(complete)]
        assert len(got.get("record")) == len(_fitparse_rows(whole[:cut])[0]["record"]), cut
    cut_in_third = message_starts[2] + 4
    got = decode_fast(whole[:cut_in_third], "x.fit")
    assert got.error_offset == message_starts[2]
    assert "truncated" in got.error
    got = decode_fast(whole[:-2], "x.fit")
    assert (got.error, got.error_offset) == ("file is truncated before its CRC",
                                            len(whole) - 2)


def test_a_header_claiming_gigabytes_allocates_nothing_for_it():
    import tracemalloc

    body = definition(0, RECORD, [TS, HR, DIST]) + data(0, "IBI", T0, 100, 0)
    raw = header(0xFFFFFFF0) + body
    tracemalloc.start()
    try:
        got = decode_fast(raw, "x.fit")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    assert len(got.get("record")) == 1
    assert "truncated" in got.error


@pytest.mark.parametrize("raw", [
    b"",
    b"timestamp,heart_rate\n2021-09-08T01:46:40Z,120\n" * 20,
    np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
    b"\x0e\x20\x54\x08",
], ids=["empty", "csv", "random", "short"])
def test_what_is_not_fit_fails_at_once_with_every_frame_empty(raw):
    got = decode_fast(raw, "x.fit")
    assert got.error.startswith("not a FIT file")
    assert got.error_offset == 0
    for message, columns in USED_FIELDS.items():
        frame = got.get(message)
        assert frame.empty and list(frame.columns) == list(columns)
    assert str(got.get("record")["timestamp"].dtype) == "datetime64[ns, UTC]"


def test_an_undefined_local_type_stops_with_its_number_and_offset():
    raw = fit_file(definition(0, RECORD, [TS, HR]), data(0, "IB", T0, 80),
                   data(5, "IB", T0, 81), data(0, "IB", T0 + 1, 82))
    got = decode_fast(raw, "x.fit")
    assert got.error == "data message of local type 5, which has no definition"
    assert got.error_offset == 14 + 12 + 6
    assert got.get("record")["heart_rate"].tolist() == [80]


def test_a_field_whose_size_misfits_its_base_type_is_missing_and_reading_goes_on():
    raw = fit_file(definition(0, RECORD, [TS, (3, 1, 0x86), DIST]),    # 1-byte uint32
                   data(0, "IBI", T0, 150, 2500), data(0, "IBI", T0 + 1, 151, 2600))
    got = decode_fast(raw, "x.fit")
    rec = got.get("record")
    assert got.error is None
    assert rec["heart_rate"].isna().all()
    assert rec["distance"].tolist() == [25.0, 26.0]


def test_odd_base_types_give_missing_values_not_warnings():
    nan32 = struct.unpack("<f", b"\xff\xff\xbf\x7f")[0]      # a NaN that is not 0xFFFFFFFF
    raw = fit_file(      # timestamp and speed as float32, heart rate of unknown base type 0x14
        definition(0, RECORD, [(253, 4, 0x88), (6, 4, 0x88), (3, 1, 0x14)]),
        data(0, "ffB", nan32, 1e30, 7),
        data(0, "ffB", 1e9, 2500.0, 0xFF),                    # 1e9 is exact in float32
    )
    rec = decode_fast(raw, "x.fit").get("record")
    assert rec["timestamp"].isna().tolist() == [True, False]
    assert rec["timestamp"].iloc[1] == T0_UTC - pd.Timedelta(seconds=30)
    assert rec["speed"].tolist()[1] == 2.5 and rec["enhanced_speed"].tolist()[1] == 2.5
    assert np.isnan(rec["enhanced_speed"].iloc[0])            # 1e30 is no 16-bit value
    assert rec["heart_rate"].isna().all()                     # unknown base type: bytes


def test_compressed_speed_distance_gives_speed_and_accumulated_distance():
    def csd(speed, distance):
        return (speed | distance << 12).to_bytes(3, "little")

    raw = fit_file(
        definition(0, RECORD, [TS, (8, 3, 0x0D)]),
        data(0, "I3s", T0, csd(354, 4000)),
        data(0, "I3s", T0 + 1, csd(355, 100)),        # 12-bit distance rolls over
        data(0, "I3s", T0 + 2, b"\xff\xff\xff"),      # invalid: neither value
        data(0, "I3s", T0 + 3, csd(0, 200)),
    )
    rec = decode_fast(raw, "x.fit").get("record")
    assert rec["speed"].tolist()[:2] == [3.54, 3.55]
    assert np.isnan(rec["speed"].iloc[2]) and rec["speed"].iloc[3] == 0
    distance = rec["distance"].tolist()
    assert distance[0] == 4000 / 16 and distance[1] == (4096 + 100) / 16
    assert np.isnan(distance[2]) and distance[3] == (4096 + 200) / 16
    assert compare_with_fitparse(raw) == []


def test_enum_names_strings_and_subfields():
    raw = fit_file(
        definition(0, FILE_ID, [(0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84), (8, 8, 0x07)]),
        data(0, "BHH8s", 4, 1, 1124, b"FR110\0\xff\xff"),
        data(0, "BHH8s", 200, 255, 9, b"ABCDEFGH"),      # unnamed enum, no terminator
        data(0, "BHH8s", 0xFF, 0xFFFF, 0xFFFF, b"\0" * 8),
        definition(1, SPORT, [(0, 1, 0x00), (1, 1, 0x00), (3, 12, 0x07)]),
        data(1, "BB12s", 1, 3, "Läufe".encode() + b"\0"),
    )
    got = decode_fast(raw, "x.fit")
    file_id = got.get("file_id")
    assert file_id["type"].tolist() == ["activity", "200", None]
    assert file_id["manufacturer"].tolist() == ["garmin", "development", None]
    assert file_id["garmin_product"].tolist() == ["fr110", None, None]   # only for Garmin
    assert file_id["product"].tolist()[:2] == [1124, 9]
    assert file_id["product_name"].tolist() == ["FR110", "ABCDEFGH", None]
    sport = got.get("sport").iloc[0]
    assert (sport["sport"], sport["sub_sport"], sport["name"]) == ("running", "trail", "Läufe")
    assert compare_with_fitparse(raw) == []


def test_rows_follow_file_order_across_definitions():
    raw = fit_file(
        definition(0, RECORD, [TS, HR]),
        definition(1, RECORD, [HR, TS, DIST]),
        data(0, "IB", T0, 1), data(1, "BII", 2, T0 + 1, 0), data(0, "IB", T0 + 2, 3),
        data(1, "BII", 4, T0 + 3, 0), data(1, "BII", 5, T0 + 4, 0), data(0, "IB", T0 + 5, 6),
    )
    rec = decode_fast(raw, "x.fit").get("record")
    assert rec["heart_rate"].tolist() == [1, 2, 3, 4, 5, 6]
    assert rec["timestamp"].is_monotonic_increasing


def test_crc_mismatch_keeps_the_data():
    raw = bytearray(records_file(3))
    raw[14 + 15 + 5] ^= 0x01                       # heart rate of the first record
    got = decode_fast(bytes(raw), "x.fit")
    assert (got.crc_ok, got.error) == (False, None)
    assert got.get("record")["heart_rate"].tolist() == [101, 101, 102]
    messages = definition(0, RECORD, [TS, HR]), data(0, "IB", T0, 90)
    assert decode_fast(fit_file(*messages, header_crc=0x1234), "x.fit").crc_ok is False
    assert decode_fast(fit_file(*messages, header_crc=0), "x.fit").crc_ok is True


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(0, 50))
def test_crc_matches_the_fit_sdk_table_algorithm(blob, start):
    start = min(start, len(blob))
    assert fit_crc16(blob, start) == Crc.calculate(blob[start:])
    assert fit_crc16(blob + struct.pack("<H", Crc.calculate(blob))) == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=8),
       st.integers(0, 400))
def test_damaged_files_never_raise(flips, cut):
    """Any byte changed and any cut: a result with an error or with data, never an exception."""
    raw = bytearray(fit_file(
        definition(0, FILE_ID, [(0, 1, 0x00), (1, 2, 0x84), (2, 2, 0x84), (8, 8, 0x07)]),
        data(0, "BHH8s", 4, 1, 1124, b"FR110\0\0\0"),
        definition(1, RECORD, [TS, LAT, LON, ALT, HR, DIST, SPEED, (8, 3, 0x0D)],
                   dev=[(0, 2, 0)]),
        *(data(1, "IiiHBIH3sH", T0 + i, i, -i, 3000, 100, i, 100, b"\1\2\3", 0)
          for i in range(6)),
        definition(0, RECORD, [HR]),
        *(compressed(0, i, "B", 90 + i) for i in range(4)),
    ))
    for at, value in flips:
        if at < len(raw):
            raw[at] = value
    got = decode_fast(bytes(raw[:len(raw) - cut]), "x.fit")
    assert got.error is None or got.error_offset is not None
    assert set(got.tables) == set(USED_FIELDS)
    assert len(got.get("record")) <= len(raw)


def test_the_decoder_fills_the_contract_types():
    got = decode_fast(records_file(2), "x.fit")
    assert isinstance(got, FitMessages)
    assert set(got.tables) == set(USED_FIELDS)
    rec = got.get("record")
    assert str(rec["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert all(rec[c].dtype == np.float64 for c in USED_FIELDS["record"] if c != "timestamp")
    assert str(got.get("activity")["local_timestamp"].dtype) == "datetime64[ns]"
    with pytest.raises(TypeError, match="x.fit"):
        decode_fast("not bytes", "x.fit")


# --------------------------------------------------------------------------------------------
# Every real FIT file


def _fit_files(folder):
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".fit")


@pytest.mark.realdata
@pytest.mark.slow
def test_every_real_file_decodes_as_fitparse_does(realdata):
    """Same values for every compared field, and the same stop on broken files, except
    where :data:`READS_FURTHER` says why the decoder reads on."""
    paths = _fit_files(realdata)
    assert paths, f"no FIT files under {realdata}"
    problems = {}
    for path in paths:
        found = compare_with_fitparse(path.read_bytes())
        if path.name in READS_FURTHER:
            known = [p for p in found if p.startswith(("fitparse stopped", "fast reads"))]
            found = [p for p in found if p not in known]
            if not known:
                found.append(f"expected to read further ({READS_FURTHER[path.name]})")
        if found:
            problems[str(path.relative_to(realdata))] = found[:3]
    assert not problems, f"{len(problems)} of {len(paths)} files differ: {problems}"


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "error"), [
    ("activity-unexpected-eof.fit", "file is truncated inside a data message"),
    ("nick.fit", "file is truncated inside a data message"),
    ("activity-settings-corruptheader.fit", "not a FIT file"),
    ("activity-settings-nodata.fit", "file is truncated inside a definition message"),
    ("strava-android-app-201.10-b1218918.fit", "data message of local type 11"),
    ("ELEMNT_ROAM_Unterminated.fit", "file is truncated before its CRC"),
    ("coros-pace-2-cycling-misaligned-fields.fit", None),
])
def test_broken_real_files_stop_where_fitparse_stops(realdata, name, error):
    paths = [p for p in _fit_files(realdata) if p.name == name]
    if not paths:
        pytest.skip(f"{name} is not in {realdata}")
    raw = paths[0].read_bytes()
    got = decode_fast(raw, name)
    fitparse_rows, died = _fitparse_rows(raw)
    assert died is not None
    records = len(got.get("record"))
    if error is None:            # see READS_FURTHER: read to the end, session included
        assert got.error is None and records > len(fitparse_rows["record"])
        assert len(got.get("session")) == 1 and not fitparse_rows["session"]
    else:
        assert got.error.startswith(error)
        assert 0 < records == len(fitparse_rows["record"])


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "crc_ok"), [
    ("activity-filecrc.fit", False), ("activity-activity-filecrc.fit", False),
    ("Activity.fit", True), ("sample_mulitple_header.fit", True),
])
def test_crc_of_real_files(realdata, name, crc_ok):
    paths = [p for p in _fit_files(realdata) if p.name == name]
    if not paths:
        pytest.skip(f"{name} is not in {realdata}")
    got = decode_fast(paths[0].read_bytes(), name)
    assert (got.crc_ok, got.error) == (crc_ok, None)


@pytest.mark.realdata
@pytest.mark.slow
def test_every_real_file_reads_to_the_same_tables_with_either_decoder(realdata):
    """read_fit through fitparse and through the fast decoder: the same activities,
    samples and laps, the same warnings (a break in the file may be worded differently and
    placed at its message rather than its header: the records kept must be the same), and
    the same decision (the same error) on the files that cannot be read."""
    from runback.errors import RunbackError
    from runback.io import fit

    def read(path, decoder):
        try:
            return fit.read_fit_columns(path.read_bytes(), path.name, decoder).to_parsed()
        except RunbackError as e:
            return f"{type(e).__name__}: {e}"

    paths = [p for p in _fit_files(realdata) if p.name not in READS_FURTHER]
    assert len(paths) > 700, f"expected the real FIT files under {realdata}"
    problems, n_read = {}, 0
    for path in paths:
        want, got = read(path, decode_fitparse), read(path, decode_fast)
        if isinstance(want, str) or isinstance(got, str):
            if want != got:
                problems[path.name] = f"fitparse: {want!r}, fast: {got!r}"
            continue
        n_read += 1
        try:
            for table in ("activities", "samples", "laps"):
                pd.testing.assert_frame_equal(getattr(got, table), getattr(want, table),
                                              check_exact=False, rtol=1e-9)
            assert _kept(got.warnings) == _kept(want.warnings)
        except AssertionError as e:
            problems[path.name] = str(e)[:300]
    assert n_read > 700 and not problems, f"{len(problems)} files differ: {problems}"


def _kept(warnings: list[str]) -> list[str]:
    """Warnings with the wording and byte offset of a break left out."""
    return [re.sub(r"^.* at byte \d+; ", "break: ", w) for w in warnings]
