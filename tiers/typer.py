"""Type inference: the function's AST plus the argument types seen at tier 0 -> a typed function.

Owns the type lattice (int, float, bool, None, list[T], object) and the typing of every expression and
local. Where two types meet (a local that is sometimes int, sometimes float) the result is `object`:
boxed and run through the C-API, so exact, just slower. Globals are resolved now and guarded at entry.
"""
from __future__ import annotations

import ast
import builtins
import math
import types
import weakref
from dataclasses import dataclass, field
from typing import Any

from .frontend import Unsupported

INT, FLOAT, BOOL, NONE, OBJ, BOTTOM = "int", "float", "bool", "None", "object", "bottom"
LIST_INT, LIST_FLOAT, LIST_OBJ = "list[int]", "list[float]", "list[object]"
NUMERIC = (INT, FLOAT, BOOL)
# numpy (see arrays.py): 1-D float64/int64 arrays, and the scalars their items are. A numpy scalar
# follows numpy's rules, not Python's (int64 wraps with a warning, x/0 is inf), so it is a type of
# its own: native double/i64 on the fast paths, numpy's own operation on every other path.
ARR_FLOAT, ARR_INT = "ndarray[float64]", "ndarray[int64]"
NP_FLOAT, NP_INT, NP_BOOL = "np.float64", "np.int64", "np.bool"
NP_SCALARS = (NP_FLOAT, NP_INT)
# `s = 0.0; for ...: s += a[i] * b[i]` makes s a float, then a numpy float64: both are doubles,
# told apart by a flag, so such accumulators stay native instead of becoming objects.
MAYBE_NP_FLOAT = "float|np.float64"
# the same for ints: `t = 0; for x in int_array: t += x` (an int, then a numpy int64)
MAYBE_NP_INT = "int|np.int64"
# values held unboxed (no reference to count)
UNBOXED = (FLOAT, BOOL, NONE, NP_FLOAT, NP_INT, NP_BOOL, MAYBE_NP_FLOAT)   # not MAYBE_NP_INT: it holds a PyLong
_FLOATISH = (FLOAT, NP_FLOAT, MAYBE_NP_FLOAT)
_INTISH = (INT, NP_INT, MAYBE_NP_INT)


def is_list(t: str) -> bool:
    return t.startswith("list[")


def elem(t: str) -> str:
    return t[5:-1]


def is_array(t: str) -> bool:
    return t in (ARR_FLOAT, ARR_INT)


def array_item(t: str) -> str:
    return NP_FLOAT if t == ARR_FLOAT else NP_INT


def is_np_number(t: str) -> bool:
    return t in NP_SCALARS


def _np_result(op: ast.operator, a: str, b: str) -> str:
    """numpy 2's result type for a numpy scalar with a Python number or another numpy scalar."""
    if FLOAT in (a, b) or NP_FLOAT in (a, b) or isinstance(op, ast.Div):
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)):
            return OBJ      # numpy's TypeError, raised by numpy
        return NP_FLOAT
    return NP_INT


def join(a: str, b: str) -> str:
    if a == b or b == BOTTOM:
        return a
    if a == BOTTOM:
        return b
    if a in _FLOATISH and b in _FLOATISH:
        return MAYBE_NP_FLOAT
    if a in _INTISH and b in _INTISH:
        return MAYBE_NP_INT
    return OBJ


def type_of_value(value: Any) -> str:
    t = type(value)
    if t is bool:
        return BOOL
    if t is int:
        return INT
    if t is float:
        return FLOAT
    if value is None:
        return NONE
    if t is list:
        kinds = {type(v) for v in value}
        if kinds == {int}:
            return LIST_INT
        if kinds == {float}:
            return LIST_FLOAT
        return LIST_OBJ
    return OBJ


# Builtins the compiler knows natively: name -> the object it must still be at call time.
KNOWN_BUILTINS = {n: getattr(builtins, n) for n in
                  ("range", "len", "abs", "min", "max", "int", "float", "round", "divmod", "print", "bool")}
MATH_FLOAT_FNS = {"sqrt", "sin", "cos", "tan", "exp", "log", "fabs", "atan", "asin", "acos", "atan2",
                  "hypot", "pow", "log10", "log2", "tanh", "sinh", "cosh", "copysign", "fmod", "exp2" }
MATH_INT_FNS = {"floor", "ceil", "trunc", "gcd", "factorial", "isqrt", "comb"}
MATH_BOOL_FNS = {"isnan", "isinf", "isfinite"}


@dataclass(frozen=True)
class Global:
    """A module-level name the compiled code reads; checked at every entry (the guard)."""
    name: str
    value: Any
    kind: str          # "const", "jit", "math", "builtin", "callable", "object"
    in_builtins: bool


