"""Worker processes: time one kernel under tierjit or Numba, print one JSON line.

Every measurement runs in a fresh process started by the harness, so a first
call is really cold, systems never share a process, and an engine crash or
hang costs one table cell instead of the whole run.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

from bench.timing import load_kernel, run_once, top_level_functions

RESULT_MARK = "BENCH-RESULT "  # the engine or a kernel may print; the harness reads this line only

# Thresholds for the steady-state worker: low enough that a few runs reach tier 2,
# and compiles in the foreground so the timed runs never overlap a compile.
WARM_CONFIG = {"tier1_calls": 1, "tier2_calls": 3, "background": False}

# Fallback when the steady worker fails (an engine bug while compiling): thresholds
# that are never reached, so the kernel still runs, profiled, on tier 0.
NEVER = 10**9
TIER0_CONFIG = {"tier1_calls": NEVER, "tier2_calls": NEVER, "tier1_loops": NEVER, "tier2_loops": NEVER}


def emit(doc: dict) -> None:
    print(RESULT_MARK + json.dumps(doc), flush=True)


def error_text(exc: BaseException) -> str:
    """The exception's last line, plus where it came from (for the table's footnotes)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {exc}"[:300] + where


# --- tierjit ---------------------------------------------------------------------------

def register_all(eng, module, path: str) -> list[str]:
    """Hand every top-level function of the kernel to the engine, as the kernel's AST hook does."""
    names = []
    for fn in top_level_functions(module):
        setattr(module, fn.__name__, eng.register(fn, defined_in=path))
        names.append(fn.__name__)
    return names


def function_summaries(doc: dict, path: str, names: list[str]) -> list[dict]:
    """What the stats document says about this kernel's functions: tier, state, compiles."""
    out = []
    for rec in doc.get("functions", []):
        if rec.get("defined_in") != path and rec.get("name") not in names:
            continue
        out.append({
            "name": rec.get("name"),
            "tier": rec.get("tier", 0),
            "state": rec.get("state"),
            "calls": rec.get("calls", {}),
            "compiles": [{"tier": c.get("tier"), "ms": c.get("ms"), "code_bytes": c.get("code_bytes"),
                          "background": c.get("background")} for c in rec.get("compiles", [])],
            "osr": sum(o.get("count", 0) for o in rec.get("osr", [])),
            "deopts": sum(d.get("count", 0) for d in rec.get("deopts", [])),
            "fallback_reason": rec.get("fallback_reason"),
        })
    return out


def entry_record(functions: list[dict], entry: str) -> dict:
    for rec in reversed(functions):
        if rec["name"] == entry:
            return rec
    return {"tier": 0, "state": "unregistered"}


def is_settled(rec: dict) -> bool:
    """True once warming up further cannot change the entry's tier."""
    return rec.get("tier") == 2 or rec.get("state") in ("unsupported", "disabled", "backed_off")


def tierjit_run(path: str, entry: str, arg, calls: int, repeat: int, warm: bool, budget_s: float,
                config: dict | None = None) -> dict:
    """Cold: first call and time to result with the default config. Warm: steady state at tier 2."""
    doc: dict = {"notes": []}
    t0 = time.perf_counter()
    from tierjit.tiers import engine, stats
    doc["import"] = time.perf_counter() - t0
    eng = engine()
    if config:
        try:
            eng.configure(**config)
        except Exception as exc:  # an engine without these keys still runs, on its defaults
            doc["notes"].append("configure failed: " + error_text(exc))
    module = load_kernel(path, "bench_kernel_tierjit")
    names = register_all(eng, module, path)
    fn = getattr(module, entry)
    result, first_call = run_once(fn, arg, 1)
    answers = [repr(result)]
    rest = 0.0
    if calls > 1:
        result, rest = run_once(fn, arg, calls - 1)
    doc["first"] = first_call
    doc["ttr"] = time.perf_counter() - t0
    doc["first_run"] = first_call + rest
    doc["tier_after_first"] = entry_record(function_summaries(stats(), path, names), entry)["tier"]
    if warm:
        runs, extra, t_warm = 1, None, time.perf_counter()
        # Warm up until the entry settles, then two more runs so callees and OSR'd loops catch up.
        while runs < 50 and (extra is None or extra > 0):
            if extra is None and (is_settled(entry_record(function_summaries(stats(), path, names), entry))
                                  or time.perf_counter() - t_warm > budget_s):
                extra = 2
            if extra is not None:
                extra -= 1
            run_once(fn, arg, calls)
            runs += 1
        doc["warmup_runs"] = runs
        doc["times"] = []
        for _ in range(repeat):
            result, seconds = run_once(fn, arg, calls)
            doc["times"].append(seconds)
        answers.append(repr(result))
    doc["answers"] = answers
    doc["functions"] = function_summaries(stats(), path, names)
    rec = entry_record(doc["functions"], entry)
    doc["tier"] = rec.get("tier", 0)
    doc["state"] = rec.get("state")
    return doc


# --- numba -----------------------------------------------------------------------------

def numba_run(path: str, entry: str, arg, calls: int, repeat: int) -> dict:
    """Every top-level function under @njit, so calls between them stay compiled."""
    t0 = time.perf_counter()
    import numba
    doc: dict = {"import": time.perf_counter() - t0, "version": "numba " + numba.__version__}
    module = load_kernel(path, "bench_kernel_numba")
    for fn in top_level_functions(module):
        setattr(module, fn.__name__, numba.njit(fn))
    fn = getattr(module, entry)
    result, first_call = run_once(fn, arg, 1)
    rest = run_once(fn, arg, calls - 1)[1] if calls > 1 else 0.0
    doc.update(first=first_call, ttr=time.perf_counter() - t0, first_run=first_call + rest)
    answers = [repr(result)]
    run_once(fn, arg, calls)  # one warm-up run: Numba has no further tiers to reach
    doc["times"] = []
    for _ in range(repeat):
        result, seconds = run_once(fn, arg, calls)
        doc["times"].append(seconds)
    answers.append(repr(result))
    doc["answers"] = answers
    return doc


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    try:
        if mode in ("tierjit-cold", "tierjit-warm", "tierjit-tier0", "numba"):
            path, entry, arg_text, calls, repeat, budget = rest
            arg = None if arg_text == "-" else int(arg_text)
            if mode == "numba":
                doc = numba_run(path, entry, arg, int(calls), int(repeat))
            else:
                config = {"tierjit-warm": WARM_CONFIG, "tierjit-tier0": TIER0_CONFIG}.get(mode)
                doc = tierjit_run(path, entry, arg, int(calls), int(repeat),
                                  mode != "tierjit-cold", float(budget), config)
        else:
            from bench import overhead
            doc = overhead.run(mode, rest)
    except Exception as exc:
        emit({"error": error_text(exc)})
        return 1
    emit(doc)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
