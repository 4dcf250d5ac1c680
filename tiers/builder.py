"""An `ir.IRBuilder` whose instructions are lines of text, made when they are built.

Building a module with llvmlite.ir and printing it was about half of a tier-1 compile: every
instruction is an object with its operand list, flags and metadata, printed later through
several layers of `str.format`. Tier code never reads an instruction back; it only needs its type
and its name as an operand. So `Builder` keeps llvmlite's blocks, functions, modules, types,
constants, names and control-flow helpers (`if_then`, `if_else`, `goto_block`), and overrides
only the methods that make instructions: each writes the exact text llvmlite's instruction
would print, once. `tests/tiers/test_builder.py` holds it to that: the bench functions and
the differential cases give byte-identical modules with `ir.IRBuilder` and with `Builder`.

A method not overridden here is llvmlite's own (correct, only slower); an instruction that
llvmlite would refuse for mismatched types is refused by LLVM's parser instead, which the
compiler reports like any compile error (the function stays on tier 0).
"""
from __future__ import annotations

from typing import Any, Sequence

from llvmlite import ir

_CMP = {">": "gt", "<": "lt", "==": "eq", "!=": "ne", ">=": "ge", "<=": "le"}
_VOID = ir.VoidType()
_I1 = ir.IntType(1)
_I32 = ir.IntType(32)


def _name(block: ir.Block, name: str) -> str:
    """The name llvmlite's NameScope would give (`.N` for an unnamed value), registered in it."""
    scope = block.scope
    if name:
        return scope.register(name, deduplicate=True)
    # NameScope.deduplicate(""), spelled out: most instructions are unnamed
    used, counts = scope._useset, scope._basenamemap
    n = counts[""]
    while True:
        n += 1
        name = f".{n}"
        if name not in used:
            break
    counts[""] = n
    used.add(name)
    return name


class Line:
    """One instruction: its type, its name as an operand, and its text."""
    __slots__ = ("parent", "type", "name", "_ref", "text")

    def __init__(self, block: ir.Block, ty: ir.Type, name: str, body: str) -> None:
        self.parent = block
        self.type = ty
        void = ty is _VOID or isinstance(ty, ir.VoidType)
        if not name and void:
            # nothing can refer to it: no name (llvmlite numbers it all the same, so the numbers
            # of later values differ from its; tests/tiers/test_builder.py renumbers both)
            self.name = self._ref = ""
            self.text = body
            return
        self.name = name = _name(block, name)
        if "\\" in name or '"' in name:
            name = name.replace("\\", "\\5c").replace('"', "\\22")
        self._ref = ref = '%"' + name + '"'
        self.text = body if void else ref + " = " + body

    def get_reference(self) -> str:
        return self._ref

    def __str__(self) -> str:
        return self.text

    @property
    def function(self) -> ir.Function:
        return self.parent.function

    @property
    def module(self) -> ir.Module:
        return self.parent.module


class _Branch(Line):
    """A conditional branch: llvmlite's `if_then(likely=...)` adds its weights afterwards."""
    __slots__ = ()

    def set_weights(self, weights: Sequence[int]) -> None:
        module = self.parent.module
        if module.__dict__.get("_tj_no_weights"):
            return      # see without_branch_weights
        # One node per pair of weights, as llvmlite makes it the first time (its numbering too).
        # llvmlite looks a node up by hashing its constants' printed text (about 8 µs a branch,
        # and a tier-1 function has dozens), so the module keeps each pair's reference.
        refs = module.__dict__.setdefault("_tj_weight_refs", {})
        key = tuple(weights)
        ref = refs.get(key)
        if ref is None:
            md = module.add_metadata([ir.MetaDataString(module, "branch_weights")]
                                     + [ir.Constant(_I32, w) for w in weights])
            ref = refs[key] = md.get_reference()
        self.text += f", !prof {ref}"


def without_branch_weights(module: ir.Module) -> None:
    """Branches built into `module` carry no weights: for code LLVM compiles at -O0 (tier 1),
    which places blocks in the order they are written and reads no weights. The object file is
    byte for byte the same without them (tests/tiers/test_builder.py), and each weighted branch
    cost a metadata reference to write and to parse."""
    module.__dict__["_tj_no_weights"] = True


