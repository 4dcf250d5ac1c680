"""The stats document (DESIGN section 5) and its plain-text table.

Owns turning engine records and events into the JSON-shaped dict every reader uses, and the text
rendering shared by `%jit_stats --text` and `tierjit run --stats`. Fields may be added, never renamed.
"""
from __future__ import annotations

from typing import Any, Iterable

from .records import FunctionRecord

VERSION = 1


def function_doc(rec: FunctionRecord) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": rec.id,
        "name": rec.name,
        "qualname": rec.qualname,
        "defined_in": rec.defined_in,
        "defined_at": round(rec.defined_at, 6),
        "tier": rec.tier,
        "state": rec.state,
        "calls": rec.calls(),
        "compiles": [c.as_dict() for c in rec.compiles],
        "osr": [{"line": line, "tier": tier, "count": n} for (line, tier), n in rec.osr.items()],
        "deopts": [{"reason": r, "line": line, "count": n} for (r, line), n in rec.deopts.items()],
        "fallback_reason": rec.fallback_reason,
        "memory": {"bytecode_bytes": rec.bytecode_bytes, "code_bytes": rec.code_bytes},
        "loops": [{"line": lc.line, "iterations": lc.n} for lc in rec.loops],
        "arg_types": [list(sig) for sig in rec.arg_types],
    }
    signatures = sorted({c.signature for c in rec.compiles})
    if len(signatures) > 1:
        doc["specializations"] = signatures
    return doc


def build(config: dict[str, Any], records: Iterable[FunctionRecord], events: list[dict[str, Any]],
          dropped: int) -> dict[str, Any]:
    functions = [function_doc(r) for r in records]
    clean_events = [{k: v for k, v in e.items() if k != "seq"} for e in events]
    return {
        "version": VERSION,
        "config": config,
        "functions": functions,
        "events": clean_events,
        "events_dropped": dropped,
        "totals": {
            "compile_ms": round(sum(c["ms"] for f in functions for c in f["compiles"]), 3),
            "code_bytes": sum(f["memory"]["code_bytes"] for f in functions),
        },
    }


def format_stats_text(doc: dict[str, Any]) -> str:
    """A fixed-width table: one row per function, then totals."""
    head = ("function", "tier", "state", "calls t0/t1/t2", "loops", "compile ms", "code B", "bytecode B", "note")
    rows = [head]
    for f in doc["functions"]:
        calls = f["calls"]
        loops = sum(lp["iterations"] for lp in f.get("loops", []))
        ms = sum(c["ms"] for c in f["compiles"])
        note = f["fallback_reason"] or ""
        if f["deopts"]:
            note = (note + " " if note else "") + f"deopts={sum(d['count'] for d in f['deopts'])}"
        if f["osr"]:
            note = (note + " " if note else "") + f"osr={sum(o['count'] for o in f['osr'])}"
        if f.get("arg_types"):
            note = (note + " " if note else "") + "types=" + "|".join(",".join(t) for t in f["arg_types"])
        rows.append((f["qualname"], str(f["tier"]), f["state"], f"{calls['0']}/{calls['1']}/{calls['2']}",
                     str(loops), f"{ms:.2f}", str(f["memory"]["code_bytes"]),
                     str(f["memory"]["bytecode_bytes"]), note))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    cfg = doc["config"]
    totals = doc["totals"]
    lines.append("")
    lines.append(f"total compile {totals['compile_ms']:.2f} ms, machine code {totals['code_bytes']} B "
                 f"(cache limit {cfg['code_cache_mb']} MB); JIT {'on' if cfg['enabled'] else 'off'}; "
                 f"thresholds: tier1 {cfg['tier1_calls']} calls / {cfg['tier1_loops']} loops, "
                 f"tier2 {cfg['tier2_calls']} calls / {cfg['tier2_loops']} loops")
    if not doc["functions"]:
        lines.insert(2, "(no functions registered yet)")
    return "\n".join(lines)