@dataclass
class Typing:
    """The typed IR of one function specialisation: types of params, locals and expressions."""
    func: types.FunctionType
    tree: ast.FunctionDef
    params: list[str]
    param_types: tuple[str, ...]
    locals: dict[str, str] = field(default_factory=dict)
    exprs: dict[int, str] = field(default_factory=dict)
    returns: str = BOTTOM
    globals: dict[str, Global] = field(default_factory=dict)
    callees: dict[int, "Typing"] = field(default_factory=dict)   # Call node id -> callee typing
    symbol: str = ""
    calls_unknown: bool = False
    # a typed list may be changed behind its typed view: a list not known to be typed (an object,
    # a list[object] not made here) had an item stored (Program, "boxed_lists")
    lists_escape: bool = False
    # lists made empty here (`name = []`): the items stored into each so far (`FunctionTyper.fresh_list`)
    fresh: dict[str, str] = field(default_factory=dict)
    maybe_unbound: set[str] = field(default_factory=set)   # locals read where they may be unassigned
    recursive: bool = False

    def type(self, node: ast.AST) -> str:
        return self.exprs[id(node)]


class Program:
    """All specialisations typed for one compile unit (the entry function and its JIT'd callees)."""

    def __init__(self, is_jit: Any, boxed_lists: bool = False, fresh_lists: bool = True) -> None:
        self.is_jit = is_jit                  # callable: function object -> its AST or None
        # When the code calls Python functions we cannot see into, any list may have any item
        # type after such a call: lists are then read as lists of objects. So too when a typed
        # list could be changed other than through its typed view (Typing.lists_escape).
        self.boxed_lists = boxed_lists
        # A list made empty (`xs = []`) gets the type of the items stored into it (see
        # FunctionTyper.fresh_list); off, it is a list[object].
        self.fresh_lists = fresh_lists and not boxed_lists
        self.typings: dict[tuple[int, tuple[str, ...]], Typing] = {}
        self._active: list[Typing] = []
        self.changed = False

    def typing(self, func: types.FunctionType, tree: ast.FunctionDef, arg_types: tuple[str, ...]) -> Typing:
        if self.boxed_lists:
            arg_types = tuple(LIST_OBJ if is_list(a) else a for a in arg_types)
        key = (id(func), arg_types)
        typing = self.typings.get(key)
        if typing is not None:
            if typing in self._active:
                for t in self._active[self._active.index(typing):]:
                    t.recursive = True
            return typing
        params = [a.arg for a in tree.args.posonlyargs + tree.args.args]
        if len(params) != len(arg_types):
            raise Unsupported(f"call of {tree.name} with {len(arg_types)} arguments (it takes {len(params)})")
        typing = Typing(func, tree, params, arg_types, symbol=f"{_ascii(tree.name)}_{len(self.typings)}")
        self.typings[key] = typing
        self._active.append(typing)
        try:
            for _ in range(20):          # fixpoint over locals, (recursive) return types, fresh lists
                before = (dict(typing.locals), typing.returns, dict(typing.fresh))
                FunctionTyper(self, typing).run()
                if (dict(typing.locals), typing.returns, dict(typing.fresh)) == before:
                    break
            else:
                raise Unsupported(f"types of {tree.name} did not settle")
            untyped = [name for name, item in typing.fresh.items() if item == BOTTOM]
            if untyped:
                raise Unsupported(f"the items stored into list '{untyped[0]}' have no type")
        finally:
            self._active.pop()
        if typing.returns == BOTTOM and not any(isinstance(n, ast.Return) for n in ast.walk(tree)):
            typing.returns = NONE       # it never returns (an endless loop): any type will do
        return typing


@dataclass(frozen=True)
class Shape:
    """What typing reads off a tree's shape alone (see _shape)."""
    assigned: frozenset[str]          # the names it assigns
    maybe_unbound: frozenset[str]     # locals that may be read unassigned
    returns_always: bool              # every path returns
    made_here: frozenset[str]         # locals only ever assigned a list display (`[...]`)
    fresh: frozenset[str]             # of those, the ones only ever assigned `[]`, with items stored


