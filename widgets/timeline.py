"""Derives a function's life story (tier segments, compile spans, OSR/deopt markers) from engine events.

Pure data in, typed records out: no widgets here, so the dashboard, the text view and the
tests all read the same timeline. Event meanings follow DESIGN sections 5 and 8.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping

# Events that change which tier runs the function from that instant on. A deopt alone does not:
# it finishes one call in the interpreter, the compiled code stays installed.
_TIER_SETTERS = {"tier_up", "fallback", "evict"}
_MARKER_KINDS = {"osr", "osr_exit", "deopt", "fallback", "evict"}


@dataclass(frozen=True)
class Segment:
    """The function ran at `tier` from t0 to t1 (seconds since the engine started)."""
    t0: float
    t1: float
    tier: int


@dataclass(frozen=True)
class CompileSpan:
    """A compile of `tier` that ran from t0 to t1; `done` is False while it is still running."""
    t0: float
    t1: float
    tier: int
    ms: float | None
    done: bool


@dataclass(frozen=True)
class Marker:
    """A point event drawn on the timeline; `label` is the hover text."""
    t: float
    kind: str
    tier: int
    label: str


@dataclass(frozen=True)
class Timeline:
    segments: tuple[Segment, ...] = ()
    spans: tuple[CompileSpan, ...] = ()
    markers: tuple[Marker, ...] = ()

    def to_json(self) -> dict:
        """The plain-JSON shape the chart views receive."""
        return {k: [asdict(x) for x in v] for k, v in
                (("segments", self.segments), ("spans", self.spans), ("markers", self.markers))}


def marker_label(event: Mapping) -> str:
    """Hover text for a point event, naming the reason when the engine gave one."""
    kind, tier, reason = event.get("kind"), event.get("tier"), event.get("reason")
    text = {
        "osr": f"OSR: loop entered tier-{tier} code mid-call",
        "osr_exit": "OSR exit: loop went back to the interpreter",
        "deopt": "deopt: call finished in the interpreter",
        "fallback": "fallback: runs as plain CPython",
        "evict": "evicted: machine code freed",
    }.get(kind, str(kind))
    return f"{text} ({reason})" if reason else text


def build_timeline(events: Iterable[Mapping], start: float, now: float, final_tier: int | None = None) -> Timeline:
    """Turns one function's events (any order) into segments covering [start, now].

    `final_tier` is the tier the stats record reports; when none of the function's events are left
    (the engine keeps only the latest 10,000) the one segment shows it, so the bar matches the badge.
    """
    evs = sorted(events, key=lambda e: float(e.get("t") or 0.0))
    now = max(now, start, *(float(e.get("t") or 0.0) for e in evs)) if evs else max(now, start)
    segments: list[Segment] = []
    spans: list[CompileSpan] = []
    markers: list[Marker] = []
    open_compiles: dict[int, float] = {}
    tier, since = 0, start
    for e in evs:
        t, kind = float(e.get("t") or 0.0), e.get("kind")
        etier = int(e.get("tier") or 0)
        if kind == "compile_start":
            open_compiles[etier] = t
        elif kind == "compile_end":
            ms = e.get("ms")
            # Without a recorded start, the span is reconstructed backwards from its duration.
            t0 = open_compiles.pop(etier, t - (float(ms) / 1000.0 if ms else 0.0))
            spans.append(CompileSpan(max(t0, start), t, etier, float(ms) if ms is not None else None, True))
        if kind in _MARKER_KINDS:
            markers.append(Marker(t, str(kind), etier, marker_label(e)))
        if kind in _TIER_SETTERS:
            new_tier = etier if kind == "tier_up" else 0
            if new_tier != tier:
                if t > since:
                    segments.append(Segment(since, t, tier))
                tier, since = new_tier, max(since, t)
    for etier, t0 in sorted(open_compiles.items()):
        spans.append(CompileSpan(max(t0, start), now, etier, None, False))
    if final_tier is not None and final_tier != tier and not evs:
        tier = final_tier
    segments.append(Segment(since, now, tier))
    return Timeline(tuple(segments), tuple(spans), tuple(markers))
