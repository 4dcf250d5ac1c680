"""Security posture: the installed kernelspec keeps Jupyter's defaults, and a running kernel only
listens on its own Jupyter ports on 127.0.0.1.

Jupyter signs every message with the connection file's key (HMAC); a kernelspec must not switch that
off (an empty "key" in env or argv) nor swap the interrupt mechanism. A kernel (or the JIT, or a
compile thread) must not open any other listening socket.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def installed_spec(tmp_path_factory: pytest.TempPathFactory) -> dict:
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run([sys.executable, "-m", "tierjit.kernel", "install", "--prefix", str(prefix)],
                   check=True, capture_output=True)
    path = prefix / "share" / "jupyter" / "kernels" / "tierjit" / "kernel.json"
    return json.loads(path.read_text())


def test_kernelspec_keeps_message_signing_and_signal_interrupts(installed_spec):
    spec = installed_spec
    argv = spec["argv"]
    assert argv[1:] == ["-m", "tierjit.kernel", "-f", "{connection_file}"], argv
    assert Path(argv[0]).name.startswith("python"), argv
    # no override of the connection file's key or signature scheme anywhere
    text = json.dumps(spec).lower()
    for forbidden in ('"key"', "session.key", "signature_scheme", "--key", "hmac", "no-sign"):
        assert forbidden not in text, f"kernelspec mentions {forbidden}: {spec}"
    assert not any(arg.startswith("--") for arg in argv[2:] if arg != "-f"), argv
    assert spec.get("env", {}) == {}, spec["env"]
    assert spec["interrupt_mode"] == "signal"
    assert spec["language"] == "python"


def test_connection_file_has_a_key_and_signs_messages(real_kernel):
    info = real_kernel.km.get_connection_info()
    assert info["key"], "the kernel runs with an empty HMAC key: messages are unsigned"
    assert info["signature_scheme"] == "hmac-sha256"
    assert info["transport"] == "tcp" and info["ip"] == "127.0.0.1"
    # the kernel answers signed requests (the client signs with the key)
    assert real_kernel.kc.kernel_info(reply=True, timeout=30)["content"]["status"] == "ok"


def _psutil():
    # psutil is not a declared test dependency: without it only the socket checks are skipped.
    return pytest.importorskip("psutil")


def _listening(pid: int) -> list[tuple[str, int]]:
    psutil = _psutil()
    proc = psutil.Process(pid)
    found = []
    for p in [proc] + proc.children(recursive=True):
        for conn in p.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                found.append((conn.laddr.ip, conn.laddr.port))
    return found


def _extra_listeners(km) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(all listening sockets, those that are not the connection file's five ports)."""
    info = km.get_connection_info()
    ports = {info[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")}
    listening = _listening(km.provisioner.process.pid)
    return listening, [(ip, port) for ip, port in listening if port not in ports]


@pytest.fixture(scope="module")
def stock_extra_listeners() -> int:
    """How many non-Jupyter listening sockets a stock ipykernel opens (ipykernel 7.4: one internal
    ZMQ socket on 127.0.0.1): tierjit may not open more than that."""
    _psutil()
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        kc.execute_interactive("1 + 1", timeout=60)
        return len(_extra_listeners(km)[1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_kernel_listens_only_on_its_jupyter_ports_on_localhost(real_kernel, stock_extra_listeners):
    kernel = real_kernel
    # make the JIT do everything it can: compile, tier 2 on the background thread, stats
    kernel.ok("def f(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n"
              "for _ in range(2000):\n    f(50)\n%jit_stats --json")
    listening, extra = _extra_listeners(kernel.km)
    assert len(listening) >= 5, f"not looking at the kernel's sockets: {listening}"
    assert {ip for ip, _ in listening} == {"127.0.0.1"}, listening
    assert len(extra) <= stock_extra_listeners, \
        f"listening beyond the Jupyter ports: {extra} (a stock ipykernel opens {stock_extra_listeners})"
    assert not _psutil().Process(kernel.km.provisioner.process.pid).net_connections(kind="udp")
