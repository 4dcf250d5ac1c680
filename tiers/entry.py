"""The native entry: the METH_FASTCALL C function a compiled Python function's stub calls.

Owns, per compile unit: counting calls (and asking for tier 2 at the threshold), the guards on
argument types and on the globals the code read (any failure hands the call to tier 0 unchanged),
unboxing arguments, boxing the result, and re-raising errors from a frame at the user's line.
"""
from __future__ import annotations

import ast
import ctypes
from typing import Any, Callable

from llvmlite import ir

from . import arrays, capi
from .builder import new_builder
from .capi import F64, I32, I64, PTR
from .codegen import ModuleGen, thread_stack_limit
from .typer import (BOOL, FLOAT, INT, MAYBE_NP_FLOAT, MAYBE_NP_INT, NONE, NP_BOOL, NP_FLOAT, NP_INT, OBJ, Typing,
                    builtins_of, elem, is_array)
from .values import NULL, V, pack, parts

ENTRY_NAME = "tj_entry"


def make_raiser(name: str, filename: str, line: int) -> Callable[[BaseException], None]:
    """A function whose only frame sits at `line` of the user's file, and raises what it is given."""
    fn = ast.parse(f"def {name}(exc):\n    raise exc\n").body[0]
    for node in ast.walk(fn):
        if hasattr(node, "lineno"):
            node.lineno = node.end_lineno = line
    code = compile(ast.Module([fn], []), filename, "exec")
    ns: dict[str, Any] = {}
    exec(code, ns)
    return ns[name]


class LineRaisers:
    """`raisers(line)`: the function that raises an exception from `line` of the user's function
    (see make_raiser), made on first use since most compiled code never raises; None for a line
    the code has no statement on. The entry's error exit calls it (ModuleGen's `reraise` helper)."""

    def __init__(self, name: str, filename: str, lines: set[int]) -> None:
        self.name, self.filename, self.lines = name, filename, frozenset(lines)
        self.made: dict[int, Callable[[BaseException], None]] = {}

    def __call__(self, line: int) -> Callable[[BaseException], None] | None:
        if line not in self.lines:
            return None
        raiser = self.made.get(line)
        if raiser is None:
            raiser = self.made[line] = make_raiser(self.name, self.filename, line)
        return raiser


def _stack_limit(mod: ModuleGen, b: ir.IRBuilder, here: ir.Value, slot: ir.Value, overflow: ir.Value) -> ir.Value:
    """The calling thread's thread_stack_limit(); if it is unknown, 1 MiB below this frame.
    `slot` (i64) and `overflow` (i32) are allocas of the entry block."""
    r = b.call(mod.capi("PyObject_CallNoArgs"), [mod.const_obj(b, thread_stack_limit)])
    b.store(ir.Constant(I64, 0), slot)
    with b.if_else(b.icmp_unsigned("==", r, NULL)) as (then, other):
        with then:
            b.call(mod.capi("PyErr_Clear"), [])
        with other:
            b.store(b.call(mod.capi("PyLong_AsLongLongAndOverflow"), [r, overflow]), slot)
            b.call(mod.helper("xdecref"), [r])
    limit = b.load(slot)
    known = b.icmp_unsigned(">", limit, ir.Constant(I64, 0))
    return b.inttoptr(b.select(known, limit, b.sub(here, ir.Constant(I64, 1 << 20))), PTR)


