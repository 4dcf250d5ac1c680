"""The dashboard widget built from recorded documents: what it would send to the browser."""
import copy
import threading
import time

from tierjit.widgets import Dashboard, show_dashboard


def test_one_row_per_function_with_badge_timeline_calls_and_compile_ms(climb):
    dash = Dashboard(climb)
    dash.refresh()
    assert list(dash.row_views) == ["f1", "f2", "f3"]
    row = dash.row_views["f1"]
    assert row.name.value == "sum_of_squares"
    assert row.badge.value == "T2" and row.badge.style.background == "#009E73"
    assert [s["tier"] for s in row.timeline.segments] == [0, 1, 2]
    assert [m["kind"] for m in row.timeline.markers] == ["osr", "deopt"]
    assert [s["tier"] for s in row.timeline.spans] == [1, 2]
    assert row.timeline.window == [1.0, 6.0]
    assert row.calls.value == "2 / 998 / 4000" and row.compile_ms.value == "12.0 ms"
    unsupported = dash.row_views["f3"]
    assert unsupported.badge.value == "T0 unsupported" and "yield" in unsupported.badge.tooltip
    dash.close()


def test_memory_panel_has_bytes_per_function_and_the_cache_limit(climb):
    dash = Dashboard(climb)
    dash.refresh()
    assert dash.memory.rows[0] == {"name": "sum_of_squares", "bytecode_bytes": 96, "code_bytes": 4096}
    assert (dash.memory.total_code_bytes, dash.memory.total_bytecode_bytes) == (5120, 208)
    assert dash.memory.limit_bytes == 64 * 1024 * 1024
    assert "machine code 5.0 KiB of 64.0 MiB" in dash.status.value
    dash.close()


def test_mime_bundle_has_the_widget_and_a_text_table(climb):
    dash = Dashboard(climb)
    dash.refresh()
    bundle = dash._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == dash.model_id
    assert "sum_of_squares" in bundle["text/plain"] and "2/998/4000" in bundle["text/plain"]
    dash.close()


def test_a_reset_removes_rows_and_a_new_function_adds_one(climb):
    doc = copy.deepcopy(climb)
    dash = Dashboard(lambda: doc)
    dash.refresh()
    kept = dash.row_views["f2"]
    doc["functions"] = [f for f in doc["functions"] if f["id"] == "f2"] + [
        {"id": "f9", "name": "dot", "qualname": "dot", "tier": 0, "state": "profiling", "calls": {"0": 1}}]
    dash.refresh()
    assert [v.name.value for v in dash.rows_box.children] == ["fib", "dot"]
    assert dash.row_views["f2"] is kept  # existing rows update in place, they are not rebuilt
    dash.close()


def test_live_dashboard_follows_a_changing_source_and_stops_on_close(climb):
    doc = copy.deepcopy(climb)
    lock = threading.Lock()

    def source():
        with lock:
            return copy.deepcopy(doc)

    dash = show_dashboard(source, interval=0.1)
    try:
        assert dash.poller.running
        with lock:
            doc["functions"][1]["tier"] = 2
            doc["functions"][1]["calls"]["2"] = 50
            doc["events"].append({"t": 6.5, "kind": "tier_up", "function": "f2", "tier": 2})
            doc["now"] = 7.0
        deadline = time.monotonic() + 3
        while dash.row_views["f2"].badge.value != "T2" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert dash.row_views["f2"].badge.value == "T2"
        assert dash.row_views["f2"].calls.value == "2 / 120 / 50"
        assert [s["tier"] for s in dash.row_views["f2"].timeline.segments] == [0, 1, 2]
    finally:
        dash.close()
    assert not dash.poller.running and dash.poller._thread is not None


def test_source_errors_are_shown_and_polling_continues(climb):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("engine busy")
        return climb

    dash = Dashboard(flaky, interval=0.1)
    dash.refresh()
    dash.start()
    deadline = time.monotonic() + 3
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    dash.close()
    assert len(calls) >= 4  # the failing poll did not stop the thread
    assert not dash.poller.running


def test_recorded_document_without_engine_renders_as_a_snapshot(unsupported):
    dash = Dashboard(unsupported)
    dash.refresh()
    assert [v.badge.value for v in dash.rows_box.children] == ["T0 unsupported", "T0 unsupported"]
    assert "JIT off" in dash.status.value
    dash.close()


def test_live_document_without_now_gets_the_present_time_estimated(climb):
    doc = copy.deepcopy(climb)
    del doc["now"]
    dash = Dashboard(lambda: doc, interval=0.1).start()
    try:
        time.sleep(0.35)
        dash.refresh()
        # The last event was at t=3.50175; the estimate can only move forward from there, never jump ahead.
        end = dash.model.window[1]
        assert 3.50175 + 0.2 <= end <= 3.50175 + 2.0
        assert dash.row_views["f1"].timeline.segments[-1]["t1"] == end
    finally:
        dash.close()
