"""The wellness chart: sleep bars, resting HR and HRV lines, flare-ups shaded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from runback import plots, schema
from runback.errors import SchemaError


@pytest.fixture
def wellness():
    days = pd.date_range("2024-03-01", periods=20, freq="D")
    sleep = np.linspace(6.0, 8.0, 20)
    sleep[3] = np.nan
    return schema.conform(pd.DataFrame({
        "date": days, "sleep_h": sleep, "resting_hr_bpm": np.arange(20) + 45.0,
        "hrv_ms": np.full(20, 60.0), "hrv_kind": "rmssd", "source": "garmin"}),
        "wellness", extra=False)


def _ax():
    return Figure().add_subplot()


def test_sleep_bars_and_recovery_lines(wellness):
    flares = pd.DataFrame({"onset": [pd.Timestamp("2024-03-10")],
                           "end": [pd.Timestamp("2024-03-12")]})
    ax = plots.plot_wellness(wellness, flares, ax=_ax())
    bars = [p for p in ax.patches if p.get_gid() == "sleep"]
    assert len(bars) == 19  # the day without sleep has no bar
    assert max(b.get_height() for b in bars) == pytest.approx(8.0)
    (twin,) = [a for a in ax.figure.axes if a is not ax]
    lines = {ln.get_gid(): ln for ln in twin.get_lines()}
    assert set(lines) == {"resting_hr", "hrv"}
    assert list(lines["resting_hr"].get_ydata()[:3]) == [45.0, 46.0, 47.0]
    assert "RMSSD" in lines["hrv"].get_label()
    assert any(p.get_gid() == "flare" for p in ax.patches)
    assert ax.get_legend() is not None


def test_only_sleep_from_the_diary(wellness):
    w = wellness.assign(resting_hr_bpm=np.nan, hrv_ms=np.nan, hrv_kind=pd.NA)
    ax = plots.plot_wellness(w, ax=_ax())
    (twin,) = [a for a in ax.figure.axes if a is not ax]
    assert twin.get_lines() == []
    assert any(p.get_gid() == "sleep" for p in ax.patches)


@pytest.mark.parametrize("frame", [schema.empty("wellness"),
                                   schema.conform(pd.DataFrame({"date": [pd.Timestamp(
                                       "2024-03-01")]}), "wellness", extra=False)])
def test_no_data(frame):
    ax = plots.plot_wellness(frame, ax=_ax())
    assert any(t.get_text().startswith("no data") for t in ax.texts)


def test_a_table_without_dates_is_refused():
    with pytest.raises(SchemaError, match="wellness table lacks"):
        plots.plot_wellness(pd.DataFrame({"sleep_h": [7.0]}), ax=_ax())
