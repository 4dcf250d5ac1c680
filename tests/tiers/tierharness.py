"""Run one source text on plain CPython and under tierjit, and compare what happened.

Owns: loading source into fresh module namespaces, forcing a tier through the engine's
config, recording every call's outcome (value, exception, stdout, warnings, arguments
afterwards), bit-exact comparison, finding a function's record in the stats document, and
the records of the bench kernels' functions compiled at tier 1 (`bench_function_records`).
Talks to the engine only through `tierjit.tiers` (docs/engine-api.md), imported lazily so
that a missing engine makes each test fail on its own instead of breaking collection.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import itertools
import linecache
import math
import re
import signal
import struct
import warnings
from dataclasses import dataclass, field
from typing import Any

# Thresholds high enough that nothing tiers up on its own.
NEVER = 10**9

# Settings that pin every function to one tier. Tier 2 goes through tier 1 first
# (tier1_calls=1, tier2_calls=2); background compiles are off so the switch happens
# before the next call, and OSR is off so only whole-function compiles are tested.
TIER_SETTINGS: dict[int, dict[str, Any]] = {
    0: dict(tier1_calls=NEVER, tier2_calls=NEVER, tier1_loops=NEVER, tier2_loops=NEVER,
            background=False, osr=False),
    1: dict(tier1_calls=1, tier2_calls=NEVER, tier1_loops=NEVER, tier2_loops=NEVER,
            background=False, osr=False),
    2: dict(tier1_calls=1, tier2_calls=2, tier1_loops=NEVER, tier2_loops=NEVER,
            background=False, osr=False),
}

# How many extra calls with the first argument tuple run before the listed calls, so
# that the listed calls all run on the wanted tier whichever way the engine counts
# its thresholds (compile before the N-th call or after it).
WARMUP_CALLS = {0: 0, 1: 2, 2: 4}

_module_ids = itertools.count()


def engine():
    from tierjit.tiers import engine as get_engine
    return get_engine()


def use_tier(tier: int) -> None:
    engine().configure(**TIER_SETTINGS[tier])


# --- loading source ------------------------------------------------------------------

def top_level_defs(source: str) -> list[str]:
    """Names of the plain top-level `def`s, in order (what the kernel would JIT)."""
    tree = ast.parse(source)
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]


def _exec_source(source: str, ns: dict) -> None:
    # Register the text with linecache, as IPython does for cells, so that
    # inspect.getsource works on the functions and the JIT can read their source.
    filename = f"<{ns['__name__']}-{next(_module_ids)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)


def load(source: str, *, jitted: bool) -> dict:
    """Run `source` in a fresh module namespace; with `jitted`, JIT every top-level def."""
    ns: dict[str, Any] = {"__name__": f"tierjit_case_{next(_module_ids)}"}
    return define(ns, source, jitted=jitted)


@contextlib.contextmanager
def jitted(source: str):
    """`source` loaded under the JIT, for one program of many: its functions are forgotten on
    the way out. The engine holds every function it was given and reset() re-arms them all, so
    without this each program's reset re-armed every earlier program's functions too, and a long
    random-program run slowed down quadratically (at 1,000 programs a reset re-armed 2,000)."""
    ns = load(source, jitted=True)
    try:
        yield ns
    finally:
        engine().forget(ns)


def define(ns: dict, source: str, *, jitted: bool) -> dict:
    """Run more source in an existing namespace (a later cell), JIT-ing its defs."""
    _exec_source(source, ns)
    if jitted:
        from tierjit.tiers import jit
        for name in top_level_defs(source):
            original = ns[name]
            ns[name] = jit(original)
            assert ns[name] is original, "jit() must return the same function object"
    return ns


# --- recording calls -----------------------------------------------------------------

@dataclass
class Outcome:
    """Everything observable about one call."""
    value: Any = None
    error: tuple[type, str] | None = None
    stdout: str = ""
    args_after: tuple = ()
    # (category, message) of every warning the call emitted, in order (numpy's
    # RuntimeWarnings: "overflow encountered in scalar add", "divide by zero ...").
    warnings: list = field(default_factory=list)

    def describe(self) -> str:
        out = f" stdout={self.stdout!r}" if self.stdout else ""
        if self.warnings:
            out += " warnings=" + repr([f"{c.__name__}: {m}" for c, m in self.warnings])
        if self.error is not None:
            return f"raised {self.error[0].__name__}({self.error[1]!r}){out}"
        return f"returned {safe_repr(self.value)} ({type(self.value).__name__}){out}"


def safe_repr(value: Any) -> str:
    # repr of an int past 4,300 digits raises ValueError (sys.set_int_max_str_digits).
    try:
        return repr(value)
    except ValueError:
        if isinstance(value, int):
            return f"<int of {value.bit_length()} bits, {abs(value) % 10**12} mod 10**12>"
        return f"<{type(value).__name__} too large to show>"


def call(func, args: tuple) -> Outcome:
    """Call func on a private copy of args, capturing result, error, output and mutations."""
    args = copy.deepcopy(args)
    buffer = io.StringIO()
    outcome = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stdout(buffer):
                outcome.value = func(*args)
        except Exception as exc:  # noqa: BLE001 - every exception is part of the behaviour
            outcome.error = (type(exc), normalise_message(exc))
    outcome.stdout = buffer.getvalue()
    outcome.warnings = [(w.category, str(w.message)) for w in caught]
    outcome.args_after = args
    return outcome


def normalise_message(exc: BaseException) -> str:
    # CPython appends where the limit was hit (" in comparison", " while calling a
    # Python object", ...); that suffix names an interpreter detail, not user semantics.
    if isinstance(exc, RecursionError):
        return "maximum recursion depth exceeded"
    return str(exc)


def run_calls(ns: dict, func: str, schedule: list[tuple]) -> list[Outcome]:
    # Look the name up on every call: a later cell may have rebound it.
    return [call(ns[func], args) for args in schedule]


class TimeLimitExceeded(BaseException):
    """Raised by time_limit; a BaseException so `call` does not record it as an outcome."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Interrupt the block after `seconds` (SIGALRM, main thread only).

    Compiled loops poll for signals at back-edges (DESIGN 4), so this also stops a
    native loop that a miscompile made endless, and the failure can still shrink.
    """
    def expire(signum, frame):
        raise TimeLimitExceeded(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- comparing -----------------------------------------------------------------------

def same(a: Any, b: Any) -> bool:
    """Equal in type and value; floats bit for bit (so -0.0 != 0.0), any NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if hasattr(a, "dtype") and hasattr(a, "tolist"):  # numpy arrays and scalars
        return a.dtype == b.dtype and same(a.tolist(), b.tolist())
    return a == b


