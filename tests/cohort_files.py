"""Athletes as files for the cohort tests: folders with a hand-kept log and a diary, and
long activity and diary tables, all from simulated seasons (:mod:`runback.simulate`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from runback.simulate import simulate_season


def season(seed: int, days: int = 240, **kw) -> pd.DataFrame:
    """A simulated season from 2024-01-01; ``trigger="trail"`` plants a trail trigger."""
    return simulate_season(seed, days=days, start="2024-01-01", **kw)


def runs_of(daily: pd.DataFrame) -> pd.DataFrame:
    run = daily[daily["distance_m"] > 0]
    return pd.DataFrame({
        "day": pd.to_datetime(run["date"]),
        "distance_m": run["distance_m"].round(1),
        "moving_time_s": run["moving_time_s"].round(0),
        "elevation_gain_m": run["elevation_gain_m"].round(1),
        "surface": np.where(run["trail_m"] > 0, "trail",
                            np.where(run["treadmill_m"] > 0, "treadmill", "road")),
    })


def diary_of(daily: pd.DataFrame) -> pd.DataFrame:
    logged = daily[daily["pain"].notna()]
    return pd.DataFrame({"date": pd.to_datetime(logged["date"]).dt.strftime("%Y-%m-%d"),
                         "pain": logged["pain"].astype(int)})


def write_folder(folder: Path, daily: pd.DataFrame, *, diary: bool = True) -> Path:
    """An athlete folder: ``runs.csv`` (hand-kept log) and ``pain_diary.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    r = runs_of(daily)
    pd.DataFrame({
        "date": (r["day"] + pd.Timedelta(hours=7)).dt.strftime("%Y-%m-%d %H:%M"),
        "distance_m": r["distance_m"], "duration_s": r["moving_time_s"],
        "elevation_gain_m": r["elevation_gain_m"], "surface": r["surface"],
    }).to_csv(folder / "runs.csv", index=False)
    if diary:
        diary_of(daily).to_csv(folder / "pain_diary.csv", index=False)
    (folder / "runback.toml").write_text('[athlete]\ntimezone = "Europe/Berlin"\n')
    return folder


def long_tables(seasons: dict[str, pd.DataFrame], *, offset: bool = True
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long activity table and the long diary of several athletes.

    Starts carry a +01:00 offset (instants) when ``offset``, else they are wall-clock
    times with a ``timezone`` column.
    """
    acts, diaries = [], []
    for name, daily in seasons.items():
        r = runs_of(daily)
        start = r["day"] + pd.Timedelta(hours=7)
        acts.append(pd.DataFrame({
            "Athlete": name,
            "start_time": start.dt.strftime("%Y-%m-%dT%H:%M:%S") + ("+01:00" if offset else ""),
            "Distance (m)": r["distance_m"], "moving_time_s": r["moving_time_s"],
            "elevation_gain_m": r["elevation_gain_m"], "surface": r["surface"],
            **({} if offset else {"timezone": "Europe/Berlin"}),
        }))
        diaries.append(diary_of(daily).assign(athlete=name))
    return pd.concat(acts, ignore_index=True), pd.concat(diaries, ignore_index=True)
