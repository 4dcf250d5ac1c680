"""The static HTML table %jit_stats shows where the widget dashboard cannot load,
rendered from a stats document as %jit_stats --json prints it."""
from __future__ import annotations

from tierjit.kernel.stats_view import stats_html

DOC = {
    "version": 1,
    "config": {"enabled": True},
    "functions": [
        {"name": "f", "qualname": "f", "defined_in": "cell[2]", "tier": 1, "state": "compiled",
         "calls": {"0": 2, "1": 98, "2": 0},
         "compiles": [{"tier": 1, "ms": 2.5, "code_bytes": 400, "ir_bytes": 900, "background": False, "signature": "(int)"}],
         "fallback_reason": None, "memory": {"bytecode_bytes": 30, "code_bytes": 400}},
        {"name": "<lambda>", "qualname": "<lambda>", "defined_in": "cell[3]", "tier": 0, "state": "unsupported",
         "calls": {"0": 0, "1": 0, "2": 0}, "compiles": [], "fallback_reason": "decorated",
         "memory": {"bytecode_bytes": 0, "code_bytes": 0}},
    ],
    "totals": {"compile_ms": 2.5, "code_bytes": 400},
}


def test_one_row_per_function_with_calls_per_tier_and_compile_time():
    html = stats_html(DOC)
    assert html.count("<tr>") == 3  # header + two functions
    assert "<td>2/98/0</td>" in html and "<td>2.5</td>" in html and "<td>T1</td>" in html
    assert "<td>decorated</td>" in html


def test_names_are_escaped():
    assert "&lt;lambda&gt;" in stats_html(DOC) and "<lambda>" not in stats_html(DOC)


def test_empty_document_says_so():
    assert "no functions recorded yet" in stats_html({"functions": []})
