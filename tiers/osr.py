"""On-stack replacement: a loop that got hot inside one call continues in native code.

Owns building the continuation of a loop (the loop from the current iteration on, then the rest of
the function) as a function of the live locals, compiling it for their current types, and running it.
The same continuation compiled by CPython is the resume function a failed guard hands back to, so a
deopt after OSR keeps exactly Python's semantics.

Two ways in: `enter`, called from the tier-0 copy's loop header (interpreter -> native), and
`LoopTierUp`, called from a long-running loop in tier-1 code (tier 1 -> tier 2 at a back-edge).
"""
from __future__ import annotations

import ast
import copy
import itertools
import sys
import time
import types
from typing import TYPE_CHECKING, Any

from . import instrument
from .frontend import Unsupported, signature_of
from .records import NEVER, Compile, FunctionRecord, LoopCounter
from .typer import OBJ

if TYPE_CHECKING:
    from .engine import Engine

START, STOP, STEP = "__tj_start", "__tj_stop", "__tj_step"

# A loop in tier-1 code moves to tier 2 mid-call only after TIER_UP_FACTOR * tier2_loops iterations
# in that call, and a range loop only with as many still to go: a tier-2 compile costs tens of ms,
# tier-1 code runs ~10^8-10^9 iterations a second, so a shorter loop would finish before the
# compile paid off (the whole function's tier 2, asked for at tier2_loops, serves its next call).
TIER_UP_FACTOR = 10

# What tier-1 code and LoopTierUp pass each other: no tier-2 code for this loop now (keep going in
# tier 1), and a local that is not bound at the back-edge (left out of the continuation).
NOT_NOW = type("NotNow", (), {"__repr__": lambda self: "<tier-up declined>"})()
UNBOUND = type("Unbound", (), {"__repr__": lambda self: "<unbound local>"})()


def _path_to(stmts: list[ast.stmt], target: ast.stmt, through_loops: bool = False,
             owner: ast.stmt | None = None) -> list[tuple[list[ast.stmt], int, ast.stmt | None]] | None:
    """The chain of (block, index, owner of the block) from the function body down to `target`:
    through `if`s and the `else`s of loops (which run once the loop is over, as plain blocks),
    and with `through_loops` through the bodies of loops too."""
    for i, s in enumerate(stmts):
        if s is target:
            return [(stmts, i, owner)]
        if isinstance(s, ast.If) or (through_loops and isinstance(s, (ast.For, ast.While))):
            blocks = (s.body, s.orelse)
        elif isinstance(s, (ast.For, ast.While)):
            blocks = (s.orelse,)
        else:
            continue
        for block in blocks:
            inner = _path_to(block, target, through_loops, s)
            if inner is not None:
                return [(stmts, i, owner)] + inner
    return None


def continuation(fn: ast.FunctionDef, loop: ast.For | ast.While, live: list[str],
                 through_loops: bool = False) -> ast.FunctionDef:
    """`def f__osr(live..., start, stop, step)`: the loop from its current iteration, then the rest.

    With `through_loops` the loop may sit in the body of other loops (the interpreter's way out
    of a range loop, RangeFallback): each enclosing loop goes on from the middle of its current
    iteration (see _rest_of_loop), and each enclosing `for` takes one more parameter, outermost
    first: an iterable of a placeholder and then the items that loop has still to give."""
    path = _path_to(fn.body, loop, through_loops)
    if path is None:
        raise Unsupported(f"loop at line {loop.lineno} is not reachable through plain blocks")
    resumed = copy.deepcopy(loop)
    if isinstance(resumed, ast.For):
        resumed.iter = ast.Call(ast.Name("range", ast.Load()),
                                [ast.Name(n, ast.Load()) for n in (START, STOP, STEP)], [])
        ast.copy_location(resumed.iter, loop.iter)
    body: list[ast.stmt] = [resumed]
    rests: list[str] = []
    for depth, (block, index, owner) in enumerate(reversed(path)):
        body += copy.deepcopy(block[index + 1:])
        if isinstance(owner, (ast.For, ast.While)) and block is owner.body:
            body = _rest_of_loop(owner, body, len(path) - depth, rests)
    params = list(live) + ([START, STOP, STEP] if isinstance(loop, ast.For) else []) + rests[::-1]
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], kwonlyargs=[], kw_defaults=[],
                         defaults=[], vararg=None, kwarg=None)
    cont = ast.FunctionDef(name=fn.name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None)
    ast.copy_location(cont, fn)
    ast.fix_missing_locations(cont)
    return cont


