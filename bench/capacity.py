"""`python -m bench.capacity`: how many tierjit kernels a server holds, against plain ipykernel.

Per kernelspec (`tierjit`, `python3`) it measures, on fresh kernel processes started with
jupyter_client: start-up time (wall and CPU) to the first kernel_info reply, idle RSS, RSS after
a cell has made sum_of_squares, fib and mandelbrot hot, and the CPU seconds the background tier-2
compiles of those functions cost. From these it sizes a machine (default 2 cores, 24 GiB).
Memory and CPU come from /proc (Linux). `--update-doc docs/sizing.md` rewrites that file's
generated block; it never touches the prose around it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.kernels import KERNEL_DIR

KERNELS = ("tierjit", "python3")
HOT = ("sum_of_squares", "fib", "mandelbrot")  # mandelbrot brings its callee `escapes`
# Small arguments: the point is to compile, not to time the loops.
CALLS = "sum_of_squares(10**5); fib(18); mandelbrot(40)"
TIERJIT_SETUP = "%jit_config tier1_calls=1 tier2_calls=3 background=on"
SETTLE_S = 1.0      # idle time before reading RSS
COMPILE_WINDOW_S = 4.0  # wall time given to the background tier-2 compiles
BEGIN, END = "<!-- capacity:begin -->", "<!-- capacity:end -->"
COMMAND = "python -m bench.capacity --update-doc docs/sizing.md"


# ------------------------------------------------------------------ /proc readers
def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def uss_pss_bytes(pid: int) -> tuple[int, int]:
    """Unique set size (private pages: what one more kernel costs) and proportional set size."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        fields[key] = int(rest.split()[0]) * 1024
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Pss"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the whole process (all threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    after_name = stat[stat.rindex(")") + 2:].split()
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ one kernel
@dataclass
class Run:
    """What one kernel process measured."""
    kernel: str
    start_s: float
    start_cpu_s: float
    idle_rss: int
    idle_uss: int
    hot_rss: int = 0
    hot_uss: int = 0
    tier2_cpu_s: float | None = None     # background tier-2 compiles, net of a control window
    tiers: dict[str, int] = field(default_factory=dict)
    compile_ms: dict[str, float] = field(default_factory=dict)  # tier-2 wall ms per function
    code_bytes: int = 0


class Session:
    def __init__(self, name: str, timeout: float) -> None:
        from jupyter_client import KernelManager

        self.name, self.timeout = name, timeout
        self.km = KernelManager(kernel_name=name)
        t0 = time.perf_counter()
        self.km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=timeout)   # returns on the first kernel_info reply
        self.start_s = time.perf_counter() - t0
        self.pid = self.km.provisioner.process.pid
        self.start_cpu_s = cpu_seconds(self.pid)

    def run(self, code: str) -> str:
        out: list[str] = []
        errors: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        reply = self.kc.execute_interactive(code, output_hook=hook, timeout=self.timeout)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{self.name}: cell failed: {code[:60]!r}: {errors}")
        return "".join(out)

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def kernel_source() -> str:
    parts = [Path(KERNEL_DIR, f"{name}.py").read_text() for name in HOT]
    return "\n\n".join(parts)


def measure_once(name: str, timeout: float, hot: bool) -> Run:
    s = Session(name, timeout)
    try:
        time.sleep(SETTLE_S)
        run = Run(name, s.start_s, s.start_cpu_s, rss_bytes(s.pid), uss_pss_bytes(s.pid)[0])
        if hot:
            hot_phase(s, run)
        return run
    finally:
        s.close()


def tier2_done(s: Session) -> tuple[dict, int]:
    doc = json.loads(s.run("%jit_stats --json"))
    done = sum(1 for f in doc["functions"] for c in f["compiles"] if c["tier"] == 2)
    done += sum(1 for e in doc["events"] if e["kind"] == "compile_end" and e["tier"] == 2 and e["reason"])
    return doc, done


def settled(doc: dict) -> bool:
    """Every function is on tier 2, or will never get there."""
    return all(f["tier"] == 2 or f["state"] != "compiled" or (f["fallback_reason"] or "").startswith("tier 2")
               for f in doc["functions"])


