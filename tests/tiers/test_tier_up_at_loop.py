"""Tier 1 -> tier 2 at a loop's back-edge: a loop that runs on inside one call of tier-1 code
hands the rest of the call (its live locals, the next index of a range) to tier-2 code.

Each case is called on CPython and under tierjit with the hand-over made early (after 2,560
iterations in one call: TIER_UP_FACTOR x tier2_loops) and must agree exactly: value, exception and
message, printed output, arguments afterwards. Each also asserts the hand-over happened: an OSR
entry at tier 2 on the loop's line and the continuation's tier-2 compile. (The same loop count also asks for the whole
function at tier 2, for its next call; that is the other path and not what is tested here.)
"""
import re
import textwrap

import pytest

from tierharness import assert_same_outcomes, load, record_for, run_calls

pytestmark = pytest.mark.timeout(300)

# tier 1 on the first call, never tier 2 by calls, no interpreter OSR: only the back-edge path
SETTINGS = dict(tier1_calls=1, tier2_calls=10**9, tier1_loops=10**9, tier2_loops=256,
                background=False, osr=True)


def case(case_id, source, func, warm, calls, loop_line):
    return pytest.param(textwrap.dedent(source), func, warm, calls, loop_line, id=case_id)


CASES = [
    case("range-live-values-of-every-type", """
        def f(n, xs):
            total = 0
            acc = 0.5
            flag = False
            name = "a"
            for i in range(n):
                total += i * 3
                acc = acc * 0.999 + 1
                if i % 1000 == 0:
                    xs.append(i)
                    flag = not flag
            return total, acc, flag, name, i, len(xs)
        """, "f", (3, [1]), [(20_000, [5, 6]), (50_000, [])], loop_line=7),
    case("negative-step-break-and-else", """
        def g(n, stop_at):
            found = -1
            for k in range(n, -n, -3):
                if k == stop_at:
                    found = k
                    break
            else:
                found = 12345
            return found * 2
        """, "g", (5, 0), [(30_000, -20_000), (30_000, 1), (30_001, -29_999)], loop_line=4),
    case("while-loop-prints-each-line-once", """
        def h(n):
            s = 0
            k = 0
            while k < n:
                s += k
                if k % 5000 == 0:
                    print("at", k, s)
                k += 1
            return s
        """, "h", (3,), [(40_000,)], loop_line=5),
    case("ints-grow-past-2**63-after-the-hand-over", """
        def cubes(n):
            t = 0
            for i in range(n):
                t += i * i * i
            return t
        """, "cubes", (3,), [(300_000,), (-5,)], loop_line=4),
    case("ints-already-past-2**63-at-the-hand-over", """
        def big(n, start):
            t = start
            neg = -start
            for i in range(n):
                t += i
                neg -= 1
            return t, neg, i
        """, "big", (3, 2**70), [(30_000, 2**70), (30_000, -(2**65)), (30_000, 7)], loop_line=5),
    case("an-error-raised-in-tier-2-code", """
        def boom(n, at):
            s = 0
            for i in range(n):
                s += 10 // (i - at)
            return s
        """, "boom", (3, 100), [(40_000, 30_000), (40_000, 50_000)], loop_line=4),
    case("loop-inside-an-if-then-more-code", """
        def nested(n):
            out = 0
            if n > 0:
                for i in range(1, n):
                    out += i % 7
                out *= 3
            else:
                out = -1
            return out + n
        """, "nested", (4,), [(25_000,), (-3,)], loop_line=5),
    case("a-local-maybe-unbound-at-the-loop", """
        def maybe(n):
            if n % 2:
                pre = n
            s = 0
            for i in range(n):
                s += i
            return s + pre
        """, "maybe", (3,), [(30_001,), (30_000,)], loop_line=6),
    case("lists-and-objects-go-as-borrowed-words", """
        def objs(n, xs):
            name = "a"
            ys = [0.5]
            total = 0
            for i in range(n):
                total += xs[i % len(xs)]
                if i % 1000 == 0:
                    ys.append(total * 0.5)
            return total, name, len(ys), ys[-1], xs
        """, "objs", (3, [1, 2]), [(20_000, [5, 6, 7]), (30_000, [2**62, 2**62])], loop_line=6),
    case("float-accumulator-and-nan", """
        def fl(n, x):
            s = 0.0
            for i in range(n):
                s += x * i - i
            return s
        """, "fl", (3, 1.0), [(20_000, 0.5), (20_000, float("nan")), (20_000, -0.0)],
         loop_line=4),
]


@pytest.mark.parametrize("source, func, warm, calls, loop_line", CASES)
def test_tier_up_at_a_back_edge(jit_engine, source, func, warm, calls, loop_line):
    schedule = [warm] + calls
    want = run_calls(load(source, jitted=False), func, schedule)
    jit_engine.configure(**SETTINGS)
    got = run_calls(load(source, jitted=True), func, schedule)
    assert_same_outcomes(schedule, want, got, label="tier 1 -> 2 at a back-edge:")
    record = record_for(func)
    assert {"line": loop_line, "tier": 2} in [{k: o[k] for k in ("line", "tier")} for o in record["osr"]], \
        f"no tier-2 OSR entry at line {loop_line}: {record['osr']}"
    assert any(c["tier"] == 2 and c["signature"].startswith(f"osr@{loop_line}") for c in record["compiles"])


