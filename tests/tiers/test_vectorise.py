"""Tier 2's four-wide path for element-wise float64 loops (tiers/vectorise.py).

Each case runs on CPython and at tier 2 and must agree exactly (values bit for bit, exceptions,
numpy's RuntimeWarnings, the arrays afterwards), and the compiled code must really have taken
the vector path: `%jit_explain`'s summary names the vectorised loops. Lengths around multiples of
four test the scalar remainder; inf and NaN inside a group test the hand-over to the checked loop
(no item of the group stored, numpy's warning raised once per operation as in CPython); views that
overlap and arrays that are read-only or strided must leave the vector path alone.
"""

import numpy as np
import pytest

from tierharness import Fresh, differential, engine, record_for

pytestmark = pytest.mark.timeout(300)

NAN, INF = float("nan"), float("inf")


def arange(n, scale=1.0):
    return np.arange(n, dtype=np.float64) * scale + 0.25


AXPY = """
import numpy as np

def axpy(out, a, b, k):
    for i in range(len(a)):
        out[i] = a[i] * k + b[i]
    return i
"""

SCALE_FROM = """
def scale(out, a, start, k):
    for i in range(start, len(a)):
        out[i] = -a[i] / k
    return out
"""

SHIFTED = """
import numpy as np

def axpy(out, a, b, k):
    for i in range(len(a)):
        out[i] = a[i] * k + b[i]

def shifted(x):
    axpy(x[2:], x[:-2], x[:-2], 1.0)
    return x

def in_place(x):
    axpy(x, x, x, 2.0)
    return x
"""


def vector_loops(name: str) -> str:
    summary = engine().explain(name)["summary"]
    line = next((ln for ln in summary.splitlines() if "loops vectorised" in ln), "")
    return line


def check_vectorised(name: str) -> None:
    record = record_for(name)
    assert record["tier"] == 2, record
    assert "four items at a time" in vector_loops(name), engine().explain(name)["summary"]


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 8, 13, 1030, 2100])
def test_axpy_matches_cpython_for_every_length(n):
    args = (np.zeros(n), arange(n), arange(n, -0.5), 1.5)
    if n == 0:
        # `return i` with no iteration raises UnboundLocalError on both
        differential(AXPY, "axpy", [args], tier=2)
        return
    differential(AXPY, "axpy", [args, (np.zeros(n), arange(n, 2.0), arange(n), -3.0)], tier=2)
    check_vectorised("axpy")


def test_inf_and_nan_inside_a_group_give_numpys_warnings_and_values():
    a = arange(40)
    a[9], a[21], a[30] = 1e308, INF, NAN
    b = arange(40)
    b[22] = -INF
    calls = [(np.zeros(40), arange(40), arange(40), 2.0),
             (np.zeros(40), a, b, 10.0),        # overflow, inf + -inf (invalid), NaN passing through
             (np.zeros(40), arange(40), arange(40), 0.0)]
    run = differential(AXPY, "axpy", calls, tier=2)
    assert run.want[-2].warnings, "the case must make numpy warn"
    check_vectorised("axpy")


def test_division_by_zero_and_negative_zero():
    calls = [(np.zeros(9), arange(9), 0, 2.0),
             (np.zeros(9), np.array([0.0, -0.0, 1.0, -1.0, 2.0, 3.0, NAN, 4.0, 5.0]), 0, -0.0),
             (np.zeros(9), np.array([0.0, -0.0, 1.0, -1.0, 2.0, 3.0, 4.0, 4.0, 5.0]), 0, -2.0),
             (np.zeros(9), arange(9), 0, 0.0)]
    differential(SCALE_FROM, "scale", calls, tier=2)
    check_vectorised("scale")


def test_a_negative_start_reads_from_the_end_as_python_does():
    calls = [(np.zeros(10), arange(10), 0, 2.0), (np.zeros(10), arange(10), -3, 2.0),
             (np.zeros(10), arange(10), 7, 2.0), (np.zeros(10), arange(10), 12, 2.0)]
    differential(SCALE_FROM, "scale", calls, tier=2)
    check_vectorised("scale")


def test_overlapping_views_and_in_place_updates_match_the_scalar_loop():
    calls = [(arange(30),), (arange(7),), (arange(1030),)]
    differential(SHIFTED, "shifted", calls, tier=0)     # reference behaviour at tier 0
    # `shifted` slices, so it stays on tier 0 and calls axpy through Python; `in_place` compiles
    # and calls axpy natively (inlined at tier 2), so the vector loop is part of its own code
    for func, compiled in (("shifted", "axpy"), ("in_place", "in_place")):
        run = differential(SHIFTED, func, calls, tier=2)
        assert run.got[-1].error is None
        check_vectorised(compiled)


def test_read_only_strided_and_python_float_arguments():
    def readonly(n):
        def make():
            a = np.zeros(n)
            a.flags.writeable = False
            return a
        return Fresh(make, f"readonly(zeros({n}))")

    def strided(n):
        return Fresh(lambda: arange(2 * n)[::2], f"arange({2 * n})[::2]")

    calls = [(np.zeros(12), arange(12), arange(12), 2.0),
             (readonly(12), arange(12), arange(12), 2.0),     # numpy's ValueError, nothing stored
             (np.zeros(12), strided(12), arange(12), 2.0),    # not contiguous: the checked loop
             (strided(12), arange(12), arange(12), 2.0)]
    differential(AXPY, "axpy", calls, tier=2)
    check_vectorised("axpy")


def test_numpy_scalar_factor():
    calls = [(np.zeros(12), arange(12), arange(12), np.float64(0.5)),
             (np.zeros(12), arange(12), arange(12), np.float64(-1e308))]
    differential(AXPY, "axpy", calls, tier=2)
    check_vectorised("axpy")


def test_code_compiled_before_numpy_is_imported_does_not_turn_arrays_off(tmp_path):
    """A tier-2 compile asks whether numpy arrays are native; asked before `import numpy`, the
    answer must not stick (a notebook's first cells often run before it imports numpy)."""
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "late_numpy.py"
    script.write_text(textwrap.dedent("""
        import sys
        from tierjit.tiers import engine
        eng = engine()
        eng.configure(tier1_calls=1, tier2_calls=2, background=False)

        def squares(n):
            t = 0
            for i in range(n):
                t += i * i
            return t

        squares = eng.register(squares, defined_in="late")
        for _ in range(4):
            squares(10)
        assert eng.find("squares").tier == 2 and "numpy" not in sys.modules

        import numpy as np
        def add(xs, ys, zs):
            for i in range(len(xs)):
                zs[i] = xs[i] + ys[i]
            return 0

        add = eng.register(add, defined_in="late")
        for _ in range(4):
            add(np.ones(9), np.ones(9), np.zeros(9))
        print(eng.find("add").tier, eng.find("add").arg_types[-1][0])
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "ndarray[float64]"], out.stdout + out.stderr
