"""Typed function -> LLVM IR: statements, expressions, loops with interrupt polling, error exits.

Owns the lowering of one `Typing` to an internal function `i32 @sym(ret*, params...)` (0 = ok,
1 = a Python exception is set) and the module-wide helpers. Every error exit records the user's
line so the entry can raise from it (see entry.py). Values and their operations live in values.py.
"""
from __future__ import annotations

import ast
import contextlib
import ctypes
import functools
import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from llvmlite import ir

from . import arrays, capi, runtime, vectorise
from .builder import Function, new_builder, pointer_to, without_branch_weights
from .capi import F64, I1, I32, I64, I128, PTR, VOID
from .frontend import Unsupported
from .instrument import find_loops
from .osr import NOT_NOW, UNBOUND, RangeFallback
from .typer import (ARR_FLOAT, BOOL, BOTTOM, FLOAT, INT, LIST_FLOAT, LIST_INT, LIST_OBJ, MAYBE_NP_INT, NONE, NP_BOOL,
                    NP_FLOAT, NP_INT, OBJ, UNBOXED, Typing, always_returns, array_item, assigned_at, elem, is_array,
                    is_list)
from .values import _PY_NUMBER, NULL, TRUE, Ops, V, pack, parts, unpack

POLL_MASK = 1023          # poll for signals every 1024 back-edges (FACTS: free within noise)
GIL_MASK = (1 << 13) - 1  # every 8,192 back-edges give a waiting thread its turn (see _switch_point)
CHUNK = 1024              # iterations of a range loop between safepoints
# the module-wide variables, in their tier-1 cells' order (ModuleGen.global_var)
CELLS = ("tj_loop_work", "tj_err_line", "tj_empty", "tj_call_polls", "tj_calls", "tj_active")


def _switch_point() -> None:
    """Called from native loops every GIL_MASK + 1 back-edges, and does nothing: entering any
    Python function runs the interpreter's eval-breaker check, which gives the GIL to a thread
    that has waited a switch interval (5 ms) for it, exactly as a Python loop would.

    Releasing and re-taking the GIL ourselves (PyEval_SaveThread/RestoreThread) does not work:
    every re-take counts as a switch, so a waiting thread never files its drop request and gets
    the GIL only when it happens to win a race (measured: a few times a second, even 0.1/s).
    The eval breaker also runs pending calls and raises asynchronous exceptions here."""


_thread_stack = threading.local()


