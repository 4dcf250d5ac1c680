"""The `%jit_stats` dashboard: one ipywidgets row per function plus a memory panel, updated live.

It owns layout and live refresh only; rows come from `records.build_model`, drawing from the
chart widgets, and the polling thread from `poller.Poller`.
"""
from __future__ import annotations

import threading
import time
from typing import Mapping

import ipywidgets as w

from .charts import MemoryChart, TimelineChart
from .poller import Poller
from .records import DashboardModel, FunctionRow, build_model, document_now
from .source import StatsSource, as_source
from .text import dashboard_text, format_bytes

# Okabe-Ito colours behind black text (contrast >= 6:1); the badge text names the tier as well.
BADGE_COLOURS = {0: "#56B4E9", 1: "#E69F00", 2: "#009E73"}
STATE_COLOURS = {"unsupported": "#BBBBBB", "disabled": "#BBBBBB", "backed_off": "#CC79A7", "evicted": "#BBBBBB"}
LEGEND = ("T0 interpreter (sky blue) · T1 fast compile (orange) · T2 optimised (green)",
          "thin blue bar = compile · ▼ OSR entry · △ OSR exit · ✕ deopt · | fallback or evict · hover a mark for its reason")

# Column widths shared by the header and every row so they line up; the timeline takes the rest.
NAME_W, BADGE_W, CALLS_W, MS_W = "140px", "115px", "150px", "75px"


def _cell(text: str, width: str, **style) -> w.Label:
    return w.Label(text, layout=w.Layout(width=width, min_width=width, overflow="hidden"), style=style)


class FunctionRowView(w.HBox):
    """One function: name, tier badge, timeline, calls per tier, compile ms."""

    def __init__(self, row: FunctionRow, window: tuple[float, float]) -> None:
        self.name = _cell("", NAME_W, font_weight="bold")
        self.badge = _cell("", BADGE_W, font_weight="bold", text_color="#000000")
        self.timeline = TimelineChart(layout=w.Layout(flex="1 1 auto", min_width="160px", width="auto"))
        self.calls = _cell("", CALLS_W, font_family="monospace")
        self.compile_ms = _cell("", MS_W, font_family="monospace")
        super().__init__([self.name, self.badge, self.timeline, self.calls, self.compile_ms],
                         layout=w.Layout(align_items="center", width="100%"))
        self.add_class("tj-row")
        self.update(row, window)

    def update(self, row: FunctionRow, window: tuple[float, float]) -> None:
        # Traitlets only sync values that changed, so re-setting an unchanged row sends nothing.
        self.name.value, self.name.tooltip = row.qualname, f"{row.qualname} ({row.defined_in})"
        self.badge.value = row.badge
        self.badge.style.background = STATE_COLOURS.get(row.state, BADGE_COLOURS.get(row.tier, "#BBBBBB"))
        self.badge.tooltip = row.fallback_reason or f"{row.state} at tier {row.tier}"
        tl = row.timeline.to_json()
        with self.timeline.hold_sync():
            self.timeline.segments, self.timeline.spans, self.timeline.markers = tl["segments"], tl["spans"], tl["markers"]
            self.timeline.window = list(window)
            self.timeline.label = f"timeline of {row.qualname}"
        self.calls.value = " / ".join(str(c) for c in row.calls)
        self.calls.tooltip = f"calls at tier 0 / 1 / 2; {row.osr_count} OSR entries, {row.deopt_count} deopts"
        self.compile_ms.value = f"{row.compile_ms:.1f} ms"


