"""The ES modules (anywidget `_esm`) that draw the timeline, memory and warm-up charts as SVG.

Kept as Python strings so the package needs no data files. Colours are the Okabe-Ito palette
(readable with colour-blind vision) and every coloured mark also carries a text label or shape.
"""

# Shared by every chart: palette, SVG element helper, number formatting, a width that follows the cell.
COMMON_JS = r"""
const TIER_COLOURS = ["#56B4E9", "#E69F00", "#009E73"];
const COMPILE_COLOUR = "#0072B2", OSR_COLOUR = "#D55E00", DEOPT_COLOUR = "#CC79A7";
const NS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs, parent, title) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (title) { const t = document.createElementNS(NS, "title"); t.textContent = title; node.appendChild(t); }
  if (parent) parent.appendChild(node);
  return node;
}
function fmtBytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}
function fmtSeconds(s) { if (s === 0) return "0 s"; return s >= 10 ? s.toFixed(0) + " s" : s >= 1 ? s.toFixed(1) + " s" : (s * 1000).toFixed(0) + " ms"; }
function fmtDuration(s) {
  const units = [[1, " s"], [1e-3, " ms"], [1e-6, " µs"], [1e-9, " ns"]];
  for (const [u, name] of units) if (s >= u * 0.999) return +(s / u).toPrecision(3) + name;
  return s.toExponential(1) + " s";
}
function niceStep(span, maxTicks) {
  const raw = span / Math.max(1, maxTicks), mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}
function followWidth(el, draw) {
  // Redraw at the element's real width so text never stretches and nothing overflows narrow cells.
  const ro = new ResizeObserver(() => draw());
  ro.observe(el);
  return () => ro.disconnect();
}
"""

TIMELINE_JS = COMMON_JS + r"""
function render({ model, el }) {
  el.classList.add("tj-timeline");
  const draw = () => {
    const width = Math.max(120, el.clientWidth || 480), axis = model.get("show_axis");
    const height = axis ? 22 : 32, pad = 6;
    const [w0, w1] = model.get("window"), span = Math.max(1e-9, w1 - w0);
    const x = (t) => pad + ((t - w0) / span) * (width - 2 * pad);
    el.replaceChildren();
    const svg = svgEl("svg", { width, height, role: "img", "aria-label": model.get("label") }, el);
    if (axis) {
      const step = niceStep(span, Math.floor(width / 70));
      for (let t = Math.ceil(w0 / step) * step; t <= w1 + 1e-9; t += step) {
        svgEl("line", { x1: x(t), x2: x(t), y1: 14, y2: 20, stroke: "currentColor" }, svg);
        // Ticks at the edges anchor inwards so their text is not clipped.
        const anchor = x(t) < 20 ? "start" : x(t) > width - 20 ? "end" : "middle";
        const label = svgEl("text", { x: x(t), y: 11, "text-anchor": anchor, class: "tj-tick" }, svg);
        label.textContent = fmtSeconds(t);
      }
      return;
    }
    for (const s of model.get("segments")) {
      const x0 = x(s.t0), w = Math.max(1, x(s.t1) - x0);
      svgEl("rect", { x: x0, y: 8, width: w, height: 14, fill: TIER_COLOURS[s.tier] || "#999",
        class: "tj-seg", "data-tier": s.tier }, svg,
        `tier ${s.tier} from ${fmtSeconds(s.t0)} to ${fmtSeconds(s.t1)}`);
      if (w > 24) {
        const label = svgEl("text", { x: x0 + w / 2, y: 19, "text-anchor": "middle", class: "tj-seg-label" }, svg);
        label.textContent = "T" + s.tier;
      }
    }
    for (const c of model.get("spans")) {
      const x0 = x(c.t0), w = Math.max(3, x(c.t1) - x0);
      svgEl("rect", { x: x0, y: 24, width: w, height: 6, fill: COMPILE_COLOUR, class: "tj-compile",
        "data-tier": c.tier, "stroke-dasharray": c.done ? "" : "2 2" }, svg,
        `tier-${c.tier} compile ` + (c.done ? `${(c.ms || 0).toFixed(2)} ms` : "running"));
    }
    for (const m of model.get("markers")) {
      const cx = x(m.t);
      let mark;
      if (m.kind === "osr") mark = svgEl("path", { d: `M${cx - 5} 0 L${cx + 5} 0 L${cx} 8 Z`, fill: OSR_COLOUR }, svg, m.label);
      else if (m.kind === "osr_exit") mark = svgEl("path", { d: `M${cx - 5} 8 L${cx + 5} 8 L${cx} 0 Z`, fill: "none", stroke: OSR_COLOUR, "stroke-width": 1.5 }, svg, m.label);
      else if (m.kind === "deopt") mark = svgEl("path", { d: `M${cx - 4} 0 L${cx + 4} 8 M${cx + 4} 0 L${cx - 4} 8`, stroke: DEOPT_COLOUR, "stroke-width": 2.5 }, svg, m.label);
      else mark = svgEl("line", { x1: cx, x2: cx, y1: 2, y2: 30, stroke: "currentColor", "stroke-width": 2 }, svg, m.label);
      mark.setAttribute("class", "tj-marker tj-" + m.kind);
      mark.setAttribute("data-reason", m.label);
    }
  };
  for (const name of ["segments", "spans", "markers", "window", "show_axis"]) model.on("change:" + name, draw);
  draw();
  return followWidth(el, draw);
}
export default { render };
"""

