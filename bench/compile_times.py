"""Compile time per function, tier 1 and tier 2 against Numba: `python -m bench.compile_times`.

For each benchmark kernel, the entry is called once with a small argument under an engine with
tier-1 threshold 1, so every function records its argument types. Then each function the engine
compiled is compiled again `--repeat` times at tier 1 and at tier 2, each compile a fresh unit
(freed afterwards), timed from types to callable machine code: min/median/max ms. At tier 1 a
function calls the machine code its JIT'd callees already have (compiled once, for the same
types) and compiles in only those that have none; tier 2 compiles every callee in, to inline
it. The `fns` column counts the functions compiled into the unit at tier 1, then at tier 2.

The cold columns are the entry's first tier-1 compile in a fresh process, LLVM's start and the
shared runtime included: once with the runtime's machine code cached on disk by an earlier
process (every session after a user's first), once with no cache (TIERJIT_CACHE_DIR="").

Numba's column is the first call of a freshly `@njit`-ed copy of the kernel with the same small
argument (its compile, callees included, plus a negligible run), measured `--repeat` times in a
subprocess that imported Numba and compiled the kernel once before (so Numba's one-time start-up
is not counted against it). Numba compiles only on a call, so it has a figure for entries only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.kernels import KERNELS
from bench.timing import load_kernel, run_once, top_level_functions

# small arguments: enough to reach every function with its usual types, short to run
SMALL_ARGS = {"sum_of_squares": 10, "compute": None, "fib": 5, "mandelbrot": 4, "nbody": 2,
              "spectral_norm": 3, "sieve": 100, "matmul": 3, "collatz": 10, "dot": 10}


def tierjit_times(module_name: str, repeat: int) -> list[dict]:
    from tierjit.tiers import compile_queue
    from tierjit.tiers.compiler import compile_unit
    from tierjit.tiers.engine import Engine

    kernel = next(k for k in KERNELS if k.module == module_name)
    module = load_kernel(kernel.path, f"bench_compile_{module_name}")
    engine = Engine()
    never = 10**9
    engine.configure(tier1_calls=1, tier2_calls=never, tier1_loops=never, tier2_loops=never, background=False)
    for fn in top_level_functions(module):
        setattr(module, fn.__name__, engine.register(fn, defined_in=kernel.path))
    run_once(getattr(module, kernel.entry), SMALL_ARGS[module_name], 2)
    rows = []
    for rec in list(engine._live.values()):
        if not rec.units:
            continue      # never compiled (not called, or outside the subset)
        row = {"kernel": module_name, "function": rec.name, "entry": rec.name == kernel.entry}
        for tier in (1, 2):
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                with compile_queue.LLVM_LOCK:
                    unit = compile_unit(engine, rec, tier)
                times.append((time.perf_counter() - start) * 1e3)
                row.setdefault("fns", {})[tier] = len(unit.functions)
                with compile_queue.LLVM_LOCK:
                    unit.close()
            row[f"t{tier}"] = times
        rows.append(row)
    return rows


def numba_worker(module_name: str) -> None:
    """Runs in a fresh process: the first call of the kernel's entry under @njit (Numba's cold
    first compile, as in a user's first cell), then of a second fresh @njit copy (warm)."""
    import warnings

    import numba
    warnings.simplefilter("ignore")      # reflected-list deprecation notes
    kernel = next(k for k in KERNELS if k.module == module_name)
    times = []
    for i in range(2):
        module = load_kernel(kernel.path, f"bench_compile_numba_{module_name}_{i}")
        for fn in top_level_functions(module):
            setattr(module, fn.__name__, numba.njit(fn))
        seconds = run_once(getattr(module, kernel.entry), SMALL_ARGS[module_name], 1)[1]
        times.append(seconds * 1e3)
    print(json.dumps({"cold": times[0], "warm": times[1]}))


def tierjit_cold_worker(module_name: str) -> None:
    """Runs in a fresh process (engine imported, LLVM not yet started): the entry's first
    tier-1 compile, LLVM's start and the shared runtime's compile included."""
    from tierjit.tiers.engine import Engine

    kernel = next(k for k in KERNELS if k.module == module_name)
    module = load_kernel(kernel.path, f"bench_compile_cold_{module_name}")
    engine = Engine()
    engine.configure(tier1_calls=1, tier2_calls=10**9, tier1_loops=10**9, tier2_loops=10**9, background=False)
    for fn in top_level_functions(module):
        setattr(module, fn.__name__, engine.register(fn, defined_in=kernel.path))
    run_once(getattr(module, kernel.entry), SMALL_ARGS[module_name], 1)
    rec = next(f for f in engine.stats()["functions"] if f["name"] == kernel.entry)
    print(json.dumps({"cold": rec["compiles"][0]["ms"]}))


