"""The dashboard and views in a real JupyterLab, driven by headless Chromium through Playwright.

`test_dashboard_in_stock_kernel` feeds the widgets a simulated stats source in the stock python3
kernel (independent of the engine); `test_jit_stats_in_tierjit_kernel` is the real thing: a hot
function in the tierjit kernel and `%jit_stats`. Screenshots land in tests/browser/artifacts/.
"""
import re
import time

from .lab import ARTIFACTS, notebook, run_cell, wait_idle

# A stats source whose one function climbs tiers as `state["calls"]` grows; `now` follows the wall clock.
SIMULATED_SOURCE = '''
import time
from tierjit.widgets import show_dashboard, explain_view, race_view
state = {"calls": 0}
t_start = time.monotonic()

def simulated_stats():
    c = state["calls"]
    tier = 0 if c < 100 else 1 if c < 1000 else 2
    events = []
    if c >= 100:
        events += [{"t": 0.5, "kind": "compile_start", "function": "f1", "tier": 1, "ms": None, "reason": None},
                   {"t": 0.52, "kind": "compile_end", "function": "f1", "tier": 1, "ms": 20.0, "reason": None},
                   {"t": 0.52, "kind": "tier_up", "function": "f1", "tier": 1, "ms": None, "reason": "100 calls"},
                   {"t": 0.8, "kind": "osr", "function": "f1", "tier": 1, "ms": None, "reason": "loop at line 3"}]
    if c >= 1000:
        events += [{"t": 1.0, "kind": "compile_start", "function": "f1", "tier": 2, "ms": None, "reason": None},
                   {"t": 1.3, "kind": "compile_end", "function": "f1", "tier": 2, "ms": 300.0, "reason": None},
                   {"t": 1.3, "kind": "tier_up", "function": "f1", "tier": 2, "ms": None, "reason": "1000 calls"},
                   {"t": 1.6, "kind": "deopt", "function": "f1", "tier": 2, "ms": None, "reason": "int overflow guard"}]
    return {"version": 1, "now": time.monotonic() - t_start,
            "config": {"code_cache_mb": 64, "enabled": True},
            "functions": [{"id": "f1", "name": "sum_of_squares", "qualname": "sum_of_squares", "defined_in": "<cell>",
                           "defined_at": 0.0, "tier": tier, "state": "compiled" if tier else "profiling",
                           "calls": {"0": min(c, 100), "1": min(max(c - 100, 0), 900), "2": max(c - 1000, 0)},
                           "compiles": [{"tier": 1, "ms": 20.0}] * (c >= 100) + [{"tier": 2, "ms": 300.0}] * (c >= 1000),
                           "memory": {"bytecode_bytes": 96, "code_bytes": 2048 * (c >= 100) + 4096 * (c >= 1000)}},
                          {"id": "f2", "name": "squares", "qualname": "squares", "defined_in": "<cell>",
                           "defined_at": 0.0, "tier": 0, "state": "unsupported", "calls": {"0": 3, "1": 0, "2": 0},
                           "fallback_reason": "generator: 'yield' at line 2", "memory": {"bytecode_bytes": 48, "code_bytes": 0}}],
            "events": events, "totals": {}}
'''

LONG_SIMULATED_CELL = '''
for i in range(40):
    state["calls"] += 50
    time.sleep(0.1)
'''

VIEWS_CELL = '''
explain_view({"source": "def f(n):\\n    return n * 2", "tier1_ir": "define i64 @f(i64 %n) {\\n  ret i64 %n\\n}",
              "summary": "inlined: none"})
race_view([1e-3] * 60, [2e-2] + [1e-4] * 59, [[2, 1], [15, 2]]);
'''


def output_of(page, index):
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea")


def open_notebook(page, url):
    page.goto(url)
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    # The kernel must be idle before typing, or the first Shift+Enter may be swallowed by start-up;
    # the status bar says "<kernel name> | Idle" only once the kernel has really answered.
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$")).first.wait_for(timeout=90_000)


def calls_text(row) -> str:
    return row.locator(".widget-label").nth(2).inner_text()


def test_dashboard_in_stock_kernel(lab, page):
    url = lab.write_notebook("simulated.ipynb", notebook(
        [SIMULATED_SOURCE, "show_dashboard(simulated_stats);", LONG_SIMULATED_CELL, VIEWS_CELL],
        "python3", "Python 3"))
    open_notebook(page, url)
    run_cell(page, 0)
    wait_idle(page, 0)
    run_cell(page, 1)
    wait_idle(page, 1)
    dash = output_of(page, 1).locator(".tj-dashboard")
    row = dash.locator(".tj-row").filter(has_text="sum_of_squares")
    row.wait_for()
    assert row.locator(".widget-label").nth(1).inner_text() == "T0"
    before = calls_text(row)
    page.screenshot(path=str(ARTIFACTS / "simulated-dashboard-start.png"))

    run_cell(page, 2)
    seen = {before}
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline and len(seen) < 3:
        seen.add(calls_text(row))
        time.sleep(0.15)
    prompt = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-InputPrompt").inner_text()
    assert "*" in prompt, "the long cell should still be running"
    assert len(seen) >= 3, f"dashboard did not change while the cell ran: {seen}"
    page.screenshot(path=str(ARTIFACTS / "simulated-dashboard-running.png"))
    wait_idle(page, 2)

    time.sleep(0.5)
    assert row.locator(".widget-label").nth(1).inner_text() == "T2"
    assert [row.locator("rect.tj-seg").nth(i).get_attribute("data-tier") for i in range(3)] == ["0", "1", "2"]
    assert row.locator("rect.tj-compile").count() == 2
    assert "int overflow guard" in row.locator(".tj-deopt").get_attribute("data-reason")
    assert row.locator(".tj-osr").count() == 1
    memory = dash.locator(".tj-memory")
    assert "6.0 KiB" in memory.locator("text.tj-mem-value").all_text_contents()
    assert "of 64.0 MiB" in memory.locator("text.tj-mem-summary").text_content()
    unsupported = dash.locator(".tj-row").filter(has_text="squares").last
    assert unsupported.locator(".widget-label").nth(1).inner_text() == "T0 unsupported"
    box = dash.bounding_box()
    assert box["x"] + box["width"] <= 1280, "the dashboard overflows a 1280-pixel window"
    output_of(page, 1).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "simulated-dashboard-done.png"))

    run_cell(page, 3)
    wait_idle(page, 3)
    views = output_of(page, 3)
    tabs = views.locator(".lm-TabBar-tab").all_inner_texts()
    assert tabs == ["source", "bytecode", "typed IR", "tier-1 IR", "tier-2 IR", "assembly", "summary"]
    assert "def f(n):" in views.locator(".tj-code").first.inner_text()
    warmup = views.locator(".tj-warmup")
    assert warmup.locator("polyline.tj-curve").count() == 2
    assert warmup.locator("text.tj-break-even-label").text_content() == "break-even: call 23"
    views.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "explain-and-race.png"))


