"""A static HTML table of the stats document, for ``%jit_stats`` when no live dashboard is available.

Reads only documented fields of the stats document (DESIGN sections 5 and 8); the
``text/plain`` half is the engine's ``format_stats_text``.
"""
from __future__ import annotations

from html import escape
from typing import Any, Mapping

_COLUMNS = ("function", "defined in", "tier", "state", "calls t0/t1/t2", "compile ms", "code bytes", "note")


def _row(fn: Mapping[str, Any]) -> list[str]:
    calls = fn.get("calls", {})
    compile_ms = sum(c.get("ms", 0.0) for c in fn.get("compiles", []))
    return [
        fn.get("qualname") or fn.get("name", "?"),
        fn.get("defined_in", ""),
        f"T{fn.get('tier', 0)}",
        fn.get("state", ""),
        "/".join(str(calls.get(t, 0)) for t in ("0", "1", "2")),
        f"{compile_ms:.1f}",
        str(fn.get("memory", {}).get("code_bytes", 0)),
        fn.get("fallback_reason") or "",
    ]


def stats_html(doc: Mapping[str, Any]) -> str:
    """The functions of ``doc`` as one HTML table, with the totals underneath."""
    functions = doc.get("functions", [])
    head = "".join(f"<th>{escape(c)}</th>" for c in _COLUMNS)
    if functions:
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in _row(fn)) + "</tr>" for fn in functions
        )
    else:
        body = f'<tr><td colspan="{len(_COLUMNS)}">no functions recorded yet</td></tr>'
    totals = doc.get("totals", {})
    config = doc.get("config", {})
    foot = (
        f"JIT {'on' if config.get('enabled', True) else 'off'}; "
        f"total compile {totals.get('compile_ms', 0.0):.1f} ms; "
        f"machine code {totals.get('code_bytes', 0)} bytes"
    )
    return (
        '<table class="tierjit-stats">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<p>{escape(foot)}</p>"
    )