def build_entry(mod: ModuleGen, top: Typing, guard_fail: Callable[[int], Any], tier2_hook: Any,
                tier2_at: int, lines: set[int]) -> list[str]:
    """Emit `PyObject* tj_entry(self, args, nargs)`; returns the guard descriptions by index."""
    m = mod.module
    calls = mod.global_var("tj_calls", I64)
    active = mod.global_var("tj_active", I64)
    fn = ir.Function(m, ir.FunctionType(PTR, [PTR, PTR.as_pointer(), I64]), ENTRY_NAME)
    self_, args, nargs = fn.args
    b = new_builder(fn.append_basic_block("entry"))
    const = lambda obj: mod.const_obj(b, obj)      # noqa: E731
    reasons: list[str] = []

    def bump(var: ir.Value, delta: int) -> ir.Value:
        v = b.add(b.load(var), ir.Constant(I64, delta))
        b.store(v, var)
        return v

    deopt_block = fn.append_basic_block("deopt")
    # every alloca in the entry block: LLVM's fast instruction selector leaves a function with
    # an alloca anywhere else to the slow one
    reason_slot = b.alloca(I32)
    ret = b.alloca(ir.LiteralStructType(parts(top.returns, mod.int_t) or [ir.IntType(8)]))
    recursive = any(t.recursive for t in _all_typings(top))
    if recursive:
        limit_slot, overflow = b.alloca(I64), b.alloca(I32)

    def guard(ok: ir.Value, why: str) -> None:
        reasons.append(why)
        b.store(ir.Constant(I32, len(reasons) - 1), reason_slot)
        nxt = fn.append_basic_block("guard.ok")
        b.cbranch(ok, nxt, deopt_block)
        b.position_at_end(nxt)

    def type_of(p: ir.Value) -> ir.Value:
        return capi.type_of(b, p)

    # `active` counts frames inside this code (deopt hand-overs too): code is freed only at zero.
    bump(active, 1)
    # globals first: a rebound name or builtin means this code is stale
    table = _global_guards(top)
    if table:
        # one call checks them all, from a table: the guard that fails is the deopt's reason
        assert not reasons, "the globals' guards are numbered from 0"
        words = (ctypes.c_void_p * (3 * len(table)))(*[None if obj is ABSENT else id(obj)
                                                      for row in table for obj in row[:3]])
        mod.keepalive += [words, table]
        first_failed = b.call(mod.helper("check_globals"), [
            mod.address(ctypes.addressof(words), PTR.as_pointer()), ir.Constant(I64, len(table))])
        reasons.extend(row[3] for row in table)
        b.store(b.trunc(first_failed, I32), reason_slot)
        nxt = fn.append_basic_block("guard.ok")
        b.cbranch(b.icmp_signed("<", first_failed, ir.Constant(I64, 0)), nxt, deopt_block)
        b.position_at_end(nxt)
    # argument types
    unboxed: list[ir.Value] = []
    for i, ty in enumerate(top.param_types):
        arg = b.load(b.gep(args, [ir.Constant(I64, i)]))
        name = top.params[i]
        if ty == NONE:
            guard(b.icmp_unsigned("==", arg, const(None)), f"argument '{name}' is no longer None")
            continue
        if ty == OBJ:
            unboxed.append(arg)
            continue
        if is_array(ty):
            guard(b.icmp_unsigned("==", type_of(arg), const(arrays.numpy().ndarray)),
                  f"argument '{name}' is no longer a numpy array")
            guard(array_is(mod, b, arg, ty), f"argument '{name}' is no longer a {ty} of one dimension")
            unboxed.append(arg)
            continue
        if ty == MAYBE_NP_INT:
            is_np = b.icmp_unsigned("==", type_of(arg), const(arrays.numpy().int64))
            guard(b.or_(is_np, b.icmp_unsigned("==", type_of(arg), const(int))),
                  f"argument '{name}' is no longer an int or numpy int64")
            with b.if_else(is_np) as (then, other):
                with then:
                    slot = b.gep(arg, [ir.Constant(I64, arrays.layout().scalar_value)])
                    np_value = b.sext(b.load(b.bitcast(slot, I64.as_pointer())), mod.int_t)
                    np_block = b.block
                with other:
                    pair = b.call(mod.helper("unbox_int"), [arg])
                    py_value, py_big = b.extract_value(pair, 0), b.extract_value(pair, 1)
                    py_block = b.block
            value, big = b.phi(mod.int_t), b.phi(PTR)
            value.add_incoming(np_value, np_block)
            value.add_incoming(py_value, py_block)
            big.add_incoming(NULL, np_block)
            big.add_incoming(py_big, py_block)
            unboxed += [value, big, is_np]
            continue
        if ty == MAYBE_NP_FLOAT:
            is_np = b.icmp_unsigned("==", type_of(arg), const(arrays.numpy().float64))
            guard(b.or_(is_np, b.icmp_unsigned("==", type_of(arg), const(float))),
                  f"argument '{name}' is no longer a float or numpy float64")
            # both keep their double at the same offset (numpy's float64 is laid out as a float)
            assert arrays.layout().scalar_value == capi.FLOAT_VALUE_OFFSET
            slot = b.gep(arg, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)])
            unboxed += [b.load(b.bitcast(slot, F64.as_pointer())), is_np]
            continue
        if ty in (NP_FLOAT, NP_INT, NP_BOOL):
            guard(b.icmp_unsigned("==", type_of(arg), const(arrays.scalar_type(ty))),
                  f"argument '{name}' is no longer a {ty}")
            if ty == NP_BOOL:
                unboxed.append(b.icmp_unsigned("==", arg, const(arrays.numpy().True_)))
            else:
                slot = b.gep(arg, [ir.Constant(I64, arrays.layout().scalar_value)])
                unboxed.append(b.load(b.bitcast(slot, (F64 if ty == NP_FLOAT else I64).as_pointer())))
            continue
        pytype = {INT: int, FLOAT: float, BOOL: bool}.get(ty, list)
        guard(b.icmp_unsigned("==", type_of(arg), const(pytype)), f"argument '{name}' is no longer {ty}")
        if ty == INT:
            pair = b.call(mod.helper("unbox_int"), [arg])
            unboxed += [b.extract_value(pair, 0), b.extract_value(pair, 1)]
        elif ty == FLOAT:
            unboxed.append(b.load(b.bitcast(b.gep(arg, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)]),
                                            F64.as_pointer())))
        elif ty == BOOL:
            unboxed.append(b.icmp_unsigned("==", arg, const(True)))
        else:
            if elem(ty) in (INT, FLOAT):
                guard(b.call(mod.helper("list_all_of"), [arg, const(int if elem(ty) == INT else float)]),
                      f"argument '{name}' is no longer a {ty}")
            unboxed.append(arg)
    # run
    n = bump(calls, 1)
    with b.if_then(b.icmp_signed("==", n, ir.Constant(I64, tier2_at)), likely=False):
        b.call(mod.helper("call_hook"), [const(tier2_hook)])
    limit = ir.Constant(PTR, None)
    if recursive:
        limit = _stack_limit(mod, b, b.ptrtoint(ret, I64), limit_slot, overflow)
    status = mod.call_native(b, top, [ret] + unboxed + [limit])
    ok_block = fn.append_basic_block("ok")
    err_block = fn.append_basic_block("error")
    b.cbranch(b.icmp_signed("==", status, ir.Constant(I32, 0)), ok_block, err_block)
    # Each exit leaves `active` only right before it returns: once it reads 0 the code may be
    # freed, so nothing of this function may run after that (re-raising runs Python, which may
    # let another thread collect retired code).
    # success: box the result
    b.position_at_end(ok_block)
    values = [b.load(b.gep(ret, [ir.Constant(I32, 0), ir.Constant(I32, i)])) for i in range(len(parts(top.returns, mod.int_t)))]
    boxed = _box(mod, b, pack(top.returns, values))
    bump(active, -1)
    b.ret(boxed)
    # error: re-raise from a frame at the user's line
    b.position_at_end(err_block)
    raisers = LineRaisers(top.tree.name, top.func.__code__.co_filename, lines)
    b.call(mod.helper("reraise"), [const(raisers), b.load(mod.err_line)])
    bump(active, -1)
    b.ret(NULL)
    # a failed guard: hand the call, arguments untouched, to tier 0
    b.position_at_end(deopt_block)
    r = b.call(mod.helper("deopt"), [const(guard_fail), b.load(reason_slot), args, nargs])
    bump(active, -1)
    b.ret(r)
    return reasons


