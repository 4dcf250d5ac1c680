"""Loading a kernel file and timing its entry; also the script PyPy and CPython run.

Standard library only and Python 3.9 syntax, because Debian's pypy3 runs this
very file (`pypy3 timing.py ...`) to time the same kernel source in-process.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import types


def load_kernel(path: str, name: str) -> types.ModuleType:
    """A fresh module object executed from the kernel file at `path`.

    Compiling with the real path keeps `inspect.getsource` working (the JIT's
    frontend reads the source), and a fresh module per system means no system
    ever runs functions another one has rewritten.
    """
    module = types.ModuleType(name)
    module.__file__ = path
    # Numba resolves a recursive function's own symbol through sys.modules.
    sys.modules[name] = module
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    exec(code, module.__dict__)
    return module


def top_level_functions(module: types.ModuleType) -> list:
    """The functions the kernel file itself defines, in definition order."""
    return [v for v in list(module.__dict__.values())
            if isinstance(v, types.FunctionType) and v.__module__ == module.__name__]


def run_once(fn, arg, calls: int):
    """Call `fn` `calls` times; return (last result, seconds)."""
    t0 = time.perf_counter()
    result = None
    if arg is None:
        for _ in range(calls):
            result = fn()
    else:
        for _ in range(calls):
            result = fn(arg)
    return result, time.perf_counter() - t0


def warm_up(fn, arg, calls: int, min_runs: int, budget_s: float) -> int:
    """Run at least `min_runs` times and until `budget_s` has passed (at most 50 runs)."""
    runs = 0
    t0 = time.perf_counter()
    while runs < min_runs or (time.perf_counter() - t0 < budget_s and runs < 50):
        run_once(fn, arg, calls)
        runs += 1
    return runs


def measure_plain(path: str, entry: str, arg, calls: int, repeat: int,
                  warmup_runs: int, warmup_s: float) -> dict:
    """First run (time to result), warm-up, then `repeat` timed runs: for CPython and PyPy."""
    t0 = time.perf_counter()
    module = load_kernel(path, "bench_kernel_plain")
    fn = getattr(module, entry)
    result, first_call = run_once(fn, arg, 1)
    if calls > 1:
        result = run_once(fn, arg, calls - 1)[0]
    ttr = time.perf_counter() - t0
    runs = warm_up(fn, arg, calls, warmup_runs, warmup_s)
    times = [run_once(fn, arg, calls)[1] for _ in range(repeat)]
    return {"answer": repr(result), "first": first_call, "ttr": ttr,
            "warmup_runs": 1 + runs, "times": times,
            "version": platform.python_implementation() + " " + platform.python_version()}


def main(argv: list[str]) -> int:
    if len(argv) != 7:
        print("usage: timing.py PATH ENTRY ARG|- CALLS REPEAT WARMUP_RUNS WARMUP_S",
              file=sys.stderr)
        return 2
    path, entry, arg_text, calls, repeat, warmup_runs, warmup_s = argv
    arg = None if arg_text == "-" else int(arg_text)
    doc = measure_plain(path, entry, arg, int(calls), int(repeat),
                        int(warmup_runs), float(warmup_s))
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