def thread_stack_limit() -> int:
    """The lowest C-stack address native recursion may reach in the calling thread (0 if unknown).

    Native frames live on the C stack, CPython's own Python-to-Python calls do not; below this
    address recursive native code goes on in the interpreter (`_recurse_in_interpreter`). A quarter
    of the thread's stack, at least 64 KiB and at most 1 MiB, stays free for that and for C code.
    Measured once per thread from the thread's real stack, so a later threading.stack_size() or a
    small-stack thread is still safe."""
    limit = getattr(_thread_stack, "limit", None)
    if limit is None:
        low, size = _stack_bounds()
        limit = low + max(64 << 10, min(size // 4, 1 << 20)) if size else 0
        _thread_stack.limit = limit
    return limit


def _stack_bounds() -> tuple[int, int]:
    """(lowest address, size) of this thread's stack, from pthread_getattr_np; (0, 0) if unavailable."""
    try:
        libc = ctypes.CDLL(None)
        libc.pthread_self.restype = ctypes.c_ulong
        attr = ctypes.create_string_buffer(256)          # larger than any pthread_attr_t
        if libc.pthread_getattr_np(ctypes.c_ulong(libc.pthread_self()), attr) != 0:
            return 0, 0
        low, size = ctypes.c_void_p(), ctypes.c_size_t()
        ok = libc.pthread_attr_getstack(attr, ctypes.byref(low), ctypes.byref(size)) == 0
        libc.pthread_attr_destroy(attr)
        return (low.value or 0, size.value) if ok else (0, 0)
    except (AttributeError, OSError):
        return 0, 0


EXPORT_NAME = "tj_export"


# Tier 1's callees (C-API and shared-runtime functions), each a constant holding its address,
# by (name, address): the same in every module, so made once per process (a tier-1 compile
# names a dozen, and making one, its function type and pointer type, and their text, was
# about 30 µs). A constant belongs to no module; llvmlite only prints it.
_CALLEES: dict[tuple[str, int], ir.Constant] = {}


class ModuleGen:
    """One LLVM module: the entry's function, its JIT'd callees, helpers and object constants."""

    def __init__(self, name: str, tier: int, tier2_hook: Any = None, tier2_chunks: int = -1,
                 int_bits: int | None = None, portable: bool = False) -> None:
        self.module = ir.Module(name=name)
        self.tier = tier
        if tier == 1:
            without_branch_weights(self.module)
        # Portable IR names no address of this process: the shared runtime's, whose machine code
        # is kept on disk for later processes (objcache.py). Its objects are read from globals
        # (object_globals, filled in once the code is loaded) instead of written in (const_obj).
        self.portable = portable
        self.object_globals: dict[str, object] = {}
        # How many bits an int holds natively before it becomes a PyLong: 128 at tier 2, 64 at
        # tier 1 (and in the shared runtime tier 1 calls), whose compile time it halves for int
        # code (LLVM's fast instruction selector cannot select i128; see docs/tiers.md).
        self.int_bits = int_bits or (64 if tier == 1 else 128)
        self.int_t = ir.IntType(self.int_bits)
        self.tier2_hook = tier2_hook
        self.tier2_chunks = tier2_chunks
        self.keepalive: list[Any] = []
        self.fns: dict[str, ir.Function] = {}
        # Tier 1 names nothing outside the module: see global_var and capi.
        self._cells = (ctypes.c_int64 * len(CELLS))() if tier == 1 else None
        self.cell_addresses: dict[str, int] = {}
        self._callees: dict[str, ir.Value] = {}
        self._addresses: dict[tuple[int, str], ir.Constant] = {}    # see address
        self.linked: dict[str, int] = {}        # symbol -> address of another unit's export
        self.address_names: dict[int, str] = {}    # for %jit_explain (explain.named)
        self.symbol_cells: dict[str, ctypes.c_void_p] = {}   # tier 1: see call_native
        self.export_symbol: str | None = None     # set by export; none for an OSR continuation
        self.loop_work = self.global_var("tj_loop_work", I64)
        self.err_line = self.global_var("tj_err_line", I32)
        # Py_EnterRecursiveCall appends its argument to the message: give it an empty C string
        self.empty_cstr = self.global_var("tj_empty", ir.ArrayType(I8, 1))
        self.call_polls = self.global_var("tj_call_polls", I64)
        self._helpers: dict[str, ir.Function] = {}
        # recursive code past its C-stack budget calls deep(typing)(args...): see _recurse_in_interpreter
        self.deep: Callable[[Typing], Any] = lambda typing: _raise_recursion
        # tier 1 only: makes the hook a long loop of `tier_up_typing` calls to go on in tier 2
        # after `tier_up_after` iterations in one call (see FunctionGen._tier_up)
        self.tier_up: Callable[..., Any] | None = None
        self.tier_up_typing: Typing | None = None
        # the hook a function calls to run a whole call on tier 0 from its start (see
        # FunctionGen._check_range_bounds); None for an OSR continuation, which never restarts
        self.restart: Callable[[Typing], Any] | None = None
        self.tier_up_after = 0
        self.vector_loops = 0       # loops given a four-wide path (vectorise.py), tier 2 only
        # tier 1's table-driven entry (entry.build_table_entry): the unit's table, and the
        # signature of the entry that reads it (None: the written-out entry, build_entry)
        self.entry_table = 0
        self.entry_signature: Any = None

    def global_var(self, name: str, ty: ir.Type) -> ir.Value:
        """A zero-initialised module-wide variable (counters, the error line).

        Tier 2 makes it an LLVM global, which the optimiser knows aliases nothing. Tier 1 puts it
        in a cell of memory the unit owns and uses its address as a constant: under the JIT's
        large code model LLVM's fast instruction selector cannot address a global, and every
        block that touched one went to the slow selector (measured: a third of tier-1 codegen)."""
        if self._cells is None:
            var = ir.GlobalVariable(self.module, ty, name)
            var.initializer = ir.Constant(ty, None)
            return var
        address = ctypes.addressof(self._cells) + 8 * CELLS.index(name)
        self.cell_addresses[name] = address
        self.address_names[address] = name
        if len(self.cell_addresses) == 1:
            self.keepalive.append(self._cells)
        return self.address(address, pointer_to(ty))

    def address(self, address: int, ptr: ir.PointerType) -> ir.Constant:
        """`inttoptr (i64 address to ptr)`, how tier code names what lives outside the module (an
        object, a C function, a cell), made once per module and type. llvmlite's
        `Constant.inttoptr` compares the two types by their text and formats anew every time
        (about 10 µs); a tier-1 module names a few dozen addresses, most of them many times."""
        text = str(ptr)
        key = (address, text)
        const = self._addresses.get(key)
        if const is None:
            # the text llvmlite's inttoptr gives (tests/tiers/test_builder.py compares modules)
            const = self._addresses[key] = ir.FormattedConstant(ptr, f"inttoptr (i64 {address} to {text})")
        return const

    def number_function(self, name: str) -> ir.Constant:
        """The address of CPython's `PyNumber_*` function `name`, for a shared-runtime helper
        that applies it (int_op_call, Ops._float_slow_call)."""
        address = capi.address(name)
        self.address_names[address] = name
        return self.address(address, PTR)

    def capi(self, name: str) -> ir.Function:
        if self.tier == 1:
            return self._callee(name, capi.address(name), lambda: ir.FunctionType(*capi.SIGNATURES[name]))
        fn = self.module.globals.get(name)
        if fn is None:
            ret, args = capi.SIGNATURES[name]
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name)
        return fn

    def intrinsic(self, name: str) -> ir.Function:
        fn = self.module.globals.get(name)
        if fn is not None:
            return fn
        if ".with.overflow.i" in name or name.startswith("llvm.abs.i"):
            ity = ir.IntType(int(name.rsplit(".i", 1)[1]))
            if name.startswith("llvm.abs."):
                ty = ir.FunctionType(ity, [ity, I1])
            else:
                ty = ir.FunctionType(ir.LiteralStructType([ity, I1]), [ity, ity])
        else:   # llvm.<op>.f64
            n = 2 if name in ("llvm.pow.f64", "llvm.copysign.f64") else 1
            ty = ir.FunctionType(F64, [F64] * n)
        return ir.Function(self.module, ty, name)

    def const_obj(self, builder: ir.IRBuilder, obj: object) -> ir.Value:
        self.keepalive.append(obj)
        if self.portable:
            name = next((n for n, o in self.object_globals.items() if o is obj), None)
            if name is None:
                name = f"tj_obj_{len(self.object_globals)}"
                ir.GlobalVariable(self.module, PTR, name).initializer = ir.Constant(PTR, None)
                self.object_globals[name] = obj
            return builder.load(self.module.get_global(name))
        return self.address(id(obj), PTR)

    def helper(self, name: str) -> ir.Function:
        """Helper `name` (`_helper_<name>`, or `int_<Op>` for an int slow path): tier 2 builds it
        into the module, tier 1 calls the shared runtime's copy."""
        fn = self._helpers.get(name)
        if fn is None:
            if self.tier == 1:
                fn = self._runtime(name)
            else:
                if name.startswith("int_"):
                    fn = self._int_op(None if name == "int_binop" else getattr(ast, name[4:]))
                elif name.startswith(runtime.HAND_OVER_WORDS):
                    fn = self._hand_over_with(int(name[len(runtime.HAND_OVER_WORDS):]))
                elif name.startswith(runtime.SAFEPOINT_UP):
                    fn = self._safepoint_up(int(name[len(runtime.SAFEPOINT_UP):]))
                elif name.endswith(runtime.TAKING):
                    fn = self._taking_index(name[:-len(runtime.TAKING)])
                else:
                    fn = getattr(self, f"_helper_{name}")()
                fn.linkage = "internal"
                if name in ("xincref", "xdecref"):
                    fn.attributes.add("alwaysinline")
            self._helpers[name] = fn
        return fn

    def int_op_call(self, b: ir.IRBuilder, op: type, args: Sequence[ir.Value]) -> ir.Value:
        """`{native, big, err}`: CPython's operation `op` on two ints (a, abig, b, bbig), an int
        slow path. Tier 2 has a helper per operator in its module (`tj_int_<Op>`) for the optimiser
        to fold; tier 1 calls the shared runtime's one `int_binop` with the address of the C-API
        function to call (a dozen copies of the same body were half of the runtime's one-time
        compile), or its `int_Pow`, whose C function takes a third argument."""
        if self.tier != 1 or op is ast.Pow:
            return b.call(self.helper(f"int_{op.__name__}"), list(args))
        return b.call(self.helper("int_binop"), [*args, self.number_function(_PY_NUMBER[op])])

    def _runtime(self, name: str) -> ir.Function:
        """Tier 1 calls the shared runtime's copy of a helper instead of carrying its own."""
        return self._callee(runtime.symbol(name), runtime.address(name), lambda: runtime.function_type(name))

    def _callee(self, name: str, address: int, ftype: Callable[[], ir.FunctionType], shared: bool = True) -> Any:
        """A C function called through its address (a constant), as tier 1 calls everything
        outside the module: LLVM's fast instruction selector lowers such a call, while a call to
        a named declaration under the JIT's large code model sends it to the slow selector.
        The constant is made from the function type `ftype` gives, once per process where
        `shared` (_CALLEES; not another unit's code, whose address a later unit may reuse)."""
        callee = self._callees.get(name)
        if callee is None:
            key = (name, address)
            callee = _CALLEES.get(key) if shared else None
            if callee is None:
                fty = ftype()
                callee = ir.FormattedConstant(fty.as_pointer(), f"inttoptr (i64 {address} to {fty.as_pointer()})")
                callee.function_type = fty      # what llvmlite's builder.call reads off a Function
                if shared:
                    _CALLEES[key] = callee
            self._callees[name] = callee
            self.address_names[address] = name
        return callee

    def _null_safe(self, name: str, body: Callable[[ir.IRBuilder, ir.Value], None]) -> ir.Function:
        """`void name(p) { if (p) body(p); }`, the shape of Py_XINCREF / Py_XDECREF."""
        fn = ir.Function(self.module, ir.FunctionType(VOID, [PTR]), name)
        b = new_builder(fn.append_basic_block())
        with b.if_then(b.icmp_unsigned("!=", fn.args[0], NULL)):
            body(b, fn.args[0])
        b.ret_void()
        return fn

    def _helper_xincref(self) -> ir.Function:
        """Py_XINCREF, inline for the refcount layouts capi.REFCOUNT_STYLE knows."""
        def incref(b: ir.IRBuilder, p: ir.Value) -> None:
            if capi.REFCOUNT_STYLE == "call":
                b.call(self.capi("Py_IncRef"), [p])
            elif capi.REFCOUNT_STYLE == "plain":
                rc = b.bitcast(p, I64.as_pointer())
                b.store(b.add(b.load(rc), ir.Constant(I64, 1)), rc)
            else:
                low = b.bitcast(p, I32.as_pointer())
                new = b.add(b.load(low), ir.Constant(I32, 1))
                with b.if_then(b.icmp_unsigned("!=", new, ir.Constant(I32, 0))):   # 0: immortal
                    b.store(new, low)
        return self._null_safe("tj_xincref", incref)

    def _helper_xdecref(self) -> ir.Function:
        """Py_XDECREF, inline; the object is freed by CPython's _Py_Dealloc at zero."""
        def decref(b: ir.IRBuilder, p: ir.Value) -> None:
            if capi.REFCOUNT_STYLE == "call":
                b.call(self.capi("Py_DecRef"), [p])
                return
            rc = b.bitcast(p, I64.as_pointer())
            count = b.load(rc)
            mortal: ir.Value = ir.Constant(I1, 1)
            if capi.REFCOUNT_STYLE == "immortal":
                mortal = b.icmp_signed(">=", b.trunc(count, I32), ir.Constant(I32, 0))
            with b.if_then(mortal, likely=True):
                left = b.sub(count, ir.Constant(I64, 1))
                b.store(left, rc)
                with b.if_then(b.icmp_signed("==", left, ir.Constant(I64, 0)), likely=False):
                    b.call(self.capi("_Py_Dealloc"), [p])
        return self._null_safe("tj_xdecref", decref)

    def _helper_box_int(self) -> ir.Function:
        """(native, big) -> new PyLong reference (NULL on error)."""
        iw = self.int_t
        fn = ir.Function(self.module, ir.FunctionType(PTR, [iw, PTR]), "tj_box_int")
        lo, big = fn.args
        b = new_builder(fn.append_basic_block())
        with b.if_then(b.icmp_unsigned("!=", big, NULL)):
            b.call(self.capi("Py_IncRef"), [big])
            b.ret(big)
        if iw == I64:
            b.ret(b.call(self.capi("PyLong_FromLongLong"), [lo]))
            return fn
        low = b.trunc(lo, I64)
        with b.if_then(b.icmp_signed("==", b.sext(low, I128), lo), likely=True):
            b.ret(b.call(self.capi("PyLong_FromLongLong"), [low]))
        buf = b.alloca(I128)
        b.store(lo, buf)
        b.ret(b.call(self.capi("_PyLong_FromByteArray"),
                     [b.bitcast(buf, PTR), ir.Constant(I64, 16), ir.Constant(I32, 1), ir.Constant(I32, 1)]))
        return fn

    def _helper_compare_ints(self) -> ir.Function:
        """`i32 tj_compare_ints(alo, abig, blo, bbig, op)`: CPython's comparison of two ints of
        which one is held as a PyLong: 1 true, 0 false, -1 an exception is set."""
        iw = self.int_t
        fn = ir.Function(self.module, ir.FunctionType(I32, [iw, PTR, iw, PTR, I32]), "tj_compare_ints")
        alo, abig, blo, bbig, op = fn.args
        b = new_builder(fn.append_basic_block())
        xo = b.call(self.helper("box_int"), [alo, abig])
        yo = b.call(self.helper("box_int"), [blo, bbig])
        result = b.alloca(I32)
        b.store(ir.Constant(I32, -1), result)
        with b.if_then(b.and_(b.icmp_unsigned("!=", xo, NULL), b.icmp_unsigned("!=", yo, NULL)), likely=True):
            b.store(b.call(self.capi("PyObject_RichCompareBool"), [xo, yo, op]), result)
        b.call(self.helper("xdecref"), [xo])
        b.call(self.helper("xdecref"), [yo])
        b.ret(b.load(result))
        return fn

    def _helper_unbox_int(self) -> ir.Function:
        """PyLong (borrowed) -> (native, big): big is NULL unless the value needs more than int_bits."""
        iw = self.int_t
        ret = ir.LiteralStructType([iw, PTR])
        fn = ir.Function(self.module, ir.FunctionType(ret, [PTR]), "tj_unbox_int")
        obj = fn.args[0]
        b = new_builder(fn.append_basic_block())
        ovf = b.alloca(I32)
        b.store(ir.Constant(I32, 0), ovf)
        small = b.call(self.capi("PyLong_AsLongLongAndOverflow"), [obj, ovf])
        with b.if_then(b.icmp_signed("==", b.load(ovf), ir.Constant(I32, 0)), likely=True):
            b.ret(_pair(b, ret, b.sext(small, iw), NULL))
        if iw == I64:     # it does not fit in 64 bits: keep the object (no error was set)
            b.ret(_pair(b, ret, ir.Constant(iw, 0), obj))
            return fn
        buf = b.alloca(I128)
        r = b.call(self.capi("_PyLong_AsByteArray"), [obj, b.bitcast(buf, PTR), ir.Constant(I64, 16),
                                                      ir.Constant(I32, 1), ir.Constant(I32, 1), ir.Constant(I32, 1)])
        with b.if_then(b.icmp_signed("==", r, ir.Constant(I32, 0)), likely=True):
            b.ret(_pair(b, ret, b.load(buf), NULL))
        b.call(self.capi("PyErr_Clear"), [])     # it does not fit in 128 bits: keep the object
        b.ret(_pair(b, ret, ir.Constant(I128, 0), obj))
        return fn

    def _helper_take_int(self) -> ir.Function:
        """`{native, big} tj_take_int(PyObject *owned)`: unbox_int for a PyLong the caller owns,
        which it gives up: released when the value is native, kept as the big part otherwise
        (Ops.unbox_int at tier 1: one call instead of a test and a block at every site)."""
        ret = ir.LiteralStructType([self.int_t, PTR])
        fn = ir.Function(self.module, ir.FunctionType(ret, [PTR]), "tj_take_int")
        obj = fn.args[0]
        b = new_builder(fn.append_basic_block())
        pair = b.call(self.helper("unbox_int"), [obj])
        with b.if_then(b.icmp_unsigned("==", b.extract_value(pair, 1), NULL)):
            b.call(self.helper("xdecref"), [obj])
        b.ret(pair)
        return fn

    def _helper_poll_due(self) -> ir.Function:
        """`i32 tj_poll_due(i64 n)`, a safepoint's rare work: check for signals (1 = an exception
        is set) and, every GIL_MASK + 1 back-edges, let a waiting thread run (see _switch_point)."""
        fn = ir.Function(self.module, ir.FunctionType(I32, [I64]), "tj_poll_due")
        b = new_builder(fn.append_basic_block())
        failed = ir.Constant(I32, 1)
        with b.if_then(b.icmp_signed("!=", b.call(self.capi("PyErr_CheckSignals"), []), ir.Constant(I32, 0))):
            b.ret(failed)
        gil = b.icmp_unsigned("==", b.and_(fn.args[0], ir.Constant(I64, GIL_MASK)), ir.Constant(I64, 0))
        with b.if_then(gil):
            r = b.call(self.capi("PyObject_CallNoArgs"), [self.const_obj(b, _switch_point)])
            with b.if_then(b.icmp_unsigned("==", r, NULL)):
                b.ret(failed)
            b.call(self.helper("xdecref"), [r])
        b.ret(ir.Constant(I32, 0))
        return fn

    def _helper_safepoint(self) -> ir.Function:
        """`i32 tj_safepoint(i64 n, i64 *work, i64 work_due, hook, i64 *count, i64 count_due)`:
        all of a tier-1 safepoint but the hand-over, in one call (FunctionGen._tier1_safepoint),
        `n` being its poll counter's new value. With `work`, counts 1,024 more iterations of loops
        and calls `hook` (asking for tier 2) at the `work_due`-th time; when `n` is a multiple of
        POLL_MASK + 1, does poll_due's work (-1: an exception is set) and, with `count`, counts
        one more due safepoint of the loop: 1 at the `count_due`-th, when the loop should offer
        the rest of the call to tier 2; else 0."""
        i64p = I64.as_pointer()
        fn = ir.Function(self.module, ir.FunctionType(I32, [I64, i64p, I64, PTR, i64p, I64]), "tj_safepoint")
        n, work, work_due, hook, count, count_due = fn.args
        b = new_builder(fn.append_basic_block())
        with b.if_then(b.icmp_unsigned("!=", work, ir.Constant(i64p, None))):
            w = b.add(b.load(work), ir.Constant(I64, 1))
            b.store(w, work)
            with b.if_then(b.icmp_signed("==", w, work_due), likely=False):
                b.call(self.helper("call_hook"), [hook])
        with b.if_then(b.icmp_unsigned("!=", b.and_(n, ir.Constant(I64, POLL_MASK)), ir.Constant(I64, 0))):
            b.ret(ir.Constant(I32, 0))
        with b.if_then(b.icmp_unsigned("!=", b.call(self.helper("poll_due"), [n]), ir.Constant(I32, 0)),
                       likely=False):
            b.ret(ir.Constant(I32, -1))
        with b.if_then(b.icmp_unsigned("!=", count, ir.Constant(i64p, None))):
            c = b.add(b.load(count), ir.Constant(I64, 1))
            b.store(c, count)
            with b.if_then(b.icmp_signed("==", c, count_due), likely=False):
                b.ret(ir.Constant(I32, 1))
        b.ret(ir.Constant(I32, 0))
        return fn

    def _helper_check_globals(self) -> ir.Function:
        """`i64 tj_check_globals(PyObject **table, i64 n)`: the entry's guards on globals, from a
        table of n (namespace, name, object) rows (entry._global_guards): the first row whose
        name no longer holds that object (NULL: holds nothing), or -1 when all still do."""
        fn = ir.Function(self.module, ir.FunctionType(I64, [PTR.as_pointer(), I64]), "tj_check_globals")
        table, n = fn.args
        b = new_builder(fn.append_basic_block("entry"))
        with counted_loop(b, n) as i:
            row = b.mul(i, ir.Constant(I64, 3))
            word = [b.load(b.gep(table, [b.add(row, ir.Constant(I64, k))])) for k in range(3)]
            found = b.call(self.capi("PyDict_GetItem"), word[:2])
            with b.if_then(b.icmp_unsigned("!=", found, word[2]), likely=False):
                b.ret(i)
        b.ret(ir.Constant(I64, -1))
        return fn

    def _helper_list_all_of(self) -> ir.Function:
        """`i1 tj_list_all_of(PyObject *list, PyTypeObject *type)`: every item of the list is
        exactly of `type` (the entry's guard on a list argument's item type). One shared loop:
        written out in the entry it was 30 lines of a tier-1 module per list argument."""
        fn = ir.Function(self.module, ir.FunctionType(I1, [PTR, PTR]), "tj_list_all_of")
        lst, tp = fn.args
        b = new_builder(fn.append_basic_block("entry"))
        with counted_loop(b, capi.list_size(b, lst)) as i:
            with b.if_then(b.icmp_unsigned("!=", capi.type_of(b, b.load(capi.list_slot(b, lst, i))), tp),
                           likely=False):
                b.ret(ir.Constant(I1, 0))
        b.ret(ir.Constant(I1, 1))
        return fn

    def _helper_call_hook(self) -> ir.Function:
        """`void tj_call_hook(PyObject *hook)`: call an engine hook (asking for tier 2); a hook never
        fails the user's code, so its error, if any, is cleared."""
        fn = ir.Function(self.module, ir.FunctionType(VOID, [PTR]), "tj_call_hook")
        b = new_builder(fn.append_basic_block())
        r = b.call(self.capi("PyObject_CallNoArgs"), [fn.args[0]])
        with b.if_else(b.icmp_unsigned("==", r, NULL)) as (then, other):
            with then:
                b.call(self.capi("PyErr_Clear"), [])
            with other:
                b.call(self.helper("xdecref"), [r])
        b.ret_void()
        return fn

    def _helper_reraise(self) -> ir.Function:
        """`void tj_reraise(raisers, i32 line)`: the entry's error exit. Takes the pending exception
        and raises it again from a frame at the user's `line` (entry.LineRaisers), so the traceback
        ends at the user's statement; an unknown line re-raises it as it is."""
        fn = ir.Function(self.module, ir.FunctionType(VOID, [PTR, I32]), "tj_reraise")
        raisers, line = fn.args
        b = new_builder(fn.append_basic_block())
        slots = [b.alloca(PTR) for _ in range(3)]
        b.call(self.capi("PyErr_Fetch"), slots)
        b.call(self.capi("PyErr_NormalizeException"), slots)
        exc_type, exc, tb = (b.load(slot) for slot in slots)
        with b.if_then(b.icmp_unsigned("!=", tb, NULL)):
            b.call(self.capi("PyException_SetTraceback"), [exc, tb])
        number = b.call(self.capi("PyLong_FromLongLong"), [b.sext(line, I64)])
        with b.if_then(b.icmp_unsigned("!=", number, NULL)):
            found = b.call(self.capi("PyObject_CallOneArg"), [raisers, number])
            b.call(self.helper("xdecref"), [number])
            with b.if_then(b.icmp_unsigned("!=", found, NULL)):
                with b.if_then(b.icmp_unsigned("!=", found, self.const_obj(b, None))):
                    r = b.call(self.capi("PyObject_CallOneArg"), [found, exc])     # raises
                    b.call(self.helper("xdecref"), [r])
                    b.call(self.helper("xdecref"), [found])
                    for p in (exc_type, exc, tb):
                        b.call(self.helper("xdecref"), [p])
                    b.ret_void()
                b.call(self.helper("xdecref"), [found])
        b.call(self.capi("PyErr_Clear"), [])   # a failure above (out of memory): keep the user's error
        b.call(self.capi("PyErr_Restore"), [exc_type, exc, tb])
        b.ret_void()
        return fn

    def _helper_hand_over(self) -> ir.Function:
        """`PyObject *tj_hand_over(hook, PyObject **items, i64 n)`: `hook((items...))`, for
        FunctionGen._hand_over. The items are new references, or NULL where boxing failed (the
        error is set); all are released. The hook's result, or NULL with an error set."""
        fn = ir.Function(self.module, ir.FunctionType(PTR, [PTR, PTR.as_pointer(), I64]), "tj_hand_over")
        hook, items, n = fn.args
        b = new_builder(fn.append_basic_block("entry"))
        self._call_with_tuple(b, hook, n, lambda i: b.load(b.gep(items, [i])))
        return fn

    def _helper_hand_over_words(self) -> ir.Function:
        """`PyObject *tj_hand_over_words(hook, i64 *words, i64 *kinds, i64 n)`: tier 1's
        tj_hand_over, with the n items still native: each item's kind (W_*) says how many of
        `words` it takes and how to box it. Boxing them here, not at each hand-over site, keeps
        a call per item out of every tier-1 loop's code (FunctionGen._hand_over)."""
        fn = ir.Function(self.module, ir.FunctionType(PTR, [PTR, I64.as_pointer(), I64.as_pointer(), I64]),
                         "tj_hand_over_words")
        hook, words, kinds, n = fn.args
        b = new_builder(fn.append_basic_block("entry"))
        at, item = b.alloca(I64), b.alloca(PTR)
        b.store(ir.Constant(I64, 0), at)

        def boxed(i: ir.Value) -> ir.Value:
            w = b.load(at)
            word = lambda k: b.load(b.gep(words, [b.add(w, ir.Constant(I64, k))]))    # noqa: E731
            done = fn.append_basic_block("boxed")
            cases = {k: fn.append_basic_block(f"kind.{k}") for k in (W_OBJECT, W_INT, W_NATIVE, W_FLOAT, W_BORROWED)}
            switch = b.switch(b.load(b.gep(kinds, [i])), cases[W_OBJECT])
            for k in (W_INT, W_NATIVE, W_FLOAT, W_BORROWED):
                switch.add_case(ir.Constant(I64, k), cases[k])
            for k, block in cases.items():
                b.position_at_end(block)
                if k == W_OBJECT:
                    b.store(b.inttoptr(word(0), PTR), item)
                elif k == W_BORROWED:     # a local's object: the tuple takes a reference of its own
                    p = b.inttoptr(word(0), PTR)
                    b.call(self.helper("xincref"), [p])
                    b.store(p, item)
                elif k == W_INT:     # box_int takes its own reference to the big part
                    b.store(b.call(self.helper("box_int"), [word(0), b.inttoptr(word(1), PTR)]), item)
                elif k == W_NATIVE:
                    b.store(b.call(self.helper("box_int"), [word(0), NULL]), item)
                else:
                    b.store(b.call(self.capi("PyFloat_FromDouble"), [b.bitcast(word(0), F64)]), item)
                b.store(b.add(w, ir.Constant(I64, 2 if k == W_INT else 1)), at)
                b.branch(done)
            b.position_at_end(done)
            return b.load(item)

        self._call_with_tuple(b, hook, n, boxed)
        return fn

    def _hand_over_with(self, count: int) -> ir.Function:
        """`PyObject *tj_hand_over_with<count>(hook, i64 *kinds, i64 n, i64 w0, ...)`:
        tj_hand_over_words with its `count` words passed as arguments, which it stores in an
        array for it. A tier-1 hand-over site then makes one call, where it stored each word
        into an array of its own first (two lines of IR per word, FunctionGen._hand_over_words)."""
        words_t = ir.ArrayType(I64, count)
        fn = ir.Function(self.module, ir.FunctionType(PTR, [PTR, I64.as_pointer(), I64] + [I64] * count),
                         f"tj_{runtime.HAND_OVER_WORDS}{count}")
        hook, kinds, n, *words = fn.args
        b = new_builder(fn.append_basic_block("entry"))
        array = b.bitcast(b.alloca(words_t), I64.as_pointer())
        for i, word in enumerate(words):
            b.store(word, b.gep(array, [ir.Constant(I64, i)]))
        b.ret(b.call(self.helper("hand_over_words"), [hook, array, kinds, n]))
        return fn

    def _safepoint_up(self, count: int) -> ir.Function:
        """`PyObject *tj_safepoint_up<count>(i64 n, i64 *work, i64 work_due, hook, i64 *due,
        i64 due_at, up, i64 *kinds, i64 items, i64 w0, ...)`: a tier-1 loop's safepoint and its
        offer of the rest of the call to tier 2, in one call (FunctionGen._tier1_safepoint):
        tj_safepoint's work, then, when it says the offer is due, tj_hand_over_with<count>'s.
        Returns NULL (an exception is set), NOT_NOW, borrowed (go on with the loop), or the
        call's result, a new reference."""
        i64p = pointer_to(I64)
        fn = ir.Function(self.module, ir.FunctionType(PTR, [I64, i64p, I64, PTR, i64p, I64, PTR, i64p, I64] + [I64] * count),
                         f"tj_{runtime.SAFEPOINT_UP}{count}")
        n, work, work_due, hook, due, due_at, up, kinds, items, *words = fn.args
        b = new_builder(fn.append_basic_block("entry"))
        not_now = self.const_obj(b, NOT_NOW)
        status = b.call(self.helper("safepoint"), [n, work, work_due, hook, due, due_at])
        with b.if_then(b.icmp_signed("<", status, ir.Constant(I32, 0)), likely=False):
            b.ret(NULL)
        with b.if_then(b.icmp_signed("==", status, ir.Constant(I32, 0)), likely=True):
            b.ret(not_now)
        r = b.call(self.helper(f"{runtime.HAND_OVER_WORDS}{count}"), [up, kinds, items, *words])
        with b.if_then(b.icmp_unsigned("==", r, not_now)):
            b.call(self.helper("xdecref"), [r])      # declined: NOT_NOW stays alive in osr.py
        b.ret(r)
        return fn

    def _call_with_tuple(self, b: ir.IRBuilder, hook: ir.Value, n: ir.Value,
                         item: Callable[[ir.Value], ir.Value]) -> None:
        """The hand-over helpers' body: `return hook((item(0), ..., item(n - 1)))`, each item a
        new reference the tuple takes, or NULL where boxing failed (the error is set: every
        item is still made and released, then NULL is returned)."""
        tup = b.call(self.capi("PyTuple_New"), [n])
        failed = b.alloca(I1)
        b.store(b.icmp_unsigned("==", tup, NULL), failed)
        with counted_loop(b, n) as i:
            p = item(i)
            with b.if_else(b.icmp_unsigned("==", p, NULL)) as (then, other):
                with then:
                    b.store(ir.Constant(I1, 1), failed)
                with other:
                    with b.if_else(b.icmp_unsigned("==", tup, NULL)) as (no_tuple, has_tuple):
                        with no_tuple:
                            b.call(self.helper("xdecref"), [p])
                        with has_tuple:
                            b.call(self.capi("PyTuple_SetItem"), [tup, i, p])   # steals p
        with b.if_then(b.load(failed), likely=False):
            b.call(self.helper("xdecref"), [tup])
            b.ret(NULL)
        r = b.call(self.capi("PyObject_CallOneArg"), [hook, tup])
        b.call(self.helper("xdecref"), [tup])
        b.ret(r)

    def _helper_getitem_int(self) -> ir.Function:
        """`PyObject *tj_getitem_int(cont, lo, big)`: CPython's own `cont[index]` for an int
        index held natively (an item read's slow path: its IndexError, or numpy's). A new
        reference, or NULL with the error set; the index is only read."""
        fn = ir.Function(self.module, ir.FunctionType(PTR, [PTR, self.int_t, PTR]), "tj_getitem_int")
        cont, lo, big = fn.args
        b = new_builder(fn.append_basic_block())
        index = b.call(self.helper("box_int"), [lo, big])
        with b.if_then(b.icmp_unsigned("==", index, NULL), likely=False):
            b.ret(NULL)
        r = b.call(self.capi("PyObject_GetItem"), [cont, index])
        b.call(self.helper("xdecref"), [index])
        b.ret(r)
        return fn

    def _helper_setitem_int(self) -> ir.Function:
        """`i32 tj_setitem_int(cont, lo, big, value)`: CPython's own `cont[index] = value` for
        an int index held natively (an item store's slow path); takes the reference to `value`.
        0, or -1 with the error set."""
        fn = ir.Function(self.module, ir.FunctionType(I32, [PTR, self.int_t, PTR, PTR]), "tj_setitem_int")
        cont, lo, big, value = fn.args
        b = new_builder(fn.append_basic_block())
        index = b.call(self.helper("box_int"), [lo, big])
        r = b.alloca(I32)
        b.store(ir.Constant(I32, -1), r)
        with b.if_then(b.icmp_unsigned("!=", index, NULL), likely=True):
            b.store(b.call(self.capi("PyObject_SetItem"), [cont, index, value]), r)
        b.call(self.helper("xdecref"), [index])
        b.call(self.helper("xdecref"), [value])
        b.ret(b.load(r))
        return fn

    def _helper_list_changed(self) -> ir.Function:
        """`void tj_list_changed()`: sets the RuntimeError of a list item read whose item is no
        longer of the type the code was compiled for (FunctionGen.list_get)."""
        fn = ir.Function(self.module, ir.FunctionType(VOID, []), "tj_list_changed")
        b = new_builder(fn.append_basic_block())
        b.call(self.capi("PyErr_SetObject"), [self.const_obj(b, RuntimeError), self.const_obj(b, LIST_CHANGED)])
        b.ret_void()
        return fn

    def _list_read(self, name: str, ret: ir.Type, read: Callable[[ir.IRBuilder, ir.Value], ir.Value]) -> ir.Function:
        """`ret name(lst, lo, big)`: tier 1's read of a list item of one type, `{value..., failed}`.
        In range and of the type, `read` makes the value from the (borrowed) item; out of range
        it is CPython's own `lst[index]` (its IndexError); an item of another type (only another
        thread or a `__del__` can put one there: docs/tiers.md, "Lists and unknown code") fails
        with tj_list_changed's RuntimeError. One call instead of
        the access written out at every read: a third of a list-heavy function's tier-1 IR."""
        fn = ir.Function(self.module, ir.FunctionType(ret, [PTR, I64, PTR]), name)
        lst, lo, big = fn.args
        b = new_builder(fn.append_basic_block())
        failed = b.insert_value(ir.Constant(ret, None), ir.Constant(I1, 1), len(ret.elements) - 1)
        expected = self.const_obj(b, int if ret.elements[0] == I64 else float)
        ok, i = capi.list_index(b, lst, lo, b.icmp_unsigned("==", big, NULL))
        item, owned = b.alloca(PTR), b.alloca(PTR)      # owned: a new reference to drop at the end
        b.store(NULL, owned)
        with b.if_else(ok, likely=True) as (then, other):
            with then:
                b.store(b.load(capi.list_slot(b, lst, i)), item)
            with other:
                # CPython's own access: for a list always its IndexError
                r = b.call(self.helper("getitem_int"), [lst, lo, big])
                with b.if_then(b.icmp_unsigned("==", r, NULL), likely=False):
                    b.ret(failed)
                b.store(r, item)
                b.store(r, owned)
        obj = b.load(item)
        with b.if_then(b.icmp_unsigned("!=", capi.type_of(b, obj), expected), likely=False):
            b.call(self.helper("xdecref"), [b.load(owned)])
            b.call(self.helper("list_changed"), [])
            b.ret(failed)
        result = read(b, obj)
        b.call(self.helper("xdecref"), [b.load(owned)])
        b.ret(result)
        return fn

    def _helper_list_get_float(self) -> ir.Function:
        """`{double, i1 failed} tj_list_get_float(lst, lo, big)`: an item of a list of floats."""
        ret = ir.LiteralStructType([F64, I1])

        def read(b: ir.IRBuilder, obj: ir.Value) -> ir.Value:
            d = b.load(b.bitcast(b.gep(obj, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)]), F64.as_pointer()))
            return b.insert_value(ir.Constant(ret, None), d, 0)
        return self._list_read("tj_list_get_float", ret, read)

    def _helper_list_get_int(self) -> ir.Function:
        """`{i64, big, i1 failed} tj_list_get_int(lst, lo, big)`: an item of a list of ints, as
        tier 1 holds an int (a new reference in `big` when it needs more than 64 bits)."""
        ret = ir.LiteralStructType([I64, PTR, I1])

        def read(b: ir.IRBuilder, obj: ir.Value) -> ir.Value:
            pair = b.call(self.helper("unbox_int"), [obj])
            value_big = b.extract_value(pair, 1)
            b.call(self.helper("xincref"), [value_big])     # the item itself, kept as it is
            r = b.insert_value(ir.Constant(ret, None), b.extract_value(pair, 0), 0)
            return b.insert_value(b.insert_value(r, value_big, 1), ir.Constant(I1, 0), 2)
        return self._list_read("tj_list_get_int", ret, read)

    def _helper_list_set(self) -> ir.Function:
        """`i32 tj_list_set(lst, lo, big, value)`: tier 1's `lst[index] = value`; takes the
        reference to `value`. In range the list takes it and drops the old item (which may run
        a __del__, as in CPython: after the store); else CPython's own assignment (its
        IndexError). 0, or -1 with the error set."""
        fn = ir.Function(self.module, ir.FunctionType(I32, [PTR, I64, PTR, PTR]), "tj_list_set")
        lst, lo, big, value = fn.args
        b = new_builder(fn.append_basic_block())
        ok, i = capi.list_index(b, lst, lo, b.icmp_unsigned("==", big, NULL))
        with b.if_then(ok, likely=True):
            slot = capi.list_slot(b, lst, i)
            old = b.load(slot)
            b.store(value, slot)
            b.call(self.helper("xdecref"), [old])
            b.ret(ir.Constant(I32, 0))
        b.ret(b.call(self.helper("setitem_int"), [lst, lo, big, value]))
        return fn

    def _taking_index(self, name: str) -> ir.Function:
        """`tj_<name>_taking`: helper `name`, a list access given its index as (lo, big), then
        the index's `big` released. Tier 1 calls it with an index it owns (a computed one,
        `xs[i * n + j]`), whose release after the call was an inline test, a call and two
        blocks at every such access, and a block more to release it on the way to an error."""
        base = self.helper(name)
        fn = ir.Function(self.module, base.function_type, f"tj_{name}{runtime.TAKING}")
        b = new_builder(fn.append_basic_block())
        r = b.call(base, list(fn.args))
        b.call(self.helper("xdecref"), [fn.args[2]])
        b.ret(r)
        return fn

    def _helper_deopt(self) -> ir.Function:
        """`PyObject *tj_deopt(guard_failed, i32 reason, args, nargs)`: a failed entry guard. The
        engine records the deopt and returns the function that runs this call on tier 0, with the
        arguments untouched; its result (or NULL and its exception) is the call's."""
        fn = ir.Function(self.module, ir.FunctionType(PTR, [PTR, I32, PTR.as_pointer(), I64]), "tj_deopt")
        guard_failed, reason, args, nargs = fn.args
        b = new_builder(fn.append_basic_block())
        which = b.call(self.capi("PyLong_FromLongLong"), [b.sext(reason, I64)])
        with b.if_then(b.icmp_unsigned("==", which, NULL)):
            b.ret(NULL)
        handler = b.call(self.capi("PyObject_CallOneArg"), [guard_failed, which])
        b.call(self.helper("xdecref"), [which])
        with b.if_then(b.icmp_unsigned("==", handler, NULL)):
            b.ret(NULL)
        r = b.call(self.capi("PyObject_Vectorcall"), [handler, args, nargs, NULL])
        b.call(self.helper("xdecref"), [handler])
        b.ret(r)
        return fn

    def _helper_float_of_int(self) -> ir.Function:
        """`{double, i1 failed} tj_float_of_int(lo, big)`: float() of an int that does not fit in
        64 bits (takes the reference to `big`), by CPython's PyLong_AsDouble (its OverflowError);
        tier 1's slow path of ValueOps.to_float, one call instead of a dozen lines at every use."""
        ret = ir.LiteralStructType([F64, I1])
        fn = ir.Function(self.module, ir.FunctionType(ret, [self.int_t, PTR]), "tj_float_of_int")
        lo, big = fn.args
        b = new_builder(fn.append_basic_block())
        failed = ir.Constant(ret, [ir.Constant(F64, 0.0), ir.Constant(I1, 1)])
        obj = b.call(self.helper("box_int"), [lo, big])
        b.call(self.helper("xdecref"), [big])
        with b.if_then(b.icmp_unsigned("==", obj, NULL), likely=False):
            b.ret(failed)
        d = b.call(self.capi("PyLong_AsDouble"), [obj])
        b.call(self.helper("xdecref"), [obj])
        with b.if_then(b.fcmp_ordered("==", d, ir.Constant(F64, -1.0)), likely=False):
            with b.if_then(b.icmp_unsigned("!=", b.call(self.capi("PyErr_Occurred"), []), NULL)):
                b.ret(failed)
        b.ret(b.insert_value(b.insert_value(ir.Constant(ret, ir.Undefined), d, 0), ir.Constant(I1, 0), 1))
        return fn

    def _helper_float_binop(self) -> ir.Function:
        """`{double, i1 failed} tj_float_binop(x, y, op, third)`: CPython's `op(x, y)` on two
        floats, for a result known to be a float (`op(x, y, third)` when `third` is not NULL: `**`).
        Tier 1's rare float paths (a division by zero, `//`, `%`, `**`, a square that overflows),
        one call instead of boxing, calling and unboxing written out at every use."""
        ret = ir.LiteralStructType([F64, I1])
        fn = ir.Function(self.module, ir.FunctionType(ret, [F64, F64, PTR, PTR]), "tj_float_binop")
        x, y, op, third = fn.args
        b = new_builder(fn.append_basic_block())
        failed = ir.Constant(ret, [ir.Constant(F64, 0.0), ir.Constant(I1, 1)])
        xo = b.call(self.capi("PyFloat_FromDouble"), [x])
        yo = b.call(self.capi("PyFloat_FromDouble"), [y])
        with b.if_then(b.or_(b.icmp_unsigned("==", xo, NULL), b.icmp_unsigned("==", yo, NULL)), likely=False):
            b.call(self.helper("xdecref"), [xo])
            b.call(self.helper("xdecref"), [yo])
            b.ret(failed)
        r = b.alloca(PTR)
        binary, ternary = ir.FunctionType(PTR, [PTR, PTR]), ir.FunctionType(PTR, [PTR, PTR, PTR])
        with b.if_else(b.icmp_unsigned("==", third, NULL)) as (two, three):
            with two:
                b.store(b.call(FunctionPointer(b.bitcast(op, binary.as_pointer()), binary), [xo, yo]), r)
            with three:
                b.store(b.call(FunctionPointer(b.bitcast(op, ternary.as_pointer()), ternary), [xo, yo, third]), r)
        result = b.load(r)
        b.call(self.helper("xdecref"), [xo])
        b.call(self.helper("xdecref"), [yo])
        with b.if_then(b.icmp_unsigned("==", result, NULL), likely=False):
            b.ret(failed)
        d = b.load(b.bitcast(b.gep(result, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)]), F64.as_pointer()))
        b.call(self.helper("xdecref"), [result])
        b.ret(b.insert_value(b.insert_value(ir.Constant(ret, ir.Undefined), d, 0), ir.Constant(I1, 0), 1))
        return fn

    def _int_op(self, op: type | None) -> ir.Function:
        """An int slow path (see int_op_call): `tj_int_<Op>`, or for op None `tj_int_binop`, which
        calls the two-argument C-API function whose address is its fifth argument."""
        iw = self.int_t
        ret = ir.LiteralStructType([iw, PTR, I1])
        params = [iw, PTR, iw, PTR] + ([PTR] if op is None else [])
        fn = ir.Function(self.module, ir.FunctionType(ret, params), f"tj_int_{op.__name__ if op else 'binop'}")
        alo, abig, blo, bbig = fn.args[:4]
        b = new_builder(fn.append_basic_block())
        box = self.helper("box_int")
        xo = b.call(box, [alo, abig])
        yo = b.call(box, [blo, bbig])
        bad = b.or_(b.icmp_unsigned("==", xo, NULL), b.icmp_unsigned("==", yo, NULL))
        fail = ir.Constant(ret, [ir.Constant(iw, 0), NULL, ir.Constant(I1, 1)])
        with b.if_then(bad, likely=False):
            b.call(self.helper("xdecref"), [xo])
            b.call(self.helper("xdecref"), [yo])
            b.ret(fail)
        if op is None:
            binary = ir.FunctionType(PTR, [PTR, PTR])
            r = b.call(FunctionPointer(b.bitcast(fn.args[4], binary.as_pointer()), binary), [xo, yo])
        elif op is ast.Pow:
            r = b.call(self.capi("PyNumber_Power"), [xo, yo, self.const_obj(b, None)])
        else:
            r = b.call(self.capi(_PY_NUMBER[op]), [xo, yo])
        b.call(self.helper("xdecref"), [xo])
        b.call(self.helper("xdecref"), [yo])
        with b.if_then(b.icmp_unsigned("==", r, NULL), likely=False):
            b.ret(fail)
        pair = b.call(self.helper("unbox_int"), [r])
        big = b.extract_value(pair, 1)
        with b.if_then(b.icmp_unsigned("==", big, NULL)):
            b.call(self.helper("xdecref"), [r])     # the value fits: the object is not kept
        out = b.insert_value(ir.Constant(ret, ir.Undefined), b.extract_value(pair, 0), 0)
        out = b.insert_value(out, big, 1)
        b.ret(b.insert_value(out, ir.Constant(I1, 0), 2))
        return fn

    def declare(self, typing: Typing) -> ir.Function:
        """The function of a specialisation: defined in this module, or, for one in `linked`,
        another unit's machine code called through its address (tier 1, see compiler.link_plan).
        Call it with `call_native`."""
        fn = self.fns.get(typing.symbol)
        if fn is None:
            params = [ir.PointerType(ir.LiteralStructType(parts(typing.returns, self.int_t) or [I8]))]
            for ty in typing.param_types:
                params += parts(ty, self.int_t)
            params.append(PTR)    # the stack limit: recursion below this address goes on interpreted
            ftype = ir.FunctionType(I32, params)
            if typing.symbol in self.linked:
                fn = self._callee(f"{typing.tree.name}.linked", self.linked[typing.symbol], lambda: ftype,
                                  shared=False)
            else:
                fn = Function(self.module, ftype, typing.symbol)
                if self.tier != 1:
                    fn.linkage = "internal"
            self.fns[typing.symbol] = fn
        return fn

    def call_native(self, b: ir.IRBuilder, typing: Typing, args: Sequence[ir.Value]) -> ir.Value:
        """A call of a JIT'd specialisation, its status (0: done, else an exception is set).

        Tier 1 calls a function of its own module through a cell holding its address, filled in
        once the machine code exists (NativeUnit, `symbol_cells`): under the JIT's large code
        model LLVM's fast instruction selector cannot lower a direct call, and each function
        making one went to the slow selector whole (recursive functions, callers compiled with
        their callees, the entry). Tier 2 calls directly, for the optimiser to inline."""
        fn = self.declare(typing)
        if self.tier != 1 or not isinstance(fn, ir.Function):
            return b.call(fn, args)
        cell = self.native_cell(typing)
        ptr_t = fn.function_type.as_pointer()
        pointer = b.load(self.address(ctypes.addressof(cell), pointer_to(ptr_t)))
        return b.call(FunctionPointer(pointer, fn.function_type), args)

    def native_cell(self, typing: Typing) -> ctypes.c_void_p:
        """Tier 1: the cell that will hold the address of this module's function for `typing`
        (NativeUnit fills it once the machine code exists; see call_native)."""
        name = self.declare(typing).name
        cell = self.symbol_cells.get(name)
        if cell is None:
            cell = self.symbol_cells[name] = ctypes.c_void_p()
            self.keepalive.append(cell)
            self.address_names[ctypes.addressof(cell)] = f"{name}.cell"
        return cell

    def export(self, typing: Typing) -> None:
        """What a later tier-1 unit calls directly: at tier 1 the entry specialisation itself
        (its functions are external, see `call_native`); at tier 2 `tj_export`, an external copy
        of its signature that calls it, so the function itself stays internal and the optimiser
        may still change how it is called inside the module."""
        inner = self.declare(typing)
        if self.tier == 1:
            self.export_symbol = inner.name
            return
        fn = ir.Function(self.module, inner.function_type, EXPORT_NAME)
        b = new_builder(fn.append_basic_block())
        b.ret(b.call(inner, list(fn.args)))
        self.export_symbol = EXPORT_NAME


