"""The ``tierjit`` command: ``tierjit run [--stats] [--json FILE] SCRIPT.py [args...]``.

Runs a script as ``__main__`` the way ``python3 SCRIPT.py`` would (argv, sys.path,
exit status, tracebacks), with its top-level functions registered with the engine.
Must not import Jupyter.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import types
from pathlib import Path

import tierjit
from tierjit.transform import install_hook, register_defs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tierjit",
        description="Run Python scripts with their top-level functions under tierjit's tiered JIT.",
    )
    parser.add_argument("--version", action="version", version=f"tierjit {tierjit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run",
        help="run a script under the JIT",
        description="Options come before the script; everything after it is the script's sys.argv[1:].",
    )
    run.add_argument("--stats", action="store_true", help="print the stats table to stderr on exit")
    run.add_argument("--json", metavar="FILE", help="write the stats document (JSON) to FILE on exit")
    run.add_argument("script", help="the Python script to run")
    # REMAINDER keeps the script's own options (even ones tierjit also has) for the script.
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    return parser


def _fresh_main(path: str) -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__  # type: ignore[attr-defined]
    main.__spec__ = None  # as for `python3 script.py`: no import spec
    main.__loader__ = None
    return main


def _report_uncaught(exc: BaseException, frames_to_drop: int) -> None:
    # Drop this module's frames (and the compiler's, for a SyntaxError) so the report
    # starts at the script, as python3's does. The hook is the script's if it set one.
    tb = exc.__traceback__
    for _ in range(frames_to_drop):
        tb = tb.tb_next if tb is not None else None
    if frames_to_drop < 0:
        tb = None
    sys.excepthook(type(exc), exc.with_traceback(tb), tb)


def run_script(script: str, args: list[str]) -> int:
    """Run ``script`` as ``__main__``; returns the exit status python3 would have given."""
    try:
        source = Path(script).read_bytes()
    except OSError as err:
        # python3's wording and status for a script it cannot open.
        print(f"tierjit: can't open file {os.path.abspath(script)!r}: [Errno {err.errno}] {err.strerror}", file=sys.stderr)
        return 2
    # Like python3 (3.9+), the script's __file__ and code carry its absolute path.
    filename = os.path.abspath(script)
    try:
        code = compile(register_defs(ast.parse(source, filename), filename), filename, "exec")
    except (SyntaxError, ValueError) as exc:
        # python3 reports a script that does not compile without a traceback, status 1.
        _report_uncaught(exc, -1)
        return 1
    install_hook()
    main = _fresh_main(filename)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(filename))
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    except SystemExit as exc:
        return _exit_status(exc)
    except KeyboardInterrupt:
        raise  # python3 ends with SIGINT's status; let the interpreter do exactly that
    except BaseException as exc:
        _report_uncaught(exc, 1)
        return 1
    return 0


def _exit_status(exc: SystemExit) -> int:
    # Mirrors the interpreter: None -> 0, an int -> itself, anything else is printed -> 1.
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _report(show_stats: bool, json_path: str | None) -> None:
    if not show_stats and json_path is None:
        return
    from tierjit.tiers import format_stats_text, stats

    doc = stats()
    if show_stats:
        sys.stdout.flush()  # the script's own output comes before the table
        print(format_stats_text(doc), file=sys.stderr)
    if json_path is not None:
        Path(json_path).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    # The JSON path is resolved now: the script may change directory.
    json_path = os.path.abspath(args.json) if args.json else None
    try:
        status = run_script(args.script, args.args)
    finally:
        _report(args.stats, json_path)
    return status


if __name__ == "__main__":
    sys.exit(main())
