"""The tierjit Jupyter kernel: ipykernel's IPythonKernel with the JIT-aware shell.

Only identity (implementation, version, banner) and the shell class change; the
messaging, completion, inspection and interrupt handling are ipykernel's own.
"""
from __future__ import annotations

from ipykernel.ipkernel import IPythonKernel
from traitlets import Type

import tierjit

from .shell import TierJitShell

BANNER_LINE = f"tierjit {tierjit.__version__}: top-level functions run under a tiered llvmlite JIT (%jit_stats, %jit off)"


class TierJitKernel(IPythonKernel):
    shell_class = Type(TierJitShell)

    implementation = "tierjit"
    implementation_version = tierjit.__version__
    # language_info stays IPythonKernel's: notebooks remain Python notebooks.

    @property
    def banner(self) -> str:  # type: ignore[override]
        return BANNER_LINE + "\n" + (super().banner or "")
