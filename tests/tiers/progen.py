"""Random well-typed programs in tierjit's supported subset, as hypothesis strategies.

A program is two functions, a helper `g` and an entry `f` that may call it, over int and
float parameters and locals, with arithmetic (including // % ** and shifts), comparisons,
if/elif/else, for-range loops with varying steps, while loops with a bounded counter,
break/continue, loop else, lists built, read and written, `math` calls and printing.
It is rendered to source text, so the same text runs on CPython and under the JIT.

Rules that keep every program fast, terminating and well-typed:
- every local is assigned once before the body and keeps its type (int, float, or a list
  of one of them); loop variables are only read inside their loop;
- a range loop runs at most ~15 times (bounds in [-3, 12], steps of 1..3 either way), a
  while loop increments its counter first (so `continue` cannot skip it) and stops at 10;
  loops nest at most two deep in `f` and one deep in `g`; `g` never calls anything;
- values can grow past 2**63 but not explode: `*` has one "small" operand (a constant, a
  loop variable, `e % C`, `len(xs)`), `**` takes a small base and a constant exponent,
  `<<` a constant count; so bit lengths grow linearly with the iterations;
- a list is never appended to while a `for x in` loop walks it;
- now and then a range loop runs far out (from 2**63 - 6, 2**64, 2**127 - 6 or 2**200 on, still
  a few times): its body first makes the small loop variable the others see (`i = far - OFFSET`).
Errors are allowed (ZeroDivisionError, IndexError, ValueError, OverflowError from math or
int(inf), ...): the JIT must raise the same. Choices are drawn so that hypothesis shrinks
toward the first option of each (a leaf, a plain assignment), giving small failing programs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

INT, FLOAT = "int", "float"
LIST_INT, LIST_FLOAT = "list_int", "list_float"
ELEMENT = {LIST_INT: INT, LIST_FLOAT: FLOAT}

INT_CONSTANTS = [0, 1, 2, 3, -1, 7, 10, 100, -5, 12345, 2**31, 2**62, 2**63 - 1, -2**63,
                 10**20]
FLOAT_CONSTANTS = ["0.0", "1.0", "0.5", "-2.25", "3.0", "1e-3", "-0.0", "1e10", "math.pi",
                   "1e300", "math.inf"]
SMALL_MODULI = [2, 3, 5, 7, 10, 13]
# A "far" range loop counts from one of these plus a small bound: past (or across) the 64-bit
# counter of tier 1 and the 128-bit counter of tier 2, where compiled code hands the rest of the
# call to the interpreter, from inside whatever loops surround it (osr.RangeFallback).
FAR_OFFSETS = [2**63 - 6, 2**64, 2**127 - 6, 2**200]
NONZERO_DIVISORS = [2, 3, -3, 7, 10, -1]


@dataclass(frozen=True)
class Program:
    source: str
    entry: str
    params: tuple[str, ...]  # the entry function's parameter types, INT or FLOAT
    helper_params: tuple[str, ...] = ()   # the helper g's, likewise


@dataclass
class _Scope:
    """What a statement may read and write at one point of a function body."""
    variables: dict[str, str]            # assignable locals and parameters -> type
    small: list[str] = field(default_factory=list)       # bounded ints (loop vars, counters)
    readonly: dict[str, str] = field(default_factory=dict)  # `for x in xs` elements
    walking: frozenset[str] = frozenset()  # lists being iterated: no appends
    loop_depth: int = 0

    def inner(self, **changes) -> "_Scope":
        scope = _Scope(dict(self.variables), list(self.small), dict(self.readonly),
                       self.walking, self.loop_depth)
        for key, value in changes.items():
            setattr(scope, key, value)
        return scope

    def of_type(self, kind: str, assignable_only: bool = False) -> list[str]:
        names = [n for n, t in self.variables.items() if t == kind]
        if not assignable_only:
            names += [n for n, t in self.readonly.items() if t == kind]
        return names


class _Builder:
    """Draws one program; every choice goes through `draw` so hypothesis can shrink it."""

    def __init__(self, draw):
        self.draw = draw
        self.counter = 0
        self.helper: tuple[str, tuple[str, ...], str] | None = None  # name, params, result
        self.in_entry = False
        self.budget = 0

    # --- choices -----------------------------------------------------------------

    def pick(self, options: list[tuple[str, int]]) -> str:
        """A weighted choice; shrinks toward the first option."""
        options = [(name, weight) for name, weight in options if weight > 0]
        total = sum(weight for _, weight in options)
        ticket = self.draw(st.integers(0, total - 1))
        for name, weight in options:
            if ticket < weight:
                return name
            ticket -= weight
        raise AssertionError("unreachable")

    def index(self, items: list):
        return items[self.draw(st.integers(0, len(items) - 1))]

    def chance(self, percent: int) -> bool:
        """True with the given probability; shrinks toward False (the plainer program)."""
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # --- expressions -------------------------------------------------------------

    def expr(self, kind: str, scope: _Scope, depth: int) -> str:
        return self.int_expr(scope, depth) if kind == INT else self.float_expr(scope, depth)

    def int_leaf(self, scope: _Scope) -> str:
        names = scope.of_type(INT) + scope.small
        if names and self.chance(75):
            return self.index(names)
        return str(self.index(INT_CONSTANTS))

    def small_int(self, scope: _Scope, depth: int) -> str:
        """An int expression bounded by a small constant whatever the variables hold."""
        lists = scope.of_type(LIST_INT) + scope.of_type(LIST_FLOAT)
        choice = self.pick([("const", 3), ("loopvar", 3 if scope.small else 0),
                            ("mod", 2), ("len", 1 if lists else 0)])
        if choice == "const":
            return str(self.draw(st.integers(-3, 12)))
        if choice == "loopvar":
            return self.index(scope.small)
        if choice == "len":
            return f"len({self.index(lists)})"
        return f"({self.int_expr(scope, depth - 1)} % {self.index(SMALL_MODULI)})"

    def int_expr(self, scope: _Scope, depth: int) -> str:
        if depth <= 0:
            return self.int_leaf(scope)
        d = depth - 1
        int_lists = scope.of_type(LIST_INT)
        calls_int = self.in_entry and self.helper is not None and self.helper[2] == INT
        kind = self.pick([
            ("leaf", 4), ("add", 3), ("sub", 2), ("mul", 3), ("floordiv", 2), ("mod", 2),
            ("pow", 1), ("unary", 2), ("minmax", 1), ("bits", 1), ("shift", 1),
            ("from_float", 2), ("index", 2 if int_lists else 0), ("cond", 1),
            ("andor", 1), ("call", 2 if calls_int else 0), ("divmod", 1),
        ])
        if kind == "leaf":
            return self.int_leaf(scope)
        if kind in ("add", "sub"):
            op = "+" if kind == "add" else "-"
            return f"({self.int_expr(scope, d)} {op} {self.int_expr(scope, d)})"
        if kind == "mul":
            return f"({self.int_expr(scope, d)} * {self.small_int(scope, d)})"
        if kind in ("floordiv", "mod"):
            op = "//" if kind == "floordiv" else "%"
            return f"({self.int_expr(scope, d)} {op} {self.divisor(scope, d)})"
        if kind == "pow":
            return f"({self.small_int(scope, d)} ** {self.draw(st.integers(0, 4))})"
        if kind == "unary":
            form = self.index(["-{}", "abs({})", "~{}", "+{}"])
            return "(" + form.format(self.int_expr(scope, d)) + ")"
        if kind == "minmax":
            fn = self.index(["min", "max"])
            return f"{fn}({self.int_expr(scope, d)}, {self.int_expr(scope, d)})"
        if kind == "bits":
            op = self.index(["&", "|", "^"])
            return f"({self.int_expr(scope, d)} {op} {self.int_expr(scope, d)})"
        if kind == "shift":
            if self.chance(50):
                return f"({self.int_expr(scope, d)} >> {self.draw(st.integers(0, 70))})"
            count = -1 if self.chance(5) else self.draw(st.integers(0, 12))
            return f"({self.int_expr(scope, d)} << {count})"
        if kind == "from_float":
            form = self.index(["int({})", "round({})", "math.floor({})", "math.ceil({})"])
            return form.format(self.float_expr(scope, d))
        if kind == "index":
            return self.list_item(self.index(int_lists), scope, d)
        if kind == "cond":
            return (f"({self.int_expr(scope, d)} if {self.bool_expr(scope, d)} "
                    f"else {self.int_expr(scope, d)})")
        if kind == "andor":
            op = self.index(["and", "or"])
            return f"({self.int_expr(scope, d)} {op} {self.int_expr(scope, d)})"
        if kind == "call":
            return self.helper_call(scope, d)
        return f"divmod({self.int_expr(scope, d)}, {self.divisor(scope, d)})[{self.index([0, 1])}]"

    def divisor(self, scope: _Scope, depth: int) -> str:
        # Mostly a nonzero constant, so that most programs get past their divisions.
        if self.chance(30):
            return self.int_expr(scope, depth)
        return str(self.index(NONZERO_DIVISORS))

    def list_item(self, name: str, scope: _Scope, depth: int) -> str:
        # Lists start non-empty and never shrink, so `% len(xs)` is always in range;
        # a raw index (IndexError when out of range) is the rarer choice.
        if self.chance(20):
            return f"{name}[{self.small_int(scope, depth)}]"
        return f"{name}[{self.int_expr(scope, depth)} % len({name})]"

    def helper_call(self, scope: _Scope, depth: int) -> str:
        name, params, _ = self.helper
        args = ", ".join(self.expr(kind, scope, depth) for kind in params)
        return f"{name}({args})"

    def float_leaf(self, scope: _Scope) -> str:
        names = scope.of_type(FLOAT)
        if names and self.chance(75):
            return self.index(names)
        return self.index(FLOAT_CONSTANTS)

    def float_expr(self, scope: _Scope, depth: int) -> str:
        if depth <= 0:
            return self.float_leaf(scope)
        d = depth - 1
        float_lists = scope.of_type(LIST_FLOAT)
        calls_float = self.in_entry and self.helper is not None and self.helper[2] == FLOAT
        kind = self.pick([
            ("leaf", 4), ("arith", 4), ("mixed", 2), ("truediv", 1), ("floordiv", 1),
            ("unary", 2), ("minmax", 1), ("from_int", 1), ("math", 3), ("round", 1),
            ("pow", 1), ("negpow", 1), ("index", 2 if float_lists else 0), ("cond", 1),
            ("call", 2 if calls_float else 0),
        ])
        if kind == "leaf":
            return self.float_leaf(scope)
        if kind == "arith":
            op = self.index(["+", "-", "*", "/", "%"])
            return f"({self.float_expr(scope, d)} {op} {self.float_expr(scope, d)})"
        if kind == "mixed":
            op = self.index(["+", "-", "*"])
            left, right = self.float_expr(scope, d), self.int_expr(scope, d)
            return f"({left} {op} {right})" if self.chance(50) else f"({right} {op} {left})"
        if kind == "truediv":
            return f"({self.int_expr(scope, d)} / {self.divisor(scope, d)})"
        if kind == "floordiv":
            return f"({self.float_expr(scope, d)} // {self.float_expr(scope, d)})"
        if kind == "unary":
            form = self.index(["-{}", "abs({})", "math.fabs({})"])
            return "(" + form.format(self.float_expr(scope, d)) + ")"
        if kind == "minmax":
            fn = self.index(["min", "max"])
            return f"{fn}({self.float_expr(scope, d)}, {self.float_expr(scope, d)})"
        if kind == "from_int":
            return f"float({self.int_expr(scope, d)})"
        if kind == "math":
            # The raw forms (domain and range errors) are the rarer ones.
            form = self.pick([("math.sqrt(abs({}))", 3), ("math.sin({})", 2),
                              ("math.exp({} % 50.0)", 2), ("math.log(abs({}) + 1.0)", 3),
                              ("math.sqrt({})", 1), ("math.exp({})", 1), ("math.log({})", 1)])
            return form.format(self.float_expr(scope, d))
        if kind == "round":
            return f"round({self.float_expr(scope, d)}, {self.draw(st.integers(0, 3))})"
        if kind == "pow":
            if self.chance(50):
                return f"(abs({self.float_expr(scope, d)}) ** 0.5)"
            return f"({self.float_expr(scope, d)} ** {self.draw(st.integers(-2, 3))})"
        if kind == "negpow":  # int ** negative int is a float (0 ** -k raises)
            base = self.small_int(scope, d) if self.chance(20) else self.index(["2", "3", "-2", "10"])
            return f"({base} ** {self.draw(st.integers(-3, -1))})"
        if kind == "index":
            return self.list_item(self.index(float_lists), scope, d)
        if kind == "cond":
            return (f"({self.float_expr(scope, d)} if {self.bool_expr(scope, d)} "
                    f"else {self.float_expr(scope, d)})")
        return self.helper_call(scope, d)

    def bool_expr(self, scope: _Scope, depth: int) -> str:
        d = max(depth - 1, 0)
        kind = self.pick([("cmp_int", 4), ("cmp_float", 2), ("cmp_mixed", 1), ("chain", 1),
                          ("not", 1), ("andor", 1), ("isnan", 1)])
        ops = ["<", "<=", "==", "!=", ">", ">="]
        if kind == "cmp_int":
            return f"{self.int_expr(scope, d)} {self.index(ops)} {self.int_expr(scope, d)}"
        if kind == "cmp_float":
            return f"{self.float_expr(scope, d)} {self.index(ops)} {self.float_expr(scope, d)}"
        if kind == "cmp_mixed":
            return f"{self.int_expr(scope, d)} {self.index(ops)} {self.float_expr(scope, d)}"
        if kind == "chain":
            a, b, c = (self.int_expr(scope, d) for _ in range(3))
            return f"{a} {self.index(ops)} {b} {self.index(ops)} {c}"
        if kind == "not":
            return f"not ({self.bool_expr(scope, d)})"
        if kind == "andor":
            op = self.index(["and", "or"])
            return f"({self.bool_expr(scope, d)}) {op} ({self.bool_expr(scope, d)})"
        return f"math.isnan({self.float_expr(scope, d)})"

    # --- statements --------------------------------------------------------------

    def block(self, scope: _Scope, indent: int, max_statements: int) -> list[str]:
        lines: list[str] = []
        count = self.draw(st.integers(1, max_statements))
        for _ in range(count):
            if self.budget <= 0:
                break
            self.budget -= 1
            lines += self.statement(scope, indent)
        return lines or ["    " * indent + "pass"]

    def statement(self, scope: _Scope, indent: int) -> list[str]:
        pad = "    " * indent
        ints = scope.of_type(INT, assignable_only=True)
        floats = scope.of_type(FLOAT, assignable_only=True)
        lists = scope.of_type(LIST_INT) + scope.of_type(LIST_FLOAT)
        appendable = [n for n in lists if n not in scope.walking]
        nest_limit = 2 if self.in_entry else 1
        can_nest = scope.loop_depth < nest_limit
        kind = self.pick([
            ("assign", 5), ("augassign", 4), ("if", 3),
            ("for", 3 if can_nest else 0), ("while", 2 if can_nest else 0),
            ("forlist", 1 if can_nest and lists else 0),
            ("append", 2 if appendable else 0), ("setitem", 2 if lists else 0),
            ("print", 1), ("swap", 1 if len(ints) >= 2 or len(floats) >= 2 else 0),
            ("divmod", 1 if len(ints) >= 2 else 0),
            ("jump", 2 if scope.loop_depth else 0),
            ("return", 1 if self.in_entry else 0),
        ])
        if kind == "assign":
            name, vtype = self.index(list(scope.variables.items()))
            if vtype in ELEMENT:  # rebinding a list would change its length rules
                return [f"{pad}{name}[{self.small_int(scope, 1)} % len({name})] = "
                        f"{self.expr(ELEMENT[vtype], scope, 2)}"]
            return [f"{pad}{name} = {self.expr(vtype, scope, 3)}"]
        if kind == "augassign":
            scalars = ints + floats
            name = self.index(scalars)
            if name in ints:
                op = self.pick([("+=", 4), ("-=", 3), ("*=", 2), ("//=", 1), ("%=", 1),
                                ("^=", 1), ("|=", 1), ("&=", 1)])
                if op == "*=":
                    return [f"{pad}{name} *= {self.small_int(scope, 1)}"]
                if op in ("//=", "%="):
                    return [f"{pad}{name} {op} {self.divisor(scope, 1)}"]
                return [f"{pad}{name} {op} {self.int_expr(scope, 2)}"]
            op = self.index(["+=", "-=", "*=", "/="])
            return [f"{pad}{name} {op} {self.float_expr(scope, 2)}"]
        if kind == "if":
            lines = [f"{pad}if {self.bool_expr(scope, 2)}:"]
            lines += self.block(scope, indent + 1, 3)
            for _ in range(self.draw(st.integers(0, 2))):
                lines.append(f"{pad}elif {self.bool_expr(scope, 2)}:")
                lines += self.block(scope, indent + 1, 2)
            if self.chance(50):
                lines.append(f"{pad}else:")
                lines += self.block(scope, indent + 1, 2)
            return lines
        if kind == "for":
            var = self.fresh("i")
            if self.chance(10):
                offset = self.index(FAR_OFFSETS)
                far = self.fresh("far")
                lines = [f"{pad}for {far} in {self.range_call(scope, offset)}:",
                         f"{pad}    {var} = {far} - {offset}"]
            else:
                lines = [f"{pad}for {var} in {self.range_call(scope)}:"]
            inner = scope.inner(small=scope.small + [var], loop_depth=scope.loop_depth + 1)
            lines += self.block(inner, indent + 1, 4)
            if self.chance(20):
                lines.append(f"{pad}else:")
                lines += self.block(scope, indent + 1, 1)
            return lines
        if kind == "while":
            counter = self.fresh("w")
            limit = self.draw(st.integers(0, 10))
            condition = f"{counter} < {limit}"
            if self.chance(30):
                condition += f" and ({self.bool_expr(scope, 1)})"
            inner = scope.inner(small=scope.small + [counter], loop_depth=scope.loop_depth + 1)
            lines = [f"{pad}{counter} = 0", f"{pad}while {condition}:",
                     f"{pad}    {counter} += 1"]
            lines += self.block(inner, indent + 1, 4)
            if self.chance(20):
                lines.append(f"{pad}else:")
                lines += self.block(scope, indent + 1, 1)
            return lines
        if kind == "forlist":
            name = self.index(lists)
            var = self.fresh("e")
            inner = scope.inner(readonly={**scope.readonly, var: ELEMENT[scope.variables[name]]},
                                walking=scope.walking | {name},
                                loop_depth=scope.loop_depth + 1)
            return [f"{pad}for {var} in {name}:"] + self.block(inner, indent + 1, 3)
        if kind == "append":
            name = self.index(appendable)
            return [f"{pad}{name}.append({self.expr(ELEMENT[scope.variables[name]], scope, 2)})"]
        if kind == "setitem":
            name = self.index(lists)
            value = self.expr(ELEMENT[scope.variables[name]], scope, 2)
            return [f"{pad}{self.list_item(name, scope, 1)} = {value}"]
        if kind == "print":
            names = list(scope.variables) + scope.small + list(scope.readonly)
            count = self.draw(st.integers(1, min(3, len(names))))
            return [f"{pad}print({', '.join(self.index(names) for _ in range(count))})"]
        if kind == "swap":
            group = ints if len(ints) >= 2 else floats
            a = self.index(group)
            b = self.index([n for n in group if n != a])
            return [f"{pad}{a}, {b} = {b}, {a}"]
        if kind == "divmod":
            a = self.index(ints)
            b = self.index([n for n in ints if n != a])
            return [f"{pad}{a}, {b} = divmod({self.int_expr(scope, 2)}, {self.divisor(scope, 1)})"]
        if kind == "jump":
            return [f"{pad}if {self.bool_expr(scope, 1)}:",
                    f"{pad}    {self.index(['break', 'continue'])}"]
        return [f"{pad}if {self.bool_expr(scope, 1)}:", f"{pad}    {self.entry_return}"]

    def range_call(self, scope: _Scope, offset: int = 0) -> str:
        def bound() -> str:
            if not self.chance(40):
                return str(self.draw(st.integers(-3, 12)) + offset)
            if scope.small and self.chance(50):
                small = self.index(scope.small)  # an outer loop variable: also in [-3, 12]
            else:
                small = f"({self.int_expr(scope, 1)} % 13)"
            return f"{offset} + {small}" if offset else small
        form = self.pick([("stop", 2), ("start_stop", 2), ("step", 3)])
        if form == "stop" and offset:
            return f"range({offset}, {bound()})"
        if form == "stop":
            return f"range({bound()})"
        if form == "start_stop":
            return f"range({bound()}, {bound()})"
        step = self.index([1, 2, 3, -1, -2, -3])
        return f"range({bound()}, {bound()}, {step})"

    # --- functions ---------------------------------------------------------------

    def function(self, name: str, params: tuple[str, ...], param_names: list[str],
                 local_prefix: str, statements: int) -> tuple[list[str], _Scope]:
        scope = _Scope(dict(zip(param_names, params)))
        lines = [f"def {name}({', '.join(param_names)}):"]
        for _ in range(self.draw(st.integers(1, 3))):
            local = self.fresh(local_prefix)
            kind = self.index([INT, FLOAT])
            lines.append(f"    {local} = {self.expr(kind, scope, 2)}")
            scope.variables[local] = kind
        for _ in range(self.draw(st.integers(0, 2))):
            local = self.fresh("xs" if local_prefix == "v" else "ys")
            kind = self.index([LIST_INT, LIST_FLOAT])
            element = ELEMENT[kind]
            items = [self.expr(element, scope, 1) for _ in range(self.draw(st.integers(1, 3)))]
            lines.append(f"    {local} = [{', '.join(items)}]")
            scope.variables[local] = kind
        self.budget = statements
        return lines, scope

    def program(self) -> Program:
        # The helper g: 1-2 parameters, at most one loop level, returns one scalar.
        g_params = tuple(self.index([INT, FLOAT]) for _ in range(self.draw(st.integers(1, 2))))
        g_result = self.index([INT, FLOAT])
        lines, scope = self.function("g", g_params, [f"p{i}" for i in range(len(g_params))],
                                     "u", statements=4)
        body = self.block(scope, 1, 4)
        lines += body + [f"    return {self.expr(g_result, scope, 2)}", ""]
        self.helper = ("g", g_params, g_result)

        # The entry f: 1-3 parameters, calls g, returns all of its locals as a tuple.
        self.in_entry = True
        f_params = tuple(self.index([INT, FLOAT]) for _ in range(self.draw(st.integers(1, 3))))
        f_lines, scope = self.function("f", f_params, [f"a{i}" for i in range(len(f_params))],
                                       "v", statements=8)
        self.entry_return = f"return ({', '.join(scope.variables)},)"
        f_lines += self.block(scope, 1, 6)
        f_lines.append(f"    {self.entry_return}")
        source = "import math\n\n\n" + "\n".join(lines + [""] + f_lines) + "\n"
        return Program(source, "f", f_params, g_params)


@st.composite
def programs(draw) -> Program:
    return _Builder(draw).program()


def int_arguments() -> st.SearchStrategy[int]:
    return st.one_of(
        st.integers(-20, 20),
        st.sampled_from([0, 1, -1, 2**31, 2**62, 2**63 - 1, -2**63, 3**39]),
        st.integers(-2**63, 2**63 - 1),
        st.integers(-2**80, 2**80),
    )


def float_arguments() -> st.SearchStrategy[float]:
    return st.one_of(
        st.floats(-100.0, 100.0),
        st.sampled_from([0.0, -0.0, 0.5, 1.5, 2.5, -2.5, float("nan"), float("inf"),
                         float("-inf"), 1e308, 5e-324]),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def argument_tuples(params: tuple[str, ...]) -> st.SearchStrategy[list[tuple]]:
    one = st.tuples(*(int_arguments() if kind == INT else float_arguments()
                      for kind in params))
    return st.lists(one, min_size=1, max_size=3)


@st.composite
def cases(draw) -> tuple[Program, list[tuple]]:
    """A program and the argument tuples to call its entry with."""
    program = draw(programs())
    return program, draw(argument_tuples(program.params))
