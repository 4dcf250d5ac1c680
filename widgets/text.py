"""Plain-text renderings of the dashboard, explain and race views.

These are the `text/plain` halves of each view's MIME bundle: what nbconvert, terminals and
notebooks opened without widgets show, so they must stand alone as readable tables.
"""
from __future__ import annotations

from typing import Sequence

from .records import DashboardModel, FunctionRow


def format_bytes(n: int) -> str:
    """Human-sized byte counts: 812 B, 4.0 KiB, 1.5 MiB."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


def life_text(row: FunctionRow) -> str:
    """The timeline in words: the tier sequence with the time each tier began."""
    parts = []
    for i, seg in enumerate(row.timeline.segments):
        parts.append(f"T{seg.tier}" if i == 0 else f"T{seg.tier}@{seg.t0:.2f}s")
    return "->".join(parts)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A fixed-width table with a rule under the header; numbers right-aligned."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def dashboard_text(model: DashboardModel) -> str:
    """The whole dashboard as a table plus a memory line."""
    if not model.rows:
        body = "no functions recorded yet"
    else:
        headers = ["function", "tier", "state", "calls t0/t1/t2", "compile ms", "osr", "deopts",
                   "bytecode", "machine code", "life", "note"]
        rows = [[r.qualname, f"T{r.tier}", r.state,
                 "/".join(str(c) for c in r.calls), f"{r.compile_ms:.1f}", str(r.osr_count), str(r.deopt_count),
                 format_bytes(r.bytecode_bytes), format_bytes(r.code_bytes), life_text(r), r.fallback_reason or ""] for r in model.rows]
        body = table(headers, rows, [False, False, False, True, True, True, True, True, True, False, False])
    limit = format_bytes(model.limit_bytes) if model.limit_bytes else "no limit"
    memory = (f"memory: bytecode {format_bytes(model.total_bytecode_bytes)}, machine code "
              f"{format_bytes(model.total_code_bytes)} of {limit} code cache; compile {model.total_compile_ms:.1f} ms total")
    head = "tierjit JIT stats" + ("" if model.enabled else " (JIT off)")
    dropped = f"\n({model.events_dropped} older events dropped)" if model.events_dropped else ""
    return f"{head}\n{body}\n{memory}{dropped}"
