"""Small activity files made in the tests, with answers known in advance."""

from __future__ import annotations

import gzip
import io
import math
import zipfile

import pandas as pd

DENVER = (39.7392, -104.9903)
LONDON = (51.5072, -0.1276)
SYDNEY = (-33.8688, 151.2093)


def track(start_utc: str, *, minutes: float = 30, step_s: int = 10, where=DENVER,
          speed_m_s: float = 3.0, hr: float | None = 140.0, climb_m: float = 0.0):
    """Points of a straight run heading north from ``where`` (UTC times)."""
    t0 = pd.Timestamp(start_utc, tz="UTC")
    n = int(minutes * 60 / step_s) + 1
    lat0, lon0 = where
    rows = []
    for i in range(n):
        d = speed_m_s * step_s * i
        rows.append({
            "time": t0 + pd.Timedelta(seconds=step_s * i),
            "lat": lat0 + d / 111_195.0,
            "lon": lon0,
            "ele": 1600.0 + climb_m * i / max(n - 1, 1),
            "hr": hr,
        })
    return rows


def gpx(points, *, sport: str = "running", name: str = "Run", times: bool = True) -> bytes:
    """A GPX 1.1 file with Garmin TrackPointExtension heart rate."""
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<gpx version="1.1" creator="runback tests" '
              'xmlns="http://www.topografix.com/GPX/1/1" '
              'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
              f"<trk><name>{name}</name><type>{sport}</type><trkseg>\n")
    for p in points:
        out.write(f'<trkpt lat="{p["lat"]:.7f}" lon="{p["lon"]:.7f}"><ele>{p["ele"]:.1f}</ele>')
        if times:
            out.write(f"<time>{p['time'].strftime('%Y-%m-%dT%H:%M:%SZ')}</time>")
        if p.get("hr") is not None and not math.isnan(p["hr"]):
            out.write("<extensions><gpxtpx:TrackPointExtension>"
                      f"<gpxtpx:hr>{int(p['hr'])}</gpxtpx:hr>"
                      "</gpxtpx:TrackPointExtension></extensions>")
        out.write("</trkpt>\n")
    out.write("</trkseg></trk></gpx>\n")
    return out.getvalue().encode()


def tcx_treadmill(start_utc: str, *, minutes: float = 30, step_s: int = 10,
                  speed_m_s: float = 2.8, hr: float = 135.0) -> bytes:
    """A TCX running activity without any position (a treadmill run)."""
    t0 = pd.Timestamp(start_utc, tz="UTC")
    n = int(minutes * 60 / step_s) + 1
    pts = []
    for i in range(n):
        t = (t0 + pd.Timedelta(seconds=step_s * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pts.append(f"<Trackpoint><Time>{t}</Time>"
                   f"<DistanceMeters>{speed_m_s * step_s * i:.1f}</DistanceMeters>"
                   f"<HeartRateBpm><Value>{int(hr)}</Value></HeartRateBpm></Trackpoint>")
    total = speed_m_s * step_s * (n - 1)
    start = t0.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        'TrainingCenterDatabase/v2"><Activities><Activity Sport="Running">'
        f"<Id>{start}</Id><Lap StartTime=\"{start}\">"
        f"<TotalTimeSeconds>{minutes * 60:.0f}</TotalTimeSeconds>"
        f"<DistanceMeters>{total:.1f}</DistanceMeters><Track>{''.join(pts)}</Track></Lap>"
        "</Activity></Activities></TrainingCenterDatabase>\n"
    ).encode()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()
