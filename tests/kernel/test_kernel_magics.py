"""The JIT magics through a real kernel: stats, config validation, on/off, %%interpret,
reset and explain, including what bad arguments do (one line on stderr, no traceback)."""
from __future__ import annotations

import json

import pytest


def test_stats_json_is_one_document_and_counts_every_call(kernel):
    kernel.ok("%jit_reset")
    kernel.ok("def square(x):\n    return x * x\ntotal = 0\nfor i in range(300):\n    total += square(i)")
    result = kernel.ok("%jit_stats --json")
    doc = json.loads(result.stdout)  # raises if anything but one JSON document was printed
    assert result.stderr == ""
    assert doc["version"] == 1
    (record,) = [f for f in doc["functions"] if f["name"] == "square"]
    assert sum(record["calls"].values()) == 300
    assert record["defined_in"].startswith("cell[")
    assert set(doc["config"]) >= {"tier1_calls", "tier2_calls", "background", "osr", "enabled"}


def test_stats_text_is_a_table_naming_the_function(kernel):
    kernel.ok("def cube(x):\n    return x * x * x\ncube(3)")
    assert "cube" in kernel.ok("%jit_stats --text").stdout


def test_stats_without_options_displays_something_with_a_text_fallback(kernel):
    result = kernel.ok("%jit_stats")
    assert result.outputs, "nothing was displayed"
    assert all("text/plain" in bundle for _, bundle in result.outputs)


def test_stats_bad_option_is_one_line_on_stderr(kernel):
    result = kernel.ok("%jit_stats --xml")
    assert result.error is None
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--xml" in result.stderr


def _config(kernel):
    return kernel.stats()["config"]


def test_config_sets_a_value(kernel):
    before = _config(kernel)["tier2_calls"]
    result = kernel.ok(f"%jit_config tier2_calls={before + 7}")
    assert result.stdout.strip() == f"tier2_calls={before + 7}"
    assert _config(kernel)["tier2_calls"] == before + 7
    kernel.ok(f"%jit_config tier2_calls={before}")


@pytest.mark.parametrize(
    "args, named",
    [
        ("tier1_calls=3 colour=red", "colour"),
        ("tier1_calls=3 osr=maybe", "osr"),
        ("tier1_calls=many", "tier1_calls"),
        ("tier1_calls", "tier1_calls"),
    ],
)
def test_config_rejects_bad_settings_and_changes_nothing(kernel, args, named):
    before = _config(kernel)
    result = kernel.ok(f"%jit_config {args}")
    assert result.error is None
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and named in result.stderr
    assert _config(kernel) == before


def test_config_without_arguments_lists_every_setting(kernel):
    shown = kernel.ok("%jit_config").stdout
    for key in ("tier1_calls", "tier2_calls", "tier1_loops", "tier2_loops", "background", "osr", "code_cache_mb"):
        assert f"\n{key}=" in "\n" + shown


def test_jit_off_and_on(kernel):
    assert kernel.ok("%jit off").stdout.strip() == "JIT is off"
    assert _config(kernel)["enabled"] is False
    assert kernel.ok("%jit on").stdout.strip() == "JIT is on"
    assert _config(kernel)["enabled"] is True
    bad = kernel.ok("%jit sideways")
    assert "sideways" in bad.stderr and _config(kernel)["enabled"] is True


def test_interpret_runs_the_cell_with_the_jit_off_and_keeps_its_value(kernel):
    kernel.ok("%jit_reset")
    kernel.ok("def twice(x):\n    return 2 * x")
    result = kernel.ok("%%interpret\n[twice(i) for i in range(5)][-1]")
    assert result.value == "8"
    # the original code ran: no profiling, no compiles
    record = kernel.function("twice")
    assert sum(record["calls"].values()) == 0 and record["compiles"] == []
    assert _config(kernel)["enabled"] is True


def test_interpret_keeps_defs_of_the_cell_registered(kernel):
    kernel.ok("%%interpret\ndef made_while_interpreted(x):\n    return x + 1")
    assert kernel.ok("made_while_interpreted(1)").value == "2"
    assert sum(kernel.function("made_while_interpreted")["calls"].values()) == 1


def test_interpret_reports_errors_as_the_cell_error(kernel):
    result = kernel.run("%%interpret\nvalue = [1, 2][5]")
    assert result.status == "error"
    assert result.error["ename"] == "IndexError"


def test_jit_reset_forgets_history_but_keeps_config(kernel):
    loops_before = _config(kernel)["tier1_loops"]
    kernel.ok("%jit_config tier1_loops=1234")
    kernel.ok("def soon_forgotten():\n    return 1\nfor _ in range(20):\n    soon_forgotten()")
    kernel.ok("%jit_reset")
    doc = kernel.stats()
    assert doc["events"] == []
    assert all(sum(f["calls"].values()) == 0 and f["compiles"] == [] for f in doc["functions"])
    assert doc["config"]["tier1_loops"] == 1234
    # functions defined before the reset are profiled again from tier 0
    assert kernel.ok("soon_forgotten()").value == "1"
    assert kernel.function("soon_forgotten")["calls"]["0"] == 1
    kernel.ok(f"%jit_config tier1_loops={loops_before}")


def test_jit_explain_unknown_name_is_one_line_on_stderr(kernel):
    result = kernel.ok("%jit_explain no_such_function")
    assert result.error is None
    assert result.stderr.count("\n") == 1 and "no_such_function" in result.stderr


def test_jit_explain_shows_the_source(kernel):
    kernel.ok("def explained(n):\n    return n + 1\nexplained(1)")
    result = kernel.ok("%jit_explain explained")
    assert "return n + 1" in result.stdout
