"""Typed records of one benchmark run: a cell per (kernel, system), and the run itself.

These are what the table is printed from and what `--json` writes, so the two
can never disagree.
"""

from __future__ import annotations

import ast
import math
import statistics
from dataclasses import dataclass, field

SYSTEMS = ("cpython", "tierjit", "numba", "pypy", "c")
SYSTEM_TITLES = {"cpython": "CPython", "tierjit": "tierjit", "numba": "Numba",
                 "pypy": "PyPy", "c": "gcc -O3"}
FLOAT_RTOL = 1e-9


@dataclass
class Cell:
    """One system's measurement of one kernel."""
    system: str
    status: str = "ok"                    # "ok" | "skipped" | "error"
    times: list = field(default_factory=list)  # seconds per run (one run = `calls` calls)
    first: float | None = None            # the very first call, cold
    ttr: float | None = None              # time to result: import/compile + first run
    answers: list = field(default_factory=list)  # repr of each answer checked
    correct: bool | None = None           # None: no reference to check against
    tier: int | None = None               # tierjit: tier the entry reached (steady worker)
    state: str | None = None              # tierjit: the entry's record state
    note: str = ""
    detail: dict = field(default_factory=dict)  # import time, per-function tiers, compiles ...

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def min(self) -> float | None:
        return min(self.times) if self.times else None

    @property
    def max(self) -> float | None:
        return max(self.times) if self.times else None

    def to_json(self) -> dict:
        doc = {k: getattr(self, k) for k in ("system", "status", "times", "first", "ttr", "answers",
                                             "correct", "tier", "state", "note", "detail")}
        doc.update(median=self.median, min=self.min, max=self.max)
        return doc


@dataclass
class KernelResult:
    name: str
    arg: int | None
    calls: int
    reference: str | None                 # repr of the answer every system must give
    cells: dict = field(default_factory=dict)  # system -> Cell

    def to_json(self) -> dict:
        return {"name": self.name, "arg": self.arg, "calls": self.calls, "reference": self.reference,
                "cells": {s: c.to_json() for s, c in self.cells.items()}}


def answers_match(answer: str, reference: str, float_result: bool) -> bool:
    """Exact equality for ints and None; a relative tolerance for float kernels."""
    try:
        got, want = ast.literal_eval(answer), ast.literal_eval(reference)
    except (ValueError, SyntaxError):
        return False
    if float_result and isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return math.isclose(float(got), float(want), rel_tol=FLOAT_RTOL, abs_tol=1e-300)
    return type(got) is type(want) and got == want


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))
