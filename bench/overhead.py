"""Worker modes for overheads: call cost of compiled code and profiling cost at tier 0.

Calls are timed with timeit (a plain CPython loop around the call), repeats of
every variant interleaved so that a noisy neighbour hits them all alike.
"""

from __future__ import annotations

import os
import timeit

from bench.timing import load_kernel, top_level_functions

PROBES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe_functions.py")

# High enough that nothing leaves tier 0 during the measurement.
NEVER = 10**9


def interleaved(variants: list[tuple[str, str, dict]], repeat: int, number: int) -> dict:
    """name -> list of ns per execution of its statement, one entry per repeat."""
    out: dict = {name: [] for name, _, _ in variants}
    timers = [(name, timeit.Timer(stmt, globals=g)) for name, stmt, g in variants]
    for _ in range(repeat):
        for name, timer in timers:
            out[name].append(timer.timeit(number) / number * 1e9)
    return out


def registered_probes(config: dict):
    """The probe functions under the engine (configured first) and a plain copy."""
    from tierjit.tiers import engine
    eng = engine()
    eng.configure(**config)
    jitted = load_kernel(PROBES, "bench_probes_tierjit")
    for fn in top_level_functions(jitted):
        setattr(jitted, fn.__name__, eng.register(fn, defined_in=PROBES))
    return jitted, load_kernel(PROBES, "bench_probes_plain")


def record(name: str) -> dict:
    from tierjit.tiers import stats
    for rec in reversed(stats().get("functions", [])):
        if rec.get("name") == name:
            return {"tier": rec.get("tier"), "state": rec.get("state"),
                    "fallback_reason": rec.get("fallback_reason"), "calls": rec.get("calls")}
    return {"tier": None, "state": "unregistered"}


def calls_mode(repeat: int, number: int) -> dict:
    """ns per call: empty statement, abs(), a plain function, compiled and unsupported ones."""
    jitted, plain = registered_probes({"tier1_calls": 1, "tier2_calls": 3, "background": False})
    for _ in range(200):  # climb the tiers, and let uses_dict fail to compile
        jitted.identity(1)
        jitted.uses_dict(1)
    variants = [
        ("empty statement", "pass", {}),
        ("builtin abs()", "f(a)", {"f": abs, "a": -1}),
        ("plain function", "f(a)", {"f": plain.identity, "a": 1}),
        ("tierjit compiled", "f(a)", {"f": jitted.identity, "a": 1}),
        ("plain uses_dict", "f(a)", {"f": plain.uses_dict, "a": 1}),
        ("tierjit unsupported", "f(a)", {"f": jitted.uses_dict, "a": 1}),
    ]
    return {"ns": interleaved(variants, repeat, number),
            "records": {"tierjit compiled": record("identity"), "tierjit unsupported": record("uses_dict")}}


def profiling_mode(repeat: int, number: int) -> dict:
    """Tier-0 cost: functions kept profiling by thresholds that are never reached."""
    jitted, plain = registered_probes({"tier1_calls": NEVER, "tier2_calls": NEVER,
                                       "tier1_loops": NEVER, "tier2_loops": NEVER})
    n = 10000
    variants = [
        ("plain call", "f(a)", {"f": plain.identity, "a": 1}),
        ("tier-0 call", "f(a)", {"f": jitted.identity, "a": 1}),
        ("plain loop (per iteration)", "f(n)", {"f": plain.loop_heavy, "n": n}),
        ("tier-0 loop (per iteration)", "f(n)", {"f": jitted.loop_heavy, "n": n}),
    ]
    ns = interleaved(variants, repeat, max(number // n, 3) * 10)
    for name in ("plain loop (per iteration)", "tier-0 loop (per iteration)"):
        ns[name] = [v / n for v in ns[name]]
    return {"ns": ns, "records": {"tier-0 call": record("identity"), "tier-0 loop (per iteration)":
                                  record("loop_heavy")}}


def numba_mode(repeat: int, number: int) -> dict:
    import numba
    plain = load_kernel(PROBES, "bench_probes_numba")
    f = numba.njit(plain.identity)
    f(1)
    return {"ns": interleaved([("Numba dispatch", "f(a)", {"f": f, "a": 1})], repeat, number)}


def run(mode: str, argv: list[str]) -> dict:
    repeat, number = int(argv[0]), int(argv[1])
    modes = {"overhead-calls": calls_mode, "overhead-profiling": profiling_mode,
             "overhead-numba": numba_mode}
    if mode not in modes:
        raise ValueError(f"unknown worker mode {mode!r}")
    return modes[mode](repeat, number)
