"""`%%jit_race`: one expression timed N times interpreted, then N times under the JIT.

Owns what "a call" is (one evaluation of the cell's last expression; the lines above it are setup and
run once), reading tier changes from the engine's event stream, and the text summary. Drawing belongs
to `tierjit.widgets.race_view`: this module only feeds it numbers and never reaches into its internals.
"""
from __future__ import annotations

import ast
import math
import reprlib
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from html import escape
from types import CodeType
from typing import Any

DEFAULT_CALLS = 50
MAX_CALLS = 1_000_000
USAGE = "usage: %%jit_race [-n CALLS], then setup lines and a last line that is the expression to time, e.g. compute()"

_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60


class RaceError(ValueError):
    """A bad magic line or cell shape: one line for the user, nothing has run."""


def parse_line(line: str) -> int:
    """The number of calls per run from the magic's line (`-n N`, `-nN` or `--calls N`)."""
    try:
        words = shlex.split(line)
    except ValueError as err:
        raise RaceError(f"cannot read the arguments {line.strip()!r} ({err}); {USAGE}") from None
    calls = DEFAULT_CALLS
    while words:
        word = words.pop(0)
        if word in ("-n", "--calls"):
            if not words:
                raise RaceError(f"{word} needs a number of calls; {USAGE}")
            text = words.pop(0)
        elif word.startswith("-n") and len(word) > 2:
            text = word[2:]
        else:
            raise RaceError(f"unknown argument {word!r}; {USAGE}")
        try:
            calls = int(text)
        except ValueError:
            raise RaceError(f"-n wants a whole number of calls, got {text!r}") from None
        if not 1 <= calls <= MAX_CALLS:
            raise RaceError(f"-n must be between 1 and {MAX_CALLS:,}, got {calls}")
    return calls


@dataclass
class RaceCell:
    """The cell split into setup (run once) and the expression each call evaluates."""
    setup: CodeType | None
    expr: CodeType
    text: str                 # the expression as the user wrote it, for messages
    target: str | None        # `f` when the expression is a call `f(...)`: whose tiers the curve marks


def prepare(shell: Any, cell: str) -> RaceCell:
    """Parses and compiles the cell through IPython (so `%magics` and top-level defs work as in any cell)."""
    source = shell.transform_cell(cell)
    # A cached file name (as for any cell) makes tracebacks and inspect.getsource show the cell's lines.
    filename = shell.compile.cache(source, shell.current_cell(), raw_code=cell)
    tree = shell.transform_ast(ast.parse(source, filename))
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        raise RaceError(f"the cell's last line must be an expression to time, e.g. compute(); {USAGE}")
    last = tree.body.pop().value
    text = ast.get_source_segment(source, last) or ast.unparse(last)
    target = None
    if isinstance(last, ast.Call) and isinstance(last.func, ast.Name):
        target = last.func.id
    setup = compile(tree, filename, "exec") if tree.body else None
    expr = compile(ast.Expression(last), filename, "eval")
    return RaceCell(setup, expr, " ".join(text.split()), target)


@dataclass
class RaceResult:
    text: str
    calls: int
    interpreted: list[float] = field(default_factory=list)
    jit: list[float] = field(default_factory=list)
    tier_changes: list[list[int]] = field(default_factory=list)   # [call number, new tier]
    values: dict[str, Any] = field(default_factory=dict)          # lane -> value of its last call
    notes: list[str] = field(default_factory=list)
    stopped: bool = False     # an error or interrupt ended the race early

    def mismatch(self) -> str | None:
        """One line if both runs finished and their last values differ."""
        if len(self.values) < 2 or _same(self.values["interpreted"], self.values["jit"]):
            return None
        return (f"RESULTS DIFFER: interpreted gave {_short.repr(self.values['interpreted'])}, "
                f"JIT gave {_short.repr(self.values['jit'])}")


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        equal = a == b
        if not isinstance(equal, bool) and hasattr(equal, "all"):   # numpy arrays compare elementwise
            equal = equal.all()
        return bool(equal)
    except Exception:
        return repr(a) == repr(b)


def summary_lines(result: RaceResult) -> list[str]:
    """The text summary: totals and medians, tier changes, break-even, speed-up, result, notes."""
    from tierjit.widgets import race_text

    lines = race_text(result.interpreted, result.jit, result.tier_changes).splitlines()
    lines[0] = f"%%jit_race: {result.text}, {result.calls} calls per run"
    if result.stopped:   # "not reached" would blame the JIT for a race that did not finish
        lines = [line for line in lines if not line.startswith("break-even: not reached")]
    speedup = _speedup(result.interpreted, result.jit)
    if speedup:
        lines.insert(1, speedup)   # the headline: what the race was for
    wrong = result.mismatch()
    if wrong:
        lines.append(wrong)
    elif len(result.values) == 2:
        lines.append(f"result: both runs gave {_short.repr(result.values['jit'])}")
    return lines + result.notes


