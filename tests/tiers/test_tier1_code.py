"""What tier-1 code carries, and that it still gives CPython's answers.

Tier 1 is built to compile fast (docs/tiers.md, "Tier-1 compile time"): its modules call
one shared, precompiled copy of the value helpers (refcounts, int boxing, the int slow
paths) by address, keep their counters in memory the unit owns, and so name nothing
outside themselves, which keeps LLVM on its fast instruction selector. Tier 2 keeps its
own inlinable copies. The answers must not change: the int slow paths below all run
through the shared helpers at tier 1.
"""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tierharness import (assert_reached, calls_on, differential, engine, load, record_for,
                         run_calls, use_tier)

pytestmark = pytest.mark.timeout(300)

SUM_OF_SQUARES = textwrap.dedent("""
    def sum_of_squares(n):
        total = 0
        for i in range(n):
            total += i * i
        return total
""")


def tier_ir(name: str, tier: int) -> str:
    return engine().explain(name)[f"tier{tier}_ir"]


def run_at(tier: int, source: str, func: str, calls: list[tuple]) -> dict:
    use_tier(tier)
    ns = load(source, jitted=True)
    run_calls(ns, func, calls)
    return record_for(func)


def test_tier1_module_defines_only_its_code_and_names_nothing_outside():
    record = run_at(1, SUM_OF_SQUARES, "sum_of_squares", [(100,)] * 3)
    assert_reached(record, 1)
    ir = tier_ir("sum_of_squares", 1)
    defined = re.findall(r'^define .*?@"?([\w.]+)"?\(', ir, re.M)
    # the function (what later tier-1 callers call, compiler.link_plan) and its Python entry
    assert sorted(defined) == ["sum_of_squares_0", "tj_entry"], defined
    declared = re.findall(r'^declare .*?@"?([\w.]+)"?\(', ir, re.M)
    assert all(name.startswith("llvm.") for name in declared), declared
    assert not re.search(r"^@.* = (global|constant)", ir, re.M), "tier-1 module has globals"
    # %jit_explain names what the code reaches by address: the shared helpers, its counters
    assert "@tj_rt_xdecref" in ir and "@tj_err_line" in ir


def test_tier2_module_carries_its_own_helpers_to_inline():
    record = run_at(2, SUM_OF_SQUARES, "sum_of_squares", [(100,)] * 5)
    assert_reached(record, 2)
    ir = tier_ir("sum_of_squares", 2)
    assert "tj_rt_" not in ir
    assert "sadd.with.overflow" in ir


def test_calls_are_counted_in_the_units_own_memory():
    run_at(1, SUM_OF_SQUARES, "sum_of_squares", [(10,)] * 7)
    record = record_for("sum_of_squares")
    assert record["tier"] == 1
    assert calls_on(record, 0) + calls_on(record, 1) == 7
    assert calls_on(record, 1) >= 5


@pytest.mark.parametrize("n", [10, 3 * 10**6])
def test_sum_past_int64_stays_exact_at_tier1(n):
    run = differential(SUM_OF_SQUARES, "sum_of_squares", [(n,)], tier=1, warmup=2)
    assert run.got[-1].value == n * (n - 1) * (2 * n - 1) // 6
    assert_reached(record_for("sum_of_squares"), 1)


INT_SLOW_PATHS = textwrap.dedent("""
    def mix(a, b):
        s = a + b
        d = a - b
        p = a * b
        q = a // b
        r = a % b
        x = (a << 3) ^ (b >> 2) | (a & b)
        w = a ** 3
        return s, d, p, q, r, x, w
""")

BIG = [(2**62, 3), (2**63 - 1, 2), (-2**63, -1), (2**100, 7), (-(2**130), 2**65 + 1),
       (3**90, -(5**40)), (7, 2**200), (0, 1), (-1, 1)]


def test_int_slow_paths_through_the_shared_runtime_match_cpython():
    differential(INT_SLOW_PATHS, "mix", BIG, tier=1)
    record = record_for("mix")
    assert_reached(record, 1)
    ir = tier_ir("mix", 1)
    # the slow paths are the shared ones: one for every two-argument operator, given the C-API
    # function to call, and one for `**`
    assert "@tj_rt_int_binop" in ir and "@PyNumber_Multiply" in ir and "@tj_rt_int_Pow" in ir


