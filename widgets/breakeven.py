"""Break-even arithmetic for `%%jit_race`: when has the JIT run paid back its warm-up?

Pure functions over per-call times in seconds (call 1 first), so the kernel, the view and the
tests agree on one definition.
"""
from __future__ import annotations

from itertools import accumulate
from typing import Sequence


def break_even(interpreted: Sequence[float], jit: Sequence[float]) -> int | None:
    """The first call number n (1-based) from which the JIT run's cumulative time stays at or below
    the interpreted run's, over the calls both series have; None if the JIT run is behind at the end.

    "Stays" matters: a fast first call followed by a slow compile is not yet break-even.
    """
    n = min(len(interpreted), len(jit))
    if n == 0:
        return None
    diffs = [j - i for i, j in zip(accumulate(interpreted[:n]), accumulate(jit[:n]))]
    if diffs[-1] > 0:
        return None
    call = n
    while call > 1 and diffs[call - 2] <= 0:
        call -= 1
    return call


def projected_break_even(interpreted: Sequence[float], jit: Sequence[float], tail: int = 10) -> float | None:
    """When the measured series end before break-even: the call number at which the JIT run would
    catch up if both kept their recent per-call times (mean of the last `tail` calls). None if the JIT
    run is not faster per call, or if it already broke even."""
    n = min(len(interpreted), len(jit))
    if n == 0 or break_even(interpreted, jit) is not None:
        return None
    k = min(tail, n)
    gain = sum(interpreted[n - k:n]) / k - sum(jit[n - k:n]) / k
    if gain <= 0:
        return None
    deficit = sum(jit[:n]) - sum(interpreted[:n])
    return n + deficit / gain
