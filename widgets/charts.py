"""anywidget models for the SVG charts: a function's timeline, the memory panel and a code pane.

Each class only declares the synced data; the drawing lives in `esm.py`. The data are plain JSON
lists/dicts so a test can assert exactly what the browser will be asked to draw.
"""
from __future__ import annotations

import anywidget
import traitlets

from .esm import CHART_CSS, TIMELINE_JS, MEMORY_JS

CODE_JS = r"""
function render({ model, el }) {
  const pre = document.createElement("pre");
  pre.className = "tj-code";
  // textContent, never innerHTML: IR and assembly contain '<' and user source may contain anything.
  const draw = () => { pre.textContent = model.get("text") || "(not available: this stage has not run)"; };
  model.on("change:text", draw);
  draw();
  el.appendChild(pre);
}
export default { render };
"""


class TimelineChart(anywidget.AnyWidget):
    """Tier segments, compile spans and OSR/deopt markers of one function over the shared window.

    With `show_axis` it draws only the time axis (the header of the dashboard's timeline column).
    """
    _esm = TIMELINE_JS
    _css = CHART_CSS
    segments = traitlets.List().tag(sync=True)
    spans = traitlets.List().tag(sync=True)
    markers = traitlets.List().tag(sync=True)
    window = traitlets.List([0.0, 1.0]).tag(sync=True)
    show_axis = traitlets.Bool(False).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)


class MemoryChart(anywidget.AnyWidget):
    """Bytecode vs machine-code bytes per function, and the total against the code-cache limit."""
    _esm = MEMORY_JS
    _css = CHART_CSS
    rows = traitlets.List().tag(sync=True)
    total_code_bytes = traitlets.Int(0).tag(sync=True)
    total_bytecode_bytes = traitlets.Int(0).tag(sync=True)
    limit_bytes = traitlets.Int(0).tag(sync=True)


class CodeView(anywidget.AnyWidget):
    """A scrollable monospace pane for source, bytecode, IR or assembly text."""
    _esm = CODE_JS
    _css = CHART_CSS
    text = traitlets.Unicode("").tag(sync=True)