# One of each shape that once sent a tier-1 function to LLVM's slow instruction selector
# (SelectionDAG, several times slower to compile than FastISel): a direct call under the JIT's
# large code model (recursion, a callee compiled into its caller, the entry calling the function),
# an alloca outside the entry block (the entry's list-element scan, its result slot), a
# `select` of two i1s (a range loop whose step's sign is known only at run time). Not covered:
# a function with more than six register arguments (an int is two) has only its arguments
# lowered by the slow selector, in a small DAG of their own; its body stays on the fast one.
FAST_SELECTOR_SOURCE = textwrap.dedent("""
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    def scale(x, k):
        return x * k + 0.5

    def total(xs, k):
        s = 0.0
        for x in xs:
            s += scale(x, k)
        return s

    def stepped(b, step):
        n = 0
        for i in range(3, b, step):
            n += i % 7
        return n

    def positive(xs):
        count = 0
        i = 0
        while i < len(xs):
            if xs[i] > 0:
                count += 1
            i += 1
        return count > 0
""")

FAST_SELECTOR_CALLS = {"fib": [(12,)], "total": [([1.0, 2.5, -3.0], 2.0)] * 2,
                       "stepped": [(50, 3), (-50, -4)], "positive": [([0, -1, 3],)] * 2}

FAST_SELECTOR_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import llvmlite.binding as llvm
from tierjit.tiers import compile_queue, native, runtime
from tierharness import load, record_for, run_calls, use_tier
native.initialise()
with compile_queue.LLVM_LOCK:      # compiled once per process, not tier-1 code: not checked
    runtime.address("xincref")
    native.dead_entry_address()
llvm.set_option("", "-fast-isel-report-on-fallback")
use_tier(1)
ns = load(sys.stdin.read(), jitted=True)
calls = json.loads(sys.argv[2])
for name, schedule in calls.items():
    run_calls(ns, name, [tuple(args) for args in schedule])
print(json.dumps({name: record_for(name)["tier"] for name in calls}))
"""


def test_tier1_code_stays_on_llvms_fast_instruction_selector():
    """LLVM reports each function whose instructions its fast selector could not all take; a
    process with that report on compiles one of each shape that once fell back."""
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.run([sys.executable, "-c", FAST_SELECTOR_SCRIPT, here, json.dumps(FAST_SELECTOR_CALLS)],
                          input=FAST_SELECTOR_SOURCE, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    tiers = json.loads(proc.stdout.strip().splitlines()[-1])
    assert tiers == {name: 1 for name in FAST_SELECTOR_CALLS}, tiers
    fallbacks = [line for line in proc.stderr.splitlines() if "fallback path" in line]
    assert fallbacks == [], fallbacks


NESTED_SHORT_LOOPS = textwrap.dedent("""
    def grid(rows, cols):
        total = 0
        for i in range(rows):
            for j in range(cols):
                total += i * j
        return total
""")


def test_short_inner_loops_of_one_call_still_poll_and_ask_for_tier_2(jit_engine):
    """Tier 1's range loops count on the call's poll counter (FunctionGen._tier1_range_loop):
    500 runs of a 100-iteration inner loop, no index ever reaching 1,024, are 50,000 iterations
    of the call, so its safepoints fall due and the hot loop asks for tier 2 within that call."""
    jit_engine.configure(tier1_calls=1, tier2_calls=10**9, tier1_loops=10**9, tier2_loops=10_240,
                         background=False, osr=False)
    ns = load(NESTED_SHORT_LOOPS, jitted=True)
    for _ in range(2):
        assert ns["grid"](3, 4) == 18
    assert record_for("grid")["tier"] == 1
    assert ns["grid"](500, 100) == sum(range(500)) * sum(range(100))
    compiled = [c["tier"] for c in record_for("grid")["compiles"]]
    assert 2 in compiled, f"no tier-2 compile was asked for: {compiled}"


SIGNATURES = textwrap.dedent("""
    def twice(n):
        return n + n

    def thrice(n):
        return n + n + n

    def halve(x):
        return x / 2
