"""Compiles that fail, race or run out of room never crash and never change an answer.

Each scenario runs in its own interpreter (a native crash fails one test). Failures are injected by
monkeypatching the compiler inside that interpreter, the way a broken LLVM or a compiler bug would
surface: the function must fall back to tier 0 with a reason in `stats()` and keep CPython's answers.
"""
from __future__ import annotations

import pytest

from hardening_run import pick, run_scenario

SQ = '''
def sq(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
'''

# A well-formed function that LLVM's verifier rejects (%x does not dominate its use): appended to the
# real IR, it makes `module.verify()` fail the way a codegen bug would.
NOT_DOMINATED = '''
define i32 @tj_injected_not_dominated(i1 %c) {
entry:
  br i1 %c, label %a, label %b
a:
  %x = add i32 1, 2
  br label %b
b:
  ret i32 %x
}
'''

INJECTIONS = {
    "native-unit-raises": """
        def broken(self, *args, **kwargs):
            raise RuntimeError("injected: NativeUnit failed")
        native.NativeUnit.__init__ = broken
    """,
    "parse-assembly-raises": """
        def broken(text):
            raise RuntimeError("LLVM IR parsing error (injected)")
        native.llvm.parse_assembly = broken
    """,
    "verifier-rejects-the-module": f"""
        real_init = native.NativeUnit.__init__
        def corrupt(self, ir_text, *args, **kwargs):
            real_init(self, ir_text + {NOT_DOMINATED!r}, *args, **kwargs)
        native.NativeUnit.__init__ = corrupt
    """,
}


@pytest.mark.parametrize("injection", sorted(INJECTIONS))
def test_an_llvm_failure_falls_back_to_tier0_with_a_reason(injection):
    result = run_scenario(f"""
        import textwrap
        from scenario import *
        import tierjit.tiers.native as native
        exec(textwrap.dedent({INJECTIONS[injection]!r}))
        pin(2)
        problems = differential({SQ!r}, "sq", [(10,)] * WARMUP, [(10**5,), (3,), (-1,), (2.5,), (None,)])
        rec = record("sq")
        report(problems=problems, state=rec["state"], tier=rec["tier"], reason=rec["fallback_reason"],
               compiles=rec["compiles"], kinds=[e["kind"] for e in stats()["events"]])
    """)
    assert not result["problems"], result["problems"]
    assert result["state"] == "unsupported" and result["tier"] == 0, result
    assert result["reason"].startswith("internal compiler error"), result["reason"]
    assert not result["compiles"]
    assert "fallback" in result["kinds"]


def test_a_failing_tier2_compile_keeps_tier1_and_says_why():
    result = run_scenario(f"""
        from scenario import *
        import tierjit.tiers.native as native
        def broken(module):
            raise RuntimeError("injected: optimiser failed")
        native.optimise = broken
        pin(2)
        problems = differential({SQ!r}, "sq", [(10,)] * WARMUP, [(10**5,), (3,), (-1,)])
        rec = record("sq")
        report(problems=problems, state=rec["state"], tier=rec["tier"], reason=rec["fallback_reason"],
               tiers=[c["tier"] for c in rec["compiles"]], calls=rec["calls"])
    """)
    assert not result["problems"], result["problems"]
    assert result["state"] == "compiled" and result["tier"] == 1, result
    assert result["tiers"] == [1]
    assert result["reason"].startswith("tier 2: internal compiler error"), result["reason"]


def test_redefinition_while_a_background_tier2_compile_runs():
    # The optimiser is slowed down so every redefinition lands while tier 2 of the old body compiles.
    rounds = pick(12, 60)
    result = run_scenario(f"""
        from scenario import *
        import threading, time
        import tierjit.tiers.native as native
        real_optimise = native.optimise
        started = threading.Event()
        def slow_optimise(module):
            started.set()
            time.sleep(0.15)
            return real_optimise(module)
        native.optimise = slow_optimise
        engine().configure(tier1_calls=1, tier2_calls=3, background=True)
        ns = {{"__name__": "cell"}}
        wrong, old_objects, raced = [], [], 0
        def want(gen, n):
            return gen + n * (n - 1) // 2 * (gen + 1)
        for gen in range({rounds}):
            load(f"def f(n):\\n    s = {{gen}}\\n    for i in range(n):\\n        s += i * {{gen + 1}}\\n    return s\\n",
                 ns=ns)
            f = ns["f"]
            started.clear()
            for _ in range(4):
                if f(100) != want(gen, 100):
                    wrong.append(("new definition", gen))
            raced += started.wait(2)   # tier 2 of this body is compiling now; the loop redefines f
            old_objects.append((gen, f))
        for gen, f in old_objects:      # old function objects keep their own body
            if f(1000) != want(gen, 1000):
                wrong.append(("old object during compiles", gen))
        engine().queue.drain()
        for gen, f in old_objects:
            for _ in range(3):
                if f(1000) != want(gen, 1000):
                    wrong.append(("old object after drain", gen))
        doc = stats()
        report(wrong=wrong, raced=raced, states=[(r["state"], [c["tier"] for c in r["compiles"]]) for r in doc["functions"]])
    """)
    assert not result["wrong"], result["wrong"]
    assert result["raced"] == rounds, "the background compile did not overlap the redefinitions"
    states = result["states"]
    assert states[-1] == ["compiled", [1, 2]], states[-1]
    # a stale tier-2 compile is dropped, never installed into a redefined function
    assert all(state == "evicted" and tiers == [1] for state, tiers in states[:-1]), states


def _tiny_cache_run() -> dict:
    n_funcs, rounds = pick(12, 40), pick(3, 6)
    return run_scenario(f"""
        from scenario import *
        engine().configure(tier1_calls=1, tier2_calls=4, background=False, code_cache_mb=0.01)
        body = "def f{{k}}(n):\\n    s = {{k}}\\n    for i in range(n):\\n        s += i * {{k}} % 7\\n    return s\\n"
        src = "".join(body.format(k=k) for k in range({n_funcs}))
        plain, jitted = load(src, jitted=False), load(src)
        wrong = []
        for _ in range({rounds}):
            for k in range({n_funcs}):
                for n in (5, 100, 2**16 + k):
                    if plain[f"f{{k}}"](n) != jitted[f"f{{k}}"](n):
                        wrong.append((k, n))
        doc = stats()
        report(wrong=wrong, evictions=sum(e["kind"] == "evict" for e in doc["events"]),
               compiles=sum(len(f["compiles"]) for f in doc["functions"]),
               code_bytes=doc["totals"]["code_bytes"],
               states=sorted({{f["state"] for f in doc["functions"]}}))
    """)


def test_a_tiny_code_cache_evicts_and_answers_stay_right():
    result = _tiny_cache_run()
    assert not result["wrong"], result["wrong"]
    assert result["evictions"] >= 1, result
    assert "evicted" in result["states"], result


def test_a_tiny_code_cache_holds_little_code():
    result = _tiny_cache_run()
    # one unit is ~4-13 KB: a 10 KiB budget holds one or two functions' code at once
    assert result["code_bytes"] <= 3 * 10 * 1024, result
