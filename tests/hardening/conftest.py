"""Fixtures for the hardening tests: a real tierjit kernel per test (interrupts, restarts, sockets).

The kernelspec comes from tests/conftest.py's `tierjit_kernelspec` (installed into a private prefix).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from jupyter_client.manager import start_new_kernel

sys.path.insert(0, str(Path(__file__).resolve().parent))   # hardening_run, for every test module


class RealKernel:
    def __init__(self, km: Any, kc: Any) -> None:
        self.km, self.kc = km, kc

    def run(self, code: str, timeout: float = 120) -> dict:
        """Run a cell; returns {'status', 'stdout', 'ename', 'traceback'}."""
        out: dict[str, Any] = {"stdout": "", "ename": None, "traceback": ""}

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out["stdout"] += msg["content"]["text"]
            elif msg["msg_type"] == "error":
                out["ename"] = msg["content"]["ename"]
                out["traceback"] = "\n".join(msg["content"]["traceback"])

        reply = self.kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        out["status"] = reply["content"]["status"]
        return out

    def ok(self, code: str, timeout: float = 120) -> str:
        out = self.run(code, timeout)
        assert out["status"] == "ok", out["traceback"] or out
        return out["stdout"]

    def start(self, code: str) -> str:
        """Send a cell without waiting; returns its msg_id."""
        return self.kc.execute(code, stop_on_error=False)

    def reply_to(self, msg_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.kc.get_shell_msg(timeout=max(0.01, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]
        raise TimeoutError(f"no execute_reply within {timeout} s")


@pytest.fixture
def real_kernel(tierjit_kernelspec: Path) -> Iterator[RealKernel]:
    km, kc = start_new_kernel(kernel_name="tierjit", startup_timeout=60)
    kernel = RealKernel(km, kc)
    yield kernel
    kc.stop_channels()
    km.shutdown_kernel(now=True)
