"""Random programs (progen.py) run on CPython and under tierjit at tier 1 and tier 2;
every call must match exactly: value (type, floats bit for bit), exception type and
message, printed output. Each run must also really have compiled `f` at that tier.

The normal run checks 500 programs, the same ones every time (derandomized). The long run:

    TIERJIT_FUZZ_EXAMPLES=10000 pytest tests/tiers/test_fuzz.py

and TIERJIT_FUZZ_SEED=<int> draws a different, reproducible set. A failure shrinks to a
small program whose source is printed with the failure. If the process dies instead (a
crash in native code), the program being run is in tierjit-fuzz-last.py in the temp dir.
"""

import os
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, given, note, seed, settings

import progen
from tierharness import (
    WARMUP_CALLS, assert_reached, assert_same_outcomes, load, record_for, run_calls, safe_repr,
    time_limit, use_tier,
)

EXAMPLES = int(os.environ.get("TIERJIT_FUZZ_EXAMPLES", "500"))
SEED = os.environ.get("TIERJIT_FUZZ_SEED")
LAST_PROGRAM = os.path.join(tempfile.gettempdir(), "tierjit-fuzz-last.py")

pytestmark = pytest.mark.timeout(max(600, EXAMPLES * 2))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    print_blob=True,
    # The explain phase runs examples under sys.settrace, and tierjit (like any JIT under a
    # debugger) then keeps everything on tier 0, which these tests would see as "never compiled".
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    # One engine per process: the fixture resets it, and each example resets it again.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def fuzz_test(test):
    test = given(case=progen.cases())(test)
    if SEED is not None:
        test = seed(int(SEED))(test)
    return FUZZ(test)


@fuzz_test
def test_random_programs_match_cpython(jit_engine, case):
    program, calls = case
    note(f"program:\n{program.source}")
    note(f"calls: f{', f'.join(safe_repr(args) for args in calls)}")
    with open(LAST_PROGRAM, "w") as last:
        last.write(f"{program.source}\n# calls: {safe_repr(calls)}\n")

    schedule = [calls[0]] * WARMUP_CALLS[2] + calls
    with time_limit(10):
        want = run_calls(load(program.source, jitted=False), program.entry, schedule)
    for tier in (1, 2):
        jit_engine.reset()
        use_tier(tier)
        with time_limit(20):
            got = run_calls(load(program.source, jitted=True), program.entry, schedule)
        assert_same_outcomes(schedule, want, got, label=f"tier {tier}:")
        assert_reached(record_for(program.entry), tier)
