"""Runs the overhead workers and prints their sections: call cost, tier-0 cost, start-up.

The goals printed next to the ratios are DESIGN's: a compiled call at most 1.5x
a plain function call (stretch: 1.3x `abs()`), profiling at tier 0 at most
1.3x plain, an unsupported function 1.0x.
"""

from __future__ import annotations

import statistics
import sys

from bench.report import table
from bench.suite import Options, run_json


def med(values) -> float | None:
    return statistics.median(values) if values else None


def run_overheads(available: dict, opts: Options, log) -> dict:
    repeat, number = (opts.repeat, 50000) if opts.quick else (opts.repeat, 300000)
    out: dict = {}
    worker = [sys.executable, "-m", "bench.worker"]
    for mode, system in (("overhead-calls", "tierjit"), ("overhead-profiling", "tierjit"),
                         ("overhead-numba", "numba")):
        if available.get(system):
            out[mode] = {"skipped": available[system]}
            continue
        log(f"  {mode} ...")
        out[mode] = run_json([*worker, mode, str(repeat), str(number)], opts.timeout)
    return out


def state_of(doc: dict, name: str) -> str:
    rec = (doc.get("records") or {}).get(name)
    if not rec:
        return ""
    text = f"t{rec.get('tier')} {rec.get('state')}"
    if rec.get("fallback_reason"):
        text += f" ({rec['fallback_reason'][:40]})"
    return text


def overhead_section(out: dict) -> str:
    rows, ns, best = [], {}, {}
    for mode in ("overhead-calls", "overhead-numba"):
        doc = out.get(mode, {})
        if "ns" not in doc:
            rows.append([mode, "-", "-", "-", doc.get("skipped") or doc.get("error", "")])
            continue
        for name, values in doc["ns"].items():
            ns[name], best[name] = med(values), min(values)
            rows.append([name, f"{ns[name]:.1f}", f"{best[name]:.1f}", f"{max(values):.1f}",
                         state_of(doc, name)])
    parts = ["Call overhead (ns per call through timeit; 'empty statement' is timeit's own loop)\n",
             table(["call", "median ns", "min", "max", "tier / state"], rows), ""]
    # Ratios of medians, and of minima (the least disturbed runs) since neighbours add noise.
    for label, a, b, goal in (("compiled / plain function", "tierjit compiled", "plain function", "goal <= 1.5x"),
                              ("compiled / abs()", "tierjit compiled", "builtin abs()", "stretch <= 1.3x"),
                              ("compiled / Numba dispatch", "tierjit compiled", "Numba dispatch", "goal < 1x"),
                              ("unsupported / plain", "tierjit unsupported", "plain uses_dict", "goal 1.0x")):
        if ns.get(a) and ns.get(b):
            parts.append(f"{label}: {ns[a] / ns[b]:.2f}x median, {best[a] / best[b]:.2f}x min ({goal})")

    prof = out.get("overhead-profiling", {})
    parts.append("\nProfiling overhead at tier 0 (thresholds too high to ever compile)\n")
    if "ns" not in prof:
        parts.append(prof.get("skipped") or prof.get("error", "no result"))
    else:
        p = {k: med(v) for k, v in prof["ns"].items()}
        prow = []
        for kind, plain, jit in (("call-heavy", "plain call", "tier-0 call"),
                                 ("loop-heavy", "plain loop (per iteration)", "tier-0 loop (per iteration)")):
            ratio = p[jit] / p[plain] if p.get(plain) else None
            low = min(prof["ns"][jit]) / min(prof["ns"][plain])
            prow.append([kind, f"{p[plain]:.1f}", f"{p[jit]:.1f}", f"{ratio:.2f}x" if ratio else "-",
                         f"{low:.2f}x", "<= 1.3x", state_of(prof, jit)])
        parts.append(table(["workload", "plain ns", "tier-0 ns", "ratio", "ratio of min", "goal",
                            "tier / state"], prow))
    return "\n".join(parts)


def startup_section(starts: dict) -> str:
    rows = []
    for name, doc in starts.items():
        if "start_s" not in doc:
            rows.append([name, "-", "-", doc.get("skipped") or doc.get("error", "")])
            continue
        rss = doc.get("rss_median")
        rows.append([name, f"{doc['start_median']:.3f} s", f"{rss / 2**20:.1f} MiB" if rss else "-",
                     f"{len(doc['start_s'])} starts"])
    return ("Kernel start-up (start to kernel_info reply) and idle RSS after 1 s\n\n"
            + table(["kernelspec", "start-up", "idle RSS", ""], rows))