def hot_phase(s: Session, run: Run) -> None:
    """Defines the kernels and calls them until no tier-2 compile is left. Each round of calls
    is a window: the process CPU from sending the cell to COMPILE_WINDOW_S later. Windows in
    which background tier-2 compiles finished, minus as many copies of a final window with
    nothing left to compile (the same calls), give the compiles' CPU seconds."""
    jit = s.name == "tierjit"
    if jit:
        s.run(TIERJIT_SETUP)
    s.run(kernel_source())
    s.run(CALLS)              # types recorded; tier 1 from here on (synchronous in tierjit)
    compiling: list[float] = []
    control = None
    done = 0
    for _ in range(12):
        c0 = cpu_seconds(s.pid)
        s.run(CALLS)
        time.sleep(COMPILE_WINDOW_S if jit else SETTLE_S)
        window = cpu_seconds(s.pid) - c0
        if not jit:
            break
        doc, now = tier2_done(s)   # outside the window
        if now > done:
            compiling.append(window)
            done = now
        elif settled(doc):
            control = window
            break
    run.hot_rss = rss_bytes(s.pid)
    run.hot_uss = uss_pss_bytes(s.pid)[0]
    if not jit:
        return
    for f in doc["functions"]:
        run.tiers[f["name"]] = f["tier"]
        t2 = [c["ms"] for c in f["compiles"] if c["tier"] == 2]
        if t2:
            run.compile_ms[f["name"]] = round(sum(t2), 1)
    run.code_bytes = doc["totals"]["code_bytes"]
    if control is not None:
        run.tier2_cpu_s = max(0.0, sum(compiling) - control * len(compiling))


# ------------------------------------------------------------------ the whole measurement
def isolated_kernelspecs() -> tempfile.TemporaryDirectory:
    """Installs this interpreter's tierjit kernelspec into a temporary JUPYTER_PATH entry and gives
    the kernels a private IPython profile (no user startup files). `python3` is ipykernel's
    built-in spec, which runs the same interpreter."""
    tmp = tempfile.TemporaryDirectory(prefix="tierjit-capacity-")
    prefix = Path(tmp.name, "prefix")
    subprocess.run([sys.executable, "-m", "tierjit.kernel", "install", "--prefix", str(prefix)],
                   check=True, capture_output=True)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(prefix / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")]))
    os.environ["IPYTHONDIR"] = str(Path(tmp.name, "ipython"))
    return tmp


def measure(repeat: int, timeout: float, log=lambda m: None) -> dict[str, list[Run]]:
    """Kernels alternate, so drift on a shared machine hits both alike. Each round starts one
    fresh process per kernel; every round also runs the hot phase."""
    runs: dict[str, list[Run]] = {k: [] for k in KERNELS}
    for i in range(repeat):
        for name in KERNELS:
            log(f"  round {i + 1}/{repeat}: {name} ...")
            runs[name].append(measure_once(name, timeout, hot=True))
    return runs


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[Run]) -> dict:
    last = runs[-1]
    return {"start_s": median([r.start_s for r in runs]),
            "start_cpu_s": median([r.start_cpu_s for r in runs]),
            "idle_rss": median([r.idle_rss for r in runs]), "idle_uss": median([r.idle_uss for r in runs]),
            "hot_rss": median([r.hot_rss for r in runs]), "hot_uss": median([r.hot_uss for r in runs]),
            "tier2_cpu_s": median([r.tier2_cpu_s for r in runs]),
            "tiers": last.tiers, "compile_ms": last.compile_ms, "code_bytes": last.code_bytes}


@dataclass
class Machine:
    cores: int = 2
    mem_gib: float = 24.0
    reserve_gib: float = 2.0   # OS, the Jupyter server or hub, page cache headroom
    duty: float = 0.10         # share of the time an "active" user's kernel is computing


