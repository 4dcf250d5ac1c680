"""Helpers imported *inside* the subprocess of a hardening scenario (never by pytest itself).

Owns: loading source into a fresh namespace the way the kernel does (unique filename, source in
`linecache`, every top-level def registered with the engine), describing one call's outcome in a
comparable form, running the same calls on plain CPython and under tierjit, RSS from
/proc/self/statm, and printing the scenario's result as one JSON line the test parses.
"""
from __future__ import annotations

import ast
import copy
import itertools
import json
import linecache
import math
import os
import struct
import sys
from typing import Any, Callable

RESULT_TAG = "HARDENING-RESULT "
_ids = itertools.count()


def engine() -> Any:
    from tierjit.tiers import engine as get_engine
    return get_engine()


def stats() -> dict:
    return engine().stats()


def load(source: str, jitted: bool = True, ns: dict | None = None) -> dict:
    """Run `source` as a cell would; with `jitted`, register its top-level defs with the engine."""
    ns = {"__name__": f"hardening_{next(_ids)}"} if ns is None else ns
    filename = f"<hardening-{os.getpid()}-{next(_ids)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)
    if jitted:
        from tierjit.tiers import jit
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                ns[node.name] = jit(ns[node.name])
    return ns


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, str, bytes, complex, type(None))):
        return a == b
    return True     # user objects are deep copies on each side: the type is what can be compared


def outcome(func: Callable, args: tuple) -> tuple:
    """('ok', value, args) or ('raise', type name, message, args): what a user can observe of one call.

    The call gets a private deep copy of `args`, so a mutating call cannot change the other side's input.
    Mutations count too: the arguments as they are after the call are the outcome's last item.
    """
    args = copy.deepcopy(args)
    try:
        return ("ok", func(*args), args)
    except RecursionError:
        # CPython may append where the limit was hit (" while calling a Python object").
        return ("raise", "RecursionError", "maximum recursion depth exceeded", args)
    except Exception as exc:   # noqa: BLE001 - every exception is part of the behaviour
        return ("raise", type(exc).__name__, str(exc), args)


def same_outcome(want: tuple, got: tuple) -> bool:
    if want[0] != got[0] or not _same_args(want[-1], got[-1]):
        return False
    return _same(want[1], got[1]) if want[0] == "ok" else want[:3] == got[:3]


def _same_args(a: tuple, b: tuple) -> bool:
    return _same(list(a), list(b))


def show(o: tuple) -> str:
    after = f", arguments afterwards {_short(o[-1])}"
    if o[0] == "ok":
        value = o[1]
        text = f"<int of {value.bit_length()} bits>" if isinstance(value, int) and value.bit_length() > 256 \
            else repr(value)[:200]
        return f"returned {text} ({type(value).__name__}){after}"
    return f"raised {o[1]}({o[2][:200]!r}){after}"


def differential(source: str, func: str, warmup: list[tuple], calls: list[tuple]) -> list[str]:
    """Warm `func` up under tierjit (so it compiles), then run `calls`; every call also runs on CPython.

    Returns one line per difference (empty when tierjit behaved exactly like CPython).
    """
    plain = load(source, jitted=False)
    jitted = load(source, jitted=True)
    problems = []
    for phase, schedule in (("warm-up ", warmup), ("", calls)):
        for args in schedule:
            want, got = outcome(plain[func], args), outcome(jitted[func], args)
            if not same_outcome(want, got):
                problems.append(f"{phase}{func}{_short(args)}: CPython {show(want)}; tierjit {show(got)}")
        engine().queue.drain()
    return problems


def _short(args: tuple) -> str:
    text = repr(args)
    return text if len(text) < 120 else text[:100] + f"... ({len(text)} chars)"


def record(name: str) -> dict:
    """The newest stats record of `name`."""
    found = [f for f in stats()["functions"] if f["name"] == name]
    assert found, f"no stats record for {name}"
    return found[-1]


def compiled_tiers(name: str) -> list[int]:
    return [c["tier"] for c in record(name)["compiles"]]


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def report(**result: Any) -> None:
    """The scenario's result: the test reads the last line starting with RESULT_TAG."""
    sys.stdout.flush()
    print(RESULT_TAG + json.dumps(result, default=repr), flush=True)


# Settings that make a function compile on its first call and stay on tier 1, or reach tier 2 by its
# third; compiles run synchronously so the call after the threshold already runs the new code.
TIER_SETTINGS = {
    1: dict(tier1_calls=1, tier2_calls=10**9, background=False, osr=False),
    2: dict(tier1_calls=1, tier2_calls=3, background=False, osr=False),
}
WARMUP = 6   # calls that certainly take a function to its pinned tier


def pin(tier: int, **more: Any) -> None:
    engine().configure(**{**TIER_SETTINGS[tier], **more})
