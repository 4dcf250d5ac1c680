"""Lowering of calls: JIT'd callees (direct native calls), builtins, `math`, list methods, any other callable.

Native fast paths exist where the result is the same as CPython's for every input we let through;
everything else (rounding to n digits, math functions with domain errors, print) calls the real
Python object through the C-API, so the answer and the error are CPython's own.
"""
from __future__ import annotations

import ast
import builtins
import math

from llvmlite import ir

from . import capi
from .capi import F64, I32, I64
from .frontend import Unsupported
from .typer import (BOOL, FLOAT, INT, MAYBE_NP_FLOAT, MAYBE_NP_INT, NONE, NP_FLOAT, NP_INT, OBJ, is_array, is_list,
                    is_np_number, elem)
from .values import NULL, V, pack, parts, unpack


def call(gen, node: ast.Call, ty: str) -> V:
    t = gen.t
    f = node.func
    line = node.lineno
    if isinstance(f, ast.Attribute):
        if isinstance(f.value, ast.Name) and f.value.id in t.locals:      # xs.append(v)
            lst, v = gen.evaluate([f.value, node.args[0]])
            if not is_list(lst.ty):       # an object: look the method up, as CPython would
                meth = gen.ops.call("PyObject_GetAttr", lst.a, gen.const_obj(f.attr))
                gen.ops.release(lst)
                with gen.holding(v):
                    gen.ops.check_null(meth, line)
                r = gen.ops.call_object(meth, [v], NONE, line)
                gen.ops.xdecref(meth)
                return r
            if is_list(lst.ty):
                v = gen.ops.coerce(v, elem(lst.ty), line)
            o = gen.ops.box(v, line)
            r = gen.ops.call("PyList_Append", lst.a, o)
            gen.ops.xdecref(o)
            gen.ops.release(lst)
            gen.fail_if(gen.b.icmp_signed("<", r, ir.Constant(I32, 0)), line)
            return V(NONE)
        return math_call(gen, node, f.attr, ty)
    g = t.globals[f.id]
    read = gen.expr
    if g.kind == "jit" and not node.keywords:
        # an int, list or array local passed where the callee takes the same type is read in
        # place: the callee borrows its arguments, and nothing can rebind the local during the
        # call (a list passed was an incref before the call and a decref after, each a call)
        callee = t.callees[id(node)]
        ints = {id(a) for a, pty in zip(node.args, callee.param_types) if pty == INT and t.type(a) == INT}
        containers = {id(a) for a, pty in zip(node.args, callee.param_types)
                      if (is_list(pty) or is_array(pty)) and t.type(a) == pty}
        read = lambda a: (gen.operand(a) if id(a) in ints        # noqa: E731
                          else gen.container(a) if id(a) in containers else gen.expr(a))
    values = gen.evaluate(node.args + [k.value for k in node.keywords], read)
    args = values[:len(node.args)]
    if node.keywords:
        kwargs = [(k.arg, v) for k, v in zip(node.keywords, values[len(node.args):])]
        return gen.ops.call_object(gen.const_obj(g.value), args, ty, line, kwargs)
    if g.kind == "jit":
        return native_call(gen, node, args)
    if g.kind == "builtin":
        return builtin_call(gen, f.id, args, ty, line)
    # the unit keeps the callable alive (const_obj): the call borrows it, as for the others
    return gen.ops.call_object(gen.const_obj(g.value), args, ty, line)


def native_call(gen, node: ast.Call, args: list[V]) -> V:
    callee = gen.t.callees[id(node)]
    b = gen.b
    ret = gen.entry_alloca(ir.LiteralStructType(parts(callee.returns, gen.iw) or [ir.IntType(8)]))
    passed = [gen.ops.coerce(a, pty, node.lineno) for a, pty in zip(args, callee.param_types)]
    status = gen.mod.call_native(b, callee, [ret] + [x for v in passed for x in unpack(v)] + [gen.fn.args[-1]])
    # arguments are borrowed by the callee: release our temporaries (not what we read in place)
    for v in passed:
        gen.ops.release(v)
    gen.fail_if(b.icmp_signed("!=", status, ir.Constant(I32, 0)), node.lineno)
    values = [b.load(b.gep(ret, [ir.Constant(I32, 0), ir.Constant(I32, i)]))
              for i in range(len(parts(callee.returns, gen.iw)))]
    return pack(callee.returns, values)