class Dashboard(w.VBox):
    """The live dashboard. `refresh(doc)` applies a stats document; `start()` begins polling `source`."""

    def __init__(self, source: StatsSource | Mapping | None = None, interval: float = 0.2) -> None:
        self.source = as_source(source)
        self.model: DashboardModel = build_model({})
        self._lock = threading.Lock()
        self._engine_offset: float | None = None
        self.status = w.Label("", layout=w.Layout(width="100%"))
        self.error = w.Label("", style={"text_color": "#D55E00"})
        self.axis = TimelineChart(show_axis=True, layout=w.Layout(flex="1 1 auto", min_width="160px", width="auto"))
        header = w.HBox([_cell("function", NAME_W, font_weight="bold"), _cell("tier", BADGE_W, font_weight="bold"),
                         self.axis, _cell("calls T0 / T1 / T2", CALLS_W, font_weight="bold"),
                         _cell("compile", MS_W, font_weight="bold")], layout=w.Layout(width="100%"))
        self.rows_box = w.VBox(layout=w.Layout(width="100%"))
        self.row_views: dict[str, FunctionRowView] = {}
        self.memory = MemoryChart(layout=w.Layout(width="100%"))
        self.memory_title = w.Label("Memory: bytecode vs machine code per function, and the code cache",
                                    style={"font_weight": "bold"})
        super().__init__([self.status, header, self.rows_box, *(w.Label(line, style={"font_size": "11px"}) for line in LEGEND),
                          self.memory_title, self.memory, self.error],
                         layout=w.Layout(width="100%", max_width="1200px", overflow="hidden"))
        self.add_class("tj-dashboard")
        self.poller = Poller(self.source, self.refresh, interval, on_error=self._show_error,
                             keep_going=lambda: self.comm is not None)

    def start(self) -> "Dashboard":
        self.poller.start()
        return self

    def refresh(self, doc: Mapping | None = None) -> None:
        """Shows `doc` (or a fresh snapshot from the source). Safe to call from the polling thread."""
        model = build_model(self._with_now(self.source() if doc is None else doc))
        with self._lock:
            self.model = model
            self._apply(model)

    def _with_now(self, doc: Mapping) -> Mapping:
        """Adds an estimated `now` to live documents that lack one, so the current tier's bar reaches the present.

        Every event happened before we saw it, so (our clock - event time) over-estimates when the engine's
        clock started; the smallest such value seen is the best estimate, and never puts `now` too late.
        """
        if "now" in doc or "uptime" in doc or not self.poller.running:
            return doc
        last = document_now(doc)
        seen = time.monotonic() - last
        self._engine_offset = seen if self._engine_offset is None else min(self._engine_offset, seen)
        return {**doc, "now": max(last, time.monotonic() - self._engine_offset)}

    def _apply(self, model: DashboardModel) -> None:
        views = []
        for row in model.rows:
            view = self.row_views.get(row.id)
            if view is None:
                view = self.row_views[row.id] = FunctionRowView(row, model.window)
            else:
                view.update(row, model.window)
            views.append(view)
        for fid in set(self.row_views) - {r.id for r in model.rows}:
            self.row_views.pop(fid).close()  # gone after %jit_reset: free its models in the frontend too
        if tuple(self.rows_box.children) != tuple(views):
            self.rows_box.children = views
        self.axis.window = list(model.window)
        limit = format_bytes(model.limit_bytes) if model.limit_bytes else "no limit"
        plural = "" if len(model.rows) == 1 else "s"
        self.status.value = (f"{len(model.rows)} function{plural} · compile {model.total_compile_ms:.1f} ms · machine code "
                             f"{format_bytes(model.total_code_bytes)} of {limit}"
                             + ("" if model.enabled else " · JIT off") + (" · live" if self.poller.running else ""))
        with self.memory.hold_sync():
            self.memory.rows = [{"name": r.qualname, "bytecode_bytes": r.bytecode_bytes, "code_bytes": r.code_bytes}
                                for r in model.rows]
            self.memory.total_code_bytes = model.total_code_bytes
            self.memory.total_bytecode_bytes = model.total_bytecode_bytes
            self.memory.limit_bytes = model.limit_bytes
        self.error.value = ""

    def _show_error(self, exc: BaseException) -> None:
        self.error.value = f"stats source failed: {type(exc).__name__}: {exc}"

    def close(self) -> None:
        self.poller.stop()
        _close_tree(self)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = dashboard_text(self.model)
        return bundle


def _close_tree(widget: w.Widget) -> None:
    """Closes a widget and every widget under it, so the frontend drops all their models."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    w.Widget.close(widget)


def show_dashboard(source: StatsSource | Mapping | None = None, interval: float = 0.2) -> Dashboard:
    """Displays a live dashboard for `source` (default: the running engine's stats) and returns it.

    `source` may also be a recorded stats document, shown as a still snapshot. The caller (the
    `%jit_stats` magic) should not also return it as the cell's value, or it would display twice.
    """
    from IPython.display import display

    dash = Dashboard(source, interval)
    dash.refresh()
    display(dash)
    return dash.start()
