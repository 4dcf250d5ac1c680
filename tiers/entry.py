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
from .capi import F64, I8, I32, I64, PTR
from .codegen import FunctionPointer, ModuleGen, counted_loop, thread_stack_limit
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
    """Emit `PyObject* tj_entry(self, args, nargs)`; returns the guard descriptions by index.

    Tier 1 uses the table-driven entry (build_table_entry) when the shared runtime's helpers
    know every argument's kind and the result's; tier 2, and the kinds they do not know (numpy
    arrays and scalars, tuples), write the entry out in full here for the optimiser to fold."""
    if mod.tier == 1 and table_kinds(top) is not None:
        return build_table_entry(mod, top, guard_fail, tier2_hook, tier2_at, lines)
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


# The table-driven tier-1 entry. Written out, the entry was about a sixth of a small function's
# tier-1 compile (measured at stop 22: its IR built in Python 0.9 ms, parsed 0.2, made into
# machine code 0.4, of `compute`'s whole compile), and every function carries one. Here the
# entry is three calls into the shared runtime, which reads what the written-out entry had as
# code from a table of words the unit keeps:
#   tj_enter(table, args, out)          -> -1, or the index of the guard that failed
#   tj_entry_deopt(table, index, args, nargs)   the call, handed to tier 0 unchanged
#   tj_leave(table, status, word, object)       the result boxed, or the error re-raised
# with the same steps in the same order as build_entry's: `active` up first and down last
# (after the boxing and the re-raise), the globals' guards, each argument's guard and unboxing,
# the call count and the tier-2 hook. Between enter and leave it calls the unit's function
# through the cell whose address is the table's T_BODY word.
#
# What is left of the entry then depends on the signature only (the arguments' kinds, the
# result's, the function's type, whether it recurses), not on the unit: it finds the unit's
# table through `self`, the object its builtin is bound to (an EntrySelf). So one entry per
# signature serves every tier-1 unit of that signature (shared_entry.py), compiled once per
# process; a unit compiles its own function only (docs/tiers.md, "One entry per signature").
T_ACTIVE, T_CALLS, T_TIER2_AT, T_HOOK, T_GLOBALS, T_NGLOBALS, T_DEOPT, T_RAISERS, T_ERR_LINE, \
    T_RESULT, T_BODY, T_NPARAMS, T_PARAMS = range(13)
PARAM_WORDS = 4     # a parameter's kind, its guard's index, the type it must have, its items' type
K_INT, K_FLOAT, K_BOOL, K_NONE, K_OBJ, K_LIST = range(6)     # a parameter's kind
R_INT, R_FLOAT, R_BOOL, R_NONE, R_OBJ = range(5)             # the result's kind
_SCALAR_KINDS = {INT: K_INT, FLOAT: K_FLOAT, BOOL: K_BOOL, NONE: K_NONE, OBJ: K_OBJ}
_RESULT_KINDS = {INT: R_INT, FLOAT: R_FLOAT, BOOL: R_BOOL, NONE: R_NONE}
_NOT_IN_TABLE = (MAYBE_NP_INT, MAYBE_NP_FLOAT, NP_FLOAT, NP_INT, NP_BOOL)
I64P = I64.as_pointer()


class EntrySelf(ctypes.Structure):
    """What a unit's builtin is bound to (its `self`): the address of the unit's entry table, in
    a field the native entry reads. A ctypes structure keeps its fields in a buffer whose address
    is the first word after the object's header (checked once: self_table_offset)."""
    _fields_ = [("table", ctypes.c_void_p)]


_offset: list[int | None] = []


def self_table_offset() -> int | None:
    """Where, from the start of an EntrySelf object, the address of its fields' buffer is; None
    if it is not where this CPython's ctypes has always kept it (then each unit gets an entry of
    its own, with its table's address written in)."""
    if not _offset:
        probe = EntrySelf()
        at = object.__basicsize__
        word = ctypes.c_void_p.from_address(id(probe) + at).value
        _offset.append(at if word == ctypes.addressof(probe) else None)
    return _offset[0]