class FunctionPointer:
    """A loaded function pointer as a call's callee: what a builder's `call` reads off one."""
    __slots__ = ("value", "function_type", "type")

    def __init__(self, value: ir.Value, function_type: ir.FunctionType) -> None:
        self.value, self.function_type, self.type = value, function_type, value.type

    def get_reference(self) -> str:
        return self.value.get_reference()


I8 = ir.IntType(8)


@contextlib.contextmanager
def counted_loop(b: ir.IRBuilder, n: ir.Value) -> Iterator[ir.Value]:
    """`for i in range(n)` in a helper's code: what is emitted inside the `with` is the body, for
    the i it is given; the builder is left after the loop."""
    fn = b.block.function
    index = b.alloca(I64)
    b.store(ir.Constant(I64, 0), index)
    head, body, done = (fn.append_basic_block(x) for x in ("head", "body", "done"))
    b.branch(head)
    b.position_at_end(head)
    b.cbranch(b.icmp_signed("<", b.load(index), n), body, done)
    b.position_at_end(body)
    i = b.load(index)
    yield i
    b.store(b.add(i, ir.Constant(I64, 1)), index)
    b.branch(head)
    b.position_at_end(done)


@functools.lru_cache(maxsize=256)
def _range_loops(tree: ast.FunctionDef) -> tuple[ast.For, ...]:
    """The `for ... in range(...)` loops of a function's tree (a tree is compiled several times:
    at each tier, and again after a deopt)."""
    return tuple(node for node in ast.walk(tree) if isinstance(node, ast.For) and isinstance(node.iter, ast.Call)
                 and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range")


def _int_constant(a: ast.expr) -> bool:
    return isinstance(a, ast.Constant) and type(a.value) is int


def _cleaned_part(ty: str) -> int | None:
    """The part of a local of type `ty` that holds a reference the exit's cleanup drops (an int's
    `big`, an object), or None for a type held unboxed."""
    if ty in (INT, MAYBE_NP_INT):
        return 1
    return None if ty in UNBOXED else 0


def _pair(b: ir.IRBuilder, ty: ir.Type, lo: ir.Value, big: ir.Value) -> ir.Value:
    return b.insert_value(b.insert_value(ir.Constant(ty, ir.Undefined), lo, 0), big, 1)


# return types a hand-over's result converts to without a way to fail (FunctionGen._handover_result)
SHARED_RESULT_TYPES = (INT, FLOAT, BOOL, NONE, OBJ, LIST_INT, LIST_FLOAT, LIST_OBJ)


def _padded(words: list[ir.Value]) -> list[ir.Value]:
    """A hand-over's words, zeros after them up to the runtime variant's count (runtime.padded):
    the kinds table says how many the runtime reads."""
    return words + [ir.Constant(I64, 0)] * (runtime.padded(len(words)) - len(words))


def _word_variant(kind: str, words: list[ir.Value]) -> tuple[str, list[ir.Value]]:
    """The runtime helper of `kind` (runtime.HAND_OVER_WORDS, runtime.SAFEPOINT_UP) that takes
    `words`, and the words padded to its count."""
    padded = _padded(words)
    return f"{kind}{len(padded)}", padded


# What a tier-1 hand-over's item is made of, for the shared runtime to box (tj_hand_over_words):
# an object (a new reference, or NULL where boxing failed), an int as a local holds it (value and
# borrowed big part), a native int, a float's bits, or a local's object (borrowed: the runtime
# takes a reference of its own).
W_OBJECT, W_INT, W_NATIVE, W_FLOAT, W_BORROWED = range(5)


@dataclass
class Word:
    """An item of a tier-1 hand-over, still native: `kind` (W_*) and the i64 words it is made of."""
    kind: int
    values: list


@dataclass
class TierUpSite:
    """A tier-1 loop that may hand the rest of its call to tier 2 (FunctionGen._tier_up); a range
    loop gives its next index, stop and step (`range_state`). Its safepoint is due every
    POLL_MASK + 1 iterations, as every tier-1 safepoint is."""
    loop: ast.For | ast.While
    range_state: Callable[[], tuple[ir.Value, ...]] | None = None


class FunctionGen:
    """Lowers one typed function into the module."""

    def __init__(self, mod: ModuleGen, typing: Typing) -> None:
        self.mod = mod
        self.t = typing
        self.fn = mod.declare(typing)
        self.ops = Ops(self)
        self.current: ast.AST | None = None
        self.loops: list[tuple[ir.Block, ir.Block]] = []   # (continue target, break target)
        # the loops around the code being generated, outermost first: their kind and how to hand
        # over what they have still to do (new references), for osr.RangeFallback
        self.loop_stack: list[tuple[str, Callable[[], list[ir.Value]]]] = []
        self.lines: set[int] = set()
        self.held: list[V] = []     # values an expression holds while it evaluates more (see fail)

    # -- services used by Ops
    @property
    def builder(self) -> ir.IRBuilder:
        return self.b

    @property
    def iw(self) -> ir.IntType:
        """The native int's type in this module (ModuleGen.int_bits)."""
        return self.mod.int_t

    def capi(self, name: str) -> ir.Function:
        return self.mod.capi(name)

    def intrinsic(self, name: str) -> ir.Function:
        return self.mod.intrinsic(name)

    def helper(self, name: str) -> ir.Function:
        return self.mod.helper(name)

    def const_obj(self, obj: object) -> ir.Value:
        return self.mod.const_obj(self.b, obj)

    @contextlib.contextmanager
    def holding(self, *values: V) -> Iterator[None]:
        """Code emitted inside holds `values` (each an owned or borrowed V it will consume later):
        if it fails, the error exit releases them, so an exception leaks nothing."""
        n = len(self.held)
        self.held.extend(values)
        try:
            yield
        finally:
            del self.held[n:]

    def evaluate(self, nodes: Sequence[ast.expr], read: Callable[[ast.expr], V] | None = None) -> list[V]:
        """Operands left to right, as CPython evaluates them, each held while the next is."""
        values: list[V] = []
        for node in nodes:
            with self.holding(*values):
                values.append((read or self.expr)(node))
        return values

    def entry_alloca(self, ty: ir.Type) -> ir.Value:
        with self.b.goto_block(self.alloca_block):
            return self.b.alloca(ty)

    def fail(self, line: int) -> None:
        """Jump to the error exit, remembering the user's line for the traceback; the values held
        while this code runs (an operand already evaluated, say) are released on the way."""
        self._fail_here(line)
        # anything emitted after this in the same place is unreachable; give it a block
        self.b.position_at_end(self.fn.append_basic_block("after_fail"))

    def _fail_here(self, line: int) -> None:
        self.lines.add(line)
        for v in reversed(self.held):
            self.ops.release(v, cold=True)
        self.b.branch(self._error_at(line))

    def fail_if(self, cond: ir.Value, line: int, go_on: ir.Block | None = None) -> None:
        """`fail(line)` where `cond` holds (seldom); the code after goes on where it does not.

        With nothing held to release (or only values whose release is no code: borrowed, unboxed,
        an int known to be native), the check branches straight to its line's way to the error
        exit (`_error_at`): no block of its own, nor the unreachable one `fail` leaves after it
        (8% of the bench functions' tier-1 IR). Otherwise it branches to one block that releases
        them and goes there (not an `if_then`, whose extra block would only hold a branch).
        Given `go_on`, the code goes on there and the builder is left where the caller must move it
        (the block it was in is terminated)."""
        self.lines.add(line)
        resume = go_on is None
        go_on = go_on or self.fn.append_basic_block("ok")
        if any(not self.ops.releases_nothing(v) for v in self.held):
            failed = self.fn.append_basic_block("fail")
            self.b.cbranch(cond, failed, go_on).set_weights([1, 99])
            self.b.position_at_end(failed)
            self._fail_here(line)
        else:
            self.b.cbranch(cond, self._error_at(line), go_on).set_weights([1, 99])
        if resume:
            self.b.position_at_end(go_on)

    def _error_at(self, line: int) -> ir.Block:
        """The block that stores `line` for the traceback and goes on to the error exit: one per
        line, shared by its checks. (Not a phi in the exit: -O0 code would then set the line on
        the fast path of every check, a store in every hot loop.)"""
        block = self.err_lines.get(line)
        if block is None:
            block = self.err_lines[line] = self.fn.append_basic_block(f"error.{line}")
            b = new_builder(block)
            b.store(ir.Constant(I32, line), self.mod.err_line)
            self._leave(1, b)
        return block

    # -- the function
    def generate(self) -> None:
        t = self.t
        if any(ty == BOTTOM for ty in t.locals.values()) or t.returns == BOTTOM:
            raise Unsupported(f"types of {t.tree.name} could not be inferred (a value is never computed)")
        fn = self.fn
        self.alloca_block = fn.append_basic_block("allocas")
        body = fn.append_basic_block("body")
        # The one exit: every error and every return branches to it, naming its status (1: an
        # exception is set, 0: the result is stored) for the phi that starts it (see _leave).
        # Made now, for the branches; moved to the end of the function once it is filled.
        self.leave = fn.append_basic_block("exit")
        self.exits: list[tuple[ir.Constant, ir.Block]] = []
        self.err_lines: dict[int, ir.Block] = {}     # see _error_at
        self.b = new_builder(self.alloca_block)
        bindings = _bindings(t.tree, t.params)
        self.first_stores = bindings.first_stores
        self.counters = _range_counters(t, bindings)
        # A parameter the body never rebinds keeps the caller's reference for the whole call (a
        # caller holds its arguments until we return): no count to take on entry or drop at exit.
        stored = bindings.stored
        self.borrowed_params = {name for name, ty in zip(t.params, t.param_types)
                                if name not in stored and t.locals[name] == ty}
        # locals: one alloca per part. The part the exit's cleanup reads (an int's `big`, an
        # object; cleanup skips range counters and borrowed parameters) starts NULL, so cleanup is
        # safe even when a parameter's conversion fails before the later ones are stored. Nothing
        # else reads a local before it is stored (a read that may come first is guarded by the
        # local's `bound` flag): the other parts get no first store.
        self.slots: dict[str, list[ir.Value]] = {}
        for name, ty in t.locals.items():
            slots = [self.b.alloca(p, name=f"{name}.{i}") for i, p in enumerate(parts(ty, self.iw))]
            cleaned = _cleaned_part(ty)
            if cleaned is not None and name not in self.counters and name not in self.borrowed_params:
                self.b.store(ir.Constant(slots[cleaned].type.pointee, None), slots[cleaned])
            self.slots[name] = slots
        self.bound: dict[str, ir.Value] = {}
        for name in t.maybe_unbound:
            flag = self.b.alloca(I1, name=f"{name}.bound")
            self.b.store(ir.Constant(I1, 0), flag)
            self.bound[name] = flag
        self.poll = self.b.alloca(I64, name="poll")
        self.b.store(ir.Constant(I64, 0), self.poll)
        self.tier_up_loops: set[int] = set()
        if self.mod.tier_up is not None and t is self.mod.tier_up_typing:
            self.tier_up_loops = {id(site.node) for site in find_loops(t.tree) if site.osr}
        # int parameters checked to be native: at the start of the call (_check_range_bounds), or
        # by a range loop around the code being emitted (_range_body)
        self.known_small: set[str] = set()
        self.handover_result: tuple[ir.Block, Any] | None = None     # see _handover_result
        self.b = new_builder(body)
        if t.recursive:
            self._enter_recursion()
        args = list(fn.args[1:-1])
        for name, ty in zip(t.params, t.param_types):
            n = len(parts(ty, self.iw))
            v = pack(ty, args[:n])
            args = args[n:]
            if name not in self.borrowed_params:
                v = self.ops.coerce(self.ops.dup(v), t.locals[name], t.tree.lineno)
            self.store_local(name, v, first=True)
        self._check_range_bounds()
        self.block(t.tree.body)
        if not self.b.block.is_terminated:
            if always_returns(t.tree.body):
                self.b.unreachable()      # the block after a final `return`: no path reaches it
            else:
                self.do_return(V(NONE))
                self.b.unreachable()
        self.b.position_at_end(self.alloca_block)
        self.b.branch(body)
        # the exit: one cleanup for both ways out, returning the status its phi picks
        fn.blocks.remove(self.leave)
        fn.blocks.append(self.leave)
        self.b.position_at_end(self.leave)
        status: ir.Value = ir.Constant(I32, 1)     # no way in: the block is never reached
        if self.exits:
            status = self.b.phi(I32, name="status")
            for code, block in self.exits:
                status.add_incoming(code, block)
        self.cleanup()
        if t.recursive:
            self.b.call(self.capi("Py_LeaveRecursiveCall"), [])
        self.b.ret(status)

    def _leave(self, code: int, b: ir.IRBuilder | None = None) -> None:
        """Branch from where `b` (else the function's builder) is to the exit, which returns
        `code` (1: an exception is set, 0: the result is stored) when it comes from here."""
        b = b or self.b
        self.exits.append((ir.Constant(I32, code), b.block))
        b.branch(self.leave)

    def _check_range_bounds(self) -> None:
        """An int parameter the body never rebinds that is a bound of a range loop is checked once,
        here, to be native: if it is not, nothing has happened yet, so the whole call runs on
        tier 0 with the same arguments (the module's `restart` hook). After the check it is read
        as native everywhere (known_small), and its loops need no way out of their own (a range
        loop's hand-over to the interpreter boxes every local and its bounds: a tenth of a small
        loop function's code). A bound too big for 64 bits cannot run natively anyway."""
        t = self.t
        if self.mod.restart is None or any(t.locals[p] != ty for p, ty in zip(t.params, t.param_types)):
            return      # an OSR continuation, or a parameter converted on the way in (no restart)

        def checkable(a: ast.expr) -> bool:
            return isinstance(a, ast.Name) and a.id in self.borrowed_params and t.locals[a.id] == INT
        # only loops the check frees of their way out: each bound such a parameter or a constant
        # int, the step a constant other than 0 (a loop like `range(i * i, n, i)` keeps its own)
        names: list[str] = []
        for loop in _range_loops(t.tree):
            if t.exprs.get(id(loop.iter)) != "range":
                continue
            args = loop.iter.args
            step = args[2] if len(args) == 3 else None
            if (all(checkable(a) or _int_constant(a) for a in args[:2])
                    and (step is None or (_int_constant(step) and step.value != 0))):
                names += [a.id for a in args[:2] if checkable(a) and a.id not in names]
        if not names:
            return
        b = self.b
        big = [b.load(self.slots[name][1]) for name in names]
        not_native = b.icmp_unsigned("!=", big[0], NULL)
        for p in big[1:]:
            not_native = b.or_(not_native, b.icmp_unsigned("!=", p, NULL))
        restart, native = self.fn.append_basic_block("restart"), self.fn.append_basic_block("native")
        b.cbranch(not_native, restart, native).set_weights([1, 99])
        b.position_at_end(restart)
        self._hand_over(t.tree, self.mod.restart(t), list(t.params), [], t.tree.lineno, may_decline=False,
                        go_on=native)
        self.known_small |= set(names)

    def _enter_recursion(self) -> None:
        """Recursive code: CPython's recursion limit, a C-stack budget, and a safepoint per call."""
        b = self.b
        line = self.t.tree.lineno
        # Native frames live on the C stack (CPython's own Python-to-Python calls do not): below
        # the thread's limit (thread_stack_limit) the call goes on in the interpreter.
        here = b.ptrtoint(self.poll, I64)
        with b.if_then(b.icmp_unsigned("<", here, b.ptrtoint(self.fn.args[-1], I64)), likely=False):
            self._recurse_in_interpreter(line)
        empty = b.gep(self.mod.empty_cstr, [ir.Constant(I32, 0), ir.Constant(I32, 0)])
        r = b.call(self.capi("Py_EnterRecursiveCall"), [empty])
        with b.if_then(b.icmp_signed("!=", r, ir.Constant(I32, 0)), likely=False):
            self.lines.add(line)
            b.store(ir.Constant(I32, line), self.mod.err_line)
            self.b.ret(ir.Constant(I32, 1))
        # recursion has no back-edges: Ctrl-C is checked here instead, counting calls module-wide
        self._poll(line, counter=self.mod.call_polls)

    def _recurse_in_interpreter(self, line: int) -> None:
        """The C-stack budget is used up: run this call (and, through the `deep` hook, every deeper
        one) in the interpreter, whose Python-to-Python calls use no C stack, and return its result.
        Emitted before the locals hold anything and before Py_EnterRecursiveCall, so it returns
        directly rather than through the exits (which would leave a recursive call not entered)."""
        b = self.b
        t = self.t
        args, items = list(self.fn.args[1:-1]), []
        for ty in t.param_types:
            n = len(parts(ty, self.iw))
            items.append(self._boxed_raw(self.ops.dup(pack(ty, args[:n]))))
            args = args[n:]
        arr = self.entry_alloca(ir.ArrayType(PTR, max(1, len(items))))
        failed: ir.Value = ir.Constant(I1, 0)
        for i, item in enumerate(items):
            failed = b.or_(failed, b.icmp_unsigned("==", item, NULL))
            b.store(item, b.gep(arr, [ir.Constant(I32, 0), ir.Constant(I32, i)]))
        slot = self.entry_alloca(PTR)
        b.store(NULL, slot)
        with b.if_then(b.not_(failed), likely=True):
            called = self.ops.call("PyObject_Vectorcall", self.const_obj(self.mod.deep(t)),
                                   b.bitcast(arr, PTR.as_pointer()), ir.Constant(I64, len(items)), NULL)
            b.store(called, slot)
        result = b.load(slot)
        for item in items:
            self.ops.xdecref(item)
        with b.if_then(b.icmp_unsigned("==", result, NULL), likely=False):
            self.lines.add(line)
            b.store(ir.Constant(I32, line), self.mod.err_line)
            b.ret(ir.Constant(I32, 1))
        v = self.ops.from_object(result, t.returns, line)
        for i, val in enumerate(unpack(v)):
            b.store(val, b.gep(self.fn.args[0], [ir.Constant(I32, 0), ir.Constant(I32, i)]))
        b.ret(ir.Constant(I32, 0))
        b.position_at_end(self.fn.append_basic_block("after_deep"))

    def cleanup(self) -> None:
        for name, ty in self.t.locals.items():
            if name in self.counters or name in self.borrowed_params:
                continue          # never holds a PyLong, or holds the caller's reference
            cleaned = _cleaned_part(ty)
            if cleaned is None:
                continue
            p = self.b.load(self.slots[name][cleaned])
            if ty in (INT, MAYBE_NP_INT):
                self.ops.decref_big(p)
            else:
                self.ops.xdecref(p)

    def load_local(self, name: str) -> V:
        return self.ops.dup(self._read_local(name))

    def _returned(self, value: ast.expr | None) -> V:
        """The value of `return value`, owned. `return x` of an int local takes over the local's
        own reference to its `big` part and clears the slot, where a copy would take a count
        that the exit's cleanup then drops (an inline test and call each, and their blocks)."""
        if value is None:
            return V(NONE)
        name = value.id if isinstance(value, ast.Name) else None
        if (name is None or self.t.locals.get(name) != INT or name not in self.slots
                or name in self.borrowed_params or name in self.counters):
            return self.expr(value)
        v = self._read_local(name)
        if v.big is not NULL:
            self.b.store(NULL, self.slots[name][1])
        return v

    def _read_local(self, name: str) -> V:
        """The local's value as its slots hold it (no reference of our own)."""
        flag = self.bound.get(name)
        if flag is not None:
            with self.b.if_then(self.b.not_(self.b.load(flag)), likely=False):
                # CPython raises it, with its own message, from a function that reads `name` too early.
                self.ops.call_python(_unbound_reader(name), [], NONE, getattr(self.current, "lineno", 0))
        if name in self.counters or name in self.known_small:      # native: no `big` to test
            return V(INT, self.b.load(self.slots[name][0]), NULL)
        return pack(self.t.locals[name], [self.b.load(s) for s in self.slots[name]])

    def _int_arith(self, left: ast.expr, op: ast.operator, right: ast.expr, ty: str) -> bool:
        """Int arithmetic only reads its operands (int / int included); float or object arithmetic
        on an int converts it through paths that take it over."""
        def int_typed(node: ast.expr) -> bool:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):   # `x += ...`
                return self.t.locals.get(node.id) == INT
            return self.t.type(node) == INT
        return int_typed(left) and int_typed(right) and (ty == INT or (ty == FLOAT and isinstance(op, ast.Div)))

    def operand(self, node: ast.expr) -> V:
        """An int operand an operation only reads: a local is borrowed from its slot, with no
        reference counting. Safe because nothing while an expression is evaluated can rebind a
        local (only a statement's store does) and the callers below never keep the value: int
        arithmetic and comparison, indices, range() bounds, int arguments of JIT'd callees (which
        borrow their arguments). Ops.dup makes an owned copy for whatever would keep it,
        Ops.release and Ops.box leave it alone. The reads and releases it saves were a fifth of
        a tier-1 loop's instructions."""
        if isinstance(node, ast.Name) and self.t.locals.get(node.id) == INT:
            v = self._read_local(node.id)
            v.borrowed = True
            return v
        return self.expr(node)

    def store_local(self, name: str, v: V, first: bool = False, released: bool = False) -> None:
        """`name = v` (takes v); `first`: the slot still holds its zero value, nothing to drop;
        `released`: the code that made v has released the old value already (aug_assign)."""
        ty = self.t.locals[name]
        v = self.ops.coerce(v, ty, getattr(self.current, "lineno", 0))
        old = (None if first or released or name in self.counters
               else pack(ty, [self.b.load(s) for s in self.slots[name]]))
        for s, val in zip(self.slots[name], unpack(v)):
            self.b.store(val, s)
        if name in self.bound:
            self.b.store(ir.Constant(I1, 1), self.bound[name])
        if old is not None:
            self.ops.release(old)

    def do_return(self, v: V) -> None:
        v = self.ops.coerce(v, self.t.returns, getattr(self.current, "lineno", 0))
        ret = self.fn.args[0]
        for i, val in enumerate(unpack(v)):
            self.b.store(val, self.b.gep(ret, [ir.Constant(I32, 0), ir.Constant(I32, i)]))
        self._leave(0)
        self.b.position_at_end(self.fn.append_basic_block("after_return"))

    # ----------------------------------------------------------------- statements
    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            self.current = s
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        line = s.lineno
        if isinstance(s, ast.Return):
            self.do_return(self._returned(s.value))
        elif isinstance(s, ast.Assign):
            if len(s.targets) == 1 and _parallel(s.targets[0], s.value):
                pairs = self.eval_pairs(s.targets[0], s.value)      # all right-hand sides first
                for target, v in pairs:
                    self.assign(target, v, line)
                return
            v = self.expr(s.value)
            if id(s) in self.first_stores:
                self.store_local(s.targets[0].id, v, first=True)
                return
            for i, target in enumerate(s.targets):
                self.assign(target, self.ops.dup(v) if i < len(s.targets) - 1 else v, line)
        elif isinstance(s, ast.AnnAssign):
            self.assign(s.target, self.expr(s.value), line)
        elif isinstance(s, ast.AugAssign):
            self.aug_assign(s)
        elif isinstance(s, ast.If):
            self.if_stmt(s)
        elif isinstance(s, ast.While):
            self.while_loop(s)
        elif isinstance(s, ast.For):
            self.for_loop(s)
        elif isinstance(s, ast.Expr):
            self.ops.release(self.expr(s.value))
        elif isinstance(s, ast.Pass):
            pass
        elif isinstance(s, ast.Break):
            self.b.branch(self.loops[-1][1])
            self.b.position_at_end(self.fn.append_basic_block("after_break"))
        elif isinstance(s, ast.Continue):
            self.b.branch(self.loops[-1][0])
            self.b.position_at_end(self.fn.append_basic_block("after_continue"))
        else:
            raise Unsupported(f"{type(s).__name__} at line {line} is not compiled")

    def eval_pairs(self, target: ast.expr, node: ast.expr) -> list[tuple[ast.expr, V]]:
        """`a, (b, c) = x, (y, z)`: evaluate the values left to right without building tuples."""
        if _parallel(target, node):
            pairs: list[tuple[ast.expr, V]] = []
            for t, n in zip(target.elts, node.elts):
                pairs += self.eval_pairs(t, n)
            return pairs
        return [(target, self.expr(node))]

    def assign(self, target: ast.expr, v: V, line: int) -> None:
        if isinstance(target, ast.Name):
            self.store_local(target.id, v)
        elif isinstance(target, ast.Subscript):
            with self.holding(v):
                cont = self.container(target.value)
                with self.holding(cont):
                    idx = self.operand(target.slice)
            self.store_item(cont, idx, v, line)
        elif isinstance(target, ast.Tuple):
            obj = self.ops.box(v, line)
            n = len(target.elts)
            tup = self.ops.call_python(_unpacker(n), [V(OBJ, obj)], OBJ, line)
            items = []
            for i in range(n):
                it = self.ops.check_null(self.ops.call("PySequence_GetItem", tup.a, ir.Constant(I64, i)), line)
                items.append(V(OBJ, it))
            self.ops.release(tup)
            for sub, item in zip(target.elts, items):
                self.assign(sub, item, line)
        else:
            raise Unsupported(f"assignment target at line {line} is not compiled")

    def aug_assign(self, s: ast.AugAssign) -> None:
        line = s.lineno
        t = self.t
        if isinstance(s.target, ast.Name):
            if self._int_arith(s.target, s.op, s.value, t.type(s)):     # read in place: see operand
                cur = self.operand(s.target)
                with self.holding(cur):
                    rhs = self.operand(s.value)
                if cur.borrowed and rhs.ty == INT and t.type(s) == INT:
                    # the slow path releases the local's old value (Ops.int_binop's `replaces`)
                    v = self.ops.int_binop(type(s.op), cur, rhs, s.op, line, replaces=cur)
                    self.store_local(s.target.id, v, released=True)
                    return
            else:
                cur = self.load_local(s.target.id)
                with self.holding(cur):
                    rhs = self.expr(s.value)
            self.store_local(s.target.id, self.ops.binop(s.op, cur, rhs, t.type(s), line, inplace=True))
            return
        cont = self.container(s.target.value)
        with self.holding(cont):
            idx = self.operand(s.target.slice)
        with self.holding(cont, idx):
            # an int index is read in place by the load (the store takes it over after): no
            # reference of its own to take and drop, a test and a call each on its `big` part
            read_idx = V(INT, idx.a, idx.big, borrowed=True) if idx.ty == INT else self.ops.share(idx)
            cur = self.load_item(self.ops.dup(cont), read_idx, t.type(s.target), line)
            with self.holding(cur):
                rhs = self.expr(s.value)
            new = self.ops.binop(s.op, cur, rhs, t.type(s), line, inplace=True)
        self.store_item(cont, idx, new, line)

    def if_stmt(self, s: ast.If) -> None:
        cond = self.ops.truth(self.expr(s.test), s.lineno)
        if not s.orelse:        # no empty `else` block to branch through
            with self.b.if_then(cond):
                self.block(s.body)
            return
        with self.b.if_else(cond) as (then, other):
            with then:
                self.block(s.body)
            with other:
                self.block(s.orelse)

    def _poll(self, line: int, every: int = POLL_MASK + 1, counter: ir.Value | None = None,
              tier_up: TierUpSite | None = None, counts_work: bool = False, go_on: ir.Block | None = None) -> None:
        """A safepoint: check for signals once per `every` calls, let other threads run now and then.
        At tier 1 (_tier1_safepoint), a range loop's (`counts_work`) also asks for tier 2 once
        the module's loops have run long enough, and a loop in `tier_up` offers the rest of the
        call to tier 2 once it has run long enough in this call (_tier_up). Given `go_on` (a
        loop's head), the code goes on there: the builder is left in a terminated block."""
        b = self.b
        counter = counter if counter is not None else self.poll
        add = ir.Constant(I64, 1024 // every if every < 1024 else 1)
        n = b.add(b.load(counter), add)
        b.store(n, counter)
        if self.mod.tier == 1:
            assert every == POLL_MASK + 1, "tier 1 polls every POLL_MASK + 1 iterations or calls"
            self._tier1_safepoint(line, n, tier_up, counts_work, go_on)
            return
        due = b.icmp_unsigned("==", b.and_(n, ir.Constant(I64, POLL_MASK)), ir.Constant(I64, 0))
        with b.if_then(due, likely=False):
            # Nothing here holds a borrowed pointer across a thread switch: lists are re-read on use.
            failed = b.icmp_unsigned("!=", b.call(self.helper("poll_due"), [n]), ir.Constant(I32, 0))
            self.fail_if(failed, line)
        if go_on is not None:
            b.branch(go_on)

    def _tier1_safepoint(self, line: int, n: ir.Value, tier_up: TierUpSite | None, counts_work: bool,
                         go_on: ir.Block | None = None) -> None:
        """Tier 1's safepoint, `n` being its poll counter's new value: when n is a multiple of
        POLL_MASK + 1, one call to the shared runtime
        (tj_safepoint) does the rest: the signal check, the thread switch, a range loop's request
        for tier 2, counting towards the loop's tier-up (it was a tenth of a tier-1 compile's work
        written out in every loop)."""
        b = self.b
        i64p = pointer_to(I64)
        null = ir.Constant(i64p, None)
        work, work_due, hook = null, ir.Constant(I64, 0), NULL
        if counts_work and self.mod.tier2_chunks > 0:    # a hot range loop asks for tier 2
            work, work_due = self.mod.loop_work, ir.Constant(I64, self.mod.tier2_chunks)
            hook = self.const_obj(self.mod.tier2_hook)
        count, count_due = null, ir.Constant(I64, 0)
        if tier_up is not None:
            with b.goto_block(self.alloca_block):
                count = b.alloca(I64, name="tierup.count")
                b.store(ir.Constant(I64, 0), count)
            count_due = ir.Constant(I64, max(1, self.mod.tier_up_after // (POLL_MASK + 1)))
        due = b.icmp_unsigned("==", b.and_(n, ir.Constant(I64, POLL_MASK)), ir.Constant(I64, 0))
        # blocks: the due work, where the code goes on, and the tier-up; each test branches
        # straight to where it goes (if_then would add a block that only holds a branch)
        # (a loop's safepoint goes on straight to the loop's head: no block that only branches there)
        work_block = self.fn.append_basic_block("safepoint")
        done = go_on if go_on is not None else self.fn.append_basic_block("safepoint.done")
        b.cbranch(due, work_block, done).set_weights([1, 99])
        b.position_at_end(work_block)
        if tier_up is not None and self._tier_up_words(tier_up) is not None:
            # the loop's state goes along as words: one call does the safepoint and the offer
            self._tier_up_in_safepoint(tier_up, line, [n, work, work_due, hook, count, count_due], done)
            if go_on is None:
                b.position_at_end(done)
            return
        r = b.call(self.helper("safepoint"), [n, work, work_due, hook, count, count_due])
        failed = b.icmp_signed("<", r, ir.Constant(I32, 0))
        if tier_up is None:
            self.fail_if(failed, line, go_on=done)
        else:
            self.fail_if(failed, line)
            up = self.fn.append_basic_block("tierup")
            b.cbranch(b.icmp_signed(">", r, ir.Constant(I32, 0)), up, done).set_weights([1, 99])
            b.position_at_end(up)
            self._tier_up(tier_up)
            if not b.block.is_terminated:       # the hand-over was declined: go on
                b.branch(done)
        if go_on is None:
            b.position_at_end(done)

    def _tier_up(self, site: TierUpSite) -> None:
        """The loop has run `tier_up_after` iterations in this call (tj_safepoint counts them):
        offer the rest of the call to tier 2 (osr.LoopTierUp) with the bound locals boxed in a
        tuple (a range loop adds its next index, stop and step). If it takes it, its result is
        this call's result; if it declines, go on."""
        s = site.loop
        names = self._tier_up_names(site)
        extra = self._handed_ints(*(site.range_state() if site.range_state else ()))
        self._hand_over(s, self.mod.tier_up(self.t.tree, s, names, self.t.returns), names, extra, s.lineno)

    def _tier_up_names(self, site: TierUpSite) -> list[str]:
        params = set(self.t.params)
        return self._live_names(site.loop, assigned_at(self.t.tree.body, site.loop, params, set(self.t.locals)) or params)

    def _tier_up_words(self, site: TierUpSite) -> int | None:
        """How many words the loop's offer to tier 2 takes, if each of its items can go as words
        that hold no reference of their own (_word_kind), and they fit in the arguments of one
        call (runtime.MAX_HAND_OVER_ARGS); else None."""
        count = 3 if site.range_state else 0       # a range loop's next index, stop and step
        for name in self._tier_up_names(site):
            kind = self._word_kind(name)
            if kind is None:
                return None
            count += 2 if kind == W_INT else 1
        return count if 0 < count <= runtime.MAX_HAND_OVER_ARGS else None

    def _word_kind(self, name: str) -> int | None:
        """The kind of word a local goes as in a hand-over with no reference of its own: a native
        int or float, an int's two words, or a (borrowed) object; None for one that may be unbound
        or of another type (bool, None, numpy scalars)."""
        if name in self.bound:
            return None
        if name in self.counters or name in self.known_small:
            return W_NATIVE
        ty = self.t.locals[name]
        if ty == INT:
            return W_INT
        if ty == FLOAT:
            return W_FLOAT
        if ty not in UNBOXED and parts(ty, self.iw) == [PTR]:
            return W_BORROWED
        return None

    def _tier_up_in_safepoint(self, site: TierUpSite, line: int, safepoint_args: list[ir.Value],
                              done: ir.Block) -> None:
        """Tier 1's safepoint of a loop that may offer the rest of the call to tier 2, as one call
        (tj_safepoint_up<n>): the loop's locals go along as words whether the offer is due or not
        (a load each, once per POLL_MASK + 1 iterations), where a call of its own made the offer
        when tj_safepoint said it was due, with two blocks of tests around the two calls (15 of
        `sum_of_squares`' 187 lines of IR). NOT_NOW (borrowed) means go on at `done`."""
        b = self.b
        s = site.loop
        names = self._tier_up_names(site)
        items: list[Word] = [Word(kind, [b.load(x) for x in self.slots[name]] if kind == W_INT
                                  else [b.load(self.slots[name][0])])
                             for name, kind in ((name, self._word_kind(name)) for name in names)]
        items += self._handed_ints(*(site.range_state() if site.range_state else ()))
        hook = self.mod.tier_up(self.t.tree, s, names, self.t.returns)
        head, words = self._words_and_kinds(hook, items)
        helper, words = _word_variant(runtime.SAFEPOINT_UP, words)
        r = b.call(self.helper(helper), safepoint_args + head + words)
        self._after_hand_over(s, r, line, declined_to=done)

    def _live_names(self, s: ast.stmt, bound: set[str]) -> list[str]:
        """The locals to hand over at `s`: those bound there, and those that may be (flagged)."""
        return [name for name in self.t.locals
                if not name.startswith("__tj_") and (name in bound or name in self.bound)]

    def _hand_over(self, s: ast.stmt, hook: Any, names: list[str], extra: list[ir.Value],
                   line: int, may_decline: bool = True, go_on: ir.Block | None = None) -> None:
        """Offer the rest of the call to `hook` with the locals `names` boxed in a tuple (UNBOUND
        for one not bound now), then `extra` (new references, NULL if boxing failed). If it
        takes it, its result is this call's result; if it declines (NOT_NOW), go on here. One
        that cannot decline leaves the builder at `go_on` (by default a new block nothing
        reaches)."""
        b = self.b
        items = [self._boxed_or_unbound(name) for name in names] + extra
        if self.mod.tier == 1:
            r = self._hand_over_words(hook, items)
        else:
            # the items go to the helper in an array; it builds the tuple and calls the hook (one
            # shared copy: a hand-over is rare work, and it was a fifth of a small function's code)
            array = b.bitcast(self.entry_alloca(ir.ArrayType(PTR, max(1, len(items)))), PTR.as_pointer())
            for i, item in enumerate(items):
                b.store(item, b.gep(array, [ir.Constant(I64, i)]) if i else array)
            r = b.call(self.helper("hand_over"), [self.const_obj(hook), array, ir.Constant(I64, len(items))])
        self._after_hand_over(s, r, line, may_decline, go_on)

    def _after_hand_over(self, s: ast.stmt, r: ir.Value, line: int, may_decline: bool = True,
                         go_on: ir.Block | None = None, declined_to: ir.Block | None = None) -> None:
        """What a hand-over's result `r` leads to (see _hand_over). Given `declined_to`, a
        declined offer (NOT_NOW, borrowed) goes straight on there, and the builder is left in a
        terminated block."""
        b = self.b
        declined = declined_to or (self.fn.append_basic_block("handover.declined") if may_decline else None)
        if self.t.returns in SHARED_RESULT_TYPES:
            # taken: straight to the function's one block that returns a hand-over's result
            result_block, result = self._handover_result()
            if declined is None:        # always taken: past the NULL check, that is the result
                result.add_incoming(r, b.block)
                self.fail_if(b.icmp_unsigned("==", r, NULL), line, go_on=result_block)
            else:
                self.ops.check_null(r, line)
                result.add_incoming(r, b.block)
                b.cbranch(b.icmp_unsigned("==", r, self.const_obj(NOT_NOW)), declined, result_block)
        else:
            self.ops.check_null(r, line)
            if declined is not None:
                taken = self.fn.append_basic_block("handover.taken")
                b.cbranch(b.icmp_unsigned("==", r, self.const_obj(NOT_NOW)), declined, taken)
                b.position_at_end(taken)
            self.current = s
            self.do_return(self.ops.from_object(r, self.t.returns, line))
            b.unreachable()
        if declined_to is not None:
            return
        if declined is not None:
            b.position_at_end(declined)
            self.ops.xdecref(r)
        else:       # nothing comes back here; what the caller emits next is unreachable
            b.position_at_end(go_on or self.fn.append_basic_block("after_handover"))

    def _hand_over_words(self, hook: Any, items: list) -> ir.Value:
        """Tier 1's hand-over call: the items' words in one array, their kinds in a table the
        unit keeps, boxed by the shared runtime (tj_hand_over_words). Boxed at the site, each
        native item was a call of its own, and every tier-1 loop has a hand-over or two."""
        b = self.b
        head, words = self._words_and_kinds(hook, items)
        if 0 < len(words) <= runtime.MAX_HAND_OVER_ARGS:     # the words as arguments (_hand_over_with)
            helper, padded = _word_variant(runtime.HAND_OVER_WORDS, words)
            return b.call(self.helper(helper), head + padded)
        array = b.bitcast(self.entry_alloca(ir.ArrayType(I64, max(1, len(words)))), pointer_to(I64))
        for i, word in enumerate(words):
            b.store(word, b.gep(array, [ir.Constant(I64, i)]) if i else array)
        return b.call(self.helper("hand_over_words"), [head[0], array, head[1], head[2]])

    def _words_and_kinds(self, hook: Any, items: list) -> tuple[list[ir.Value], list[ir.Value]]:
        """A tier-1 hand-over's arguments: (hook, its kinds table, how many items) and the items'
        words (a Word's own, or an object's pointer, a new reference)."""
        b = self.b
        kinds: list[int] = []
        values: list[ir.Value] = []
        for item in items:
            if isinstance(item, Word):
                kinds.append(item.kind)
                values += item.values
            else:
                kinds.append(W_OBJECT)
                values.append(item)
        words = [v if v.type == I64 else b.ptrtoint(v, I64) if isinstance(v.type, ir.PointerType)
                 else b.bitcast(v, I64) for v in values]
        table = (ctypes.c_int64 * max(1, len(kinds)))(*kinds)
        self.mod.keepalive.append(table)
        head = [self.const_obj(hook), self.mod.address(ctypes.addressof(table), pointer_to(I64)),
                ir.Constant(I64, len(items))]
        return head, words

    def _handed_ints(self, *natives: ir.Value) -> list:
        """Native ints as hand-over items: still native at tier 1 (the runtime boxes them),
        new references at tier 2."""
        if self.mod.tier == 1:
            return [Word(W_NATIVE, [x]) for x in natives]
        return self._boxed_ints(*natives)

    def _handover_result(self) -> tuple[ir.Block, Any]:
        """The function's one block that returns what a taken hand-over brought back (a phi of
        their results), made on first use: each hand-over branches to it instead of writing out
        the conversion and return of its own. Only for return types whose conversion cannot
        fail (SHARED_RESULT_TYPES), so no error path depends on what a site holds."""
        if self.handover_result is None:
            b = self.b
            here = b.block
            block = self.fn.append_basic_block("handover.result")
            b.position_at_end(block)
            result = b.phi(PTR)
            held, self.held = self.held, []
            self.do_return(self.ops.from_object(result, self.t.returns, self.t.tree.lineno))
            b.unreachable()
            self.held = held
            self.handover_result = (block, result)
            b.position_at_end(here)
        return self.handover_result

    def _boxed_raw(self, v: V) -> ir.Value:
        """A new reference for an owned value, NULL (with the error set) if boxing fails."""
        if v.ty == INT:
            r = self.b.call(self.helper("box_int"), [v.a, v.big])
            self.ops.decref_big(v.big)
            return r
        if v.ty == FLOAT:
            return self.ops.call("PyFloat_FromDouble", v.a)
        return self.ops.box(v, 0)      # bool, None and objects: boxing cannot fail

    def _boxed_ints(self, *natives: ir.Value) -> list[ir.Value]:
        """New references to native ints (NULL, with the error set, where boxing fails)."""
        return [self._boxed_raw(V(INT, x, NULL)) for x in natives]

    def _boxed_or_unbound(self, name: str) -> ir.Value:
        b = self.b
        def value() -> ir.Value:
            if name in self.counters or name in self.known_small:      # native: no `big` to load
                return self._boxed_ints(b.load(self.slots[name][0]))[0]
            v = pack(self.t.locals[name], [b.load(x) for x in self.slots[name]])
            if v.ty == INT:       # box_int takes its own reference: no count of ours to add and drop
                return b.call(self.helper("box_int"), [v.a, v.big])
            return self._boxed_raw(self.ops.dup(v))
        flag = self.bound.get(name)
        if flag is None and self.mod.tier == 1:     # left native for tj_hand_over_words to box
            if name in self.counters or name in self.known_small:
                return Word(W_NATIVE, [b.load(self.slots[name][0])])
            ty = self.t.locals[name]
            if ty == INT:
                return Word(W_INT, [b.load(x) for x in self.slots[name]])
            if ty == FLOAT:
                return Word(W_FLOAT, [b.load(self.slots[name][0])])
        if flag is None:
            return value()
        with b.if_else(b.load(flag)) as (then, other):
            with then:
                boxed = value()
                then_end = b.block
            with other:
                unbound = self.ops.new_ref(UNBOUND)
                other_end = b.block
        item = b.phi(PTR)
        item.add_incoming(boxed, then_end)
        item.add_incoming(unbound, other_end)
        return item

    def while_loop(self, s: ast.While) -> None:
        b = self.b
        head, body, orelse, end = self._loop_blocks(s, "while", "head", "body", "else", "end")
        b.branch(head)
        b.position_at_end(head)
        self.current = s
        cond = self.ops.truth(self.expr(s.test), s.lineno)
        b.cbranch(cond, body, orelse)
        b.position_at_end(body)
        self.loops.append((head, end))
        self.loop_stack.append(("while", list))
        self.block(s.body)
        self.loop_stack.pop()
        self.loops.pop()
        if not b.block.is_terminated:
            tier_up = TierUpSite(s) if id(s) in self.tier_up_loops else None
            self._poll(s.lineno, tier_up=tier_up, go_on=head)
        self._loop_else(s, orelse, end)

    def _loop_body(self, s: ast.For, body: ir.Block, step_block: ir.Block, end: ir.Block, item,
                   state: tuple[str, Callable[[], list[ir.Value]]]) -> None:
        """The body of a `for`: bind the target, run the statements (continue -> step, break -> end).
        `state` is the loop's kind and its remaining work, as loop_stack holds them."""
        b = self.b
        b.position_at_end(body)
        self.current = s
        self.store_local(s.target.id, item())
        self.loops.append((step_block, end))
        self.loop_stack.append(state)
        self.block(s.body)
        self.loop_stack.pop()
        self.loops.pop()
        if not b.block.is_terminated:
            b.branch(step_block)

    def _loop_blocks(self, s: ast.For | ast.While, prefix: str, *names: str) -> list[ir.Block]:
        """A loop's new blocks, `prefix.name` for each name. Without an `else` clause, its "else"
        block is its "end": running out and `break` lead to the same place, and a block that
        only branches on costs LLVM's code generation as much as any other."""
        blocks = {x: self.fn.append_basic_block(f"{prefix}.{x}") for x in names if x != "else" or s.orelse}
        blocks.setdefault("else", blocks["end"])
        return [blocks[x] for x in names]

    def _loop_else(self, s: ast.For | ast.While, orelse: ir.Block, end: ir.Block) -> None:
        """The loop's `else` runs when it ends without `break`; both ways lead to `end`."""
        b = self.b
        if orelse is end:       # no `else` (_loop_blocks)
            b.position_at_end(end)
            return
        b.position_at_end(orelse)
        self.block(s.orelse)
        if not b.block.is_terminated:
            b.branch(end)
        b.position_at_end(end)

    def for_loop(self, s: ast.For) -> None:
        b = self.b
        line = s.lineno
        if self.t.exprs.get(id(s.iter)) == "range":
            self.range_loop(s)
            return
        if self.t.type(s.iter) == OBJ:
            seq = self.expr(s.iter)
            it = self.ops.call("PyObject_GetIter", seq.a)
            self.ops.release(seq)
            self.ops.check_null(it, line)
            lst = self.entry_alloca(PTR)          # holds the iterator; released after the loop
            b.store(it, lst)
            nxt = self.entry_alloca(PTR)
            def has_next() -> ir.Value:
                item_ = self.ops.call("PyIter_Next", b.load(lst))
                b.store(item_, nxt)
                ended = b.icmp_unsigned("==", item_, NULL)
                raised = b.icmp_unsigned("!=", self.ops.call("PyErr_Occurred"), NULL)
                self.fail_if(b.and_(ended, raised), line)
                return b.not_(ended)
            def item() -> V:
                return V(OBJ, b.load(nxt))
            def advance() -> None:
                pass
            state = ("iter", lambda: [self.ops.dup(V(OBJ, b.load(lst))).a])
        else:
            seq = self.expr(s.iter)
            lst = self.entry_alloca(PTR)
            b.store(seq.a, lst)
            index = self.entry_alloca(I64)
            b.store(ir.Constant(I64, 0), index)
            if is_array(seq.ty):
                # an array iterates by index until IndexError, so reading item i as a[i] is exact
                arr_ty = seq.ty
                def has_next() -> ir.Value:
                    return b.icmp_signed("<", b.load(index), self.array_len(b.load(lst)))
                def item() -> V:
                    return self.load_item(V(arr_ty, b.load(lst), borrowed=True),
                                          V(NP_INT, b.load(index)), array_item(arr_ty), line)
            else:
                ety, list_ty = elem(seq.ty), seq.ty
                def has_next() -> ir.Value:
                    return b.icmp_signed("<", b.load(index), capi.list_size(b, b.load(lst)))
                def item() -> V:
                    if self.mod.tier == 1 and ety in (INT, FLOAT):      # one call, as for `xs[i]`
                        return self._list_read_call(V(list_ty, b.load(lst), borrowed=True),
                                                    V(INT, b.load(index), NULL), ety, line)
                    return self.list_get(b.load(lst), b.load(index), ety, line)
            def advance() -> None:
                b.store(b.add(b.load(index), ir.Constant(I64, 1)), index)
            state = ("seq", lambda: [self.ops.dup(V(OBJ, b.load(lst))).a,
                                     self.ops.call("PyLong_FromLongLong", b.load(index))])
        head, body, step_block, orelse, end = self._loop_blocks(s, "for", "head", "body", "step", "else", "end")
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(has_next(), body, orelse)
        self._loop_body(s, body, step_block, end, item, state)
        b.position_at_end(step_block)
        advance()
        self._poll(line, go_on=head)
        self._loop_else(s, orelse, end)
        if self.t.exprs.get(id(s.iter)) != "range":
            self.ops.xdecref(b.load(lst))

    def range_loop(self, s: ast.For) -> None:
        """`for i in range(...)`. Tier 2 strip-mines it: an inner run of up to CHUNK iterations
        with no safepoint (so LLVM can still delete, unroll or vectorise it), a safepoint between
        runs. Tier 1, which optimises nothing, runs a plain loop (_tier1_range_loop)."""
        b = self.b
        line = s.lineno
        consts = [a.value for a in s.iter.args if isinstance(a, ast.Constant) and type(a.value) is int]
        if len(consts) == len(s.iter.args) and (0 in consts[2:] or len(range(*consts)) <= CHUNK):
            if 0 not in consts[2:] and _fits(range(*consts), self.mod.int_bits):
                return self.short_range_loop(s, range(*consts))
        start, stop, step = self.range_args(s, line)
        index = self.entry_alloca(self.iw)
        b.store(start, index)
        before = self._range_before(step)
        if self.mod.tier == 1:
            return self._tier1_range_loop(s, index, stop, step, before)
        chunk_end = self.entry_alloca(self.iw)
        head, chunk, body, step_block, safepoint, orelse, end = self._loop_blocks(
            s, "range", "head", "chunk", "body", "step", "safepoint", "else", "end")
        next_start = self.entry_alloca(self.iw)
        last_chunk = self.entry_alloca(I1)
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(before(b.load(index), stop), chunk, orelse)
        b.position_at_end(chunk)
        # Where the next run starts is fixed before this one runs, so nothing after the inner loop
        # needs its final index, and LLVM may delete an inner loop that does no work.
        if isinstance(step, ir.Constant) and abs(step.constant) * CHUNK < 1 << (self.mod.int_bits - 2):
            stride, stride_wraps = ir.Constant(self.iw, step.constant * CHUNK), None
        else:
            pair = b.call(self.intrinsic(f"llvm.smul.with.overflow.i{self.mod.int_bits}"), [step, ir.Constant(self.iw, CHUNK)])
            stride, stride_wraps = b.extract_value(pair, 0), b.extract_value(pair, 1)
        # The counter must never wrap: bounds need only fit its width, so a range may end within
        # a step of its limit, and a huge step may overflow the next run's start.
        pair = b.call(self.intrinsic(f"llvm.sadd.with.overflow.i{self.mod.int_bits}"), [b.load(index), stride])
        far = b.extract_value(pair, 0)
        wrapped = b.extract_value(pair, 1) if stride_wraps is None else b.or_(stride_wraps, b.extract_value(pair, 1))
        more = b.and_(b.not_(wrapped), before(far, stop))
        b.store(b.select(more, far, stop), chunk_end)
        b.store(far, next_start)
        b.store(b.not_(more), last_chunk)
        vector_plan = vectorise.plan(self, s) if self.mod.tier >= 2 else None
        if vector_plan is not None:
            vectorise.emit(self, vector_plan, index, chunk_end, body, safepoint)
        else:
            b.branch(body)
        self._range_body(s, body, step_block, end, index, stop, step)
        b.position_at_end(step_block)
        if isinstance(step, ir.Constant) and abs(step.constant) == 1:
            # index < chunk_end <= stop < the counter's limit (or > for -1): one more step cannot wrap
            nxt = b.add(b.load(index), step)
            go_on = before(nxt, b.load(chunk_end))
        else:   # only the last run can step past the end, and past the limit (chunk_end is stop)
            pair = b.call(self.intrinsic(f"llvm.sadd.with.overflow.i{self.mod.int_bits}"), [b.load(index), step])
            nxt = b.extract_value(pair, 0)
            go_on = b.and_(b.not_(b.extract_value(pair, 1)), before(nxt, b.load(chunk_end)))
        b.store(nxt, index)
        b.cbranch(go_on, body, safepoint)
        b.position_at_end(safepoint)
        self._poll(line, every=1)
        following = self.fn.append_basic_block("range.next")
        b.cbranch(b.load(last_chunk), orelse, following)
        b.position_at_end(following)
        b.store(b.load(next_start), index)
        b.branch(chunk)
        self._loop_else(s, orelse, end)

    def _range_before(self, step: ir.Value) -> Callable[[ir.Value, ir.Value], ir.Value]:
        """`before(i, limit)`: i comes before limit in the range's direction."""
        b = self.b
        if isinstance(step, ir.Constant):      # range(n), range(a, b), range(a, b, 2): known direction
            def before(i: ir.Value, limit: ir.Value) -> ir.Value:
                return b.icmp_signed("<" if step.constant > 0 else ">", i, limit)
            return before
        up = b.icmp_signed(">", step, ir.Constant(self.iw, 0))

        def either(i: ir.Value, limit: ir.Value) -> ir.Value:
            # i < limit going up, limit < i going down: the operands swapped by two selects of
            # ints (a select of two i1s is what LLVM's fast instruction selector cannot lower)
            return b.icmp_signed("<", b.select(up, i, limit), b.select(up, limit, i))
        return either

    def _range_body(self, s: ast.For, body: ir.Block, step_block: ir.Block, end: ir.Block, index: ir.Value,
                    stop: ir.Value, step: ir.Value) -> None:
        b = self.b
        # A bound that is an int parameter the body never rebinds was just checked to be native
        # (else the call went on in the interpreter, range_args): it stays so for the whole call,
        # so inside this loop it is read as native, and an inner `range(n)` or `float(n)` of it
        # needs no way out (nested loops over one size: a fifth of mandelbrot's tier-1 code).
        checked = {a.id for a in s.iter.args if isinstance(a, ast.Name) and a.id in self.borrowed_params
                   and self.t.locals.get(a.id) == INT} - self.known_small
        self.known_small |= checked
        self._loop_body(s, body, step_block, end, lambda: V(INT, b.load(index), NULL),
                        ("range", lambda: self._handed_ints(b.load(index), stop, step)))
        self.known_small -= checked

    def _tier1_range_loop(self, s: ast.For, index: ir.Value, stop: ir.Value, step: ir.Value,
                          before: Callable[[ir.Value, ir.Value], ir.Value]) -> None:
        """Tier 1's range loop, rotated: one test on entry, then body, step, safepoint, test.
        Strip-mining is for the optimiser, and its bookkeeping was a fifth of a small loop
        function's tier-1 code. The safepoint counts on the call's poll counter, so it is due
        every POLL_MASK + 1 iterations of the call's loops together: a short inner loop run many
        times still polls, and still asks for tier 2 when hot (the loop's own index would not:
        one that never reaches 1,024 would never be due). The counter never wraps: a step past
        its limit is past `stop` too, and ends the loop."""
        b = self.b
        body, step_block, advanced, orelse, end = self._loop_blocks(s, "range", "body", "step", "advanced", "else", "end")
        b.cbranch(before(b.load(index), stop), body, orelse)
        self._range_body(s, body, step_block, end, index, stop, step)
        b.position_at_end(step_block)
        unit = isinstance(step, ir.Constant) and abs(step.constant) == 1
        if unit:
            # index is before stop, which fits the counter: one more step cannot wrap
            b.store(b.add(b.load(index), step), index)
            b.branch(advanced)
        else:
            pair = b.call(self.intrinsic(f"llvm.sadd.with.overflow.i{self.mod.int_bits}"), [b.load(index), step])
            b.store(b.extract_value(pair, 0), index)
            b.cbranch(b.extract_value(pair, 1), orelse, advanced)
        b.position_at_end(advanced)
        tier_up = None
        if id(s) in self.tier_up_loops:
            tier_up = TierUpSite(s, lambda: (b.load(index), stop, step))
        self._poll(s.lineno, tier_up=tier_up, counts_work=True)
        b.cbranch(before(b.load(index), stop), body, orelse)
        self._loop_else(s, orelse, end)

    def short_range_loop(self, s: ast.For, r: range) -> None:
        """`for j in range(4)`: a constant, short trip count needs no safepoint (the enclosing loop
        has one), which leaves LLVM free to unroll it completely."""
        b = self.b
        index = self.entry_alloca(self.iw)
        b.store(ir.Constant(self.iw, r.start), index)
        head, body, step_block, orelse, end = self._loop_blocks(s, "short", "head", "body", "step", "else", "end")
        b.branch(head)
        b.position_at_end(head)
        cmp = "<" if r.step > 0 else ">"
        b.cbranch(b.icmp_signed(cmp, b.load(index), ir.Constant(self.iw, r.stop)), body, orelse)
        self._loop_body(s, body, step_block, end, lambda: V(INT, b.load(index), NULL),
                        ("range", lambda: self._handed_ints(b.load(index), ir.Constant(self.iw, r.stop),
                                                           ir.Constant(self.iw, r.step))))
        b.position_at_end(step_block)
        b.store(b.add(b.load(index), ir.Constant(self.iw, r.step)), index)
        b.branch(head)
        self._loop_else(s, orelse, end)

    def range_args(self, s: ast.For, line: int) -> tuple[ir.Value, ir.Value, ir.Value]:
        b = self.b
        call = s.iter
        vals = self.evaluate(call.args, lambda a: self.index_value(self.operand(a), line))
        small = self.ops.is_small(*vals)
        if len(vals) == 1:
            start, stop, step = ir.Constant(self.iw, 0), vals[0].a, ir.Constant(self.iw, 1)
        else:
            start, stop = vals[0].a, vals[1].a
            step = vals[2].a if len(vals) == 3 else ir.Constant(self.iw, 1)
        # The counter is as wide as a native int, so any native bound runs natively; bounds native by
        # construction (`range(len(xs))`, `range(i)`) with a constant step need no way out.
        constant_step = isinstance(step, ir.Constant)
        if not (small is TRUE and constant_step and step.constant != 0):
            if constant_step:
                bad = b.not_(small) if step.constant != 0 else ir.Constant(I1, 1)
            else:
                bad = b.or_(b.not_(small), b.icmp_signed("==", step, ir.Constant(self.iw, 0)))
            with b.if_then(bad, likely=False):
                self._range_fallback(s, vals, line)
        for v in vals:      # once per start of the loop: a call costs less than a test's blocks
            self.ops.release(v, cold=True)
        return start, stop, step

    def _range_fallback(self, s: ast.For, vals: list[V], line: int) -> None:
        """A zero step (range() raises CPython's error) or bounds past the counter: the rest of
        the call, from this loop on, runs in the interpreter (osr.RangeFallback), so the answer is
        CPython's. Inside other loops, each of them goes on from where it is (loop_stack)."""
        params = set(self.t.params)
        bound = assigned_at(self.t.tree.body, s, params, set(self.t.locals), through_loops=True)
        assert bound is not None, "a range loop is reached through blocks, ifs and loops"
        one, zero = V(INT, ir.Constant(self.iw, 1), NULL), V(INT, ir.Constant(self.iw, 0), NULL)
        bounds = [zero, vals[0], one] if len(vals) == 1 else vals + [one] * (3 - len(vals))
        extra = [self.b.call(self.helper("box_int"), [v.a, v.big]) for v in bounds]
        for v in vals:      # the tuple holds its own references; this path returns from the call
            self.ops.release(v, cold=True)
        enclosing = tuple(kind for kind, _ in self.loop_stack)
        for _, state in self.loop_stack:
            extra += state()
        names = self._live_names(s, bound)
        self._hand_over(s, RangeFallback(self.t.tree, s, names, self.t.func, enclosing), names, extra, line,
                        may_decline=False)

    def index_value(self, v: V, line: int) -> V:
        """An int from an object the way range() takes it (`__index__`, CPython's TypeError)."""
        if v.ty != OBJ:
            return self.ops.coerce(v, INT, line)
        r = self.ops.call("PyNumber_Index", v.a)
        self.ops.release(v)
        return self.ops.unbox_int(self.ops.check_null(r, line))

    # ----------------------------------------------------------------- lists
    def list_get(self, lst: ir.Value, i: ir.Value, ety: str, line: int) -> V:
        """Borrow item i (in bounds) and turn it into an owned typed value."""
        b = self.b
        item = b.load(capi.list_slot(b, lst, i))
        if ety in (INT, FLOAT):
            tp = capi.type_of(b, item)
            expected = self.const_obj(int if ety == INT else float)
            with b.if_then(b.icmp_unsigned("!=", tp, expected), likely=False):
                # Only another thread could have changed it; say so rather than compute with it
                # (docs/tiers.md, "Interrupts and the GIL").
                b.call(self.helper("list_changed"), [])
                self.fail(line)
        if ety == FLOAT:      # read where it sits: the list keeps the item alive, nothing runs between
            return V(FLOAT, b.load(b.bitcast(b.gep(item, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)]),
                                             F64.as_pointer())))
        self.ops.xincref(item)
        return self.ops.from_object(item, ety, line)

    def index_of(self, lst: ir.Value, idx: V) -> tuple[ir.Value, ir.Value]:
        """(in_bounds, normalised index) for an int index on a list (read, not consumed)."""
        return capi.list_index(self.b, lst, self.b.trunc(idx.a, I64), self.ops.int_fits64(idx))

    # ----------------------------------------------------------------- numpy arrays
    def array_field(self, arr: ir.Value, offset: int, ty: ir.Type) -> ir.Value:
        return self.b.load(self.b.bitcast(self.b.gep(arr, [ir.Constant(I64, offset)]), ty.as_pointer()))

    def array_len(self, arr: ir.Value) -> ir.Value:
        return self.b.load(self.array_field(arr, arrays.layout().dims, I64.as_pointer()))

    def array_slot(self, cont: V, idx: V, line: int, store: bool = False) -> tuple[ir.Value, ir.Value]:
        """(ok, item pointer) for `cont[idx]`: ok when the array is still what it was compiled for
        (one dimension, its dtype; writeable for a store) and the index is in range."""
        b = self.b
        lay = arrays.layout()
        from .entry import array_is
        ok = array_is(self.mod, b, cont.a, cont.ty)
        if store:
            flags = self.array_field(cont.a, lay.flags, I32)
            ok = b.and_(ok, b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I32, arrays.WRITEABLE)),
                                            ir.Constant(I32, 0)))
        if idx.ty == NP_INT:
            fits, i = ir.Constant(I1, 1), idx.a
        else:
            idx = self.ops.coerce(idx, INT, line)
            fits, i = self.ops.int_fits64(idx), b.trunc(idx.a, I64)
        self.ops.release(idx)
        n = self.array_len(cont.a)
        i = b.select(b.icmp_signed("<", i, ir.Constant(I64, 0)), b.add(i, n), i)
        ok = b.and_(ok, b.and_(fits, b.and_(b.icmp_signed(">=", i, ir.Constant(I64, 0)), b.icmp_signed("<", i, n))))
        i = b.select(ok, i, ir.Constant(I64, 0))
        stride = b.load(self.array_field(cont.a, lay.strides, I64.as_pointer()))
        data = self.array_field(cont.a, lay.data, PTR)
        elem_ty = F64 if cont.ty == ARR_FLOAT else I64
        return ok, b.bitcast(b.gep(data, [b.mul(i, stride)]), elem_ty.as_pointer())

    def array_load(self, cont: V, idx: V, line: int) -> V:
        """An item of a float64/int64 array: native when in range, else numpy's own indexing
        (its IndexError; or the item of an array some called code reshaped)."""
        b = self.b
        ety = array_item(cont.ty)
        keep = self.ops.share(idx)
        ok, slot = self.array_slot(cont, idx, line)
        res = self.entry_alloca(parts(ety, self.iw)[0])
        with b.if_else(ok, likely=True) as (then, other):
            with then:
                b.store(b.load(slot), res)
            with other:
                b.store(self.ops.from_numpy(self.slow_getitem(cont, keep, line), ety, line).a, res)
        self.ops.release(keep)
        self.ops.release(cont)
        return V(ety, b.load(res))

    def array_store(self, cont: V, idx: V, v: V, line: int) -> None:
        """`a[i] = v`: a native store of what numpy would store without a question (a float64 of
        any number that fits, an int64 of an int that fits); numpy's own assignment otherwise."""
        b = self.b
        to_float = cont.ty == ARR_FLOAT
        if v.ty == MAYBE_NP_INT:       # numpy stores an int64 and the equal Python int alike
            v = self.ops.as_python(v)
        if v.ty in (FLOAT, NP_FLOAT, BOOL, NP_BOOL, NP_INT) or v.ty == INT:
            native_ok = ir.Constant(I1, 1)
            if v.ty in (FLOAT, NP_FLOAT):
                # float -> int64 truncates and NaN raises: numpy's own assignment does that
                native_ok, value = (native_ok, v.a) if to_float else (ir.Constant(I1, 0), None)
            elif v.ty in (BOOL, NP_BOOL):
                value = b.uitofp(v.a, F64) if to_float else b.zext(v.a, I64)
            elif v.ty == NP_INT:
                value = b.sitofp(v.a, F64) if to_float else v.a
            else:
                native_ok = self.ops.int_fits64(v)
                lo = b.trunc(v.a, I64)
                value = b.sitofp(lo, F64) if to_float else lo
        else:
            native_ok, value = ir.Constant(I1, 0), None
        keep_idx, keep_v = self.ops.share(idx), self.ops.dup(v)
        ok, slot = self.array_slot(cont, idx, line, store=True)
        with b.if_else(b.and_(ok, native_ok), likely=True) as (then, other):
            with then:
                if value is not None:
                    b.store(value, slot)
                self.ops.release(keep_v)
            with other:
                self.slow_setitem(cont, keep_idx, self.ops.box(keep_v, line), line, v)
        self.ops.release(keep_idx)
        self.ops.release(v)
        self.ops.release(cont)

    def slow_getitem(self, cont: V, keep: V, line: int) -> ir.Value:
        """CPython's (or numpy's) own `cont[keep]`, a new reference; on an error both are released
        and the function fails at `line`."""
        b = self.b
        if keep.ty == INT:        # one call (tj_getitem_int): the boxing is out of line
            r = b.call(self.helper("getitem_int"), [cont.a, keep.a, keep.big])
        else:
            io = self.ops.box(self.ops.dup(keep), line)
            r = self.ops.call("PyObject_GetItem", cont.a, io)
            self.ops.xdecref(io)
        with b.if_then(b.icmp_unsigned("==", r, NULL), likely=False):
            self.ops.release(keep)
            self.ops.release(cont)
            self.fail(line)
        return r

    def slow_setitem(self, cont: V, keep: V, vo: ir.Value, line: int, *held: V) -> None:
        """CPython's (or numpy's) own `cont[keep] = vo` (takes vo); on an error `keep`, `cont` and
        the `held` values are released and the function fails at `line`."""
        b = self.b
        if keep.ty == INT:        # one call (tj_setitem_int): the boxing is out of line
            r = b.call(self.helper("setitem_int"), [cont.a, keep.a, keep.big, vo])
        else:
            io = self.ops.box(self.ops.dup(keep), line)
            r = self.ops.call("PyObject_SetItem", cont.a, io, vo)
            self.ops.xdecref(io)
            self.ops.xdecref(vo)
        with b.if_then(b.icmp_signed("<", r, ir.Constant(I32, 0)), likely=False):
            for v in (keep, *held, cont):
                self.ops.release(v)
            self.fail(line)

    def container(self, node: ast.expr) -> V:
        """The list or array an item access reads: a local one is borrowed from its slot (no
        reference counting in the loop; nothing in the access can rebind the local, and the
        local keeps it alive whatever the index or the stored value runs)."""
        if isinstance(node, ast.Name) and node.id in self.t.locals and node.id not in self.bound \
                and (is_array(self.t.locals[node.id]) or is_list(self.t.locals[node.id])):
            return V(self.t.locals[node.id], self.b.load(self.slots[node.id][0]), borrowed=True)
        return self.expr(node)

    def _list_index(self, idx: V) -> V:
        """A list index as an int (a bool is 0 or 1). The same value serves the native access
        and CPython's own on the slow path, and is released once, after both: a second reference
        for the slow path cost a test and a call on an index's `big` part twice per access."""
        if idx.ty == BOOL:
            return V(INT, self.b.zext(idx.a, self.iw), NULL)
        return idx

    def load_item(self, cont: V, idx: V, ety: str, line: int) -> V:
        b = self.b
        if is_array(cont.ty) and idx.ty in (INT, NP_INT):
            return self.array_load(cont, idx, line)
        if is_list(cont.ty) and idx.ty in (INT, BOOL) and self.mod.tier == 1 and ety == elem(cont.ty) \
                and ety in (INT, FLOAT):
            return self._list_read_call(cont, self._list_index(idx), ety, line)
        if is_list(cont.ty) and idx.ty in (INT, BOOL):
            keep = self._list_index(idx)
            ok, i = self.index_of(cont.a, keep)
            res = [self.entry_alloca(p) for p in parts(ety, self.iw)]
            with b.if_else(ok, likely=True) as (then, other):
                with then:
                    v = self.list_get(cont.a, i, elem(cont.ty), line)
                    for slot, val in zip(res, unpack(v)):
                        b.store(val, slot)
                with other:   # out of range: CPython raises IndexError with its own message
                    # not reached for a list (in range was checked); no leak if it were
                    self.ops.xdecref(self.slow_getitem(cont, keep, line))
            self.ops.release(keep)
            self.ops.release(cont)
            return pack(ety, [b.load(s) for s in res])
        co = self.ops.box(cont, line)
        with self.holding(V(OBJ, co)):
            io = self.ops.box(idx, line)
        r = self.ops.call("PyObject_GetItem", co, io)
        self.ops.xdecref(co)
        self.ops.xdecref(io)
        self.ops.check_null(r, line)
        return V(OBJ, r) if ety == OBJ else self.ops.from_object(r, ety, line)

    def _takes_index(self, idx: V) -> bool:
        """Whether a tier-1 list access hands its index to the runtime's `_taking` helper: an
        index of ours (not a local's, read in place) that may hold a `big` part to release."""
        return not idx.borrowed and not self.ops.releases_nothing(idx)

    def _list_read_call(self, cont: V, idx: V, ety: str, line: int) -> V:
        """Tier 1's read of an int or float list item: one call to the runtime (tj_list_get_int,
        tj_list_get_float), which checks the range and the item's type and raises CPython's
        IndexError. Tier 2 writes the access out, for the optimiser to fold and vectorise."""
        b = self.b
        taking = self._takes_index(idx)
        helper = ("list_get_int" if ety == INT else "list_get_float") + (runtime.TAKING if taking else "")
        r = b.call(self.helper(helper), [cont.a, idx.a, idx.big])
        with self.holding(*((cont,) if taking else (idx, cont))):
            self.fail_if(b.extract_value(r, 2 if ety == INT else 1), line)
        if not taking:
            self.ops.release(idx)
        self.ops.release(cont)
        if ety == INT:
            return V(INT, b.extract_value(r, 0), b.extract_value(r, 1))
        return V(FLOAT, b.extract_value(r, 0))

    def store_item(self, cont: V, idx: V, v: V, line: int) -> None:
        """`cont[idx] = v` (consumes all three). A list with an int index in range gets the new item
        in place and drops the old one, as list.__setitem__ does; anything else, including an
        index out of range (CPython's IndexError), goes through PyObject_SetItem."""
        b = self.b
        if is_array(cont.ty) and idx.ty in (INT, NP_INT):
            self.array_store(cont, idx, v, line)
            return
        if is_list(cont.ty) and idx.ty in (INT, BOOL) and self.mod.tier == 1:
            # one call to the runtime (tj_list_set): the range check, the store, CPython's own
            # assignment when out of range
            keep = self._list_index(idx)
            taking = self._takes_index(keep)
            with self.holding(keep, cont):
                vo = self.ops.box(v, line)
            with self.holding(*((cont,) if taking else (keep, cont))):
                r = b.call(self.helper("list_set" + (runtime.TAKING if taking else "")), [cont.a, keep.a, keep.big, vo])
                self.fail_if(b.icmp_signed("<", r, ir.Constant(I32, 0)), line)
            if not taking:
                self.ops.release(keep)
            self.ops.release(cont)
            return
        if is_list(cont.ty) and idx.ty in (INT, BOOL):
            keep = self._list_index(idx)
            ok, i = self.index_of(cont.a, keep)
            vo = self.ops.box(v, line)
            with b.if_else(ok, likely=True) as (then, other):
                with then:
                    slot = capi.list_slot(b, cont.a, i)
                    old = b.load(slot)
                    b.store(vo, slot)            # the list takes our reference to the new item
                    self.ops.xdecref(old)        # may run a __del__, as in CPython: after the store
                with other:
                    self.slow_setitem(cont, keep, vo, line)
            self.ops.release(keep)
            self.ops.release(cont)
            return
        co = self.ops.box(cont, line)       # a container read in place is counted here
        with self.holding(V(OBJ, co), v):
            io = self.ops.box(idx, line)
        with self.holding(V(OBJ, co), V(OBJ, io)):
            vo = self.ops.box(v, line)
        r = self.ops.call("PyObject_SetItem", co, io, vo)
        for p in (co, io, vo):
            self.ops.xdecref(p)
        self.fail_if(b.icmp_signed("<", r, ir.Constant(I32, 0)), line)

    # ----------------------------------------------------------------- expressions
    def expr(self, node: ast.expr) -> V:
        ty = self.t.type(node)
        if isinstance(node, ast.Constant):
            return self.ops.const(node.value, node.lineno)
        if isinstance(node, ast.Name):
            if node.id in self.t.locals:
                return self.load_local(node.id)
            g = self.t.globals[node.id]
            return self.ops.const(g.value, node.lineno) if g.kind == "const" else V(OBJ, self.ops.new_ref(g.value))
        if isinstance(node, ast.BinOp):
            prev, self.current = self.current, node
            read = self.operand if self._int_arith(node.left, node.op, node.right, ty) else self.expr
            x = read(node.left)
            same = x.borrowed and isinstance(node.right, ast.Name) and node.right.id == node.left.id
            if same:
                y = x             # `i * i`: one read serves both
            else:
                with self.holding(x):
                    y = read(node.right)

            self.current = node
            r = self.ops.binop(node.op, x, y, ty, node.lineno)
            self.current = prev
            return r
        if isinstance(node, ast.UnaryOp):
            return self.ops.unary(node.op, self.expr(node.operand), ty, node.lineno)
        if isinstance(node, ast.BoolOp):
            return self.bool_op(node, ty)
        if isinstance(node, ast.IfExp):
            return self.if_exp(node, ty)
        if isinstance(node, ast.Compare):
            return self.compare(node, ty)
        if isinstance(node, ast.Call):
            from .calls import call
            return call(self, node, ty)
        if isinstance(node, ast.Attribute):
            return self.ops.const(getattr(math, node.attr), node.lineno)
        if isinstance(node, ast.Subscript):
            cont = self.container(node.value)
            with self.holding(cont):
                idx = self.operand(node.slice)
            return self.load_item(cont, idx, ty, node.lineno)
        if isinstance(node, (ast.List, ast.Tuple)):
            return self.build_sequence(node, ty)
        raise Unsupported(f"{type(node).__name__} at line {node.lineno} is not compiled")

    def build_sequence(self, node: ast.List | ast.Tuple, ty: str) -> V:
        new, setitem = ("PyList_New", "PyList_SetItem") if isinstance(node, ast.List) else \
            ("PyTuple_New", "PyTuple_SetItem")
        items: list[ir.Value] = []
        for e in node.elts:
            with self.holding(*(V(OBJ, p) for p in items)):
                items.append(self.ops.box(self.expr(e), node.lineno))
        with self.holding(*(V(OBJ, p) for p in items)):
            seq = self.ops.check_null(self.ops.call(new, ir.Constant(I64, len(items))), node.lineno)
        for i, p in enumerate(items):
            self.ops.call(setitem, seq, ir.Constant(I64, i), p)   # steals p
        return V(ty, seq)

    def chained_objects(self, node: ast.Compare, ty: str) -> V:
        """`a < b < c` with objects: `(a < b) and (b < c)`, the result an operand as in Python."""
        b = self.b
        res = self._join_slots(ty)
        end = self.fn.append_basic_block("cmpobj.end")
        left = self.expr(node.left)
        for i, (op, right_node) in enumerate(zip(node.ops, node.comparators)):
            right = self.expr(right_node)
            keep = self.ops.dup(V(right.ty, right.a, right.big))
            r = self.ops.coerce(self.ops.compare(op, left, right, node.lineno), ty, node.lineno)
            for slot, val in zip(res, unpack(r)):
                b.store(val, slot)
            left = keep
            if i == len(node.ops) - 1:
                self.ops.release(left)
                b.branch(end)
                break
            t = self.ops.truth(self.ops.dup(pack(ty, [b.load(s) for s in res])), node.lineno)
            nxt = self.fn.append_basic_block("cmpobj.next")
            stop = self.fn.append_basic_block("cmpobj.false")
            b.cbranch(t, nxt, stop)
            b.position_at_end(stop)
            self.ops.release(V(left.ty, left.a, left.big))
            b.branch(end)
            b.position_at_end(nxt)
            self.ops.release(pack(ty, [b.load(s) for s in res]))
        b.position_at_end(end)
        return pack(ty, [b.load(s) for s in res])

    def _join_slots(self, ty: str) -> list[ir.Value]:
        return [self.entry_alloca(p) for p in parts(ty, self.iw)]

    def bool_op(self, node: ast.BoolOp, ty: str) -> V:
        b = self.b
        res = self._join_slots(ty)
        end = self.fn.append_basic_block("boolop.end")
        is_and = isinstance(node.op, ast.And)
        for i, value in enumerate(node.values):
            v = self.ops.coerce(self.expr(value), ty, node.lineno)
            for slot, val in zip(res, unpack(v)):
                b.store(val, slot)
            if i == len(node.values) - 1:
                b.branch(end)
                break
            t = self.ops.truth(self.ops.dup(pack(ty, [b.load(s) for s in res])), node.lineno)
            nxt = self.fn.append_basic_block("boolop.next")
            if is_and:
                b.cbranch(t, nxt, end)
            else:
                b.cbranch(t, end, nxt)
            b.position_at_end(nxt)
            self.ops.release(pack(ty, [b.load(s) for s in res]))   # the operand not chosen
        b.position_at_end(end)
        return pack(ty, [b.load(s) for s in res])

    def if_exp(self, node: ast.IfExp, ty: str) -> V:
        b = self.b
        res = self._join_slots(ty)
        cond = self.ops.truth(self.expr(node.test), node.lineno)
        with b.if_else(cond) as (then, other):
            for branch, value in ((then, node.body), (other, node.orelse)):
                with branch:
                    v = self.ops.coerce(self.expr(value), ty, node.lineno)
                    for slot, val in zip(res, unpack(v)):
                        b.store(val, slot)
        return pack(ty, [b.load(s) for s in res])

    def compare(self, node: ast.Compare, ty: str) -> V:
        b = self.b
        if len(node.ops) == 1:
            ints = self.t.type(node.left) == INT and self.t.type(node.comparators[0]) == INT
            x, y = self.evaluate([node.left, node.comparators[0]], self.operand if ints else self.expr)
            r = self.ops.compare(node.ops[0], x, y, node.lineno)
            return self.ops.coerce(r, ty, node.lineno)
        if ty not in (BOOL, NP_BOOL):
            return self.chained_objects(node, ty)
        res = self.entry_alloca(I1)
        b.store(ir.Constant(I1, 0), res)
        end = self.fn.append_basic_block("cmp.end")
        left = self.expr(node.left)
        for i, (op, right_node) in enumerate(zip(node.ops, node.comparators)):
            right = self.expr(right_node)
            keep = self.ops.dup(V(right.ty, right.a, right.big))
            r = self.ops.compare(op, left, right, node.lineno)
            b.store(r.a, res)
            left = keep
            if i == len(node.ops) - 1:
                self.ops.release(left)
                b.branch(end)
                break
            nxt = self.fn.append_basic_block("cmp.next")
            fail = self.fn.append_basic_block("cmp.false")
            b.cbranch(r.a, nxt, fail)
            b.position_at_end(fail)
            self.ops.release(V(left.ty, left.a, left.big))
            b.branch(end)
            b.position_at_end(nxt)
        b.position_at_end(end)
        return V(ty, b.load(res))


