"""runback: relate a runner's training load to back pain.

Import watch exports (FIT, GPX, TCX, CSV logs, Strava and Garmin export archives) and a pain
diary; compute load, terrain and intensity on the runner's local days; find which factors
come before flare-ups. The notebook door is :class:`TrainingLog`; the command line is
``runback``.
"""

from runback.errors import (
    DiaryError,
    InsufficientDataError,
    NotAnActivityError,
    ReadError,
    RunbackError,
    SchemaError,
    UnsupportedFormatError,
)

# The heavier parts load on first use, so ``runback --help`` starts fast.
_LAZY = {
    "TrainingLog": "runback.log",
    "import_activities": "runback.importer",
    "ImportResult": "runback.importer",
}


def __getattr__(name: str) -> object:
    """The names of :data:`_LAZY`, and ``__version__`` (importlib.metadata is slow to
    load), imported when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("runback")
        except PackageNotFoundError:  # running from a source tree without installation
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'runback' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


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
