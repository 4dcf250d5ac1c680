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
