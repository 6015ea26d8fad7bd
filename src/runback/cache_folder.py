"""Where runback keeps its cache.

A module of its own and light: code that needs only the cache's place (the wellness table
keeps its extracts there) finds it without loading what :mod:`runback.store` needs.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir() -> Path:
    """``$RUNBACK_CACHE_DIR`` or the platform's user cache folder for runback."""
    env = os.environ.get("RUNBACK_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("runback"))
