"""The gcc -O3 column: compile a kernel's C version into a temp dir and run its driver.

The driver (bench/c/bench.h) times itself and prints JSON, so no Python call
overhead or process start-up is inside the C timings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

C_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c")

# -march=native: the JIT also targets the host CPU. -ffp-contract=off: no fused
# multiply-add, so float results round exactly as Python's do.
CFLAGS = ["-O3", "-march=native", "-ffp-contract=off"]


@dataclass
class CBuild:
    """Compiled drivers, one per kernel module, reused for every row that shares the module."""
    workdir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="tierjit-bench-c-"))
    binaries: dict = field(default_factory=dict)   # module -> (path, compile seconds)

    def compiler(self) -> str | None:
        return shutil.which(os.environ.get("CC", "gcc"))

    def build(self, module: str) -> tuple[str, float]:
        if module not in self.binaries:
            source = os.path.join(C_DIR, module + ".c")
            if not os.path.exists(source):
                raise FileNotFoundError(f"no C version: bench/c/{module}.c")
            binary = os.path.join(self.workdir, module)
            t0 = time.perf_counter()
            subprocess.run([self.compiler(), *CFLAGS, "-I", C_DIR, "-o", binary, source, "-lm"],
                           check=True, capture_output=True, text=True)
            self.binaries[module] = (binary, time.perf_counter() - t0)
        return self.binaries[module]

    def run(self, module: str, arg: int | None, calls: int, repeat: int, timeout: float) -> dict:
        """First run plus `repeat` timed runs; ttr adds the gcc compile to the first run."""
        binary, compile_s = self.build(module)
        out = subprocess.run([binary, str(arg or 0), str(calls), str(repeat + 1)],
                             check=True, capture_output=True, text=True, timeout=timeout)
        doc = json.loads(out.stdout)
        times = doc["times"]
        # The driver times whole runs, so a first *call* is known only when a run is one call.
        return {"first": times[0] if calls == 1 else None, "first_run": times[0],
                "ttr": compile_s + times[0],
                "compile_s": compile_s, "times": times[1:], "answers": [doc["answer"]],
                "version": "gcc " + " ".join(CFLAGS)}

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