def _rest_of_loop(loop: ast.For | ast.While, partial: list[ast.stmt], level: int,
                  rests: list[str]) -> list[ast.stmt]:
    """The rest of `loop` from the middle of an iteration: `partial` (what is left of this
    iteration) once, then the remaining iterations, then its `else` unless a `break` ended it.
    The first pass is the loop's own first pass, so `break` and `continue` in `partial` act on
    it as they did on the original:

        __tj_first = True                      __tj_first = True
        for __tj_item in __tj_rest:            while __tj_first or <test>:
            if __tj_first:                         if __tj_first:
                __tj_first = False                     __tj_first = False
                <partial>                              <partial>
            else:                                  else:
                <target> = __tj_item                   <body>
                <body>                         else:
        else:                                      <orelse>
            <orelse>

    A `for`'s target keeps its value in the first pass (the body may have rebound it)."""
    first, item = f"__tj_first{level}", f"__tj_item{level}"

    def name(n: str, store: bool = False) -> ast.Name:
        return ast.Name(n, ast.Store() if store else ast.Load())

    start = ast.Assign([name(first, True)], ast.Constant(True))
    flip = ast.Assign([name(first, True)], ast.Constant(False))
    if isinstance(loop, ast.For):
        rest = f"__tj_rest{level}"
        rests.append(rest)
        again = [ast.Assign([copy.deepcopy(loop.target)], name(item))] + copy.deepcopy(loop.body)
        resumed: ast.stmt = ast.For(name(item, True), name(rest), [ast.If(name(first), [flip] + partial, again)],
                                    copy.deepcopy(loop.orelse), None)
    else:
        test = ast.BoolOp(ast.Or(), [name(first), copy.deepcopy(loop.test)])
        resumed = ast.While(test, [ast.If(name(first), [flip] + partial, copy.deepcopy(loop.body))],
                            copy.deepcopy(loop.orelse))
    for node in (start, flip, resumed, *resumed.body):
        ast.copy_location(node, loop)
    return [start, resumed]


def _resume_function(cont: ast.FunctionDef, like: types.FunctionType) -> types.FunctionType:
    """The continuation run by CPython: what a failed guard in the OSR code hands the call to."""
    code = instrument.compile_function(copy.deepcopy(cont), like.__code__.co_filename)
    return types.FunctionType(code, like.__globals__, like.__name__)


def enter(engine: "Engine", rec: FunctionRecord, site: Any, lc: LoopCounter, iterator: Any,
          frame: types.FrameType) -> Any:
    """Run the rest of the call natively, or return `lc` (the sentinel) to stay on tier 0."""
    if lc.osr_at == NEVER or not engine.active or rec.func is None or rec.tree is None:
        return lc
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return lc                # a debugger or profiler is watching: stay in the interpreter
    f_locals = frame.f_locals
    live = [n for n in f_locals if not n.startswith("__tj_")]
    values = [f_locals[n] for n in live]
    remaining = None
    if isinstance(site.node, ast.For):
        remaining = _from_current(iterator)
        if remaining is None:
            return lc
        values += [remaining.start, remaining.stop, remaining.step]
    signature = signature_of(tuple(values))
    key = (site.index, signature)
    unit = rec.osr_units.get(key)
    if unit is None:
        tier = 2 if remaining is not None and len(remaining) >= engine.config.tier2_loops else 1
        unit = _compile(engine, rec, rec.tree, rec.func, site.node, live, signature, tier)
        if unit is None:
            lc.osr_at = NEVER    # it will not compile for these types: stop asking
            return lc
        rec.osr_units[key] = unit
        engine.queue.enforce_budget(keep=rec)
        if key not in rec.osr_units:      # evicted at once: the cache is too small even for this
            return lc
    rec.osr[(site.line, unit.tier)] = rec.osr.get((site.line, unit.tier), 0) + 1
    engine.events.emit("osr", rec.id, unit.tier, reason=f"loop at line {site.line}")
    try:
        return unit.builtin(*values)
    finally:
        engine.events.emit("osr_exit", rec.id, unit.tier, reason=f"loop at line {site.line}")


