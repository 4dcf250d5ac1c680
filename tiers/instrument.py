"""Tier-0 code: the user's function recompiled with counters, and the stub that enters native code.

Owns AST -> code-object rewriting. Counters and the native entry are reached through string
placeholders compiled as constants and then swapped for the real objects (`patch_consts`), so the
profiling prologue costs one attribute increment and the stub one C call: no globals are added to
the user's namespace and the function object the user holds never changes identity.
"""
from __future__ import annotations

import ast
import builtins
import copy
import types
import warnings
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from .records import CallCounter, LoopCounter

CALL_PLACEHOLDER = "__tj_P__"
NATIVE_PLACEHOLDER = "__tj_N__"
ITER_PLACEHOLDER = "__tj_ITER__"
OSR_RESULT = "__tj_osr_result"


def loop_placeholder(index: int) -> str:
    return f"__tj_L{index}__"


def iter_local(index: int) -> str:
    return f"__tj_it{index}"


def count_local(index: int) -> str:
    return f"__tj_c{index}"


@dataclass
class LoopSite:
    index: int
    line: int
    node: ast.For | ast.While
    osr: bool          # an OSR check is compiled into this loop


def is_range_loop(node: ast.AST) -> bool:
    return (isinstance(node, ast.For) and isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name)
            and node.iter.func.id == "range" and not node.iter.keywords
            and 1 <= len(node.iter.args) <= 3)


def find_loops(fn: ast.FunctionDef) -> list[LoopSite]:
    """Every loop of the function in source order; OSR is offered at loops nested only in `if`s."""
    sites: list[LoopSite] = []
    _visit_loops(fn.body, True, sites)
    return sites


def _visit_loops(stmts: list[ast.stmt], osr_ok: bool, sites: list[LoopSite]) -> None:
    # a function of the module's, not a closure: a closure that calls itself is a reference
    # cycle, left to the cycle collector on every compile
    for stmt in stmts:
        if isinstance(stmt, (ast.For, ast.While)):
            # A while condition is evaluated again on entry, so it must have no calls in it.
            pure_test = isinstance(stmt, ast.While) and not any(
                isinstance(n, ast.Call) for n in ast.walk(stmt.test))
            osr = osr_ok and (pure_test or is_range_loop(stmt))
            sites.append(LoopSite(len(sites), stmt.lineno, stmt, osr))
            _visit_loops(stmt.body, False, sites)
            _visit_loops(stmt.orelse, False, sites)
        elif isinstance(stmt, ast.If):
            _visit_loops(stmt.body, osr_ok, sites)
            _visit_loops(stmt.orelse, osr_ok, sites)
        elif isinstance(stmt, (ast.With, ast.Try)):
            for block in ("body", "orelse", "finalbody"):
                _visit_loops(getattr(stmt, block, []), False, sites)
            for handler in getattr(stmt, "handlers", []):
                _visit_loops(handler.body, False, sites)


def _parse_stmts(text: str, line: int) -> list[ast.stmt]:
    stmts = ast.parse(text).body
    for stmt in stmts:
        for node in ast.walk(stmt):
            if hasattr(node, "lineno"):
                node.lineno = node.end_lineno = line
                node.col_offset = node.end_col_offset = 0
    return stmts


def _prologue(fn: ast.FunctionDef) -> list[ast.stmt]:
    args = ", ".join(a.arg for a in fn.args.posonlyargs + fn.args.args)
    p = CALL_PLACEHOLDER
    text = f"{p!r}.calls += 1\nif {p!r}.calls >= {p!r}.hot:\n    {p!r}.on_hot({args})\n"
    return _parse_stmts(text, fn.lineno)


def _loop_head(site: LoopSite, osr_at: int) -> list[ast.stmt]:
    # The count lives in a local (a fast store, no attribute access per iteration); the function's
    # `finally` adds it to the loop's counter. OSR triggers when it reaches the threshold constant.
    p = repr(loop_placeholder(site.index))
    c = count_local(site.index)
    text = f"{c} += 1\n"
    if site.osr:
        arg = iter_local(site.index) if isinstance(site.node, ast.For) else "None"
        text += (f"if {c} == {osr_at}:\n"
                 f"    {OSR_RESULT} = {p}.enter({arg})\n"
                 f"    if {OSR_RESULT} is not {p}:\n"
                 f"        return {OSR_RESULT}\n")
    return _parse_stmts(text, site.line)


