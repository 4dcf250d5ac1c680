"""Runs every teaching notebook top to bottom on a real tierjit kernel (nbclient).

The notebooks assert their own claims (tiers reached, compiles recorded, exact results, margins of
10x or more), so a notebook that runs without an error is a notebook whose claims held on this
machine. Comparison systems that are missing (PyPy, Numba, PyTorch, a JDK) are skipped inside the
notebooks, never failing them.
"""
from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT = 300        # seconds for one cell: the slowest (PyPy + Numba + JVM) take a few seconds
NOTEBOOK_BUDGET = 120     # each notebook is meant to run in under two minutes


def test_all_five_notebooks_are_there() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_tierjit_kernel(path: Path, tierjit_kernelspec: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "tierjit"
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="tierjit", allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    started = time.monotonic()
    client.execute()          # raises CellExecutionError, with the cell and traceback, on any error
    elapsed = time.monotonic() - started
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert elapsed < NOTEBOOK_BUDGET, f"{path.name} took {elapsed:.0f} s (budget {NOTEBOOK_BUDGET} s)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    """Figures are measured when the notebook runs; stored outputs would be another machine's."""
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")