MEMORY_JS = COMMON_JS + r"""
function render({ model, el }) {
  el.classList.add("tj-memory");
  const draw = () => {
    const rows = model.get("rows"), width = Math.max(320, el.clientWidth || 640);
    const nameW = Math.min(180, width * 0.25), valueW = 80, barW = Math.max(60, width - nameW - valueW - 12);
    const rowH = 30, top = 22, height = top + rows.length * rowH + 40;
    el.replaceChildren();
    const svg = svgEl("svg", { width, height, role: "img", "aria-label": "code memory per function" }, el);
    const legend = [["bytecode", TIER_COLOURS[0]], ["machine code", OSR_COLOUR]];
    legend.forEach(([text, colour], i) => {
      svgEl("rect", { x: nameW + i * 130, y: 4, width: 12, height: 12, fill: colour }, svg);
      const t = svgEl("text", { x: nameW + i * 130 + 16, y: 14, class: "tj-legend" }, svg);
      t.textContent = text;
    });
    const most = Math.max(1, ...rows.flatMap((r) => [r.bytecode_bytes, r.code_bytes]));
    rows.forEach((r, i) => {
      const y = top + i * rowH;
      const name = svgEl("text", { x: 0, y: y + 15, class: "tj-mem-name" }, svg, r.name);
      name.textContent = r.name.length > 22 ? r.name.slice(0, 21) + "…" : r.name;
      [["bytecode_bytes", TIER_COLOURS[0], 0], ["code_bytes", OSR_COLOUR, 13]].forEach(([key, colour, dy]) => {
        const w = Math.max(1, (r[key] / most) * barW);
        svgEl("rect", { x: nameW, y: y + dy, width: w, height: 11, fill: colour, class: "tj-mem-" + key }, svg,
          `${r.name}: ${key === "code_bytes" ? "machine code" : "bytecode"} ${fmtBytes(r[key])}`);
        const v = svgEl("text", { x: nameW + w + 4, y: y + dy + 10, class: "tj-mem-value" }, svg);
        v.textContent = fmtBytes(r[key]);
      });
    });
    const limit = model.get("limit_bytes"), total = model.get("total_code_bytes"), y = top + rows.length * rowH + 8;
    const frac = limit > 0 ? Math.min(1, total / limit) : 0;
    svgEl("rect", { x: nameW, y, width: barW, height: 12, fill: "none", stroke: "currentColor" }, svg);
    svgEl("rect", { x: nameW, y, width: Math.max(1, frac * barW), height: 12, fill: OSR_COLOUR, class: "tj-mem-total" }, svg);
    const label = svgEl("text", { x: 0, y: y + 10, class: "tj-mem-name" }, svg);
    label.textContent = "code cache";
    const summary = svgEl("text", { x: nameW, y: y + 28, class: "tj-mem-summary" }, svg);
    summary.textContent = `machine code ${fmtBytes(total)} of ` + (limit > 0 ? `${fmtBytes(limit)} (${(100 * total / limit).toFixed(1)}%)` : "no limit")
      + ` · bytecode ${fmtBytes(model.get("total_bytecode_bytes"))}`;
  };
  for (const name of ["rows", "limit_bytes", "total_code_bytes", "total_bytecode_bytes"]) model.on("change:" + name, draw);
  draw();
  return followWidth(el, draw);
}
export default { render };
"""

