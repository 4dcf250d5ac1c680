"""The JIT's magics: %jit_stats, %jit_config, %jit, %%interpret, %jit_reset, %jit_explain, %%jit_race.

Each magic is a thin call into the engine's public API (docs/engine-api.md). Bad
arguments print one line on stderr and change nothing; they never raise.
"""
from __future__ import annotations

import ast
import json
import sys
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from .stats_view import stats_html

# The order %jit_explain prints the stages in; empty stages are left out.
_EXPLAIN_SECTIONS = (
    ("summary", "what the optimiser did"),
    ("source", "source"),
    ("bytecode", "bytecode"),
    ("typed_ir", "typed IR"),
    ("tier1_ir", "tier-1 LLVM IR"),
    ("tier2_ir", "tier-2 LLVM IR"),
    ("asm", "machine code"),
)


def _engine() -> Any:
    from tierjit.tiers import engine

    return engine()


def _fail(message: str) -> None:
    print(message, file=sys.stderr)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _show_dashboard() -> bool:
    """Display the live widget dashboard; False when ``tierjit.widgets`` cannot be loaded."""
    try:
        from tierjit.widgets import show_dashboard
    except ImportError:
        return False
    show_dashboard()  # displays itself and keeps refreshing while later cells run
    return True


@magics_class
class JitMagics(Magics):
    @line_magic
    def jit_stats(self, line: str) -> None:
        """Show what the JIT did: %jit_stats [--text | --json].

        No option: the live dashboard (an HTML table where widgets are not available).
        --text: the plain-text table. --json: exactly one JSON document on stdout.
        """
        args = line.split()
        if len(args) > 1 or (args and args[0] not in ("--text", "--json")):
            _fail(f"%jit_stats: unknown argument {line.strip()!r}; use %jit_stats, %jit_stats --text or %jit_stats --json")
            return
        from tierjit.tiers import format_stats_text

        doc = _engine().stats()
        if args == ["--json"]:
            print(json.dumps(doc))
        elif args == ["--text"]:
            print(format_stats_text(doc))
        elif not _show_dashboard():
            display({"text/html": stats_html(doc), "text/plain": format_stats_text(doc)}, raw=True)

    @line_magic
    def jit_config(self, line: str) -> None:
        """Show or set the JIT's settings: %jit_config [key=value ...].

        Keys: tier1_calls, tier2_calls, tier1_loops, tier2_loops, background=on/off,
        osr=on/off, code_cache_mb. All settings are checked before any is applied.
        """
        from tierjit.tiers import CONFIG_KEYS, ConfigError

        eng = _engine()
        args = line.split()
        if args:
            try:
                changes = eng.parse_settings(args)
                eng.configure(**changes)
            except ConfigError as err:
                _fail(f"%jit_config: {err}")
                return
            keys = list(changes)
        else:
            keys = list(CONFIG_KEYS)
        config = eng.stats()["config"]
        for key in keys:
            print(f"{key}={_show(config[key])}")

    @line_magic
    def jit(self, line: str) -> None:
        """Turn the JIT on or off for code run from now on: %jit on | %jit off (no argument: show)."""
        arg = line.strip()
        eng = _engine()
        if arg in ("on", "off"):
            eng.enabled = arg == "on"
        elif arg:
            _fail(f"%jit: unknown argument {arg!r}; use %jit on or %jit off")
            return
        print(f"JIT is {_show(bool(eng.enabled))}")

    @line_magic
    def jit_reset(self, line: str) -> None:
        """Forget all compiled code, profiles and records; %jit_config settings stay."""
        if line.strip():
            _fail(f"%jit_reset: takes no arguments (got {line.strip()!r})")
            return
        _engine().reset()

    @line_magic
    def jit_explain(self, line: str) -> None:
        """Show what the JIT made of a function: %jit_explain NAME."""
        args = line.split()
        if len(args) != 1:
            _fail("%jit_explain: give exactly one function name, e.g. %jit_explain sum_of_squares")
            return
        eng = _engine()
        if eng.find(args[0]) is None:
            _fail(f"%jit_explain: no function named {args[0]!r} is known to the JIT (see %jit_stats)")
            return
        report = eng.explain(args[0])
        for key, title in _EXPLAIN_SECTIONS:
            text = report.get(key) or ""
            if text.strip():
                print(f"== {title} ==\n{text.rstrip()}\n")

    @cell_magic
    def interpret(self, line: str, cell: str) -> Any:
        """Run this cell with the JIT off: every function runs its original CPython code."""
        __tracebackhide__ = True  # noqa: F841  (the user's frames come first in tracebacks)
        if line.strip():
            _fail(f"%%interpret: takes no arguments (got {line.strip()!r})")
            return None
        with _engine().suspended():
            return self._run_body(cell)

    @cell_magic
    def jit_race(self, line: str, cell: str) -> None:
        """Race the cell's last expression: N calls interpreted, then N with the JIT: %%jit_race [-n N].

        The lines above the expression run once (setup, shared by both runs). Shows live progress,
        then the warm-up curve with tier changes and the break-even call (see kernel/race.py).
        """
        __tracebackhide__ = True  # noqa: F841
        from .race import RaceError, parse_line, prepare, race

        try:
            calls = parse_line(line)
            race_cell = prepare(self.shell, cell)
        except RaceError as err:
            _fail(f"%%jit_race: {err}")
            return
        race(self.shell, _engine(), race_cell, calls)

    def _run_body(self, cell: str) -> Any:
        __tracebackhide__ = True  # noqa: F841
        shell = self.shell
        source = shell.transform_cell(cell)
        # A cached file name (as for any cell) keeps inspect.getsource working for
        # functions defined in this cell.
        filename = shell.compile.cache(source, shell.current_cell(), raw_code=cell)
        tree = shell.transform_ast(ast.parse(source, filename))
        # The value of a last expression becomes the magic's value, so it is shown
        # as the cell's Out[N] exactly as without %%interpret.
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, filename, "exec"), shell.user_global_ns, shell.user_ns)
        if last is not None:
            return eval(compile(last, filename, "eval"), shell.user_global_ns, shell.user_ns)
        return None
