"""Differential tests for numpy 1-D arrays and numpy scalars: each case runs on plain
CPython + numpy and under tierjit pinned to tier 0, 1 and 2, and every call must agree
exactly: the value (numpy arrays and scalars by dtype and value, floats bit for bit), the
exception (type and message), printed output, the arguments afterwards (array stores the
caller sees) and the warnings emitted (numpy's RuntimeWarnings, in order and number).

Covered: float64 and int64 arrays, C-contiguous and strided (`a[::2]`, `a[::-1]`) and
read-only; `len(a)`, `a[i]` with negative and out-of-range indices, `a[i] = x` and
`a[i] += x` with the conversions numpy does on store (float into int64 truncates, NaN is a
ValueError, 2**70 an OverflowError, a read-only array a ValueError); `for x in a` with
break/else; dot product, int64 sum that wraps, element-wise kernels, in-place scaling,
prefix sums; one JIT'd function calling another with an array; a type guard (float64,
then int64, then a list, float32, int32, 2-D); np.float64 / np.int64 arithmetic against
each other and Python ints, floats and bools under numpy 2's rules (int64 wraps with a
warning, division by zero gives inf/nan/0 with a warning, np.int64 ** -1 is a
ValueError), comparisons (np.bool_), unary minus, abs, float(), int(), round(),
min()/max(), math.sqrt/floor, print(). A hypothesis test runs random arrays (NaN, inf,
-0.0, int64 extremes) through a set of fixed kernels at tiers 1 and 2.

Arguments are deep-copied for every call. A deep copy of a view is a contiguous
writeable array, so strided and read-only arguments are `Fresh` objects whose deepcopy
builds the view anew.
"""

import math
import os
import tempfile
import textwrap

import numpy as np
import pytest
from hypothesis import given, note, seed, settings
from hypothesis import strategies as st

from tierharness import (
    TIER_SETTINGS, Fresh, assert_climbed, assert_reached, assert_same_outcomes, calls_on, differential,
    fuzz_settings, jitted, load, record_for, run_calls, safe_repr, summary, time_limit,
)

pytestmark = pytest.mark.timeout(300)

NAN = float("nan")
INF = float("inf")
I64_MAX = 2**63 - 1
I64_MIN = -2**63
f64 = np.float64
i64 = np.int64

HEADER = "import math\nimport numpy as np\n"


def case(case_id, source, func, calls):
    return pytest.param(HEADER + textwrap.dedent(source), func, calls, id=case_id)


def farr(*xs):
    return np.array(xs, dtype=np.float64)


def iarr(*xs):
    return np.array(xs, dtype=np.int64)


def strided(base, step):
    return Fresh(lambda: np.array(base)[::step], f"{np.array(base)!r}[::{step}]")


def readonly(base):
    def make():
        a = np.array(base)
        a.flags.writeable = False
        return a
    return Fresh(make, f"readonly({np.array(base)!r})")


# --- arrays --------------------------------------------------------------------------

