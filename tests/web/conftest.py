"""Fixtures of the web diary tests: a diary file and a client of the application."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.helpers import HEADER, local_today, make_app


@pytest.fixture
def diary(tmp_path):
    """A diary with two older entries, dated when the test runs."""
    path = tmp_path / "pain_diary.csv"
    d = local_today()
    path.write_text(HEADER + f"{d - dt.timedelta(days=3)},2,lower,ache,morning,7,3,,,\n"
                    f"{d - dt.timedelta(days=2)},4,lower,spasm,during_run,,,stretching,,"
                    f"\"hill repeats\"\n", encoding="utf-8")
    return path


@pytest.fixture
def client(diary):
    return make_app(diary).test_client()
