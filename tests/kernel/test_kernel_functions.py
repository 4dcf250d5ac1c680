"""Which definitions the kernel hands to the JIT, and that they stay ordinary Python
functions: introspection, redefinition, %reset -f, decorated defs, classes, %run."""
from __future__ import annotations

import json


def test_jitted_functions_keep_name_doc_signature_and_source(kernel):
    kernel.ok(
        "def area(width: float, height: float = 2.0) -> float:\n"
        "    '''Width times height.'''\n"
        "    return width * height\n"
        "for _ in range(50):\n"
        "    area(3.0)"
    )
    result = kernel.ok(
        "import inspect\n"
        "print(area.__name__)\n"
        "print(area.__doc__)\n"
        "print(inspect.signature(area))\n"
        "print(inspect.getsource(area), end='')\n"
        "print(inspect.isfunction(area))"
    )
    assert result.stdout.splitlines() == [
        "area",
        "Width times height.",
        "(width: float, height: float = 2.0) -> float",
        "def area(width: float, height: float = 2.0) -> float:",
        "    '''Width times height.'''",
        "    return width * height",
        "True",
    ]
    assert kernel.function("area")["defined_in"].startswith("cell[")


def test_label_is_the_cells_execution_count(kernel):
    count = kernel.kc.execute_interactive("def labelled(): pass", timeout=30)["content"]["execution_count"]
    assert kernel.function("labelled")["defined_in"] == f"cell[{count}]"


def test_defs_inside_top_level_if_and_try_are_registered(kernel):
    kernel.ok(
        "if True:\n"
        "    def in_if(x):\n        return x + 1\n"
        "try:\n"
        "    def in_try(x):\n        return x - 1\n"
        "except Exception:\n"
        "    pass\n"
        "in_if(1), in_try(1)"
    )
    assert sum(kernel.function("in_if")["calls"].values()) == 1
    assert sum(kernel.function("in_try")["calls"].values()) == 1


def test_rerunning_a_cell_makes_a_new_record_and_the_new_body_runs(kernel):
    kernel.ok("def answer():\n    return 1\nanswer()")
    result = kernel.ok("def answer():\n    return 2\nanswer()")
    assert result.value == "2"
    ids = [f["id"] for f in kernel.stats()["functions"] if f["name"] == "answer"]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_reset_f_then_define_and_call_still_goes_through_the_jit(kernel):
    kernel.ok("%reset -f")
    result = kernel.ok("def after_reset(n):\n    return n * 3\n[after_reset(i) for i in range(20)][-1]")
    assert result.value == "57"
    assert sum(kernel.function("after_reset")["calls"].values()) == 20


def test_decorated_def_is_left_to_its_decorator(kernel):
    kernel.ok(
        "import functools\n"
        "@functools.lru_cache(maxsize=None)\n"
        "def cached(n):\n"
        "    return n * n\n"
        "cached(4)"
    )
    assert kernel.ok("cached.cache_info().currsize").value == "1"
    record = kernel.function("cached")
    assert record["fallback_reason"] == "decorated"


def test_class_statement_is_recorded_as_skipped(kernel):
    kernel.ok("class Point:\n    def norm(self):\n        return 0")
    record = kernel.function("Point")
    assert record["fallback_reason"] == "class"


def test_run_script_functions_are_jitted_with_the_script_path(kernel, tmp_path):
    script = tmp_path / "helper_script.py"
    script.write_text(
        "import sys\n"
        "def scaled(x):\n"
        "    return 10 * x\n"
        "print([scaled(i) for i in range(4)], sys.argv[1:])\n"
    )
    result = kernel.ok(f"%run {script} alpha beta")
    assert result.stdout == "[0, 10, 20, 30] ['alpha', 'beta']\n"
    record = kernel.function("scaled")
    assert record["defined_in"] == str(script.resolve())
    assert sum(record["calls"].values()) == 4
    # %run leaves the script's names in the namespace, still JIT'd
    assert kernel.ok("scaled(5)").value == "50"


def test_run_script_error_shows_the_scripts_traceback(kernel, tmp_path):
    script = tmp_path / "failing_script.py"
    script.write_text("def broken():\n    return {}['missing']\nbroken()\n")
    result = kernel.run(f"%run {script}")
    # As in IPython: %run shows the script's error and the cell itself succeeds.
    assert result.error["ename"] == "KeyError"
    assert "return {}['missing']" in result.traceback
    assert "safe_execfile" not in result.traceback


def test_stats_json_output_is_valid_json_even_after_many_definitions(kernel):
    for i in range(3):
        kernel.ok(f"def many_{i}(x):\n    return x + {i}\nmany_{i}(1)")
    doc = json.loads(kernel.ok("%jit_stats --json").stdout)
    assert {"many_0", "many_1", "many_2"} <= {f["name"] for f in doc["functions"]}
