"""tierjit: a tiered, adaptive JIT for Python on llvmlite, with a Jupyter kernel.

This folder is only the package face: the version, ``jit`` and ``stats`` re-exported
from the engine (``tierjit.tiers``), and the ``tierjit`` command (``tierjit.cli``).
"""
from __future__ import annotations

from importlib import metadata as _metadata
from typing import Any

try:
    __version__ = _metadata.version("tierjit")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["jit", "stats", "__version__"]


def __getattr__(name: str) -> Any:
    # Resolved on first use so that `import tierjit` (the CLI, the kernel's banner)
    # stays cheap and the engine is loaded only by code that actually uses it.
    if name in ("jit", "stats"):
        from tierjit import tiers

        value = getattr(tiers, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tierjit' has no attribute {name!r}")
