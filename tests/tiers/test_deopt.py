"""One test per deopt path (DESIGN sections 4, 5 and 8).

Each test compiles a function, then breaks one of the assumptions the compiled code was
built on, and checks two things: every call still gives exactly CPython's results
(values, errors, output, arguments afterwards), and the stats document shows what
happened: a `deopts` entry, a `deopt` event, a drop in tier, or a recompile.

Int overflow is the exception on purpose: section 8 says it does *not* deoptimise; the
compiled code widens (int64 -> i128 -> Python int) and carries on, so that test asserts
the function stays native instead.
"""

import textwrap

import pytest

from tierharness import (
    assert_reached, assert_same_outcomes, calls_on, define, engine, events_for, load, record_for,
    run_calls, summary, use_tier,
)

pytestmark = pytest.mark.timeout(300)

TIERS = [1, 2]


def compare_phases(source: str, func: str, phases: list[list[tuple]], tier: int):
    """Run the phases of calls back to back on CPython and on tierjit; return the
    function's stats record after each phase."""
    source = textwrap.dedent(source)
    reference = load(source, jitted=False)
    use_tier(tier)
    ns = load(source, jitted=True)
    records = []
    for number, calls in enumerate(phases):
        want = run_calls(reference, func, calls)
        got = run_calls(ns, func, calls)
        assert_same_outcomes(calls, want, got, label=f"tier {tier}, phase {number}:")
        records.append(record_for(func))
    return records


def assert_deopt_recorded(before: dict, after: dict, allow_recompile: bool = False) -> None:
    """The stats show that compiled code stopped being used for this function."""
    deopt_events = [e for e in events_for(after) if e.get("kind") == "deopt"]
    evidence = {
        "deopts": bool(after["deopts"]),
        "deopt events": bool(deopt_events),
        "tier dropped": after["tier"] < before["tier"],
        "backed off": after.get("state") == "backed_off",
    }
    if allow_recompile:
        evidence["recompiled"] = len(after["compiles"]) > len(before["compiles"])
    assert any(evidence.values()), \
        f"no deopt recorded\n  before: {summary(before)}\n  after:  {summary(after)}"


WARM = 5  # calls that tier the function up before the assumption breaks


@pytest.mark.parametrize("tier", TIERS)
def test_argument_types_change_between_calls(jit_engine, tier):
    source = """
        def add(a, b):
            return a + b
        """
    records = compare_phases(source, "add", [
        [(1, 2)] * WARM,
        [(1.5, 2.25), (-0.0, -0.0)],
        [("ab", "cd")],
        [([1, 2], [3])],
        [(1, "x")],            # TypeError, CPython's message
        [(3, 4)],              # back to the profiled types
    ], tier)
    assert_reached(records[0], tier)
    assert_deopt_recorded(records[0], records[3])


@pytest.mark.parametrize("tier", TIERS)
def test_argument_type_change_inside_loop_function(jit_engine, tier):
    source = """
        def poly(x, n):
            s = x
            for i in range(n):
                s = s * x + i
            return s
        """
    records = compare_phases(source, "poly", [
        [(3, 5)] * WARM,
        [(0.5, 5), (3, 50)],
        [("ab", 0), ("ab", 1)],  # the loop body raises TypeError on a str
    ], tier)
    assert_reached(records[0], tier)
    assert_deopt_recorded(records[0], records[2])


@pytest.mark.parametrize("tier", TIERS)
def test_global_rebound(jit_engine, tier):
    source = textwrap.dedent("""
        FACTOR = 3

        def scale(xs):
            s = 0
            for x in xs:
                s += x * FACTOR
            return s
        """)
    reference = load(source, jitted=False)
    use_tier(tier)
    ns = load(source, jitted=True)
    schedule = [([1, 2, 3],)] * WARM
    assert_same_outcomes(schedule, run_calls(reference, "scale", schedule),
                         run_calls(ns, "scale", schedule))
    before = record_for("scale")
    assert_reached(before, tier)
    # Each rebinding is what a later cell does; the next call must see it.
    for cell in ["FACTOR = 4\n", "FACTOR = 2.5\n", "FACTOR = 2**80\n", "FACTOR = 'ab'\n",
                 "FACTOR = None\n", "FACTOR = 3\n"]:
        define(reference, cell, jitted=False)
        define(ns, cell, jitted=True)
        calls = [([1, 2, 3],), ([],)]
        assert_same_outcomes(calls, run_calls(reference, "scale", calls),
                             run_calls(ns, "scale", calls), label=f"after {cell.strip()}:")
    assert_deopt_recorded(before, record_for("scale"), allow_recompile=True)


