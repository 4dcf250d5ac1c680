"""Machine code as Python sees it: one LLVM engine per compile unit, wrapped in a C builtin.

Owns LLVM initialisation, the tier-1 and tier-2 pipelines (parse, verify, optimise, MCJIT), the
METH_FASTCALL builtin whose C function is the native entry, and freeing code safely: a closed
unit's builtin is re-pointed at a permanent trampoline that runs the call on tier 0 instead.
"""
from __future__ import annotations

import ctypes
import functools
import threading
import time
from typing import Any, Callable

from llvmlite import binding as llvm

from . import capi, compile_queue

METH_FASTCALL = 0x0080

_init_lock = threading.Lock()
_initialised = False


def initialise() -> None:
    global _initialised
    with _init_lock:
        if not _initialised:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            capi.register_symbols()
            _initialised = True


# the target machines' options (tier 2's also name the host CPU); part of the runtime's cache key
MACHINE_OPTIONS = {1: {"opt": 0, "jit": True}, 2: {"opt": 3, "jit": True}}


@functools.lru_cache(maxsize=None)
def _host_target() -> Any:
    """The host's target, from LLVM's registry (looking it up again cost 35 µs a compile)."""
    return llvm.Target.from_default_triple()


def target_machine(tier: int) -> Any:
    """A fresh target machine per engine: an engine owns (and frees) the one it was given."""
    target = _host_target()
    if tier >= 2:
        return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                            features=llvm.get_host_cpu_features().flatten(),
                                            **MACHINE_OPTIONS[2])
    return target.create_target_machine(**MACHINE_OPTIONS[1])


# One target machine per tier, kept for the process, writes every unit's object file
# (emit_object). An engine needs a fresh machine of its own (it frees the one it is given), but
# left to make the code itself, that fresh machine builds the X86 subtarget anew (its
# X86TargetLowering, legalizer and register tables) and MCJIT's code generation runs LLVM's IR
# verifier over the module once more (this LLVM is built with assertions, which turns MCJIT's
# module verifying on); the module was verified right after parsing. Handed the object through
# its object-cache hook, the engine only loads it. The object is byte for byte the one MCJIT
# makes (tests/tiers/test_machine_code.py holds it to that); measured on the bench functions'
# tier-1 modules, machine code 1.3x sooner (sieve 3.46 -> 2.65 ms, compute 1.48 -> 1.12 ms).
_emitters: dict[int, tuple[Any, str]] = {}


def emit_object(module: Any, tier: int) -> bytes:
    """`module`'s machine code at `tier`, as an object file (the caller holds LLVM_LOCK)."""
    emitter = _emitters.get(tier)
    if emitter is None:
        machine = target_machine(tier)
        emitter = _emitters[tier] = (machine, str(machine.target_data))
    machine, layout = emitter
    module.data_layout = layout        # what MCJIT sets on a module it is given
    return machine.emit_object(module)


class PyMethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


_new_cfunction = ctypes.pythonapi.PyCFunction_NewEx
_new_cfunction.restype = ctypes.py_object
_new_cfunction.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]


# Tier 2's pipeline, spelled out. LLVM's ready-made O3 pipeline (pass builder's module pass manager)
# keeps ~70-160 KB per compile in this llvmlite that never comes back, and its pass manager cannot be
# run twice; this list can, see _Pipeline. Callees marked alwaysinline are inlined first.
TIER2_MODULE_PASSES = ("always_inliner", "ipsccp", "global_opt")
TIER2_FUNCTION_PASSES = ("sroa", "instruction_combine", "simplify_cfg", "reassociate", "sccp",
                         "jump_threading", "loop_simplify", "lcssa", "loop_rotate", "loop_deletion",
                         "loop_unroll", "new_gvn", "sccp", "instruction_combine", "dead_store_elimination",
                         "aggressive_dce", "simplify_cfg", "instruction_combine")