def array_is(mod: ModuleGen, b: ir.IRBuilder, arr: ir.Value, ty: str) -> ir.Value:
    """i1: `arr` (a numpy array) is one-dimensional, aligned, with numpy's own float64/int64 dtype.
    Checked at entry and again before each native item access (a called function may reshape it)."""
    lay = arrays.layout()
    field = lambda off, t: b.load(b.bitcast(b.gep(arr, [ir.Constant(I64, off)]), t.as_pointer()))  # noqa: E731
    np = arrays.numpy()
    descr = np.dtype(np.float64 if ty == arrays.ARRAY_FLOAT else np.int64)
    ok = b.icmp_signed("==", field(lay.nd, I32), ir.Constant(I32, 1))
    ok = b.and_(ok, b.icmp_unsigned("==", field(lay.descr, PTR), mod.const_obj(b, descr)))
    aligned = b.and_(field(lay.flags, I32), ir.Constant(I32, arrays.ALIGNED))
    return b.and_(ok, b.icmp_unsigned("!=", aligned, ir.Constant(I32, 0)))


# a guard's "the name holds nothing" (NULL in the table; None is an object a name may hold)
ABSENT = object()


def _global_guards(top: Typing) -> list[tuple[dict, str, Any, str]]:
    """(namespace, name, the object it must hold or ABSENT, the deopt's reason) for each global
    the compiled functions read; a builtin must also not be shadowed by a module global. The
    namespaces are the ones typer.FunctionTyper.resolve looked the names up in."""
    table = []
    for typing in _all_typings(top):
        module_ns = typing.func.__globals__
        builtin_ns = builtins_of(module_ns)
        for g in typing.globals.values():
            if g.in_builtins:
                table.append((module_ns, g.name, ABSENT, f"global '{g.name}' now shadows a builtin"))
                table.append((builtin_ns, g.name, g.value, f"global '{g.name}' was rebound"))
            else:
                table.append((module_ns, g.name, g.value, f"global '{g.name}' was rebound"))
    return table


