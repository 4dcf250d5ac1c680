"""Smoke test of the benchmark suite: `python -m bench --quick --only sum_of_squares`.

Checks the shape of the table and the JSON and that answers are judged right
(the exact big int is correct, an int64-wrapped one is marked wrong). No timing
is asserted: the machine is shared and timings are only reported.
"""

import json
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEMS = {"cpython", "tierjit", "numba", "pypy", "c"}
EXACT_1E7 = "333333283333335000000"
WRAPPED_1E7 = "1291890006563070912"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out_json = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "sum_of_squares", "--json", str(out_json)],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(out_json.read_text())


def test_table_has_a_row_per_kernel_and_a_geomean(run):
    table, _ = run
    assert "Speed-up vs CPython" in table
    assert "geomean" in table
    for name in ("sum_of_squares_1e6", "sum_of_squares_1e7"):
        assert name in table
    assert "kernel" in table and "CPython" in table


def test_json_has_every_system_for_every_kernel(run):
    _, doc = run
    assert doc["version"] == 1 and doc["mode"] == "quick"
    assert [k["name"] for k in doc["kernels"]] == ["sum_of_squares_1e6", "sum_of_squares_1e7"]
    assert set(doc["systems"]) == SYSTEMS
    for kernel in doc["kernels"]:
        assert set(kernel["cells"]) == SYSTEMS
        for cell in kernel["cells"].values():
            assert cell["status"] in {"ok", "skipped", "error"}
            if cell["status"] == "skipped":
                assert cell["note"], "a skipped system must say why"


def test_cpython_is_measured_and_is_the_exact_reference(run):
    _, doc = run
    big = doc["kernels"][1]
    assert big["reference"] == EXACT_1E7
    cpython = big["cells"]["cpython"]
    assert cpython["status"] == "ok"
    assert cpython["answers"] == [EXACT_1E7]
    assert cpython["correct"] is True
    assert len(cpython["times"]) >= 1 and cpython["median"] > 0


def test_every_answer_is_judged_against_the_reference(run):
    _, doc = run
    for kernel in doc["kernels"]:
        for name, cell in kernel["cells"].items():
            if cell["status"] != "ok" or not cell["answers"]:
                continue
            exact = all(a == kernel["reference"] for a in cell["answers"])
            assert cell["correct"] is exact, (kernel["name"], name, cell["answers"])


def test_int64_wraparound_is_marked_wrong_not_hidden(run):
    table, doc = run
    big = doc["kernels"][1]["cells"]
    wrapped = [s for s in ("numba", "c") if big[s]["status"] == "ok"]
    for system in wrapped:
        assert big[system]["answers"][-1] == WRAPPED_1E7
        assert big[system]["correct"] is False
    if wrapped:
        assert "WRONG" in table and WRAPPED_1E7 in table


def test_tierjit_reports_the_tier_it_reached(run):
    _, doc = run
    cell = doc["kernels"][0]["cells"]["tierjit"]
    assert cell["status"] == "ok", f"tierjit did not run: {cell['note'] or cell['status']}"
    assert cell["tier"] in (0, 1, 2)
    assert cell["detail"]["functions"], "the engine's stats should list the kernel's function"


def test_compile_times_table_has_both_tiers_and_a_median():
    """`python -m bench.compile_times`, one kernel, one sample, Numba left out (it is optional)."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.compile_times", "--repeat", "1", "--only", "sum_of_squares", "--no-numba"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = next(line for line in proc.stdout.splitlines() if line.startswith("sum_of_squares"))
    _kernel, _function, fns, *rest = row.split()
    assert fns == "1/1", row        # one function compiled into the unit at tier 1 and at tier 2
    numbers = [float(x) for x in " ".join(rest).replace("/", " ").split()]
    assert len(numbers) == 4 * 3 and all(x > 0 for x in numbers), row   # t1, t2, t1 cold twice: min/median/max
    assert "median over 1 functions (warm): tier 1" in proc.stdout


def test_compile_times_pairs_numba_and_tierjit_rounds_into_per_entry_ratios():
    """`python -m bench.compile_times` with Numba, one kernel, two paired rounds: the per-entry
    ratio line and the summary's medians are there (Numba is an optional extra: skipped without it)."""
    pytest.importorskip("numba")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.compile_times", "--repeat", "2", "--only", "sum_of_squares"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    section = next(i for i, line in enumerate(lines) if line.startswith("Numba / tierjit per entry"))
    row = next(line for line in lines[section:] if line.startswith("sum_of_squares"))
    _kernel, _entry, *rest = row.split()
    numbers = [float(x) for x in " ".join(rest).replace("/", " ").replace("x", " ").split()]
    # warm ratio min / median / max, then the cold and no-cache medians: the three ratios
    assert len(numbers) == 5 and all(x > 0 for x in numbers), row
    assert numbers[0] <= numbers[1] <= numbers[2], row
    summary = [line for line in lines if line.startswith("Numba warm first call / tierjit warm tier-1 compile")]
    assert len(summary) == 1 and re.search(r"median [0-9.]+x", summary[0]), proc.stdout[-2000:]
