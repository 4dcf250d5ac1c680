"""`%%jit_race` through a real kernel: the setup lines run once, the last expression N times
interpreted then N times JIT'd; the summary states both timings, the speed-up and the break-even
call; side effects are warned about; a result mismatch is loud; bad arguments are one line on stderr.

The race view is displayed with a display id while it runs and replaced by the final summary
(`update_display_data`), so these tests apply updates the way a notebook does.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

WIDGET = "application/vnd.jupyter.widget-view+json"

COMPUTE = """\
def compute():
    x = 0
    for i in range(20000):
        x += i
    return x
"""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class RaceCell:
    status: str = ""
    stdout: str = ""
    stderr: str = ""
    outputs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)   # updates applied
    error: dict[str, Any] | None = None

    @property
    def traceback(self) -> str:
        return _ANSI.sub("", "\n".join(self.error["traceback"])) if self.error else ""

    @property
    def value(self) -> str:
        return next((data.get("text/plain", "") for kind, data in self.outputs if kind == "execute_result"), "")


def race(kernel, code: str, timeout: float = 120) -> RaceCell:
    """Runs a cell; `outputs` holds each display as it finally stands (updates applied)."""
    result = RaceCell()
    by_id: dict[str, int] = {}

    def on_output(msg: dict[str, Any]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        display_id = content.get("transient", {}).get("display_id")
        if kind == "stream":
            if content["name"] == "stdout":
                result.stdout += content["text"]
            else:
                result.stderr += content["text"]
        elif kind == "update_display_data":
            result.outputs[by_id[display_id]] = ("display_data", content["data"])
        elif kind in ("display_data", "execute_result"):
            if display_id:
                by_id[display_id] = len(result.outputs)
            result.outputs.append((kind, content["data"]))
        elif kind == "error":
            result.error = content

    reply = kernel.kc.execute_interactive(code, output_hook=on_output, timeout=timeout)
    result.status = reply["content"]["status"]
    return result


def summary(result: RaceCell) -> str:
    (bundle,) = [data for kind, data in result.outputs if kind == "display_data"]
    return bundle["text/plain"]


def test_race_shows_both_timings_speedup_and_break_even(kernel):
    kernel.ok("%jit_reset")
    result = race(kernel, "%%jit_race -n 12\n" + COMPUTE + "compute()")
    assert result.status == "ok", result.traceback
    text = summary(result)
    assert text.startswith("%%jit_race: compute(), 12 calls per run")
    assert re.search(r"^interpreted +12 calls +total [\d.]+ s", text, re.M), text
    assert re.search(r"^JIT +12 calls +total [\d.]+ s", text, re.M), text
    assert re.search(r"^speed-up: [\d.]+x over all 12 calls .*, [\d.]+x per call once warm", text, re.M), text
    assert re.search(r"^break-even: (call \d+|not reached)", text, re.M), text
    assert f"result: both runs gave {sum(range(20000))}" in text
    # the default tier1_calls is 2: the function is compiled during the JIT run, and the curve marks it
    assert re.search(r"^tier changes: T1 at call \d+", text, re.M), text
    (bundle,) = [data for _, data in result.outputs]
    assert WIDGET in bundle, "the live race view (progress bars and curve) should be displayed"
    assert result.value == "", "the race shows a view, not an Out[N]"


def test_race_warns_once_that_side_effects_happen_twice(kernel):
    result = race(kernel, "%%jit_race -n 3\ncompute()")
    assert result.stderr.count("\n") == 1
    assert "side effects happen twice" in result.stderr and "compute()" in result.stderr


def test_setup_runs_once_and_the_expression_n_times_per_run(kernel):
    result = race(kernel, "%%jit_race -n 7\nsetup_runs = []\nsetup_runs.append(1)\ncalls_made = []\n"
                          "calls_made.append(1)")
    assert result.status == "ok", result.traceback
    assert kernel.ok("len(setup_runs), len(calls_made)").value == "(1, 14)"


def test_interpreted_run_is_not_profiled_and_jit_run_is(kernel):
    result = race(kernel, "%%jit_race -n 9\ndef fresh_square(x):\n    return x * x\nfresh_square(7)")
    assert result.status == "ok", result.traceback
    record = kernel.function("fresh_square")
    assert sum(record["calls"].values()) == 9       # the interpreted run ran the original code
    assert record["tier"] >= 1 and record["compiles"]


def test_a_function_warmed_earlier_is_noted(kernel):
    kernel.ok("def warmed(x):\n    return x + 1\nfor i in range(50):\n    warmed(i)")
    text = summary(race(kernel, "%%jit_race -n 4\nwarmed(1)"))
    assert "note: warmed was already on tier" in text and "%jit_reset" in text


def test_results_that_differ_are_reported_loudly(kernel):
    result = race(kernel, "%%jit_race -n 5\nticks = []\nticks.append(0) or len(ticks)")
    assert result.status == "ok", result.traceback
    assert "RESULTS DIFFER: interpreted gave 5, JIT gave 10" in summary(result)
    assert "%%jit_race: RESULTS DIFFER" in result.stderr


def test_jit_off_is_noted(kernel):
    kernel.ok("%jit off")
    try:
        text = summary(race(kernel, "%%jit_race -n 3\ncompute()"))
    finally:
        kernel.ok("%jit on")
    assert "note: the JIT is off" in text


def test_an_error_in_the_expression_is_the_cells_error(kernel):
    result = race(kernel, "%%jit_race -n 3\nitems = [1, 2]\nitems[5]")
    assert result.status == "error"
    assert result.error["ename"] == "IndexError"
    assert "items[5]" in result.traceback
    text = summary(result)
    assert "stopped by an error or interrupt after 0 of 6 calls" in text
    assert "break-even: not reached" not in text


def test_an_interrupt_stops_the_race_and_keeps_what_was_timed(own_kernel):
    timer = threading.Timer(3.0, own_kernel.km.interrupt_kernel)
    timer.start()
    try:
        result = race(own_kernel, "%%jit_race -n 1000\nimport time\ntime.sleep(0.01)")
    finally:
        timer.cancel()
    assert result.status == "error" and result.error["ename"] == "KeyboardInterrupt"
    text = summary(result)
    assert re.search(r"stopped by an error or interrupt after [1-9]\d* of 2000 calls", text), text
    assert own_kernel.ok("1 + 1").value == "2"


@pytest.mark.parametrize(
    "line, body, named",
    [
        ("-n", "compute()", "-n"),
        ("-n zero", "compute()", "zero"),
        ("-n 0", "compute()", "0"),
        ("--fast", "compute()", "--fast"),
        ("-n 3 extra", "compute()", "extra"),
        ("-n 3", "race_ran = True", "expression"),
        ("-n 3", "race_ran = True\nfor i in range(3):\n    pass", "expression"),
    ],
)
def test_bad_arguments_are_one_line_on_stderr_and_run_nothing(kernel, line, body, named):
    kernel.ok("race_ran = False")
    result = race(kernel, f"%%jit_race {line}\nrace_ran = True\n{body}")
    assert result.status == "ok" and result.error is None
    assert result.stdout == "" and result.outputs == []
    assert result.stderr.count("\n") == 1 and named in result.stderr
    assert kernel.ok("race_ran").value == "False"
