"""benchmarks/_results.py: each benchmark replaces its own section of RESULTS.md."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load():
    spec = importlib.util.spec_from_file_location("bench_results", BENCH / "_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


results = _load()

DOC = """# Benchmark results

intro

<!-- begin alpha -->
## alpha

old alpha
<!-- end alpha -->

<!-- begin beta -->
## beta

old beta
<!-- end beta -->
"""


def test_a_section_is_replaced_and_the_others_kept_byte_for_byte():
    new = "<!-- begin alpha -->\nNEW\n<!-- end alpha -->\n"
    out = results.replace_section(DOC, "alpha", new)
    assert "old alpha" not in out and "NEW" in out
    assert out.split("<!-- begin beta -->")[1] == DOC.split("<!-- begin beta -->")[1]
    assert out.startswith("# Benchmark results\n\nintro\n\n<!-- begin alpha -->\nNEW\n")
    assert out.count("<!-- begin alpha -->") == 1


def test_a_new_section_is_added_at_the_end():
    new = "<!-- begin gamma -->\nG\n<!-- end gamma -->\n"
    out = results.replace_section(DOC, "gamma", new)
    assert out == DOC + "\n" + new


@pytest.mark.parametrize("broken", [
    DOC.replace("<!-- end alpha -->", ""),
    DOC.replace("<!-- begin alpha -->", ""),
    DOC + "<!-- begin alpha -->\n",
    DOC.replace("<!-- begin alpha -->", "<!-- end alpha -->", 1).replace(
        "<!-- end alpha -->\n\n<!-- begin beta", "<!-- begin alpha -->\n\n<!-- begin beta"),
])
def test_broken_markers_are_an_error_not_a_guess(broken):
    with pytest.raises(ValueError, match="markers of section 'alpha' are broken"):
        results.replace_section(broken, "alpha", "x")


def test_paths_of_this_machine_are_written_relative_to_the_repository(tmp_path):
    repo = tmp_path / "runback"
    text = f"history: {tmp_path}/shared/realdata/x ({repo}/sample_data) {tmp_path}other"
    assert results.scrub(text, repo) == (
        f"history: ../shared/realdata/x (./sample_data) {tmp_path}other")


def test_record_prints_as_usual_and_saves_the_output(tmp_path, capsys, monkeypatch):
    path = tmp_path / "RESULTS.md"
    path.write_text(DOC)
    monkeypatch.delenv("RUNBACK_BENCH_RECORD", raising=False)
    monkeypatch.setattr(sys, "argv", ["benchmarks/alpha.py", "--quick"])
    with results.record("alpha", path=path):
        print("cold import:  1.70 s")
        print("baseline:    37.61 s")
    captured = capsys.readouterr()
    assert captured.out == "cold import:  1.70 s\nbaseline:    37.61 s\n"
    assert "RESULTS.md" in captured.err
    text = path.read_text()
    section = text.split("<!-- begin alpha -->")[1].split("<!-- end alpha -->")[0]
    assert "```text\ncold import:  1.70 s\nbaseline:    37.61 s\n```" in section
    assert "`python benchmarks/alpha.py --quick`" in section
    assert re.search(r"Last run \d{4}-\d\d-\d\d \d\d:\d\d UTC", section)
    assert re.search(r"\d+ cores", section)
    assert "old beta" in text and "old alpha" not in text
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]  # no temporary file left


def test_a_failed_run_leaves_the_file_unchanged(tmp_path, capsys, monkeypatch):
    path = tmp_path / "RESULTS.md"
    path.write_text(DOC)
    monkeypatch.delenv("RUNBACK_BENCH_RECORD", raising=False)
    with pytest.raises(SystemExit), results.record("alpha", path=path):
        print("half a result")
        raise SystemExit("no FIT history")
    assert path.read_text() == DOC
    assert "half a result" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]


def test_recording_can_be_turned_off(tmp_path, monkeypatch, capsys):
    path = tmp_path / "RESULTS.md"
    path.write_text(DOC)
    monkeypatch.setenv("RUNBACK_BENCH_RECORD", "0")
    with results.record("alpha", path=path):
        print("figures")
    assert path.read_text() == DOC
    assert capsys.readouterr().out == "figures\n"


def test_a_missing_file_is_made_with_its_header(tmp_path):
    path = tmp_path / "RESULTS.md"
    when = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    results.save("alpha", "x 1.0 s\n", command="python benchmarks/alpha.py", path=path,
                 when=when, host="2 cores")
    text = path.read_text()
    assert text.startswith(results.HEADER)
    assert "Last run 2026-01-02 03:04 UTC, `python benchmarks/alpha.py`, on 2 cores." in text


def test_every_recording_benchmark_has_its_section_in_results_md():
    recorded: dict[str, str] = {}  # section -> the script that writes it
    for script in sorted(BENCH.glob("*.py")):
        for name in re.findall(r'record\("(\w+)"\)', script.read_text()):
            recorded[name] = script.stem
    assert {"import_speed", "import_stages", "fit_decode", "report_speed"} <= set(recorded)
    # a section is named after its script, or after it and a suffix (calibration_cohorts)
    assert all(name == stem or name.startswith(stem + "_")
               for name, stem in recorded.items()), recorded
    text = (BENCH / "RESULTS.md").read_text(encoding="utf-8")
    for name in recorded:
        assert text.count(f"<!-- begin {name} -->") == 1, name
        assert text.count(f"<!-- end {name} -->") == 1, name
        assert text.index(f"<!-- begin {name} -->") < text.index(f"<!-- end {name} -->")