class _Phi(Line):
    """A phi: its incoming values arrive after it is built, so its text is made when printed."""
    __slots__ = ("incomings",)

    def __init__(self, block: ir.Block, ty: ir.Type, name: str) -> None:
        super().__init__(block, ty, name, "")
        self.incomings: list[tuple[Any, ir.Block]] = []

    def add_incoming(self, value: Any, block: ir.Block) -> None:
        self.incomings.append((value, block))

    def __str__(self) -> str:
        incs = ", ".join(f"[{v.get_reference()}, {b.get_reference()}]" for v, b in self.incomings)
        return f"{self._ref} = phi  {self.type} {incs}"


_LABEL = ir.LabelType()

_pointers: dict[str, ir.Type] = {}


def pointer_to(ty: ir.Type) -> ir.Type:
    """`ty.as_pointer()`, one object per type for the process. llvmlite makes a new pointer type
    on every call, which then formats its text anew when printed (a tier-1 compile made dozens,
    one per alloca). Types are values: equal ones are interchangeable in any module."""
    if isinstance(ty, ir.IdentifiedStructType):     # named per module: not shared
        return ty.as_pointer()
    key = str(ty)
    ptr = _pointers.get(key)
    if ptr is None:
        ptr = _pointers[key] = ty.as_pointer()
    return ptr


class Function(ir.Function):
    """llvmlite's function, whose blocks are made without llvmlite's generic value set-up (the
    same block: its parent, name, scope and empty instruction list). A tier-1 function has
    dozens of blocks, and making each was about a twelfth of building its IR."""

    def append_basic_block(self, name: str = "") -> ir.Block:
        block = ir.Block.__new__(ir.Block)
        block.parent = self
        block.type = _LABEL
        scope = block.scope = self.scope
        block._name = name = scope.deduplicate(name)
        scope._useset.add(name)
        block.instructions = []
        block.terminator = None
        self.blocks.append(block)
        return block


def _binop(opname: str):
    def method(self: "Builder", lhs: Any, rhs: Any, name: str = "", flags: Sequence[str] = ()) -> Line:
        op = " ".join((opname, *flags)) if flags else opname
        return self._add(Line(self._block, lhs.type, name,
                              f"{op} {lhs.type} {lhs.get_reference()}, {rhs.get_reference()}"))
    method.__name__ = opname
    return method


def _cast(opname: str):
    def method(self: "Builder", value: Any, typ: ir.Type, name: str = "") -> Any:
        if value.type == typ:
            return value
        return self._add(Line(self._block, typ, name,
                              f"{opname} {value.type} {value.get_reference()} to {typ}"))
    method.__name__ = opname
    return method