WIDE_AND_NARROW = textwrap.dedent("""
    def narrow(n):
        t = 0
        for i in range(n):
            t += i
        return t

    def wide(n, x):
        a, b, c, d, e = 1, 2, 3, 4, 5
        f = x * 2.0
        for i in range(n):
            a = (a + i * b) % 1000003
            f = f * 0.5 + e
        return a + b + c + d + e, f
""")


def test_hand_over_words_as_arguments_or_in_an_array(jit_engine):
    """A tier-up hand-over passes its words to the runtime as arguments, along with the loop's
    safepoint in one call (`narrow`: its local, the range's state; FunctionGen._tier_up_in_safepoint)
    or, past MAX_HAND_OVER_ARGS, in an array after the safepoint's own call (`wide`: seven locals,
    an int being two words; FunctionGen._hand_over_words): CPython's answers either way."""
    from tierjit.tiers import runtime
    schedule = {"narrow": [(3,), (30_000,)], "wide": [(3, 1.0), (30_000, 0.25)]}
    reference = load(WIDE_AND_NARROW, jitted=False)
    jit_engine.configure(**SETTINGS)
    ns = load(WIDE_AND_NARROW, jitted=True)
    for func, calls in schedule.items():
        assert_same_outcomes(calls, run_calls(reference, func, calls), run_calls(ns, func, calls),
                             label="tier 1 -> 2 at a back-edge:")
        assert any(o["tier"] == 2 for o in record_for(func)["osr"]), record_for(func)["osr"]
    called = {func: set(re.findall(r"@tj_rt_(safepoint_up\d+|safepoint|hand_over_words)\(",
                                   jit_engine.explain(func)["tier1_ir"])) for func in schedule}
    # t (an int: two words), n (known to be native: one), the range's next index, stop and step
    assert called["narrow"] == {f"{runtime.SAFEPOINT_UP}{runtime.padded(6)}"}, called
    assert called["wide"] == {"safepoint", "hand_over_words"}, called


def test_a_short_remainder_stays_on_tier_1(jit_engine):
    """A range loop near its end is not worth a compile: tier 1 finishes it."""
    jit_engine.configure(**SETTINGS)
    ns = load("def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n", jitted=True)
    assert ns["f"](3) == 3
    assert ns["f"](3000) == sum(range(3000))     # offered after 2,048 (two chunks), 952 left < 2,560
    record = record_for("f")
    assert record["osr"] == []
    assert not any(c["signature"].startswith("osr@") for c in record["compiles"])


def test_one_hand_over_per_call(jit_engine):
    """The offer is made once per loop per call, not at every later safepoint."""
    jit_engine.configure(**SETTINGS)
    ns = load("def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n", jitted=True)
    assert ns["f"](3) == 3
    assert ns["f"](1_000_000) == sum(range(1_000_000))
    record = record_for("f")
    assert [o["count"] for o in record["osr"] if o["tier"] == 2] == [1]
    assert len([c for c in record["compiles"] if c["signature"].startswith("osr@")]) == 1


def test_interpreter_to_tier_1_to_tier_2_in_one_call(jit_engine):
    """A while loop (remaining trip count unknown) enters tier-1 code from the interpreter, then
    moves on to tier 2 at a back-edge of that code, all in its first and only call."""
    source = textwrap.dedent("""
        def collatz_steps(limit):
            n = 1
            steps = 0
            while n < limit:
                m = n
                while m != 1:
                    m = m // 2 if m % 2 == 0 else 3 * m + 1
                    steps += 1
                n += 1
            return steps
        """)
    want = run_calls(load(source, jitted=False), "collatz_steps", [(30_000,)])
    jit_engine.configure(tier1_calls=10**9, tier2_calls=10**9, tier1_loops=1000, tier2_loops=256,
                         background=False, osr=True)
    got = run_calls(load(source, jitted=True), "collatz_steps", [(30_000,)])
    assert_same_outcomes([(30_000,)], want, got)
    record = record_for("collatz_steps")
    assert sorted((o["line"], o["tier"]) for o in record["osr"]) == [(5, 1), (5, 2)], record["osr"]


def test_a_signal_in_a_tier1_loop_raises_at_its_safepoint(jit_engine):
    """The safepoint's one call (tj_safepoint_up) checks for signals: an exception a signal
    handler raises comes out of the loop, and the function goes on working."""
    import signal

    jit_engine.configure(tier1_calls=1, tier2_calls=10**9, tier1_loops=10**9, tier2_loops=10**9,
                         background=False, osr=True)
    ns = load("def spin(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n", jitted=True)
    assert ns["spin"](10) == 45
    assert "@tj_rt_safepoint_up" in jit_engine.explain("spin")["tier1_ir"]

    class Stop(Exception):
        pass

    def stop(signum, frame):
        raise Stop()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    try:
        with pytest.raises(Stop):
            ns["spin"](10**13)          # hours of work, stopped at a safepoint
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert ns["spin"](100) == 4950
    assert record_for("spin")["tier"] == 1
