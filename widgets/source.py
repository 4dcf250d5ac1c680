"""Where the views get their data: a zero-argument callable returning the stats document.

The default reads the process-wide engine; tests and recorded notebooks pass their own callable
(or a fixed document), so no view depends on the engine being importable.
"""
from __future__ import annotations

from typing import Callable, Mapping, Union

StatsSource = Callable[[], Mapping]


def default_source() -> StatsSource:
    """The running engine's `stats` method; imported here only, so the views stay engine-agnostic."""
    from tierjit.tiers import engine
    return engine().stats


def as_source(source: Union[StatsSource, Mapping, None]) -> StatsSource:
    """Accepts a callable, a recorded document (shown as a still snapshot) or None (the live engine)."""
    if source is None:
        return default_source()
    if callable(source):
        return source
    doc = dict(source)
    return lambda: doc