class Builder(ir.IRBuilder):
    """llvmlite's IRBuilder, making `Line`s (see the module's docstring)."""

    def _add(self, line: Line) -> Line:
        self._block.instructions.insert(self._anchor, line)
        self._anchor += 1
        return line

    def _insert(self, instr: Any) -> None:      # llvmlite's own instructions (e.g. `freeze`)
        self._block.instructions.insert(self._anchor, instr)
        self._anchor += 1

    def _end(self, line: Line) -> Line:
        assert not self._block.is_terminated
        self._add(line)
        self._block.terminator = line
        return line

    add = _binop("add")
    sub = _binop("sub")
    mul = _binop("mul")
    sdiv = _binop("sdiv")
    srem = _binop("srem")
    shl = _binop("shl")
    ashr = _binop("ashr")
    lshr = _binop("lshr")
    and_ = _binop("and")
    or_ = _binop("or")
    xor = _binop("xor")
    fadd = _binop("fadd")
    fsub = _binop("fsub")
    fmul = _binop("fmul")
    fdiv = _binop("fdiv")
    frem = _binop("frem")

    trunc = _cast("trunc")
    zext = _cast("zext")
    sext = _cast("sext")
    fptosi = _cast("fptosi")
    sitofp = _cast("sitofp")
    uitofp = _cast("uitofp")
    ptrtoint = _cast("ptrtoint")
    inttoptr = _cast("inttoptr")
    bitcast = _cast("bitcast")

    def fneg(self, arg: Any, name: str = "", flags: Sequence[str] = ()) -> Line:
        op = " ".join(("fneg", *flags)) if flags else "fneg"
        return self._add(Line(self._block, arg.type, name, f"{op} {arg.type} {arg.get_reference()}"))

    def _compare(self, opname: str, op: str, lhs: Any, rhs: Any, name: str, flags: Sequence[str]) -> Line:
        ty = lhs.type
        result = ir.VectorType(_I1, ty.count) if isinstance(ty, ir.VectorType) else _I1
        fl = "".join(" " + f for f in flags)
        return self._add(Line(self._block, result, name,
                              f"{opname}{fl} {op} {ty} {lhs.get_reference()}, {rhs.get_reference()}"))

    def icmp_signed(self, cmpop: str, lhs: Any, rhs: Any, name: str = "") -> Line:
        op = _CMP[cmpop]
        return self._compare("icmp", op if cmpop in ("==", "!=") else "s" + op, lhs, rhs, name, ())

    def icmp_unsigned(self, cmpop: str, lhs: Any, rhs: Any, name: str = "") -> Line:
        op = _CMP[cmpop]
        return self._compare("icmp", op if cmpop in ("==", "!=") else "u" + op, lhs, rhs, name, ())

    def fcmp_ordered(self, cmpop: str, lhs: Any, rhs: Any, name: str = "", flags: Sequence[str] = ()) -> Line:
        op = "o" + _CMP[cmpop] if cmpop in _CMP else cmpop
        return self._compare("fcmp", op, lhs, rhs, name, flags)

    def fcmp_unordered(self, cmpop: str, lhs: Any, rhs: Any, name: str = "", flags: Sequence[str] = ()) -> Line:
        op = "u" + _CMP[cmpop] if cmpop in _CMP else cmpop
        return self._compare("fcmp", op, lhs, rhs, name, flags)

    def select(self, cond: Any, lhs: Any, rhs: Any, name: str = "", flags: Sequence[str] = ()) -> Line:
        return self._add(Line(self._block, lhs.type, name,
                              f"select {' '.join(flags)} {cond.type} {cond.get_reference()}, "
                              f"{lhs.type} {lhs.get_reference()}, {rhs.type} {rhs.get_reference()}"))

    def alloca(self, typ: ir.Type, size: Any = None, name: str = "") -> Any:
        if size is not None:
            return super().alloca(typ, size, name)
        return self._add(Line(self._block, pointer_to(typ), name, f"alloca {typ}"))

    def load(self, ptr: Any, name: str = "", align: int | None = None, typ: ir.Type | None = None) -> Any:
        if align is not None or typ is not None:
            return super().load(ptr, name, align, typ)
        pty = ptr.type
        return self._add(Line(self._block, pty.pointee, name, f"load {pty.pointee}, {pty} {ptr.get_reference()}"))

    def store(self, value: Any, ptr: Any, align: int | None = None) -> Any:
        if align is not None:
            return super().store(value, ptr, align)
        return self._add(Line(self._block, _VOID, "",
                              f"store {value.type} {value.get_reference()}, {ptr.type} {ptr.get_reference()}"))

    def gep(self, ptr: Any, indices: Sequence[Any], inbounds: bool = False, name: str = "",
            source_etype: ir.Type | None = None) -> Any:
        if source_etype is not None:
            return super().gep(ptr, indices, inbounds, name, source_etype)
        typ = ptr.type
        if len(indices) > 1:
            # the result type, computed as llvmlite's GEPInstr does for typed pointers (one index
            # keeps the pointer's own type: most of tier code's geps)
            last = None
            space = 0
            for i in indices:
                last, typ = typ, typ.gep(i)
                if isinstance(last, ir.PointerType):
                    space = last.addrspace
            if not isinstance(typ, ir.PointerType) and isinstance(last, ir.PointerType):
                typ = last
            else:
                typ = pointer_to(typ) if space == 0 else typ.as_pointer(space)
        op = "getelementptr inbounds" if inbounds else "getelementptr"
        idx = ", ".join(f"{i.type} {i.get_reference()}" for i in indices)
        return self._add(Line(self._block, typ, name,
                              f"{op} {ptr.type.pointee}, {ptr.type} {ptr.get_reference()}, {idx}"))

    def call(self, fn: Any, args: Sequence[Any], name: str = "", cconv: Any = None, tail: Any = False,
             fastmath: Any = (), attrs: Any = (), arg_attrs: Any = None) -> Any:
        fnty = fn.function_type
        if cconv is None and isinstance(fn, ir.Function):
            cconv = fn.calling_convention
        if tail or fastmath or attrs or arg_attrs or cconv or fnty.var_arg:
            return super().call(fn, args, name, cconv, tail, fastmath, attrs, arg_attrs)
        text = ", ".join(f"{a.type} {a.get_reference()}" for a in args)
        return self._add(Line(self._block, fnty.return_type, name,
                              f"call {fnty.return_type} {fn.get_reference()}({text})"))

    def extract_value(self, agg: Any, idx: Any, name: str = "") -> Line:
        idx = idx if isinstance(idx, (tuple, list)) else [idx]
        typ = agg.type
        for i in idx:
            typ = typ.elements[i]
        return self._add(Line(self._block, typ, name,
                              f"extractvalue {agg.type} {agg.get_reference()}, {', '.join(map(str, idx))}"))

    def insert_value(self, agg: Any, value: Any, idx: Any, name: str = "") -> Line:
        idx = idx if isinstance(idx, (tuple, list)) else [idx]
        return self._add(Line(self._block, agg.type, name,
                              f"insertvalue {agg.type} {agg.get_reference()}, {value.type} "
                              f"{value.get_reference()}, {', '.join(map(str, idx))}"))

    def extract_element(self, vector: Any, idx: Any, name: str = "") -> Line:
        return self._add(Line(self._block, vector.type.element, name,
                              f"extractelement {vector.type} {vector.get_reference()}, "
                              f"{idx.type} {idx.get_reference()}"))

    def insert_element(self, vector: Any, value: Any, idx: Any, name: str = "") -> Line:
        return self._add(Line(self._block, vector.type, name,
                              f"insertelement {vector.type} {vector.get_reference()}, {value.type} "
                              f"{value.get_reference()}, {idx.type} {idx.get_reference()}"))

    def phi(self, typ: ir.Type, name: str = "", flags: Sequence[str] = ()) -> Any:
        if flags:
            return super().phi(typ, name, flags)
        return self._add(_Phi(self._block, typ, name))

    def branch(self, target: ir.Block) -> Line:
        return self._end(Line(self._block, _VOID, "", f"br label {target.get_reference()}"))

    def cbranch(self, cond: Any, truebr: ir.Block, falsebr: ir.Block) -> Line:
        return self._end(_Branch(self._block, _VOID, "",
                                 f"br {cond.type} {cond.get_reference()}, label {truebr.get_reference()}, "
                                 f"label {falsebr.get_reference()}"))

    def ret(self, value: Any) -> Line:
        return self._end(Line(self._block, _VOID, "", f"ret {value.type} {value.get_reference()}"))

    def ret_void(self) -> Line:
        return self._end(Line(self._block, _VOID, "", "ret void"))

    def unreachable(self) -> Line:
        return self._end(Line(self._block, _VOID, "", "unreachable"))


