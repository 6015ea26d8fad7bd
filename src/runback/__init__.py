"""runback: relate a runner's training load to back pain.

Import watch exports (FIT, GPX, TCX, CSV logs, Strava and Garmin export archives) and a pain
diary; compute load, terrain and intensity on the runner's local days; find which factors
come before flare-ups. The notebook door is :class:`TrainingLog`; the command line is
``runback``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("runback")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

from runback.errors import (  # noqa: E402
    DiaryError,
    InsufficientDataError,
    NotAnActivityError,
    ReadError,
    RunbackError,
    SchemaError,
    UnsupportedFormatError,
)
from runback.importer import ImportResult, import_activities  # noqa: E402
from runback.log import TrainingLog  # noqa: E402

__all__ = [
    "__version__",
    "TrainingLog",
    "import_activities",
    "ImportResult",
    "RunbackError",
    "ReadError",
    "UnsupportedFormatError",
    "NotAnActivityError",
    "SchemaError",
    "DiaryError",
    "InsufficientDataError",
]