def builtin_call(gen, name: str, args: list[V], ty: str, line: int) -> V:
    ops, b = gen.ops, gen.b
    n = len(args)
    if name == "print" or OBJ in (a.ty for a in args) and name != "len":
        return ops.call_python(getattr(builtins, name), args, ty, line)
    if ty != OBJ:       # float(), int(), bool() of a float-or-numpy-float: the same on both
        args = [ops.as_python(a) if a.ty in (MAYBE_NP_FLOAT, MAYBE_NP_INT) else a for a in args]
    if any(is_np_number(a.ty) for a in args) and ty != OBJ:
        return numpy_builtin_call(gen, name, args, ty, line)
    if name == "len":
        a = args[0]
        if is_array(a.ty):
            size = gen.array_len(a.a)
            ops.release(a)
            return V(INT, b.sext(size, gen.iw), NULL)
        if is_list(a.ty):
            size = capi.list_size(b, a.a)
            ops.release(a)
            return V(INT, b.sext(size, gen.iw), NULL)
        o = ops.box(a, line)
        size = ops.call("PyObject_Size", o)
        ops.xdecref(o)
        gen.fail_if(b.icmp_signed("<", size, ir.Constant(I64, 0)), line)
        return V(INT, b.sext(size, gen.iw), NULL)
    if name == "abs" and ty == FLOAT:
        return V(FLOAT, b.call(gen.intrinsic("llvm.fabs.f64"), [args[0].a]))
    if name == "abs" and ty == INT:
        x = ops.coerce(args[0], INT, line)
        neg = b.icmp_signed("<", x.a, ir.Constant(gen.iw, 0))
        small = ops.is_small(x)
        res = [gen.entry_alloca(p) for p in parts(INT, gen.iw)]
        with b.if_else(b.and_(small, neg)) as (then, other):
            with then:
                r = ops.int_binop(ast.Sub, V(INT, ir.Constant(gen.iw, 0), NULL), ops.dup(x), ast.Sub(), line)
                b.store(r.a, res[0]); b.store(r.big, res[1])
            with other:
                with b.if_else(small) as (s_then, s_other):
                    with s_then:
                        b.store(x.a, res[0]); b.store(NULL, res[1])
                    with s_other:
                        r = ops.call_python(abs, [ops.dup(x)], INT, line)
                        b.store(r.a, res[0]); b.store(r.big, res[1])
        ops.release(x)
        return V(INT, b.load(res[0]), b.load(res[1]))
    if name in ("min", "max") and ty == OBJ:
        return ops.call_python(getattr(builtins, name), args, ty, line)
    if name in ("min", "max"):
        # Python keeps the first of equal items: max replaces only on '>', min only on '<'.
        op = ast.Gt() if name == "max" else ast.Lt()
        res = [gen.entry_alloca(p) for p in parts(ty, gen.iw)]
        first = ops.coerce(args[0], ty, line)
        for s, v in zip(res, unpack(first)):
            b.store(v, s)
        for a in args[1:]:
            a = ops.coerce(a, ty, line)
            cur = pack(ty, [b.load(s) for s in res])
            better = ops.compare(op, ops.dup(V(a.ty, a.a, a.big)), ops.dup(V(cur.ty, cur.a, cur.big)), line).a
            with b.if_else(better) as (then, other):
                with then:
                    ops.release(cur)
                    for s, v in zip(res, unpack(a)):
                        b.store(v, s)
                with other:
                    ops.release(a)
        return pack(ty, [b.load(s) for s in res])
    if name == "float":
        return ops.to_float(args[0], line)
    if name == "bool":
        return V(BOOL, ops.truth(args[0], line))
    if name == "int":
        a = args[0]
        if a.ty in (INT, BOOL):
            return ops.coerce(a, INT, line)
        return float_to_int(gen, a.a, lambda: ops.call_python(int, [V(FLOAT, a.a)], INT, line))
    if name == "round" and n == 1:
        a = args[0]
        if a.ty in (INT, BOOL):
            return ops.coerce(a, INT, line)
        r = b.call(gen.intrinsic("llvm.roundeven.f64"), [a.a])
        return float_to_int(gen, r, lambda: ops.call_python(round, [V(FLOAT, a.a)], INT, line))
    return ops.call_python(getattr(builtins, name), args, ty, line)


