"""TrainingLog: the notebook door onto runback (the command line uses it too).

A convenience over the functions, never a second implementation::

    log = TrainingLog.from_paths(["watch_exports/"], diary="pain_diary.csv")
    log.activities      # one row per activity, with session metrics and load
    log.daily           # every local day: load, terrain, pain
    log.weekly          # local Monday weeks
    log.flares          # flare-up episodes
    log.wellness        # sleep, resting heart rate, HRV, stress per local day
    log.samples(ids)    # the raw record stream from the cache
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from runback import schema
from runback.importer import ImportResult, import_activities
from runback.io.diary import read_diary
from runback.metrics.intensity import session_load
from runback.metrics.load import daily_table, weekly_table
from runback.pain import daily_pain, find_flares, red_flags
from runback.profile import AthleteProfile, find_profile, load_profile, with_estimates

if TYPE_CHECKING:  # the analysis (scipy, statsmodels) loads when first used
    from runback.factors import FactorResult

__all__ = ["TrainingLog"]


class TrainingLog:
    """A runner's imported activities, pain diary and profile, with the analyses on top.

    Build it with :meth:`from_paths`. Tables are computed on first use and kept.

    Parameters
    ----------
    import_result : ImportResult
        What :func:`runback.import_activities` returned.
    pain : DataFrame, optional
        The ``pain`` table (from :func:`runback.io.diary.read_diary`).
    profile : AthleteProfile, optional
        Athlete profile; missing heart-rate anchors are estimated with a note.
    units : {"metric", "imperial"}, optional
        Display units (default: the profile's).
    notes : list of str, optional
        Notes for the user gathered while building (diary problems, profile source).
    """

    def __init__(self, import_result: ImportResult, *, pain: pd.DataFrame | None = None,
                 profile: AthleteProfile | None = None, units: str | None = None,
                 notes: list[str] | None = None):
        self.import_result = import_result
        self.pain = pain if pain is not None else schema.empty("pain")
        self.has_diary = pain is not None
        base = profile or AthleteProfile()
        self.profile = with_estimates(base, import_result.hr_hist)
        self.units = units or self.profile.units
        self.notes = list(notes or []) + list(self.profile.notes)
        #: The paths the activities were imported from (set by :meth:`from_paths`).
        self.paths: list[str] | None = None

    @classmethod
    def from_paths(cls, paths, *, diary=None, tz: str | None = None, strict: bool = False,
                   profile: AthleteProfile | str | os.PathLike | None = None,
                   units: str | None = None, progress=None, cache_dir=None,
                   workers: int | None = None) -> TrainingLog:
        """Import ``paths`` (files, folders, archives) and read ``diary``.

        The profile is ``profile`` when given (an object or a ``runback.toml`` path), else a
        ``runback.toml`` found in or next to the given folders, else defaults. ``tz``
        overrides the profile's time zone.
        """
        paths = [os.fspath(p) for p in paths]
        notes: list[str] = []
        if profile is None:
            found = find_profile(paths)
            if found is not None:
                profile = load_profile(found)
                notes.append(f"athlete profile read from {found}")
        elif not isinstance(profile, AthleteProfile):
            profile = load_profile(profile)
        zone, source = tz, "option"
        if zone is None and profile is not None and profile.timezone:
            zone, source = profile.timezone, "profile"
        result = import_activities(paths, tz=zone, tz_source=source, strict=strict,
                                   cache_dir=cache_dir, workers=workers, progress=progress,
                                   exclude=() if diary is None else (diary,))
        pain = None
        if diary is not None:
            d = read_diary(diary)
            pain = d.pain
            notes += [f"{os.fspath(diary)}: {p}" for p in d.problems]
        log = cls(result, pain=pain, profile=profile, units=units, notes=notes)
        log.paths = paths
        return log

    @cached_property
    def activities(self) -> pd.DataFrame:
        """The ``activities`` table with TRIMP, zone times, sRPE and session load."""
        acts = session_load(self.import_result.activities, self.import_result.hr_hist,
                            self.profile)
        return schema.conform(acts, "activities")

    @cached_property
    def load_notes(self) -> list[str]:
        """Which load scale the sessions are on, and how many were calibrated to it."""
        methods = self.activities["load_method"].dropna().astype(str)
        if methods.empty:
            return []
        scale = methods.str.split(" ").str[0].mode().iloc[0]
        words = {"trimp": "TRIMP (heart rate)", "srpe": "session RPE", "rtss": "rTSS-like",
                 "distance": "kilometres"}
        notes = [f"load is on one scale, {words.get(scale, scale)}, for all "
                 f"{len(methods)} sessions"]
        calibrated = methods[methods != scale]
        if len(calibrated):
            by = calibrated.str.extract(r"from (.+)\)")[0].value_counts()
            parts = ", ".join(f"{n} from {src}" for src, n in by.items())
            notes[0] += (f"; {len(calibrated)} without it were calibrated to it ({parts}): "
                         "your sources mix, so read load with care")
        return notes

    @property
    def hr_hist(self) -> pd.DataFrame:
        """Seconds at each heart rate per activity (rows activity_id, columns bpm)."""
        return self.import_result.hr_hist

    def samples(self, activity_ids=None) -> pd.DataFrame:
        """The raw record stream (``samples`` table) of the given activities, or all."""
        return self.import_result.samples(activity_ids)

    @cached_property
    def daily_pain(self) -> pd.DataFrame:
        """One row per logged diary day (days without an entry are absent, not 0)."""
        return daily_pain(self.pain)

    @cached_property
    def flares(self) -> pd.DataFrame:
        """Flare-up episodes (``flares`` table) with the profile's threshold k."""
        return find_flares(self.daily_pain, k=self.profile.flare_k)

    @cached_property
    def red_flags(self) -> pd.DataFrame:
        """Red-flag signs in the diary, emergencies first."""
        return red_flags(self.pain, self.flares, birth_year=self.profile.birth_year)

    @cached_property
    def wellness(self) -> pd.DataFrame:
        """Sleep, resting heart rate, HRV and stress per local day (``wellness`` table),
        from the wellness files under the imported paths and the diary
        (:func:`runback.wellness.read_wellness`); its warnings join :attr:`notes`."""
        from runback.wellness import read_wellness

        found = read_wellness(self.paths or (), pain=self.pain if self.has_diary else None,
                              cache_dir=self.import_result.store.root)
        self.notes += found.warnings
        return found.table

    @cached_property
    def daily(self) -> pd.DataFrame:
        """Every local day of the span: load, terrain, intensity, pain, and the wellness
        columns (``daily`` table; :func:`runback.wellness.join_daily`)."""
        from runback.wellness import join_daily

        daily = daily_table(self.activities,
                            pain_daily=self.daily_pain if self.has_diary else None,
                            flares=self.flares if self.has_diary else None)
        return join_daily(daily, self.wellness)

    @cached_property
    def weekly(self) -> pd.DataFrame:
        """Local Monday-to-Sunday weeks (``weekly`` table)."""
        return weekly_table(self.daily)

    def factors(self, *, window_days: int | None = None, n_permutations: int | None = None,
                seed: int = 0, factors=None, washout_days: int | str = "auto"
                ) -> FactorResult:
        """Which factors come before flare-ups: the case-crossover analysis.

        ``window_days`` defaults to the profile's hazard window (3 days); ``washout_days``
        to ``auto`` (the runner's own return to normal training after flare-ups, else 21
        days). The diary's red flags are attached to the result, to be shown before
        anything else. ``n_permutations`` and ``seed`` are accepted for compatibility and
        ignored: p-values are penalised likelihood-ratio tests.
        """
        from runback.factors import case_crossover

        window = window_days or self.profile.hazard_window_days
        result = case_crossover(self.daily, window_days=window, washout_days=washout_days,
                                factors=factors)
        result.red_flags = list(self.red_flags["message"]) if len(self.red_flags) else []
        if not self.has_diary:
            result.warnings.insert(0, "no pain diary given: no flare-ups to analyse")
        result.warnings[:0] = self.load_notes
        return result

    def sensitivity(self, *, n_permutations: int | None = None, seed: int = 0) -> pd.DataFrame:
        """Factor estimates as the flare threshold k (1.5, 2, 3), the hazard window (1, 3, 7
        days) and the washout (14, 21, 28 days) change, one at a time."""
        from runback.factors import sensitivity_grid

        def flares_at(pain_daily, k):
            return find_flares(pain_daily, k=k)

        return sensitivity_grid(self.daily, self.daily_pain, find_flares=flares_at,
                                k=self.profile.flare_k,
                                window_days=self.profile.hazard_window_days)

    # ------------------------------------------------------------------------------------
    # Charts and the report (thin wrappers over runback.plots and runback.report)
    # ------------------------------------------------------------------------------------

    def plot_weekly_mileage(self, ax=None):
        """Weekly distance, pain and flare-ups (:func:`runback.plots.plot_weekly_mileage`)."""
        from runback import plots

        return plots.plot_weekly_mileage(self.weekly, self.flares if self.has_diary else None,
                                         units=self.units, ax=ax)

    def plot_load(self, ax=None):
        """Acute and chronic load over the days (:func:`runback.plots.plot_load`)."""
        from runback import plots

        return plots.plot_load(self.daily, ax=ax)

    def plot_terrain(self, ax=None):
        """Weekly climb, descent and trail share (:func:`runback.plots.plot_terrain`)."""
        from runback import plots

        return plots.plot_terrain(self.weekly, units=self.units, ax=ax)

    def plot_intensity(self, ax=None):
        """Time in heart-rate zones (:func:`runback.plots.plot_intensity`)."""
        from runback import plots

        return plots.plot_intensity(self.activities, ax=ax)

    def plot_factors(self, ax=None, **factor_kwargs):
        """Forest plot of :meth:`factors` (keyword arguments go to :meth:`factors`)."""
        from runback import plots

        return plots.plot_factors(self.factors(**factor_kwargs), ax=ax)

    def plot_sensitivity(self, ax=None):
        """Heatmap of :meth:`sensitivity` (:func:`runback.plots.plot_sensitivity`)."""
        from runback import plots

        return plots.plot_sensitivity(self.sensitivity(), ax=ax)

    def plot_pain_calendar(self, ax=None):
        """Daily pain as a calendar (:func:`runback.plots.plot_pain_calendar`)."""
        from runback import plots

        return plots.plot_pain_calendar(self.daily, ax=ax)

    def report(self, path=None, *, show_routes: bool = False, title: str | None = None,
               n_permutations: int | None = None, roots=None) -> str:
        """The self-contained HTML report (:func:`runback.report.render_report`).

        Parameters
        ----------
        path : str or os.PathLike, optional
            When given, the HTML is also written there atomically (a temporary file in the
            same folder, then renamed).
        show_routes : bool
            Draw the shapes of the latest runs' routes (no map, no coordinates). Off by
            default: start points reveal where people live.
        title : str, optional
            Page title.
        n_permutations : int, optional
            Circular shifts for the factor analysis (default: all); computed once per call.
        roots : iterable of str, optional
            The paths the data came from, so file names show relative to them (default:
            the paths :meth:`from_paths` was given).

        Returns
        -------
        str
            The HTML.
        """
        from runback.report import render_report, write_atomic

        if roots is None:
            roots = self.paths
        html = render_report(self, show_routes=show_routes, title=title,
                             n_permutations=n_permutations, roots=roots)
        if path is not None:
            write_atomic(path, html)
        return html
