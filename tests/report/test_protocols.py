"""The reports and the cohort's quality row read an athlete's ``TrainingLog`` through
protocols (``runback.log`` builds reports, so they do not import it): a real log offers every
member they name, with tables where they expect tables."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

from runback.cohort.outcome import _Log
from runback.report.shapes import AthleteLog


def _members(protocol: type) -> dict[str, str]:
    """Member name -> the annotation of what it gives (a property's or a method's return)."""
    out = {}
    for name, member in vars(protocol).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            out[name] = inspect.get_annotations(member.fget)["return"]
        elif inspect.isfunction(member):
            out[name] = "method"
    return out


@pytest.mark.parametrize("protocol", [AthleteLog, _Log], ids=["AthleteLog", "quality-row"])
def test_a_training_log_offers_what_the_protocols_read(protocol, sample_runner_log):
    members = _members(protocol)
    assert "flares" in members and "import_result" in members
    missing = [name for name in members if not hasattr(sample_runner_log, name)]
    assert missing == []
    not_tables = [name for name, kind in members.items() if kind == "pd.DataFrame"
                  and not isinstance(getattr(sample_runner_log, name), pd.DataFrame)]
    assert not_tables == []
    not_callable = [name for name, kind in members.items() if kind == "method"
                    and not callable(getattr(sample_runner_log, name))]
    assert not_callable == []


def test_the_member_listing_sees_properties_and_methods():
    members = _members(AthleteLog)
    assert members["daily"] == "pd.DataFrame"
    assert members["units"] == "str"
    assert members["factors"] == "method"
