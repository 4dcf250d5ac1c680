"""Runs every selected kernel under every available system and fills the records.

Each measurement is a subprocess with a timeout (see worker.py); what is not
installed becomes a "skipped" cell with the reason, a crash an "error" cell.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from bench.kernels import Kernel
from bench.native import CBuild
from bench.records import Cell, KernelResult, answers_match
from bench.worker import RESULT_MARK

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
TIMING_SCRIPT = os.path.join(BENCH_DIR, "timing.py")


@dataclass
class Options:
    quick: bool = False
    repeat: int = 5
    timeout: float = 900.0       # per worker process
    tierjit_budget: float = 30.0  # seconds of warm-up allowed before the steady runs


def tierjit_problem() -> str | None:
    """Why the engine cannot be used (None when it imports), checked in a child process."""
    probe = "from tierjit.tiers import engine, jit, stats; engine()"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=REPO_ROOT, timeout=120)
    if out.returncode == 0:
        return None
    lines = out.stderr.strip().splitlines()
    return "engine does not import: " + (lines[-1] if lines else f"exit {out.returncode}")


def availability() -> dict[str, str | None]:
    """System -> None when it can run, else the message printed in place of its column."""
    pypy = shutil.which("pypy3")
    return {
        "cpython": None,
        "tierjit": tierjit_problem(),
        "numba": None if importlib.util.find_spec("numba") else
        "numba not installed (pip install numba)",
        "pypy": None if pypy else "pypy3 not found (apt-get install pypy3)",
        "c": None if CBuild().compiler() else "gcc not found (apt-get install gcc)",
    }


def run_json(cmd: list[str], timeout: float) -> dict:
    """Run a worker; its result is the JSON on the line marked RESULT_MARK (or the last line)."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = out.stdout.strip().splitlines()
    for line in reversed(lines):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
        if line.startswith("{"):
            return json.loads(line)
    tail = (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]
    return {"error": f"worker died (exit {out.returncode}): {tail}"}


def cell_from(system: str, doc: dict) -> Cell:
    if "error" in doc:
        return Cell(system, status="error", note=doc["error"])
    answers = doc.get("answers") or ([doc["answer"]] if "answer" in doc else [])
    detail = {k: v for k, v in doc.items()
              if k not in ("times", "first", "ttr", "answers", "answer", "tier", "state")}
    return Cell(system, times=doc.get("times", []), first=doc.get("first"), ttr=doc.get("ttr"),
                answers=answers, tier=doc.get("tier"), state=doc.get("state"), detail=detail)


def measure(kernel: Kernel, system: str, opts: Options, cbuild: CBuild) -> Cell:
    arg, calls = kernel.size(opts.quick)
    repeat = min(opts.repeat, kernel.max_repeat or opts.repeat)
    arg_text = "-" if arg is None else str(arg)
    plain = [kernel.path, kernel.entry, arg_text, str(calls), str(repeat)]
    if system == "cpython":
        # The JIT is not even imported: the honest interpreter baseline.
        return cell_from(system, run_json([sys.executable, TIMING_SCRIPT, *plain, "0", "0"], opts.timeout))
    if system == "pypy":
        warm_s = "0.5" if opts.quick else "2"
        return cell_from(system, run_json(["pypy3", TIMING_SCRIPT, *plain, "3", warm_s], opts.timeout))
    if system == "c":
        try:
            return cell_from(system, cbuild.run(kernel.module, arg, calls, repeat, opts.timeout))
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            return Cell(system, status="error", note=f"{type(exc).__name__}: {exc} {detail}"[:300])
    worker = [sys.executable, "-m", "bench.worker"]
    budget = str(opts.tierjit_budget)
    if system == "numba":
        return cell_from(system, run_json([*worker, "numba", *plain, budget], opts.timeout))
    return tierjit_cell(kernel, worker, plain, budget, opts)


def tierjit_cell(kernel: Kernel, worker: list[str], plain: list[str], budget: str, opts: Options) -> Cell:
    """Two fresh processes: cold (default config: first call, time to result) and warm (steady)."""
    cold = run_json([*worker, "tierjit-cold", *plain, budget], opts.timeout)
    warm = run_json([*worker, "tierjit-warm", *plain, budget], opts.timeout)
    if "error" in warm:
        # Still measure the kernel, profiled on tier 0, so the row says what tier 0 costs.
        tier0 = run_json([*worker, "tierjit-tier0", *plain, budget], opts.timeout)
        if "error" not in tier0:
            tier0.setdefault("notes", []).insert(0, "steady run failed (" + warm["error"]
                                                 + "); timed on tier 0 instead")
            warm = tier0
    cell = cell_from("tierjit", warm)
    # First call and time to result come only from the cold process (default config):
    # the steady worker's first run used lowered thresholds, so it is not what a user waits for.
    cell.first = cell.ttr = None
    if "error" in cold:
        cell.note = (cell.note + "; " if cell.note else "") + "cold run: " + cold["error"]
        return cell
    cell.first, cell.ttr = cold.get("first"), cold.get("ttr")
    cell.answers = cold.get("answers", []) + cell.answers
    cell.detail["cold"] = {k: cold.get(k) for k in ("import", "first_run", "tier_after_first",
                                                    "tier", "state", "functions", "notes")}
    if cell.status == "error":
        cell.status = "ok" if cell.first is not None else "error"
    return cell


def check(result: KernelResult, kernel: Kernel) -> None:
    """Mark every cell's answers against the reference (never hide a wrong one)."""
    for cell in result.cells.values():
        if cell.status != "ok" or result.reference is None or not cell.answers:
            continue
        cell.correct = all(answers_match(a, result.reference, kernel.float_result) for a in cell.answers)


def run_kernel(kernel: Kernel, available: dict, opts: Options, cbuild: CBuild, log) -> KernelResult:
    arg, calls = kernel.size(opts.quick)
    result = KernelResult(kernel.name, arg, calls, None if kernel.exact is None else repr(kernel.exact))
    for system, problem in available.items():
        if problem:
            result.cells[system] = Cell(system, status="skipped", note=problem)
            continue
        log(f"  {kernel.name}: {system} ...")
        result.cells[system] = measure(kernel, system, opts, cbuild)
    base = result.cells["cpython"]
    if result.reference is None and base.status == "ok" and base.answers:
        result.reference = base.answers[0]
    check(result, kernel)
    return result