class Signature(tuple):
    """What a table-driven entry's code depends on: (parameter kinds, result kind, the called
    function's type as text, recursive). Equal signatures can share one entry."""

    def __new__(cls, kinds: list[int], result: int, function_type: ir.FunctionType, recursive: bool) -> "Signature":
        sig = super().__new__(cls, (tuple(kinds), result, str(function_type), recursive))
        sig.function_type = function_type
        return sig


def table_kinds(top: Typing) -> tuple[list[int], int] | None:
    """The parameters' kinds and the result's for the table-driven entry, or None when one of
    them is a kind its helpers do not know (see build_entry)."""
    kinds = []
    for ty in top.param_types:
        if ty in _NOT_IN_TABLE or is_array(ty):
            return None
        # as build_entry: a type not named is a list (guarded as exactly `list`)
        kinds.append(_SCALAR_KINDS.get(ty, K_LIST))
    result = _RESULT_KINDS.get(top.returns)
    if result is None:
        if parts(top.returns, I64) != [PTR]:
            return None
        result = R_OBJ        # an object the code already owns (build_entry's _box returns it)
    return kinds, result


def build_table_entry(mod: ModuleGen, top: Typing, guard_fail: Callable[[int], Any], tier2_hook: Any,
                      tier2_at: int, lines: set[int]) -> list[str]:
    """The unit's entry table (see the table's comment above). Sets `mod.entry_table` to its
    address and `mod.entry_signature` to the signature of the entry that reads it: a shared
    one, or one the compiler writes into the unit's module (shared_entry.entry_for)."""
    found = table_kinds(top)
    assert found is not None
    kinds, result = found
    mod.global_var("tj_calls", I64)
    mod.global_var("tj_active", I64)
    raisers = LineRaisers(top.tree.name, top.func.__code__.co_filename, lines)
    reasons: list[str] = []
    table = _global_guards(top)
    words = (ctypes.c_void_p * (3 * len(table) or 1))(*[None if obj is ABSENT else id(obj)
                                                         for row in table for obj in row[:3]])
    reasons.extend(row[3] for row in table)
    head = [0] * T_PARAMS
    head[T_ACTIVE], head[T_CALLS] = mod.cell_addresses["tj_active"], mod.cell_addresses["tj_calls"]
    head[T_TIER2_AT], head[T_HOOK] = tier2_at, id(tier2_hook)
    head[T_GLOBALS], head[T_NGLOBALS] = ctypes.addressof(words), len(table)
    head[T_DEOPT], head[T_RAISERS] = id(guard_fail), id(raisers)
    head[T_ERR_LINE], head[T_RESULT], head[T_NPARAMS] = mod.cell_addresses["tj_err_line"], result, len(kinds)
    head[T_BODY] = ctypes.addressof(mod.native_cell(top))
    params: list[int] = []
    for name, ty, kind in zip(top.params, top.param_types, kinds):
        must_be, items = {K_INT: int, K_FLOAT: float, K_BOOL: bool, K_LIST: list}.get(kind), None
        params += [kind, len(reasons), 0 if must_be is None else id(must_be), 0]
        if kind == K_NONE:
            reasons.append(f"argument '{name}' is no longer None")
        elif kind != K_OBJ:
            reasons.append(f"argument '{name}' is no longer {ty}")
        if kind == K_LIST and elem(ty) in (INT, FLOAT):
            items = int if elem(ty) == INT else float
            params[-1] = id(items)
            reasons.append(f"argument '{name}' is no longer a {ty}")
    cells = (ctypes.c_int64 * (T_PARAMS + len(params)))(*head, *params)
    mod.keepalive += [cells, words, table, tier2_hook, raisers, guard_fail]
    mod.address_names[ctypes.addressof(cells)] = "tj_entry_table"      # for %jit_explain
    mod.entry_table = ctypes.addressof(cells)
    mod.entry_signature = Signature(kinds, result, mod.declare(top).function_type,
                                    any(t.recursive for t in _all_typings(top)))
    return reasons


