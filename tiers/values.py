"""How typed values live in LLVM, and the operations on them with CPython's exact semantics.

Owns the representation (int = a native int, i64 at tier 1 and i128 at tier 2, plus a boxed
PyLong when it outgrows that; float = double; bool = i1; object and lists = owned PyObject*),
boxing/unboxing, refcounting and the arithmetic whose fast paths are native and whose slow paths
call the CPython operation itself.
"""
from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

from llvmlite import ir

from . import arrays, capi
from .capi import F64, I1, I32, I64, I128, PTR
from .frontend import Unsupported
from .typer import (BOOL, FLOAT, INT, MAYBE_NP_FLOAT, MAYBE_NP_INT, NONE, NP_BOOL, NP_FLOAT, NP_INT, OBJ, UNBOXED, is_array, is_list,
                    is_np_number)

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


@dataclass
class V:
    """A value during code generation. Pointers held by a V are owned references."""
    ty: str
    a: ir.Value | None = None     # native int (i64 at tier 1, i128 at tier 2) / double / i1 / PyObject*
    big: ir.Value | None = None   # ints only: a PyLong when the value does not fit natively, else null
    borrowed: bool = False        # read in place from a local's slot: no reference of our own
                                  # (an array; an int operand, see FunctionGen.operand)
    flag: ir.Value | None = None  # int|np.int64 only: i1, set when the value is a numpy int64


def parts(ty: str, iw: ir.IntType) -> list[ir.Type]:
    """The LLVM values a value of type `ty` is made of; `iw` is the module's native int type."""
    if ty == INT:
        return [iw, PTR]
    if ty == MAYBE_NP_FLOAT:
        return [F64, I1]          # the double, and whether it is a numpy float64
    if ty == MAYBE_NP_INT:
        return [iw, PTR, I1]      # an int as INT holds it, and whether it is a numpy int64
    if ty in (FLOAT, NP_FLOAT):
        return [F64]
    if ty in (BOOL, NP_BOOL):
        return [I1]
    if ty == NP_INT:
        return [I64]
    if ty == NONE:
        return []
    return [PTR]


def pack(ty: str, values: list[ir.Value]) -> V:
    if ty == MAYBE_NP_INT:
        return V(ty, values[0], values[1], flag=values[2])
    if ty in (INT, MAYBE_NP_FLOAT):
        return V(ty, values[0], values[1])
    return V(ty, values[0] if values else None)


def unpack(v: V) -> list[ir.Value]:
    if v.ty == MAYBE_NP_INT:
        return [v.a, v.big, v.flag]
    if v.ty in (INT, MAYBE_NP_FLOAT):
        return [v.a, v.big]
    return [] if v.ty == NONE else [v.a]


NULL = ir.Constant(PTR, None)
TRUE = ir.Constant(I1, 1)

_PY_NUMBER = {ast.Add: "PyNumber_Add", ast.Sub: "PyNumber_Subtract", ast.Mult: "PyNumber_Multiply",
              ast.Div: "PyNumber_TrueDivide", ast.FloorDiv: "PyNumber_FloorDivide",
              ast.Mod: "PyNumber_Remainder", ast.LShift: "PyNumber_Lshift", ast.RShift: "PyNumber_Rshift",
              ast.BitAnd: "PyNumber_And", ast.BitOr: "PyNumber_Or", ast.BitXor: "PyNumber_Xor"}
_CMP_OP = {ast.Lt: capi.Py_LT, ast.LtE: capi.Py_LE, ast.Eq: capi.Py_EQ, ast.NotEq: capi.Py_NE,
           ast.Gt: capi.Py_GT, ast.GtE: capi.Py_GE}
_ICMP = {ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=", ast.Gt: ">", ast.GtE: ">="}
_FCMP = {ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.Gt: ">", ast.GtE: ">="}


_PY_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Eq: operator.eq, ast.NotEq: operator.ne,
           ast.Gt: operator.gt, ast.GtE: operator.ge}


def _freeze(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """`freeze v` (llvmlite's builder has no method for it)."""
    instr = ir.instructions.Instruction(b.block, v.type, "freeze", [v])
    b._insert(instr)
    return instr


def _is_true(v: ir.Value) -> bool:
    return isinstance(v, ir.Constant) and v.type == I1 and v.constant in (1, -1, True)


def _and(b: ir.IRBuilder, p: ir.Value, q: ir.Value) -> ir.Value:
    """p and q, with no instruction when either is known true (TRUE when both are)."""
    if _is_true(p):
        return TRUE if _is_true(q) else q
    return p if _is_true(q) else b.and_(p, q)


def _low64(b: ir.IRBuilder, v: ir.Value) -> ir.Value:
    """The low 64 bits of a native int, folded for a constant."""
    if isinstance(v, ir.Constant) and isinstance(v.constant, int):
        return ir.Constant(I64, (v.constant + (1 << 63)) % (1 << 64) - (1 << 63))
    return b.trunc(v, I64)


_FOLDABLE = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
             ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.BitAnd: operator.and_,
             ast.BitOr: operator.or_, ast.BitXor: operator.xor,
             # shifts only where the result is cheap to make (a huge left shift is not folded)
             ast.LShift: lambda a, c: a << c if 0 <= c < 128 else None,
             ast.RShift: lambda a, c: a >> c if c >= 0 else None}


def _fold_ints(opt: type, x: V, y: V) -> V | None:
    """`-1`, `2 * 8`: an int operation on two native constants, done here (None if it raises,
    or its result would not be native), so `range(n, 0, -1)` has a constant step."""
    fold = _FOLDABLE.get(opt)
    if fold is None or not (isinstance(x.a, ir.Constant) and isinstance(y.a, ir.Constant)
                            and x.big is NULL and y.big is NULL):
        return None
    try:
        r = fold(int(x.a.constant), int(y.a.constant))
    except ZeroDivisionError:
        return None
    limit = 1 << (x.a.type.width - 1)
    if r is None or not -limit <= r < limit:
        return None
    return V(INT, ir.Constant(x.a.type, r), NULL)