# Tier 1 runs no IR passes: its helpers live in the shared runtime (runtime.py) and are called, not
# inlined, and its locals stay in their stack slots. Measured over the bench kernels (stop 26,
# docs/tiers.md "No IR passes"): SROA, the one pass tier 1 used to run, took about 7% of a
# compile, and its phis made the -O0 code slower where it mattered most: the fast register
# allocator spills a phi through a stack slot of its own, so a loop chained stores and reloads
# (`compute` 1.7x faster without it); recursive `fib` is 1.2 to 1.6x slower (bigger frames). Hot
# code reaches tier 2 anyway. Adding instcombine + simplifycfg cost 3.6 ms a compile (stop 20).
TIER1_MODULE_PASSES: tuple[str, ...] = ()
TIER1_FUNCTION_PASSES: tuple[str, ...] = ()
# The shared runtime's rarely run functions (its slow paths): their locals into registers, once per
# process (runtime.HOT names the ones that get tier 2's passes instead)
RUNTIME_COLD_PASSES = ("sroa",)
# a pipeline's passes: (module passes, function passes), by the name _pipeline is given
PASSES = {1: (TIER1_MODULE_PASSES, TIER1_FUNCTION_PASSES), 2: (TIER2_MODULE_PASSES, TIER2_FUNCTION_PASSES),
          "cold": ((), RUNTIME_COLD_PASSES)}


class _Pipeline:
    """One tier's pass managers, built once and reused for PIPELINE_RUNS compiles.

    Building a pass builder and its managers per compile kept ~5-40 KB each time inside llvmlite
    (measured: a fresh builder per compile grew RSS by 5.4 KB a compile on a one-loop module, a
    reused one by 88 bytes), which a kernel that redefines a hot function thousands of times
    cannot afford. But a reused one gets slower with every module it has run on: the tier-2
    compile of mandelbrot's `escapes`, 100 times over and over in one process, took a median of
    102, 134, 176 and 218 ms CPU in the first four hundreds (with the pipeline built anew every
    100 compiles: 92 to 117, no trend). So a pipeline serves PIPELINE_RUNS compiles and is then
    built anew: a few hundred bytes a compile, at most a few ms each. The builder points at its
    target machine, so the pipeline owns one of its own (an engine frees the machine it is
    given). Used only under compile_queue.LLVM_LOCK."""

    def __init__(self, kind: int | str) -> None:
        self.runs = 0
        tier = 2 if kind == 2 else 1
        self.tm = target_machine(tier)
        self.pto = llvm.create_pipeline_tuning_options(speed_level=3 if tier >= 2 else 1)
        self.pb = llvm.create_pass_builder(self.tm, self.pto)
        module_passes, function_passes = PASSES[kind]
        self.mpm = llvm.create_new_module_pass_manager()
        for name in module_passes:
            getattr(self.mpm, f"add_{name}_pass")()
        self.fpm = llvm.create_new_function_pass_manager()
        for name in function_passes:
            getattr(self.fpm, f"add_{name}_pass")()
        # A quick pipeline's function passes also run from the module pass manager, over every
        # function in one run: each run of a pass manager sets up its analysis managers anew.
        # Measured when tier 1 ran SROA: 0.54 -> 0.30 ms (compute), 1.23 -> 0.91 ms (sieve).
        # Tier 2 keeps function-major order (each function through the whole list in turn).
        self.whole_module = tier < 2
        if self.whole_module:
            for name in function_passes:
                getattr(self.mpm, f"add_{name}_pass")()

    def run(self, module: Any) -> None:
        self.mpm.run(module, self.pb)
        if self.whole_module:
            return
        for fn in module.functions:
            if not fn.is_declaration:
                self.fpm.run(fn, self.pb)


_pipelines: dict[int | str, _Pipeline] = {}


PIPELINE_RUNS = 32


def _pipeline(kind: int | str) -> _Pipeline:
    pipeline = _pipelines.get(kind)
    if pipeline is None or pipeline.runs >= PIPELINE_RUNS:
        pipeline = _pipelines[kind] = _Pipeline(kind)
    pipeline.runs += 1
    return pipeline


def run_passes(module: Any, tier: int) -> None:
    """Tier `tier`'s pass list over `module` (the caller holds LLVM_LOCK); none at all for a list
    that is empty (setting up a pass manager's run has a cost of its own)."""
    if any(PASSES[tier]):
        _pipeline(tier).run(module)


def optimise_hot(module: Any, hot: set[str]) -> None:
    """Tier 2's module passes, then tier 2's function passes on the functions named in `hot` and
    RUNTIME_COLD_PASSES on the rest (the caller holds LLVM_LOCK): the shared runtime, whose
    refcount and boxing helpers run in every tier-1 loop while its slow paths seldom run at all."""
    full, quick = _pipeline(2), _pipeline("cold")
    full.mpm.run(module, full.pb)
    for fn in module.functions:
        if not fn.is_declaration:
            pipeline = full if fn.name in hot else quick
            pipeline.fpm.run(fn, pipeline.pb)


