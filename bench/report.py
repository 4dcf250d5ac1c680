"""Prints a run's records as plain-text tables: speed-ups, times, compiles, overheads.

Ratios are always CPython's median over the system's median (higher is faster);
a wrong answer is shown with "!" and spelled out under the table.
"""

from __future__ import annotations

from bench.records import SYSTEM_TITLES, SYSTEMS, KernelResult, geomean


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.3g}x" if ratio < 1000 else f"{ratio:.2e}x"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def tier_label(cell) -> str:
    if cell.tier is None:
        return "-"
    state = f" {cell.state}" if cell.state not in (None, "compiled", "profiling") else ""
    return f"t{cell.tier}{state}"


def cold_and_steady_tiers(cell) -> str:
    """Steady tier, and the tier the cold run's entry had reached by its result."""
    cold = (cell.detail.get("cold") or {}).get("tier")
    return tier_label(cell) + ("" if cold is None else f" (cold: t{cold})")


def ratio(base, value) -> float | None:
    return base / value if base and value else None


def speedup_columns(available: dict) -> list[tuple[str, str, str]]:
    """(header, system, which figure) for every column of the speed-up table."""
    cols = [("tierjit", "tierjit", "median"), ("tier", "tierjit", "tier"),
            ("tierjit ttr", "tierjit", "ttr"), ("Numba", "numba", "median"),
            ("Numba ttr", "numba", "ttr"), ("PyPy", "pypy", "median"),
            ("PyPy ttr", "pypy", "ttr"), ("gcc -O3", "c", "median")]
    return [c for c in cols if not available.get(c[1])]


def speedup_table(results: list[KernelResult], available: dict) -> str:
    cols = speedup_columns(available)
    rows, per_col = [], {h: [] for h, _, _ in cols}
    for res in results:
        base = res.cells["cpython"]
        row = [res.name, fmt_time(base.median) + ("!" if base.correct is False else "")]
        for header, system, figure in cols:
            cell = res.cells[system]
            if figure == "tier":
                row.append(tier_label(cell) if cell.status == "ok" else "-")
                continue
            if cell.status != "ok":
                row.append(cell.status)
                continue
            # ttr is compared with CPython's own time to result (its first run, cold).
            r = ratio(base.median, cell.median) if figure == "median" else ratio(base.ttr, cell.ttr)
            wrong = cell.correct is False
            row.append(fmt_ratio(r) + ("!" if wrong else ""))
            if r and not wrong:
                per_col[header].append(r)
        rows.append(row)
    geo = ["geomean (correct only)", ""]
    for header, _, figure in cols:
        g = geomean(per_col[header])
        geo.append("" if figure == "tier" else f"{fmt_ratio(g)} ({len(per_col[header])})")
    rows.append(geo)
    return table(["kernel", "CPython", *[h for h, _, _ in cols]], rows)


def times_table(results: list[KernelResult]) -> str:
    rows = []
    for res in results:
        for system in SYSTEMS:
            cell = res.cells.get(system)
            if cell is None or cell.status == "skipped":
                continue
            if cell.status == "error":
                rows.append([res.name, SYSTEM_TITLES[system], "error", "", "", "", "", "", "", ""])
                continue
            answer = cell.answers[-1] if cell.answers else "-"
            mark = {True: "ok", False: "WRONG", None: "?"}[cell.correct]
            rows.append([res.name, SYSTEM_TITLES[system], fmt_time(cell.median), fmt_time(cell.min),
                         fmt_time(cell.max), str(len(cell.times)), fmt_time(cell.first),
                         fmt_time(cell.ttr), cold_and_steady_tiers(cell) if system == "tierjit" else "",
                         f"{mark} {answer[:24]}"])
    return table(["kernel", "system", "median", "min", "max", "runs", "first call", "ttr", "tier",
                  "answer"], rows)


def footnotes(results: list[KernelResult], available: dict) -> str:
    lines = [f"- {SYSTEM_TITLES[s]} skipped: {why}" for s, why in available.items() if why]
    for res in results:
        for system, cell in res.cells.items():
            title = SYSTEM_TITLES[system]
            if cell.correct is False:
                wrong = next(a for a in cell.answers if a != res.reference)
                lines.append(f"- WRONG {title} {res.name}: returned {wrong}, expected {res.reference}")
            if cell.status == "error":
                lines.append(f"- error {title} {res.name}: {cell.note}")
            elif cell.note and cell.status == "ok":
                lines.append(f"- note {title} {res.name}: {cell.note}")
            notes = cell.detail.get("notes") or []
            lines += [f"- note {title} {res.name}: {n}" for n in notes]
    return "\n".join(lines)


def compile_table(results: list[KernelResult]) -> str:
    """Per function: the tier it reached and each compile's ms, read from the engine's stats."""
    rows = []
    for res in results:
        cell = res.cells.get("tierjit")
        if cell is None or cell.status != "ok":
            continue
        for fn in cell.detail.get("functions", []):
            t1 = [c["ms"] for c in fn["compiles"] if c.get("tier") == 1 and c.get("ms") is not None]
            t2 = [c["ms"] for c in fn["compiles"] if c.get("tier") == 2 and c.get("ms") is not None]
            code = sum(c.get("code_bytes") or 0 for c in fn["compiles"])
            rows.append([res.name, fn["name"], f"t{fn['tier']}", fn.get("state") or "-",
                         " ".join(f"{ms:.1f}" for ms in t1) or "-",
                         " ".join(f"{ms:.1f}" for ms in t2) or "-", str(code),
                         str(fn.get("osr", 0)), str(fn.get("deopts", 0)),
                         (fn.get("fallback_reason") or "")[:50]])
    if not rows:
        return "(no tierjit function records)"
    return table(["kernel", "function", "tier", "state", "tier-1 ms", "tier-2 ms", "code bytes",
                  "osr", "deopts", "fallback"], rows)
