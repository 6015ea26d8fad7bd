"""Small Apple Health, Fitbit, Garmin wellness and intervals.icu exports made in the tests.

The layouts follow the formats' public documentation and the real exports in public
projects: Apple's ``export.xml`` (HealthKit export version 8 and later: an internal DTD
without entities, ``<Record>``, ``<Workout>`` with ``<WorkoutStatistics>`` and
``<WorkoutRoute><FileReference>``), Fitbit's Google Takeout JSON (``exercise-N.json``,
``sleep-DATE.json``, ``resting_heart_rate-DATE.json``), Garmin's export JSON
(``*_sleepData.json``, ``UDSFile_*.json``, ``*_healthStatusData.json``).
"""

from __future__ import annotations

import json

APPLE_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 11 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
]>
<HealthData locale="en_US">
 <ExportDate value="2024-02-01 09:00:00 -0500"/>
 <Me HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
"""

WATCH = ("&lt;&lt;HKDevice: 0x283c0c1e0&gt;, name:Apple Watch, manufacturer:Apple Inc., "
         "model:Watch, hardware:Watch6,2, software:10.2&gt;")
PHONE = ("&lt;&lt;HKDevice: 0x283c0c000&gt;, name:iPhone, manufacturer:Apple Inc., "
         "model:iPhone, hardware:iPhone14,5, software:17.2&gt;")


def record(rtype: str, start: str, end: str | None = None, value="", *, unit: str = "",
           source: str = "Ana's Apple Watch", device: str = WATCH, children: str = "") -> str:
    """One ``<Record>`` line; ``rtype`` without the HK prefix is completed."""
    if not rtype.startswith("HK"):
        rtype = "HKQuantityTypeIdentifier" + rtype
    unit_attr = f' unit="{unit}"' if unit else ""
    value_attr = f' value="{value}"' if value != "" else ""
    body = f">{children}</Record>" if children else "/>"
    return (f' <Record type="{rtype}" sourceName="{source}" sourceVersion="10.2" '
            f'device="{device}"{unit_attr} creationDate="{end or start}" startDate="{start}" '
            f'endDate="{end or start}"{value_attr}{body}\n')


def sleep(start: str, end: str, value: str = "AsleepCore", **kw) -> str:
    return record("HKCategoryTypeIdentifierSleepAnalysis", start, end,
                  f"HKCategoryValueSleepAnalysis{value}", **kw)


def workout(kind: str, start: str, end: str, *, minutes: float, km: float | None = None,
            kcal: float | None = None, indoor: bool = False, hr: tuple | None = None,
            route: str | None = None, stats_distance: bool = False,
            ascent_cm: int | None = None) -> str:
    """One ``<Workout>`` as iOS 16+ writes it (totals as attributes or statistics)."""
    attrs = [f'workoutActivityType="HKWorkoutActivityType{kind}"',
             f'duration="{minutes}" durationUnit="min"']
    if km is not None and not stats_distance:
        attrs.append(f'totalDistance="{km}" totalDistanceUnit="km"')
    if kcal is not None:
        attrs.append(f'totalEnergyBurned="{kcal}" totalEnergyBurnedUnit="kcal"')
    attrs += ['sourceName="Ana\'s Apple Watch" sourceVersion="10.2"', f'device="{WATCH}"',
              f'creationDate="{end}" startDate="{start}" endDate="{end}"']
    inner = []
    if indoor:
        inner.append('  <MetadataEntry key="HKIndoorWorkout" value="1"/>')
    if ascent_cm is not None:
        inner.append(f'  <MetadataEntry key="HKElevationAscended" value="{ascent_cm} cm"/>')
    inner.append(f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{start}" '
                 'duration="5" durationUnit="min"/>')
    if hr is not None:
        inner.append(f'  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" '
                     f'startDate="{start}" endDate="{end}" average="{hr[0]}" '
                     f'minimum="90" maximum="{hr[1]}" unit="count/min"/>')
    if stats_distance and km is not None:
        inner.append(f'  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" '
                     f'startDate="{start}" endDate="{end}" sum="{km}" unit="km"/>')
    if route is not None:
        inner.append(f'  <WorkoutRoute sourceName="Ana\'s Apple Watch" sourceVersion="10.2" '
                     f'creationDate="{end}" startDate="{start}" endDate="{end}">\n'
                     f'   <FileReference path="/workout-routes/{route}"/>\n'
                     '  </WorkoutRoute>')
    return f' <Workout {" ".join(attrs)}>\n' + "\n".join(inner) + "\n </Workout>\n"


def apple_export(*parts: str) -> bytes:
    """A whole ``export.xml`` holding ``parts`` (records and workouts)."""
    return (APPLE_HEAD + "".join(parts) + "</HealthData>\n").encode()


def fitbit_exercise(log_id: int, name: str, start_local: str, *, minutes: float,
                    km: float | None = None, hr: int | None = None, calories: int = 300,
                    has_gps: bool = False, date_style: str = "iso") -> dict:
    """One entry of Fitbit's ``exercise-N.json`` (local wall-clock start, no zone)."""
    if date_style == "us":  # Google Takeout writes "11/05/19 22:40:41"
        ts = start_local
        start = f"{ts[5:7]}/{ts[8:10]}/{ts[2:4]} {ts[11:19]}"
    else:
        start = start_local
    entry = {"logId": log_id, "activityName": name, "activityTypeId": 90009,
             "calories": calories, "duration": int(minutes * 60_000),
             "activeDuration": int(minutes * 60_000), "logType": "tracker",
             "startTime": start, "originalStartTime": start, "hasGps": has_gps,
             "source": {"type": "tracker", "name": "Versa 2"},
             "heartRateZones": [{"name": "Out of Range", "min": 30, "max": 86, "minutes": 1},
                                {"name": "Peak", "min": 147, "max": 220, "minutes": 5}]}
    if km is not None:
        entry.update(distance=km, distanceUnit="Kilometer")
    if hr is not None:
        entry["averageHeartRate"] = hr
    return entry


def as_json(value) -> bytes:
    return json.dumps(value).encode()