def cold_times(worker: str, module_name: str, repeat: int, cache_dir: str | None = None) -> dict:
    """`repeat` fresh processes of `worker`: lists of their figures, or an error line.

    The processes may write bytecode caches, and one unmeasured process runs first: an
    installed package imports from its caches, so a cold figure must not include compiling
    tierjit's (or Numba's) Python sources, as it would where PYTHONDONTWRITEBYTECODE is set.
    `cache_dir` is tierjit's cache of the shared runtime's machine code (TIERJIT_CACHE_DIR; ""
    turns it off): the unmeasured process fills an empty one, as a user's first session does."""
    out: dict = {}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if cache_dir is not None:
        env["TIERJIT_CACHE_DIR"] = cache_dir
    for run in range(repeat + 1):
        proc = subprocess.run([sys.executable, "-m", "bench.compile_times", worker, module_name],
                              capture_output=True, text=True, timeout=900, env=env,
                              cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        if proc.returncode != 0:
            return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
        if run == 0:
            continue
        for key, value in json.loads(proc.stdout.strip().splitlines()[-1]).items():
            out.setdefault(key, []).append(value)
    return out


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _mmm(times: list[float]) -> str:
    return f"{min(times):.1f} / {statistics.median(times):.1f} / {max(times):.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="kernel file stems, e.g. fib nbody")
    parser.add_argument("--no-numba", action="store_true")
    parser.add_argument("--numba-worker", help=argparse.SUPPRESS)
    parser.add_argument("--tierjit-cold-worker", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.numba_worker:
        return numba_worker(opts.numba_worker)
    if opts.tierjit_cold_worker:
        return tierjit_cold_worker(opts.tierjit_cold_worker)
    use_numba = not opts.no_numba and numba_available()
    if not use_numba:
        print("Numba columns skipped: " + ("--no-numba" if opts.no_numba else "numba is not installed "
                                           "(pip install -e .[compare])"))
    modules = [m for m in dict.fromkeys(k.module for k in KERNELS) if not opts.only or m in opts.only]
    print(f"Compile ms per function, {opts.repeat} samples each, min / median / max. Warm: a process that "
          "has compiled before; cold: the first compile in a fresh process, with the shared runtime's "
          "machine code cached on disk by an earlier process, and with no cache (a first session).")
    print(f"{'kernel':15} {'function':16} {'fns':>5}  {'tierjit t1 warm':>20}  {'tierjit t2 warm':>20}  "
          f"{'tierjit t1 cold':>20}  {'t1 cold, no cache':>20}  {'Numba warm':>20}  {'Numba cold':>22}")
    t1_medians, t2_medians = [], []
    ratios: dict[str, list[float]] = {"warm": [], "cold": [], "no cache": []}
    with tempfile.TemporaryDirectory(prefix="tierjit-bench-cache-") as cache_dir:
        for name in modules:
            rows = tierjit_times(name, opts.repeat)
            ours = {"cold": cold_times("--tierjit-cold-worker", name, opts.repeat, cache_dir),
                    "no cache": cold_times("--tierjit-cold-worker", name, opts.repeat, "")}
            numba = cold_times("--numba-worker", name, opts.repeat) if use_numba else {}
            for row in rows:
                t1, t2 = statistics.median(row["t1"]), statistics.median(row["t2"])
                t1_medians.append(t1)
                t2_medians.append(t2)
                cells = ["", "", "", ""]
                if row["entry"]:
                    for i, times in enumerate(ours.values()):
                        cells[i] = ("error: " + times["error"][:30]) if "error" in times else _mmm(times["cold"])
                    if "error" in numba:
                        cells[2] = "error: " + numba["error"][:30]
                    elif numba:
                        cells[2], cells[3] = _mmm(numba["warm"]), _mmm(numba["cold"])
                        ratios["warm"].append(statistics.median(numba["warm"]) / t1)
                        for kind, times in ours.items():
                            if "cold" in times:
                                ratios[kind].append(statistics.median(numba["cold"]) / statistics.median(times["cold"]))
                fns = f"{row['fns'][1]}/{row['fns'][2]}"
                print(f"{name:15} {row['function']:16} {fns:>5}  {_mmm(row['t1']):>20}  {_mmm(row['t2']):>20}  "
                      f"{cells[0]:>20}  {cells[1]:>20}  {cells[2]:>20}  {cells[3]:>22}", flush=True)
    print()
    print(f"median over {len(t1_medians)} functions (warm): tier 1 {statistics.median(t1_medians):.1f} ms, "
          f"tier 2 {statistics.median(t2_medians):.1f} ms")
    labels = {"warm": "Numba warm first call / tierjit warm tier-1 compile",
              "cold": "Numba cold first call / tierjit cold tier-1 compile",
              "no cache": "Numba cold first call / tierjit cold tier-1 compile with no cache"}
    for kind, values in ratios.items():
        if values:
            print(f"{labels[kind]}, over entries: min {min(values):.1f}x, median {statistics.median(values):.1f}x, "
                  f"geometric mean {statistics.geometric_mean(values):.1f}x")


if __name__ == "__main__":
    main()
