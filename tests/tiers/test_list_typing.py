"""How lists are typed: a list made empty takes the type of its items, and whatever could change a
typed list behind its view makes the program's lists lists of objects (docs/tiers.md, "Lists and
unknown code", "A list made empty takes the type of its items"). Each case compiles a function at
tier 1, checks the answer against CPython, and reads the types the compiler gave its lists from
`%jit_explain`'s typed IR. The cases where the types decide the answer (an alias changed through
an object) are differential cases in test_differential.py ("typed-list-...").
"""
from __future__ import annotations

import textwrap

import pytest

from tierharness import differential, engine, record_for


def typed_ir(source: str, func: str, calls: list[tuple]) -> str:
    differential(textwrap.dedent(source), func, calls, tier=1)
    record = record_for(func)
    assert record["tier"] == 1, record
    return engine().explain(func)["typed_ir"]


@pytest.mark.parametrize("item, typed", [("i * 0.5", "list[float]"), ("i * i", "list[int]"),
                                          ("i if i % 2 else 0.5", "list[object]")])
def test_a_list_made_empty_takes_the_type_of_its_items(jit_engine, item, typed):
    ir = typed_ir(f"""
        def build(n):
            xs = []
            for i in range(n):
                xs.append({item})
            return xs
        """, "build", [(5,), (0,)])
    assert f"local xs: {typed}" in ir, ir
    assert "-> " + typed in ir.splitlines()[0], ir


def test_a_callee_filling_the_list_is_typed_for_it(jit_engine):
    ir = typed_ir("""
        def add(xs, v):
            xs.append(v * 2.0)
        def build(n):
            xs = []
            xs.append(0.5)
            for i in range(n):
                add(xs, i * 1.0)
            return xs
        """, "build", [(4,), (1,)])
    assert "local xs: list[float]" in ir, ir
    assert "calls add_1: (list[float], float) -> None" in ir, ir


def test_a_callee_storing_another_type_gets_a_list_of_objects_and_still_compiles(jit_engine):
    ir = typed_ir("""
        def add(xs, v):
            xs.append(v)
        def build(n):
            xs = []
            xs.append(0.5)
            add(xs, n)
            return xs
        """, "build", [(4,), (2**70,)])
    assert "local xs: list[object]" in ir, ir


def test_a_typed_list_may_go_into_a_returned_tuple_or_a_list_of_lists(jit_engine):
    ir = typed_ir("""
        def rows(n):
            out = []
            row = []
            for i in range(n):
                row.append(i * 0.25)
            out.append(row)
            return (row, out, len(out))
        """, "rows", [(3,), (0,)])
    assert "local row: list[float]" in ir, ir


@pytest.mark.parametrize("body", [
    "e + n",                     # an object's __add__ may change any list it can reach
    "print(e)",                  # its __str__ too
    "items = [e]; items == items",   # the items' __eq__
    "if e: n += 1",              # its __bool__
], ids=["operator", "print", "items-compared", "truth"])
def test_an_operation_on_an_object_boxes_the_lists(jit_engine, body):
    ir = typed_ir(f"""
        def f(xs, e, n):
            {body}
            return xs[0] + n
        """, "f", [([1.5, 2.5], 3.5j, 1), ([0.5], 1j, 2)])
    assert "def f(xs: list[object], e: object, n: int)" in ir, ir


def test_numbers_and_messages_run_no_code_and_keep_the_lists_typed(jit_engine):
    ir = typed_ir("""
        def f(xs, e, n):
            print("total", e + n, xs[0] == n)
            return xs[0] + n
        """, "f", [([1.5, 2.5], 3, 1), ([0.5], 4, 2)])
    assert "def f(xs: list[float], e: int, n: int)" in ir, ir


def test_an_item_stored_into_a_list_of_objects_from_outside_boxes_the_lists(jit_engine):
    ir = typed_ir("""
        def f(xs, ys, n):
            ys[0] = n
            return xs[0] + n
        """, "f", [([1.5, 2.5], [1, 2.5], 7), ([0.5], ["a"], 1)])
    assert "def f(xs: list[object], ys: list[object], n: int)" in ir, ir