def _from_current(iterator: Any) -> range | None:
    """The range from the iteration whose body is about to run (its value was already taken from
    the iterator) to the end; None if `iterator` is not a range iterator that far along.
    CPython 3.11 pickles a range iterator as (the whole range, items taken); 3.12+ as (the range
    of what is left, None)."""
    try:
        _, (rng,), taken = iterator.__reduce__()
    except Exception:
        return None
    if not isinstance(rng, range):
        return None
    if taken is None:
        return range(rng.start - rng.step, rng.stop, rng.step)
    return rng[taken - 1:] if isinstance(taken, int) and taken >= 1 else None


class LoopTierUp:
    """Called once from a loop of tier-1 code that has run TIER_UP_FACTOR * tier2_loops iterations
    in one call:
    compile the rest of the call (this loop from the next iteration on, then the rest of the
    function) at tier 2 for the live values' types, run it, and return its result, which the
    tier-1 code returns as its own. Returns NOT_NOW to let tier 1 carry on instead.

    `names` are the locals tier-1 code passes (UNBOUND for one not bound now); a range loop
    appends the next index, its stop and step."""

    def __init__(self, engine: "Engine", owner: FunctionRecord, like: types.FunctionType,
                 tree: ast.FunctionDef, node: ast.For | ast.While, names: list[str], returns: str) -> None:
        self.engine, self.owner, self.like, self.tree, self.node = engine, owner, like, tree, node
        self.names, self.returns = names, returns
        self.generation = owner.generation
        self.refused: set[tuple] = set()     # continuations that did not compile: not tried again

    def __call__(self, values: tuple) -> Any:
        engine, owner, node = self.engine, self.owner, self.node
        if (not engine.active or owner.generation != self.generation or owner.func is None
                or sys.gettrace() is not None or sys.getprofile() is not None):
            return NOT_NOW
        n = len(self.names)
        live = [name for name, v in zip(self.names, values) if v is not UNBOUND]
        args = tuple(v for v in values[:n] if v is not UNBOUND) + tuple(values[n:])
        if isinstance(node, ast.For) and len(range(*values[n:])) < TIER_UP_FACTOR * engine.config.tier2_loops:
            return NOT_NOW       # about to end anyway: not worth a compile
        signature = signature_of(args)
        key = ("tier-up", node.lineno, node.col_offset, tuple(live), signature)
        unit = owner.osr_units.get(key)
        if unit is None:
            if key in self.refused:
                return NOT_NOW
            unit = _compile(engine, owner, self.tree, self.like, node, live, signature, 2)
            # the tier-1 code unboxes the result as its own return type: it must be that type
            if unit is None or self.returns not in (OBJ, unit.typing.returns):
                self.refused.add(key)
                return NOT_NOW
            owner.osr_units[key] = unit
            engine.queue.enforce_budget(keep=owner)
            if key not in owner.osr_units:
                return NOT_NOW
        owner.osr[(node.lineno, 2)] = owner.osr.get((node.lineno, 2), 0) + 1
        reason = f"loop at line {node.lineno}, from tier 1"
        engine.events.emit("osr", owner.id, 2, reason=reason)
        try:
            return unit.builtin(*args)
        finally:
            engine.events.emit("osr_exit", owner.id, 2, reason=reason)


