"""Kernel start-up time and idle memory: tierjit's kernelspec against plain ipykernel.

Start-up is the time from starting the kernel process with jupyter_client to
its kernel_info reply; memory is the kernel process's RSS after a short idle.
"""

from __future__ import annotations

import statistics
import subprocess
import time

BASELINE = "python3"
TIERJIT = "tierjit"
IDLE_S = 1.0


def rss_bytes(pid: int) -> int | None:
    """Resident set size from /proc (Linux), without needing psutil."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def kernel_pid(km) -> int | None:
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return getattr(process, "pid", None)


def one_start(kernel_name: str, timeout: float) -> tuple[float, int | None]:
    from jupyter_client import KernelManager
    km = KernelManager(kernel_name=kernel_name)
    t0 = time.perf_counter()
    # The kernels' own log lines (e.g. ipykernel's TCP warning) would interleave with the table.
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=timeout)  # returns on the first kernel_info reply
        started = time.perf_counter() - t0
        time.sleep(IDLE_S)
        return started, rss_bytes(kernel_pid(km))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def kernel_problems() -> dict[str, str | None]:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return {BASELINE: "jupyter_client not installed", TIERJIT: "jupyter_client not installed"}
    specs = KernelSpecManager().find_kernel_specs()
    hint = {TIERJIT: " (python -m tierjit.kernel install --sys-prefix)", BASELINE: " (pip install ipykernel)"}
    return {name: None if name in specs else f"kernelspec {name!r} not installed{hint[name]}"
            for name in (BASELINE, TIERJIT)}


def measure(repeat: int, timeout: float = 60.0, log=lambda msg: None) -> dict:
    """kernel name -> {"start_s": [...], "rss": [...]} or {"skipped": why} / {"error": why}."""
    out: dict = {}
    for name, problem in kernel_problems().items():
        if problem:
            out[name] = {"skipped": problem}
            continue
        log(f"  start-up: {name} ...")
        starts, rss = [], []
        try:
            for _ in range(repeat):
                s, r = one_start(name, timeout)
                starts.append(s)
                if r:
                    rss.append(r)
        except Exception as exc:  # a kernel that dies at start is a result, not a crash of the suite
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        out[name] = {"start_s": starts, "rss": rss,
                     "start_median": statistics.median(starts),
                     "rss_median": statistics.median(rss) if rss else None}
    return out
