"""A real tierjit kernel for the kernel tests, driven through jupyter_client.

`Kernel.run(code)` executes one cell and returns what a notebook would show, as a typed
record; one kernel is shared per test module (tests use distinct names or %jit_reset).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

from jit_stats import JitStatsQueries

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class CellResult:
    status: str
    stdout: str = ""
    stderr: str = ""
    # (msg_type, MIME bundle) of each display_data / execute_result, in order
    outputs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    error: dict[str, Any] | None = None  # ename, evalue, traceback

    @property
    def traceback(self) -> str:
        """The error's traceback as plain text (IPython colours it with ANSI codes)."""
        if self.error is None:
            return ""
        return _ANSI.sub("", "\n".join(self.error["traceback"]))

    @property
    def value(self) -> str:
        """The text/plain of the cell's execute_result (its Out[N]), or ''."""
        for kind, data in self.outputs:
            if kind == "execute_result":
                return data.get("text/plain", "")
        return ""


class Kernel(JitStatsQueries):
    def __init__(self, km: KernelManager, kc: BlockingKernelClient) -> None:
        self.km = km
        self.kc = kc

    def run(self, code: str, timeout: float = 60) -> CellResult:
        result = CellResult(status="")

        def on_output(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    result.stdout += content["text"]
                else:
                    result.stderr += content["text"]
            elif kind in ("display_data", "execute_result"):
                result.outputs.append((kind, content["data"]))
            elif kind == "error":
                result.error = content

        reply = self.kc.execute_interactive(code, output_hook=on_output, timeout=timeout)
        result.status = reply["content"]["status"]
        return result

    def ok(self, code: str, timeout: float = 60) -> CellResult:
        """Run a cell that must succeed; on failure the assertion shows the traceback."""
        result = self.run(code, timeout)
        assert result.status == "ok", result.traceback or result
        return result


def start_kernel() -> Kernel:
    km, kc = start_new_kernel(kernel_name="tierjit", startup_timeout=60)
    return Kernel(km, kc)


def stop_kernel(kernel: Kernel) -> None:
    kernel.kc.stop_channels()
    kernel.km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel(tierjit_kernelspec: Any) -> Iterator[Kernel]:
    k = start_kernel()
    yield k
    stop_kernel(k)


@pytest.fixture
def own_kernel(tierjit_kernelspec: Any) -> Iterator[Kernel]:
    """A kernel for one test that interrupts or restarts it."""
    k = start_kernel()
    yield k
    stop_kernel(k)