HOT_CELL = '''
import time
def sum_sq(n):
    s = 0
    for i in range(n):
        s += i * i
    return s

for _ in range(3000):
    sum_sq(200)
'''

LONG_HOT_CELL = '''
for _ in range(40):
    sum_sq(2000)
    time.sleep(0.1)
'''


def test_jit_stats_in_tierjit_kernel(lab, page):
    assert "tierjit" in lab.kernelspecs()
    url = lab.write_notebook("tierjit.ipynb", notebook([HOT_CELL, "%jit_stats", LONG_HOT_CELL],
                                                       "tierjit", "Python 3 (tiered JIT)"))
    open_notebook(page, url)
    assert "tiered JIT" in page.locator(".jp-KernelName").first.inner_text()
    run_cell(page, 0)
    wait_idle(page, 0)
    assert output_of(page, 0).locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    run_cell(page, 1)
    wait_idle(page, 1)
    dash = output_of(page, 1).locator(".tj-dashboard")
    row = dash.locator(".tj-row").filter(has_text="sum_sq")
    row.wait_for()
    badge = row.locator(".widget-label").nth(1).inner_text()
    assert badge[:2] in ("T1", "T2"), f"sum_sq should be compiled after 3000 calls, badge says {badge!r}"
    assert row.locator("rect.tj-seg").count() >= 2
    assert row.locator("rect.tj-compile").count() >= 1
    assert any(t.endswith("B") for t in dash.locator(".tj-memory text.tj-mem-value").all_text_contents())
    before = calls_text(row)
    page.screenshot(path=str(ARTIFACTS / "tierjit-dashboard.png"))

    run_cell(page, 2)
    deadline = time.monotonic() + 6
    changed = None
    while time.monotonic() < deadline and changed is None:
        time.sleep(0.2)
        now = calls_text(row)
        if now != before and "*" in page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-InputPrompt").inner_text():
            changed = now
    assert changed, f"calls stayed at {before!r} while the long cell ran"
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "tierjit-dashboard-running.png"))
    wait_idle(page, 2)


RACE_CELL = '''%%jit_race -n 40
def race_compute():
    x = 0
    for i in range(1_000_000):
        x += i
    return x
race_compute()
'''


def race_label(view, index):
    # The Label beside the bar (the bar's own description is a .widget-label too, inside the bar).
    return view.locator(".widget-hbox").nth(index).locator(":scope > .widget-label").inner_text(timeout=2000)


def test_jit_race_in_tierjit_kernel(lab, page):
    url = lab.write_notebook("race.ipynb", notebook([RACE_CELL], "tierjit", "Python 3 (tiered JIT)"))
    open_notebook(page, url)
    run_cell(page, 0)
    view = output_of(page, 0).locator(".tj-race")
    view.wait_for()
    # While the interpreted run goes, its bar's label counts calls up.
    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(seen) < 3:
        if "*" not in page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-InputPrompt").inner_text():
            break
        try:
            seen.add(race_label(view, 0))
        except Exception:  # the view is re-rendered once, when the summary replaces the running output
            pass
        time.sleep(0.1)
    assert len(seen) >= 2, f"the interpreted progress did not move while the cell ran: {seen}"
    page.screenshot(path=str(ARTIFACTS / "race-running.png"))
    wait_idle(page, 0)

    view = output_of(page, 0).locator(".tj-race")
    assert view.locator(".widget-hprogress").count() == 2
    assert race_label(view, 0).startswith("40/40 calls") and race_label(view, 1).startswith("40/40 calls")
    warmup = view.locator(".tj-warmup")
    assert warmup.locator("polyline.tj-curve").count() == 2
    assert warmup.locator("line.tj-tier-change").count() >= 1
    text = view.inner_text()
    assert "speed-up:" in text and "break-even:" in text and "result: both runs gave 499999500000" in text
    stderr = output_of(page, 0).locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
    assert "side effects happen twice" in stderr.inner_text()
    box = view.bounding_box()
    assert box["x"] + box["width"] <= 1280, "the race view overflows a 1280-pixel window"
    view.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "race-done.png"))
