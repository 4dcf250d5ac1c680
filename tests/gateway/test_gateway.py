"""tierjit as a remote kernel: started, run, interrupted and shut down through Jupyter Kernel
Gateway's REST API and websocket channels, and offered by a JupyterLab that uses the gateway."""
from __future__ import annotations

import time

import pytest

from .remote import LabOnGateway, RemoteKernel

DISPLAY_NAME = "Python 3 (tiered JIT)"


@pytest.fixture(scope="module")
def remote(gateway):
    kernel = gateway.start_kernel("tierjit")
    kernel.kernel_info()
    yield kernel
    kernel.shutdown()


def test_gateway_offers_the_tierjit_kernelspec(gateway):
    specs = gateway.kernelspecs()
    assert specs["tierjit"]["spec"]["display_name"] == DISPLAY_NAME
    assert specs["tierjit"]["spec"]["language"] == "python"
    assert specs["tierjit"]["spec"]["interrupt_mode"] == "signal"


def test_remote_kernel_identifies_as_tierjit(remote):
    info = remote.kernel_info()
    assert info["implementation"] == "tierjit"
    assert info["language_info"]["name"] == "python"


def test_hot_function_reaches_tier_2_over_the_gateway(remote):
    remote.ok("%jit_config tier1_calls=1 tier2_calls=3 background=off")
    remote.ok("def hot_square_sum(n):\n"
              "    total = 0\n"
              "    for i in range(n):\n"
              "        total += i * i\n"
              "    return total\n")
    reply = remote.ok("[hot_square_sum(1000) for _ in range(10)][-1]")
    assert reply.results[-1]["text/plain"] == str(sum(i * i for i in range(1000)))
    record = remote.function("hot_square_sum")
    assert record["tier"] == 2, record
    assert any(c["tier"] == 2 for c in record["compiles"]), record["compiles"]
    assert sum(record["calls"].values()) == 10


def _interrupt(remote: RemoteKernel, call: str, run_for: float = 2.0) -> tuple:
    """Runs `call` as a cell, interrupts it through the gateway's REST endpoint after `run_for`
    seconds (time enough for a loop to get hot and enter native code); returns the cell's reply
    and the seconds from the interrupt request to the execute_reply."""
    msg_id = remote.submit(call)
    time.sleep(run_for)
    started = time.monotonic()
    remote.interrupt()
    reply = remote.collect(msg_id, timeout=30)
    return reply, time.monotonic() - started


def _answers(remote: RemoteKernel) -> bool:
    return remote.ok("6 * 7").results[-1]["text/plain"] == "42"


SPIN = "def spin():\n    x = 0\n    while True:\n        x += 1\n"


def test_interrupt_endpoint_stops_an_infinite_loop_in_a_jitted_function(remote):
    remote.ok(SPIN)
    reply, seconds = _interrupt(remote, "spin()")
    assert (reply.status, reply.ename) == ("error", "KeyboardInterrupt")
    assert seconds < 5, seconds  # DESIGN: within a second; generous for a loaded machine
    assert _answers(remote)


def test_interrupt_endpoint_stops_an_infinite_loop_in_compiled_code(remote):
    # Compiled by two finite calls first; spin_until(-1) then never meets its stop value and
    # runs the same native code forever (ints only grow, and never wrap).
    remote.ok("def spin_until(stop):\n"
              "    x = 0\n"
              "    while x != stop:\n"
              "        x += 1\n"
              "    return x\n"
              "spin_until(10)\n"
              "spin_until(10)\n")
    before = remote.function("spin_until")
    assert before["state"] == "compiled" and before["tier"] >= 1, before
    reply, seconds = _interrupt(remote, "spin_until(-1)")
    assert (reply.status, reply.ename) == ("error", "KeyboardInterrupt")
    assert seconds < 5, seconds
    after = remote.function("spin_until")
    # the interrupted call was entered on a compiled tier, not on tier 0
    assert after["calls"]["0"] == before["calls"]["0"], (before["calls"], after["calls"])
    assert sum(after["calls"].values()) == sum(before["calls"].values()) + 1
    assert _answers(remote)
    assert remote.ok("spin_until(7)").results[-1]["text/plain"] == "7"


def test_interrupt_endpoint_stops_a_long_loop_in_an_already_compiled_function(remote):
    remote.ok("def count_up(n):\n"
              "    s = 0\n"
              "    for i in range(n):\n"
              "        s += i\n"
              "    return s\n"
              "for _ in range(5):\n"
              "    count_up(100)\n")
    assert remote.function("count_up")["tier"] >= 1
    reply, seconds = _interrupt(remote, "count_up(10**12)", run_for=1.0)
    assert reply.ename == "KeyboardInterrupt"
    assert seconds < 5, seconds
    assert remote.ok("count_up(10)").results[-1]["text/plain"] == "45"


def test_a_loop_with_no_return_is_compiled_by_osr(remote):
    remote.ok(SPIN.replace("spin", "spin_forever"))
    reply, _ = _interrupt(remote, "spin_forever()")
    assert reply.ename == "KeyboardInterrupt"
    record = remote.function("spin_forever")
    assert record["osr"] or record["tier"] >= 1, record["fallback_reason"]


def test_shutdown_through_the_gateway_removes_the_kernel(gateway):
    kernel: RemoteKernel = gateway.start_kernel("tierjit")
    kernel.kernel_info()
    assert kernel.ok("1 + 1").results[-1]["text/plain"] == "2"
    assert gateway.has_kernel(kernel.id)
    kernel.shutdown()
    assert not gateway.has_kernel(kernel.id)


def test_jupyterlab_on_the_gateway_lists_the_tierjit_kernelspec(gateway, tmp_path):
    pytest.importorskip("jupyterlab", reason="jupyterlab is not installed")
    lab = LabOnGateway(tmp_path, gateway.url).start()
    try:
        specs = lab.kernelspecs()
    finally:
        lab.stop()
    assert "tierjit" in specs, sorted(specs)
    assert specs["tierjit"]["spec"]["display_name"] == DISPLAY_NAME