def optimise(module: Any) -> None:
    """Tier 2's passes (the caller holds LLVM_LOCK)."""
    run_passes(module, 2)


def quick_optimise(module: Any) -> None:
    """Tier 1's passes (the caller holds LLVM_LOCK)."""
    run_passes(module, 1)


def make_machine_code(ir_text: str, tier: int, context: Any = None,
                      lap: Callable[[str, float], None] = lambda _stage, _start: None,
                      passes: str | None = None) -> tuple[Any, int]:
    """`ir_text` parsed (into `context`, else the global one), verified, optimised as `tier`
    wants (or by the PASSES named `passes`) and made into machine code: (its MCJIT engine, the
    object's size in bytes). `lap` is told when each stage started. The caller holds LLVM_LOCK."""
    t = time.perf_counter()
    module = llvm.parse_assembly(ir_text, context=context)
    module.verify()       # a verifier error is a compiler bug: the caller falls back to tier 0
    lap("parse+verify", t)
    tm = target_machine(tier)
    t = time.perf_counter()
    if passes is not None:
        _pipeline(passes).run(module)
    else:
        (optimise if tier >= 2 else quick_optimise)(module)
    lap("optimise", t)
    t = time.perf_counter()
    made = [emit_object(module, tier)]
    size = len(made[0])
    engine = llvm.create_mcjit_compiler(module, tm)
    # MCJIT asks for a module's object before it makes one: it gets the one just made (once;
    # the engine keeps no copy of it)
    engine.set_object_cache(getbuffer_func=lambda _m: made.pop() if made else None)
    engine.finalize_object()
    lap("codegen", t)
    return engine, size


