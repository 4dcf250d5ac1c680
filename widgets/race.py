"""The `%%jit_race` view: live progress of the interpreted and JIT runs, then the warm-up curve.

The kernel's magic feeds it plain data (per-call seconds, tier-change call numbers) through
`record`/`tier_change`/`finish`, or passes finished series to `race_view` directly.
"""
from __future__ import annotations

import statistics
import time
from typing import Sequence

import anywidget
import ipywidgets as w
import traitlets

from .breakeven import break_even, projected_break_even
from .esm import CHART_CSS, WARMUP_JS
from .poller import MIN_INTERVAL

LANES = ("interpreted", "jit")
EXACT_CALLS = 200     # the warm-up lives in the first calls: always plotted one point per call
MAX_POINTS = 2000     # beyond that, later calls are averaged in buckets to keep messages small


class WarmupChart(anywidget.AnyWidget):
    """Time per call (log scale) vs call number for both runs, tier changes and the break-even call."""
    _esm = WARMUP_JS
    _css = CHART_CSS
    interpreted = traitlets.List().tag(sync=True)   # [[call number, seconds], ...]
    jit = traitlets.List().tag(sync=True)
    tier_changes = traitlets.List().tag(sync=True)
    break_even = traitlets.Int(None, allow_none=True).tag(sync=True)


def downsample(values: Sequence[float]) -> list[list[float]]:
    """[call number, seconds] points to plot: the first EXACT_CALLS as they are, later ones as bucket means."""
    if len(values) <= MAX_POINTS:
        return [[i + 1, v] for i, v in enumerate(values)]
    points = [[i + 1, v] for i, v in enumerate(values[:EXACT_CALLS])]
    size = -(-(len(values) - EXACT_CALLS) // (MAX_POINTS - EXACT_CALLS))
    for start in range(EXACT_CALLS, len(values), size):
        chunk = values[start:start + size]
        points.append([start + len(chunk), sum(chunk) / len(chunk)])
    return points


def race_text(interpreted: Sequence[float], jit: Sequence[float], tier_changes: Sequence[Sequence[int]]) -> str:
    """The text/plain summary: per run calls, total and median per call; tier changes; break-even."""
    lines = ["%%jit_race"]
    for name, vals in (("interpreted", interpreted), ("JIT", jit)):
        if vals:
            lines.append(f"{name:<12} {len(vals):>7} calls  total {sum(vals):.4f} s  "
                         f"median {statistics.median(vals) * 1e6:.1f} µs/call")
        else:
            lines.append(f"{name:<12} no calls timed")
    if tier_changes:
        lines.append("tier changes: " + ", ".join(f"T{t} at call {c}" for c, t in tier_changes))
    be = break_even(interpreted, jit)
    if be is not None:
        lines.append(f"break-even: call {be} (from there on the JIT run is ahead in total time)")
    else:
        proj = projected_break_even(interpreted, jit)
        lines.append("break-even: not reached" + (f"; projected near call {proj:.0f}" if proj else ""))
    return "\n".join(lines)


class RaceView(w.VBox):
    """Two progress bars while the runs go, the warm-up chart filled as times arrive, a summary at the end."""

    def __init__(self, interpreted: Sequence[float] = (), jit: Sequence[float] = (),
                 tier_changes: Sequence[Sequence[int]] = (), total: int | None = None) -> None:
        self.times = {"interpreted": list(interpreted), "jit": list(jit)}
        self.totals = {lane: total for lane in LANES}
        self.tier_changes = [list(map(int, tc)) for tc in tier_changes]
        self._last_push = 0.0
        self.bars = {lane: w.IntProgress(0, 0, 1, description="interpreted" if lane == "interpreted" else "JIT",
                                         layout=w.Layout(width="60%")) for lane in LANES}
        self.labels = {lane: w.Label("") for lane in LANES}
        self.chart = WarmupChart(layout=w.Layout(width="100%"))
        self.summary = w.VBox()
        super().__init__([w.HBox([self.bars[l], self.labels[l]]) for l in LANES] + [self.chart, self.summary],
                         layout=w.Layout(width="100%", max_width="1200px"))
        self.add_class("tj-race")
        self.bars["jit"].style.bar_color = "#D55E00"
        self.bars["interpreted"].style.bar_color = "#56B4E9"
        self._push()

    def set_total(self, lane: str, calls: int) -> None:
        self.totals[lane] = int(calls)
        self._push()

    def record(self, lane: str, seconds: float) -> None:
        """One call's time; the screen follows at most 10 times a second."""
        self.times[lane].append(float(seconds))
        now = time.monotonic()
        if now - self._last_push >= MIN_INTERVAL:
            self._push(now)

    def tier_change(self, call: int, tier: int) -> None:
        self.tier_changes.append([int(call), int(tier)])

    def finish(self) -> "RaceView":
        self._push()
        text = race_text(self.times["interpreted"], self.times["jit"], self.tier_changes)
        self.summary.children = [w.Label(line) for line in text.splitlines()[1:]]
        return self

    def _push(self, now: float | None = None) -> None:
        self._last_push = time.monotonic() if now is None else now
        for lane in LANES:
            done, total = len(self.times[lane]), self.totals[lane]
            bar = self.bars[lane]
            bar.max = max(1, total or done)
            bar.value = min(done, bar.max)
            self.labels[lane].value = (f"{done}" + (f"/{total}" if total else "") +
                                       f" calls · {sum(self.times[lane]):.3f} s")
        a, b = self.times["interpreted"], self.times["jit"]
        with self.chart.hold_sync():
            self.chart.interpreted, self.chart.jit = downsample(a), downsample(b)
            self.chart.tier_changes = [list(tc) for tc in self.tier_changes]
            self.chart.break_even = break_even(a, b)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = race_text(self.times["interpreted"], self.times["jit"], self.tier_changes)
        return bundle


def race_view(interpreted: Sequence[float] = (), jit: Sequence[float] = (), tier_changes: Sequence[Sequence[int]] = (),
              total: int | None = None, display: bool = True) -> RaceView:
    """Builds (and by default displays) a race view.

    Live use: `v = race_view(total=n)`, then `v.record("interpreted", s)` per call, `v.record("jit", s)`,
    `v.tier_change(call, tier)` when the engine reports one, and `v.finish()`. Finished data: pass the
    series and the tier changes ([call number, new tier] pairs) and it is drawn at once.
    """
    view = RaceView(interpreted, jit, tier_changes, total)
    if interpreted or jit:
        view.finish()
    if display:
        from IPython.display import display as show
        show(view)
    return view