def same_outcome(want: Outcome, got: Outcome) -> bool:
    return (same(want.value, got.value) and want.error == got.error
            and want.stdout == got.stdout and same(want.args_after, got.args_after)
            and want.warnings == got.warnings)


def assert_same_outcomes(schedule: list[tuple], want: list[Outcome], got: list[Outcome],
                         label: str = "") -> None:
    for i, (args, w, g) in enumerate(zip(schedule, want, got)):
        if not same_outcome(w, g):
            lines = [f"{label} call #{i} with args {safe_repr(args)} differs from CPython:",
                     f"  CPython: {w.describe()}",
                     f"  tierjit: {g.describe()}"]
            if not same(w.args_after, g.args_after):
                lines.append(f"  arguments afterwards: CPython {safe_repr(w.args_after)}, "
                             f"tierjit {safe_repr(g.args_after)}")
            raise AssertionError("\n".join(lines))
    assert len(want) == len(got)


# --- stats ---------------------------------------------------------------------------

def stats() -> dict:
    from tierjit.tiers import stats as get_stats
    return get_stats()


def record_for(name: str, doc: dict | None = None) -> dict:
    """The newest stats record of the function called `name` (a redefinition is a new id)."""
    doc = stats() if doc is None else doc
    records = [r for r in doc["functions"] if name in (r.get("qualname"), r.get("name"))]
    assert records, f"no stats record for {name!r}; functions: " \
                    f"{[r.get('qualname') for r in doc['functions']]}"
    return max(enumerate(records), key=lambda pair: (_id_number(pair[1].get("id")), pair[0]))[1]


def _id_number(record_id) -> int:
    # ids are unique per definition and grow: 7, or "f#7"; otherwise fall back to list order.
    if isinstance(record_id, int):
        return record_id
    digits = re.search(r"(\d+)$", str(record_id))
    return int(digits.group(1)) if digits else -1


def calls_on(record: dict, tier: int) -> int:
    calls = record["calls"]
    return calls.get(str(tier), calls.get(tier, 0))


def events_for(record: dict, doc: dict | None = None) -> list[dict]:
    doc = stats() if doc is None else doc
    keys = {record.get("id"), record.get("qualname"), record.get("name")} - {None}
    return [e for e in doc["events"] if e.get("function") in keys]


def summary(record: dict) -> str:
    keys = ("name", "tier", "state", "calls", "compiles", "deopts", "fallback_reason")
    return repr({k: record.get(k) for k in keys})