def module_text(module: ir.Module) -> str:
    """`str(module)`, the same text, made faster: a function's body is joined from its lines'
    texts, where llvmlite formats every instruction through `str.format` (which was 6% of a
    tier-1 compile). Anything that is not a `Line` (llvmlite's own instructions) prints as
    llvmlite prints it."""
    out = ['; ModuleID = "%s"' % (module.name,), 'target triple = "%s"' % (module.triple,),
           'target datalayout = "%s"' % (module.data_layout,), '']
    out += [it.get_declaration() for it in module.get_identified_types().values()]
    for g in module.globals.values():
        if not (isinstance(g, ir.Function) and g.blocks):
            out.append(str(g))
            continue
        buf: list[str] = []
        g.descr_prototype(buf)
        buf.append("{\n")
        for block in g.blocks:
            buf.append(block._format_name() + ":\n  ")
            buf.append("\n  ".join([ins.text if ins.__class__ in _PLAIN_LINES else str(ins)
                                    for ins in block.instructions]))
            buf.append("\n")
        buf.append("}\n")
        out.append("".join(buf))
    out += module._get_metadata_lines()
    return "\n".join(out)


_PLAIN_LINES = (Line, _Branch)     # their text is final (a phi's is made when printed)


def release(module: ir.Module) -> None:
    """Take `module` apart once its text is made, so that reference counting frees it.

    Its objects point at each other (an instruction at its block, a block at its function, a
    function at its module and back), so a module left alone waits for Python's cycle collector,
    which finds a tier-1 compile's several hundred objects a few at a time and frees them at
    about a microsecond each: measured as 0.5 to 0.8 ms of every tier-1 compile on the bench
    functions (gen-0 and gen-1 collections set off by the compiles themselves)."""
    for g in module.globals.values():
        for block in getattr(g, "blocks", ()):
            block.instructions = []
            block.parent = block.scope = block.terminator = None
        if isinstance(g, ir.Function):
            g.blocks = []
            g.args = ()
            g.parent = g.return_value = None
    module.globals.clear()
    module.metadata = []
    module.namedmetadata = {}
    module._metadatacache = {}


# The builder tier code uses; tests set it to llvmlite's own to compare the two (test_builder.py).
IRBuilder: type[ir.IRBuilder] = Builder


def new_builder(block: ir.Block | None = None) -> ir.IRBuilder:
    return IRBuilder(block)
