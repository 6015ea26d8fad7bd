"""Read GPX 1.0 and 1.1 tracks (Garmin Connect, Strava, Runkeeper, handheld GPS, converters).

Parsing
-------
The reader scans the text itself rather than handing it to gpxpy, the design card's first
choice, for safety, tolerance and speed: gpxpy parses the bytes with the standard-library
parser (the defusedxml check and the parse would be two different reads of the file), it
rejects a whole file for one ``<trkpt>`` without ``lat`` (an eTrex 30 writes those), its
extensions come back as raw namespaced elements, and it builds several Python objects per
point. gpxpy remains the reference the reader is tested against, on every real GPX file.

1. :func:`~runback.io._xml.xml_text` proves the file safe and well-formed (defusedxml on
   the prolog, expat over the whole file with no Python callback) and returns its text
   without comments.
2. Each ``<trkseg>`` body is cut out of the text and replaced by a placeholder; what is
   left (metadata, tracks, routes) is small and parsed into a tree
   (:func:`~runback.io._xml.parse_xml`, which refuses nesting deeper than
   :data:`~runback.io._xml.MAX_DEPTH`) for names, types, creator and times. Segments
   never become trees, so nesting inside them has nothing to exhaust.
3. One regular expression finds, in document order, the track point tags with their
   ``lat`` and ``lon``, the ``<extensions>`` tags and the value elements (``ele``,
   ``time``, ``speed`` and the extension fields, whatever their prefix); numpy turns the
   token stream into one column per field (:func:`scan_gpx`), with no object per point.

What one file becomes
---------------------
- All points of all tracks and segments, in time order of their segments (points keep file
  order inside a segment), form one activity; segments are pauses, so no distance is
  counted across a segment boundary. Where consecutive segments or tracks are more than
  :data:`PART_GAP_S` apart they become separate parts (activities).
- Times are UTC; a time without an offset is UTC, as the GPX schema defines. Points without
  a time are dropped with a warning; when fewer than half the points have one, the file is
  a route, not an activity. Times that go backwards keep file order, with a warning; a
  stretch starting more than :data:`~runback.io.base.MAX_STEP_BACK_S` back in time, inside
  a span already recorded, is left out.
- Elevation missing -> NaN; a file whose elevations are all exactly 0 has none (NaN).
  Positions outside the globe or at exactly (0, 0) are missing.
- ``distance_m`` is the cumulative great-circle (haversine) distance along the track.
  ``speed_m_s`` is the recorded speed (extension or GPX 1.0 ``<speed>``), never derived.
- Cadence in GPX (Garmin TrackPointExtension, Strava, Movescount) counts one foot for
  running, so for running activities ``cadence_spm = 2 * cad``; other sports keep the
  recorded value (revolutions per minute). A heart rate of 0 means no reading: NaN.
- Sport from ``<trk><type>`` through :func:`~runback.io.base.normalize_sport`, with
  Strava's numeric codes translated first (:data:`STRAVA_TYPE_CODES`); name and
  description from the track, else from the metadata; device from ``gpx/@creator``.

Extension fields are matched by local name, whatever the prefix or namespace
(:data:`EXTENSION_MAP`): Garmin TrackPointExtension v1/v2 ``hr``, ``cad``, ``atemp``,
``speed``; cluetrust gpxdata ``hr``, ``cadence``, ``temp``; ``power`` as Strava and
sportractive write it.

References
----------
.. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 159 (1984).
.. [2] GPX 1.1 schema, https://www.topografix.com/GPX/1/1/

Modules
-------
scan        :func:`scan_gpx`: segments cut out of the text, their points read into columns
shapes      the fast path of the scan: points of a few shapes, one pattern each
tokens      the general path of the scan: any point, as one token stream
activities  :func:`read_gpx`, :func:`read_gpx_columns`: points to parts, samples and
            distance (:func:`haversine_m`)
"""

from runback.io.gpx.activities import EARTH_RADIUS_M as EARTH_RADIUS_M
from runback.io.gpx.activities import (
    PART_GAP_S,
    STRAVA_TYPE_CODES,
    haversine_m,
    read_gpx,
    read_gpx_columns,
)
from runback.io.gpx.scan import GpxScan, scan_gpx
from runback.io.gpx.tokens import EXTENSION_MAP

__all__ = ["read_gpx", "read_gpx_columns", "scan_gpx", "GpxScan", "haversine_m", "EXTENSION_MAP",
           "STRAVA_TYPE_CODES", "PART_GAP_S"]