def _shape(tree: ast.FunctionDef, params: list[str]) -> Shape:
    """What typing reads off the tree's shape alone, worked out once per tree (types settle over
    several passes, and a tree is typed again for every compile)."""
    shape = _SHAPES.get(tree)
    if shape is None or shape[0] != params:
        stores = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        assigned = frozenset(n.id for n in stores)
        unbound: set[str] = set()
        check_assigned(tree.body, set(params), set(params) | assigned, None, unbound)
        displays = {id(a.targets[0]): a.value for a in ast.walk(tree) if isinstance(a, ast.Assign)
                    and len(a.targets) == 1 and isinstance(a.targets[0], ast.Name) and isinstance(a.value, ast.List)}
        made_here = set(assigned) - set(params)
        empty = set(made_here)
        for n in stores:
            if id(n) not in displays:
                made_here.discard(n.id)
                empty.discard(n.id)
            elif displays[id(n)].elts:
                empty.discard(n.id)
        fresh = frozenset(empty & _items_stored(tree))
        shape = _SHAPES[tree] = (list(params), Shape(assigned, frozenset(unbound), always_returns(tree.body),
                                                     frozenset(made_here), fresh))
    return shape[1]


def _items_stored(tree: ast.FunctionDef) -> set[str]:
    """The names `x` for which `x.append(...)`, `x[...] = ...` or `x[...] op= ...` appears in the tree."""
    names = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "append" \
                and isinstance(n.func.value, ast.Name):
            names.add(n.func.value.id)
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name):
            names.add(n.value.id)
    return names


def _ascii(name: str) -> str:
    """`name` as a machine-code symbol: llvmlite looks symbols up by ASCII name, and a Python
    identifier may be any letter (`café` becomes `cafu_e9`; the typing's number keeps it unique)."""
    return name if name.isascii() else "".join(c if c.isascii() else f"u_{ord(c):x}" for c in name)


# per tree, not on it: a copy of a tree (instrument.profiling_tree) must not inherit it
_SHAPES: "weakref.WeakKeyDictionary[ast.FunctionDef, tuple]" = weakref.WeakKeyDictionary()


def builtins_of(module_globals: dict) -> dict:
    """The builtins a function with these globals sees, as CPython finds them: the module's
    `__builtins__` (a module in `__main__`, its dict elsewhere), else the builtins module."""
    found = module_globals.get("__builtins__", builtins)
    return found.__dict__ if isinstance(found, types.ModuleType) else found


