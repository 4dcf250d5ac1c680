"""Tier 2's own loop vectoriser for element-wise float64 array loops, exact to the last warning.

LLVM's loop vectoriser cannot help here: every item access keeps its checks (dtype, bounds) and
every numpy float operation that gives inf or NaN must go to numpy (its RuntimeWarning, its
`np.errstate`), so the loop has exits and calls a vectoriser must leave alone. This module
handles one common shape itself:

    for i in range(a, b):            # step 1
        out[i] = <expression>        # one statement

where the expression is made of `x[i]` reads of float64 arrays, loop-invariant float locals and
number constants, `+ - * /` and unary minus. At the start of each chunk (range_loop's inner run
of up to CHUNK iterations) one check decides whether the chunk can run four items at a time:
every array still one-dimensional float64 with contiguous items, the output writeable, all
indices of the chunk in range, and the output not overlapping any input unless it is the same
array (so reading four items before writing four reads what the scalar loop would). Each group
of four is computed and kept only if all four results are finite; otherwise nothing of that
group has been stored and the ordinary, checked loop takes over from its first item, so numpy
sees exactly the operations (and raises exactly the warnings) it would have seen.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from llvmlite import ir

from . import arrays
from .capi import F64, I32, I64, PTR
from .typer import ARR_FLOAT, FLOAT, INT, MAYBE_NP_FLOAT, NP_FLOAT

WIDTH = 4
_FLOAT_TYPES = (FLOAT, NP_FLOAT, MAYBE_NP_FLOAT)
_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)


@dataclass
class Plan:
    index: str                 # the loop variable
    out: str                   # the array written
    value: ast.expr            # the expression stored
    reads: list[str] = field(default_factory=list)       # arrays read as x[i]
    invariants: list[str] = field(default_factory=list)  # float locals read in the expression


def plan(gen, s: ast.For) -> Plan | None:
    """The vector plan for `s`, or None when the loop is not of the shape this module handles."""
    t = gen.t
    call = s.iter
    if len(call.args) == 3 and not (isinstance(call.args[2], ast.Constant) and call.args[2].value == 1):
        return None
    if len(s.body) != 1 or not isinstance(s.target, ast.Name) or arrays.layout() is None:
        return None
    stmt = s.body[0]
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Subscript)):
        return None
    target = stmt.targets[0]
    index = s.target.id
    if not _item_of(gen, target, index):
        return None
    p = Plan(index, target.value.id, stmt.value)
    if not _expression(gen, stmt.value, index, p) or t.type(stmt.value) not in _FLOAT_TYPES:
        return None
    return p


def _item_of(gen, node: ast.expr, index: str) -> bool:
    """`x[i]` with x a local float64 array that is always bound, i the loop variable."""
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and isinstance(node.slice, ast.Name) and node.slice.id == index
            and gen.t.locals.get(node.value.id) == ARR_FLOAT and node.value.id not in gen.bound)


def _expression(gen, node: ast.expr, index: str, p: Plan) -> bool:
    t = gen.t
    if isinstance(node, ast.BinOp):
        return (isinstance(node.op, _OPS) and t.type(node) in _FLOAT_TYPES
                and _expression(gen, node.left, index, p) and _expression(gen, node.right, index, p))
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and t.type(node) in _FLOAT_TYPES \
            and _expression(gen, node.operand, index, p)
    if isinstance(node, ast.Subscript):
        if _item_of(gen, node, index):
            p.reads.append(node.value.id)
            return True
        return False
    if isinstance(node, ast.Constant):
        v = node.value
        return type(v) is float or (type(v) is int and abs(v) <= 2**53)
    if isinstance(node, ast.Name) and node.id in t.locals:
        if node.id == index or t.locals[node.id] not in _FLOAT_TYPES or node.id in gen.bound:
            return False
        p.invariants.append(node.id)
        return True
    return False


def emit(gen, p: Plan, index: ir.Value, chunk_end: ir.Value, body: ir.Block, after: ir.Block) -> None:
    """At a chunk's start (builder in the chunk block): run groups of four while the chunk allows,
    then continue with the checked loop at `body` (items left) or `after` (chunk done)."""
    b = gen.b
    lay = arrays.layout()
    vec = ir.VectorType(F64, WIDTH)
    start = b.load(index)
    # Indices fit in 64 bits once they lie within an array's length; checked below.
    start64, end64 = b.trunc(start, I64), b.trunc(b.load(chunk_end), I64)
    names = [p.out] + sorted(set(p.reads) - {p.out})
    views: dict[str, tuple[ir.Value, ir.Value]] = {}
    ok = b.and_(b.icmp_signed(">=", start, ir.Constant(start.type, 0)),
                b.icmp_signed("<=", b.load(chunk_end), ir.Constant(start.type, 1 << 62)))
    from .entry import array_is
    for name in names:
        arr = b.load(gen.slots[name][0])
        ok = b.and_(ok, array_is(gen.mod, b, arr, ARR_FLOAT))
        n = gen.array_len(arr)
        stride = b.load(gen.array_field(arr, lay.strides, I64.as_pointer()))
        ok = b.and_(ok, b.and_(b.icmp_signed("==", stride, ir.Constant(I64, 8)), b.icmp_signed("<=", end64, n)))
        data = gen.array_field(arr, lay.data, PTR)
        views[name] = (data, n)
    flags = gen.array_field(b.load(gen.slots[p.out][0]), lay.flags, I32)
    ok = b.and_(ok, b.icmp_unsigned("!=", b.and_(flags, ir.Constant(I32, arrays.WRITEABLE)), ir.Constant(I32, 0)))
    out_lo = b.ptrtoint(views[p.out][0], I64)
    out_hi = b.add(out_lo, b.mul(views[p.out][1], ir.Constant(I64, 8)))
    for name in names[1:]:
        lo = b.ptrtoint(views[name][0], I64)
        hi = b.add(lo, b.mul(views[name][1], ir.Constant(I64, 8)))
        apart = b.or_(b.icmp_unsigned("<=", hi, out_lo), b.icmp_unsigned("<=", out_hi, lo))
        ok = b.and_(ok, b.or_(apart, b.icmp_unsigned("==", lo, out_lo)))
    splats = {}
    for name in set(p.invariants):
        v = gen.load_local(name)          # a float held unboxed: nothing to release
        splats[name] = _splat(b, v.a, vec)
    fn = gen.fn
    head, group, store, done = (fn.append_basic_block(f"vec.{x}") for x in ("head", "group", "store", "done"))
    j = gen.entry_alloca(I64)
    b.store(start64, j)
    b.cbranch(ok, head, body)
    b.position_at_end(head)
    at = b.load(j)
    b.cbranch(b.icmp_signed("<=", b.add(at, ir.Constant(I64, WIDTH)), end64), group, done)
    b.position_at_end(group)
    # every operation's result must be finite, not only the last: numpy warns at the operation
    results: list[ir.Value] = []
    values = _vector(gen, p.value, views, splats, at, vec, results)
    fabs = gen.mod.module.globals.get("llvm.fabs.v4f64") or ir.Function(
        gen.mod.module, ir.FunctionType(vec, [vec]), "llvm.fabs.v4f64")
    inf = ir.Constant(vec, [float("inf")] * WIDTH)
    finite = None
    for r in results or [values]:
        f = b.fcmp_ordered("<", b.call(fabs, [r]), inf)
        finite = f if finite is None else b.and_(finite, f)
    all_finite = b.extract_element(finite, ir.Constant(I32, 0))
    for lane in range(1, WIDTH):
        all_finite = b.and_(all_finite, b.extract_element(finite, ir.Constant(I32, lane)))
    b.cbranch(all_finite, store, done)
    b.position_at_end(store)
    b.store(values, _vector_pointer(b, views[p.out][0], at, vec), align=8)
    b.store(b.add(at, ir.Constant(I64, WIDTH)), j)
    b.branch(head)
    # The checked loop goes on from the first item not stored; the loop variable is bound as the
    # scalar loop would have left it if no item is left.
    b.position_at_end(done)
    at = b.load(j)
    b.store(b.sext(at, start.type), index)
    left = b.icmp_signed("<", at, end64)
    with b.if_then(b.and_(b.not_(left), b.icmp_signed(">", at, start64))):
        gen.store_local(p.index, _int(b.sub(b.sext(at, start.type), ir.Constant(start.type, 1))))
    b.cbranch(left, body, after)
    gen.mod.vector_loops += 1


def _int(value: ir.Value):
    from .values import NULL, V
    return V(INT, value, NULL)


def _splat(b: ir.IRBuilder, scalar: ir.Value, vec: ir.VectorType) -> ir.Value:
    v = ir.Constant(vec, ir.Undefined)
    for lane in range(WIDTH):
        v = b.insert_element(v, scalar, ir.Constant(I32, lane))
    return v


def _vector_pointer(b: ir.IRBuilder, data: ir.Value, at: ir.Value, vec: ir.VectorType) -> ir.Value:
    item = b.gep(b.bitcast(data, F64.as_pointer()), [at])
    return b.bitcast(item, vec.as_pointer())


def _vector(gen, node: ast.expr, views, splats, at: ir.Value, vec: ir.VectorType,
            results: list[ir.Value]) -> ir.Value:
    b = gen.b
    if isinstance(node, ast.BinOp):
        x = _vector(gen, node.left, views, splats, at, vec, results)
        y = _vector(gen, node.right, views, splats, at, vec, results)
        fn = {ast.Add: b.fadd, ast.Sub: b.fsub, ast.Mult: b.fmul, ast.Div: b.fdiv}[type(node.op)]
        results.append(fn(x, y))
        return results[-1]
    if isinstance(node, ast.UnaryOp):
        return b.fneg(_vector(gen, node.operand, views, splats, at, vec, results))
    if isinstance(node, ast.Subscript):
        return b.load(_vector_pointer(b, views[node.value.id][0], at, vec), align=8)
    if isinstance(node, ast.Constant):
        return ir.Constant(vec, [float(node.value)] * WIDTH)
    return splats[node.id]