def emit_table_entry(mod: ModuleGen, signature: Signature, table: ir.Value | None = None) -> ir.Function:
    """`PyObject *tj_entry(self, args, nargs)` for units of `signature`, into `mod`: the table
    is `table`, or (None) the one `self` points to (an EntrySelf)."""
    kinds, result, _, recursive = signature
    fty = signature.function_type
    fn = ir.Function(mod.module, ir.FunctionType(PTR, [PTR, PTR.as_pointer(), I64]), ENTRY_NAME)
    self_, args, nargs = fn.args
    b = new_builder(fn.append_basic_block("entry"))
    out_words = sum(2 if k == K_INT else 0 if k == K_NONE else 1 for k in kinds)
    ret = b.alloca(fty.args[0].pointee)
    out = b.bitcast(b.alloca(ir.ArrayType(I64, max(1, out_words))), I64P)
    if table is None:
        offset = self_table_offset()
        assert offset is not None
        fields = b.load(b.bitcast(b.gep(self_, [ir.Constant(I64, offset)]), PTR.as_pointer()))
        table = b.load(b.bitcast(fields, I64P.as_pointer()))
    failed = b.call(mod.helper("enter"), [table, args, out])
    run, deopt = fn.append_basic_block("run"), fn.append_basic_block("deopt")
    b.cbranch(b.icmp_signed("<", failed, ir.Constant(I64, 0)), run, deopt)
    b.position_at_end(deopt)
    b.ret(b.call(mod.helper("entry_deopt"), [table, failed, args, nargs]))
    b.position_at_end(run)
    unboxed: list[ir.Value] = []
    at = 0
    for kind in kinds:
        if kind == K_NONE:
            continue
        slot = b.gep(out, [ir.Constant(I64, at)]) if at else out
        if kind == K_INT:
            unboxed += [b.load(slot), b.load(b.bitcast(b.gep(out, [ir.Constant(I64, at + 1)]), PTR.as_pointer()))]
        elif kind == K_FLOAT:
            unboxed.append(b.load(b.bitcast(slot, F64.as_pointer())))
        elif kind == K_BOOL:
            unboxed.append(b.trunc(b.load(slot), ir.IntType(1)))
        else:
            unboxed.append(b.load(b.bitcast(slot, PTR.as_pointer())))
        at += 2 if kind == K_INT else 1
    limit = b.call(mod.helper("stack_limit"), []) if recursive else ir.Constant(PTR, None)
    cell = b.inttoptr(b.load(b.gep(table, [ir.Constant(I64, T_BODY)])), fty.as_pointer().as_pointer())
    status = b.call(FunctionPointer(b.load(cell), fty), [ret] + unboxed + [limit])
    values = [b.load(b.gep(ret, [ir.Constant(I32, 0), ir.Constant(I32, i)]))
              for i in range(len(fty.args[0].pointee.elements) if result != R_NONE else 0)]
    word, obj = ir.Constant(I64, 0), NULL
    if result == R_INT:
        word, obj = values
    elif result == R_FLOAT:
        word = b.bitcast(values[0], I64)
    elif result == R_BOOL:
        word = b.zext(values[0], I64)
    elif result == R_OBJ:
        obj = values[0]
    b.ret(b.call(mod.helper("leave"), [table, status, word, obj]))
    return fn