@pytest.mark.parametrize("tier", TIERS)
def test_builtin_shadowed_by_a_global_and_restored(jit_engine, tier):
    """The entry checks every global and builtin the code read, from one table
    (entry._global_guards): a module global shadowing a builtin, a builtin rebound in the
    builtins module, and undoing each take effect on the next call."""
    import builtins

    source = textwrap.dedent("""
        def count(n):
            s = 0
            for i in range(n):
                s += abs(i - 3) + len([i])
            return s
        """)
    reference = load(source, jitted=False)
    use_tier(tier)
    ns = load(source, jitted=True)
    schedule = [(6,)] * WARM
    assert_same_outcomes(schedule, run_calls(reference, "count", schedule), run_calls(ns, "count", schedule))
    before = record_for("count")
    assert_reached(before, tier)
    calls = [(6,), (0,)]
    for cell in ["def abs(x):\n    return 100\n", "range = lambda n: [7, 8]\n", "del abs\n", "del range\n"]:
        define(reference, cell, jitted=False)
        define(ns, cell, jitted=True)
        assert_same_outcomes(calls, run_calls(reference, "count", calls), run_calls(ns, "count", calls),
                             label=f"after {cell.strip()!r}:")
    saved = builtins.len
    try:
        builtins.len = lambda xs: 1000       # rebinds it for both: one process, one builtins module
        want, got = run_calls(reference, "count", calls), run_calls(ns, "count", calls)
    finally:
        builtins.len = saved
    assert_same_outcomes(calls, want, got, label="with builtins.len rebound:")
    assert_same_outcomes(calls, run_calls(reference, "count", calls), run_calls(ns, "count", calls),
                         label="with builtins.len restored:")
    reasons = [e.get("reason", "") for e in events_for(record_for("count")) if e.get("kind") == "deopt"]
    assert any("now shadows a builtin" in r for r in reasons), reasons
    assert any("'len' was rebound" in r for r in reasons), reasons
    assert_deopt_recorded(before, record_for("count"), allow_recompile=True)


@pytest.mark.parametrize("tier", TIERS)
def test_called_function_redefined(jit_engine, tier):
    source = textwrap.dedent("""
        def weight(i):
            return i + 1

        def total(n):
            s = 0
            for i in range(n):
                s += weight(i)
            return s
        """)
    reference = load(source, jitted=False)
    use_tier(tier)
    ns = load(source, jitted=True)
    schedule = [(10,)] * WARM
    assert_same_outcomes(schedule, run_calls(reference, "total", schedule),
                         run_calls(ns, "total", schedule))
    before = record_for("total")
    assert_reached(before, tier)
    for cell in ["def weight(i):\n    return i * i\n",
                 "def weight(i):\n    return i / 4\n",
                 "def weight(i):\n    print('w', i)\n    return -i\n",
                 "def weight(i):\n    return 10 // (i - 3)\n"]:
        define(reference, cell, jitted=False)
        define(ns, cell, jitted=True)
        calls = [(10,), (0,), (3,)]
        assert_same_outcomes(calls, run_calls(reference, "total", calls),
                             run_calls(ns, "total", calls), label=f"after {cell!r}:")
    assert_deopt_recorded(before, record_for("total"), allow_recompile=True)


@pytest.mark.parametrize("tier", TIERS)
def test_int_overflow_mid_loop_with_print(jit_engine, tier):
    # 3**40 passes 2**63 at i == 39: each line must be printed once, in order, with exact
    # values, and (DESIGN 8) the function must carry on natively instead of deoptimising.
    source = """
        def powers(n):
            x = 1
            for i in range(n):
                x = x * 3
                print(i, x)
            return x
        """
    records = compare_phases(source, "powers", [
        [(5,)] * WARM,
        [(60,)],
        [(100,), (2,)],
    ], tier)
    assert_reached(records[0], tier)
    after = records[-1]
    assert after["tier"] == tier, summary(after)
    assert calls_on(after, tier) >= calls_on(records[0], tier) + 3, \
        f"overflowing calls did not stay on tier {tier}: {summary(after)}"


