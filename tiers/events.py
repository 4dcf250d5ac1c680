"""The engine's event stream: what happened to which function, when.

Owns the bounded event log read by the stats document, `%jit_stats` and the widgets.
Events are plain dicts of the stats-document shape so readers need no engine types.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

EVENT_KINDS = ("tier_up", "compile_start", "compile_end", "osr", "osr_exit", "deopt", "fallback", "evict")
MAX_EVENTS = 10_000


class EventLog:
    """A ring of the latest MAX_EVENTS events; `dropped` counts the older ones let go."""

    def __init__(self, maxlen: int = MAX_EVENTS) -> None:
        self.start = time.perf_counter()
        self._events: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._seq = 0          # sequence number of the next event
        self._lock = threading.Lock()

    @property
    def dropped(self) -> int:
        return self._seq - len(self._events)

    def now(self) -> float:
        return time.perf_counter() - self.start

    def emit(self, kind: str, function: str, tier: int, ms: float | None = None,
             reason: str | None = None, **extra: Any) -> None:
        assert kind in EVENT_KINDS, kind
        event = {"t": round(self.now(), 6), "kind": kind, "function": function, "tier": tier,
                 "ms": None if ms is None else round(ms, 4), "reason": reason, **extra}
        with self._lock:
            event["seq"] = self._seq
            self._events.append(event)
            self._seq += 1

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events)

    def since(self, seq: int) -> tuple[list[dict[str, Any]], int]:
        with self._lock:
            return [e for e in self._events if e["seq"] >= seq], self._seq

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._seq = 0
            self.start = time.perf_counter()
