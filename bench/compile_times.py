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

Numba's columns are the first call of a freshly `@njit`-ed copy of the kernel with the same small
argument (its compile, callees included, plus a negligible run) in a fresh process: cold (the
first copy, after `import numba`) and warm (a second copy in the same process, so Numba's
one-time start-up is not counted against it). Numba compiles only on a call, so it has figures
for entries only.

How the Numba/tierjit ratios are sampled. The machine is shared and its speed can change by 2x
within minutes. If all of one side's samples were taken first and all of the other's after,
such a change would land in the ratio. So the samples are taken in pairs: for each entry,
`--repeat` rounds, and in each round one Numba process and, right next to it, this round's
tierjit figures: the warm tier-1 compile (the median of 3 back-to-back compiles in this process,
so one stray slow compile does not decide the round) and one fresh tierjit process with the
runtime cache, one without. Each round gives its own ratios (Numba warm / tierjit warm, Numba
cold / tierjit cold, Numba cold / tierjit cold with no cache). Both sides of a round ran within
a few seconds of each other, on a machine at about the same speed, so a slow-down that lasts
longer than that scales both and cancels out of the round's ratio. Numba runs first on even
rounds and tierjit first on odd ones, so neither side always runs right after the other (a
process that just ended can leave the machine busy for a moment). An entry's ratio is the
median of its rounds' ratios (min/median/max shown); the summary lines take the median and
geometric mean of those per-entry medians.
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
NEVER = 10**9
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# each ratio: (Numba figure, tierjit figure), keys of a round's figures
RATIOS = {"warm": ("numba warm", "t1 warm"), "cold": ("numba cold", "cold"),
          "no cache": ("numba cold", "no cache")}
RATIO_LABELS = {"warm": "Numba warm first call / tierjit warm tier-1 compile",
                "cold": "Numba cold first call / tierjit cold tier-1 compile",
                "no cache": "Numba cold first call / tierjit cold tier-1 compile with no cache"}


def kernel_of(module_name: str):
    return next(k for k in KERNELS if k.module == module_name)


def profiled_engine(module_name: str, name_prefix: str, calls: int):
    """An engine (tier-1 threshold 1, nothing else) that has run the kernel's entry with its
    small argument, so every function it reached is compiled at tier 1 for its usual types."""
    from tierjit.tiers.engine import Engine

    kernel = kernel_of(module_name)
    module = load_kernel(kernel.path, f"{name_prefix}_{module_name}")
    engine = Engine()
    engine.configure(tier1_calls=1, tier2_calls=NEVER, tier1_loops=NEVER, tier2_loops=NEVER, background=False)
    for fn in top_level_functions(module):
        setattr(module, fn.__name__, engine.register(fn, defined_in=kernel.path))
    run_once(getattr(module, kernel.entry), SMALL_ARGS[module_name], calls)
    return engine


def compile_ms(engine, rec, tier: int) -> tuple[float, int]:
    """One fresh compile of `rec` at `tier`, freed afterwards: (ms, functions in the unit)."""
    from tierjit.tiers import compile_queue
    from tierjit.tiers.compiler import compile_unit

    start = time.perf_counter()
    with compile_queue.LLVM_LOCK:
        unit = compile_unit(engine, rec, tier)
    ms = (time.perf_counter() - start) * 1e3
    with compile_queue.LLVM_LOCK:
        unit.close()
    return ms, len(unit.functions)


def function_rows(module_name: str, engine, repeat: int) -> list[dict]:
    """The table's warm figures: every compiled function, `repeat` compiles at each tier."""
    rows = []
    for rec in list(engine._live.values()):
        if not rec.units:
            continue      # never compiled (not called, or outside the subset)
        row = {"function": rec.name, "entry": rec.name == kernel_of(module_name).entry, "fns": {}, "rec": rec}
        for tier in (1, 2):
            samples = [compile_ms(engine, rec, tier) for _ in range(repeat)]
            row[f"t{tier}"] = [ms for ms, _ in samples]
            row["fns"][tier] = samples[-1][1]
        rows.append(row)
    return rows


