"""numpy loops, tierjit vs CPython side by side in one process: `python -m bench.numpy_arrays`.

Three kernels over 1-D arrays: a float dot product (`s = 0.0; s += a[i] * b[i]`), an
element-wise `out[i] = a[i] * k + b[i]` (vectorised at tier 2), and an int64 sum started
from a Python int (`int|np.int64`). Each runs `--repeat` times per system, interleaved;
the table gives min/median/max milliseconds and the ratio of medians.
"""

from __future__ import annotations

import argparse
import linecache
import statistics
import time
import types

SOURCE = '''
def dot(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


def axpy(out, a, b, k):
    for i in range(len(a)):
        out[i] = a[i] * k + b[i]


def int_sum(a):
    t = 0
    for x in a:
        t += x
    return t
'''


def load(name: str) -> dict:
    filename = f"<bench-numpy-{name}>"
    linecache.cache[filename] = (len(SOURCE), None, SOURCE.splitlines(True), filename)
    ns: dict = {"__name__": filename}
    exec(compile(SOURCE, filename, "exec"), ns)
    return ns


def main() -> None:
    import numpy as np
    from tierjit.tiers import engine as get_engine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6)
    parser.add_argument("--repeat", type=int, default=7)
    opts = parser.parse_args()
    engine = get_engine()
    engine.configure(tier1_calls=1, tier2_calls=3, background=False)
    jitted, plain = load("jit"), load("plain")
    for key, value in list(jitted.items()):
        if isinstance(value, types.FunctionType):
            jitted[key] = engine.register(value, defined_in="<bench-numpy-jit>")
    rng = np.random.default_rng(1)
    a, b, out = rng.random(opts.n), rng.random(opts.n), np.zeros(opts.n)
    ints = np.arange(opts.n, dtype=np.int64)
    cases = [("dot", (a, b)), ("axpy", (out, a, b, 2.0)), ("int_sum", (ints,))]
    print(f"n = {opts.n}, {opts.repeat} runs each, ms min/median/max\n")
    print("| kernel | CPython | tierjit (tier 2) | speed-up (medians) | same answer |")
    print("|---|---|---|---|---|")
    for name, args in cases:
        for _ in range(4):                       # tier 1, then tier 2 (foreground compiles)
            jitted[name](*args)
        times: dict[str, list[float]] = {"cpython": [], "tierjit": []}
        answers = {}
        for _ in range(opts.repeat):
            for system, ns in (("cpython", plain), ("tierjit", jitted)):
                t = time.perf_counter()
                answers[system] = ns[name](*args)
                times[system].append((time.perf_counter() - t) * 1e3)
        cell = lambda xs: f"{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f}"   # noqa: E731
        same = repr(answers["cpython"]) == repr(answers["tierjit"])
        ratio = statistics.median(times["cpython"]) / statistics.median(times["tierjit"])
        print(f"| {name} | {cell(times['cpython'])} | {cell(times['tierjit'])} | {ratio:.1f}x | {same} |")
    tiers = {r["name"]: r["tier"] for r in engine.stats()["functions"]}
    print(f"\ntiers reached: {tiers}")


if __name__ == "__main__":
    main()
