"""Per-session and calendar metrics computed from the canonical tables.

:mod:`~runback.metrics.session` summarises each activity's record stream,
:mod:`~runback.metrics.terrain` measures grade, hills and uneven-terrain proxies, and
:mod:`~runback.metrics.intensity` turns heart rate into TRIMP, zone times and session load.
"""