def numba_worker(module_name: str) -> None:
    """Runs in a fresh process: the first call of the kernel's entry under @njit (Numba's cold
    first compile, as in a user's first cell), then of a second fresh @njit copy (warm)."""
    import warnings

    import numba
    warnings.simplefilter("ignore")      # reflected-list deprecation notes
    kernel = kernel_of(module_name)
    times = []
    for i in range(2):
        module = load_kernel(kernel.path, f"bench_compile_numba_{module_name}_{i}")
        for fn in top_level_functions(module):
            setattr(module, fn.__name__, numba.njit(fn))
        seconds = run_once(getattr(module, kernel.entry), SMALL_ARGS[module_name], 1)[1]
        times.append(seconds * 1e3)
    print(json.dumps({"numba cold": times[0], "numba warm": times[1]}))


def tierjit_cold_worker(module_name: str) -> None:
    """Runs in a fresh process (engine imported, LLVM not yet started): the entry's first
    tier-1 compile, LLVM's start and the shared runtime's compile included."""
    engine = profiled_engine(module_name, "bench_compile_cold", 1)
    rec = next(f for f in engine.stats()["functions"] if f["name"] == kernel_of(module_name).entry)
    print(json.dumps({"cold": rec["compiles"][0]["ms"]}))


def run_worker(worker: str, module_name: str, cache_dir: str | None = None) -> dict:
    """One fresh process of `worker`: the figures it prints, or {"error": its last stderr line}.

    `cache_dir` is tierjit's on-disk cache of the shared runtime's machine code
    (TIERJIT_CACHE_DIR; "" turns it off). The process may write bytecode caches: an installed
    package imports from its caches, so a cold figure must not include compiling tierjit's (or
    Numba's) Python sources, as it would where PYTHONDONTWRITEBYTECODE is set."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if cache_dir is not None:
        env["TIERJIT_CACHE_DIR"] = cache_dir
    proc = subprocess.run([sys.executable, "-m", "bench.compile_times", worker, module_name],
                          capture_output=True, text=True, timeout=900, env=env, cwd=REPO)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def figure(out: dict, key: str) -> float | str:
    """A worker's figure, or the error that kept it from printing one (shown in its cell)."""
    return out[key] if key in out else "error: " + out.get("error", "no figure")


def numba_side(module_name: str) -> dict:
    out = run_worker("--numba-worker", module_name)
    return {key: figure(out, key) for key in ("numba cold", "numba warm")}


def tierjit_side(module_name: str, engine, rec, cache_dir: str) -> dict:
    """This round's tierjit figures: the warm tier-1 compile of the entry (median of 3, so a
    round does not rest on one compile) and its first compile in a fresh process, with the
    runtime cache and without."""
    warm = statistics.median(compile_ms(engine, rec, 1)[0] for _ in range(3))
    cold = run_worker("--tierjit-cold-worker", module_name, cache_dir)
    no_cache = run_worker("--tierjit-cold-worker", module_name, "")
    return {"t1 warm": warm, "cold": figure(cold, "cold"), "no cache": figure(no_cache, "cold")}


def warm_up_workers(module_name: str, cache_dir: str, use_numba: bool) -> None:
    """One unmeasured process of each kind first: it writes the bytecode caches later processes
    import from, and fills an empty runtime cache, as a user's first session does."""
    run_worker("--tierjit-cold-worker", module_name, cache_dir)
    run_worker("--tierjit-cold-worker", module_name, "")
    if use_numba:
        run_worker("--numba-worker", module_name)


def paired_rounds(module_name: str, engine, rec, repeat: int, cache_dir: str, use_numba: bool) -> list[dict]:
    """`repeat` rounds, each one sample of every figure taken close together (see the module
    docstring); the order of the two sides alternates from round to round."""
    sides = [lambda: tierjit_side(module_name, engine, rec, cache_dir)]
    if use_numba:
        sides.insert(0, lambda: numba_side(module_name))
    rounds = []
    for r in range(repeat):
        figures: dict = {}
        for side in (sides if r % 2 == 0 else sides[::-1]):    # Numba first on even rounds
            figures.update(side())
        rounds.append(figures)
    return rounds