WARMUP_JS = COMMON_JS + r"""
function render({ model, el }) {
  el.classList.add("tj-warmup");
  const draw = () => {
    // Each series is a list of [call number, seconds] points.
    const a = model.get("interpreted"), b = model.get("jit");
    const width = Math.max(320, el.clientWidth || 640), height = 260, left = 64, right = 16, top = 24, bottom = 36;
    el.replaceChildren();
    const svg = svgEl("svg", { width, height, role: "img", "aria-label": "warm-up curve: time per call vs call number" }, el);
    const all = a.concat(b).map((p) => p[1]).filter((v) => v > 0);
    if (!all.length) { const t = svgEl("text", { x: left, y: top + 20 }, svg); t.textContent = "waiting for timings…"; return; }
    // Log scale: the first JIT calls (with compiles) can be 1000x slower than steady state.
    const lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all)) + 1e-9;
    const n = Math.max(1, ...a.concat(b).map((p) => p[0]));
    const x = (c) => left + ((c - 1) / Math.max(1, n - 1)) * (width - left - right);
    const y = (v) => top + (1 - (Math.log10(Math.max(v, 1e-12)) - lo) / Math.max(1e-9, hi - lo)) * (height - top - bottom);
    svgEl("line", { x1: left, x2: left, y1: top, y2: height - bottom, stroke: "currentColor" }, svg);
    svgEl("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, stroke: "currentColor" }, svg);
    for (let p = Math.ceil(lo); p <= Math.floor(hi); p++) {
      const t = svgEl("text", { x: left - 4, y: y(10 ** p) + 4, "text-anchor": "end" }, svg);
      t.textContent = fmtDuration(10 ** p);
    }
    const xl = svgEl("text", { x: (left + width - right) / 2, y: height - 6, "text-anchor": "middle" }, svg);
    xl.textContent = `call number (1–${n})`;
    const series = [["interpreted", a, "currentColor", "4 3"], ["JIT", b, OSR_COLOUR, ""]];
    series.forEach(([name, vals, colour, dash], i) => {
      if (!vals.length) return;
      const pts = vals.map(([c, v]) => `${x(c)},${y(v)}`).join(" ");
      svgEl("polyline", { points: pts, fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": dash, class: "tj-curve tj-curve-" + (i ? "jit" : "interp") }, svg, name);
      svgEl("line", { x1: left + 10 + i * 130, x2: left + 34 + i * 130, y1: 10, y2: 10, stroke: colour, "stroke-width": 2, "stroke-dasharray": dash }, svg);
      const t = svgEl("text", { x: left + 38 + i * 130, y: 14 }, svg); t.textContent = name;
    });
    for (const [call, tier] of model.get("tier_changes")) {
      svgEl("line", { x1: x(call), x2: x(call), y1: top, y2: height - bottom, stroke: TIER_COLOURS[tier] || "#999", "stroke-width": 2, "stroke-dasharray": "2 2", class: "tj-tier-change" }, svg, `tier ${tier} from call ${call}`);
      const t = svgEl("text", { x: x(call) + 3, y: top + 10 }, svg); t.textContent = "T" + tier;
    }
    const be = model.get("break_even");
    if (be) {
      svgEl("line", { x1: x(be), x2: x(be), y1: top, y2: height - bottom, stroke: "#009E73", "stroke-width": 2, class: "tj-break-even" }, svg, `break-even at call ${be}`);
      const t = svgEl("text", { x: Math.min(x(be) + 3, width - right - 120), y: height - bottom - 6, class: "tj-break-even-label" }, svg);
      t.textContent = `break-even: call ${be}`;
    }
  };
  for (const name of ["interpreted", "jit", "tier_changes", "break_even"]) model.on("change:" + name, draw);
  draw();
  return followWidth(el, draw);
}
export default { render };
"""

CHART_CSS = r"""
.tj-timeline, .tj-memory, .tj-warmup { width: 100%; min-width: 0; overflow: hidden; color: var(--jp-ui-font-color1, #222); }
.tj-timeline svg text, .tj-memory svg text, .tj-warmup svg text { fill: currentColor; font-family: var(--jp-ui-font-family, sans-serif); font-size: 11px; }
.tj-timeline svg .tj-seg-label { fill: #000; font-weight: 600; }
.tj-code { margin: 0; max-height: 420px; overflow: auto; font-family: var(--jp-code-font-family, monospace); font-size: 12px; white-space: pre; }
"""
