"""The shared runtime's machine code, kept on disk between processes (tiers/objcache.py).

Each test runs fresh processes, since a process builds the runtime once: the first with an
empty cache directory makes the code and stores it, the next loads it. Either way the code
must give CPython's answers through every helper the runtime holds (int slow paths, `**`,
big-int compares, item access out of range, the error exit, an entry guard's deopt, the
safepoint that lets other threads run), and a damaged or unwritable cache must cost nothing but
the time it would have saved.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.timeout(300)

PROGRAM = textwrap.dedent("""
    def squares(n):
        total = 0
        for i in range(n):
            total += i * i
        return total

    def spin(n):
        x = 0.0
        for i in range(n):
            x += 1.0
        return x

    def power(b, e):
        return b ** e

    def bigger(a, b):
        return a * a > b

    def item(xs, i):
        return xs[i]

    def put(xs, i, v):
        xs[i] = v
        return xs[0]
""")

# (function, arguments): each runs after the function is on tier 1
CALLS = [
    ("squares", (10,)), ("squares", (3_100_000,)),        # past 2**63
    ("spin", (10,)), ("spin", (9_000_000,)),              # polls, and lets other threads run
    ("power", (3, 50)), ("power", (2, -2)),
    ("bigger", (2**40, 2**79)), ("bigger", (2**40, 2**81)),
    ("item", ([1.5, 2.5], 1)), ("item", ([1.5, 2.5], -3)), ("item", ([1.5, 2.5], 2**70)),
    ("put", ([1, 2], 1, 7)), ("put", ([1, 2], 5, 7)),
    ("item", ((1, 2), 0)),                                 # a tuple: the entry's guard deopts
]

# what each call gave: the same code reads CPython's answers here and tierjit's in the script
OUTCOMES = textwrap.dedent("""
    def outcomes(ns, calls):
        out = []
        for name, args in calls:
            try:
                out.append(["ok", repr(ns[name](*args))])
            except Exception as exc:
                out.append([type(exc).__name__, str(exc)])
        return out
""")

SCRIPT = OUTCOMES + textwrap.dedent("""
    import ast, json, linecache, sys
    from tierjit.tiers import runtime
    from tierjit.tiers.engine import Engine

    program, calls = sys.argv[1], ast.literal_eval(sys.argv[2])
    engine = Engine()
    never = 10**9
    engine.configure(tier1_calls=1, tier2_calls=never, tier1_loops=never, tier2_loops=never,
                     background=False, osr=False)
    linecache.cache["<cell>"] = (len(program), None, program.splitlines(True), "<cell>")  # as IPython does
    ns = {}
    exec(compile(program, "<cell>", "exec"), ns)
    for name in [n for n in ns if not n.startswith("__")]:
        ns[name] = engine.register(ns[name], defined_in="<cell>")
    out = outcomes(ns, calls)
    tiers = {f["name"]: sorted({c["tier"] for c in f["compiles"]}) for f in engine.stats()["functions"]}
    print(json.dumps({"state": runtime.cache_state, "results": out, "tiers": tiers,
                      "code_bytes": runtime.code_bytes()}))
""")


def expected() -> list[list[str]]:
    ns: dict = {}
    exec(compile(PROGRAM, "<cell>", "exec"), ns)
    helpers: dict = {}
    exec(OUTCOMES, helpers)
    return helpers["outcomes"](ns, CALLS)


def run(cache_dir: str) -> dict:
    env = {**os.environ, "TIERJIT_CACHE_DIR": cache_dir}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, PROGRAM, repr(CALLS)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_right(got: dict) -> None:
    assert got["results"] == expected()
    for name in ("squares", "spin", "power", "bigger", "item", "put"):
        assert 1 in got["tiers"][name], f"{name} never compiled: {got['tiers']}"


def cached_objects(cache_dir) -> list:
    return sorted(p for p in cache_dir.iterdir() if p.name.startswith("runtime-"))


def test_the_first_process_stores_the_runtime_and_the_next_loads_it(tmp_path):
    first = run(str(tmp_path))
    assert first["state"] == "stored"
    assert_right(first)
    [obj] = cached_objects(tmp_path)

    second = run(str(tmp_path))
    assert second["state"] == "loaded"
    assert_right(second)
    assert second["code_bytes"] == first["code_bytes"] > 0
    assert cached_objects(tmp_path) == [obj]


def test_the_runtime_ir_is_the_same_in_every_process(tmp_path):
    """What the cache's key rests on: the IR names no address of the process that built it."""
    script = ("import hashlib; from tierjit.tiers import runtime; "
              "print(hashlib.sha256(str(runtime.build_module()[0].module).encode()).hexdigest(), id(None))")
    outs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           timeout=120).stdout.split() for _ in range(2)]
    assert outs[0][1] != outs[1][1], "None at one address in both processes: the test shows nothing"
    assert outs[0][0] == outs[1][0]


def test_a_damaged_object_is_made_again(tmp_path):
    run(str(tmp_path))
    [obj] = cached_objects(tmp_path)
    data = bytearray(obj.read_bytes())
    data[-100] ^= 0xFF           # one flipped byte in the machine code
    obj.write_bytes(bytes(data))

    again = run(str(tmp_path))
    assert again["state"] == "stored"
    assert_right(again)
    assert run(str(tmp_path))["state"] == "loaded"


def test_an_unwritable_cache_only_costs_time(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    got = run(str(blocker / "cache"))
    assert got["state"] == "not stored"
    assert_right(got)


def test_an_empty_cache_dir_turns_the_cache_off(tmp_path):
    got = run("")
    assert got["state"] == "off"
    assert_right(got)
