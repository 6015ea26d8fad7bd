"""The cohort on Dask: the same answer on a local cluster, on a real scheduler with two
workers started as separate processes, and when one of those workers is killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from runback.cohort import Cohort
from tests.cohort_files import season, write_folder

DASK = Path(sys.executable).with_name("dask")
N_ATHLETES = 10
START_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def squad(tmp_path_factory):
    root = tmp_path_factory.mktemp("squad")
    return [str(write_folder(root / f"athlete{i:02d}", season(40 + i, days=300,
                                                              trigger="trail")))
            for i in range(N_ATHLETES)]


def answer(paths, **run) -> str:
    """The JSON of ``runback cohort`` for ``paths``."""
    result = Cohort.from_paths(paths).run(**run)
    return json.dumps(result.to_dict(), sort_keys=True)


@pytest.fixture(scope="module")
def local_answer(squad):
    return answer(squad, workers=1)


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{proc.args} did not start")
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, ephemeral ports."""
    if not DASK.exists():
        pytest.skip(f"the dask command is not installed beside {sys.executable}")
    info = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(info)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait_for(info, procs[0])
        address = json.loads(info.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                 "--no-nanny", "--no-dashboard"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address, procs
    finally:
        for p in procs:  # test processes: nothing of theirs needs a clean shutdown
            if p.poll() is None:
                p.kill()
            p.wait()


def test_local_cluster_gives_the_local_answer(squad, local_answer):
    assert answer(squad, workers=2) == local_answer


def test_scheduler_and_two_workers_give_the_local_answer(squad, local_answer, cluster):
    address, _ = cluster
    assert answer(squad, scheduler=address) == local_answer


def test_a_worker_killed_mid_run_loses_nothing(squad, local_answer, cluster, monkeypatch):
    address, procs = cluster
    from distributed import Client

    killed: list[int] = []
    ready = threading.Event()

    def kill_a_busy_worker():
        with Client(address, timeout="30s") as watcher:
            pids = watcher.run(os.getpid)  # worker address -> its process id
            ready.set()
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                busy = [w for w, tasks in watcher.processing().items() if tasks]
                for w in busy:
                    pid = pids.get(w)
                    victim = next((p for p in procs[1:] if p.pid == pid), None)
                    if victim is not None:
                        os.kill(victim.pid, signal.SIGKILL)
                        killed.append(victim.pid)
                        return
                time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    monkeypatch.setenv("RUNBACK_SCHEDULER", address)
    killer.start()
    ready.wait(START_TIMEOUT_S)
    try:
        got = answer(squad)  # the scheduler comes from RUNBACK_SCHEDULER
    finally:
        killer.join()
    assert killed, "no worker was busy to be killed"
    assert sum(p.poll() is not None for p in procs[1:]) == 1
    assert got == local_answer
