"""Where the benchmarks find the real multi-year FIT history they measure."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The 691-file FIT history, inside the real-data folder.
HISTORY = Path("shaonianche__running-data-sync") / "FIT_OUT"


def default_folder() -> Path:
    """The real-data history folder, or exit with a message naming where it was looked for.

    The real-data folder is ``$RUNBACK_REALDATA``, else ``../shared/realdata`` beside the
    repository (as for the tests).
    """
    root = Path(os.environ.get("RUNBACK_REALDATA") or REPO.parent / "shared" / "realdata")
    folder = root / HISTORY
    if not folder.is_dir():
        sys.exit(f"no FIT history at {folder}; pass a folder or set RUNBACK_REALDATA")
    return folder
