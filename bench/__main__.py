"""`python -m bench`: run the suite, print the tables, optionally write JSON.

Options: --quick (small sizes), --only NAME (kernel name prefix, or the
sections `overhead` and `startup`), --repeat N, --json FILE, --skip SYSTEM.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

from bench import kernels, report, startup, suite
from bench.native import CBuild
from bench.overhead_report import overhead_section, run_overheads, startup_section
from bench.records import SYSTEMS

EXTRA_SECTIONS = ("overhead", "startup")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes and fewer repeats (a smoke run)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only kernels whose name starts with NAME (repeatable); "
                        "'overhead' and 'startup' select those sections")
    p.add_argument("--repeat", type=int, help="timed runs per measurement (default 5, quick 3)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    p.add_argument("--skip", action="append", choices=[s for s in SYSTEMS if s != "cpython"],
                   default=[], help="leave out a system (repeatable)")
    p.add_argument("--timeout", type=float, help="seconds allowed per worker process")
    args = p.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        p.error("--repeat must be at least 1")
    known = [k.name for k in kernels.KERNELS] + list(EXTRA_SECTIONS)
    for name in args.only or []:
        if not any(k.startswith(name) for k in known):
            p.error(f"--only {name}: no kernel or section of that name (known: {', '.join(known)})")
    return args


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    opts = suite.Options(quick=args.quick, repeat=args.repeat or (3 if args.quick else 5),
                         timeout=args.timeout or (300.0 if args.quick else 900.0),
                         tierjit_budget=5.0 if args.quick else 30.0)
    only = args.only or []
    kernel_names = [o for o in only if o not in EXTRA_SECTIONS]
    selected = kernels.select(kernel_names) if kernel_names or not only else []
    wants = lambda section: not only or section in only

    log("checking which systems are installed ...")
    available = suite.availability()
    for system in args.skip:
        available[system] = "left out with --skip"
    started = time.time()
    cbuild = CBuild()
    results = []
    try:
        for kernel in selected:
            results.append(suite.run_kernel(kernel, available, opts, cbuild, log))
    finally:
        cbuild.close()
    overheads = run_overheads(available, opts, log) if wants("overhead") else None
    starts = startup.measure(3 if args.quick else 5, log=log) if wants("startup") else None

    mode = "quick" if args.quick else "full"
    print(f"tierjit benchmark suite ({mode} sizes, {opts.repeat} timed runs per figure, medians; "
          f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()})")
    if results:
        print("\nSpeed-up vs CPython (CPython median / system median; higher is faster; "
              "ttr = time to result from cold; ! = wrong answer)\n")
        print(report.speedup_table(results, available))
        print("\nTimes per run (median, min, max over the timed runs)\n")
        print(report.times_table(results))
        print("\ntierjit compiles per function (steady-state worker)\n")
        print(report.compile_table(results))
    notes = report.footnotes(results, available)
    if notes:
        print("\nNotes\n" + notes)
    if overheads is not None:
        print("\n" + overhead_section(overheads))
    if starts is not None:
        print("\n" + startup_section(starts))
    print(f"\n(total {time.time() - started:.0f} s)")

    if args.json:
        doc = {"version": 1, "mode": mode, "repeat": opts.repeat,
               "python": platform.python_version(), "machine": platform.machine(),
               "systems": {s: {"available": not why, "reason": why} for s, why in available.items()},
               "kernels": [r.to_json() for r in results],
               "overhead": overheads, "startup": starts}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
