"""The benchmark kernels: one plain-Python file each, plus this registry.

The registry says how each kernel is called (entry, argument, calls per run)
and what its answer must be; it never imports the kernel files, so the same
files run unchanged under CPython, tierjit, Numba and PyPy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

KERNEL_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Kernel:
    name: str            # row name in the table; `--only` matches a prefix of it
    module: str          # file stem in bench/kernels/ and bench/c/
    entry: str           # top-level function the harness calls
    arg: int | None      # its single int argument (None: called with no argument)
    quick_arg: int | None
    calls: int = 1       # calls of `entry` per timed run
    quick_calls: int = 1
    exact: object = None  # known exact answer (same argument in both modes)
    float_result: bool = False  # compare answers with a relative tolerance
    max_repeat: int | None = None  # caps repeats of very slow baselines
    note: str = ""

    @property
    def path(self) -> str:
        return os.path.join(KERNEL_DIR, self.module + ".py")

    def size(self, quick: bool) -> tuple[int | None, int]:
        """The (argument, calls per run) used in full or quick mode."""
        if quick:
            return self.quick_arg, self.quick_calls
        return self.arg, self.calls


KERNELS: tuple[Kernel, ...] = (
    Kernel("sum_of_squares_1e6", "sum_of_squares", "sum_of_squares", 10**6, 10**6,
           exact=333332833333500000, note="fits in int64"),
    Kernel("sum_of_squares_1e7", "sum_of_squares", "sum_of_squares", 10**7, 10**7,
           exact=333333283333335000000,
           note="exceeds int64: wrapping code returns 1291890006563070912"),
    Kernel("compute", "compute", "compute", None, None, calls=1000, quick_calls=20,
           max_repeat=3, note="empty loop of 10**6, called `calls` times"),
    Kernel("fib", "fib", "fib", 30, 24),
    Kernel("mandelbrot", "mandelbrot", "mandelbrot", 300, 60),
    Kernel("nbody", "nbody", "nbody", 100000, 5000, float_result=True),
    Kernel("spectral_norm", "spectral_norm", "spectral_norm", 200, 50, float_result=True),
    Kernel("sieve", "sieve", "sieve", 2000000, 100000),
    Kernel("matmul", "matmul", "matmul", 100, 30, float_result=True),
    Kernel("collatz", "collatz", "collatz", 100000, 3000),
    Kernel("dot", "dot", "dot", 200000, 10000, float_result=True),
)


def select(only: list[str] | None) -> list[Kernel]:
    """Kernels whose name starts with any of `only` (all kernels when empty)."""
    if not only:
        return list(KERNELS)
    return [k for k in KERNELS if any(k.name.startswith(o) for o in only)]
