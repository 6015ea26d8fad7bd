"""Small route drawings for reports made with ``--show-routes``: shape only, no map.

A route is drawn as an inline SVG polyline of the run's GPS track, projected to metres around
the track's own centre and scaled into a small box. The SVG carries only box coordinates: no
latitude or longitude, no map tiles, nothing fetched from the network. Routes are off by
default because start points reveal where people live.
"""

from __future__ import annotations

import html
import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from runback.report import fmt

__all__ = ["EARTH_RADIUS_M", "project", "route_svg", "route_cards", "route_runs"]

#: Mean Earth radius. [m]
EARTH_RADIUS_M = 6_371_008.8
#: Most points kept per drawing (evenly spaced along the track).
MAX_POINTS = 400


def project(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Local equirectangular projection around the track's centre.

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        WGS84 latitude and longitude. [deg]

    Returns
    -------
    x, y : ndarray
        East and north of the centre of the bounding box. [m]

    References
    ----------
    Snyder JP. Map projections: a working manual. USGS Prof Paper 1395, 1987, p. 90
    (equidistant cylindrical projection).
    """
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    lat0 = (np.nanmax(lat) + np.nanmin(lat)) / 2
    lon0 = (np.nanmax(lon) + np.nanmin(lon)) / 2
    x = (lon - lon0) * math.cos(lat0) * EARTH_RADIUS_M
    y = (lat - lat0) * EARTH_RADIUS_M
    return x, y


def route_svg(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike, *, size: int = 160, label: str = "",
              units: str = "metric") -> str:
    """One route as an inline ``<svg>`` of ``size`` x ``size`` pixels, north up.

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        The track. [deg]
    size : int
        Box width and height. [px]
    label : str
        Accessible title (escaped here).
    units : {"metric", "imperial"}
        For the extent shown in the corner.

    Returns
    -------
    str
        SVG markup, or an empty string when fewer than 2 fixes are known.
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    if len(lat) < 2:
        return ""
    if len(lat) > MAX_POINTS:
        keep = np.unique(np.linspace(0, len(lat) - 1, MAX_POINTS).round().astype(int))
        lat, lon = lat[keep], lon[keep]
    x, y = project(lat, lon)
    extent = max(float(np.ptp(x)), float(np.ptp(y)), 1.0)
    pad = 8
    scale = (size - 2 * pad) / extent
    px = pad + (x - x.min()) * scale + (size - 2 * pad - np.ptp(x) * scale) / 2
    py = size - pad - (y - y.min()) * scale - (size - 2 * pad - np.ptp(y) * scale) / 2
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
    title = f"<title>{html.escape(label)}</title>" if label else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="route" width="{size}" '
            f'height="{size}" viewBox="0 0 {size} {size}" role="img">{title}'
            f'<rect x="0.5" y="0.5" width="{size - 1}" height="{size - 1}" fill="#fafafa" '
            f'stroke="#ddd"/><polyline points="{points}" fill="none" stroke="#0072B2" '
            f'stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>'
            f'<circle cx="{px[0]:.1f}" cy="{py[0]:.1f}" r="3" fill="#009E73"/>'
            f'<text x="{size - 4}" y="{size - 4}" text-anchor="end" font-size="10" '
            f'fill="#666">{html.escape(fmt.distance(extent, units))} across</text></svg>')


def route_cards(activities: pd.DataFrame, samples: pd.DataFrame, *, last_n: int = 12,
                units: str = "metric") -> list[dict[str, str]]:
    """Drawings of the last ``last_n`` runs that have a GPS track, latest first.

    Parameters
    ----------
    activities : DataFrame
        The ``activities`` table (activity_id, is_run, has_gps, start_time, local_date,
        name, distance_m [m]).
    samples : DataFrame
        The ``samples`` of those activities (activity_id, latitude_deg, longitude_deg).
    last_n : int
        How many runs.
    units : {"metric", "imperial"}

    Returns
    -------
    list of dict
        ``date``, ``name``, ``distance``, ``svg`` (markup) per run with a drawable track.
    """
    cards: list[dict[str, str]] = []
    groups: dict[object, pd.DataFrame] = (
        dict(tuple(samples.groupby("activity_id", sort=False))) if len(samples) else {})
    for r in route_runs(activities, last_n).itertuples():
        s = groups.get(r.activity_id)
        if s is None:
            continue
        name = r.name if isinstance(r.name, str) else ""
        svg = route_svg(s["latitude_deg"], s["longitude_deg"], units=units,
                        label=f"{fmt.day(r.local_date)} {name}".strip())
        if svg:
            cards.append({"date": fmt.day(r.local_date), "name": name,
                          "distance": fmt.distance(r.distance_m, units), "svg": svg})
    return cards


def route_runs(activities: pd.DataFrame, last_n: int = 12) -> pd.DataFrame:
    """The last ``last_n`` runs with a GPS track, latest first."""
    if activities.empty:
        return activities
    runs = activities[activities["is_run"].fillna(False).astype(bool)
                      & activities["has_gps"].fillna(False).astype(bool)]
    return runs.sort_values("start_time", ascending=False).head(last_n)