def _speedup(interpreted: list[float], jit: list[float]) -> str | None:
    if not interpreted or not jit or sum(jit) <= 0:
        return None
    overall = sum(interpreted) / sum(jit)
    warm = jit[-max(1, len(jit) // 4):]   # the last quarter: past the warm-up if there was one
    steady = statistics.median(interpreted) / max(statistics.median(warm), 1e-12)
    return (f"speed-up: {overall:.1f}x over all {len(jit)} calls (warm-up included), "
            f"{steady:.1f}x per call once warm (medians; the JIT's last {len(warm)} calls)")


def _timed(code: CodeType, ns: dict) -> tuple[float, Any]:
    __tracebackhide__ = True  # noqa: F841
    start = time.perf_counter()
    value = eval(code, ns, ns)
    return time.perf_counter() - start, value


def _target_record(eng: Any, race: RaceCell, ns: dict) -> Any:
    if race.target is None:
        return None
    return eng.record_of(ns.get(race.target))


def _state_notes(eng: Any, race: RaceCell, rec: Any) -> list[str]:
    """Why the JIT curve may show no warm-up: the JIT is off, the function is not compiled, or was warm."""
    if not eng.enabled:
        return ["note: the JIT is off (%jit off), so both runs are plain CPython"]
    if rec is None:
        return []
    if rec.fallback_reason:
        return [f"note: {race.target} is not compiled ({rec.fallback_reason}), so both runs are CPython"]
    if rec.tier > 0:
        return [f"note: {race.target} was already on tier {rec.tier} when the JIT run started (warmed by "
                f"earlier cells), so its warm-up is not in the curve; %jit_reset first to race it cold"]
    return []


def _run(eng: Any, race: RaceCell, calls: int, ns: dict, result: RaceResult, view: Any) -> None:
    """Setup once, then `calls` timed evaluations interpreted, then `calls` under the JIT, into `result`.

    `view` (a RaceView) gets every time as it comes; an error in a call propagates.
    """
    __tracebackhide__ = True  # noqa: F841
    with eng.suspended():
        if race.setup is not None:
            exec(race.setup, ns, ns)
        for _ in range(calls):
            seconds, value = _timed(race.expr, ns)
            result.interpreted.append(seconds)
            view.record("interpreted", seconds)
        result.values["interpreted"] = value

    rec = _target_record(eng, race, ns)
    watched = rec.id if rec is not None else None     # None: every function's tier changes are marked
    result.notes.extend(_state_notes(eng, race, rec))
    osr: dict[int, int] = {}                          # tier -> first call that entered it mid-loop
    _, seq = eng.events_since(sys.maxsize)            # only events from here on
    for call in range(1, calls + 1):
        seconds, value = _timed(race.expr, ns)
        result.jit.append(seconds)
        view.record("jit", seconds)
        # Polled after the call, outside its timing: an event seen now happened during this call
        # (or, for a background compile, just before its end).
        events, seq = eng.events_since(seq)
        for event in events:
            if watched is not None and event["function"] != watched:
                continue
            tier = {"tier_up": event["tier"], "deopt": 0}.get(event["kind"])
            if tier is not None:
                result.tier_changes.append([call, tier])
                view.tier_change(call, tier)
            elif event["kind"] == "osr":
                osr.setdefault(event["tier"], call)
    result.values["jit"] = value
    if osr:
        result.notes.append("OSR (native code entered in the middle of a loop): " +
                            ", ".join(f"T{t} first in call {c}" for t, c in sorted(osr.items())))


def race(shell: Any, eng: Any, race_cell: RaceCell, calls: int) -> RaceResult:
    """The magic's whole run: the side-effect warning, the live view, the race, the final display."""
    __tracebackhide__ = True  # noqa: F841
    from IPython.display import display

    print(f"%%jit_race: {race_cell.text} runs {calls} times interpreted, then {calls} times with the JIT: "
          f"its side effects happen twice (the lines above it run once)", file=sys.stderr)
    from tierjit.widgets import race_view   # ipywidgets and anywidget are required dependencies

    view = race_view(total=calls, display=False)
    running = (f"%%jit_race: {race_cell.text}, {calls} calls interpreted, then {calls} with the JIT "
               "(running; this output is replaced by the summary)")
    # Shown now with an id and replaced at the end, so the text/plain of a saved notebook or a
    # text-only frontend is the summary, not the "running" line.
    handle = display(_bundle(view, running), raw=True, display_id=True)
    result = RaceResult(race_cell.text, calls)
    try:
        _run(eng, race_cell, calls, shell.user_ns, result, view)
    except BaseException:
        result.stopped = True
        done = len(result.interpreted) + len(result.jit)
        result.notes.append(f"stopped by an error or interrupt after {done} of {2 * calls} calls")
        raise
    finally:
        # Also after an error or an interrupt: what was timed so far stays on screen.
        _finish(view, handle, result)
    wrong = result.mismatch()
    if wrong:
        print(f"%%jit_race: {wrong}", file=sys.stderr)
    return result


def _bundle(view: Any, text: str) -> dict[str, Any]:
    bundle = dict(view._repr_mimebundle_())
    bundle["text/plain"] = text
    return bundle


def _finish(view: Any, handle: Any, result: RaceResult) -> None:
    import ipywidgets as w

    lines = summary_lines(result)

    view.finish()
    wrong = result.mismatch()
    # The view's own summary lacks the speed-up, the result check and the notes: show ours instead,
    # the speed-up first and larger, a mismatch in red.
    rows = []
    for line in lines[1:]:
        style = "margin:1px 0;line-height:1.4"
        if line.startswith("speed-up:"):
            style += ";font-size:1.15em;font-weight:600"
        elif line == wrong:
            style += ";color:#D55E00;font-weight:700"
        rows.append(f'<div style="{style}">{escape(line)}</div>')
    view.summary.children = [w.HTML("".join(rows))]
    handle.update(_bundle(view, "\n".join(lines)), raw=True)
