"""Interrupts and restarts through a real kernel (jupyter_client), while native code runs.

A function is compiled with a small argument first, then called with a huge one, so the interrupt
lands in native code (a compiled loop or deep native recursion), not in the interpreter.
"""
from __future__ import annotations

import json
import time

import pytest

WITHIN_S = 2.0


def _compile_then_run_long(kernel, define: str, warm: str, long_call: str,
                           patience: float = 10) -> tuple[dict, float]:
    kernel.ok("survivor = {'answer': 42}\n" + define)
    kernel.ok(warm)
    return _interrupt(kernel, long_call, after=1.5, patience=patience)   # by then it runs natively


def _interrupt(kernel, code: str, after: float, patience: float = 10) -> tuple[dict, float]:
    """Run `code`, interrupt the kernel `after` seconds later: (the execute reply, seconds from
    the interrupt to the reply)."""
    msg_id = kernel.start(code)
    time.sleep(after)
    sent = time.monotonic()
    kernel.km.interrupt_kernel()
    reply = kernel.reply_to(msg_id, timeout=patience)
    return reply, time.monotonic() - sent


def _assert_kernel_kept_its_state(kernel, name: str, call: str, want: str) -> None:
    assert kernel.ok("print(survivor['answer'])").strip() == "42"
    assert kernel.ok(f"print({call})").strip() == want
    stats = kernel.ok("import json\nprint(json.dumps(__import__('tierjit').stats()))")
    record = [f for f in json.loads(stats)["functions"] if f["name"] == name][-1]
    assert record["compiles"], f"{name} never compiled: {record}"


def test_interrupt_a_long_compiled_loop(real_kernel):
    reply, seconds = _compile_then_run_long(
        real_kernel,
        "def spin(n):\n    s = 0\n    for i in range(n):\n        s += i % 7\n    return s\n",
        "for _ in range(10):\n    spin(100)",
        "spin(10**13)")
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    assert seconds < WITHIN_S, f"KeyboardInterrupt took {seconds:.2f} s"
    _assert_kernel_kept_its_state(real_kernel, "spin", "spin(100)", str(sum(i % 7 for i in range(100))))


def test_interrupt_deep_native_recursion(real_kernel):
    # Every call tree of depth 25 is 2**25 native calls: long, and deep enough to fill the native stack
    # with frames; the prologue poll must see the interrupt and unwind them all.
    reply, seconds = _compile_then_run_long(
        real_kernel,
        "def tree(n):\n    if n == 0:\n        return 1\n    return tree(n - 1) + tree(n - 1)\n",
        "for _ in range(10):\n    tree(5)",
        "import sys\nsys.setrecursionlimit(100000)\ntree(45)")
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    assert seconds < WITHIN_S, f"KeyboardInterrupt took {seconds:.2f} s"
    _assert_kernel_kept_its_state(real_kernel, "tree", "tree(10)", "1024")


# Slows the tier-1 / tier-2 optimiser down (3 s) when installed: a compile is then in progress
# long enough for the kernel to be interrupted or restarted in the middle of it.
SLOW_OPTIMISER = ("import time\nimport tierjit.tiers.native as native\n"
                  "_real_t1, _real_t2 = native.quick_optimise, native.optimise\n"
                  "def _slow_t1(m):\n    time.sleep(3)\n    return _real_t1(m)\n"
                  "def _slow_t2(m):\n    time.sleep(3)\n    return _real_t2(m)\n")


def test_restart_while_a_background_compile_runs(real_kernel):
    kernel = real_kernel
    kernel.ok("%jit_config tier1_calls=1 tier2_calls=3 background=on")
    kernel.ok(SLOW_OPTIMISER + "native.optimise = _slow_t2\n"
              "def work(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
              "for _ in range(6):\n    work(10)")
    # tier 2 of work() is now sleeping inside the optimiser on the background thread
    started = time.monotonic()
    kernel.km.restart_kernel(now=True)
    kernel.kc.wait_for_ready(timeout=60)
    assert time.monotonic() - started < 30
    assert kernel.run("work")["ename"] == "NameError"
    kernel.ok("def again(n):\n    s = 0\n    for i in range(n):\n        s += i * i\n    return s\n"
              "for _ in range(5):\n    r = again(100)")
    assert kernel.ok("print(r)").strip() == "328350"
    out = kernel.ok("import json\nprint(json.dumps([f['name'] for f in __import__('tierjit').stats()['functions']]))")
    assert out.strip() == '["again"]'


def test_interrupt_while_a_background_tier2_compile_runs(real_kernel):
    """The interrupt stops the user's loop; the compile on the other thread finishes, and lands."""
    kernel = real_kernel
    kernel.ok("%jit_config tier1_calls=1 tier2_calls=3 background=on")
    kernel.ok(SLOW_OPTIMISER + "native.optimise = _slow_t2\n"
              "def work(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
              "for _ in range(6):\n    work(10)")
    # tier 2 of work() is asleep in the optimiser on the background thread meanwhile
    reply, seconds = _interrupt(kernel, "while True:\n    work(1000)", after=1.0)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    assert seconds < WITHIN_S
    assert kernel.ok("print(work(100))").strip() == "4950"
    out = kernel.ok("import time\nfor _ in range(100):\n    if __import__('tierjit.tiers', fromlist=['engine'])"
                    ".engine().find('work').tier == 2:\n        break\n    time.sleep(0.1)\n"
                    "print(__import__('tierjit.tiers', fromlist=['engine']).engine().find('work').tier, work(100))")
    assert out.split() == ["2", "4950"], out


def test_interrupt_during_osr_entry(real_kernel):
    """Ctrl-C while a loop's continuation is being compiled (OSR, on the user's thread): the cell
    stops with KeyboardInterrupt, and the same loop enters native code normally afterwards."""
    kernel = real_kernel
    kernel.ok("%jit_config tier1_calls=1000000 tier1_loops=1000 osr=on background=off")
    kernel.ok(SLOW_OPTIMISER + "native.quick_optimise, native.optimise = _slow_t1, _slow_t2\n"
              "def long_loop(n):\n    s = 0\n    k = 0\n    while k < n:\n        s += k\n        k += 1\n"
              "    return s\n")
    # at 1,000 iterations the OSR compile starts, and sleeps 3 s in the optimiser
    reply, seconds = _interrupt(kernel, "long_loop(10**6)", after=1.0)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    assert seconds < WITHIN_S
    kernel.ok("native.quick_optimise, native.optimise = _real_t1, _real_t2")
    assert kernel.ok("print(long_loop(10**6))").strip() == str(sum(range(10**6)))
    stats = kernel.ok("import json\nprint(json.dumps(__import__('tierjit').stats()))")
    record = [f for f in json.loads(stats)["functions"] if f["name"] == "long_loop"][-1]
    assert any(o["tier"] in (1, 2) for o in record["osr"]), record["osr"]
