"""A tier-1 compile calls the machine code a JIT'd callee already has (compiler.link_plan)
instead of compiling the callee into its own unit again, and the callee's code stays in memory
for as long as a unit that calls it does (NativeUnit.link, CompileQueue._collect).

Each case warms the callees first (so they have units of their own), then the caller, and
checks three things: the caller's unit really calls the callees' units (its `links`), every
call agrees with CPython exactly (values, exceptions and messages, output), and the callee's
code was not compiled again. The lifetime cases redefine a callee, or move it to tier 2,
while a caller's unit calls its old code, and check when each unit is freed.
"""

import gc
import sys
import textwrap

import pytest

from tierharness import (
    NEVER, assert_same_outcomes, define, engine, load, record_for, run_calls, stats, use_tier,
)

pytestmark = pytest.mark.timeout(300)


def units_of(name):
    rec = engine().find(name)
    assert rec is not None, name
    return rec.units


def linked_names(name):
    return sorted(u.typing.tree.name for u in units_of(name)[-1].links)


def run_linked(source, callees, caller, calls):
    """Warm `callees` (name -> args of one call) on tier 1, then run `calls` of `caller` on
    tier 1, on CPython and under tierjit; returns the namespace."""
    source = textwrap.dedent(source)
    use_tier(1)
    reference, ns = load(source, jitted=False), load(source, jitted=True)
    warm = [(name, args) for name, args in callees.items() for _ in range(3)]
    for name, args in warm:
        assert run_calls(reference, name, [args]) == run_calls(ns, name, [args])
    schedule = [calls[0]] * 2 + list(calls)
    assert_same_outcomes(schedule, run_calls(reference, caller, schedule), run_calls(ns, caller, schedule),
                         label="tier 1, linked:")
    assert linked_names(caller) == sorted(callees), "the caller compiled its callees again"
    assert units_of(caller)[-1].functions == [caller]
    summary = engine().explain(caller)["summary"]
    assert "callees called in their own units" in summary and all(name in summary for name in callees)
    return ns


def test_an_int_callee_is_called_where_it_runs(jit_engine):
    run_linked("""
        def square(x):
            return x * x

        def total(n, k):
            s = 0
            for i in range(n):
                s += square(i * k)
            return s
        """, {"square": (3,)}, "total",
        [(10, 1), (0, 1), (1000, 3), (5, 2**40), (3, 2**70), (4, -(2**100))])


def test_errors_raised_in_linked_code_are_cpythons(jit_engine):
    run_linked("""
        def inverse(x):
            return 1.0 / x

        def item(xs, i):
            return xs[i]

        def harmonic(xs):
            s = 0.0
            for i in range(len(xs) + 1):
                s += inverse(item(xs, i))
            return s
        """, {"inverse": (2.0,), "item": ([1.0], 0)}, "harmonic",
        [([1.0, 2.0],), ([],), ([1.0, 0.0, 4.0],), ([0.5, -0.25, 1e308],)])


def test_recursion_through_a_linked_callee(jit_engine):
    # the callee recurses in its own unit; past the C-stack budget it goes on interpreted, and
    # past the recursion limit it raises CPython's RecursionError
    run_linked("""
        def depth(n):
            if n == 0:
                return 0
            return 1 + depth(n - 1)

        def twice(n):
            return depth(n) + depth(n // 2)
        """, {"depth": (5,)}, "twice", [(10,), (0,), (900,), (sys.getrecursionlimit() + 100,)])


def test_a_callee_compiled_for_other_types_is_compiled_in(jit_engine):
    source = textwrap.dedent("""
        def half(x):
            return x / 2

        def use(n):
            return half(n) + half(n + 1)
        """)
    use_tier(1)
    ns = load(source, jitted=True)
    for _ in range(3):
        ns["half"](3.0)            # its unit takes a float; `use` passes ints
    for _ in range(3):
        assert ns["use"](7) == 7.5
    assert linked_names("use") == []
    assert units_of("use")[-1].functions == ["use", "half"]


LIFETIME = """
def square(x):
    return x * x

def total(n):
    s = 0
    for i in range(n):
        s += square(i)
    return s
"""


def _collect():
    gc.collect()
    engine().queue.collect()


def test_a_redefined_callee_keeps_its_code_while_a_caller_calls_it(jit_engine):
    use_tier(1)
    ns = load(LIFETIME, jitted=True)
    for _ in range(3):
        ns["square"](2)
    for _ in range(3):
        assert ns["total"](10) == 285
    old_square, caller = units_of("square")[-1], units_of("total")[-1]
    assert caller.links == [old_square]

    define(ns, "def square(x):\n    return x * x + 1\n", jitted=True)
    _collect()
    # retired with its function's old definition, but `total`'s code still calls it
    assert old_square.retired and not old_square.closed and old_square.linked_by == 1
    # `total` read the global `square` when compiled: its guard sends this call to tier 0,
    # which sees the new definition, as CPython would
    assert ns["total"](10) == 295
    _collect()
    assert caller.closed and old_square.closed and old_square.linked_by == 0


def test_a_callee_moving_to_tier_2_keeps_its_tier_1_code_for_its_callers(jit_engine):
    # tier 2 after 20 calls from Python: `total` makes 3, `square` 3 and then 30 more
    engine().configure(tier1_calls=1, tier2_calls=20, tier1_loops=NEVER, tier2_loops=NEVER,
                       background=False, osr=False)
    ns = load(LIFETIME, jitted=True)
    for _ in range(3):
        ns["square"](2)
    for _ in range(3):
        ns["total"](10)
    tier1_square, caller = units_of("square")[-1], units_of("total")[-1]
    assert caller.links == [tier1_square]

    for _ in range(30):
        assert ns["square"](3) == 9
    assert record_for("square", stats())["tier"] == 2
    _collect()
    assert tier1_square.retired and not tier1_square.closed
    assert ns["total"](2000) == sum(i * i for i in range(2000))      # still calls the tier-1 code

    engine().reset()
    _collect()
    assert caller.closed and tier1_square.closed