def _parallel(target: ast.expr, value: ast.expr) -> bool:
    return isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts)


class _Bindings:
    """What code generation reads off a tree's assignments, worked out in one walk per tree (a
    tree is compiled again for each tier and each new set of types; the three walks per compile
    this replaced took 0.56 ms for nbody's `advance`):
    - `stored`: every name the body binds (assignments, loop targets, augmented assignments);
    - `first_stores`: the top-level `name = value` statements that store a name before anything
      else does: they run once a call, in order, so the local's slot still holds its zero;
    - `binds`: the Name nodes that bind, and `fors`: the `for` loops with a name as target
      (see _range_counters)."""
    __slots__ = ("stored", "first_stores", "binds", "fors")

    def __init__(self, tree: ast.FunctionDef, params: Sequence[str]) -> None:
        seen, self.first_stores = set(params), set()
        self.binds: list[ast.Name] = []
        self.fors: list[ast.For] = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                    and stmt.targets[0].id not in seen:
                self.first_stores.add(id(stmt))
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name):
                    if not isinstance(n.ctx, ast.Load):
                        self.binds.append(n)
                        if isinstance(n.ctx, ast.Store):
                            seen.add(n.id)
                elif isinstance(n, ast.For) and isinstance(n.target, ast.Name):
                    self.fors.append(n)
        self.stored = {n.id for n in self.binds}


