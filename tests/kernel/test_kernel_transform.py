"""The AST rewrite shared by the kernel and the CLI, as source text in and source text out
(no engine, no kernel): which statements get a register call, and with what label."""
from __future__ import annotations

import ast
import textwrap

from tierjit.transform import register_defs


def rewrite(source: str, label: str = "cell[3]") -> str:
    return ast.unparse(register_defs(ast.parse(textwrap.dedent(source)), label))


def test_plain_def_is_rebound_to_what_the_engine_returns():
    assert rewrite("def f(x):\n    return x") == (
        "def f(x):\n    return x\n"
        "f = __tierjit_engine__().register(f, 'cell[3]', decorated=False)"
    )


def test_decorated_def_is_registered_as_decorated():
    out = rewrite("@cache\ndef g():\n    pass", "/tmp/s.py")
    assert out.endswith("g = __tierjit_engine__().register(g, '/tmp/s.py', decorated=True)")


def test_class_is_recorded_as_skipped():
    assert rewrite("class C:\n    pass").endswith("__tierjit_engine__().register_skipped('C', 'C', 'cell[3]', 'class')")


def test_defs_in_top_level_if_try_with_blocks_are_registered_where_they_are_defined():
    out = rewrite(
        """
        if fast:
            def a(): pass
        else:
            def b(): pass
        try:
            def c(): pass
        except ImportError:
            def d(): pass
        finally:
            def e(): pass
        with ctx:
            def f(): pass
        """
    )
    for name in "abcdef":
        assert f"{name} = __tierjit_engine__().register({name}, 'cell[3]', decorated=False)" in out
    # each register call sits in the same block, right after its def
    tree = ast.parse(out)
    assert [type(s).__name__ for s in tree.body[0].body] == ["FunctionDef", "Assign"]


def test_nested_and_loop_defs_are_left_alone():
    source = """
    def outer():
        def inner(): pass
        return inner
    for i in range(3):
        def in_loop(): pass
    """
    out = rewrite(source)
    assert "register(inner" not in out and "register(in_loop" not in out
    assert "register(outer" in out


def test_async_def_is_registered_so_the_engine_can_record_its_fallback():
    assert "register(co, 'cell[3]'" in rewrite("async def co():\n    pass")


def test_rewritten_tree_compiles_with_the_defs_line_numbers():
    tree = register_defs(ast.parse("x = 1\n\ndef f():\n    return x\n"), "cell[1]")
    compile(tree, "<cell>", "exec")
    assert tree.body[2].lineno == 3
