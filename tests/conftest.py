"""Fixtures shared by every test folder: the repo root, and the tierjit kernelspec installed
into a private JUPYTER_PATH for the test session (so nothing touches the user's Jupyter setup).
The shared runtime's machine-code cache is private to the session too (a temporary
TIERJIT_CACHE_DIR, inherited by the kernels and scripts the tests start), unless one is set.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))   # jit_stats, for the kernel and gateway clients

if "TIERJIT_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="tierjit-test-cache-")
    os.environ["TIERJIT_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, True)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def tierjit_kernelspec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Installs the kernelspec with the real installer; Jupyter clients started in this
    session (jupyter_client, nbclient, jupyter lab) find the kernel as ``tierjit``."""
    prefix = tmp_path_factory.mktemp("jupyter-prefix")
    subprocess.run(
        [sys.executable, "-m", "tierjit.kernel", "install", "--prefix", str(prefix)],
        check=True,
        capture_output=True,
    )
    saved = {key: os.environ.get(key) for key in ("JUPYTER_PATH", "IPYTHONDIR")}
    data_dir = prefix / "share" / "jupyter"
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(data_dir), saved["JUPYTER_PATH"]]))
    # A private IPython profile: no user startup files, no shared history database.
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    yield data_dir / "kernels" / "tierjit"
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