class FunctionTyper(ast.NodeVisitor):
    def __init__(self, program: Program, typing: Typing) -> None:
        self.p = program
        self.t = typing

    def run(self) -> None:
        t = self.t
        for name, ty in zip(t.params, t.param_types):
            t.locals[name] = join(t.locals.get(name, BOTTOM), ty)
        self.shape = shape = _shape(t.tree, t.params)
        for name in shape.assigned:
            t.locals.setdefault(name, BOTTOM)
        if self.p.fresh_lists:
            for name in shape.fresh:
                t.fresh.setdefault(name, BOTTOM)
        self.block(t.tree.body)
        t.maybe_unbound = set(shape.maybe_unbound)
        if not shape.returns_always:
            t.returns = join(t.returns, NONE)

    # ----------------------------------------------------------------- statements
    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        t = self.t
        if isinstance(s, ast.Return):
            t.returns = join(t.returns, self.expr(s.value) if s.value is not None else NONE)
        elif isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) \
                and s.targets[0].id in t.fresh:
            value = t.exprs[id(s.value)] = self.fresh_list(s.targets[0].id)
            self.assign(s.targets[0], value, s.value)
        elif isinstance(s, ast.Assign):
            value = self.expr(s.value)
            for target in s.targets:
                self.assign(target, value, s.value)
        elif isinstance(s, ast.AnnAssign):
            if s.value is None:
                raise Unsupported(f"annotation without a value at line {s.lineno} is not compiled")
            self.assign(s.target, self.expr(s.value), s.value)
        elif isinstance(s, ast.AugAssign):
            if isinstance(s.target, ast.Name):
                cur = t.locals.get(s.target.id, BOTTOM)
                if cur == BOTTOM:
                    raise Unsupported(f"'{s.target.id}' is read before it is assigned at line {s.lineno}")
                t.exprs[id(s)] = self.binop(s.op, cur, self.expr(s.value), s)   # the result's type
                self.assign(s.target, t.exprs[id(s)], None)
            elif isinstance(s.target, ast.Subscript):
                cont = self.expr(s.target.value)
                self.expr(s.target.slice)
                idx = t.type(s.target.slice)
                cur = elem(cont) if is_list(cont) else \
                    array_item(cont) if is_array(cont) and idx in (INT, NP_INT) else OBJ
                t.exprs[id(s)] = self.binop(s.op, cur, self.expr(s.value), s)
                self.store_item(cont, t.exprs[id(s)], s, s.target.value)
                t.exprs[id(s.target)] = cur
            else:
                raise Unsupported(f"augmented assignment to {type(s.target).__name__} at line {s.lineno}")
        elif isinstance(s, ast.For):
            self.for_loop(s)
        elif isinstance(s, ast.While):
            self.truth(s.test)
            self.block(s.body)
            self.block(s.orelse)
        elif isinstance(s, ast.If):
            self.truth(s.test)
            self.block(s.body)
            self.block(s.orelse)
        elif isinstance(s, ast.Expr):
            self.expr(s.value)
        elif isinstance(s, (ast.Pass, ast.Break, ast.Continue)):
            pass
        else:
            raise Unsupported(f"{type(s).__name__} at line {s.lineno} is not compiled")

    def for_loop(self, s: ast.For) -> None:
        it = s.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" \
                and getattr(self.resolve("range", it), "kind", None) == "builtin":    # not a global shadowing it
            if not 1 <= len(it.args) <= 3:
                raise Unsupported(f"range() with {len(it.args)} arguments at line {s.lineno}")
            for a in it.args:
                if self.runs_code(self.expr(a)) not in (INT, BOOL, OBJ):   # objects go through __index__ at run time
                    raise Unsupported(f"range() of a non-int at line {s.lineno} is not compiled")
            self.t.exprs[id(it)] = "range"
            item = INT
        else:
            cont = self.expr(it)
            if cont == OBJ:
                item = self.runs_code(OBJ)   # any iterable, through the iterator protocol
            elif cont == BOTTOM:
                item = BOTTOM                # a list made empty here, its items not typed yet
            elif is_list(cont):
                item = elem(cont)
            elif is_array(cont):
                item = array_item(cont)
            else:
                raise Unsupported(f"'for' over {cont} at line {s.lineno} is not compiled")
        if not isinstance(s.target, ast.Name):
            raise Unsupported(f"'for' target at line {s.lineno} must be a plain name")
        self.assign(s.target, item, None)
        self.block(s.body)
        self.block(s.orelse)

    def assign(self, target: ast.expr, value: str, value_node: ast.expr | None) -> None:
        t = self.t
        if isinstance(target, ast.Name):
            t.locals[target.id] = join(t.locals.get(target.id, BOTTOM), value)
            t.exprs[id(target)] = value
        elif isinstance(target, ast.Tuple):
            if isinstance(value_node, ast.Tuple) and len(value_node.elts) == len(target.elts):
                for sub, node in zip(target.elts, value_node.elts):
                    self.assign(sub, t.type(node), node)
            elif value == OBJ:
                self.runs_code(value)        # unpacked through the iterator protocol
                for sub in target.elts:
                    self.assign(sub, OBJ, None)
            else:
                raise Unsupported(f"unpacking a {value} at line {target.lineno} is not compiled")
        elif isinstance(target, ast.Subscript):
            cont = self.expr(target.value)
            self.expr(target.slice)
            self.store_item(cont, value, target, target.value)
        else:
            raise Unsupported(f"assignment to {type(target).__name__} at line {target.lineno} is not compiled")

    def fresh_list(self, name: str) -> str:
        """The type of `name = []` for a list this function makes empty and fills: a list of the
        items stored into it here (ints or floats), else of objects. BOTTOM until a store has
        been typed; the fixpoint runs again as it grows (Program.typing). A callee it is passed to
        is typed for that list and may store only such items (store_item); anything that could
        change it behind its typed view makes the program's lists boxed (Typing.lists_escape)."""
        item = self.t.fresh[name]
        return BOTTOM if item == BOTTOM else {INT: LIST_INT, FLOAT: LIST_FLOAT}.get(item, LIST_OBJ)

    def store_item(self, cont: str, value: str, node: ast.AST, holder: ast.expr | None = None) -> None:
        t = self.t
        if isinstance(holder, ast.Name) and holder.id in t.fresh:
            t.fresh[holder.id] = join(t.fresh[holder.id], value)
            if is_list(cont) and elem(cont) not in (OBJ, value):
                return        # typed again once the list's type settles
        if cont == BOTTOM:
            return            # a list made empty here, its items not typed yet
        if cont == OBJ or cont == LIST_OBJ and not (isinstance(holder, ast.Name) and holder.id in self.shape.made_here):
            # an item stored into a list that may be a typed one seen elsewhere under another name
            t.lists_escape = True
        if is_list(cont) and elem(cont) not in (OBJ, value) and isinstance(holder, ast.Name) \
                and holder.id in t.locals and holder.id not in t.params:
            # A list this function made itself: hold it as a plain object, handled by the C-API.
            t.locals[holder.id] = OBJ
            return
        if is_list(cont) and elem(cont) not in (OBJ, value):
            # Widening the list's element type would change what other readers see: not compiled.
            raise Unsupported(f"storing a {value} into a {cont} at line {node.lineno} is not compiled")
        if not is_list(cont) and not is_array(cont) and cont != OBJ:
            raise Unsupported(f"item assignment on {cont} at line {node.lineno} is not compiled")
        self.runs_code(cont)        # an object's __setitem__

    def truth(self, node: ast.expr) -> str:
        return self.runs_code(self.expr(node))      # an object's __bool__

    def runs_code(self, *values: str, items: bool = False) -> str:
        """An operation on an object (its __add__, __bool__, __iter__, __index__, __str__ ...),
        or with `items` one that reaches the items of a list[object] (`==`, `print`, `min`), may
        run any Python code, which may change any list it can reach, a list passed in to this
        function among them: like a call of a function we cannot see into (Typing.calls_unknown),
        it makes the program's lists boxed. A typed list seen under another type (an object, an
        item of a container) is only changed through such an operation or an item store into an
        object (store_item), so these two rules keep every typed view right. Returns the first
        value, for chaining."""
        if OBJ in values or items and LIST_OBJ in values:
            self.t.calls_unknown = True
        return values[0] if values else BOTTOM

    # ----------------------------------------------------------------- expressions
    def expr(self, node: ast.expr) -> str:
        ty = self._expr(node)
        self.t.exprs[id(node)] = ty
        return ty

    def _expr(self, node: ast.expr) -> str:
        t = self.t
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, (bool, int, float)) or v is None or isinstance(v, str):
                return type_of_value(v) if not isinstance(v, str) else OBJ
            raise Unsupported(f"constant {v!r} at line {node.lineno} is not compiled")
        if isinstance(node, ast.Name):
            if node.id in t.locals:
                ty = t.locals[node.id]
                return ty if ty != BOTTOM else BOTTOM
            g = self.resolve(node.id, node)
            if g is None:
                raise Unsupported(f"name '{node.id}' at line {node.lineno} is not defined")
            if g.kind == "const":
                return type_of_value(g.value)
            if g.kind in ("object", "callable", "builtin", "jit"):
                return OBJ
            raise Unsupported(f"'{node.id}' used as a value at line {node.lineno} is not compiled")
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left), self.expr(node.right), node)
        if isinstance(node, ast.UnaryOp):
            v = self.runs_code(self.expr(node.operand))
            if isinstance(node.op, ast.Not):
                return BOOL
            if v == OBJ or is_array(v) or v == NP_BOOL:
                return OBJ
            if is_np_number(v) or v in (MAYBE_NP_FLOAT, MAYBE_NP_INT):
                return OBJ if isinstance(node.op, ast.Invert) and v not in (NP_INT, MAYBE_NP_INT) else v
            if isinstance(node.op, ast.Invert):
                if v in (INT, BOOL):
                    return INT
                raise Unsupported(f"'~' on {v} at line {node.lineno}")
            if v == BOOL:
                return INT
            if v in (INT, FLOAT):
                return v
            raise Unsupported(f"unary operator on {v} at line {node.lineno} is not compiled")
        if isinstance(node, ast.BoolOp):
            result = BOTTOM
            for v in node.values:
                result = join(result, self.expr(v))
            return result
        if isinstance(node, ast.Compare):
            tys = [self.expr(node.left)] + [self.expr(c) for c in node.comparators]
            for op, c in zip(node.ops, node.comparators):
                if isinstance(op, (ast.Is, ast.IsNot)):
                    if not (isinstance(c, ast.Constant) and c.value is None):
                        raise Unsupported(f"'is' with something other than None at line {node.lineno}")
                elif isinstance(op, (ast.In, ast.NotIn)):
                    raise Unsupported(f"'in' at line {node.lineno} is not compiled")
            if not all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                self.runs_code(*tys, items=True)     # __eq__ of an object, or of a list's items
            if OBJ in tys or any(is_list(x) or is_array(x) for x in tys) or NONE in tys or NP_BOOL in tys \
                    or MAYBE_NP_FLOAT in tys or MAYBE_NP_INT in tys:
                if all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                    return BOOL
                return OBJ
            numpy_links = [is_np_number(x) or is_np_number(y) for x, y in zip(tys, tys[1:])]
            if all(numpy_links):
                return NP_BOOL        # each link gives numpy.bool, so does the chain
            return OBJ if any(numpy_links) else BOOL
        if isinstance(node, ast.IfExp):
            self.truth(node.test)
            return join(self.expr(node.body), self.expr(node.orelse))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id not in t.locals:
                g = self.resolve(node.value.id, node)
                if g is not None and g.kind == "math":
                    attr = getattr(math, node.attr, None)
                    if isinstance(attr, float):
                        return FLOAT
            raise Unsupported(f"attribute '{node.attr}' at line {node.lineno} is not compiled")
        if isinstance(node, ast.Subscript):
            cont = self.expr(node.value)
            idx = self.expr(node.slice)
            if is_list(cont) and idx in (INT, BOOL):
                return elem(cont)
            if cont == BOTTOM:
                return BOTTOM             # a list made empty here, its items not typed yet
            if is_array(cont) and idx in (INT, NP_INT):
                return array_item(cont)
            if is_array(cont):
                return OBJ            # a[True] is a 2-D view: numpy decides
            if cont == OBJ or idx == OBJ or is_list(cont):
                self.runs_code(cont, idx)
                return OBJ
            raise Unsupported(f"indexing a {cont} at line {node.lineno} is not compiled")
        if isinstance(node, ast.List):
            result = BOTTOM
            for e in node.elts:
                result = join(result, self.expr(e))
            if self.p.boxed_lists:
                return LIST_OBJ
            return {INT: LIST_INT, FLOAT: LIST_FLOAT}.get(result, LIST_OBJ) if result != BOTTOM else LIST_OBJ
        if isinstance(node, ast.Tuple):
            for e in node.elts:
                self.expr(e)
            return OBJ
        raise Unsupported(f"{type(node).__name__} at line {node.lineno} is not compiled")

    def binop(self, op: ast.operator, a: str, b: str, node: ast.AST) -> str:
        if a == BOTTOM or b == BOTTOM:
            return BOTTOM
        self.runs_code(a, b)         # an object's __add__ ...
        if OBJ in (a, b) or is_array(a) or is_array(b):
            return OBJ
        if NP_BOOL in (a, b):
            raise Unsupported(f"arithmetic on a numpy bool at line {node.lineno} is not compiled")
        if MAYBE_NP_INT in (a, b):
            other = b if a == MAYBE_NP_INT else a
            if isinstance(op, (ast.Pow, ast.MatMult, ast.LShift, ast.RShift)) \
                    or other not in (INT, BOOL, FLOAT, NP_INT, NP_FLOAT):
                return OBJ
            if is_np_number(other):
                return _np_result(op, NP_INT, other)
            if other == FLOAT or isinstance(op, ast.Div):
                bitwise = isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor))
                return OBJ if bitwise else MAYBE_NP_FLOAT
            return MAYBE_NP_INT
        if MAYBE_NP_FLOAT in (a, b):
            other = b if a == MAYBE_NP_FLOAT else a
            if isinstance(op, (ast.Pow, ast.MatMult, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)) \
                    or not (other in NUMERIC or other in _FLOATISH or other == NP_INT):
                return OBJ
            return NP_FLOAT if is_np_number(other) else MAYBE_NP_FLOAT
        if is_np_number(a) or is_np_number(b):
            if not all(x in NUMERIC or is_np_number(x) for x in (a, b)) or isinstance(op, ast.MatMult):
                return OBJ
            return _np_result(op, a, b)
        if is_list(a) or is_list(b):
            if isinstance(op, ast.Mult) and is_list(a) and b in (INT, BOOL):
                return a
            if isinstance(op, ast.Add) and a == b:
                return a
            raise Unsupported(f"{type(op).__name__} on lists at line {node.lineno} is not compiled")
        if NONE in (a, b):
            raise Unsupported(f"arithmetic on None at line {node.lineno} is not compiled")
        if isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor)):
            if a == b == BOOL:
                return BOOL
            if a in (INT, BOOL) and b in (INT, BOOL):
                return INT
            raise Unsupported(f"bitwise operator on float at line {node.lineno}")
        if isinstance(op, (ast.LShift, ast.RShift)):
            if a in (INT, BOOL) and b in (INT, BOOL):
                return INT
            raise Unsupported(f"shift of a float at line {node.lineno}")
        if isinstance(op, ast.MatMult):
            raise Unsupported(f"'@' at line {node.lineno} is not compiled")
        if isinstance(op, ast.Div):
            return FLOAT
        if isinstance(op, ast.Pow):
            right = getattr(node, "right", None)
            const = right.value if isinstance(right, ast.Constant) and type(right.value) is int else None
            if a in (INT, BOOL) and b in (INT, BOOL):
                return INT if const is not None and const >= 0 else OBJ   # 2 ** -1 is a float
            if b in (INT, BOOL) and const is not None:
                return FLOAT
            return OBJ    # (-8.0) ** (1/3) is a complex number
        if FLOAT in (a, b):
            return FLOAT
        return INT

    def call(self, node: ast.Call) -> str:
        t = self.t
        args = [self.expr(a) for a in node.args]
        for k in node.keywords:
            self.expr(k.value)
        f = node.func
        if node.keywords:
            # Keyword arguments are passed through the C-API, so only to Python callables.
            g = self.resolve(f.id, node) if isinstance(f, ast.Name) and f.id not in t.locals else None
            if g is None or not (g.kind == "callable" or (g.kind == "builtin" and f.id == "print")):
                raise Unsupported(f"keyword arguments in the call at line {node.lineno} are not compiled")
            if g.kind == "callable":
                t.calls_unknown = True
                return OBJ
            return NONE
        if isinstance(f, ast.Attribute):
            if isinstance(f.value, ast.Name) and f.value.id in t.locals:
                cont = t.locals[f.value.id]
                if f.attr == "append" and len(args) == 1:
                    self.expr(f.value)
                    if is_list(cont) or cont == BOTTOM:
                        self.store_item(cont, args[0], node, f.value)
                        return NONE
                    if cont == OBJ:
                        self.store_item(cont, args[0], node, f.value)
                        return NONE        # called as a method through the C-API
                raise Unsupported(f"method '{f.attr}' at line {node.lineno} is not compiled")
            if isinstance(f.value, ast.Name):
                g = self.resolve(f.value.id, node)
                if g is not None and g.kind == "math":
                    if any(a not in NUMERIC and not is_np_number(a) and a != MAYBE_NP_FLOAT for a in args):
                        self.runs_code(*args)
                        return OBJ
                    if f.attr in MATH_FLOAT_FNS:
                        return FLOAT
                    if f.attr in MATH_INT_FNS:
                        return INT
                    if f.attr in MATH_BOOL_FNS:
                        return BOOL
                    raise Unsupported(f"math.{f.attr} at line {node.lineno} is not compiled")
            raise Unsupported(f"call of an attribute at line {node.lineno} is not compiled")
        if not isinstance(f, ast.Name) or f.id in t.locals:
            raise Unsupported(f"call of a computed value at line {node.lineno} is not compiled")
        g = self.resolve(f.id, node)
        if g is None:
            raise Unsupported(f"name '{f.id}' at line {node.lineno} is not defined")
        if g.kind == "jit":
            if BOTTOM in args:
                return BOTTOM
            callee_tree = self.p.is_jit(g.value)
            callee = self.p.typing(g.value, callee_tree, tuple(args))
            t.callees[id(node)] = callee
            return callee.returns
        if g.kind == "builtin":
            if f.id == "print":     # str() of a constant (a message) runs no code of the user's
                self.runs_code(*(ty for ty, a in zip(args, node.args) if not isinstance(a, ast.Constant)), items=True)
            elif f.id != "len" or OBJ in args:
                self.runs_code(*args, items=True)    # min, max ... compare a list's items
            return self.builtin(f.id, args, node)
        t.calls_unknown = True
        return OBJ

    def builtin(self, name: str, args: list[str], node: ast.Call) -> str:
        n = len(args)
        if BOTTOM in args:
            return BOTTOM
        if name == "print":
            return NONE
        if name == "len" and n == 1:
            return INT if is_list(args[0]) or is_array(args[0]) or args[0] == OBJ else _bad(name, args, node)
        if OBJ in args or any(is_list(a) or is_array(a) for a in args) or NP_BOOL in args:
            return OBJ
        if MAYBE_NP_FLOAT in args or MAYBE_NP_INT in args:
            return {"float": FLOAT, "int": INT, "bool": BOOL}.get(name, OBJ) if n == 1 else OBJ
        if any(is_np_number(a) for a in args):
            return self.numpy_builtin(name, args, node)
        if name == "abs" and n == 1:
            return INT if args[0] in (INT, BOOL) else FLOAT
        if name in ("min", "max") and n >= 2:
            first = INT if args[0] == BOOL else args[0]
            return first if all((INT if a == BOOL else a) == first for a in args) else OBJ
        if name == "int" and n == 1:
            return INT
        if name == "float" and n == 1:
            return FLOAT
        if name == "bool" and n == 1:
            return BOOL
        if name == "round" and n == 1:
            return INT
        if name == "round" and n == 2:
            return FLOAT if args[0] == FLOAT else INT
        if name == "divmod" and n == 2:
            return OBJ
        return _bad(name, args, node)

    def numpy_builtin(self, name: str, args: list[str], node: ast.Call) -> str:
        """Builtins on numpy scalars: the ones with native code; the rest go through the C-API."""
        n = len(args)
        if name == "abs" and n == 1:
            return args[0]
        if name in ("min", "max") and n >= 2:
            return args[0] if all(a == args[0] for a in args) else OBJ
        if name in ("int", "round") and n == 1:
            return INT
        if name == "float" and n == 1:
            return FLOAT
        if name == "bool" and n == 1:
            return BOOL
        return OBJ

    def resolve(self, name: str, node: ast.AST) -> Global | None:
        t = self.t
        if name in t.globals:
            return t.globals[name]
        gl = t.func.__globals__
        if name in gl:
            value, in_builtins = gl[name], False
        else:
            bdict = builtins_of(gl)
            if name not in bdict:
                return None
            value, in_builtins = bdict[name], True
        if value is math:
            kind = "math"
        elif in_builtins and KNOWN_BUILTINS.get(name) is value:
            kind = "builtin"
        elif isinstance(value, types.FunctionType) and self.p.is_jit(value) is not None:
            kind = "jit"
        elif type(value) in (int, float, bool) or value is None:
            kind = "const"
        elif callable(value):
            kind = "callable"
        else:
            kind = "object"
        g = Global(name, value, kind, in_builtins)
        t.globals[name] = g
        return g