def profiling_tree(fn: ast.FunctionDef, sites: list[LoopSite], osr_at: int) -> ast.FunctionDef:
    """A copy of `fn` with the call prologue and loop counters inserted."""
    fn = copy.deepcopy(fn)
    fn.decorator_list = []
    copied = find_loops(fn)   # same order as `sites`, nodes of the copy
    for site, twin in zip(sites, copied):
        loop = twin.node
        loop.body[:0] = _loop_head(site, osr_at)
        if site.osr and isinstance(loop, ast.For):
            # Hoist the iterator into a local so OSR can read how far the range has got.
            hoist = ast.Assign(
                targets=[ast.Name(iter_local(site.index), ast.Store())],
                value=ast.Call(ast.Constant(ITER_PLACEHOLDER), [loop.iter], []))
            ast.copy_location(hoist, loop)
            loop.iter = ast.Name(iter_local(site.index), ast.Load())
            twin.hoist = hoist
    # Insert the hoists in front of their loops (walk the parents once).
    for parent in ast.walk(fn):
        for block in ("body", "orelse"):
            stmts = getattr(parent, block, None)
            if not isinstance(stmts, list):
                continue
            out: list[ast.stmt] = []
            for stmt in stmts:
                twin = next((t for t in copied if t.node is stmt), None)
                if twin is not None and hasattr(twin, "hoist"):
                    out.append(twin.hoist)
                out.append(stmt)
            setattr(parent, block, out)
    body = fn.body
    doc = body[:1] if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and isinstance(body[0].value.value, str) else []
    body = body[len(doc):]
    if sites:
        zero = "\n".join(f"{count_local(s.index)} = 0" for s in sites)
        flush = "\n".join(f"{loop_placeholder(s.index)!r}.n += {count_local(s.index)}" for s in sites)
        guarded = ast.Try(body=body, handlers=[], orelse=[], finalbody=_parse_stmts(flush, fn.lineno))
        ast.copy_location(guarded, fn)
        body = _parse_stmts(zero, fn.lineno) + [guarded]
    fn.body = doc + _prologue(fn) + body
    ast.fix_missing_locations(fn)
    return fn


def compile_function(fn: ast.FunctionDef, filename: str) -> types.CodeType:
    module = ast.Module(body=[fn], type_ignores=[])
    ast.fix_missing_locations(module)
    with warnings.catch_warnings():
        # The placeholders are string constants called / compared with `is`; that is on purpose.
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(module, filename, "exec", dont_inherit=True)
    return next(c for c in code.co_consts if isinstance(c, types.CodeType))


def _stub_template(fn: ast.FunctionDef, filename: str) -> types.CodeType:
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    text = f"def {fn.name}({', '.join(params)}):\n    return {NATIVE_PLACEHOLDER!r}({', '.join(params)})\n"
    stub = ast.parse(text).body[0]
    stub.args = copy.deepcopy(fn.args)        # keeps positional-only markers and defaults' arity
    stub.args.defaults = [ast.Constant(None) for _ in fn.args.defaults]
    for node in ast.walk(stub):
        if hasattr(node, "lineno"):
            node.lineno = node.end_lineno = fn.lineno
    return compile_function(stub, filename)


def patch_consts(code: types.CodeType, mapping: dict[str, object]) -> types.CodeType:
    consts = tuple(mapping.get(c, c) if isinstance(c, str) else c for c in code.co_consts)
    return code.replace(co_consts=consts)


def profiling_code(fn: ast.FunctionDef, filename: str, counter: CallCounter,
                   sites: list[LoopSite], loops: list[LoopCounter], osr_at: int,
                   template: types.CodeType | None = None) -> types.CodeType:
    """The profiling copy; `template` (its code before the counters are patched in) skips the
    compile when a function is re-armed (`%jit_reset`)."""
    code = template if template is not None else profiling_template(fn, filename, sites, osr_at)
    mapping: dict[str, object] = {CALL_PLACEHOLDER: counter, ITER_PLACEHOLDER: builtins.iter}
    for site, loop in zip(sites, loops):
        mapping[loop_placeholder(site.index)] = loop
    return patch_consts(code, mapping)


def profiling_template(fn: ast.FunctionDef, filename: str, sites: list[LoopSite], osr_at: int) -> types.CodeType:
    return compile_function(profiling_tree(fn, sites, osr_at), filename)


_STUB_TEMPLATES: OrderedDict[tuple, types.CodeType] = OrderedDict()
# a tree's parameters as text (part of the key above), made once per tree, not once per compile
_SIGNATURES: weakref.WeakKeyDictionary[ast.arguments, str] = weakref.WeakKeyDictionary()


def stub_code(fn: ast.FunctionDef, filename: str, native: object, like: types.CodeType) -> types.CodeType:
    """`def f(a, b): return NATIVE(a, b)` with f's own parameters (defaults stay on the function).
    Every compile of a function needs one; its code differs only in NATIVE, so the compiled
    template is kept (a few recent ones: a redefined function has another key)."""
    signature = _SIGNATURES.get(fn.args)
    if signature is None:
        signature = _SIGNATURES[fn.args] = ast.dump(fn.args)
    key = (filename, fn.lineno, fn.name, signature)
    code = _STUB_TEMPLATES.get(key)
    if code is None:
        code = _STUB_TEMPLATES[key] = _stub_template(fn, filename)
        if len(_STUB_TEMPLATES) > 64:
            _STUB_TEMPLATES.popitem(last=False)
    code = patch_consts(code, {NATIVE_PLACEHOLDER: native})
    return code.replace(co_name=like.co_name, co_qualname=like.co_qualname,
                        co_firstlineno=like.co_firstlineno)