def round_ratios(figures: dict) -> dict:
    """This round's Numba/tierjit ratios, for the figures both sides produced."""
    ok = {k: v for k, v in figures.items() if isinstance(v, (int, float))}
    return {kind: ok[a] / ok[b] for kind, (a, b) in RATIOS.items() if a in ok and b in ok}


def column(rounds: list[dict], key: str) -> str:
    """A figure over the rounds, min / median / max, or the error that kept it out."""
    values = [f[key] for f in rounds if isinstance(f.get(key), (int, float))]
    if values:
        return _mmm(values)
    return next((f[key][:37] for f in rounds if key in f), "")


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _mmm(times: list[float], fmt: str = "{:.1f}") -> str:
    return " / ".join(fmt.format(x) for x in (min(times), statistics.median(times), max(times)))


def print_entry_ratios(entry_ratios: list[tuple[str, str, dict]], repeat: int) -> None:
    print()
    print(f"Numba / tierjit per entry, one ratio per paired round ({repeat} rounds; Numba first on even "
          "rounds, tierjit first on odd): warm to warm min / median / max, cold and no-cache medians.")
    print(f"{'kernel':15} {'entry':16} {'warm ratio':>24}  {'cold ratio':>10}  {'no-cache ratio':>14}")
    for name, entry, ratios in entry_ratios:
        cells = [_mmm(ratios["warm"], "{:.1f}x") if ratios["warm"] else "-"]
        cells += [f"{statistics.median(ratios[k]):.1f}x" if ratios[k] else "-" for k in ("cold", "no cache")]
        print(f"{name:15} {entry:16} {cells[0]:>24}  {cells[1]:>10}  {cells[2]:>14}")


def print_summary(t1_medians: list[float], t2_medians: list[float], entry_ratios: list) -> None:
    print()
    print(f"median over {len(t1_medians)} functions (warm): tier 1 {statistics.median(t1_medians):.1f} ms, "
          f"tier 2 {statistics.median(t2_medians):.1f} ms")
    for kind, label in RATIO_LABELS.items():
        medians = [statistics.median(r[kind]) for _, _, r in entry_ratios if r[kind]]
        if medians:
            print(f"{label}, over {len(medians)} entries (each the median of its rounds): min {min(medians):.1f}x, "
                  f"median {statistics.median(medians):.1f}x, geometric mean {statistics.geometric_mean(medians):.1f}x")


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
          "machine code cached on disk by an earlier process, and with no cache (a first session). "
          "Cold and Numba columns: one sample per paired round.")
    print(f"{'kernel':15} {'function':16} {'fns':>5}  {'tierjit t1 warm':>20}  {'tierjit t2 warm':>20}  "
          f"{'tierjit t1 cold':>20}  {'t1 cold, no cache':>20}  {'Numba warm':>20}  {'Numba cold':>22}")
    t1_medians, t2_medians, entry_ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="tierjit-bench-cache-") as cache_dir:
        for name in modules:
            engine = profiled_engine(name, "bench_compile", 2)
            rows = function_rows(name, engine, opts.repeat)
            entry = next(row for row in rows if row["entry"])
            warm_up_workers(name, cache_dir, use_numba)
            rounds = paired_rounds(name, engine, entry["rec"], opts.repeat, cache_dir, use_numba)
            if use_numba:
                per_round = [round_ratios(f) for f in rounds]
                entry_ratios.append((name, entry["function"], {k: [r[k] for r in per_round if k in r] for k in RATIOS}))
            for row in rows:
                t1_medians.append(statistics.median(row["t1"]))
                t2_medians.append(statistics.median(row["t2"]))
                keys = ("cold", "no cache", "numba warm", "numba cold") if row["entry"] else ()
                cells = [column(rounds, key) for key in keys] or ["", "", "", ""]
                fns = f"{row['fns'][1]}/{row['fns'][2]}"
                print(f"{name:15} {row['function']:16} {fns:>5}  {_mmm(row['t1']):>20}  {_mmm(row['t2']):>20}  "
                      f"{cells[0]:>20}  {cells[1]:>20}  {cells[2]:>20}  {cells[3]:>22}", flush=True)
    if entry_ratios:
        print_entry_ratios(entry_ratios, opts.repeat)
    print_summary(t1_medians, t2_medians, entry_ratios)


if __name__ == "__main__":
    main()
