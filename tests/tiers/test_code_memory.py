"""Compiled code is freed (DESIGN 4, "Memory"): redefining a function or resetting the
engine must give back the machine code of the old compiles, so a long notebook session
(or this test suite's 500 fuzz programs) runs in bounded memory.

Growth is measured as resident memory after a warm-up, with generous margins: a healthy
engine stays within a few MiB here; a leak of one compile per cycle shows up as hundreds.
"""

import gc
import resource

import pytest

from tierharness import define, load, use_tier

pytestmark = pytest.mark.timeout(300)

SOURCE = """\
def f(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
"""


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def grow_over(cycles: int, one_cycle) -> float:
    for _ in range(20):  # warm-up: LLVM, caches, first code pages
        one_cycle()
    gc.collect()
    before = rss_mib()
    for _ in range(cycles):
        one_cycle()
    gc.collect()
    return rss_mib() - before


@pytest.mark.parametrize("tier", [1, 2])
def test_redefinition_frees_old_code(jit_engine, tier):
    use_tier(tier)
    ns = load(SOURCE, jitted=True)

    def redefine_and_run():
        define(ns, SOURCE, jitted=True)
        for _ in range(4):
            assert ns["f"](10) == 285

    growth = grow_over(200, redefine_and_run)
    assert growth < 15, f"RSS grew {growth:.0f} MiB over 200 redefinitions at tier {tier}"


@pytest.mark.parametrize("tier", [1, 2])
def test_reset_frees_code(jit_engine, tier):
    def reset_and_run():
        jit_engine.reset()
        use_tier(tier)
        ns = load(SOURCE, jitted=True)
        for _ in range(4):
            assert ns["f"](10) == 285

    growth = grow_over(200, reset_and_run)
    assert growth < 15, f"RSS grew {growth:.0f} MiB over 200 resets at tier {tier}"


@pytest.mark.parametrize("tier", [1, 2])
def test_code_is_not_freed_while_a_call_runs_in_it(jit_engine, tier):
    """Freeing a unit whose code a call is running in frees nothing: the builtin is re-pointed
    at tier 0 first, then the unit's `active` count is read (NativeUnit.close). Here the unit is
    closed from inside its own call (the loop calls back into Python), as the compile thread did
    when it installed tier 2 while a tier-1 loop sat in a safepoint: the call must return its
    answer, and the code is freed once the call has left it."""
    from tierjit.tiers import compile_queue
    from tierharness import engine

    use_tier(tier)
    ns = load("""\
class Poke:
    action = None

    def __call__(self):
        if Poke.action is not None:
            Poke.action()


poke = Poke()


def spin(n):
    total = 0
    for i in range(n):
        total += i
        if i == 3:
            poke()
    return total
""", jitted=True)
    for _ in range(5):
        assert ns["spin"](10) == 45
    rec = [r for r in engine()._live.values() if r.name == "spin" and r.units][-1]
    unit = rec.units[-1]
    assert unit.tier == tier
    results = []

    def close_it():
        with compile_queue.LLVM_LOCK:
            results.append(unit.close())

    ns["Poke"].action = close_it
    assert ns["spin"](10) == 45        # returned through its own code: still there
    assert results == [False] and not unit.closed
    ns["Poke"].action = None
    assert ns["spin"](10) == 45        # the builtin now runs the call on tier 0
    with compile_queue.LLVM_LOCK:
        assert unit.close() and unit.closed