def assert_reached(record: dict, tier: int) -> None:
    """The function really compiled at `tier` and that code really ran.

    A function may later have left the tier (a type guard failed and the engine backed
    off); that is allowed only when the record shows the deopt that caused it.
    """
    if tier == 0:
        assert record["tier"] == 0, summary(record)
        assert not record["compiles"], f"compiled while pinned to tier 0: {summary(record)}"
        # Profiled calls are counted; a function found unsupported runs its plain
        # original with no profiling at all, which is also a correct tier 0.
        assert calls_on(record, 0) >= 1 or record["fallback_reason"], summary(record)
        return
    compiled = [c["tier"] for c in record["compiles"]]
    assert tier in compiled, f"never compiled at tier {tier}: {summary(record)}"
    assert calls_on(record, tier) >= 1, f"tier-{tier} code never ran: {summary(record)}"
    assert record["tier"] == tier or record["deopts"], \
        f"left tier {tier} without a recorded deopt: {summary(record)}"


def assert_unsupported(record: dict) -> None:
    assert record["tier"] == 0, summary(record)
    assert record["fallback_reason"], f"no fallback_reason: {summary(record)}"
    assert not record["compiles"], summary(record)


@dataclass
class Run:
    """The result of running one schedule on CPython and under tierjit."""
    schedule: list[tuple]
    want: list[Outcome]
    got: list[Outcome]
    ns: dict = field(repr=False, default_factory=dict)


def differential(source: str, func: str, calls: list[tuple], tier: int,
                 warmup: int | None = None) -> Run:
    """Run calls (after a warm-up) on CPython and on tierjit pinned to `tier`; compare."""
    warmup = WARMUP_CALLS[tier] if warmup is None else warmup
    schedule = [calls[0]] * warmup + list(calls)
    reference = load(source, jitted=False)
    want = run_calls(reference, func, schedule)
    use_tier(tier)
    ns = load(source, jitted=True)
    got = run_calls(ns, func, schedule)
    assert_same_outcomes(schedule, want, got, label=f"tier {tier}:")
    return Run(schedule, want, got, ns)


# --- random-program runs (test_fuzz.py, test_numpy_arrays.py) ----------------------------

def fuzz_settings(max_examples: int, seed: str | None):
    """hypothesis settings shared by the random tests: derandomized unless a seed is given, no
    example database, and no explain phase (it runs under sys.settrace, and tierjit, like any JIT
    under a debugger, then keeps everything on tier 0, which the tests would see as "never
    compiled"). One engine serves the process: fixtures reset it, so function-scoped fixtures are
    fine."""
    from hypothesis import HealthCheck, Phase, settings
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=seed is None,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def assert_climbed(record: dict, n: int) -> None:
    """A random test's function compiled at tier 1 and at tier 2, and each ran the n listed calls.
    Argument values outside the profile (ints past 64 bits, another dtype) may deopt and back off
    before tier 2; the results were still compared."""
    compiled = {c["tier"] for c in record["compiles"]}
    if record["deopts"]:
        assert 1 in compiled, f"never compiled: {summary(record)}"
        return
    assert {1, 2} <= compiled, f"did not compile at tiers 1 and 2: {summary(record)}"
    assert calls_on(record, 1) >= n, f"tier 1 ran fewer than {n} calls: {summary(record)}"
    assert calls_on(record, 2) >= n, f"tier 2 ran fewer than {n} calls: {summary(record)}"


class Fresh:
    """An argument made anew for every call: the harness deep-copies each call's arguments, and
    deepcopy of a Fresh is whatever `make` builds (a numpy view, a read-only array), which a plain
    deepcopy would turn into a contiguous writeable copy."""

    def __init__(self, make, label):
        self.make, self.label = make, label

    def __deepcopy__(self, memo):
        return self.make()

    def __repr__(self):
        return self.label


def bench_function_records(engine: Any, prefix: str):
    """Each bench kernel's entry run once with its small argument under `engine` at tier 1
    (threshold 1, nothing else tiers up): yields the record of every function that compiled,
    each once, for tests that hold a compile of real code to a reference."""
    from bench.compile_times import SMALL_ARGS
    from bench.kernels import KERNELS
    from bench.timing import load_kernel, run_once, top_level_functions

    engine.configure(tier1_calls=1, tier2_calls=NEVER, tier1_loops=NEVER, tier2_loops=NEVER,
                     background=False)
    seen: set[int] = set()
    for kernel in KERNELS:
        if kernel.module not in SMALL_ARGS:
            continue
        module = load_kernel(kernel.path, f"{prefix}_{kernel.module}")
        for fn in top_level_functions(module):
            setattr(module, fn.__name__, engine.register(fn, defined_in=kernel.path))
        run_once(getattr(module, kernel.entry), SMALL_ARGS[kernel.module], 2)
        for rec in [r for r in engine._live.values() if r.units and id(r) not in seen]:
            seen.add(id(rec))
            yield rec