def sizing(s: dict, m: Machine) -> dict:
    usable = (m.mem_gib - m.reserve_gib) * 2**30
    shared = s["hot_rss"] - s["hot_uss"]   # libraries (libLLVM above all), mapped by every kernel
    out = {"by_rss": int(usable // s["hot_rss"]), "by_uss": int((usable - shared) // s["hot_uss"]),
           "by_cpu": int(m.cores / m.duty),
           "start_storm_s": None}
    out["active"] = min(out["by_rss"], out["by_cpu"])
    # Starting every kernel the machine holds at once: start-up CPU spread over the cores.
    out["start_storm_s"] = out["active"] * s["start_cpu_s"] / m.cores
    if s["tier2_cpu_s"]:
        out["tier2_per_core_s"] = len(s["compile_ms"]) / s["tier2_cpu_s"]
    return out


# ------------------------------------------------------------------ report
def mib(n) -> str:
    return "-" if n is None else f"{n / 2**20:.0f} MiB"


def secs(x, digits=2) -> str:
    return "-" if x is None else f"{x:.{digits}f} s"


def report(summary: dict[str, dict], m: Machine, repeat: int) -> str:
    jit, base = summary["tierjit"], summary["python3"]
    sj, sb = sizing(jit, m), sizing(base, m)
    rows = [
        ("start-up to kernel_info reply (wall)", secs(jit["start_s"]), secs(base["start_s"])),
        ("start-up CPU of the kernel process", secs(jit["start_cpu_s"]), secs(base["start_cpu_s"])),
        ("idle RSS", mib(jit["idle_rss"]), mib(base["idle_rss"])),
        ("idle USS (private memory)", mib(jit["idle_uss"]), mib(base["idle_uss"])),
        ("RSS with the 3 kernels hot", mib(jit["hot_rss"]), mib(base["hot_rss"])),
        ("USS with the 3 kernels hot", mib(jit["hot_uss"]), mib(base["hot_uss"])),
        ("machine code held (stats totals)", f"{jit['code_bytes'] / 1024:.0f} KiB", "-"),
        ("CPU of the background tier-2 compiles", secs(jit["tier2_cpu_s"]), "-"),
    ]
    tiers = ", ".join(f"{k} t{v}" for k, v in sorted(jit["tiers"].items()))
    ms = ", ".join(f"{k} {v:g} ms" for k, v in sorted(jit["compile_ms"].items()))
    lines = [f"Measured with `{COMMAND}` ({repeat} fresh kernels each, medians; "
             f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
             f"{os.cpu_count()} CPUs).", "",
             "| per kernel | tierjit | ipykernel (`python3`) |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", f"Tiers reached: {tiers or '-'}. Tier-2 compile wall time: {ms or '-'}.", "",
              f"Sizing a {m.cores}-core / {m.mem_gib:g} GiB machine ({m.reserve_gib:g} GiB kept for the "
              f"OS and the server; an active user computes {m.duty:.0%} of the time):", "",
              "| kernels | tierjit | ipykernel |", "|---|---|---|",
              f"| held in memory, counting RSS (conservative) | {sj['by_rss']} | {sb['by_rss']} |",
              f"| held in memory, counting USS, shared libraries once | {sj['by_uss']} | {sb['by_uss']} |",
              f"| computing users the cores serve ({m.cores} / {m.duty:g}) | {sj['by_cpu']} | {sb['by_cpu']} |",
              f"| **concurrently active kernels** (the smaller of RSS and CPU) | **{sj['active']}** "
              f"| **{sb['active']}** |",
              f"| starting all of them at once, CPU-bound | {secs(sj['start_storm_s'], 0)} "
              f"| {secs(sb['start_storm_s'], 0)} |"]
    if "tier2_per_core_s" in sj:
        lines.append(f"| tier-2 compiles per core-second | {sj['tier2_per_core_s']:.1f} | - |")
    return "\n".join(lines)


def update_doc(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} block to replace")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{block}\n{END}{tail}", encoding="utf-8")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="fresh kernels per kernelspec (default 3)")
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--mem-gib", type=float, default=24.0)
    p.add_argument("--reserve-gib", type=float, default=2.0, help="memory kept for the OS and server")
    p.add_argument("--duty", type=float, default=0.10, help="share of time an active kernel computes")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per kernel start or cell")
    p.add_argument("--json", metavar="FILE", help="also write every run as JSON")
    p.add_argument("--update-doc", metavar="FILE", help="replace the generated block of FILE")
    args = p.parse_args(argv)
    if args.repeat < 1 or not 0 < args.duty <= 1 or args.cores < 1:
        p.error("--repeat and --cores must be >= 1, --duty in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not Path("/proc/self/smaps_rollup").exists():
        print("bench.capacity: needs Linux /proc (smaps_rollup); nothing measured", file=sys.stderr)
        return 1
    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    tmp = isolated_kernelspecs()
    try:
        runs = measure(args.repeat, args.timeout, log)
    finally:
        tmp.cleanup()
    summary = {name: summarise(r) for name, r in runs.items()}
    machine = Machine(args.cores, args.mem_gib, args.reserve_gib, args.duty)
    block = report(summary, machine, args.repeat)
    print(block)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"version": 1, "machine": asdict(machine), "summary": summary,
             "sizing": {k: sizing(v, machine) for k, v in summary.items()},
             "runs": {k: [asdict(r) for r in v] for k, v in runs.items()}}, indent=1))
    if args.update_doc:
        update_doc(Path(args.update_doc), block)
        log(f"updated {args.update_doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