class RangeFallback:
    """Called by compiled code at a range loop whose bounds do not fit its counter, or whose step
    is zero: the rest of the call, from this loop on, runs in the interpreter (the loop's
    continuation, as OSR builds it, compiled by CPython), and its result is the call's.
    `names` are the locals the code passes (UNBOUND for one not bound), then start, stop, step,
    then what each loop around this one has still to do, outermost first (`enclosing` gives
    their kinds): "range" passes its current item, stop and step; "seq" (a list or array) the
    object and the current position; "iter" the iterator; "while" nothing."""

    def __init__(self, tree: ast.FunctionDef, node: ast.For, names: list[str], like: types.FunctionType,
                 enclosing: tuple[str, ...] = ()) -> None:
        self.tree, self.node, self.names, self.like = tree, node, names, like
        self.enclosing = enclosing
        self._resumes: dict[tuple[str, ...], types.FunctionType] = {}

    def __call__(self, values: tuple) -> Any:
        n = len(self.names)
        bounds = values[n:n + 3]
        range(*bounds)         # a zero step: CPython's own ValueError, at the loop
        rests = _rests(self.enclosing, values[n + 3:])
        live = tuple(name for name, v in zip(self.names, values) if v is not UNBOUND)
        resume = self._resumes.get(live)
        if resume is None:
            cont = continuation(self.tree, self.node, list(live), through_loops=bool(self.enclosing))
            resume = self._resumes[live] = _resume_function(cont, self.like)
        return resume(*(v for v in values[:n] if v is not UNBOUND), *bounds, *rests)


def _rests(kinds: tuple[str, ...], state: tuple) -> list[Any]:
    """For each enclosing `for`: a placeholder (its current, unfinished pass), then its remaining items."""
    rests = []
    at = 0
    for kind in kinds:
        if kind == "range":
            current, stop, step = state[at:at + 3]
            at += 3
            remaining: Any = range(current + step, stop, step)
        elif kind == "seq":       # as the list's (or array's) own iterator would go on
            obj, position = state[at:at + 2]
            at += 2
            remaining = iter(obj)
            remaining.__setstate__(position + 1)
        elif kind == "iter":
            remaining = state[at]
            at += 1
        else:
            continue
        rests.append(itertools.chain((None,), remaining))
    return rests


def _compile(engine: "Engine", rec: FunctionRecord, tree: ast.FunctionDef, like: types.FunctionType,
             node: ast.For | ast.While, live: list[str], signature: tuple[str, ...], tier: int) -> Any:
    """Compile the continuation of `tree` at `node` for `live` locals of these types (None if it
    will not compile); `rec` is the function it belongs to, `like` gives globals and file name."""
    from .compiler import compile_unit
    line = node.lineno
    engine.events.emit("compile_start", rec.id, tier, reason=f"osr at line {line}")
    start = time.perf_counter()
    try:
        cont = continuation(tree, node, live)
        resume = _resume_function(cont, like)
        shadow = FunctionRecord(resume, rec.name, rec.qualname, rec.defined_in, original_code=resume.__code__,
                                tree=cont, profile_code=resume.__code__)
        shadow.arg_types = [signature]
        with engine.queue.llvm_lock:
            unit = compile_unit(engine, shadow, tier, osr=True, owner=rec)
    except Unsupported as err:
        engine.events.emit("compile_end", rec.id, tier, ms=(time.perf_counter() - start) * 1e3,
                           reason=f"osr: {err}")
        return None
    except Exception as err:   # never let an OSR attempt break the user's loop
        engine.events.emit("compile_end", rec.id, tier, ms=(time.perf_counter() - start) * 1e3,
                           reason=f"osr: internal compiler error: {err!r}")
        return None
    ms = (time.perf_counter() - start) * 1e3
    engine.events.emit("compile_end", rec.id, tier, ms=ms)
    rec.compiles.append(Compile(tier, ms, unit.code_bytes, unit.ir_bytes, False,
                                f"osr@{line} {unit.signature}", unit.stages_ms))
    return unit
