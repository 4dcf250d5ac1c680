"""Timelines and rows derived from recorded stats documents."""
from tierjit.widgets.records import build_model
from tierjit.widgets.text import dashboard_text, life_text
from tierjit.widgets.timeline import Segment, build_timeline


def test_climbing_function_has_one_segment_per_tier_in_order(climb):
    row = build_model(climb).rows[0]
    assert row.name == "sum_of_squares"
    assert [s.tier for s in row.timeline.segments] == [0, 1, 2]
    t0, t1, t2 = row.timeline.segments
    assert (t0.t1, t1.t0) == (1.0025, 1.0025) and (t1.t1, t2.t0) == (2.0095, 2.0095)
    assert t2.t1 == 6.0  # the last tier lasts until the document's "now"


def test_compile_spans_run_from_start_to_end_event(climb):
    spans = build_model(climb).rows[0].timeline.spans
    assert [(s.tier, s.t0, s.t1, s.ms, s.done) for s in spans] == [
        (1, 1.0, 1.0025, 2.5, True), (2, 2.0, 2.0095, 9.5, True)]


def test_osr_and_deopt_are_markers_with_their_reason(climb):
    markers = build_model(climb).rows[0].timeline.markers
    assert [(m.kind, m.t) for m in markers] == [("osr", 1.5), ("deopt", 3.0)]
    assert "argument types changed: float" in markers[1].label
    assert "tier-1" in markers[0].label


def test_a_deopt_does_not_end_the_compiled_segment(climb):
    # The deopt at t=3.0 finished one call in the interpreter; the tier-2 code stays installed.
    assert build_model(climb).rows[0].timeline.segments[-1] == Segment(2.0095, 6.0, 2)


def test_compile_still_running_is_an_open_span_up_to_now():
    tl = build_timeline([{"t": 1.0, "kind": "compile_start", "function": "f", "tier": 2}], start=0.0, now=1.5)
    assert [(s.t0, s.t1, s.done) for s in tl.spans] == [(1.0, 1.5, False)]


def test_compile_end_without_start_is_rebuilt_from_its_duration():
    tl = build_timeline([{"t": 2.0, "kind": "compile_end", "function": "f", "tier": 1, "ms": 500.0}], 0.0, 3.0)
    assert (tl.spans[0].t0, tl.spans[0].t1) == (1.5, 2.0)


def test_eviction_sends_the_function_back_to_tier_zero():
    events = [{"t": 1.0, "kind": "tier_up", "tier": 1}, {"t": 2.0, "kind": "evict", "tier": 1, "reason": "cache full"}]
    tl = build_timeline(events, 0.0, 3.0)
    assert [(s.t0, s.t1, s.tier) for s in tl.segments] == [(0.0, 1.0, 0), (1.0, 2.0, 1), (2.0, 3.0, 0)]
    assert "cache full" in tl.markers[0].label


def test_function_without_events_shows_the_tier_its_record_reports():
    assert build_timeline([], 0.0, 2.0, final_tier=2).segments == (Segment(0.0, 2.0, 2),)


def test_rows_carry_calls_compile_time_and_memory(climb):
    model = build_model(climb)
    f1, fib, gen = model.rows
    assert f1.calls == (2, 998, 4000) and f1.compile_ms == 12.0 and f1.compiles == 2
    assert (f1.bytecode_bytes, f1.code_bytes, f1.osr_count, f1.deopt_count) == (96, 4096, 1, 2)
    assert fib.badge == "T1" and gen.badge == "T0 unsupported"
    assert gen.fallback_reason.startswith("generator")
    assert model.total_code_bytes == 5120 and model.limit_bytes == 64 * 1024 * 1024
    assert model.window == (1.0, 6.0)


def test_text_fallback_lists_every_function_with_its_tier_and_memory(climb):
    text = dashboard_text(build_model(climb))
    lines = {line.split()[0]: line for line in text.splitlines() if line.split()}
    assert "T2" in lines["sum_of_squares"] and "2/998/4000" in lines["sum_of_squares"]
    assert "4.0 KiB" in lines["sum_of_squares"] and "T0->T1@1.00s->T2@2.01s" in lines["sum_of_squares"]
    assert "unsupported" in lines["squares"] and "'yield' at line 2" in lines["squares"]
    assert "machine code 5.0 KiB of 64.0 MiB" in text


def test_text_fallback_says_when_the_jit_is_off(unsupported):
    text = dashboard_text(build_model(unsupported))
    assert text.splitlines()[0] == "tierjit JIT stats (JIT off)"
    assert "decorated" in text and "of 16.0 MiB" in text


def test_empty_document_renders():
    model = build_model({})
    assert model.rows == () and "no functions recorded yet" in dashboard_text(model)


def test_life_text_names_each_tier_change(climb):
    assert life_text(build_model(climb).rows[1]) == "T0->T1@3.50s"
