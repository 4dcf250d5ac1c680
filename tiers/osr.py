"""On-stack replacement: a loop that got hot inside one call continues in native code.

Owns building the continuation of a loop (the loop from the current iteration on, then the rest of
the function) as a function of the live locals, compiling it for their current types, and running it.
The same continuation compiled by CPython is the resume function a failed guard hands back to, so a
deopt after OSR keeps exactly Python's semantics. Called from the tier-0 copy's loop header.
"""
from __future__ import annotations

import ast
import copy
import sys
import time
import types
from typing import TYPE_CHECKING, Any

from . import instrument
from .frontend import Unsupported, signature_of
from .records import NEVER, Compile, FunctionRecord, LoopCounter

if TYPE_CHECKING:
    from .engine import Engine

START, STOP, STEP = "__tj_start", "__tj_stop", "__tj_step"


def _path_to(stmts: list[ast.stmt], target: ast.stmt) -> list[tuple[list[ast.stmt], int]] | None:
    """The chain of (block, index) from the function body down to `target` (through `if`s only)."""
    for i, s in enumerate(stmts):
        if s is target:
            return [(stmts, i)]
        if isinstance(s, ast.If):
            for block in (s.body, s.orelse):
                inner = _path_to(block, target)
                if inner is not None:
                    return [(stmts, i)] + inner
    return None


def continuation(fn: ast.FunctionDef, loop: ast.For | ast.While, live: list[str]) -> ast.FunctionDef:
    """`def f__osr(live..., start, stop, step)`: the loop from its current iteration, then the rest."""
    path = _path_to(fn.body, loop)
    if path is None:
        raise Unsupported(f"loop at line {loop.lineno} is not reachable through plain blocks")
    resumed = copy.deepcopy(loop)
    if isinstance(resumed, ast.For):
        resumed.iter = ast.Call(ast.Name("range", ast.Load()),
                                [ast.Name(n, ast.Load()) for n in (START, STOP, STEP)], [])
        ast.copy_location(resumed.iter, loop.iter)
    body: list[ast.stmt] = [resumed]
    for block, index in reversed(path):
        body += copy.deepcopy(block[index + 1:])
    params = list(live) + ([START, STOP, STEP] if isinstance(loop, ast.For) else [])
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], kwonlyargs=[], kw_defaults=[],
                         defaults=[], vararg=None, kwarg=None)
    cont = ast.FunctionDef(name=fn.name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None)
    ast.copy_location(cont, fn)
    ast.fix_missing_locations(cont)
    return cont


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
        rng, index = _range_state(iterator)
        if rng is None:
            return lc
        remaining = rng[index - 1:]          # the current iteration (its body has not run) and the rest
        values += [remaining.start, remaining.stop, remaining.step]
    signature = signature_of(tuple(values))
    key = (site.index, signature)
    unit = rec.osr_units.get(key)
    if unit is None:
        tier = 2 if remaining is not None and len(remaining) >= engine.config.tier2_loops else 1
        unit = _compile(engine, rec, site, live, signature, tier)
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


def _range_state(iterator: Any) -> tuple[range | None, int]:
    try:
        _, (rng,), index = iterator.__reduce__()
    except Exception:
        return None, 0
    return (rng, index) if isinstance(rng, range) and index >= 1 else (None, 0)


def _compile(engine: "Engine", rec: FunctionRecord, site: Any, live: list[str], signature: tuple[str, ...],
             tier: int) -> Any:
    from .compiler import compile_unit
    func = rec.func
    assert func is not None and rec.tree is not None
    engine.events.emit("compile_start", rec.id, tier, reason=f"osr at line {site.line}")
    start = time.perf_counter()
    try:
        cont = continuation(rec.tree, site.node, live)
        resume = _resume_function(cont, func)
        shadow = FunctionRecord(resume, rec.name, rec.qualname, rec.defined_in, original_code=resume.__code__,
                                tree=cont, profile_code=resume.__code__)
        shadow.arg_types = [signature]
        with engine.queue.llvm_lock:
            unit = compile_unit(engine, shadow, tier, osr=True)
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
                                f"osr@{site.line} {unit.signature}", unit.stages_ms))
    return unit