class Ops:
    """Value operations, emitted through a builder; `fail()` jumps to the function's error exit."""

    def __init__(self, gen) -> None:
        self.gen = gen     # the FunctionGen: gives builder, capi(), const_obj(), fail()

    @property
    def b(self) -> ir.IRBuilder:
        return self.gen.builder

    @property
    def iw(self) -> ir.IntType:
        return self.gen.iw

    def call(self, name: str, *args: ir.Value) -> ir.Value:
        return self.b.call(self.gen.capi(name), list(args))

    # ----------------------------------------------------------------- refcounts
    # The helpers are null-safe (Py_XINCREF/Py_XDECREF). An int's `big` part is null on every hot
    # path, so tier 1, which calls the shared helper rather than inlining it, tests it inline first:
    # a call per operand made tier-1 int loops up to 3x slower. An object is rarely null, and its
    # refcount is a call either way.
    def xincref(self, p: ir.Value) -> None:
        self._refcount("xincref", p)

    def xdecref(self, p: ir.Value) -> None:
        self._refcount("xdecref", p)

    def incref_big(self, big: ir.Value) -> None:
        self._refcount("xincref", big, mostly_null=True)

    def decref_big(self, big: ir.Value, cold: bool = False) -> None:
        self._refcount("xdecref", big, mostly_null=not cold)

    def _refcount(self, helper: str, p: ir.Value, mostly_null: bool = False) -> None:
        if p is NULL:             # an int's `big` is most often this very constant: nothing to do
            return
        if mostly_null and self.gen.mod.tier == 1:
            with self.b.if_then(self.b.icmp_unsigned("!=", p, NULL), likely=False):
                self.b.call(self.gen.helper(helper), [p])
        else:
            self.b.call(self.gen.helper(helper), [p])

    def release(self, v: V, cold: bool = False) -> None:
        """Drop our reference to v. On a `cold` path (an error's way out, a slow path) an int's
        `big` goes straight to the null-safe helper: the inline test that keeps hot paths free
        of calls would only add two blocks to the module."""
        if v.borrowed:
            return
        if v.ty in (INT, MAYBE_NP_INT):
            self.decref_big(v.big, cold)
        elif v.ty not in UNBOXED:
            self.xdecref(v.a)

    def releases_nothing(self, v: V) -> bool:
        """`release(v)` would emit no code: v is borrowed, unboxed, or an int whose `big` part
        is known to be null."""
        return v.borrowed or v.ty in UNBOXED or (v.ty in (INT, MAYBE_NP_INT) and v.big is NULL)

    def dup(self, v: V) -> V:
        """A reference of our own to v. An array read in place stays borrowed (nothing that takes
        one keeps it); a borrowed int becomes an owned copy, since what takes it may keep it."""
        if v.borrowed and v.ty != INT:
            return v
        if v.ty in (INT, MAYBE_NP_INT):
            self.incref_big(v.big)
        elif v.ty not in UNBOXED:
            self.xincref(v.a)
        return V(INT, v.a, v.big) if v.borrowed else v

    def share(self, v: V) -> V:
        """v once more, for a second use that does not keep it (a borrowed value is used as is)."""
        return v if v.borrowed else self.dup(v)

    def check_null(self, p: ir.Value, line: int) -> ir.Value:
        self.gen.fail_if(self.b.icmp_unsigned("==", p, NULL), line)
        return p

    # ----------------------------------------------------------------- constants
    def const(self, value: object, line: int) -> V:
        if type(value) is bool:
            return V(BOOL, ir.Constant(I1, int(value)))
        if type(value) is int:
            limit = 1 << (self.iw.width - 1)
            if -limit <= value < limit:
                return V(INT, ir.Constant(self.iw, value), NULL)
            return V(INT, ir.Constant(self.iw, 0), self.new_ref(value))
        if type(value) is float:
            return V(FLOAT, ir.Constant(F64, value))
        if value is None:
            return V(NONE)
        return V(OBJ, self.new_ref(value))

    def new_ref(self, obj: object) -> ir.Value:
        p = self.gen.const_obj(obj)
        self.xincref(p)
        return p

    # ----------------------------------------------------------------- boxing
    def box(self, v: V, line: int) -> ir.Value:
        """An owned PyObject* for v (consumes v)."""
        b = self.b
        if v.ty == INT and isinstance(v.a, ir.Constant) and isinstance(v.big, ir.Constant) \
                and v.big.constant is None and -5 <= v.a.constant <= 256:
            return self.new_ref(int(v.a.constant))    # CPython's cached small int: no call
        if v.ty == INT:
            r = self.check_null(b.call(self.gen.helper("box_int"), [v.a, v.big]), line)
            if not v.borrowed:
                self.decref_big(v.big)     # box_int took its own reference to a big value's PyLong
            return r
        if v.ty == FLOAT:
            return self.check_null(self.call("PyFloat_FromDouble", v.a), line)
        if v.ty == BOOL:
            p = b.select(v.a, self.gen.const_obj(True), self.gen.const_obj(False))
            self.xincref(p)
            return p
        if v.ty == NONE:
            return self.new_ref(None)
        if v.ty == MAYBE_NP_INT:
            res = self.gen.entry_alloca(PTR)
            with b.if_else(v.flag) as (then, other):
                with then:
                    b.store(self.box(V(NP_INT, b.trunc(v.a, I64)), line), res)
                with other:
                    b.store(self.box(V(INT, v.a, v.big), line), res)
            return b.load(res)
        if v.ty == MAYBE_NP_FLOAT:
            res = self.gen.entry_alloca(PTR)
            with b.if_else(v.big) as (then, other):
                with then:
                    b.store(self.box(V(NP_FLOAT, v.a), line), res)
                with other:
                    b.store(self.box(V(FLOAT, v.a), line), res)
            return b.load(res)
        if v.ty in (NP_FLOAT, NP_INT):
            # a fresh numpy scalar, made as numpy makes one: allocate, then store the value
            r = self.check_null(self.call("PyType_GenericAlloc", self.gen.const_obj(arrays.scalar_type(v.ty)),
                                          ir.Constant(I64, 0)), line)
            slot = b.gep(r, [ir.Constant(I64, arrays.layout().scalar_value)])
            b.store(v.a, b.bitcast(slot, v.a.type.as_pointer()))
            return r
        if v.ty == NP_BOOL:
            np = arrays.numpy()
            p = b.select(v.a, self.gen.const_obj(np.True_), self.gen.const_obj(np.False_))
            self.xincref(p)
            return p
        if v.borrowed:        # a container read in place (FunctionGen.container): ours to own now
            self.xincref(v.a)
        return v.a

    def as_python(self, v: V) -> V:
        """A numpy scalar's value as the Python number of the same value (float, int or bool)."""
        if v.ty in (NP_FLOAT, MAYBE_NP_FLOAT):
            return V(FLOAT, v.a)
        if v.ty == NP_INT:
            return V(INT, self.b.sext(v.a, self.iw), NULL)
        if v.ty == MAYBE_NP_INT:
            return V(INT, v.a, v.big)
        if v.ty == NP_BOOL:
            return V(BOOL, v.a)
        return v

    def unbox_int(self, obj: ir.Value) -> V:
        """An owned PyLong -> int value (keeps the object when it does not fit natively)."""
        b = self.b
        if self.gen.mod.tier == 1:      # the same, in one call to the shared runtime
            pair = b.call(self.gen.helper("take_int"), [obj])
            return V(INT, b.extract_value(pair, 0), b.extract_value(pair, 1))
        pair = b.call(self.gen.helper("unbox_int"), [obj])
        big = b.extract_value(pair, 1)
        with b.if_then(b.icmp_unsigned("==", big, NULL)):
            self.xdecref(obj)
        return V(INT, b.extract_value(pair, 0), big)

    def from_object(self, obj: ir.Value, ty: str, line: int) -> V:
        """An owned object of a known Python type -> a typed value (consumes obj)."""
        if ty == INT:
            return self.unbox_int(obj)
        if ty == FLOAT:
            d = self.b.load(self.b.bitcast(self.b.gep(obj, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)]),
                                           F64.as_pointer()))
            self.xdecref(obj)
            return V(FLOAT, d)
        if ty == BOOL:
            v = self.b.icmp_unsigned("==", obj, self.gen.const_obj(True))
            self.xdecref(obj)
            return V(BOOL, v)
        if ty == NONE:
            self.xdecref(obj)
            return V(NONE)
        if ty in (NP_FLOAT, NP_INT, NP_BOOL):
            return self.from_numpy(obj, ty, line)
        if ty == MAYBE_NP_INT:          # an int or a numpy int64
            b = self.b
            tp = capi.type_of(b, obj)
            is_np = b.icmp_unsigned("==", tp, self.gen.const_obj(arrays.numpy().int64))
            res = [self.gen.entry_alloca(t) for t in (self.iw, PTR)]
            with b.if_else(is_np) as (then, other):
                with then:
                    b.store(b.sext(self.from_numpy(obj, NP_INT, line).a, self.iw), res[0])
                    b.store(NULL, res[1])
                with other:
                    v = self.unbox_int(obj)
                    b.store(v.a, res[0])
                    b.store(v.big, res[1])
            return V(ty, b.load(res[0]), b.load(res[1]), flag=is_np)
        if ty == MAYBE_NP_FLOAT:        # a float or a numpy float64: the double sits at one offset
            tp = capi.type_of(self.b, obj)
            is_np = self.b.icmp_unsigned("==", tp, self.gen.const_obj(arrays.numpy().float64))
            d = self.b.load(self.b.bitcast(self.b.gep(obj, [ir.Constant(I64, capi.FLOAT_VALUE_OFFSET)]),
                                           F64.as_pointer()))
            self.xdecref(obj)
            return V(ty, d, is_np)
        return V(ty, obj)

    def from_numpy(self, obj: ir.Value, ty: str, line: int) -> V:
        """An owned numpy scalar from numpy's own operation -> its native value (consumes obj)."""
        b = self.b
        np = arrays.numpy()
        if ty == NP_BOOL:
            v = b.icmp_unsigned("==", obj, self.gen.const_obj(np.True_))
            self.xdecref(obj)
            return V(NP_BOOL, v)
        tp = capi.type_of(b, obj)
        with b.if_then(b.icmp_unsigned("!=", tp, self.gen.const_obj(arrays.scalar_type(ty))), likely=False):
            # Only an array changed in place by other code (its dtype, its shape) gets here.
            self.xdecref(obj)
            self.call_python(arrays.changed_under_us, [], NONE, line)
        slot = b.bitcast(b.gep(obj, [ir.Constant(I64, arrays.layout().scalar_value)]),
                         (F64 if ty == NP_FLOAT else I64).as_pointer())
        v = b.load(slot)
        self.xdecref(obj)
        return V(ty, v)

    def coerce(self, v: V, ty: str, line: int) -> V:
        if v.ty == ty:
            return v
        if ty == MAYBE_NP_FLOAT and v.ty in (FLOAT, NP_FLOAT):
            return V(ty, v.a, ir.Constant(I1, int(v.ty == NP_FLOAT)))
        if ty == MAYBE_NP_INT and v.ty == INT:
            return V(ty, v.a, v.big, flag=ir.Constant(I1, 0))
        if ty == MAYBE_NP_INT and v.ty == NP_INT:
            return V(ty, self.b.sext(v.a, self.iw), NULL, flag=ir.Constant(I1, 1))
        if ty == OBJ or (is_list(ty) and v.ty == OBJ):
            return V(ty, self.box(v, line))
        if ty == FLOAT and v.ty in (INT, BOOL):
            return self.to_float(v, line)
        if ty == INT and v.ty == BOOL:
            return V(INT, self.b.zext(v.a, self.iw), NULL)
        raise Unsupported(f"internal: cannot use a {v.ty} as a {ty} at line {line}")

    # ----------------------------------------------------------------- generic slow paths
    def slow_binop(self, op: type, x: V, y: V, result_ty: str, line: int, inplace: bool = False) -> V:
        """CPython's operation on boxed operands; `inplace` for `x op= y` (lists extend in place,
        and errors name the augmented operator as CPython's do)."""
        if x.ty == FLOAT and y.ty == FLOAT and result_ty == FLOAT and self.gen.mod.tier == 1:
            return self._float_slow_call(op, x, y, line, inplace)
        with self.gen.holding(y):
            xo = self.box(x, line)
        with self.gen.holding(V(OBJ, xo)):
            yo = self.box(y, line)
        name = "PyNumber_Power" if op is ast.Pow else _PY_NUMBER[op]
        if inplace:
            name = name.replace("PyNumber_", "PyNumber_InPlace")
        if op is ast.Pow:
            r = self.call(name, xo, yo, self.gen.const_obj(None))
        else:
            r = self.call(name, xo, yo)
        self.xdecref(xo)
        self.xdecref(yo)
        self.check_null(r, line)
        return self.from_object(r, result_ty, line)

    def _float_slow_call(self, op: type, x: V, y: V, line: int, inplace: bool) -> V:
        """Tier 1's slow_binop of two floats with a float result: one call to the shared runtime
        (tj_float_binop), given the address of CPython's function for the operator."""
        b = self.b
        name = "PyNumber_Power" if op is ast.Pow else _PY_NUMBER[op]
        if inplace:
            name = name.replace("PyNumber_", "PyNumber_InPlace")
        number_fn = self.gen.mod.number_function(name)
        third = self.gen.const_obj(None) if op is ast.Pow else NULL
        r = b.call(self.gen.helper("float_binop"), [x.a, y.a, number_fn, third])
        self.gen.fail_if(b.extract_value(r, 1), line)
        return V(FLOAT, b.extract_value(r, 0))

    def to_float(self, v: V, line: int) -> V:
        """float(v) for an int, bool or float (consumes v)."""
        b = self.b
        if v.ty == FLOAT:
            return v
        if v.ty == BOOL:
            return V(FLOAT, b.uitofp(v.a, F64))
        # int: exact when it fits in 64 bits; otherwise PyLong_AsDouble (raises OverflowError as CPython)
        fast = self.int_fits64(v)
        if fast is TRUE:        # native by construction (a range's index, len(), a constant)
            return V(FLOAT, b.sitofp(b.trunc(v.a, I64), F64))
        with b.if_else(fast, likely=True) as (then, other):
            with then:
                native = b.sitofp(b.trunc(v.a, I64), F64), b.block
            with other:
                if self.gen.mod.tier == 1:      # one call to the shared runtime
                    r = b.call(self.gen.helper("float_of_int"), [v.a, v.big])
                    self.gen.fail_if(b.extract_value(r, 1), line)
                    slow = b.extract_value(r, 0), b.block
                else:
                    obj = self.box(V(INT, v.a, v.big), line)      # consumes v, as to_float does
                    d = self.call("PyLong_AsDouble", obj)
                    self.xdecref(obj)
                    with b.if_then(b.fcmp_ordered("==", d, ir.Constant(F64, -1.0)), likely=False):
                        self.gen.fail_if(b.icmp_unsigned("!=", self.call("PyErr_Occurred"), NULL), line)
                    slow = d, b.block
        return V(FLOAT, self.merge(F64, native, slow))

    def merge(self, ty: ir.Type, *arms: tuple[ir.Value, ir.Block]) -> ir.Value:
        """The value of whichever arm ran: a phi of (value, the block that went on with it). Made
        as a phi rather than stored in a slot and loaded: the same code once SROA has run, and
        a fifth fewer lines for every operation with a slow path to build and parse."""
        phi = self.b.phi(ty)
        for value, block in arms:
            phi.add_incoming(value, block)
        return phi

    def int_fits64(self, v: V, native: bool = False) -> ir.Value:
        """i1: v is an int in 64 bits; `native`: the caller tests `big` itself (see int_binop)."""
        b = self.b
        if isinstance(v.a, ir.Constant) and v.big is NULL:
            return TRUE if -(1 << 63) <= v.a.constant < (1 << 63) else ir.Constant(I1, 0)
        if self.iw.width == 64:       # a native value fits by construction
            return TRUE if v.big is NULL or native else b.icmp_unsigned("==", v.big, NULL)
        fits = b.icmp_signed("==", b.sext(b.trunc(v.a, I64), I128), v.a)
        return fits if v.big is NULL or native else b.and_(b.icmp_unsigned("==", v.big, NULL), fits)

    def is_small(self, *vs: V) -> ir.Value:
        """i1: every int is held natively (no `big` PyLong); true, with no instruction, for ints
        that are native by construction (a range's index, a constant, len())."""
        b = self.b
        cond: ir.Value = TRUE
        tested: list[ir.Value] = []
        for v in vs:
            if v.big is not NULL and not any(v.big is t for t in tested):
                tested.append(v.big)
                test = b.icmp_unsigned("==", v.big, NULL)
                cond = test if cond is TRUE else b.and_(cond, test)
        return cond

    # ----------------------------------------------------------------- arithmetic
    def binop(self, op: ast.operator, x: V, y: V, result_ty: str, line: int, inplace: bool = False) -> V:
        opt = type(op)
        if MAYBE_NP_INT in (x.ty, y.ty):
            return self.maybe_np_int_binop(op, x, y, result_ty, line, inplace)
        if MAYBE_NP_FLOAT in (x.ty, y.ty) and result_ty in (NP_FLOAT, MAYBE_NP_FLOAT):
            return self.maybe_np_binop(op, x, y, result_ty, line, inplace)
        if result_ty in (NP_FLOAT, NP_INT):
            return self.np_binop(op, x, y, result_ty, line, inplace)
        if result_ty == OBJ or is_list(result_ty) or OBJ in (x.ty, y.ty):
            r = self.slow_binop(opt, x, y, OBJ, line, inplace)
            return r if result_ty == OBJ else V(result_ty, r.a)
        if result_ty == BOOL:      # & | ^ on two bools
            fn = {ast.BitAnd: self.b.and_, ast.BitOr: self.b.or_, ast.BitXor: self.b.xor}[opt]
            return V(BOOL, fn(x.a, y.a))
        if result_ty == FLOAT and opt is ast.Div and x.ty in (INT, BOOL) and y.ty in (INT, BOOL):
            return self.int_truediv(self.coerce(x, INT, line), self.coerce(y, INT, line), line)
        if result_ty == FLOAT:
            return self.float_binop(opt, self.to_float(x, line), self.to_float(y, line), x, y, line)
        x, y = self.coerce(x, INT, line), self.coerce(y, INT, line)
        return self.int_binop(opt, x, y, op, line)

    # ----------------------------------------------------------------- numpy scalars
    def np_binop(self, op: ast.operator, x: V, y: V, result_ty: str, line: int, inplace: bool) -> V:
        """numpy's scalar arithmetic: native where numpy computes the plain IEEE/two's-complement
        result without a warning; numpy's own operation (boxed) for everything else: int64
        overflow (wraps, warns), a zero divisor (inf/nan/0, warns), `**`, shifts, Python ints
        past 64 bits (numpy's OverflowError)."""
        b = self.b
        opt = type(op)
        res = self.gen.entry_alloca(parts(result_ty, self.iw)[0])
        x_keep, y_keep = self.dup(x), self.dup(y)
        ok, fast = self._np_fast(opt, x, y, result_ty)
        with b.if_else(ok, likely=True) as (then, other):
            with then:
                b.store(fast, res)
                self.release(x_keep)
                self.release(y_keep)
            with other:
                b.store(self.slow_binop(opt, x_keep, y_keep, result_ty, line, inplace).a, res)
        return V(result_ty, b.load(res))

    def maybe_np_binop(self, op: ast.operator, x: V, y: V, result_ty: str, line: int, inplace: bool) -> V:
        """An operand that is a float or a numpy float64: numpy's rules if either side is numpy."""
        b = self.b
        flag = ir.Constant(I1, 0)
        for v in (x, y):
            if v.ty == MAYBE_NP_FLOAT:
                flag = b.or_(flag, v.big)
        if result_ty == NP_FLOAT:
            return self.np_binop(op, self.as_numpy(x), self.as_numpy(y), NP_FLOAT, line, inplace)
        res = self.gen.entry_alloca(F64)
        with b.if_else(flag) as (then, other):
            with then:
                b.store(self.np_binop(op, self.as_numpy(x), self.as_numpy(y), NP_FLOAT, line, inplace).a, res)
            with other:
                py = lambda v: V(FLOAT, v.a) if v.ty == MAYBE_NP_FLOAT else v     # noqa: E731
                b.store(self.binop(op, py(x), py(y), FLOAT, line, inplace).a, res)
        return V(MAYBE_NP_FLOAT, b.load(res), flag)

    def maybe_np_int_binop(self, op: ast.operator, x: V, y: V, result_ty: str, line: int, inplace: bool) -> V:
        """An operand that is an int or a numpy int64 (the typer allows one such operand)."""
        b = self.b
        plain = lambda v: V(INT, v.a, v.big) if v.ty == MAYBE_NP_INT else v     # noqa: E731
        if result_ty in (NP_INT, NP_FLOAT):
            # the other side is numpy: a Python int and a numpy int64 of the same value give the
            # same numpy result and warnings, so the operand goes as the Python int it equals
            return self.np_binop(op, plain(x), plain(y), result_ty, line, inplace)
        flag = x.flag if x.ty == MAYBE_NP_INT else y.flag
        np_ty, py_ty = (NP_FLOAT, FLOAT) if result_ty == MAYBE_NP_FLOAT else (NP_INT, INT)
        res = [self.gen.entry_alloca(t) for t in parts(result_ty, self.iw)[:-1]]
        with b.if_else(flag) as (then, other):
            with then:       # numpy's rules: the value fits in 64 bits
                as_np = lambda v: V(NP_INT, b.trunc(v.a, I64)) if v.ty == MAYBE_NP_INT else v   # noqa: E731
                r = self.np_binop(op, as_np(x), as_np(y), np_ty, line, inplace)
                if result_ty == MAYBE_NP_FLOAT:
                    b.store(r.a, res[0])
                else:
                    b.store(b.sext(r.a, self.iw), res[0])
                    b.store(NULL, res[1])
            with other:      # Python's (the other operand is a Python int, bool or float)
                r = self.binop(op, plain(x), plain(y), py_ty, line, inplace)
                b.store(r.a, res[0])
                if result_ty == MAYBE_NP_INT:
                    b.store(r.big, res[1])
        if result_ty == MAYBE_NP_FLOAT:
            return V(result_ty, b.load(res[0]), flag)
        return V(result_ty, b.load(res[0]), b.load(res[1]), flag=flag)

    def as_numpy(self, v: V) -> V:
        return V(NP_FLOAT, v.a) if v.ty == MAYBE_NP_FLOAT else v

    def _np_operand(self, v: V, as_float: bool) -> tuple[ir.Value, ir.Value]:
        """(fits, native value) of one operand as numpy sees it: float64 or int64 (consumes v)."""
        b = self.b
        true = ir.Constant(I1, 1)
        if v.ty in (FLOAT, NP_FLOAT, MAYBE_NP_FLOAT):
            return true, v.a
        if v.ty == BOOL:
            return true, (b.uitofp(v.a, F64) if as_float else b.zext(v.a, I64))
        if v.ty == NP_INT:
            return true, (b.sitofp(v.a, F64) if as_float else v.a)
        fits = self.int_fits64(v)           # a Python int: numpy converts it to int64/float64
        lo = b.trunc(v.a, I64)
        self.release(v)
        return fits, (b.sitofp(lo, F64) if as_float else lo)

    def _np_fast(self, opt: type, x: V, y: V, result_ty: str) -> tuple[ir.Value, ir.Value]:
        b = self.b
        as_float = result_ty == NP_FLOAT
        fx, a = self._np_operand(x, as_float)
        fy, c = self._np_operand(y, as_float)
        ok = b.and_(fx, fy)
        no = ir.Constant(I1, 0)
        if as_float:
            fn = {ast.Add: b.fadd, ast.Sub: b.fsub, ast.Mult: b.fmul, ast.Div: b.fdiv}.get(opt)
            if fn is None:
                return no, ir.Constant(F64, 0.0)     # // % ** : numpy's own
            r = fn(a, c)
            # numpy warns (overflow, invalid, divide by zero) exactly when a result is inf or NaN
            # (its default error state ignores underflow): those results are numpy's to make
            finite = b.fcmp_ordered("<", b.call(self.gen.intrinsic("llvm.fabs.f64"), [r]),
                                    ir.Constant(F64, float("inf")))
            return b.and_(ok, finite), r
        if opt in (ast.Add, ast.Sub, ast.Mult):
            name = {ast.Add: "llvm.sadd.with.overflow.i64", ast.Sub: "llvm.ssub.with.overflow.i64",
                    ast.Mult: "llvm.smul.with.overflow.i64"}[opt]
            pair = b.call(self.gen.intrinsic(name), [a, c])
            return b.and_(ok, b.not_(b.extract_value(pair, 1))), b.extract_value(pair, 0)
        if opt in (ast.BitAnd, ast.BitOr, ast.BitXor):
            fn = {ast.BitAnd: b.and_, ast.BitOr: b.or_, ast.BitXor: b.xor}[opt]
            return ok, fn(a, c)
        if opt in (ast.FloorDiv, ast.Mod):
            zero = ir.Constant(I64, 0)
            ok = b.and_(ok, b.icmp_signed("!=", c, zero))
            ok = b.and_(ok, b.not_(b.and_(b.icmp_signed("==", a, ir.Constant(I64, I64_MIN)),
                                          b.icmp_signed("==", c, ir.Constant(I64, -1)))))
            csafe = b.select(ok, c, ir.Constant(I64, 1))
            q, r = b.sdiv(a, csafe), b.srem(a, csafe)
            adjust = b.and_(b.icmp_signed("!=", r, zero), b.icmp_signed("<", b.xor(r, csafe), zero))
            if opt is ast.FloorDiv:
                return ok, b.select(adjust, b.sub(q, ir.Constant(I64, 1)), q)
            return ok, b.select(adjust, b.add(r, csafe), r)
        return no, ir.Constant(I64, 0)           # ** << >> : numpy's own

    def np_unary(self, op: ast.unaryop, v: V, line: int) -> V:
        b = self.b
        if isinstance(op, ast.UAdd):
            return v
        if v.ty == NP_FLOAT:
            return V(NP_FLOAT, b.fneg(v.a))
        if isinstance(op, ast.Invert):
            return V(NP_INT, b.xor(v.a, ir.Constant(I64, -1)))
        res = self.gen.entry_alloca(I64)
        with b.if_else(b.icmp_signed("==", v.a, ir.Constant(I64, I64_MIN)), likely=False) as (then, other):
            with then:     # -(-2**63) wraps with numpy's warning
                b.store(self.from_numpy(self._slow_unary("PyNumber_Negative", v, line).a, NP_INT, line).a, res)
            with other:
                b.store(b.sub(ir.Constant(I64, 0), v.a), res)
        return V(NP_INT, b.load(res))

    def np_compare(self, opt: type, x: V, y: V, line: int) -> V:
        """A comparison with a numpy scalar: numpy.bool; as doubles when either side is a float."""
        b = self.b
        as_float = NP_FLOAT in (x.ty, y.ty) or FLOAT in (x.ty, y.ty)
        keep_x, keep_y = self.dup(x), self.dup(y)
        fx, a = self._np_operand(x, as_float)
        fy, c = self._np_operand(y, as_float)
        res = self.gen.entry_alloca(I1)
        with b.if_else(b.and_(fx, fy), likely=True) as (then, other):
            with then:
                b.store(self._fcmp(opt, a, c) if as_float else b.icmp_signed(_ICMP[opt], a, c), res)
                self.release(keep_x)
                self.release(keep_y)
            with other:     # a Python int past 64 bits: numpy compares it itself
                xo, yo = self.box(keep_x, line), self.box(keep_y, line)
                r = self.call("PyObject_RichCompare", xo, yo, ir.Constant(I32, _CMP_OP[opt]))
                self.xdecref(xo)
                self.xdecref(yo)
                self.check_null(r, line)
                b.store(self.truth(V(OBJ, r), line), res)
        return V(NP_BOOL, b.load(res))

    def int_truediv(self, x: V, y: V, line: int) -> V:
        """int / int: doubles are exact below 2**53, so one division rounds correctly; else CPython."""
        b = self.b
        lim = ir.Constant(self.iw, 1 << 53)
        absf = self.gen.intrinsic(f"llvm.abs.i{self.iw.width}")
        exact = b.and_(self.is_small(x, y), b.and_(
            b.icmp_signed("<=", b.call(absf, [x.a, ir.Constant(I1, 0)]), lim),
            b.icmp_signed("<=", b.call(absf, [y.a, ir.Constant(I1, 0)]), lim)))
        exact = b.and_(exact, b.icmp_signed("!=", y.a, ir.Constant(self.iw, 0)))
        with b.if_else(exact, likely=True) as (then, other):
            with then:
                fast = b.fdiv(b.sitofp(b.trunc(x.a, I64), F64), b.sitofp(b.trunc(y.a, I64), F64)), b.block
            with other:
                slow = self.slow_binop(ast.Div, self.dup(V(INT, x.a, x.big)), self.dup(V(INT, y.a, y.big)),
                                       FLOAT, line).a, b.block
        result = self.merge(F64, fast, slow)
        self.release(x)
        self.release(y)
        return V(FLOAT, result)

    def float_binop(self, opt: type, x: V, y: V, ox: V, oy: V, line: int) -> V:
        b = self.b
        if opt is ast.Add:
            return V(FLOAT, b.fadd(x.a, y.a))
        if opt is ast.Sub:
            return V(FLOAT, b.fsub(x.a, y.a))
        if opt is ast.Mult:
            return V(FLOAT, b.fmul(x.a, y.a))
        if opt is ast.Pow and isinstance(getattr(self.gen.current, "right", None), ast.Constant) \
                and self.gen.current.right.value == 2:
            # x * x, except that CPython's `**` raises OverflowError where a finite x squares to inf
            square = b.fmul(x.a, x.a)
            fabs = self.gen.intrinsic("llvm.fabs.f64")
            inf = ir.Constant(F64, float("inf"))
            overflow = b.and_(b.fcmp_ordered("==", b.call(fabs, [square]), inf),
                              b.fcmp_ordered("<", b.call(fabs, [x.a]), inf))
            fast = square, b.block
            with b.if_then(overflow, likely=False):
                slow = self.slow_binop(ast.Pow, x, y, FLOAT, line).a, b.block
            return V(FLOAT, self.merge(F64, fast, slow))
        if opt is ast.Div:
            # the quotient is computed either way (IEEE division by zero does not trap) and kept
            # unless the divisor is zero, where CPython raises ZeroDivisionError with its message
            fast = b.fdiv(x.a, y.a), b.block
            zero = b.fcmp_ordered("==", y.a, ir.Constant(F64, 0.0))
            with b.if_then(zero, likely=False):
                slow = self.slow_binop(ast.Div, x, y, FLOAT, line).a, b.block
            return V(FLOAT, self.merge(F64, fast, slow))
        # // % ** on floats: CPython's own operation (exact floor rules, errors, special values).
        return self.slow_binop(opt, x, y, FLOAT, line)

    def int_binop(self, opt: type, x: V, y: V, op: ast.operator, line: int, replaces: V | None = None) -> V:
        """x op y for ints. `replaces`: the value the result will overwrite in its local, x read
        in place (`total += i`): its `big` part is released here, on the slow path once the
        result is made, the only path where it can hold a PyLong (the fast one runs on native
        operands only), so the store after needs no test and no blocks of its own."""
        folded = _fold_ints(opt, x, y)
        if folded is not None:
            return folded
        b = self.b
        # The fast result is computed whatever the operands hold (int_fast never traps), and used
        # when they are native and it is valid: one branch, no block of its own.
        r, ok = self.int_fast(opt, x, y)
        if r is None:
            result = self._int_slow(opt, x, y, line)[0]
            if replaces is not None:
                self.decref_big(replaces.big, cold=True)
            return result
        ok = _and(b, self.is_small(x, y), ok)
        if ok is TRUE:
            return V(INT, r, NULL)
        # two blocks: the slow path, which goes on to `done` or to the error exit, and `done`,
        # where a phi picks the result (slots in memory made the same code after SROA, with four
        # more lines per operation to build and parse)
        fn = self.gen.fn
        fast = b.block
        slow, done = fn.append_basic_block("int.slow"), fn.append_basic_block("int.done")
        b.cbranch(ok, done, slow).set_weights([99, 1])
        b.position_at_end(slow)
        if replaces is None:
            result, slow_end = self._int_slow(opt, x, y, line, done)
        else:
            result = self._int_slow(opt, x, y, line)[0]
            self.decref_big(replaces.big, cold=True)
            slow_end = b.block
            b.branch(done)
        b.position_at_end(done)
        lo, big = b.phi(self.iw), b.phi(PTR)
        lo.add_incoming(r, fast)
        lo.add_incoming(result.a, slow_end)
        big.add_incoming(NULL, fast)
        big.add_incoming(result.big, slow_end)
        # the fast path ran only on native operands: nothing of theirs to release there
        return V(INT, lo, big)

    def _int_slow(self, opt: type, x: V, y: V, line: int, done: ir.Block | None = None) -> tuple[V, ir.Block]:
        """CPython's own operation, in one shared helper per operator (keeps the IR small); then
        the operands are released, here, since only this path can find a PyLong among them.
        Returns the result and the block that goes on with it (on an error the helper returns 0
        and NULL, which nothing reads); with `done`, the error test branches there."""
        b = self.b
        slow = self.gen.mod.int_op_call(b, opt, [x.a, x.big, y.a, y.big])
        self.release(x, cold=True)
        self.release(y, cold=True)
        result = V(INT, b.extract_value(slow, 0), b.extract_value(slow, 1))
        end = b.block
        self.gen.fail_if(b.extract_value(slow, 2), line, go_on=done)
        return result, end

    def int_fast(self, opt: type, x: V, y: V) -> tuple[ir.Value | None, ir.Value]:
        """The native result of a small-int operation and whether it is valid (else: slow path),
        for operands held natively: the caller tests that (int_binop)."""
        b = self.b
        one = ir.Constant(I1, 1)
        bits = self.iw.width
        if opt in (ast.Add, ast.Sub) or (bits == 64 and opt is ast.Mult):
            name = {ast.Add: "sadd", ast.Sub: "ssub", ast.Mult: "smul"}[opt]
            pair = b.call(self.gen.intrinsic(f"llvm.{name}.with.overflow.i{bits}"), [x.a, y.a])
            return b.extract_value(pair, 0), b.not_(b.extract_value(pair, 1))
        xl = _low64(b, x.a)
        yl = xl if y.a is x.a else _low64(b, y.a)
        x_fits = self.int_fits64(x, native=True)
        y_fits = x_fits if y.a is x.a else self.int_fits64(y, native=True)
        fits = x_fits if y_fits is x_fits else _and(b, x_fits, y_fits)
        if opt is ast.Mult:
            xw = b.sext(xl, I128)
            return b.mul(xw, xw if yl is xl else b.sext(yl, I128)), fits
        if opt is ast.Pow:
            right = getattr(self.gen.current, "right", None)
            if isinstance(right, ast.Constant) and right.value == 2:
                if bits == 64:
                    pair = b.call(self.gen.intrinsic("llvm.smul.with.overflow.i64"), [x.a, x.a])
                    return b.extract_value(pair, 0), b.not_(b.extract_value(pair, 1))
                xw = b.sext(xl, I128)
                return b.mul(xw, xw), x_fits
            return None, one
        if opt in (ast.FloorDiv, ast.Mod):
            zero = ir.Constant(I64, 0)
            if isinstance(yl, ir.Constant) and yl.constant not in (0, -1):
                ok, ysafe = fits, yl               # `x // 2`, `x % 10`: most divisors are constants
            elif isinstance(yl, ir.Constant) and yl.constant == 0:
                return None, one                   # CPython's ZeroDivisionError, every time
            else:
                # the division runs whatever `ok` says: divide by 1 where it would trap (x / 0,
                # INT64_MIN / -1), which LLVM would otherwise take as a promise it never happens
                ok = b.and_(fits, b.icmp_signed("!=", yl, zero))
                ok = b.and_(ok, b.not_(b.and_(b.icmp_signed("==", xl, ir.Constant(I64, I64_MIN)),
                                              b.icmp_signed("==", yl, ir.Constant(I64, -1)))))
                ysafe = b.select(ok, yl, ir.Constant(I64, 1))
            q = b.sdiv(xl, ysafe)
            r = b.srem(xl, ysafe)
            # floor semantics: adjust when the remainder's sign differs from the divisor's
            if isinstance(ysafe, ir.Constant):
                adjust = b.icmp_signed("<" if ysafe.constant > 0 else ">", r, zero)
            else:
                adjust = b.and_(b.icmp_signed("!=", r, zero), b.icmp_signed("<", b.xor(r, ysafe), zero))
            if opt is ast.FloorDiv:
                res = b.select(adjust, b.sub(q, ir.Constant(I64, 1)), q)
            else:
                res = b.select(adjust, b.add(r, ysafe), r)
            return b.sext(res, self.iw), ok
        if opt in (ast.BitAnd, ast.BitOr, ast.BitXor):
            fn = {ast.BitAnd: b.and_, ast.BitOr: b.or_, ast.BitXor: b.xor}[opt]
            return fn(x.a, y.a), one
        if opt is ast.LShift:
            ok = b.and_(fits, b.and_(b.icmp_signed(">=", yl, ir.Constant(I64, 0)),
                                     b.icmp_signed("<", yl, ir.Constant(I64, 64))))
            sh = b.and_(yl, ir.Constant(I64, 63))
            if bits == 64:       # valid when shifting back gives x again (nothing shifted out)
                r = b.shl(x.a, sh)
                return r, b.and_(ok, b.icmp_signed("==", b.ashr(r, sh), x.a))
            return b.shl(b.sext(xl, I128), b.zext(sh, I128)), ok
        if opt is ast.RShift:
            ok = b.and_(y_fits, b.icmp_signed(">=", yl, ir.Constant(I64, 0)))
            most = ir.Constant(I64, bits - 1)
            sh = b.select(b.icmp_signed(">", yl, most), most, yl)
            return b.ashr(x.a, b.zext(sh, self.iw)), ok
        return None, one

    def unary(self, op: ast.unaryop, v: V, result_ty: str, line: int) -> V:
        b = self.b
        if isinstance(op, ast.Not):
            return V(BOOL, b.not_(self.truth(v, line)))
        if isinstance(op, ast.UAdd):
            return self.coerce(v, result_ty, line) if v.ty != OBJ else self._slow_unary("PyNumber_Positive", v, line)
        if v.ty == OBJ:
            name = "PyNumber_Negative" if isinstance(op, ast.USub) else "PyNumber_Invert"
            return self._slow_unary(name, v, line)
        if is_np_number(v.ty):
            return self.np_unary(op, v, line)
        if v.ty == MAYBE_NP_FLOAT:
            return V(MAYBE_NP_FLOAT, b.fneg(v.a), v.big)
        if v.ty == MAYBE_NP_INT:
            res = [self.gen.entry_alloca(t) for t in (self.iw, PTR)]
            with b.if_else(v.flag) as (then, other):
                with then:
                    r = self.np_unary(op, V(NP_INT, b.trunc(v.a, I64)), line)
                    b.store(b.sext(r.a, self.iw), res[0])
                    b.store(NULL, res[1])
                with other:
                    r = self.unary(op, V(INT, v.a, v.big), INT, line)
                    b.store(r.a, res[0])
                    b.store(r.big, res[1])
            return V(MAYBE_NP_INT, b.load(res[0]), b.load(res[1]), flag=v.flag)
        if v.ty == FLOAT:
            return V(FLOAT, b.fneg(v.a))
        v = self.coerce(v, INT, line)
        if isinstance(op, ast.Invert):
            return self.int_binop(ast.BitXor, v, V(INT, ir.Constant(self.iw, -1), NULL), op, line)
        return self.int_binop(ast.Sub, V(INT, ir.Constant(self.iw, 0), NULL), v, op, line)

    def _slow_unary(self, name: str, v: V, line: int) -> V:
        o = self.box(v, line)
        r = self.call(name, o)
        self.xdecref(o)
        return V(OBJ, self.check_null(r, line))

    # ----------------------------------------------------------------- truth and comparison
    def truth(self, v: V, line: int) -> ir.Value:
        """i1 truth value (consumes v)."""
        b = self.b
        if v.ty in (BOOL, NP_BOOL):
            return v.a
        if v.ty in (NP_FLOAT, MAYBE_NP_FLOAT):
            return b.fcmp_unordered("!=", v.a, ir.Constant(F64, 0.0))
        if v.ty == MAYBE_NP_INT:
            return self.truth(V(INT, v.a, v.big), line)
        if v.ty == NP_INT:
            return b.icmp_signed("!=", v.a, ir.Constant(I64, 0))
        if v.ty == NONE:
            return ir.Constant(I1, 0)
        if v.ty == FLOAT:
            return b.fcmp_unordered("!=", v.a, ir.Constant(F64, 0.0))
        if v.ty == INT:
            t = b.or_(b.icmp_unsigned("!=", v.big, NULL), b.icmp_signed("!=", v.a, ir.Constant(self.iw, 0)))
            self.release(v)
            return t
        r = self.call("PyObject_IsTrue", v.a)
        self.xdecref(v.a)
        self.gen.fail_if(b.icmp_signed("<", r, ir.Constant(I32, 0)), line)
        return b.icmp_signed(">", r, ir.Constant(I32, 0))

    def compare(self, op: ast.cmpop, x: V, y: V, line: int) -> V:
        """Compare two values (consumes both); BOOL unless an operand is an object (then OBJ)."""
        b = self.b
        opt = type(op)
        if opt in (ast.Is, ast.IsNot):
            if x.ty == OBJ:
                same = b.icmp_unsigned("==", x.a, self.gen.const_obj(None))
                self.release(x)
            else:
                same = ir.Constant(I1, int(x.ty == NONE))
                self.release(x)
            self.release(y)
            return V(BOOL, same if opt is ast.Is else b.not_(same))
        if OBJ in (x.ty, y.ty) or NONE in (x.ty, y.ty) or NP_BOOL in (x.ty, y.ty) or MAYBE_NP_FLOAT in (x.ty, y.ty) or MAYBE_NP_INT in (x.ty, y.ty) \
                or any(is_list(t) or is_array(t) for t in (x.ty, y.ty)):
            xo, yo = self.box(x, line), self.box(y, line)
            r = self.call("PyObject_RichCompare", xo, yo, ir.Constant(I32, _CMP_OP[opt]))
            self.xdecref(xo)
            self.xdecref(yo)
            return V(OBJ, self.check_null(r, line))
        if is_np_number(x.ty) or is_np_number(y.ty):
            return self.np_compare(opt, x, y, line)
        if FLOAT in (x.ty, y.ty):
            if x.ty == FLOAT and y.ty == FLOAT or BOOL in (x.ty, y.ty):
                xf, yf = self.to_float(x, line), self.to_float(y, line)
                return V(BOOL, self._fcmp(opt, xf.a, yf.a))
            return self._mixed_compare(opt, x, y, line)
        x, y = self.coerce(x, INT, line), self.coerce(y, INT, line)
        if all(isinstance(v.a, ir.Constant) and v.big is NULL for v in (x, y)):
            return V(BOOL, ir.Constant(I1, int(_PY_CMP[opt](int(x.a.constant), int(y.a.constant)))))
        native = b.icmp_signed(_ICMP[opt], x.a, y.a)
        small = self.is_small(x, y)
        if small is TRUE:
            # Native by construction, the comparison may decide a branch directly. At -O0 LLVM's
            # fast instruction selector folds a branch on `icmp sge %a, %a` (any predicate true for
            # equal operands, which SROA makes of `i >= i` or `j = i; i <= j`) into one that its
            # x86 flags pass cannot lower, and the process aborts ("Unlowered EFLAGS copy"):
            # freezing the result hides the compare from that fold. Tier 2 simplifies it first.
            return V(BOOL, _freeze(b, native) if self.gen.mod.tier == 1 else native)
        fast = native, b.block
        fn = self.gen.fn
        slow_block, done = fn.append_basic_block("cmp.slow"), fn.append_basic_block("cmp.done")
        b.cbranch(small, done, slow_block).set_weights([99, 1])
        b.position_at_end(slow_block)
        # CPython's own comparison, in one shared helper (keeps the IR small); only this path
        # can find a PyLong among the operands to release
        r = b.call(self.gen.helper("compare_ints"), [x.a, x.big, y.a, y.big, ir.Constant(I32, _CMP_OP[opt])])
        self.release(x, cold=True)
        self.release(y, cold=True)
        slow = b.icmp_signed(">", r, ir.Constant(I32, 0)), b.block
        self.gen.fail_if(b.icmp_signed("<", r, ir.Constant(I32, 0)), line, go_on=done)
        b.position_at_end(done)
        return V(BOOL, self.merge(I1, fast, slow))

    def _fcmp(self, opt: type, a: ir.Value, c: ir.Value) -> ir.Value:
        if opt is ast.NotEq:
            return self.b.fcmp_unordered("!=", a, c)
        return self.b.fcmp_ordered(_FCMP[opt], a, c)

    def _mixed_compare(self, opt: type, x: V, y: V, line: int) -> V:
        """int vs float compares exactly in Python; doubles are exact for |int| <= 2**53."""
        b = self.b
        iv = x if x.ty == INT else y
        absf = self.gen.intrinsic(f"llvm.abs.i{self.iw.width}")
        exact = b.and_(self.int_fits64(iv), b.icmp_signed("<=", b.call(absf, [iv.a, ir.Constant(I1, 0)]),
                                                          ir.Constant(self.iw, 1 << 53)))
        with b.if_else(exact, likely=True) as (then, other):
            with then:
                xf = x.a if x.ty == FLOAT else b.sitofp(b.trunc(x.a, I64), F64)
                yf = y.a if y.ty == FLOAT else b.sitofp(b.trunc(y.a, I64), F64)
                fast = self._fcmp(opt, xf, yf), b.block
            with other:
                slow = self._slow_compare_bool(opt, self.dup(x), self.dup(y), line), b.block
        result = self.merge(I1, fast, slow)
        self.release(x)
        self.release(y)
        return V(BOOL, result)

    def _slow_compare_bool(self, opt: type, x: V, y: V, line: int) -> ir.Value:
        xo, yo = self.box(x, line), self.box(y, line)
        r = self.call("PyObject_RichCompareBool", xo, yo, ir.Constant(I32, _CMP_OP[opt]))
        self.xdecref(xo)
        self.xdecref(yo)
        self.gen.fail_if(self.b.icmp_signed("<", r, ir.Constant(I32, 0)), line)
        return self.b.icmp_signed(">", r, ir.Constant(I32, 0))

    # ----------------------------------------------------------------- calls into Python
    def call_object(self, callable_ptr: ir.Value, args: list[V], result_ty: str, line: int,
                    kwargs: list[tuple[str, V]] = ()) -> V:
        b = self.b
        pending = list(args) + [v for _, v in kwargs]
        boxed: list[ir.Value] = []
        for i, a in enumerate(pending):       # boxing can fail: hold what is boxed and what is not
            with self.gen.holding(*(V(OBJ, p) for p in boxed), *pending[i + 1:]):
                boxed.append(self.box(a, line))
        arr = self.gen.entry_alloca(ir.ArrayType(PTR, max(1, len(boxed))))
        for i, p in enumerate(boxed):
            b.store(p, b.gep(arr, [ir.Constant(I32, 0), ir.Constant(I32, i)]))
        argv = b.bitcast(arr, PTR.as_pointer())
        kwnames = self.gen.const_obj(tuple(k for k, _ in kwargs)) if kwargs else NULL
        r = self.call("PyObject_Vectorcall", callable_ptr, argv, ir.Constant(I64, len(args)), kwnames)
        for p in boxed:
            self.xdecref(p)
        self.check_null(r, line)
        return self.from_object(r, result_ty, line) if result_ty != OBJ else V(OBJ, r)

    def call_python(self, pyfunc: object, args: list[V], result_ty: str, line: int) -> V:
        return self.call_object(self.gen.const_obj(pyfunc), args, result_ty, line)
