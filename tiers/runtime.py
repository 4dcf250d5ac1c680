"""The shared runtime: one copy of the helpers and cold paths, compiled once, that tier-1 code calls.

Tier 2 defines its helpers (refcounts, int boxing, the int slow paths, a safepoint's rare work,
the error exit, the deopt) inside each module so the optimiser can inline and fold them. Tier 1
wants the opposite: its compile time grows with every instruction LLVM has to select and emit,
and the helpers plus their inlined copies were about half of a small function's module. So
tier-1 modules call `tj_rt_<name>` here instead. The bodies come from `ModuleGen`'s own builders
(one source for both tiers), optimised once (the hot ones with tier 2's passes, see HOT), and are
called by address. This module's engine is never freed.

The runtime's IR is the same in every process (it names no address of this one), so its machine
code is kept on disk (objcache.py) and a later process loads it instead of optimising and
emitting it again, which was most of what the first tier-1 compile of a process paid extra.
"""
from __future__ import annotations

import ctypes
import threading
from typing import Any

from llvmlite import binding as llvm
from llvmlite import ir

from . import objcache
from .builder import module_text, new_builder

# the helpers tier-1 loops call on their fast paths (and the entry's scan of a list argument's
# items, once per call): optimised fully; the rest (slow paths, rare work) only get their locals
# into registers, which takes the runtime's one-time compile from about 40 ms to about 18
# (docs/tiers.md, "One shared runtime")
# a list access that also releases the index's `big` part (codegen.ModuleGen._taking_index)
TAKING = "_taking"
_TAKING_HELPERS = tuple(f"{name}{TAKING}" for name in ("list_get_int", "list_get_float", "list_set"))
HOT = ("xincref", "xdecref", "box_int", "unbox_int", "take_int", "list_get_int", "list_get_float", "list_set",
       *_TAKING_HELPERS, "list_all_of", "enter", "leave")
PLAIN = ("xincref", "xdecref", "box_int", "unbox_int", "take_int", "compare_ints", "poll_due", "call_hook", "reraise",
         "deopt", "hand_over", "hand_over_words", "getitem_int", "setitem_int", "list_changed", "list_get_int", "list_get_float",
         "list_set", "float_of_int", "float_binop", "safepoint", "check_globals", "list_all_of", *_TAKING_HELPERS)
# the int slow paths (codegen.ModuleGen.int_op_call): one for every two-argument operator, given
# the C-API function to call, and one for `**`
# tier 1's hand-overs of at most MAX_HAND_OVER_ARGS words pass them as arguments, to
# `hand_over_with<n>` (codegen.ModuleGen._hand_over_with), and a loop's safepoint that may offer
# the rest of the call to tier 2 passes the words of that offer along, to `safepoint_up<n>`
# (codegen.ModuleGen._safepoint_up). n is one of WORD_COUNTS, the words padded with zeros up to
# it: a variant for every count was 24 functions, and every process that loads the runtime from
# the disk cache still builds and parses its IR (20 to 30 ms more on a cold first compile).
HAND_OVER_WORDS = "hand_over_with"
SAFEPOINT_UP = "safepoint_up"
WORD_COUNTS = (4, 8, 12)
MAX_HAND_OVER_ARGS = WORD_COUNTS[-1]
HELPERS = PLAIN + ("int_binop", "int_Pow") + tuple(f"{kind}{n}" for kind in (HAND_OVER_WORDS, SAFEPOINT_UP)
                                                   for n in WORD_COUNTS)


def padded(count: int) -> int:
    """The word count of the variant that takes `count` words (1 <= count <= MAX_HAND_OVER_ARGS)."""
    return next(n for n in WORD_COUNTS if n >= count)

_lock = threading.Lock()
_types: dict[str, ir.FunctionType] = {}
_addresses: dict[str, int] = {}
_keep: list[Any] = []       # the engine, its module's object constants
_code_bytes: list[int] = []
# where the runtime's machine code came from (objcache.py): "loaded" from the cache, "stored" in
# it once made, "not stored" (made; the cache could not keep it), "off" (no cache), "" (not built)
cache_state = ""


