"""Turns a stats document (DESIGN sections 5 and 8) into the typed rows the dashboard shows.

Reads only documented fields, tolerating missing optional ones, so a recorded document from
`%jit_stats --json` or `tierjit run --json` renders the same as a live engine.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping

from .timeline import Timeline, build_timeline

MIB = 1024 * 1024


@dataclass(frozen=True)
class FunctionRow:
    """One function as the dashboard shows it."""
    id: str
    name: str
    qualname: str
    defined_in: str
    tier: int
    state: str
    calls: tuple[int, int, int]
    compile_ms: float
    compiles: int
    bytecode_bytes: int
    code_bytes: int
    fallback_reason: str | None
    osr_count: int
    deopt_count: int
    timeline: Timeline

    @property
    def badge(self) -> str:
        """The badge text: tier first, then the state when it says more than the tier does."""
        return f"T{self.tier}" if self.state in ("compiled", "profiling") else f"T{self.tier} {self.state}"


@dataclass(frozen=True)
class DashboardModel:
    """Everything the dashboard draws for one snapshot of the stats document."""
    rows: tuple[FunctionRow, ...]
    window: tuple[float, float]
    total_compile_ms: float
    total_code_bytes: int
    total_bytecode_bytes: int
    limit_bytes: int
    enabled: bool
    events_dropped: int = 0


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _function_id(fn: Mapping) -> str:
    # Older documents (section 5 only) have no id; the name is the best key they offer.
    return str(fn.get("id") or fn.get("qualname") or fn.get("name"))


def document_now(doc: Mapping) -> float:
    """The snapshot's 'now' in engine seconds: the document's own clock if it has one, else its last event."""
    for key in ("now", "uptime"):
        if isinstance(doc.get(key), (int, float)):
            return float(doc[key])
    ts = [float(e.get("t") or 0.0) for e in doc.get("events") or ()]
    return max(ts, default=0.0)


def build_model(doc: Mapping) -> DashboardModel:
    """The dashboard's rows, shared time window and memory totals for one stats document."""
    events_by_fn: dict[str, list[Mapping]] = defaultdict(list)
    for e in doc.get("events") or ():
        events_by_fn[str(e.get("function"))].append(e)
    now = document_now(doc)
    starts = [float(e.get("t") or 0.0) for evs in events_by_fn.values() for e in evs]
    window_start = min(starts, default=0.0)
    rows = []
    for fn in doc.get("functions") or ():
        fid = _function_id(fn)
        evs = events_by_fn.get(fid, [])
        # A function's life starts at its definition when the engine reports it, else at its first event.
        start = fn.get("defined_at")
        if not isinstance(start, (int, float)):
            start = min((float(e.get("t") or 0.0) for e in evs), default=window_start)
        window_start = min(window_start, float(start))
        calls = fn.get("calls") or {}
        compiles = fn.get("compiles") or []
        memory = fn.get("memory") or {}
        rows.append(FunctionRow(
            id=fid,
            name=str(fn.get("name", fid)),
            qualname=str(fn.get("qualname", fn.get("name", fid))),
            defined_in=str(fn.get("defined_in", "")),
            tier=_int(fn.get("tier")),
            state=str(fn.get("state", "profiling")),
            calls=(_int(calls.get("0")), _int(calls.get("1")), _int(calls.get("2"))),
            compile_ms=round(sum(float(c.get("ms") or 0.0) for c in compiles), 3),
            compiles=len(compiles),
            bytecode_bytes=_int(memory.get("bytecode_bytes")),
            code_bytes=_int(memory.get("code_bytes")),
            fallback_reason=fn.get("fallback_reason"),
            osr_count=sum(_int(o.get("count"), 1) for o in fn.get("osr") or ()),
            deopt_count=sum(_int(d.get("count"), 1) for d in fn.get("deopts") or ()),
            timeline=build_timeline(evs, float(start), now, _int(fn.get("tier"))),
        ))
    totals = doc.get("totals") or {}
    config = doc.get("config") or {}
    return DashboardModel(
        rows=tuple(rows),
        window=(window_start, max(now, window_start)),
        total_compile_ms=float(totals.get("compile_ms", sum(r.compile_ms for r in rows))),
        total_code_bytes=_int(totals.get("code_bytes", sum(r.code_bytes for r in rows))),
        total_bytecode_bytes=sum(r.bytecode_bytes for r in rows),
        limit_bytes=int(float(config.get("code_cache_mb") or 0) * MIB),
        enabled=bool(config.get("enabled", True)),
        events_dropped=_int(doc.get("events_dropped")),
    )
