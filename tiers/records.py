"""What the engine knows about one function definition.

Owns `FunctionRecord` (identity, state, counters, compiles, deopts) and the tiny counter objects that
tier-0 code updates. Counters are slotted objects patched into the profiling code as constants, so
counting is one attribute increment: no call, no dict lookup (see docs/tiers.md for the measured cost).
"""
from __future__ import annotations

import itertools
import types
from dataclasses import dataclass, field
from typing import Any, Callable

NEVER = 1 << 62   # a threshold that is never reached


class CallCounter:
    """Patched into a function's tier-0 prologue: `P.calls += 1; if P.calls >= P.hot: P.on_hot(args)`."""
    __slots__ = ("calls", "hot", "on_hot")

    def __init__(self, hot: int, on_hot: Callable[..., None]) -> None:
        self.calls = 0
        self.hot = hot
        self.on_hot = on_hot


class LoopCounter:
    """Patched into a loop body: counts back-edges; at `osr_at` the loop asks to enter native code."""
    __slots__ = ("n", "osr_at", "enter", "line", "index")

    def __init__(self, line: int, index: int) -> None:
        self.n = 0
        self.osr_at = NEVER
        self.enter: Callable[..., Any] | None = None   # set by the engine for OSR-able loops
        self.line = line
        self.index = index


@dataclass
class Compile:
    tier: int
    ms: float
    code_bytes: int
    ir_bytes: int
    background: bool
    signature: str
    stages_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "ms": round(self.ms, 3), "code_bytes": self.code_bytes,
                "ir_bytes": self.ir_bytes, "background": self.background, "signature": self.signature,
                "stages_ms": {k: round(v, 3) for k, v in self.stages_ms.items()}}


_ids = itertools.count(1)


@dataclass(eq=False)
class FunctionRecord:
    func: types.FunctionType | None
    name: str
    qualname: str
    defined_in: str
    id: str = ""
    state: str = "profiling"
    tier: int = 0
    fallback_reason: str | None = None
    original_code: types.CodeType | None = None
    profile_code: types.CodeType | None = None
    counter: CallCounter | None = None
    loops: list[LoopCounter] = field(default_factory=list)
    native_calls: dict[int, int] = field(default_factory=lambda: {1: 0, 2: 0})
    compiles: list[Compile] = field(default_factory=list)
    osr: dict[tuple[int, int], int] = field(default_factory=dict)        # (line, tier) -> count
    deopts: dict[tuple[str, int], int] = field(default_factory=dict)     # (reason, line) -> count
    arg_types: list[tuple[str, ...]] = field(default_factory=list)
    units: list[Any] = field(default_factory=list)     # live native units (see native.py), newest last
    pending_tier2: bool = False
    tree: Any = None            # the function's AST (frontend input)
    sites: list[Any] = field(default_factory=list)   # loop sites (instrument.LoopSite), same order as loops
    osr_units: dict[tuple[int, tuple[str, ...]], Any] = field(default_factory=dict)  # (loop, types) -> unit
    explained_units: dict[int, Any] = field(default_factory=dict)   # newest unit per tier, for explain
    defined_at: float = 0.0     # engine time of registration (seconds)
    listed: bool = True         # shown in stats (False for functions re-armed by reset until used)
    source: str = ""
    interpreting: int = 0       # calls running on tier 0 because native recursion ran out of C stack
    generation: int = 0         # bumped on every invalidation so stale background compiles are dropped

    def __post_init__(self) -> None:
        if not self.id:
            self.id = f"{self.qualname}#{next(_ids)}"

    @property
    def bytecode_bytes(self) -> int:
        code = self.original_code
        return len(code.co_code) if code is not None else 0

    @property
    def code_bytes(self) -> int:
        units = list(self.units) + list(self.osr_units.values())
        return sum(u.code_bytes for u in units if not u.closed)

    def calls(self) -> dict[str, int]:
        tier0 = self.counter.calls if self.counter is not None else 0
        live = {1: self.native_calls[1], 2: self.native_calls[2]}
        for unit in self.units:
            if not unit.closed:
                live[unit.tier] += unit.calls()
        return {"0": tier0, "1": live[1], "2": live[2]}

    def note_types(self, signature: tuple[str, ...]) -> None:
        if signature not in self.arg_types:
            self.arg_types.append(signature)
