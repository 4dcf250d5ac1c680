"""The AST rewrite that hands every top-level ``def`` to the engine.

Shared by the kernel (cells, ``%run``) and the ``tierjit run`` CLI, so it must not
import Jupyter or the engine: it only rewrites trees and installs a lazy hook.
"""
from __future__ import annotations

import ast
import builtins
from typing import Any

# A dunder name in ``builtins``: user code never shadows it, and ``%reset -f``
# clears the user namespace but not builtins, so cells keep reaching the engine.
HOOK_NAME = "__tierjit_engine__"

# Statements whose bodies still run at module level, so a def inside them binds a
# module-level name (``if HAVE_X: def f(): ...``, ``try: ... except: def f(): ...``).
_BLOCKS = (ast.If, ast.Try, ast.With, ast.AsyncWith)
if hasattr(ast, "TryStar"):
    _BLOCKS += (ast.TryStar,)


def _engine() -> Any:
    # Imported on first use: an idle kernel or a script without defs never loads
    # the engine (and through it LLVM).
    from tierjit.tiers import engine

    return engine()


def install_hook() -> None:
    """Make ``__tierjit_engine__()`` callable from any namespace in this process."""
    setattr(builtins, HOOK_NAME, _engine)


def _call(method: str, args: list[ast.expr], keywords: list[ast.keyword] | None = None) -> ast.Call:
    hook = ast.Call(func=ast.Name(id=HOOK_NAME, ctx=ast.Load()), args=[], keywords=[])
    return ast.Call(
        func=ast.Attribute(value=hook, attr=method, ctx=ast.Load()),
        args=args,
        keywords=keywords or [],
    )


def _register_stmt(node: ast.FunctionDef | ast.AsyncFunctionDef, defined_in: str) -> ast.stmt:
    # NAME = __tierjit_engine__().register(NAME, defined_in, decorated=...)
    call = _call(
        "register",
        [ast.Name(id=node.name, ctx=ast.Load()), ast.Constant(defined_in)],
        [ast.keyword(arg="decorated", value=ast.Constant(bool(node.decorator_list)))],
    )
    return ast.Assign(targets=[ast.Name(id=node.name, ctx=ast.Store())], value=call)


def _skipped_stmt(node: ast.ClassDef, defined_in: str) -> ast.stmt:
    call = _call(
        "register_skipped",
        [ast.Constant(node.name), ast.Constant(node.name), ast.Constant(defined_in), ast.Constant("class")],
    )
    return ast.Expr(value=call)


def _rewrite_body(body: list[ast.stmt], defined_in: str) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        extra: ast.stmt | None = None
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            extra = _register_stmt(stmt, defined_in)
        elif isinstance(stmt, ast.ClassDef):
            extra = _skipped_stmt(stmt, defined_in)
        elif isinstance(stmt, _BLOCKS):
            _rewrite_block(stmt, defined_in)
        if extra is not None:
            # The added line carries the def's own position, so a traceback through
            # it (there should be none: register never raises) still names the def.
            ast.copy_location(extra, stmt)
            out.append(extra)
    return out


def _rewrite_block(stmt: ast.stmt, defined_in: str) -> None:
    for field in ("body", "orelse", "finalbody"):
        if isinstance(getattr(stmt, field, None), list):
            setattr(stmt, field, _rewrite_body(getattr(stmt, field), defined_in))
    for handler in getattr(stmt, "handlers", []):
        handler.body = _rewrite_body(handler.body, defined_in)


def register_defs(tree: ast.Module, defined_in: str) -> ast.Module:
    """Rewrite ``tree`` in place so each module-level def/class is reported to the engine.

    ``defined_in`` is the short label stored in the stats (``"cell[3]"`` or a script path).
    """
    tree.body = _rewrite_body(tree.body, defined_in)
    return ast.fix_missing_locations(tree)