def _runtime_enter(mod: ModuleGen) -> ir.Function:
    """`i64 tj_enter(i64 *table, PyObject **args, i64 *out)`: the table-driven entry's way in.
    Counts the frame in `active`, checks the globals' guards and each argument's, unboxing each
    into `out` (an int as two words, value and big object; a float's bits; a bool as 0 or 1; an
    object's address), then counts the call and calls the tier-2 hook at its count. Returns -1,
    or the index of the first guard that failed (the call then goes to tj_entry_deopt)."""
    fn = ir.Function(mod.module, ir.FunctionType(I64, [I64P, PTR.as_pointer(), I64P]), "tj_enter")
    table, args, out = fn.args
    b = new_builder(fn.append_basic_block("entry"))
    at = b.alloca(I64)      # the next word of `out`
    b.store(ir.Constant(I64, 0), at)

    def word(k: Any) -> ir.Value:
        return b.load(b.gep(table, [ir.Constant(I64, k) if isinstance(k, int) else k]))

    def bump(cell: ir.Value) -> ir.Value:
        v = b.add(b.load(cell), ir.Constant(I64, 1))
        b.store(v, cell)
        return v

    def put(value: ir.Value) -> None:
        n = b.load(at)
        b.store(value, b.gep(out, [n]))
        b.store(b.add(n, ir.Constant(I64, 1)), at)

    def fail_unless(ok: ir.Value, reason: ir.Value) -> None:
        with b.if_then(b.not_(ok), likely=False):
            b.ret(reason)

    bump(b.inttoptr(word(T_ACTIVE), I64P))
    failed = b.call(mod.helper("check_globals"), [b.inttoptr(word(T_GLOBALS), PTR.as_pointer()), word(T_NGLOBALS)])
    fail_unless(b.icmp_signed("<", failed, ir.Constant(I64, 0)), failed)
    with counted_loop(b, word(T_NPARAMS)) as i:
        base = b.add(b.mul(i, ir.Constant(I64, PARAM_WORDS)), ir.Constant(I64, T_PARAMS))
        kind, reason, must_be, items = (word(b.add(base, ir.Constant(I64, k))) for k in range(PARAM_WORDS))
        arg = b.load(b.gep(args, [i]))
        done = fn.append_basic_block("param.done")
        cases = {k: fn.append_basic_block(f"param.{k}") for k in (K_OBJ, K_NONE, K_INT, K_FLOAT, K_BOOL, K_LIST)}
        switch = b.switch(kind, cases[K_OBJ])
        for k, block in cases.items():
            if k != K_OBJ:
                switch.add_case(ir.Constant(I64, k), block)
        b.position_at_end(cases[K_OBJ])
        put(b.ptrtoint(arg, I64))
        b.branch(done)
        b.position_at_end(cases[K_NONE])
        fail_unless(b.icmp_unsigned("==", arg, mod.const_obj(b, None)), reason)
        b.branch(done)
        for k in (K_INT, K_FLOAT, K_BOOL, K_LIST):
            b.position_at_end(cases[k])
            fail_unless(b.icmp_unsigned("==", b.ptrtoint(capi.type_of(b, arg), I64), must_be), reason)
            if k == K_INT:
                pair = b.call(mod.helper("unbox_int"), [arg])
                put(b.extract_value(pair, 0))
                put(b.ptrtoint(b.extract_value(pair, 1), I64))
            elif k == K_FLOAT:
                put(b.load(b.bitcast(b.gep(arg, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)]), I64P)))
            elif k == K_BOOL:
                put(b.zext(b.icmp_unsigned("==", arg, mod.const_obj(b, True)), I64))
            else:
                with b.if_then(b.icmp_unsigned("!=", items, ir.Constant(I64, 0))):
                    all_of = b.call(mod.helper("list_all_of"), [arg, b.inttoptr(items, PTR)])
                    fail_unless(all_of, b.add(reason, ir.Constant(I64, 1)))
                put(b.ptrtoint(arg, I64))
            b.branch(done)
        b.position_at_end(done)
    calls = bump(b.inttoptr(word(T_CALLS), I64P))
    with b.if_then(b.icmp_signed("==", calls, word(T_TIER2_AT)), likely=False):
        b.call(mod.helper("call_hook"), [b.inttoptr(word(T_HOOK), PTR)])
    b.ret(ir.Constant(I64, -1))
    return fn


