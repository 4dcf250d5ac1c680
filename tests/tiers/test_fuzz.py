"""Random programs (progen.py) run on CPython and under tierjit at tier 1 and then tier 2;
every call must match exactly: value (type, floats bit for bit), exception type and
message, printed output. The stats must show `f` compiled at both tiers and the listed
calls run on each.

Every other program (by a hash of its source) calls the helper `g` from Python first, so `g`
has tier-1 code of its own when `f` compiles and `f`'s tier-1 code calls it there
(compiler.link_plan) rather than compiling `g` in; the others compile `g` into `f`.

A second test runs a fifth as many programs through on-stack replacement: every loop enters
native code at its second iteration, with the rest of the call compiled as a continuation (tier 1
for a short remaining range, tier 2 for a longer one), and must still match CPython.

The normal run checks 500 programs, the same ones every time (derandomized). The long run:

    TIERJIT_FUZZ_EXAMPLES=10000 pytest tests/tiers/test_fuzz.py

and TIERJIT_FUZZ_SEED=<int> draws a different, reproducible set. A failure shrinks to a
small program whose source is printed with the failure. If the process dies instead (a
crash in native code), the program being run is in tierjit-fuzz-last.py in the temp dir.
A run longer than the default reports its progress on stderr every 500 programs, past
pytest's capture, since the test itself reports only when it ends.
"""

import contextlib
import os
import sys
import tempfile
import time
import zlib

import pytest
from hypothesis import given, note, seed, settings

import progen
from tierharness import (
    TIER_SETTINGS, assert_climbed, assert_same_outcomes, calls_on, fuzz_settings, jitted, load, record_for,
    run_calls, safe_repr, stats, summary, time_limit,
)

EXAMPLES = int(os.environ.get("TIERJIT_FUZZ_EXAMPLES", "500"))
SEED = os.environ.get("TIERJIT_FUZZ_SEED")
LAST_PROGRAM = os.path.join(tempfile.gettempdir(), "tierjit-fuzz-last.py")
PROGRESS_EVERY = 500
_progress: dict = {"ran": 0, "start": time.monotonic(), "capture": None}


@pytest.fixture(autouse=True)
def _progress_past_capture(pytestconfig):
    """pytest captures file descriptor 2 itself: progress goes out with its capture suspended."""
    _progress["capture"] = pytestconfig.pluginmanager.getplugin("capturemanager")


def record_last(text: str) -> None:
    """Keep the program about to run where a crash leaves it, and on a long run say how far
    it has got (hypothesis's shrinking runs count too)."""
    with open(LAST_PROGRAM, "w") as last:
        last.write(text)
    _progress["ran"] += 1
    if EXAMPLES > 500 and _progress["ran"] % PROGRESS_EVERY == 0:
        capture = _progress["capture"]
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print(f"\nfuzz: {_progress['ran']} programs run in {time.monotonic() - _progress['start']:.0f} s",
                  file=sys.stderr, flush=True)


pytestmark = pytest.mark.timeout(max(3600, EXAMPLES * 6))   # compiles dominate: ~2 per program

FUZZ = fuzz_settings(EXAMPLES, SEED)


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
    record_last(f"{program.source}\n# calls: {safe_repr(calls)}\n")

    # One JIT session climbs both tiers, so each program costs one compile per tier:
    #   c0, calls...            tier 0 then tier 1 (tier1_calls=1)
    #   c0, c0, c0, calls...    tier 2 (tier2_calls=n+2 is reached during the c0s,
    #                           whether the engine counts all calls or tier-1 calls)
    n = len(calls)
    schedule = [calls[0]] + calls + [calls[0]] * 3 + calls
    warm = [tuple(3 if p == progen.INT else 1.5 for p in program.helper_params)] * 3 \
        if zlib.crc32(program.source.encode()) % 2 == 0 else []
    reference = load(program.source, jitted=False)
    with time_limit(10):
        want = run_calls(reference, "g", warm) + run_calls(reference, program.entry, schedule)
    jit_engine.reset()
    jit_engine.configure(**{**TIER_SETTINGS[1], "tier2_calls": n + 2})
    with jitted(program.source) as ns:       # its functions are forgotten afterwards
        with time_limit(30):
            got = run_calls(ns, "g", warm) + run_calls(ns, program.entry, schedule)
        assert_same_outcomes([("g",) + args for args in warm] + schedule, want, got)
        assert_climbed(record_for(program.entry), n)


OSR_EXAMPLES = max(20, EXAMPLES // 5)


def test_random_programs_through_osr_match_cpython(jit_engine):
    entries: list[int] = []

    @settings(FUZZ, max_examples=OSR_EXAMPLES)
    @given(case=progen.cases())
    def run(case):
        program, calls = case
        note(f"program:\n{program.source}")
        record_last(f"{program.source}\n# calls (OSR): {safe_repr(calls)}\n")
        with time_limit(10):
            want = run_calls(load(program.source, jitted=False), program.entry, calls)
        jit_engine.reset()
        # no call ever compiles a function; every loop enters native code at its 2nd iteration
        jit_engine.configure(**{**TIER_SETTINGS[0], "tier1_loops": 2, "tier2_loops": 4, "osr": True})
        with jitted(program.source) as ns:
            with time_limit(30):
                got = run_calls(ns, program.entry, calls)
            assert_same_outcomes(calls, want, got, label="through OSR:")
            entries.append(sum(o["count"] for f in stats()["functions"] for o in f["osr"]))

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()
    entered = sum(1 for n in entries if n)
    print(f"\n{entered} of {len(entries)} programs entered native code through OSR")
    assert entered > 0, "no program entered native code through OSR: the test tested nothing"