@pytest.mark.parametrize("tier", TIERS)
def test_range_bound_parameter_past_the_counter_runs_that_call_on_tier_0(jit_engine, tier):
    # `n`, a range bound the body never rebinds, is checked once at the start of the call
    # (FunctionGen._check_range_bounds). Past the counter, nothing has happened yet: the whole
    # call runs in the interpreter (the line before the loop is printed once) and, as with an
    # overflow, the compiled code stays for the next call: no deopt, no recompile.
    source = """
        def below(n, k):
            print("start", k)
            total = 0
            for i in range(n):
                total += i * k
                if i >= k:
                    break
            return total, i
        """
    records = compare_phases(source, "below", [
        [(10, 4)] * WARM,
        [(2**70, 3), (2**200, 2), (-(2**70), 1), (2**63, 2)],    # the third: CPython's UnboundLocalError
        [(12, 5)] * 3,
    ], tier)
    assert_reached(records[0], tier)
    after = records[-1]
    assert after["tier"] == tier and not after["deopts"], summary(after)
    assert len(after["compiles"]) == len(records[0]["compiles"]), f"recompiled: {summary(after)}"
    assert calls_on(after, tier) >= calls_on(records[0], tier) + 7, summary(after)
    from tierjit.tiers.compiler import Tier0Fallback
    from tierharness import engine
    unit = [r for r in engine()._live.values() if r.name == "below" and r.units][-1].units[-1]
    assert any(isinstance(obj, Tier0Fallback) and obj.packed for obj in unit.keepalive), \
        "the call was not checked at its start"


@pytest.mark.parametrize("tier", TIERS)
def test_list_elements_differ_from_profile(jit_engine, tier):
    # Profiled with ints; then floats, a big int, a mix switching type mid-loop (the
    # mutations already done and the lines already printed must not repeat), a str.
    source = """
        def bump(xs, k):
            for i in range(len(xs)):
                xs[i] = xs[i] + k
                print(i, xs[i])
            s = 0
            for x in xs:
                s += x
            return s
        """
    records = compare_phases(source, "bump", [
        [([1, 2, 3], 1)] * WARM,
        [([0.5, 1.5], 1)],
        [([1, 2**70, 3], 1)],
        [([1, 2, 2.5, 4], 1)],
        [([1, 2, "a", 4], 1)],
        [([1, 2, 3], 1)],
    ], tier)
    assert_reached(records[0], tier)
    assert_deopt_recorded(records[0], records[4])


@pytest.mark.parametrize("tier", TIERS)
def test_none_where_int_was_seen(jit_engine, tier):
    source = """
        def inc(x):
            if x is None:
                return -1
            return x + 1

        def plus(x):
            return x + 1
        """
    records = compare_phases(source, "inc", [
        [(1,)] * WARM,
        [(None,), (41,), (None,)],
    ], tier)
    assert_reached(records[0], tier)
    assert_deopt_recorded(records[0], records[1], allow_recompile=True)

    records = compare_phases(source, "plus", [
        [(1,)] * WARM,
        [(None,), (2,)],   # TypeError: unsupported operand type(s) for +: 'NoneType' ...
    ], tier)
    assert_reached(records[0], tier)
    assert_deopt_recorded(records[0], records[1])


@pytest.mark.parametrize("tier", TIERS)
def test_repeated_deopts_back_off_and_stay_correct(jit_engine, tier):
    source = """
        def twice(x):
            return x + x
        """
    flip = [(3,), ("s",)] * 40
    records = compare_phases(source, "twice", [[(3,)] * WARM, flip, [(5,)]], tier)
    assert_reached(records[0], tier)
    after = records[-1]
    assert_deopt_recorded(records[0], after)
    # Backing off means the 40 guard failures did not each buy a recompile.
    assert len(after["compiles"]) <= 10, f"no back-off: {summary(after)}"


ONE_OF_EACH = """
    def mix(n, x, flag, nothing, xs, anything):
        total = 0
        for i in range(n):
            total += xs[i % len(xs)]
        if flag and nothing is None:
            return total * x
        return anything
"""


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("position, other, says", [
    (0, 2.0, "argument 'n' is no longer int"),
    (1, 3, "argument 'x' is no longer float"),
    (2, 1, "argument 'flag' is no longer bool"),
    (3, 0, "argument 'nothing' is no longer None"),
    (4, (1, 2), "argument 'xs' is no longer list[int]"),
    (4, [1, 2.5], "argument 'xs' is no longer a list[int]"),
])
def test_each_argument_guard_hands_the_call_over_naming_its_argument(jit_engine, tier, position, other, says):
    # tier 1's entry reads its guards from a table in the shared runtime (entry.build_table_entry),
    # tier 2's are written out (entry.build_entry): each guard must fail for its own argument
    # alone, with that argument's reason, and the call must give CPython's answer
    usual = (5, 1.5, True, None, [1, 2, 3], "obj")
    changed = list(usual)
    changed[position] = other
    records = compare_phases(ONE_OF_EACH, "mix", [[usual] * WARM, [tuple(changed), usual]], tier)
    assert_reached(records[0], tier)
    reasons = [e.get("reason", "") for e in events_for(records[1]) if e.get("kind") == "deopt"]
    assert reasons == [says], reasons
    if tier == 1:
        assert "@tj_rt_enter" in engine().explain("mix")["tier1_ir"]