def _bad(name: str, args: list[str], node: ast.AST) -> str:
    raise Unsupported(f"{name}() of ({', '.join(args)}) at line {node.lineno} is not compiled")


def always_returns(stmts: list[ast.stmt]) -> bool:
    for s in stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.If) and always_returns(s.body) and always_returns(s.orelse):
            return True
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and s.test.value is True \
                and not any(isinstance(n, ast.Break) for n in ast.walk(s)):
            return True
    return False


def check_assigned(stmts: list[ast.stmt], assigned: set[str], local_names: set[str],
                   breaks: list[set[str]] | None = None, unbound: set[str] | None = None) -> set[str]:
    """Find locals that may be read before assignment: their reads get a runtime check that raises
    CPython's UnboundLocalError (recorded in `unbound`; with `unbound=None` such code is refused)."""
    def reads(node: ast.AST) -> None:
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in local_names \
                    and n.id not in assigned:
                if unbound is None:
                    raise Unsupported(f"'{n.id}' may be unassigned when read at line {n.lineno}")
                unbound.add(n.id)

    def targets(node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}

    for s in stmts:
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            if s.value is not None:
                reads(s.value)
            for t in (s.targets if isinstance(s, ast.Assign) else [s.target]):
                if not isinstance(t, ast.Name):
                    reads(t)
                assigned = assigned | targets(t)
        elif isinstance(s, ast.AugAssign):
            reads(s.target if isinstance(s.target, ast.Name) else s.target)
            reads(s.value)
        elif isinstance(s, ast.If):
            reads(s.test)
            a = check_assigned(s.body, set(assigned), local_names, breaks, unbound)
            b = check_assigned(s.orelse, set(assigned), local_names, breaks, unbound)
            assigned = assigned | (a & b)
        elif isinstance(s, (ast.For, ast.While)):
            reads(s.iter if isinstance(s, ast.For) else s.test)
            inner = set(assigned) | (targets(s.target) if isinstance(s, ast.For) else set())
            loop_breaks: list[set[str]] = []
            check_assigned(s.body, inner, local_names, loop_breaks, unbound)
            # after the loop: every way out (the else branch, each break) assigned these
            exits = [check_assigned(s.orelse, set(assigned), local_names, breaks, unbound)] + loop_breaks
            assigned = assigned | set.intersection(*exits)
        elif isinstance(s, ast.Break):
            if breaks is not None:
                breaks.append(set(assigned))
        else:
            reads(s)
    return assigned


def assigned_at(stmts: list[ast.stmt], target: ast.stmt, assigned: set[str],
                local_names: set[str], through_loops: bool = False) -> set[str] | None:
    """The locals certainly bound when `target` (reached through plain blocks and `if`s, and with
    `through_loops` through loops too) starts; None if `target` is not reached that way. In a
    loop's body this is what the first pass has bound (later passes only add to it)."""
    for s in stmts:
        if s is target:
            return assigned
        blocks: list[tuple[list[ast.stmt], set[str]]] = []
        if isinstance(s, ast.If):
            blocks = [(s.body, assigned), (s.orelse, assigned)]
        elif through_loops and isinstance(s, ast.For):
            target_names = {n.id for n in ast.walk(s.target) if isinstance(n, ast.Name)}
            blocks = [(s.body, assigned | target_names), (s.orelse, assigned)]
        elif through_loops and isinstance(s, ast.While):
            blocks = [(s.body, assigned), (s.orelse, assigned)]
        for block, names in blocks:
            found = assigned_at(block, target, set(names), local_names, through_loops)
            if found is not None:
                return found
        assigned = check_assigned([s], assigned, local_names, None, set())
    return None