def _bindings(tree: ast.FunctionDef, params: Sequence[str]) -> _Bindings:
    cached = _BINDINGS.get(tree)
    if cached is None or cached[0] != list(params):
        cached = _BINDINGS[tree] = (list(params), _Bindings(tree, params))
    return cached[1]


# per tree, not on it, as typer's shapes (a copy of a tree must not inherit it)
_BINDINGS: "weakref.WeakKeyDictionary[ast.FunctionDef, tuple]" = weakref.WeakKeyDictionary()


def _range_counters(t: Typing, bindings: _Bindings) -> set[str]:
    """Int locals stored only as the target of a range loop: their value is the loop's native
    counter, never a PyLong, so reads need no `big` test and stores drop nothing."""
    targets = {id(n.target) for n in bindings.fors if t.exprs.get(id(n.iter)) == "range"}
    names = {name for name, ty in t.locals.items() if ty == INT} - set(t.params)
    for n in bindings.binds:
        if id(n) not in targets:
            names.discard(n.id)
    return names


def _raise_recursion(*args: Any) -> None:
    raise RecursionError("maximum recursion depth exceeded")


def _fits(r: range, bits: int) -> bool:
    """A constant range whose every index, and the one past its end, fits a `bits`-bit counter."""
    limit = 1 << (bits - 1)
    ends = (r.start, r.stop, r.start + len(r) * r.step)
    return all(-limit <= x < limit for x in ends)


LIST_CHANGED = "tierjit: a list changed its element type during a compiled call"


_UNBOUND: dict[str, Any] = {}


def _unbound_reader(name: str) -> Any:
    fn = _UNBOUND.get(name)
    if fn is None:
        ns: dict[str, Any] = {}
        exec(f"def read():\n    {name}\n    {name} = None\n", ns)
        fn = _UNBOUND[name] = ns["read"]
    return fn


_UNPACKERS: dict[int, Any] = {}


def _unpacker(n: int) -> Any:
    """`a, b = value` done by CPython, so the errors are its own."""
    fn = _UNPACKERS.get(n)
    if fn is None:
        names = ", ".join(f"v{i}" for i in range(n))
        ns: dict[str, Any] = {}
        exec(f"def unpack(value):\n    {names}, = value\n    return ({names},)\n", ns)
        fn = _UNPACKERS[n] = ns["unpack"]
    return fn
