"""Running the athletes' tasks on Dask: in this process, on a ``LocalCluster``, or on an
existing scheduler.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Unpack

from runback.cohort.outcome import AthleteOutcome
from runback.cohort.source import AthleteSource
from runback.cohort.task import TaskOptions, athlete_task
from runback.errors import RunbackError

if TYPE_CHECKING:
    from distributed import Client


def run_tasks(items: Sequence[AthleteSource], *, scheduler: str | None = None,
              workers: int | None = None,
              **task_kwargs: Unpack[TaskOptions]) -> list[AthleteOutcome]:
    """Run :func:`athlete_task` for every athlete on Dask; outcomes in the given order.

    Parameters
    ----------
    items : sequence of AthleteSource
        The athletes.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``); default
        ``$RUNBACK_SCHEDULER``, else in this process for one athlete and a
        ``LocalCluster`` for several.
    workers : int, optional
        Worker processes of the ``LocalCluster`` (default: the machine's cores, at most
        one per athlete); 1 runs every task in this process.
    **task_kwargs
        Passed to :func:`athlete_task`.

    Raises
    ------
    RunbackError
        When the scheduler cannot be reached.
    """
    from dask.base import compute
    from dask.delayed import delayed

    scheduler = scheduler or os.environ.get("RUNBACK_SCHEDULER") or None
    items = list(items)
    if not items:
        return []
    keys = [f"runback-athlete-{i}-{zlib.crc32(s.name.encode()):08x}"
            for i, s in enumerate(items)]
    if scheduler is None:
        n = min(workers or os.cpu_count() or 1, len(items))
        if n <= 1:
            tasks = [delayed(athlete_task, pure=False)(s, **task_kwargs) for s in items]
            return list(compute(*tasks, scheduler="synchronous"))
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise RunbackError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from e
        with client:
            return _gather(client, items, keys, task_kwargs)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        return _gather(client, items, keys, task_kwargs)


def _gather(client: Client, items: list[AthleteSource], keys: list[str],
            task_kwargs: TaskOptions) -> list[AthleteOutcome]:
    """Each athlete's outcome as it completes, in the given order.

    A result is fetched and released on the worker as soon as it is done, so a worker
    never holds more than the athletes it is working on (memory per worker stays flat as
    the cohort grows). A task lost with its worker is re-run by the scheduler.
    """
    from distributed import as_completed

    futures = [client.submit(athlete_task, s, key=k, pure=False, **task_kwargs)
               for s, k in zip(items, keys, strict=True)]
    where = {f.key: i for i, f in enumerate(futures)}
    outcomes: list[AthleteOutcome | None] = [None] * len(futures)
    try:
        for future in as_completed(futures):
            outcomes[where[future.key]] = future.result()
            future.release()
    finally:
        client.cancel(futures)
    done = [o for o in outcomes if o is not None]
    if len(done) != len(items):
        raise RunbackError("the Dask cluster returned fewer athletes than were sent")
    return done
