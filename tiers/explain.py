"""`%jit_explain`: every stage of one function's compilation, side by side, as text.

Owns the rendering of source, bytecode, typed IR (the typed AST printed with each local's and
expression's type), tier-1 and tier-2 LLVM IR, assembly, and a summary of what the optimiser did.
"""
from __future__ import annotations

import ast
import dis
import io
import re
from typing import TYPE_CHECKING, Any

from . import runtime
from .records import FunctionRecord

if TYPE_CHECKING:
    from .engine import Engine


def typed_ir(typing: Any) -> str:
    """The typed function: signature, locals with types, then each statement with its types."""
    lines = [f"def {typing.tree.name}({', '.join(f'{p}: {t}' for p, t in zip(typing.params, typing.param_types))})"
             f" -> {typing.returns}"]
    for name, ty in sorted(typing.locals.items()):
        if name not in typing.params:
            lines.append(f"    local {name}: {ty}")
    for g in typing.globals.values():
        lines.append(f"    guard global {g.name} ({g.kind}{', builtin' if g.in_builtins else ''})")
    for node in ast.walk(typing.tree):
        if isinstance(node, ast.stmt) and node is not typing.tree:
            exprs = [f"{ast.unparse(e)}: {typing.exprs[id(e)]}" for e in ast.walk(node)
                     if isinstance(e, ast.expr) and id(e) in typing.exprs
                     and not isinstance(e, (ast.Constant, ast.Name))][:4]
            head = ast.unparse(node).splitlines()[0]
            lines.append(f"  {node.lineno:4d}: {head}" + (f"    # {'; '.join(exprs)}" if exprs else ""))
    for callee in typing.callees.values():
        if callee is not typing:
            lines.append(f"  calls {callee.symbol}: ({', '.join(callee.param_types)}) -> {callee.returns}")
    return "\n".join(lines)


def named(ir_text: str, names: dict[int, str]) -> str:
    """Tier-1 IR as a reader wants it: tier 1 calls C functions and reaches its counters through
    their addresses (docs/tiers.md, "Tier-1 compile time"); each `inttoptr (i64 ADDRESS to T)`
    whose address is a known function or counter is shown as `@name` again."""
    out, pos, marker = [], 0, "inttoptr (i64 "
    while (start := ir_text.find(marker, pos)) >= 0:
        digits = re.match(r"\d+", ir_text[start + len(marker):])
        end, depth = start + len(marker), 1
        while depth and end < len(ir_text):            # the cast's own closing parenthesis
            depth += {"(": 1, ")": -1}.get(ir_text[end], 0)
            end += 1
        name = names.get(int(digits.group())) if digits else None
        out.append(ir_text[pos:start] + (f"@{name}" if name else ir_text[start:end]))
        pos = end
    return "".join(out) + ir_text[pos:]


def tier1_ir(unit: Any) -> str:
    """The tier-1 module as compiled, then the entry it shares with the other units of its
    signature (shared_entry.py), which reads the unit's table through `self`."""
    text = named(unit.ir_before, unit.address_names)
    shared = getattr(unit, "shared_entry", None)
    if shared is not None:
        text += ("\n; The Python entry, shared by every tier-1 unit of this signature (compiled "
                 "once per process); it reads this unit's table (@tj_entry_table) through `self`:\n"
                 + named(shared.ir_text, shared.address_names))
    return text


def loop_headers(ir_text: str) -> int:
    """Loops in the IR, counted by their header blocks (codegen names them; LLVM keeps the names)."""
    return len(re.findall(r'^"?(?:range\.head|range\.chunk|short\.head|while\.head|for\.head)[\d.]*"?:',
                          ir_text, re.M))


def count_instructions(ir_text: str) -> int:
    return sum(1 for line in ir_text.splitlines() if line.startswith("  ") and not line.strip().endswith(":"))


def summary(units: dict[int, Any]) -> str:
    out = []
    for tier, unit in sorted(units.items()):
        before, after = count_instructions(unit.ir_before), count_instructions(unit.ir_after)
        out.append(f"tier {tier}: {unit.signature}; {before} IR instructions"
                   + (f" -> {after} after optimisation" if tier >= 2 else " (not optimised)")
                   + f"; {unit.code_bytes} bytes of machine code"
                   + (f" (and calls the shared runtime: {runtime.code_bytes()} bytes, once per process"
                      + (f"; its entry, shared by its signature's units: {unit.shared_entry.code_bytes} bytes"
                         if getattr(unit, "shared_entry", None) is not None else "") + ")"
                      if tier == 1 else "")
                   + "; stages "
                   + ", ".join(f"{k} {v:.2f} ms" for k, v in unit.stages_ms.items()))
        links = getattr(unit, "links", [])
        if links:
            out.append("  callees called in their own units (compiled before, not again): "
                       + ", ".join(f"{u.typing.tree.name} (tier {u.tier})" for u in links))
        if tier >= 2:
            callees = [c.symbol for c in unit.program.typings.values() if c is not unit.typing]
            defined = set(re.findall(r"^define [^@]*@\"?([\w.]+)", unit.ir_after, re.M))
            inlined = [c for c in callees if c not in defined]
            if callees:
                out.append(f"  callees inlined: {', '.join(inlined) or 'none'}; "
                           f"kept as calls: {', '.join(c for c in callees if c in defined) or 'none'}")
            vector_loops = getattr(unit, "vector_loops", 0)
            vector_ir = any(f"<{w} x" in unit.ir_after for w in (2, 4, 8))
            vectorised = (f"{vector_loops} (four items at a time, checked per group)" if vector_loops
                          else "yes (by LLVM)" if vector_ir else "no")
            before_loops, after_loops = loop_headers(unit.ir_before), loop_headers(unit.ir_after)
            out.append(f"  loops vectorised: {vectorised}; "
                       f"unrolled: {'yes' if after_loops < before_loops else 'no'} "
                       f"(loops in the IR: {before_loops} -> {after_loops}; a loop LLVM unrolled "
                       f"completely or deleted as dead code is gone)")
    return "\n".join(out) or "not compiled yet"


def explain(engine: "Engine", rec: FunctionRecord) -> dict[str, str]:
    code = rec.original_code
    buf = io.StringIO()
    if code is not None:
        dis.dis(code, file=buf)
    units = rec.explained_units
    latest = units.get(2) or units.get(1)
    asm = ""
    if latest is not None:
        try:
            asm = latest.asm()
        except Exception as err:       # the assembly is a view; never break the magic over it
            asm = f"(assembly not available: {err})"
    reason = f"\nstays on tier 0: {rec.fallback_reason}" if rec.fallback_reason else ""
    return {
        "source": rec.source,
        "bytecode": buf.getvalue(),
        "typed_ir": typed_ir(latest.typing) if latest is not None else "",
        "tier1_ir": tier1_ir(units[1]) if 1 in units else "",
        "tier2_ir": units[2].ir_after if 2 in units else "",
        "asm": asm,
        "summary": f"{rec.qualname}: state {rec.state}, tier {rec.tier}\n" + summary(units) + reason,
    }
