"""Shared fixtures.

Real-world files are read from ``$RUNBACK_REALDATA`` or, when that is unset, from
``../shared/realdata`` beside the repository. They are never copied into the repository.
Tests that need them are skipped with a message naming where they were looked for.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check invariants, not speed: no per-example deadline, so a loaded CI
# machine cannot turn a slow example into a failure.
settings.register_profile("runback", deadline=None)
settings.load_profile("runback")

REPO = Path(__file__).resolve().parents[1]


def realdata_dir() -> Path | None:
    env = os.environ.get("RUNBACK_REALDATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "realdata")
    for c in candidates:
        if (c / "MANIFEST.tsv").is_file():
            return c
    return None


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of public real-world files; skips the test when it is absent."""
    path = realdata_dir()
    if path is None:
        where = os.environ.get("RUNBACK_REALDATA") or str(REPO.parent / "shared" / "realdata")
        pytest.skip(f"real-world data not found (looked in {where}; set RUNBACK_REALDATA)")
    return path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own cache folder so no test reads another's cache."""
    monkeypatch.setenv("RUNBACK_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