def _entry_alloca(b: ir.IRBuilder, ty: ir.Type) -> ir.Value:
    """A slot in the entry block (see build_entry)."""
    with b.goto_entry_block():
        return b.alloca(ty)


def _box(mod: ModuleGen, b: ir.IRBuilder, v: V) -> ir.Value:
    if v.ty == INT:
        r = b.call(mod.helper("box_int"), [v.a, v.big])
        b.call(mod.helper("xdecref"), [v.big])      # box_int took its own reference
        return r
    if v.ty == FLOAT:
        return b.call(mod.capi("PyFloat_FromDouble"), [v.a])
    if v.ty == BOOL:
        p = b.select(v.a, mod.const_obj(b, True), mod.const_obj(b, False))
        b.call(mod.helper("xincref"), [p])
        return p
    if v.ty == NONE:
        p = mod.const_obj(b, None)
        b.call(mod.helper("xincref"), [p])
        return p
    if v.ty == NP_BOOL:
        np = arrays.numpy()
        p = b.select(v.a, mod.const_obj(b, np.True_), mod.const_obj(b, np.False_))
        b.call(mod.helper("xincref"), [p])
        return p
    if v.ty == MAYBE_NP_INT:
        slot = _entry_alloca(b, PTR)
        with b.if_else(v.flag) as (then, other):
            with then:
                b.store(_box(mod, b, V(NP_INT, b.trunc(v.a, I64))), slot)
            with other:
                b.store(_box(mod, b, V(INT, v.a, v.big)), slot)
        return b.load(slot)
    if v.ty == MAYBE_NP_FLOAT:
        slot = _entry_alloca(b, PTR)
        flt = b.call(mod.capi("PyFloat_FromDouble"), [v.a])
        b.store(flt, slot)
        with b.if_then(v.big):
            b.call(mod.helper("xdecref"), [flt])
            b.store(_box(mod, b, V(NP_FLOAT, v.a)), slot)
        return b.load(slot)
    if v.ty in (NP_FLOAT, NP_INT):     # as Ops.box makes it
        r = b.call(mod.capi("PyType_GenericAlloc"), [mod.const_obj(b, arrays.scalar_type(v.ty)), ir.Constant(I64, 0)])
        with b.if_then(b.icmp_unsigned("!=", r, NULL), likely=True):
            slot = b.gep(r, [ir.Constant(I64, arrays.layout().scalar_value)])
            b.store(v.a, b.bitcast(slot, v.a.type.as_pointer()))
        return r
    return v.a


def _all_typings(top: Typing) -> list[Typing]:
    seen: list[Typing] = []
    todo = [top]
    while todo:
        t = todo.pop()
        if t in seen:
            continue
        seen.append(t)
        todo.extend(t.callees.values())
    return seen
