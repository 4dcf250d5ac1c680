"""The engine's life-cycle rules, each stated as an example: tracing, reset, OSR, the GIL, explain."""
import linecache
import sys

import pytest

from tierjit.tiers import engine, stats

_counter = [0]


def define(source: str, name: str):
    """Define `name` from `source` (source kept in linecache, as a cell's is) and register it."""
    _counter[0] += 1
    filename = f"<engine-test-{_counter[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"__name__": f"engine_test_{_counter[0]}"}
    exec(compile(source, filename, "exec"), ns)
    return engine().register(ns[name], filename)


def record(func):
    return next(f for f in reversed(stats()["functions"]) if f["name"] == func.__name__)


@pytest.fixture(autouse=True)
def fresh_engine():
    eng = engine()
    saved = eng.config
    eng.reset()
    eng.configure(tier1_calls=1, tier2_calls=3, background=False, osr=True, tier1_loops=1000)
    yield eng
    eng.queue.drain()
    eng.config = saved
    eng.reset()


SQUARES = """
def sum_of_squares(n):
    result = 0
    for i in range(n):
        result += i * i
    return result
"""


def test_a_tracer_makes_functions_run_their_own_bytecode():
    f = define(SQUARES, "sum_of_squares")
    f(10), f(10)
    assert record(f)["tier"] >= 1
    seen = []

    def tracer(frame, event, arg):
        if frame.f_code.co_name == "sum_of_squares" and event == "line":
            seen.append(frame.f_lineno)
        return tracer

    sys.settrace(tracer)
    try:
        assert f(4) == 14
    finally:
        sys.settrace(None)
    assert 5 in seen, "the debugger stepped through the user's lines"
    assert f(4) == 14 and f.__code__.co_consts[-1].__class__.__name__ == "builtin_function_or_method"


def test_reset_starts_stats_empty_and_functions_profile_again():
    f = define(SQUARES, "sum_of_squares")
    for _ in range(5):
        f(10)
    assert record(f)["tier"] == 2
    engine().reset()
    assert stats()["functions"] == [] and stats()["events"] == []
    assert f(10) == 285
    rec = record(f)
    # it starts again on tier 0: the first call after the reset is profiled (and, at tier1_calls=1,
    # compiled to tier 1 afresh); the old tier-2 history is gone
    assert rec["calls"] == {"0": 1, "1": 0, "2": 0}
    assert [c["tier"] for c in rec["compiles"]] == [1]


def test_forget_gives_up_a_namespaces_functions_for_good():
    f = define(SQUARES, "sum_of_squares")
    kept = define(SQUARES, "sum_of_squares")       # another namespace: not forgotten
    original = engine().record_of(f).original_code  # what the def made, before profiling
    for _ in range(5):
        f(10)
        kept(10)
    assert record(f)["tier"] == 2 and f.__code__ is not original
    assert engine().forget(f.__globals__) == 1
    assert f.__code__ is original                   # its own code back, no stub
    assert engine().record_of(f) is None
    engine().reset()                                # and a reset does not re-arm it
    assert f(10) == 285 and f.__code__ is original
    assert kept(10) == 285 and engine().record_of(kept) is not None
    assert [r["name"] for r in stats()["functions"]] == ["sum_of_squares"]


def test_a_long_loop_in_one_call_enters_native_code():
    f = define(SQUARES, "sum_of_squares")
    assert f(3_000_000) == sum(i * i for i in range(3_000_000))
    rec = record(f)
    assert rec["osr"] and rec["osr"][0]["line"] == 4
    kinds = [e["kind"] for e in stats()["events"]]
    assert "osr" in kinds and "osr_exit" in kinds


def test_osr_keeps_live_values_and_runs_the_rest_of_the_function():
    source = """
def f(n, start):
    total = start
    k = 7
    for i in range(3, n, 2):
        total += i * k
    k = -1
    return total, k, i
"""
    f = define(source, "f")
    expected = (5 + sum(i * 7 for i in range(3, 200_001, 2)), -1, 199_999)
    assert f(200_001, 5) == expected
    assert record(f)["osr"]


def test_explain_shows_every_stage():
    f = define(SQUARES, "sum_of_squares")
    for _ in range(5):
        f(100)
    text = engine().explain("sum_of_squares")
    assert "for i in range(n)" in text["source"]
    assert "BINARY_OP" in text["bytecode"] or "BINARY_MULTIPLY" in text["bytecode"]
    assert "result: int" in text["typed_ir"]
    assert "define" in text["tier1_ir"] and "define" in text["tier2_ir"]
    assert text["asm"].strip()
    assert "tier 2" in text["summary"]