class NativeUnit:
    """The machine code of one compile (one function specialisation and its inlined/linked callees)."""

    def __init__(self, ir_text: str, tier: int, name: str, fallback: Any, keepalive: list[Any],
                 cells: dict[str, int] | None = None, export: str | None = None,
                 symbol_cells: dict[str, ctypes.c_void_p] | None = None, entry_address: int = 0) -> None:
        initialise()
        self.tier = tier
        self.stages_ms: dict[str, float] = {}
        self.keepalive = keepalive
        self.closed = False
        self.retired = False
        self.ir_before = ir_text
        # A context of its own: constants (our object addresses among them) and types live in the
        # context, and the global one never frees them; this one goes when the unit is closed.
        self.context = llvm.create_context()
        # The IR the unit keeps is what the compiler wrote; the optimised IR is made again when
        # %jit_explain asks for it (ir_after), not printed on every compile (0.2 ms of a tier-1 one).
        self._ir_after: str | None = None
        self.ir_bytes = len(ir_text)
        self.engine, self.code_bytes = make_machine_code(ir_text, tier, self.context, self._lap)
        # tier 1 calls its own functions through cells (codegen.ModuleGen.call_native): fill them
        # before anything can run the code
        for symbol, cell in (symbol_cells or {}).items():
            cell.value = self.engine.get_function_address(symbol)
            if not cell.value:
                raise RuntimeError(f"the machine code has no function {symbol}")
        # tier 1's entry is shared by the units of its signature (shared_entry.py), or in the module
        self.entry_address = entry_address or self.engine.get_function_address("tj_entry")
        # what other tier-1 units call directly (codegen.ModuleGen.export); 0 for an OSR unit
        self.export_address = self.engine.get_function_address(export) if export else 0
        self.links: list[NativeUnit] = []     # units whose code this one calls directly
        self.linked_by = 0                    # open units that call this one's code directly
        self.functions: list[str] = []        # the functions compiled into this unit
        cells = cells or {}
        address = lambda name: cells.get(name) or self.engine.get_global_value_address(name)   # noqa: E731
        self._calls = ctypes.c_int64.from_address(address("tj_calls"))
        self._active = ctypes.c_int64.from_address(address("tj_active"))
        self.method_def = PyMethodDef(name.encode(), self.entry_address, METH_FASTCALL, None)
        # made now (the first one is compiled, which releases the GIL): close() must not wait
        self._dead_entry = dead_entry_address()
        # The builtin points at this PyMethodDef; its `self` (the fallback) keeps it alive for as
        # long as the builtin can be called, however long a stale stub survives.
        fallback.method_def = self.method_def
        self.builtin = _new_cfunction(ctypes.addressof(self.method_def), fallback, None)
        self.stub: Any = None
        self.signature = ""
        self.address_names: dict[int, str] = {}     # set by the compiler; see explain.named
        self._final_calls = 0

    @property
    def ir_after(self) -> str:
        """The module after the tier's passes, as the machine code was made from it (the passes
        are deterministic: the same text in, the same text out)."""
        if self._ir_after is None:
            with compile_queue.LLVM_LOCK:
                context = llvm.create_context()
                module = None
                try:
                    module = llvm.parse_assembly(self.ir_before, context=context)
                    (optimise if self.tier >= 2 else quick_optimise)(module)
                    self._ir_after = str(module)
                finally:
                    del module          # the module goes before its context
                    context.close()
        return self._ir_after

    def link(self, units: Any) -> None:
        """This unit's code calls theirs directly: they stay open (and their code in memory)
        until this one is closed, whatever happens to their functions meanwhile."""
        for unit in units:
            unit.linked_by += 1
            self.links.append(unit)

    def _lap(self, stage: str, start: float) -> None:
        self.stages_ms[stage] = (time.perf_counter() - start) * 1e3

    def calls(self) -> int:
        return self._final_calls if self.closed else self._calls.value

    def active(self) -> int:
        return 0 if self.closed else self._active.value

    def asm(self) -> str:
        with compile_queue.LLVM_LOCK:
            return self._asm()

    def _asm(self) -> str:
        context = llvm.create_context()
        try:
            module = llvm.parse_assembly(self.ir_after, context=context)
            return target_machine(self.tier).emit_assembly(module)
        finally:
            del module
            context.close()

    def __del__(self) -> None:
        # An engine must go before the context its module lives in: never leave it to the GC.
        try:
            lock = compile_queue.LLVM_LOCK
            freed = False
            if lock.acquire(blocking=False):
                try:
                    freed = self.close()
                finally:
                    lock.release()
            if not freed and not self.closed:
                # Another thread is compiling, or a native frame is still inside: keep this code
                # (a small leak) rather than free it under that thread's feet or let the context
                # go before the engine. Its links stay counted, so the code it calls is kept too.
                for obj in (getattr(self, "engine", None), getattr(self, "context", None)):
                    if obj is not None:
                        obj.detach()
        except Exception:
            pass

    def close(self) -> bool:
        """Free the machine code; the builtin keeps working by running the call on tier 0. Returns
        False, freeing nothing, while a native frame is inside the code (the graveyard tries again).

        The builtin is re-pointed first and `active` read after, with nothing in between that could
        let another thread run: a call that starts after the re-pointing runs on tier 0, and one
        that started before is counted. Checking `active` first left a window: making the dead
        entry (on the process's first close) released the GIL, a call entered the code meanwhile,
        and the code was freed under it (the kernel crash `%%jit_race` showed under load)."""
        if self.closed:
            return True
        if not hasattr(self, "method_def"):       # half made: no builtin ever pointed at it
            if getattr(self, "engine", None) is not None:
                self.engine.close()
            return True
        self.method_def.ml_meth = self._dead_entry
        if self._active.value != 0:
            return False
        self._final_calls = self._calls.value
        self.closed = True
        self.engine.close()
        self.engine = None
        self.context.close()
        self.context = None
        self.keepalive = []
        for unit in self.links:     # their code may be freed now (compile_queue collects it)
            unit.linked_by -= 1
        self.links = []
        return True


_dead_engine: Any = None


def dead_entry_address() -> int:
    """A permanent `PyObject* f(self, args, n) { return PyObject_Vectorcall(self, args, n, NULL); }`."""
    global _dead_engine
    if _dead_engine is None:
        initialise()
        text = """
declare i8* @PyObject_Vectorcall(i8*, i8**, i64, i8*)
define i8* @tj_dead(i8* %self, i8** %args, i64 %n) {
  %r = call i8* @PyObject_Vectorcall(i8* %self, i8** %args, i64 %n, i8* null)
  ret i8* %r
}
"""
        module = llvm.parse_assembly(text)
        _dead_engine = llvm.create_mcjit_compiler(module, target_machine(1))
        _dead_engine.finalize_object()
    return _dead_engine.get_function_address("tj_dead")
