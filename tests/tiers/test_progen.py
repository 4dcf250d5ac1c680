"""Checks on the random-program generator itself, on plain CPython (no JIT needed):
programs are well-typed (every local keeps one type), finish quickly, are deterministic,
and together exercise every construct the fuzz suite promises.
"""

import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings

import progen
from tierharness import load, run_calls, same_outcome, time_limit

pytestmark = pytest.mark.timeout(300)

CHECK = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                 suppress_health_check=list(HealthCheck))


def local_types(ns: dict, entry: str, calls: list[tuple]) -> dict[tuple[str, str], set]:
    """Run the calls under a tracer; map (function, local) to the set of types it held."""
    seen: dict[tuple[str, str], set] = {}
    code_names = {ns[name].__code__: name for name in ("f", "g")}

    def tracer(frame, event, arg):
        name = code_names.get(frame.f_code)
        if name is None:
            return None
        for local, value in frame.f_locals.items():
            kind = type(value).__name__
            if isinstance(value, list):
                kind += "[" + ",".join(sorted({type(x).__name__ for x in value})) + "]"
            seen.setdefault((name, local), set()).add(kind)
        return tracer

    sys.settrace(tracer)
    try:
        run_calls(ns, entry, calls)
    finally:
        sys.settrace(None)
    return seen


@CHECK
@given(case=progen.cases())
def test_generated_programs_are_well_typed(case):
    program, calls = case
    ns = load(program.source, jitted=False)
    for (function, local), kinds in local_types(ns, program.entry, calls).items():
        # An empty list has no element type yet; lists here start non-empty.
        assert len(kinds) == 1, f"{function}.{local} held {kinds}\n{program.source}"
        assert kinds <= {"int", "float", "list[int]", "list[float]"}, program.source


@CHECK
@given(case=progen.cases())
def test_generated_programs_are_fast_and_deterministic(case):
    program, calls = case
    schedule = [calls[0]] * 4 + calls
    started = time.perf_counter()
    with time_limit(5):
        first = run_calls(load(program.source, jitted=False), program.entry, schedule)
    assert time.perf_counter() - started < 2.0, program.source
    second = run_calls(load(program.source, jitted=False), program.entry, schedule)
    assert all(same_outcome(a, b) for a, b in zip(first, second)), program.source


def test_generated_programs_cover_the_subset():
    sources, results = [], []

    @CHECK
    @given(case=progen.cases())
    def collect(case):
        program, calls = case
        sources.append(program.source)
        results.extend(run_calls(load(program.source, jitted=False), program.entry, calls))

    collect()
    text = "\n".join(sources)
    for construct in ["while ", "for ", "break", "continue", "elif ", "else:", " ** ", " // ",
                      " % ", " << ", " >> ", "math.sqrt", "math.floor", "math.exp", ".append(",
                      " = g(", "g(", "print(", "divmod(", "round(", "min(", "max(", "abs(",
                      ", -1)", ", -2)", ", -3)", "return (", " and ", " or ", "not ", "int(",
                      "float(", "for far", str(2**64)]:
        assert construct in text, f"no generated program uses {construct!r}"

    def big(value):
        if isinstance(value, (tuple, list)):
            return any(big(v) for v in value)
        return isinstance(value, int) and abs(value) >= 2**63

    assert any(big(r.value) for r in results), "no result went past 64 bits"
    assert any(r.stdout for r in results), "nothing was printed"
    errors = [r for r in results if r.error]
    assert errors, "no program raised"
    assert len(errors) < 0.5 * len(results), "most calls raise; programs do little work"
