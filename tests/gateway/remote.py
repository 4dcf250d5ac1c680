"""A throwaway Jupyter Kernel Gateway (and a JupyterLab that uses it), and a small client that
drives a remote kernel through the gateway's REST API and websocket channels.

Everything Jupyter writes goes to a temporary home, and the tierjit kernelspec is installed
there with the real installer, so the tests neither read nor change the user's Jupyter setup.
Only loopback addresses are used.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jit_stats import JitStatsQueries

# Containers often run tests as root; JupyterLab refuses that unless told it is deliberate
# (the gateway has no such check and no such option).
ROOT_ARGS = ["--allow-root"] if os.geteuid() == 0 else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(home: Path) -> dict[str, str]:
    """Environment for a Jupyter process whose only extra kernelspecs live under `home`."""
    return dict(os.environ,
                JUPYTER_PATH=str(home / "prefix" / "share" / "jupyter"),
                JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_CONFIG_DIR=str(home / "config"),
                JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_PLATFORM_DIRS="1",
                IPYTHONDIR=str(home / "ipython"))


def install_tierjit(home: Path) -> Path:
    """`python -m tierjit.kernel install --prefix HOME/prefix`; returns the kernelspec folder."""
    prefix = home / "prefix"
    subprocess.run([sys.executable, "-m", "tierjit.kernel", "install", "--prefix", str(prefix)],
                   env=isolated_env(home), check=True, capture_output=True)
    return prefix / "share" / "jupyter" / "kernels" / "tierjit"


def request(url: str, method: str = "GET", body: dict | None = None, timeout: float = 30) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


class Server:
    """A Jupyter server subprocess on a free loopback port; `argv` gets the port appended."""

    name = "server"

    def __init__(self, home: Path, argv: list[str]) -> None:
        self.home, self.port = home, free_port()
        self.argv = argv
        self.proc: subprocess.Popen | None = None
        self.log_path = home / f"{self.name}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "Server":
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv + self.port_args(), env=isolated_env(self.home),
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.home)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_text()}")
            try:
                request(f"{self.url}/api", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"{self.name} did not answer in {timeout} s: {self.log_text()}")

    def port_args(self) -> list[str]:
        raise NotImplementedError

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def kernelspecs(self) -> dict[str, Any]:
        return request(f"{self.url}/api/kernelspecs")["kernelspecs"]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # SIGTERM makes both servers shut their kernels down before exiting.
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "log", None):
            self.log.close()


class Gateway(Server):
    """`jupyter kernelgateway` (the default jupyter-websocket mode, no auth token)."""

    name = "gateway"

    def __init__(self, home: Path) -> None:
        super().__init__(home, [sys.executable, "-m", "kernel_gateway",
                                "--KernelGatewayApp.ip=127.0.0.1"])

    def port_args(self) -> list[str]:
        return [f"--KernelGatewayApp.port={self.port}"]

    def start_kernel(self, name: str) -> "RemoteKernel":
        model = request(f"{self.url}/api/kernels", "POST", {"name": name}, timeout=60)
        return RemoteKernel(self, model["id"])

    def has_kernel(self, kernel_id: str) -> bool:
        # GET /api/kernels (the list) is forbidden by the gateway's default `list_kernels=False`;
        # the per-kernel model is always available.
        try:
            request(f"{self.url}/api/kernels/{kernel_id}")
            return True
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return False
            raise


class LabOnGateway(Server):
    """`jupyter lab --gateway-url=...`: kernelspecs and kernels come from the gateway."""

    name = "lab"

    def __init__(self, home: Path, gateway_url: str) -> None:
        (home / "lab-root").mkdir(exist_ok=True)
        super().__init__(home, [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
                                f"--gateway-url={gateway_url}", "--IdentityProvider.token=",
                                f"--ServerApp.root_dir={home / 'lab-root'}"] + ROOT_ARGS)

    def port_args(self) -> list[str]:
        return [f"--port={self.port}"]


@dataclass
class Reply:
    """What one execute request produced, as a notebook would show it."""
    status: str = ""
    stdout: str = ""
    stderr: str = ""
    error: dict[str, Any] | None = None
    results: list[dict[str, Any]] = field(default_factory=list)  # execute_result / display_data bundles
    seconds: float = 0.0

    @property
    def ename(self) -> str | None:
        return self.error["ename"] if self.error else None


class RemoteKernel(JitStatsQueries):
    """One kernel on the gateway, spoken to over `/api/kernels/<id>/channels` (JSON messages)."""

    def __init__(self, gateway: Gateway, kernel_id: str) -> None:
        import websocket  # websocket-client

        self.gateway, self.id = gateway, kernel_id
        self.session = uuid.uuid4().hex
        ws_url = gateway.url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        self.ws = websocket.create_connection(f"{ws_url}?session_id={self.session}", timeout=60)

    def _send(self, channel: str, msg_type: str, content: dict[str, Any]) -> str:
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": msg_type, "session": self.session, "username": "test",
                  "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"}
        self.ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                 "content": content, "channel": channel, "buffers": []}))
        return msg_id

    def _recv(self, deadline: float) -> dict[str, Any]:
        self.ws.settimeout(max(0.05, deadline - time.monotonic()))
        return json.loads(self.ws.recv())

    def kernel_info(self, timeout: float = 60) -> dict[str, Any]:
        # The kernel may still be starting: ask again until a reply arrives.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self._send("shell", "kernel_info_request", {})
            ask_again = min(deadline, time.monotonic() + 5)
            try:
                while True:
                    msg = self._recv(ask_again)
                    if msg["msg_type"] == "kernel_info_reply" and msg["parent_header"].get("msg_id") == msg_id:
                        return msg["content"]
            except TimeoutError:
                continue
        raise TimeoutError("no kernel_info_reply through the gateway")

    def submit(self, code: str) -> str:
        return self._send("shell", "execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False})

    def collect(self, msg_id: str, timeout: float = 60) -> Reply:
        """Reads messages until the cell's execute_reply and its iopub `idle` have both arrived."""
        reply, started = Reply(), time.monotonic()
        deadline = started + timeout
        got_reply = got_idle = False
        while not (got_reply and got_idle):
            msg = self._recv(deadline)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "execute_reply":
                reply.status, got_reply = content["status"], True
                reply.seconds = time.monotonic() - started
            elif kind == "status" and content["execution_state"] == "idle":
                got_idle = True
            elif kind == "stream":
                if content["name"] == "stdout":
                    reply.stdout += content["text"]
                else:
                    reply.stderr += content["text"]
            elif kind == "error":
                reply.error = content
            elif kind in ("execute_result", "display_data"):
                reply.results.append(content["data"])
        return reply

    def execute(self, code: str, timeout: float = 60) -> Reply:
        return self.collect(self.submit(code), timeout)

    def ok(self, code: str, timeout: float = 60) -> Reply:
        reply = self.execute(code, timeout)
        assert reply.status == "ok", reply.error or reply
        return reply

    def interrupt(self) -> None:
        request(f"{self.gateway.url}/api/kernels/{self.id}/interrupt", "POST", {})

    def shutdown(self) -> None:
        try:
            self.ws.close()
        finally:
            request(f"{self.gateway.url}/api/kernels/{self.id}", "DELETE", timeout=60)