def numpy_builtin_call(gen, name: str, args: list[V], ty: str, line: int) -> V:
    """abs, min, max, int, float, bool, round of numpy scalars (the typer let only these through
    natively): numpy computes these like Python on the same value, except abs(-2**63) (wraps, warns)."""
    ops, b = gen.ops, gen.b
    if name == "abs" and ty == NP_FLOAT:
        return V(NP_FLOAT, b.call(gen.intrinsic("llvm.fabs.f64"), [args[0].a]))
    if name == "abs":
        x = args[0]
        res = gen.entry_alloca(I64)
        with b.if_else(b.icmp_signed("==", x.a, ir.Constant(I64, -(1 << 63))), likely=False) as (then, other):
            with then:
                b.store(ops.call_python(abs, [x], NP_INT, line).a, res)
            with other:
                b.store(b.select(b.icmp_signed("<", x.a, ir.Constant(I64, 0)), b.neg(x.a), x.a), res)
        return V(NP_INT, b.load(res))
    if name in ("min", "max"):
        # the same comparisons on the same values: compute on the Python twin, keep numpy's type
        r = builtin_call(gen, name, [ops.as_python(a) for a in args], FLOAT if ty == NP_FLOAT else INT, line)
        return V(NP_FLOAT, r.a) if ty == NP_FLOAT else V(NP_INT, b.trunc(r.a, I64))
    return builtin_call(gen, name, [ops.as_python(a) for a in args], ty, line)


def float_to_int(gen, d: ir.Value, slow) -> V:
    """A double with no fractional part -> int; natively when it fits, else CPython (inf/nan errors)."""
    b = gen.b
    t = b.call(gen.intrinsic("llvm.trunc.f64"), [d])
    ok = b.and_(b.fcmp_ordered(">=", t, ir.Constant(F64, -9.2e18)), b.fcmp_ordered("<=", t, ir.Constant(F64, 9.2e18)))
    res = [gen.entry_alloca(p) for p in parts(INT, gen.iw)]
    with b.if_else(ok, likely=True) as (then, other):
        with then:
            b.store(b.sext(b.fptosi(t, I64), gen.iw), res[0])
            b.store(NULL, res[1])
        with other:
            r = slow()
            b.store(r.a, res[0])
            b.store(r.big, res[1])
    return V(INT, b.load(res[0]), b.load(res[1]))


def math_call(gen, node: ast.Call, attr: str, ty: str) -> V:
    ops, b = gen.ops, gen.b
    line = node.lineno
    # math reads a numpy float64 as the float it is; a numpy int64 goes to math as itself
    # (math.floor(np.int64(2**63 - 1)) passes through a float, math.trunc of one raises)
    args = gen.evaluate(node.args)
    args = [gen.ops.as_python(a) if a.ty in (NP_FLOAT, MAYBE_NP_FLOAT) else a for a in args]
    pyfn = getattr(math, attr, None)
    if pyfn is None:
        raise Unsupported(f"math.{attr} at line {line} does not exist")
    if attr in ("sqrt", "fabs", "floor", "ceil", "isnan", "isinf", "isfinite") and len(args) == 1 \
            and args[0].ty in (INT, FLOAT, BOOL) and (attr in ("sqrt", "fabs") or args[0].ty == FLOAT):
        x = ops.to_float(args[0], line).a
        if attr == "fabs":
            return V(FLOAT, b.call(gen.intrinsic("llvm.fabs.f64"), [x]))
        if attr == "isnan":
            return V(BOOL, b.fcmp_unordered("uno", x, x))
        if attr in ("isinf", "isfinite"):
            finite = b.fcmp_ordered("<", b.call(gen.intrinsic("llvm.fabs.f64"), [x]), ir.Constant(F64, float("inf")))
            if attr == "isfinite":
                return V(BOOL, finite)
            return V(BOOL, b.fcmp_ordered("==", b.call(gen.intrinsic("llvm.fabs.f64"), [x]),
                                          ir.Constant(F64, float("inf"))))
        if attr == "sqrt":
            res = gen.entry_alloca(F64)
            neg = b.fcmp_ordered("<", x, ir.Constant(F64, 0.0))
            with b.if_else(neg, likely=False) as (then, other):
                with then:     # math.sqrt raises ValueError("math domain error") itself
                    b.store(ops.call_python(math.sqrt, [V(FLOAT, x)], FLOAT, line).a, res)
                with other:
                    b.store(b.call(gen.intrinsic("llvm.sqrt.f64"), [x]), res)
            return V(FLOAT, b.load(res))
        r = b.call(gen.intrinsic("llvm.floor.f64" if attr == "floor" else "llvm.ceil.f64"), [x])
        return float_to_int(gen, r, lambda: ops.call_python(pyfn, [V(FLOAT, x)], INT, line))
    return ops.call_python(pyfn, args, ty, line)
