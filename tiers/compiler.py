"""The compile pipeline, stage by stage: types -> typed IR -> LLVM IR -> machine code -> stub.

Owns `compile_unit`, the one function the compile queue calls. Each stage is timed into the
compile record so `%jit_stats` and `%jit_explain` can show where the milliseconds went.
"""
from __future__ import annotations

import functools
import time
import types
from typing import TYPE_CHECKING, Any

from . import instrument, shared_entry
from .builder import module_text, release
from .capi import I64
from .codegen import CHUNK, FunctionGen, ModuleGen
from .entry import EntrySelf, build_entry, emit_table_entry
from .frontend import Unsupported
from .native import NativeUnit
from .osr import TIER_UP_FACTOR, LoopTierUp
from .records import FunctionRecord
from .typer import (ARR_FLOAT, ARR_INT, BOOL, FLOAT, INT, LIST_FLOAT, LIST_INT, LIST_OBJ, NONE, NP_BOOL,
                    NP_FLOAT, NP_INT, OBJ, BOTTOM, Program, Typing, join)

if TYPE_CHECKING:
    from .engine import Engine

_TYPE_NAMES = {"int": INT, "float": FLOAT, "bool": BOOL, "NoneType": NONE,
               "list[int]": LIST_INT, "list[float]": LIST_FLOAT,
               **{t: t for t in (ARR_FLOAT, ARR_INT, NP_FLOAT, NP_INT, NP_BOOL)}}


def param_types(rec: FunctionRecord) -> tuple[str, ...]:
    """Join every argument signature seen so far: a parameter seen as int and float becomes object."""
    if not rec.arg_types:
        raise Unsupported("no argument types were recorded")
    n = len(rec.arg_types[-1])
    result = [BOTTOM] * n
    for sig in rec.arg_types:
        if len(sig) != n:
            continue
        for i, name in enumerate(sig):
            ty = _TYPE_NAMES.get(name, LIST_OBJ if name.startswith("list") else OBJ)
            result[i] = join(result[i], ty)
    return tuple(result)


def type_program(engine: "Engine", rec: FunctionRecord) -> tuple[Program, Typing]:
    def is_jit(func: Any) -> Any:
        other = engine.record_of(func)
        if other is None or other.tree is None or other.state in ("unsupported", "disabled"):
            return None
        return other.tree
    try:
        program = Program(is_jit)
        typing = program.typing(rec.func, rec.tree, param_types(rec))
    except Unsupported:
        # a list made empty and typed by its items here may meet a callee that stores another
        # type into it (which it may, into a list[object]): type it as before
        program = Program(is_jit, fresh_lists=False)
        typing = program.typing(rec.func, rec.tree, param_types(rec))
    if any(t.calls_unknown or t.lists_escape for t in program.typings.values()):
        program = Program(is_jit, boxed_lists=True)
        typing = program.typing(rec.func, rec.tree, param_types(rec))
    return program, typing


class GuardFailed:
    """Called by the native entry when a guard fails: records the deopt, returns the tier-0 function."""

    def __init__(self, engine: "Engine", rec: FunctionRecord) -> None:
        self.engine, self.rec = engine, rec
        self.unit: NativeUnit | None = None
        self.reasons: list[str] = []

    def __call__(self, index: int) -> Any:
        return self.engine.deopt(self.rec, self.unit, self.reasons[index])


class Tier0Fallback(EntrySelf):
    """Runs one call on tier 0, with the function's own bytecode (none of the call ran natively).

    It is the builtin's `self`: after its code is freed, calls through a stale stub land here.
    Until then the native entry reads the unit's entry table from it (entry.EntrySelf).
    `packed`, it is the hook compiled code calls at its start, with the arguments in one tuple,
    when it cannot run this call natively (codegen.FunctionGen._check_range_bounds): the code
    stays (one call with a huge range bound is no reason to drop it)."""

    def __init__(self, engine: "Engine", rec: FunctionRecord | None, packed: bool = False) -> None:
        assert rec is not None, "a compiled function has a record"
        self.engine, self.rec, self.packed = engine, rec, packed

    def __call__(self, *args: Any) -> Any:
        if self.packed:
            (args,) = args
        return self.engine.tier0_function(self.rec)(*args)


class DeepRecursion:
    """Called by recursive native code whose C-stack budget is used up: runs the call with the
    original bytecode while every function of the compiled program runs its original code too, so
    the deeper calls recurse in the interpreter (no C stack per call in CPython 3.11+) and the
    answer, or CPython's own RecursionError at the recursion limit, is exactly CPython's."""

    def __init__(self, engine: "Engine", func: Any, program: Program) -> None:
        self.engine, self.func, self.program = engine, func, program

    def __call__(self, *args: Any) -> Any:
        engine = self.engine
        recs = [r for r in (engine.record_of(t.func) for t in self.program.typings.values()) if r is not None]
        original = next((r.original_code for r in recs if r.func is self.func), self.func.__code__)
        run = types.FunctionType(original, self.func.__globals__, self.func.__name__)
        with engine.interpreting(recs):
            return run(*args)