""")


def units_of(name: str) -> list:
    return [u for r in engine()._live.values() if r.name == name for u in r.units if u.tier == 1]


def test_units_of_one_signature_share_one_entry():
    """A tier-1 entry depends on the signature only (entry.build_table_entry): `twice` and
    `thrice`, both (int) -> int, run through one entry's machine code, each with its own table."""
    run_at(1, SIGNATURES, "twice", [(21,)] * 3)
    ns = load(SIGNATURES, jitted=True)
    run_calls(ns, "thrice", [(5,)] * 3)
    run_calls(ns, "halve", [(5.0,)] * 3)
    assert ns["twice"](2**62) == 2**63 and ns["thrice"](-7) == -21 and ns["halve"](3.0) == 1.5
    twice, thrice, halve = units_of("twice")[-1], units_of("thrice")[-1], units_of("halve")[-1]
    assert twice.entry_address == thrice.entry_address
    assert twice.shared_entry is thrice.shared_entry
    assert halve.entry_address != twice.entry_address
    assert twice.builtin.__self__.table != thrice.builtin.__self__.table
    # the unit's own module has its function only; %jit_explain shows the entry after it
    assert "tj_entry" not in twice.ir_before
    assert "shared by every tier-1 unit of this signature" in tier_ir("thrice", 1)


ENTRY_CASES = textwrap.dedent("""
    def mixed(n, x, flag, items, nothing):
        total = x
        for i in range(n):
            if flag:
                total += items[i % len(items)]
        return total

    def big(n):
        return n * n * n

    def fails(n):
        return 10 // n
""")


@pytest.mark.parametrize("where", ["shared", "no layout", "cache full"])
def test_entry_gives_cpythons_answers_shared_or_in_the_unit(monkeypatch, where):
    """Where `self` could not carry the table (entry.self_table_offset is None), or the process
    keeps as many shared entries as it may (shared_entry.MAX_ENTRIES), each unit gets an entry
    of its own with its table's address written in: the same answers, guards and errors."""
    from tierjit.tiers import entry, shared_entry
    shared = where == "shared"
    if where == "no layout":
        monkeypatch.setattr(entry, "_offset", [None])
    elif where == "cache full":
        monkeypatch.setattr(shared_entry, "_entries", {})
        monkeypatch.setattr(shared_entry, "MAX_ENTRIES", 0)
    calls = {"mixed": [(4, 0.5, True, [1.0, 2.0], None)] * 3 + [(3, 1.5, False, [2.5], None), (2, 1, True, [1, 2], None)],
             "big": [(10,)] * 3 + [(2**40,), (-(2**22),), (1.5,)],
             "fails": [(3,)] * 3 + [(0,), (-4,)]}
    for func, schedule in calls.items():
        differential(ENTRY_CASES, func, schedule, tier=1)
    unit = units_of("big")[-1]
    assert ("tj_entry" in unit.ir_before) is not shared
    assert (unit.shared_entry is not None) is shared


# `return x` of an int local hands the local's own reference to the caller (codegen
# FunctionGen._returned): the result must hold exactly the references CPython's does, whether
# the int fits in 64 bits or went past them in the loop, and whether it is returned from inside
# the loop or after it.
RETURNED_LOCALS = textwrap.dedent("""
    def grown(n, k):
        x = 1
        for i in range(n):
            x = x * k
            if x > 10 ** 40:
                return x
        return x

    def kept(n):
        x = n * n
        y = x
        return x
""")


@pytest.mark.parametrize("tier", [1, 2])
def test_a_returned_int_local_gives_its_reference_to_the_caller(tier):
    calls = [(5, 3), (70, 3), (200, 7), (30, -2), (90, -3)]
    run = differential(RETURNED_LOCALS, "grown", calls, tier)
    assert_reached(record_for("grown"), tier)
    for args in calls[1:]:     # (ints from -5 to 256 are shared, their counts are anyone's)
        result = run.ns["grown"](*args)
        # one reference held by `result`, one by getrefcount's argument: none leaked or lost
        assert sys.getrefcount(result) == 2, (args, sys.getrefcount(result))
    run = differential(RETURNED_LOCALS, "kept", [(3,), (2 ** 40,), (-(2 ** 62),), (2 ** 70,)], tier)
    assert_reached(record_for("kept"), tier)
    kept = run.ns["kept"]
    for n in (2 ** 40, 2 ** 70):
        result = kept(n)
        assert sys.getrefcount(result) == 2, (n, sys.getrefcount(result))
