"""The %jit_explain tabs, the %%jit_race view and its break-even arithmetic."""
import pytest

from tierjit.widgets import break_even, explain_view, projected_break_even, race_view

EXPLANATION = {
    "source": "def f(n):\n    return n * 2\n",
    "bytecode": "  2  LOAD_FAST n\n     LOAD_CONST 2\n     BINARY_OP *\n",
    "typed_ir": "f(n: int64) -> int64\n  %0 = mul n, 2",
    "tier1_ir": "define i64 @f(i64 %n) {\n  %r = mul i64 %n, 2\n  ret i64 %r\n}",
    "tier2_ir": "",
    "asm": "lea rax, [rdi+rdi]\nret",
    "summary": "inlined: none; instructions 3 -> 2",
}


def test_explain_has_a_tab_per_stage_in_pipeline_order():
    view = explain_view(EXPLANATION, display=False)
    titles = [view.get_title(i) for i in range(len(view.children))]
    assert titles == ["source", "bytecode", "typed IR", "tier-1 IR", "tier-2 IR", "assembly", "summary"]
    assert view.panes["tier-1 IR"].text.startswith("define i64 @f")
    assert view.panes["assembly"].text == "lea rax, [rdi+rdi]\nret"


def test_explain_text_fallback_marks_stages_that_did_not_run():
    text = explain_view(EXPLANATION, display=False)._repr_mimebundle_()["text/plain"]
    assert "== tier-2 IR ==\n(not available: this stage has not run)" in text
    assert "== source ==\ndef f(n):" in text


def test_explain_keeps_extra_sections_the_engine_adds():
    view = explain_view(dict(EXPLANATION, line_map="line 2 -> %r"), display=False)
    assert view.get_title(7) == "line_map" and view.panes["line_map"].text == "line 2 -> %r"


@pytest.mark.parametrize("interp, jit, expected", [
    ([1.0] * 5, [0.5] * 5, 1),                        # faster from the first call
    ([1.0] * 5, [3.0, 0.1, 0.1, 0.1, 0.1], 4),        # compile cost paid back by call 4 (3.3 <= 4)
    ([1.0] * 3, [3.0, 0.1, 0.1], None),               # still behind at the end
    ([1.0] * 4, [0.5, 5.0, 0.1, 0.1], None),          # ahead early, then a tier-2 compile puts it behind
    ([1.0] * 6, [0.5, 2.0, 0.1, 0.1, 0.1, 0.1], 3),   # ... and it catches up again at call 3 (2.6 <= 3)
    ([], [], None),
])
def test_break_even_is_the_call_from_which_the_jit_stays_ahead(interp, jit, expected):
    assert break_even(interp, jit) == expected


def test_break_even_compares_only_the_calls_both_runs_made():
    assert break_even([1.0] * 10, [3.0, 0.1]) is None
    assert break_even([1.0, 1.0], [0.1] * 10) == 1


def test_projection_extrapolates_steady_speeds():
    # 0.2 s behind after 3 calls, gaining 0.9 s per call -> even at call 3 + 0.2/0.9
    assert projected_break_even([1.0] * 3, [3.0, 0.1, 0.1], tail=2) == pytest.approx(3 + 0.2 / 0.9)
    assert projected_break_even([1.0] * 3, [3.0, 2.0, 2.0]) is None  # never faster: no projection


def test_race_view_from_finished_series_draws_curve_tiers_and_break_even():
    view = race_view([1e-3] * 50, [2e-2] + [1e-4] * 49, [[2, 1], [10, 2]], display=False)
    assert view.chart.interpreted[0] == [1, 1e-3] and view.chart.jit[1] == [2, 1e-4]
    assert view.chart.tier_changes == [[2, 1], [10, 2]]
    # 0.02 + (n-1) * 0.0001 <= n * 0.001 first holds at n = 23
    assert view.chart.break_even == 23 == break_even([1e-3] * 50, [2e-2] + [1e-4] * 49)
    assert view.bars["jit"].value == 50
    text = view._repr_mimebundle_()["text/plain"]
    assert "break-even: call 23" in text and "T2 at call 10" in text


def test_race_view_live_progress_is_throttled_but_finish_shows_everything():
    view = race_view(total=1000, display=False)
    for _ in range(1000):
        view.record("interpreted", 1e-6)
    # A tight loop of 1000 records takes well under 100 ms: at most the first record was pushed.
    assert view.bars["interpreted"].value <= 1 and view.bars["interpreted"].max == 1000
    view.finish()
    assert view.bars["interpreted"].value == 1000 and "1000/1000 calls" in view.labels["interpreted"].value


def test_long_runs_are_downsampled_but_keep_the_warm_up_exact():
    view = race_view([1e-3] * 100_000, [5e-2] + [1e-5] * 99_999, display=False)
    assert len(view.chart.jit) <= 2001 and view.chart.jit[0] == [1, 5e-2]
    assert view.chart.jit[-1][0] == 100_000