def link_plan(engine: "Engine", program: Program, top: Typing, tier: int) -> tuple[list[Typing], dict[str, NativeUnit]]:
    """Which specialisations this unit compiles, and which JIT'd callees it calls in code that
    already runs (another function's live tier-1 unit, compiled for the same argument and return
    types under the same list rules): tier 1 calls those through their export (ModuleGen.export)
    instead of compiling them again, so a function's tier-1 compile costs its own body, not its
    callees'. Tier 2 compiles everything into one module, where the optimiser inlines the callees."""
    links: dict[str, NativeUnit] = {}
    compiled: dict[int, Typing] = {}
    todo = [top]
    while todo:
        t = todo.pop()
        if id(t) in compiled or t.symbol in links:
            continue
        unit = _live_unit_for(engine, program, t) if tier == 1 and t is not top else None
        if unit is not None:
            links[t.symbol] = unit
            continue
        compiled[id(t)] = t
        todo.extend(t.callees.values())
    ordered = [t for t in program.typings.values() if id(t) in compiled]
    return ordered, links


def _live_unit_for(engine: "Engine", program: Program, t: Typing) -> NativeUnit | None:
    rec = engine.record_of(t.func)
    if rec is None:
        return None
    for unit in reversed(rec.units):
        own = getattr(unit, "typing", None)
        # a tier-1 unit: tier 2 holds ints in 128 bits, tier 1 in 64 (ModuleGen.int_bits)
        if (unit.tier == 1 and own is not None and own.func is t.func and own.param_types == t.param_types
                and own.returns == t.returns and unit.program.boxed_lists == program.boxed_lists
                and unit.export_address and not unit.closed and not unit.retired):
            return unit
    return None


def compile_unit(engine: "Engine", rec: FunctionRecord, tier: int, osr: bool = False,
                 owner: FunctionRecord | None = None) -> NativeUnit:
    """Compile `rec` (for an OSR continuation: a shadow record of `owner`'s function) at `tier`."""
    stages: dict[str, float] = {}
    t = time.perf_counter()
    program, typing = type_program(engine, rec)
    stages["types"] = (time.perf_counter() - t) * 1e3
    t = time.perf_counter()
    generation = rec.generation
    tier2_hook = lambda: engine.on_tier2(rec, generation)   # noqa: E731
    # tier-1 code asks for tier 2 after tier2_calls calls or tier2_loops loop iterations (counted
    # per safepoint, i.e. per CHUNK iterations), whichever comes first
    loop_chunks = max(1, engine.config.tier2_loops // CHUNK) if tier == 1 and not osr else -1
    mod = ModuleGen(f"{rec.name}_t{tier}", tier, tier2_hook, loop_chunks)
    mod.deep = lambda spec: DeepRecursion(engine, spec.func, program)    # noqa: E731
    if not osr:
        mod.restart = lambda spec: Tier0Fallback(engine, engine.record_of(spec.func), packed=True)  # noqa: E731
    if tier == 1:
        # a loop that runs on and on in one call moves to tier 2 at a back-edge (osr.LoopTierUp)
        func = rec.func
        assert func is not None
        mod.tier_up = functools.partial(LoopTierUp, engine, owner or rec, func)
        mod.tier_up_typing = typing
        mod.tier_up_after = max(1, TIER_UP_FACTOR * engine.config.tier2_loops)
    specs, links = link_plan(engine, program, typing, tier)
    mod.linked = {symbol: unit.export_address for symbol, unit in links.items()}
    lines: set[int] = set()
    for spec in specs:
        gen = FunctionGen(mod, spec)
        gen.generate()
        lines |= gen.lines
        gen.ops = None      # it points back at the generator: a cycle (see builder.release)
        if tier >= 2 and spec is not typing and not spec.recursive:
            gen.fn.attributes.add("alwaysinline")     # tier 2 inlines JIT'd callees into the caller
    if not osr:
        mod.export(typing)
    guard_failed = GuardFailed(engine, rec)
    tier2_at = engine.config.tier2_calls if tier == 1 and not osr else -1
    guard_failed.reasons = build_entry(mod, typing, guard_failed,
                                       tier2_hook, tier2_at, lines)
    shared = None
    if mod.entry_signature is not None:
        shared = shared_entry.entry_for(mod.entry_signature)     # compiled on first use
        if shared is None:      # no shared entry for this unit: it carries its own
            emit_table_entry(mod, mod.entry_signature, mod.address(mod.entry_table, I64.as_pointer()))
    ir_text = module_text(mod.module)
    release(mod.module)
    stages["llvm-ir"] = (time.perf_counter() - t) * 1e3
    fallback = Tier0Fallback(engine, rec)
    if shared is not None:
        fallback.table = mod.entry_table
    unit = NativeUnit(ir_text, tier, rec.name, fallback, mod.keepalive + [guard_failed],
                      mod.cell_addresses, mod.export_symbol, mod.symbol_cells,
                      entry_address=shared.address if shared else 0)
    unit.shared_entry = shared
    guard_failed.unit = unit
    unit.link(links.values())
    unit.functions = [spec.tree.name for spec in specs]
    unit.stages_ms = {**stages, **unit.stages_ms}
    unit.signature = "(" + ", ".join(typing.param_types) + ") -> " + typing.returns
    unit.typing = typing
    unit.program = program
    unit.vector_loops = mod.vector_loops
    unit.address_names = mod.address_names
    func = rec.func
    assert func is not None
    if not osr:
        unit.stub = instrument.stub_code(rec.tree, func.__code__.co_filename, unit.builtin, rec.original_code)
    return unit
