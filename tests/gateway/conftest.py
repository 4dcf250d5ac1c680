"""Fixtures for the remote-kernel tests: one Kernel Gateway per module with the tierjit kernelspec
installed into its private JUPYTER_PATH. Skips (with the reason) when the gateway is not installed."""
from __future__ import annotations

import pytest

from .remote import Gateway, install_tierjit


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    pytest.importorskip("kernel_gateway", reason="jupyter_kernel_gateway is not installed")
    pytest.importorskip("websocket", reason="websocket-client is not installed")
    home = tmp_path_factory.mktemp("gateway")
    install_tierjit(home)
    server = Gateway(home).start()
    yield server
    server.stop()