ARRAY_CASES = [
    case("dot-float64", """
        def dot(a, b):
            s = 0.0
            for i in range(len(a)):
                s += a[i] * b[i]
            return s
        """, "dot", [(farr(1.0, 2.0, 3.0), farr(4.0, 5.0, 6.0)), (farr(), farr()),
                     (farr(0.1, 0.2), farr(0.3, -0.0)), (farr(-0.0), farr(5.0)),
                     (farr(1e200, 1.0), farr(1e200, 2.0)), (farr(INF, 1.0), farr(0.0, 1.0)),
                     (farr(NAN, 1.0), farr(1.0, 1.0)), (farr(1.0, 2.0), farr(1.0))]),
    # an index that is not an int (a bool: numpy reads it as a mask) goes through numpy's own
    # item access with the array read in place from its local; it crashed once, releasing the
    # array it did not own
    case("bool-index-reads-and-stores", """
        def masked(a, k):
            s = 0.0
            for _ in range(3):
                s += a[k]
                a[k] = 1.5
            return s
        """, "masked", [(farr(1.0, 2.0), True), (farr(1.0, 2.0), False), (farr(), True)]),
    case("sum-int64-wraps", """
        def total(a):
            s = 0
            for x in a:
                s += x
            return s
        """, "total", [(iarr(1, 2, 3),), (iarr(),), (iarr(I64_MAX, 1),),
                       (iarr(I64_MIN, -1, -1),), (iarr(I64_MAX, I64_MAX, I64_MAX, 5),),
                       (iarr(I64_MAX, 1, -1),)]),
    # an accumulator that starts as a Python int and becomes a numpy int64 (type int|np.int64)
    case("int-accumulator-from-a-python-int", """
        def total(a, start, k):
            s = start
            for i in range(len(a)):
                s = s * k + a[i]
                if s > 10**15:
                    s = -s // 7
                elif s < -10**15:
                    s = ~s % 1000
            return s, -s, abs(s), +s, ~s, s / 4, s * 0.5, s // 3, s % 5, s & 255, int(s), float(s), s == 3
        """, "total", [(iarr(1, 2, 3), 0, 3), (iarr(), 5, 2), (iarr(), 2**70, 2), (iarr(1), 2**70, 2),
                       (iarr(I64_MAX, 1), 0, 1), (iarr(5, 6, 7), -3, -2), (iarr(I64_MIN, -1), 0, 1),
                       (iarr(*range(40)), 1, 3), (iarr(9), 0, 0), (iarr(3, 4), True, 2)]),
    case("int-accumulator-passed-on", """
        def step(s, x):
            return s + x

        def total(a):
            s = 0
            for x in a:
                s = step(s, x)
            return s
        """, "total", [(iarr(1, 2, 3),), (iarr(),), (iarr(I64_MAX, 1),)]),
    case("sum-by-index-from-first", """
        def total(a):
            s = a[0]
            for i in range(1, len(a)):
                s = s + a[i]
            return s
        """, "total", [(iarr(4, 5, 6),), (iarr(I64_MAX, I64_MAX),), (iarr(7),), (iarr(),)]),
    case("sum-float64", """
        def total(a):
            s = 0
            for x in a:
                s += x
            return s
        """, "total", [(farr(0.5, 1.5, -2.0),), (farr(),), (farr(1e308, 1e308),),
                       (farr(INF, -INF),), (farr(-0.0, -0.0),), (farr(0.1, 0.2, 0.3),)]),
    case("elementwise-into-out", """
        def axpy(a, b, out):
            for i in range(len(a)):
                out[i] = a[i] * 2.0 + b[i]
            return out
        """, "axpy", [(farr(1.0, 2.0, 3.0), farr(0.5, 0.5, 0.5), np.zeros(3)),
                      (farr(), farr(), np.zeros(0)),
                      (farr(1e308, -0.0), farr(1e308, -0.0), np.zeros(2)),
                      (farr(1.0, 2.0, 3.0), farr(1.0, 2.0), np.zeros(3)),
                      (farr(1.0, 2.0), farr(1.0, 2.0), np.zeros(1))]),
    case("elementwise-int64-into-int64", """
        def axpy(a, b, out):
            for i in range(len(a)):
                out[i] = a[i] * 2.0 + b[i]
            return out
        """, "axpy", [(iarr(1, 2, 3), iarr(4, 5, 6), np.zeros(3, dtype=np.int64)),
                      (iarr(-3, 2**52 + 1), iarr(1, 3), np.zeros(2, dtype=np.int64)),
                      (iarr(2**62, 1), iarr(2**62, 1), np.zeros(2, dtype=np.int64))]),
    case("scale-in-place-float64", """
        def scale(a, k):
            for i in range(len(a)):
                a[i] *= k
        """, "scale", [(farr(1.0, -2.0, 3.5), 2.5), (farr(1.0, 0.0), -0.0), (farr(), 3.0),
                       (farr(1.0, 0.0), INF), (farr(1e300, 1.0), 1e10),
                       (farr(1.0, 2.0), f64(0.5)), (farr(1.0, 2.0), i64(3)),
                       (farr(1.0, 2.0), 3), (farr(1.0, 2.0), True)]),
    case("scale-in-place-int64", """
        def scale(a, k):
            for i in range(len(a)):
                a[i] = a[i] * k
            return a
        """, "scale", [(iarr(1, -2, 3), 3), (iarr(2**62, 1), 4), (iarr(5, 7), 0.5),
                       (iarr(5, 7), NAN), (iarr(5, 7), i64(-1)), (iarr(5, 7), f64(2.5)),
                       (iarr(I64_MIN, 1), -1), (iarr(5, 7), 2**70)]),
    case("prefix-sums", """
        def prefix(a):
            for i in range(1, len(a)):
                a[i] += a[i - 1]
            return a
        """, "prefix", [(iarr(1, 2, 3, 4),), (iarr(),), (iarr(9),),
                        (iarr(I64_MAX, 1, 1),), (farr(0.5, 0.25, -0.75),),
                        (farr(1e308, 1e308, -INF),)]),
    case("strided-view-argument", """
        def weigh(a):
            s = 0.0
            for i in range(len(a)):
                s += a[i] * (i + 1)
                a[i] = -a[i]
            return (len(a), s, a[0], a[-1])
        """, "weigh", [(strided([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2),),
                       (strided([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], -1),),
                       (strided([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 3),),
                       (strided(np.arange(10, dtype=np.int64), 4),),
                       (strided(np.arange(10, dtype=np.int64), -3),),
                       (farr(1.0, 2.0),), (strided([1.0], 5),), (strided([1.0, 2.0], 5),)]),
    case("strided-for-loop", """
        def total(a):
            s = 0
            n = 0
            for x in a:
                s += x
                n += 1
            return (s, n)
        """, "total", [(strided(np.arange(20, dtype=np.int64), 3),),
                       (strided(np.arange(20, dtype=np.int64), -7),),
                       (strided([I64_MAX, 0, I64_MAX], 2),), (iarr(1, 2),)]),
    case("negative-indices", """
        def ends(a):
            return (a[-1], a[-len(a)], a[0] + a[-1], a[len(a) - 1] == a[-1])
        """, "ends", [(farr(1.5, 2.5, 3.5),), (iarr(7),), (iarr(I64_MAX, 0, 1),),
                      (farr(-0.0, NAN),), (strided([1.0, 2.0, 3.0, 4.0], -2),)]),
    case("index-out-of-range-read", """
        def at(a, i):
            return a[i]
        """, "at", [(farr(1.0, 2.0, 3.0), 0), (farr(1.0, 2.0, 3.0), 2),
                    (farr(1.0, 2.0, 3.0), 3), (farr(1.0, 2.0, 3.0), -3),
                    (farr(1.0, 2.0, 3.0), -4), (farr(1.0, 2.0, 3.0), I64_MAX),
                    (farr(1.0, 2.0, 3.0), I64_MIN), (farr(), 0), (farr(), -1),
                    (strided([1.0, 2.0, 3.0], 2), 2)]),
    case("index-out-of-range-read-int64", """
        def at(a, i):
            return a[i] + 1
        """, "at", [(iarr(1, 2), 1), (iarr(1, 2), 2), (iarr(1, 2), -3), (iarr(), 0)]),
    case("index-past-int64", """
        def at(a, i):
            return a[i]
        """, "at", [(farr(1.0, 2.0), 1), (farr(1.0, 2.0), 2**63), (farr(1.0, 2.0), 2**70),
                    (farr(1.0, 2.0), -2**70)]),
    case("index-out-of-range-write", """
        def put(a, i, x):
            a[i] = x
            return a
        """, "put", [(farr(1.0, 2.0), 1, 9.5), (farr(1.0, 2.0), 2, 9.5),
                     (farr(1.0, 2.0), -2, 9.5), (farr(1.0, 2.0), -3, 9.5),
                     (farr(), 0, 1.0), (farr(1.0, 2.0), I64_MAX, 1.0),
                     (farr(1.0, 2.0), I64_MIN, 1.0), (farr(1.0, 2.0), 5, NAN)]),
    case("readonly-store", """
        def put(a, i, x):
            y = a[i]
            a[i] = x
            return y
        """, "put", [(farr(1.0, 2.0), 0, 5.0), (readonly([1.0, 2.0]), 0, 5.0),
                     (readonly([1.0, 2.0]), 5, 5.0), (readonly(iarr(1, 2)), 1, NAN),
                     (readonly(iarr(1, 2)), 1, 3)]),
    case("readonly-read-only-is-fine", """
        def total(a):
            s = 0.0
            for i in range(len(a)):
                s += a[i]
            for x in a:
                s += x
            return s
        """, "total", [(farr(1.0, 2.0),), (readonly([1.0, 2.5]),), (readonly(farr()),)]),
    case("store-into-int64", """
        def put(a, x):
            a[1] = x
            return a
        """, "put", [(iarr(1, 100, 3), x) for x in [
            7, 2.7, -2.7, -0.0, NAN, INF, 2**70, 2**63, I64_MIN, I64_MIN - 1, 1e19, True,
            np.True_, i64(-9), f64(3.9), f64(NAN), f64(1e20)]]),
    case("store-into-float64", """
        def put(a, x):
            a[0] = x
            return a
        """, "put", [(farr(1.0, 2.0), x) for x in [
            7.5, 3, -0.0, NAN, 2**53 + 1, 2**70, 2**1100, True, i64(2**62 + 1), f64(-INF),
            np.False_]]),
    case("augmented-store-int64", """
        def bump(a, x):
            for i in range(len(a)):
                a[i] += x
            return a
        """, "bump", [(iarr(1, 2, 3), 2), (iarr(1, 2, 3), 2.7), (iarr(1, 2), f64(0.5)),
                      (iarr(I64_MAX, 0), 1), (iarr(I64_MAX, 0), 2**62),
                      (iarr(1, 2), NAN), (iarr(1, 2), True), (iarr(1, 2), 2**70)]),
    case("for-break-else", """
        def find(a, target):
            n = 0
            for x in a:
                n += 1
                if x == target:
                    r = x
                    break
            else:
                r = -1
            return (r, n)
        """, "find", [(farr(1.0, 2.0, 3.0), 2), (farr(1.0, 2.0, 3.0), 7), (farr(), 0),
                      (farr(NAN, 1.0), NAN), (iarr(5, 6, 7), 7.0), (iarr(5, 6, 7), 6),
                      (farr(-0.0, 1.0), 0), (iarr(2**53 + 1), float(2**53))]),
    case("for-continue-count", """
        def count_positive(a):
            n = 0
            for x in a:
                if x <= 0:
                    continue
                n += 1
            return n
        """, "count_positive", [(farr(1.0, -1.0, 0.0, NAN, INF),), (farr(),),
                                (iarr(1, -1, 0, I64_MAX),)]),
    case("elements-and-their-types", """
        def first(a):
            x = a[0]
            return (x, x + 1, x * 1.0, x / 2, x // 2, x % 3, x > 0, -x, abs(x))
        """, "first", [(farr(2.5),), (iarr(7),), (iarr(I64_MIN),), (farr(-0.0),),
                       (farr(NAN),), (iarr(-7),)]),
    case("print-elements", """
        def show(a):
            for x in a:
                print(x, x * 2, x > 0, -x)
            print(len(a), a[0] if len(a) else None)
        """, "show", [(farr(1.5, -0.0, NAN, INF, 1e20, 0.1),), (iarr(1, -2, I64_MAX),),
                      (farr(),)]),
    case("return-the-array", """
        def touch(a):
            a[0] = a[-1]
            return a
        """, "touch", [(farr(1.0, 2.0),), (iarr(3, 4, 5),), (strided([1.0, 2.0, 3.0], 2),)]),
    case("swap-elements-reverse", """
        def reverse(a):
            i = 0
            j = len(a) - 1
            while i < j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
            return a
        """, "reverse", [(farr(1.0, 2.0, 3.0, 4.0),), (iarr(1, 2, 3),), (farr(),),
                         (strided(np.arange(9, dtype=np.int64), 2),)]),
]


# --- one JIT'd function calling another with an array -------------------------------

CALL_CASES = [
    case("callee-takes-array", """
        def total(a):
            s = 0.0
            for x in a:
                s += x
            return s

        def mean(a):
            return total(a) / len(a)
        """, "mean", [(farr(1.0, 2.0, 4.0),), (iarr(1, 2, 4),), (farr(),),
                      (strided([1.0, 5.0, 2.0, 5.0], 2),)]),
    case("callee-mutates-array", """
        def fill(a, v):
            for i in range(len(a)):
                a[i] = v

        def dot(a, b):
            s = 0.0
            for i in range(len(a)):
                s += a[i] * b[i]
            return s

        def f(a, v):
            fill(a, v)
            return dot(a, a)
        """, "f", [(farr(1.0, 2.0), 1.5), (iarr(1, 2, 3), 2.5), (farr(1.0), NAN),
                   (iarr(1, 2), NAN), (iarr(1, 2), 2**32)]),
]


# --- a type guard: the same function on other dtypes and on a list -----------------

GUARD_CASES = [
    case("float64-then-int64-then-list", """
        def total(a):
            s = 0
            for i in range(len(a)):
                s += a[i] * 2
            return s
        """, "total", [(farr(1.5, 2.5),), (iarr(1, 2),), ([1, 2, 3],), ([1.5, -0.0],),
                       (iarr(I64_MAX, 1),), (np.array([1.5, 2.5], dtype=np.float32),),
                       (np.array([2**31 - 1, 1], dtype=np.int32),),
                       (np.array([[1.0, 2.0], [3.0, 4.0]]),), (farr(0.25),)]),
    case("int64-array-then-float64-store", """
        def put(a, x):
            a[0] = x
            return a[0]
        """, "put", [(iarr(1, 2), 3), (farr(1.0, 2.0), 2.5), (iarr(1, 2), 2.5),
                     ([1, 2], 2.5), (np.array([1, 2], dtype=np.int8), 300)]),
]


# --- numpy scalar arithmetic ---------------------------------------------------------

I64_PAIRS = [(i64(7), i64(2)), (i64(-7), i64(2)), (i64(7), i64(-2)), (i64(7), i64(0)),
             (i64(0), i64(0)), (i64(I64_MAX), i64(1)), (i64(I64_MIN), i64(-1)),
             (i64(I64_MIN), i64(1)), (i64(123456789), i64(987654321)),
             (i64(-1), i64(I64_MAX)), (i64(2**32), i64(2**32))]
F64_PAIRS = [(f64(7.5), f64(2.0)), (f64(-7.5), f64(2.0)), (f64(-0.0), f64(1.0)),
             (f64(0.0), f64(-0.0)), (f64(1.0), f64(0.0)), (f64(-1.0), f64(-0.0)),
             (f64(0.0), f64(0.0)), (f64(NAN), f64(1.0)), (f64(INF), f64(INF)),
             (f64(INF), f64(2.0)), (f64(5.0), f64(-INF)), (f64(1e308), f64(10.0)),
             (f64(0.1), f64(0.2)), (f64(-1e-320), f64(3.0))]
NP_MIXED_PAIRS = [(i64(7), f64(2.5)), (f64(7.5), i64(2)), (i64(3), f64(0.0)),
                  (i64(3), f64(-0.0)), (f64(1.0), i64(0)), (i64(I64_MAX), f64(0.5)),
                  (f64(NAN), i64(1)), (i64(-7), f64(INF)), (i64(2**53 + 1), f64(1.0))]
NP_PY_PAIRS = [(i64(5), 3), (3, i64(5)), (i64(5), 0), (0, i64(5)), (i64(-5), 3),
               (i64(I64_MAX), 1), (i64(I64_MIN), -1), (i64(5), 2**62), (i64(5), True),
               (True, i64(5)), (i64(5), 2.5), (2.5, i64(5)), (i64(5), 0.0), (i64(5), -0.0),
               (f64(2.5), 3), (3, f64(2.5)), (f64(2.5), 0), (f64(2.5), True),
               (f64(-0.0), 0), (2.5, f64(-0.0)), (f64(1.0), 2**70), (i64(5), 2**70),
               (f64(NAN), 2), (-7, f64(INF)), (0.0, f64(0.0))]

SCALAR_BINOP_CASES = []
for _name, _op in [("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"),
                   ("floordiv", "//"), ("mod", "%")]:
    for _kind, _pairs in [("i64", I64_PAIRS), ("f64", F64_PAIRS), ("i64-f64", NP_MIXED_PAIRS),
                          ("np-py", NP_PY_PAIRS)]:
        SCALAR_BINOP_CASES.append(case(f"scalar-{_name}-{_kind}", f"""
            def f(a, b):
                return a {_op} b
            """, "f", _pairs))

POW_PAIRS = [(i64(2), i64(10)), (i64(2), i64(-1)), (i64(-2), i64(3)), (i64(3), i64(40)),
             (i64(0), i64(0)), (i64(0), i64(-1)), (i64(10), 19), (10, i64(19)),
             (i64(2), 0.5), (i64(2), -1), (2, i64(-2)), (2.0, i64(-2)), (f64(2.0), i64(-1)),
             (f64(0.0), f64(-1.0)), (f64(-8.0), 1 / 3), (f64(10.0), f64(400.0)),
             (f64(NAN), 0), (f64(1.0), f64(NAN)), (f64(-0.0), 3), (f64(INF), -1.0),
             (i64(7), True), (f64(2.0), 2**70), (i64(2), 2**70), (i64(-8), f64(1 / 3))]

SCALAR_CASES = SCALAR_BINOP_CASES + [
    case("scalar-pow", "def f(a, b):\n    return a ** b\n", "f", POW_PAIRS),
    case("scalar-unary", """
        def f(a):
            return (-a, +a, abs(a), not a)
        """, "f", [(i64(5),), (i64(0),), (i64(-1),), (i64(I64_MIN),), (i64(I64_MAX),),
                   (f64(1.5),), (f64(0.0),), (f64(-0.0),), (f64(NAN),), (f64(-INF),)]),
    case("scalar-float", "def f(x):\n    return float(x)\n", "f",
         [(i64(3),), (i64(I64_MAX),), (i64(2**53 + 1),), (f64(-0.0),), (f64(NAN),),
          (f64(2.5),)]),
    case("scalar-int", "def f(x):\n    return int(x)\n", "f",
         [(f64(2.7),), (f64(-2.7),), (f64(-0.5),), (f64(1e20),), (f64(NAN),), (f64(INF),),
          (f64(-INF),), (i64(I64_MIN),), (i64(-5),)]),
    case("scalar-round", "def f(x):\n    return round(x)\n", "f",
         [(f64(0.5),), (f64(1.5),), (f64(2.5),), (f64(-2.5),), (f64(3.5),), (f64(-0.0),),
          (f64(1e20),), (f64(NAN),), (f64(INF),), (i64(I64_MAX),), (i64(-5),)]),
    case("scalar-min-max", """
        def f(a, b):
            return (min(a, b), max(a, b))
        """, "f", [(i64(3), i64(2)), (i64(-1), i64(-1)), (i64(I64_MIN), i64(I64_MAX)),
                   (f64(NAN), f64(1.0)), (f64(1.0), f64(NAN)), (f64(-0.0), f64(0.0)),
                   (f64(0.0), f64(-0.0)), (f64(-INF), f64(2.5))]),
    case("scalar-math-sqrt", "def f(x):\n    return math.sqrt(x)\n", "f",
         [(f64(4.0),), (f64(2.0),), (f64(-0.0),), (f64(-1.0),), (f64(INF),), (f64(NAN),),
          (i64(16),), (i64(-4),), (i64(I64_MAX),)]),
    case("scalar-math-floor", "def f(x):\n    return math.floor(x)\n", "f",
         [(f64(2.5),), (f64(-2.5),), (f64(-0.0),), (f64(1e20),), (f64(NAN),), (f64(INF),),
          (i64(-3),), (i64(I64_MAX),), (i64(I64_MIN),)]),
    case("scalar-math-int64", "def f(x):\n    return math.floor(x), math.ceil(x), math.sqrt(x), math.gcd(x, 6)\n", "f",
         [(i64(-3),), (i64(I64_MAX),), (i64(I64_MIN),), (i64(2**53 + 1),)]),
    case("scalar-math-trunc-int64", "def f(x):\n    return math.trunc(x)\n", "f", [(i64(7),)]),
    case("scalar-compare", """
        def f(a, b):
            return (a < b, a <= b, a == b, a != b, a > b, a >= b)
        """, "f", [(i64(1), i64(2)), (i64(2), 2), (2, i64(2)), (f64(0.0), f64(-0.0)),
                   (f64(NAN), f64(NAN)), (f64(NAN), 1), (i64(3), 3.0), (f64(-0.0), 0),
                   (i64(2**53 + 1), float(2**53)), (i64(2**53 + 1), f64(2**53)),
                   (i64(I64_MAX), 2**70), (f64(1.0), 2**70), (i64(-1), True),
                   (i64(I64_MAX), f64(9.223372036854776e18)), (-INF, f64(-INF))]),
    case("scalar-compare-chained", """
        def f(a, b, c):
            return (a < b < c, a <= b == c, a < b > c, a != b != c, 0 <= a < 10 <= c)
        """, "f", [(i64(1), 2.5, f64(3.0)), (f64(NAN), i64(1), 2), (i64(5), i64(5), i64(5)),
                   (i64(2**53 + 1), 2.0**53, i64(2**53 + 1)), (f64(0.0), i64(9), 10),
                   (i64(-1), f64(-0.0), 1)]),
    case("scalar-truthiness", """
        def f(x):
            if x:
                r = 1
            else:
                r = 2
            return (r, x and 7, x or 7, 1 if x > 0 else -1)
        """, "f", [(i64(0),), (i64(-3),), (f64(-0.0),), (f64(NAN),), (f64(0.5),)]),
    case("scalar-print", """
        def f(a, b):
            print(a, b, a + b, a < b, -a)
            print(a * 1.0, a // 1, sep=";", end="!\\n")
        """, "f", [(i64(3), f64(0.5)), (f64(-0.0), 2), (i64(I64_MAX), 1), (f64(NAN), i64(1)),
                   (f64(1e20), 1e-5), (f64(0.1), f64(0.2))]),
    case("scalar-return-mixed-tuple", """
        def f(x, y):
            return ((x * 2 + y) / (x - y), x * y, x - y)
        """, "f", [(i64(3), 2), (f64(3.0), i64(3)), (i64(3), i64(3)), (3, f64(3.0))]),
    case("scalar-overflow-in-loop", """
        def f(x, k, n):
            for _ in range(n):
                x = x * k
            return x
        """, "f", [(i64(1), 3, 45), (i64(1), i64(-3), 45), (f64(1.0), 3.0, 700),
                   (i64(1), 2, 64), (i64(7), 1, 10), (f64(1e-300), 1e-10, 5)]),
    case("scalar-augmented", """
        def f(a, b):
            x = a
            x += b
            x -= 3
            x *= b
            x //= 7
            x %= 1000003
            x **= 2
            y = x / 3
            y += a
            return (x, y)
        """, "f", [(i64(10), 3), (i64(-10), i64(3)), (i64(10), 0), (f64(10.0), 3),
                   (i64(I64_MAX), 2), (f64(-0.0), f64(-0.0))]),
    case("scalar-while-counter", """
        def collatz(n):
            steps = 0
            while n != 1:
                if n % 2 == 0:
                    n //= 2
                else:
                    n = 3 * n + 1
                steps += 1
            return (steps, n)
        """, "collatz", [(i64(27),), (i64(1),), (i64(837799),), (27,)]),
]

ALL_CASES = ARRAY_CASES + CALL_CASES + GUARD_CASES + SCALAR_CASES


@pytest.mark.parametrize("tier", [0, 1, 2], ids=["tier0", "tier1", "tier2"])
@pytest.mark.parametrize("source, func, calls", ALL_CASES)
def test_numpy_matches_cpython(jit_engine, source, func, calls, tier):
    differential(source, func, calls, tier)
    assert_reached(record_for(func), tier)


def test_fresh_arguments_are_really_views_and_readonly():
    # The premise of Fresh: each deepcopy yields a new strided / read-only array.
    import copy
    view = copy.deepcopy(strided([1.0, 2.0, 3.0, 4.0], 2))
    assert not view.flags.c_contiguous and view.strides == (16,) and view.tolist() == [1.0, 3.0]
    assert copy.deepcopy(strided([1.0, 2.0, 3.0], -1)).strides == (-8,)
    ro = copy.deepcopy(readonly([1.0]))
    assert not ro.flags.writeable and copy.deepcopy(readonly([1.0])) is not ro


# --- random arrays through fixed kernels (hypothesis) --------------------------------
#
# Conventions as in test_fuzz.py: derandomized, TIERJIT_FUZZ_SEED draws another set,
# TIERJIT_FUZZ_EXAMPLES scales the count (here a fifth of it: each example compiles a
# kernel at two tiers). One JIT session climbs tier 1 then tier 2 per example.

EXAMPLES = max(20, int(os.environ.get("TIERJIT_FUZZ_EXAMPLES", "500")) // 5)
SEED = os.environ.get("TIERJIT_FUZZ_SEED")
LAST_PROGRAM = os.path.join(tempfile.gettempdir(), "tierjit-fuzz-numpy-last.py")

FUZZ = fuzz_settings(EXAMPLES, SEED)

KERNELS = {
    "dot": """
        def kernel(a, b, k):
            s = 0.0
            for i in range(len(a)):
                s += a[i] * b[i]
            return s
        """,
    "sum": """
        def kernel(a, b, k):
            s = 0
            for x in a:
                s += x
            return s
        """,
    "axpy": """
        def kernel(a, b, k):
            for i in range(len(a)):
                b[i] = k * a[i] + b[i]
            return b
        """,
    "prefix": """
        def kernel(a, b, k):
            for i in range(1, len(a)):
                a[i] += a[i - 1]
            return a[-1]
        """,
    "argmax": """
        def kernel(a, b, k):
            best = a[0]
            at = 0
            for i in range(1, len(a)):
                if a[i] > best:
                    best = a[i]
                    at = i
            return (at, best)
        """,
    "divmod-scale": """
        def kernel(a, b, k):
            q = 0
            for i in range(len(a)):
                q = q + a[i] // k
                a[i] = a[i] % k
            return (q, a[0] / k)
        """,
    "search-break": """
        def kernel(a, b, k):
            n = 0
            for x in a:
                if x >= k:
                    break
                n += 1
            else:
                n = -1
            return n
        """,
    "mixed-scalar-math": """
        def kernel(a, b, k):
            acc = k
            for i in range(len(a)):
                x = a[i]
                acc = acc - x * 2 + abs(b[i]) / 3
                if acc > 1e6 or acc < -1e6:
                    acc = -acc
            return (acc, -acc, acc == acc)
        """,
}

FLOAT_EDGES = [0.0, -0.0, NAN, INF, -INF, 1e308, -1e308, 5e-324, 1.0, -1.5, 0.1]
INT_EDGES = [0, 1, -1, 2, I64_MAX, I64_MIN, 2**62, -2**62, 2**32, 3]


def array_of(dtype, n):
    if dtype == "float64":
        element = st.one_of(st.sampled_from(FLOAT_EDGES), st.floats(),
                            st.integers(-10, 10).map(float))
    else:
        element = st.one_of(st.sampled_from(INT_EDGES), st.integers(I64_MIN, I64_MAX),
                            st.integers(-10, 10))
    return st.lists(element, min_size=n, max_size=n).map(lambda xs: np.array(xs, dtype=dtype))


SCALARS = {
    "int": st.one_of(st.integers(-3, 3), st.sampled_from([2**31, -2**40, I64_MAX])),
    "float": st.one_of(st.sampled_from([0.0, -0.0, 0.5, -2.5, NAN, INF, 1e300]), st.floats()),
    "np.int64": st.one_of(st.integers(-3, 3), st.sampled_from(INT_EDGES)).map(i64),
    "np.float64": st.sampled_from([0.0, -0.0, 0.5, -2.5, NAN, INF, 1e300, 3.0]).map(f64),
}


@st.composite
def kernel_cases(draw):
    name = draw(st.sampled_from(sorted(KERNELS)))
    dtype_a = draw(st.sampled_from(["float64", "int64"]))
    dtype_b = draw(st.sampled_from(["float64", "int64"]))
    scalar = draw(st.sampled_from(sorted(SCALARS)))
    calls = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(0, 8))
        calls.append((draw(array_of(dtype_a, n)), draw(array_of(dtype_b, n)),
                      draw(SCALARS[scalar])))
    return name, calls


def fuzz_test(test):
    test = given(case=kernel_cases())(test)
    if SEED is not None:
        test = seed(int(SEED))(test)
    return FUZZ(test)


@pytest.mark.timeout(max(600, EXAMPLES * 6))
@fuzz_test
def test_random_arrays_through_kernels_match_cpython(jit_engine, case):
    name, calls = case
    source = HEADER + textwrap.dedent(KERNELS[name])
    note(f"kernel {name}:\n{source}")
    note(f"calls: kernel{', kernel'.join(safe_repr(args) for args in calls)}")
    with open(LAST_PROGRAM, "w") as last:
        last.write(f"{source}\n# calls: {safe_repr(calls)}\n")
    # as in test_fuzz: c0, calls (tier 1), then c0 x3 reach tier2_calls, then calls (tier 2)
    n = len(calls)
    schedule = [calls[0]] + calls + [calls[0]] * 3 + calls
    with time_limit(10):
        want = run_calls(load(source, jitted=False), "kernel", schedule)
    jit_engine.reset()
    jit_engine.configure(**{**TIER_SETTINGS[1], "tier2_calls": n + 2})
    with jitted(source) as ns:     # its functions are forgotten afterwards
        with time_limit(30):
            got = run_calls(ns, "kernel", schedule)
        assert_same_outcomes(schedule, want, got)
        assert_climbed(record_for("kernel"), n)