def _runtime_entry_deopt(mod: ModuleGen) -> ir.Function:
    """`PyObject *tj_entry_deopt(i64 *table, i64 index, args, nargs)`: a guard failed, so the call
    goes to tier 0 with its arguments untouched (tj_deopt); then the frame leaves `active`."""
    fn = ir.Function(mod.module, ir.FunctionType(PTR, [I64P, I64, PTR.as_pointer(), I64]), "tj_entry_deopt")
    table, index, args, nargs = fn.args
    b = new_builder(fn.append_basic_block())
    guard_failed = b.inttoptr(b.load(b.gep(table, [ir.Constant(I64, T_DEOPT)])), PTR)
    r = b.call(mod.helper("deopt"), [guard_failed, b.trunc(index, I32), args, nargs])
    _leave_active(b, table)
    b.ret(r)
    return fn


def _runtime_leave(mod: ModuleGen) -> ir.Function:
    """`PyObject *tj_leave(i64 *table, i32 status, i64 word, PyObject *obj)`: the table-driven
    entry's way out. Status 0: the result boxed from `word` (an int's value, a float's bits, a
    bool) and `obj` (an int's big object, which it releases, or the result itself), by the
    table's result kind. Otherwise the pending error is re-raised at the user's line (tj_reraise)
    and the result is NULL. Either way the frame leaves `active` last (see build_entry)."""
    fn = ir.Function(mod.module, ir.FunctionType(PTR, [I64P, I32, I64, PTR]), "tj_leave")
    table, status, word, obj = fn.args
    b = new_builder(fn.append_basic_block("entry"))
    load = lambda k: b.load(b.gep(table, [ir.Constant(I64, k)]))     # noqa: E731
    result = b.alloca(PTR)
    b.store(obj, result)            # R_OBJ: the result itself
    with b.if_then(b.icmp_signed("!=", status, ir.Constant(I32, 0)), likely=False):
        line = b.load(b.inttoptr(load(T_ERR_LINE), I32.as_pointer()))
        b.call(mod.helper("reraise"), [b.inttoptr(load(T_RAISERS), PTR), line])
        _leave_active(b, table)
        b.ret(NULL)
    kind = load(T_RESULT)
    done = fn.append_basic_block("done")
    switch = b.switch(kind, done)
    for k, box in ((R_INT, lambda: _box(mod, b, V(INT, word, obj))),
                   (R_FLOAT, lambda: _box(mod, b, V(FLOAT, b.bitcast(word, F64)))),
                   (R_BOOL, lambda: _box(mod, b, V(BOOL, b.icmp_unsigned("!=", word, ir.Constant(I64, 0))))),
                   (R_NONE, lambda: _box(mod, b, V(NONE, None)))):
        case = fn.append_basic_block(f"case{k}")
        switch.add_case(ir.Constant(I64, k), case)
        b.position_at_end(case)
        b.store(box(), result)
        b.branch(done)
    b.position_at_end(done)
    r = b.load(result)
    _leave_active(b, table)
    b.ret(r)
    return fn


def _runtime_stack_limit(mod: ModuleGen) -> ir.Function:
    """`char *tj_stack_limit(void)`: the calling thread's stack limit for recursive code (see
    _stack_limit), measured from this frame, one below the entry's."""
    fn = ir.Function(mod.module, ir.FunctionType(PTR, []), "tj_stack_limit")
    b = new_builder(fn.append_basic_block())
    slot, overflow, here = b.alloca(I64), b.alloca(I32), b.alloca(I8)
    b.ret(_stack_limit(mod, b, b.ptrtoint(here, I64), slot, overflow))
    return fn


def _leave_active(b: ir.IRBuilder, table: ir.Value) -> None:
    cell = b.inttoptr(b.load(b.gep(table, [ir.Constant(I64, T_ACTIVE)])), I64P)
    b.store(b.sub(b.load(cell), ir.Constant(I64, 1)), cell)


# the shared runtime's helpers for the table-driven entry (runtime.build_module builds them)
RUNTIME_HELPERS = {"enter": _runtime_enter, "entry_deopt": _runtime_entry_deopt, "leave": _runtime_leave,
                   "stack_limit": _runtime_stack_limit}


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
