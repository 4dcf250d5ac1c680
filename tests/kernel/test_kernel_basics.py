"""The tierjit kernel behaves as a Python kernel: identity, cells, streams, errors,
interrupts and restarts, all through a real kernel process."""
from __future__ import annotations

import time

import tierjit


def test_kernel_info_names_tierjit_and_python(kernel):
    info = kernel.kc.kernel_info(reply=True, timeout=30)["content"]
    assert info["implementation"] == "tierjit"
    assert info["implementation_version"] == tierjit.__version__
    assert info["language_info"]["name"] == "python"
    assert "JIT" in info["banner"]


def test_cell_value_stdout_and_stderr(kernel):
    result = kernel.ok("import sys\nprint('to out')\nprint('to err', file=sys.stderr)\n6 * 7")
    assert result.stdout == "to out\n"
    assert result.stderr == "to err\n"
    assert result.value == "42"


def test_error_gives_traceback_naming_the_line(kernel):
    result = kernel.run("x = 1\ny = x // 0")
    assert result.status == "error"
    assert result.error["ename"] == "ZeroDivisionError"
    assert "y = x // 0" in result.traceback
    # the kernel carries on after an error
    assert kernel.ok("x + 1").value == "2"


def test_error_inside_a_jitted_function_points_at_its_line(kernel):
    kernel.ok("def divide(a, b):\n    return a // b")
    result = kernel.run("divide(1, 0)")
    assert result.error["ename"] == "ZeroDivisionError"
    assert "return a // b" in result.traceback


def test_shell_commands_and_magics_still_work(kernel):
    assert kernel.ok("!echo from-shell").stdout.strip() == "from-shell"
    assert kernel.ok("%time z = 3").stdout.startswith("CPU times")


def _wait_reply(kernel, msg_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = kernel.kc.get_shell_msg(timeout=deadline - time.monotonic())
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]
    raise TimeoutError("no execute_reply")


def _interrupt(kernel, code):
    # stop_on_error=False: the cell that follows the interrupted one must not be aborted.
    msg_id = kernel.kc.execute(code, stop_on_error=False)
    time.sleep(1.5)  # let the cell get going (and a JIT'd loop get hot)
    started = time.monotonic()
    kernel.km.interrupt_kernel()
    reply = _wait_reply(kernel, msg_id, timeout=20)
    return reply, time.monotonic() - started


def test_interrupt_stops_a_top_level_infinite_loop(own_kernel):
    reply, _ = _interrupt(own_kernel, "while True:\n    pass")
    assert reply["status"] == "error"
    assert reply["ename"] == "KeyboardInterrupt"
    assert own_kernel.ok("'still alive'").value == "'still alive'"


def test_interrupt_stops_an_infinite_loop_inside_a_jitted_function(own_kernel):
    own_kernel.ok("def spin():\n    n = 0\n    while True:\n        n += 1")
    reply, seconds = _interrupt(own_kernel, "spin()")
    assert reply["ename"] == "KeyboardInterrupt"
    assert seconds < 5  # DESIGN: within a second; generous for a loaded machine
    assert own_kernel.ok("1 + 1").value == "2"


def test_restart_gives_a_fresh_namespace_and_a_working_jit(own_kernel):
    own_kernel.ok("def before(): return 1\nbefore()")
    own_kernel.km.restart_kernel(now=True)
    own_kernel.kc.wait_for_ready(timeout=60)
    assert own_kernel.run("before").error["ename"] == "NameError"
    own_kernel.ok("def after(n):\n    return n * 2\n[after(i) for i in range(10)]")
    record = own_kernel.function("after")
    assert sum(record["calls"].values()) == 10
    assert [f["name"] for f in own_kernel.stats()["functions"]] == ["after"]


def test_a_fault_in_native_code_leaves_the_cells_stack_in_the_kernels_log(tierjit_kernelspec, tmp_path):
    # A kernel that dies of a native fault is restarted by Jupyter with no word of why; the
    # kernel writes every thread's Python stack to its stderr (the server's log) first.
    from jupyter_client.manager import start_new_kernel

    log = tmp_path / "kernel.log"
    with open(log, "w") as stderr:
        km, kc = start_new_kernel(kernel_name="tierjit", startup_timeout=60, stderr=stderr)
        try:
            kc.execute("import ctypes\ndef crash():\n    return ctypes.string_at(0)\ncrash()")
            deadline = time.monotonic() + 60
            while km.is_alive() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not km.is_alive()
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    text = log.read_text()
    assert "Fatal Python error: Segmentation fault" in text, text[-2000:]
    assert 'in crash' in text, text[-2000:]
