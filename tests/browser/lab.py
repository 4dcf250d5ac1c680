"""A throwaway JupyterLab server and a headless Chromium page driving it, for the browser tests.

Everything Jupyter writes (kernelspecs, settings, workspaces, runtime files) goes to a temporary
directory, so the tests neither read nor change the user's Jupyter setup.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ARTIFACTS = Path(__file__).parent / "artifacts"
# The system's Chromium (Debian's package), never a browser downloaded by Playwright.
CHROMIUM = os.environ.get("TIERJIT_CHROMIUM") or shutil.which("chromium") or "chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook(cells: list[str], kernel: str, display_name: str) -> dict:
    """An nbformat-4 notebook preset to `kernel`, so Lab opens it without asking which kernel to use."""
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": kernel, "display_name": display_name, "language": "python"},
                         "language_info": {"name": "python"}},
            "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None,
                       "outputs": [], "source": src} for i, src in enumerate(cells)]}


class LabServer:
    """`python -m jupyterlab` on a random localhost port with no token, in an isolated Jupyter home."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.root = home / "notebooks"
        self.root.mkdir(parents=True)
        self.prefix = home / "prefix"
        settings = home / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        # The first-start "get Jupyter news?" toast would cover the lower right corner of screenshots.
        (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        self.env = dict(os.environ, JUPYTER_PATH=str(self.prefix / "share" / "jupyter"),
                        JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_CONFIG_DIR=str(home / "config"),
                        JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_PLATFORM_DIRS="1")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def install_tierjit_kernel(self) -> None:
        subprocess.run([sys.executable, "-m", "tierjit.kernel", "install", "--prefix", str(self.prefix)],
                       env=self.env, check=True, capture_output=True)

    def start(self, timeout: float = 60.0) -> "LabServer":
        self.log = open(self.home / "lab.log", "w")
        _server_logs.append(self.home / "lab.log")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
             "--IdentityProvider.token=", f"--ServerApp.root_dir={self.root}",
             f"--LabApp.user_settings_dir={self.home / 'settings'}",
             f"--LabApp.workspaces_dir={self.home / 'workspaces'}"]
            # Containers often run tests as root; Jupyter refuses that unless told it is deliberate.
            + (["--allow-root"] if os.geteuid() == 0 else []),
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterlab exited: {(self.home / 'lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise TimeoutError("jupyterlab did not answer in time")

    def write_notebook(self, name: str, nb: dict) -> str:
        (self.root / name).write_text(json.dumps(nb))
        # ?reset starts from an empty workspace, so notebooks opened by earlier tests are not restored.
        return f"{self.url}/lab/tree/{name}?reset"

    def kernelspecs(self) -> set[str]:
        with urllib.request.urlopen(f"{self.url}/api/kernelspecs", timeout=10) as r:
            return set(json.load(r)["kernelspecs"])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # Shut kernels down through the API first so no kernel process outlives the server.
            try:
                req = urllib.request.Request(f"{self.url}/api/shutdown", method="POST")
                urllib.request.urlopen(req, timeout=5)
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
        if getattr(self, "log", None):
            self.log.close()


# the running servers' logs, newest last: a cell that never finishes quotes the log's end, where a
# kernel that died says why (the kernel writes its threads' stacks there on a native fault)
_server_logs: list[Path] = []


def _log_tail(chars: int = 3000) -> str:
    if not _server_logs or not _server_logs[-1].exists():
        return ""
    return "\n--- the end of the Jupyter server's log ---\n" + _server_logs[-1].read_text(errors="replace")[-chars:]


def run_cell(page, index: int) -> None:
    """Selects cell `index` and runs it with Shift+Enter (as a user would)."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def wait_idle(page, index: int, timeout: float = 120.0) -> None:
    """Waits until cell `index` shows an execution count (not `[*]`), i.e. it finished."""
    prompt = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-InputPrompt")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = prompt.inner_text().strip()
        if text.startswith("[") and text not in ("[*]:", "[ ]:", "[*]", "[ ]"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"cell {index} still running: {prompt.inner_text()!r}" + _log_tail())
