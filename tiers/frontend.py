"""From a Python function object to the AST the compiler reads, or a reason it will stay on tier 0.

Owns source loading and the syntactic subset check. A reason always names the construct and the
user's line ("'yield' at line 4 is not compiled"), because that is what a user can act on.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
import types
from typing import Any

from . import arrays

CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR = 0x20, 0x80, 0x200


class Unsupported(Exception):
    """Raised by any stage that meets something it does not compile; the message is for the user."""


def quick_reason(func: types.FunctionType) -> str | None:
    code = func.__code__
    if code.co_flags & (CO_COROUTINE | CO_ASYNC_GENERATOR):
        return "async function"
    if code.co_flags & CO_GENERATOR:
        return "generator"
    if code.co_freevars or func.__closure__:
        return "closure (uses variables of an enclosing function)"
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return "*args/**kwargs parameters"
    if code.co_kwonlyargcount:
        return "keyword-only parameters"
    return None


def load_ast(func: types.FunctionType) -> tuple[ast.FunctionDef, str]:
    code = func.__code__
    lines = linecache.getlines(code.co_filename, func.__globals__)
    if not lines:
        raise Unsupported("source not available")
    try:
        block = inspect.getblock(lines[code.co_firstlineno - 1:])
    except Exception:
        raise Unsupported("source not available") from None
    source = textwrap.dedent("".join(block))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise Unsupported("source not available (could not re-parse it)") from None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].name != func.__name__:
        raise Unsupported("source not available (it does not match the function)")
    fn = tree.body[0]
    ast.increment_lineno(fn, code.co_firstlineno - 1)
    return fn, source


# Statement and expression kinds the compiler knows; anything else is named in the reason.
_STMTS = (ast.FunctionDef, ast.Return, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.While, ast.If,
          ast.Expr, ast.Pass, ast.Break, ast.Continue)
_EXPRS = (ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.Call, ast.Constant, ast.Attribute,
          ast.Subscript, ast.Name, ast.List, ast.Tuple, ast.Slice)
_CTX = (ast.Load, ast.Store, ast.Del, ast.operator, ast.boolop, ast.unaryop, ast.cmpop, ast.arguments,
        ast.arg, ast.keyword)

_NAMES = {
    ast.Yield: "'yield'", ast.YieldFrom: "'yield from'", ast.Await: "'await'", ast.Lambda: "lambda",
    ast.ClassDef: "class definition", ast.AsyncFunctionDef: "async def", ast.Try: "try/except",
    ast.With: "'with'", ast.Global: "'global'", ast.Nonlocal: "'nonlocal'", ast.Import: "import",
    ast.ImportFrom: "import", ast.Raise: "'raise'", ast.Assert: "'assert'", ast.Delete: "'del'",
    ast.Dict: "dict", ast.Set: "set", ast.ListComp: "list comprehension", ast.DictComp: "dict comprehension",
    ast.SetComp: "set comprehension", ast.GeneratorExp: "generator expression", ast.JoinedStr: "f-string",
    ast.Starred: "starred expression", ast.NamedExpr: "':=' (walrus)", ast.Match: "match statement",
}


def describe(node: ast.AST) -> str:
    return _NAMES.get(type(node), type(node).__name__)


def check_subset(fn: ast.FunctionDef) -> str | None:
    """The first construct outside the compiled subset, as a user-facing reason, or None."""
    for node in ast.walk(fn):
        if node is fn:
            continue
        if isinstance(node, ast.FunctionDef):
            return f"nested function {node.name!r} at line {node.lineno} is not compiled"
        if isinstance(node, (ast.stmt, ast.expr)) and not isinstance(node, _STMTS + _EXPRS):
            return f"{describe(node)} at line {node.lineno} is not compiled"
        if isinstance(node, ast.Call) and any(k.arg is None for k in node.keywords):
            return f"'**' in a call at line {node.lineno} is not compiled"
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return f"slicing at line {node.lineno} is not compiled"
    return None


def type_name(value: Any) -> str:
    t = type(value)
    if t.__module__ == "numpy":
        return arrays.type_name(value) or t.__name__
    if t is list:
        kinds = {type(v).__name__ for v in value}
        return f"list[{kinds.pop()}]" if len(kinds) == 1 else "list"
    return t.__name__


def signature_of(args: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(type_name(a) for a in args)
