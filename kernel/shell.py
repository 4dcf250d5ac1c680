"""The kernel's InteractiveShell: IPython as usual, plus top-level defs handed to the JIT.

Owns the cell label (``cell[N]``), the AST transformer that calls ``tierjit.transform``,
and ``%run`` (scripts' top-level functions are JIT'd like a cell's, labelled with the path).
"""
from __future__ import annotations

import __future__
import ast
import sys
from pathlib import Path
from typing import Any
from warnings import warn

from ipykernel.zmqshell import ZMQInteractiveShell
from IPython.utils.syspathcontext import prepended_to_syspath

from tierjit.transform import install_hook, register_defs

_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _sync_tracing() -> None:
    # A C-level tracer or profiler (coverage, %prun) does not go through sys.settrace, so the
    # engine, if it exists yet, looks again before every cell. It is never created just for this.
    from tierjit.tiers import current

    engine = current()
    if engine is not None:
        engine.sync_tracing()


class CellDefs(ast.NodeTransformer):
    """IPython AST transformer: registers each top-level def of the code being run."""

    def __init__(self, shell: "TierJitShell") -> None:
        self.shell = shell

    def visit_Module(self, node: ast.Module) -> ast.Module:
        # Only the module is rewritten: defs nested in functions stay plain.
        return register_defs(node, self.shell.current_label())


class TierJitShell(ZMQInteractiveShell):
    """ZMQInteractiveShell whose top-level functions run under tierjit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._cells: list[int] = []  # execution counts of the cells being run (nested run_cell)
        super().__init__(*args, **kwargs)
        # The hook lives in builtins, so it survives `%reset -f`; the transformer
        # list is shell state that `%reset` leaves alone.
        install_hook()
        self.ast_transformers.append(CellDefs(self))

    def init_magics(self) -> None:
        super().init_magics()
        from .magics import JitMagics

        self.register_magics(JitMagics)

    def current_cell(self) -> int:
        """The In[N] number of the cell running now."""
        return self._cells[-1] if self._cells else self.execution_count

    def current_label(self) -> str:
        """The ``defined_in`` label of code transformed now (``%run`` passes its path itself)."""
        return f"cell[{self.current_cell()}]"

    async def run_cell_async(
        self,
        raw_cell: str,
        store_history: bool = False,
        silent: bool = False,
        shell_futures: bool = True,
        *,
        transformed_cell: str | None = None,
        preprocessing_exc_tuple: Any = None,
        cell_id: Any = None,
        cell_meta: Any = None,
    ) -> Any:
        # IPython bumps execution_count before it transforms the AST, so the number
        # the user sees as In[N] has to be captured here, on the way in.
        self._cells.append(self.execution_count)
        _sync_tracing()
        try:
            return await super().run_cell_async(
                raw_cell,
                store_history=store_history,
                silent=silent,
                shell_futures=shell_futures,
                transformed_cell=transformed_cell,
                preprocessing_exc_tuple=preprocessing_exc_tuple,
                cell_id=cell_id,
                cell_meta=cell_meta,
            )
        finally:
            self._cells.pop()

    def safe_execfile(
        self,
        fname: str,
        *where: Any,
        exit_ignore: bool = False,
        raise_exceptions: bool = False,
        shell_futures: bool = False,
    ) -> None:
        """``%run script.py``: like IPython's, but the script's top-level defs are JIT'd.

        The script's functions are labelled with its path in the stats; exit statuses
        and tracebacks are reported the way IPython reports them.
        """
        path = Path(fname).expanduser().resolve()
        try:
            source = path.read_bytes()
        except OSError:
            warn(f"Could not open file <{path}> for safe execution.")
            return
        glob, loc = (where + (None,))[:2]
        # shell_futures: the script sees the __future__ imports made in earlier cells.
        flags = self.compile.flags & _FUTURE_FLAGS if shell_futures else 0
        # As `python script.py` does, the script's folder goes first on sys.path.
        with prepended_to_syspath(str(path.parent)), self.builtin_trap:
            try:
                self._exec_script(source, str(path), flags, glob, loc)
            except SystemExit as status:
                # Exit status 0/None is a normal end, as it is for the OS.
                if status.code:
                    if raise_exceptions:
                        raise
                    if not exit_ignore:
                        self.showtraceback(exception_only=True)
            except BaseException:
                if raise_exceptions:
                    raise
                # The report starts at the script: drop this method's frame and
                # _exec_script's (IPython's formatter ignores tb_offset for them).
                etype, value, tb = sys.exc_info()
                for _ in range(2):
                    if tb is not None and tb.tb_next is not None:
                        tb = tb.tb_next
                self.showtraceback((etype, value, tb))

    def _exec_script(self, source: bytes, filename: str, flags: int, glob: Any, loc: Any) -> None:
        tree = register_defs(ast.parse(source, filename), filename)
        code = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
        exec(code, glob, loc if loc is not None else glob)

