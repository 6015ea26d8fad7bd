"""``runback diary add`` and ``runback diary show``: safe appends, kept style, clear errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from runback.cli import main
from runback.io.diary import DIARY_COLUMNS, read_diary

REPO = Path(__file__).resolve().parents[1]
CONTRACT_HEADER = ("date,pain,location,pain_type,timing,sleep_hours,stress,interventions,"
                   "red_flags,notes")


def run(*args, env=None):
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def add(diary, *args):
    return run("diary", "add", "--file", str(diary), *args)


@pytest.fixture
def kept(tmp_path):
    """An existing diary with a quoted note holding a comma and an extra column."""
    path = tmp_path / "pain_diary.csv"
    path.write_bytes(b"date,pain,location,notes,shoe\n"
                     b'2025-03-04,2,lower,"stiff, then fine",Pegasus\n'
                     b"2025-03-05,6,lower,locked up,\n")
    return path


def test_new_file_gets_the_contract_header(tmp_path):
    diary = tmp_path / "pain_diary.csv"
    r = add(diary, "--pain", "6", "--date", "2025-03-05", "--location", "lower",
            "--pain-type", "spasm", "--timing", "during_run", "--sleep-hours", "6",
            "--stress", "5", "--notes", "locked up at km 8")
    assert r.exit_code == 0, r.output
    assert r.stdout == f"added 2025-03-05 pain 6 to {diary} (1 entry)\n"
    lines = diary.read_text().splitlines()
    assert lines[0] == CONTRACT_HEADER == ",".join(DIARY_COLUMNS)
    assert lines[1] == "2025-03-05,6,lower,spasm,during_run,6,5,,,locked up at km 8"
    d = read_diary(diary)
    assert d.problems == [] and len(d.pain) == 1
    assert d.pain.loc[0, "sleep_hours"] == 6.0 and d.pain.loc[0, "timing"] == "during_run"


def test_append_keeps_existing_rows_byte_for_byte(kept):
    before = kept.read_bytes()
    r = add(kept, "--pain", "3.5", "--date", "2025-03-06", "--interventions",
            "stretching;foam roller", "--notes", 'said "ouch", twice')
    assert r.exit_code == 0, r.output
    assert r.stdout.endswith("(3 entries)\n")
    header, body = before.split(b"\n", 1)
    new_header, new_body = kept.read_bytes().split(b"\n", 1)
    # a column the file lacks is added at the end of the header; old rows stay as they were
    assert new_header == header + b",interventions"
    assert new_body.startswith(body)
    assert new_body[len(body):].count(b"\n") == 1
    d = read_diary(kept)
    last = d.pain.iloc[-1]
    assert last["pain"] == 3.5 and last["interventions"] == "stretching;foam_roller"
    assert last["notes"] == 'said "ouch", twice'
    assert d.problems == []


def test_several_entries_a_day_and_the_entry_count(kept):
    for pain in ("4", "5"):
        r = add(kept, "--pain", pain, "--date", "2025-03-05")
        assert r.exit_code == 0, r.output
    assert r.stdout.endswith("(4 entries)\n")
    d = read_diary(kept)
    assert list(d.pain[d.pain["date"] == "2025-03-05"]["pain"]) == [6.0, 4.0, 5.0]


@pytest.mark.parametrize("style", ["crlf", "semicolon", "bom", "all"])
def test_diary_style_is_kept(tmp_path, style):
    nl = "\r\n" if style in ("crlf", "all") else "\n"
    sep = ";" if style in ("semicolon", "all") else ","
    bom = b"\xef\xbb\xbf" if style in ("bom", "all") else b""
    text = nl.join([sep.join(["date", "pain", "notes"]), sep.join(["2025-03-04", "2", "ok"])])
    diary = tmp_path / "pain_diary.csv"
    diary.write_bytes(bom + (text + nl).encode())
    before = diary.read_bytes()
    r = add(diary, "--pain", "4", "--date", "2025-03-05", "--notes", "a;b, c")
    assert r.exit_code == 0, r.output
    after = diary.read_bytes()
    assert after.startswith(before)
    new = after[len(before):].decode()
    assert new.endswith(nl) and new.count("\n") == 1
    assert new.startswith(sep.join(["2025-03-05", "4", ""]))
    assert after.count(b"\xef\xbb\xbf") == len(bom) // 3
    d = read_diary(diary)
    assert d.problems == [] and d.pain["notes"].tolist() == ["ok", "a;b, c"]


def test_today_and_yesterday_are_local_days(tmp_path):
    diary = tmp_path / "d.csv"
    first = dt.date.today()
    assert add(diary, "--pain", "1", "--date", "yesterday").exit_code == 0
    assert add(diary, "--pain", "2").exit_code == 0
    last = dt.date.today()  # a run across midnight sees either day, never a mix
    dates = [ts.date() for ts in read_diary(diary).pain["date"]]
    assert dates in ([day - dt.timedelta(days=1), day] for day in {first, last})


def test_file_defaults_to_the_environment_then_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    elsewhere = tmp_path / "sub" / "back.csv"
    elsewhere.parent.mkdir()
    r = run("diary", "add", "--pain", "2", env={"RUNBACK_DIARY": str(elsewhere)})
    assert r.exit_code == 0 and elsewhere.exists()
    assert not (tmp_path / "pain_diary.csv").exists()
    r = run("diary", "add", "--pain", "3", env={"RUNBACK_DIARY": None})
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().endswith("pain 3 to pain_diary.csv (1 entry)")
    assert len(read_diary(tmp_path / "pain_diary.csv").pain) == 1


@pytest.mark.parametrize("args, words", [
    (["--pain", "11"], "outside 0-10"),
    (["--pain", "-1"], "outside 0-10"),
    (["--pain", "nan"], "outside 0-10"),
    (["--pain", "bad"], "not a number"),
    (["--pain", ""], "pain is missing"),
    (["--pain", "3", "--date", "<tomorrow>"], "future"),  # the date when the test runs
    (["--pain", "3", "--date", "05/03/2025"], "ambiguous"),
    (["--pain", "3", "--date", "2025-02-30"], "does not exist"),
    (["--pain", "3", "--location", "knee"], "unknown location"),
    (["--pain", "3", "--interventions", "massage;magic"], "'magic'"),
    (["--pain", "3", "--red-flags", "dizzy"], "unknown red flags"),
    (["--pain", "3", "--stress", "12"], "stress"),
    (["--pain", "3", "--sleep-hours", "25"], "sleep hours"),
])
def test_invalid_entry_is_one_line_exit_1_and_the_file_is_untouched(kept, args, words):
    before = kept.read_bytes()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    r = add(kept, *(tomorrow if a == "<tomorrow>" else a for a in args))
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ")
    assert str(kept) in r.stderr and words in r.stderr
    assert kept.read_bytes() == before


def test_invalid_entry_creates_no_file(tmp_path):
    diary = tmp_path / "new.csv"
    assert add(diary, "--pain", "12").exit_code == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [None, b"when,how much\n2025-03-04,2\n", b"\xff\xfe\x00d"])
def test_unusable_file_is_one_line_exit_1(tmp_path, content):
    diary = tmp_path / "pain_diary.csv"
    if content is None:
        diary.mkdir()  # a folder where the file should be
    else:
        diary.write_bytes(content)
    r = add(diary, "--pain", "3")
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1 and str(diary) in r.stderr
    if content is not None:
        assert diary.read_bytes() == content


def test_red_flag_advice_goes_to_stderr(kept):
    r = add(kept, "--pain", "7", "--red-flags", "incontinence;night_pain")
    assert r.exit_code == 0, r.output
    flags = [ln for ln in r.stderr.splitlines() if ln.startswith("RED FLAG")]
    # the alias counts as bladder_bowel, an emergency, listed before the urgent sign
    assert [f.split(":")[0] for f in flags] == ["RED FLAG (emergency)", "RED FLAG (urgent)"]
    assert "bladder" in flags[0] and "night" in flags[1]
    assert "RED FLAG" not in r.stdout
    quiet = add(kept, "--pain", "7")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_flare_flag_adds_the_column_and_older_rows_stay(kept):
    before = kept.read_text().splitlines()
    r = add(kept, "--pain", "8", "--flare")
    assert r.exit_code == 0, r.output
    after = kept.read_text().splitlines()
    assert after[0] == before[0] + ",flare"
    assert after[1:3] == before[1:3]
    d = read_diary(kept)
    assert d.pain["flare"].tolist() == [False, False, True]


def test_failed_replace_leaves_the_original_and_no_temporary_file(kept, monkeypatch):
    before = kept.read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    r = add(kept, "--pain", "3")
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1 and "No space left on device" in r.stderr
    assert kept.read_bytes() == before
    assert sorted(p.name for p in kept.parent.iterdir()) == ["pain_diary.csv",
                                                             "pain_diary.csv.lock"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permissions do not bind the superuser")
def test_read_only_folder_leaves_the_original(kept):
    add(kept, "--pain", "1")  # creates the lock file while the folder is writable
    before = kept.read_bytes()
    kept.parent.chmod(0o555)
    try:
        r = add(kept, "--pain", "3")
    finally:
        kept.parent.chmod(0o755)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert kept.read_bytes() == before


@pytest.mark.slow
def test_twenty_concurrent_writers_lose_no_entry(tmp_path):
    diary = tmp_path / "pain_diary.csv"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "runback", "diary", "add", "--file", str(diary),
         "--pain", str(i % 11), "--date", "2025-03-05", "--notes", f"writer {i}, says hi"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(20)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 20, [e for _, e in outs]
    d = read_diary(diary)
    assert d.problems == []
    assert sorted(d.pain["notes"]) == sorted(f"writer {i}, says hi" for i in range(20))
    assert sorted(d.pain["pain"]) == sorted(float(i % 11) for i in range(20))
    assert diary.read_text().splitlines()[0] == CONTRACT_HEADER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pain_diary.csv",
                                                          "pain_diary.csv.lock"]
    # each writer counted the entries it could see after its own: the last one saw all 20
    counts = sorted(int(o.decode().rsplit("(", 1)[1].split()[0]) for o, _ in outs)
    assert counts[0] >= 1 and counts[-1] == 20


def test_show_lists_the_last_entries_oldest_first(kept):
    add(kept, "--pain", "1", "--date", "2025-03-07", "--timing", "morning")
    r = run("diary", "show", "--file", str(kept), "--last", "2")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ["date", "pain", "location", "timing", "notes"]
    assert lines[1].split()[0] == "2025-03-05" and lines[2].split()[0] == "2025-03-07"
    js = json.loads(run("diary", "show", "--file", str(kept), "--format", "json").stdout)
    assert [e["date"] for e in js] == ["2025-03-04", "2025-03-05", "2025-03-07"]
    assert js[0]["notes"] == "stiff, then fine" and js[2]["timing"] == "morning"


def test_show_reports_problems_and_missing_files(tmp_path, kept):
    with kept.open("a") as fh:
        fh.write("2025-03-08,eleven,lower,,\n")
    r = run("diary", "show", "--file", str(kept))
    assert r.exit_code == 0 and "line 4" in r.stderr and "not a number" in r.stderr
    missing = run("diary", "show", "--file", str(tmp_path / "none.csv"))
    assert missing.exit_code == 1 and "not found" in missing.stderr