def symbol(name: str) -> str:
    return f"tj_rt_{name}"


def function_type(name: str) -> ir.FunctionType:
    """The signature of helper `name`; compiles the runtime on first use (the caller holds LLVM_LOCK)."""
    if not _types:
        _build()
    return _types[name]


def code_bytes() -> int:
    """The runtime's machine code, in bytes (0 until a tier-1 compile has built it)."""
    return sum(_code_bytes)


def address(name: str) -> int:
    if not _types:
        _build()
    return _addresses[name]


def build_module() -> tuple[Any, dict[str, ir.Function]]:
    """The runtime's module (a ModuleGen) and its helpers, by name: each body internal, with an
    external wrapper `tj_rt_<name>` (the bodies may still inline into each other). Its IR is
    the same in every process (portable: no addresses), so its machine code can be cached."""
    from .codegen import ModuleGen
    from .entry import RUNTIME_HELPERS
    # full bodies, optimised; ints as tier 1 holds them (64 bits)
    mod = ModuleGen("tj_runtime", tier=2, int_bits=64, portable=True)
    fns = {name: mod.helper(name) for name in HELPERS}
    for name, build in RUNTIME_HELPERS.items():     # the table-driven tier-1 entry's (entry.py)
        fns[name] = build(mod)
        fns[name].linkage = "internal"
    for name, fn in fns.items():
        ftype = fn.function_type
        wrapper = ir.Function(mod.module, ftype, symbol(name))
        b = new_builder(wrapper.append_basic_block())
        result = b.call(fn, list(wrapper.args))
        b.ret_void() if isinstance(ftype.return_type, ir.VoidType) else b.ret(result)
    return mod, fns


def cache_key(ir_text: str) -> str:
    """Everything that decides the runtime's machine code (objcache.py): its IR, the passes and
    the machines that optimise and emit it, LLVM's version."""
    from .native import MACHINE_OPTIONS, RUNTIME_COLD_PASSES, TIER2_FUNCTION_PASSES, TIER2_MODULE_PASSES
    passes = (HOT, TIER2_MODULE_PASSES, TIER2_FUNCTION_PASSES, RUNTIME_COLD_PASSES)
    return objcache.key(ir_text, repr(passes), repr(MACHINE_OPTIONS), repr(llvm.llvm_version_info),
                        llvm.get_default_triple(), llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten())


def _build() -> None:
    global cache_state
    from .native import initialise, optimise_hot, target_machine
    initialise()
    with _lock:
        if _types:
            return
        mod, fns = build_module()
        text = module_text(mod.module)      # str(module)'s text, made faster (a cold start's 5 ms)
        digest = cache_key(text)
        cached = objcache.load("runtime", digest)
        module = llvm.parse_assembly(text)
        module.verify()
        if cached is None:
            # the IR optimised once (the hot helpers fully, see HOT); machine code plain (quick
            # to make); with the object cached, the IR only names what the object defines
            optimise_hot(module, {fns[name].name for name in HOT} | {symbol(name) for name in HOT})
        engine = llvm.create_mcjit_compiler(module, target_machine(1))

        def made(_module: Any, obj: bytes) -> None:
            global cache_state
            _code_bytes.append(len(obj))
            if objcache.directory() is None:
                cache_state = "off"
            else:
                cache_state = "stored" if objcache.store("runtime", digest, obj) else "not stored"

        # MCJIT asks for a module's object before it makes one: the cached one, if any
        engine.set_object_cache(notify_func=made, getbuffer_func=lambda _module: cached)
        engine.finalize_object()
        if cached is not None:
            cache_state = "loaded"
            _code_bytes.append(len(cached))
        for name, fn in fns.items():
            _addresses[name] = engine.get_function_address(symbol(name))
        for name, obj in mod.object_globals.items():
            ctypes.c_void_p.from_address(engine.get_global_value_address(name)).value = id(obj)
        _keep.extend([engine, mod.keepalive])
        _types.update({name: fn.function_type for name, fn in fns.items()})
