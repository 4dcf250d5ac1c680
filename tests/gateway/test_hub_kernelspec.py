"""What docs/jupyterhub.md promises an image builder: the installed kernel.json is portable (the
interpreter in argv[0] is its only machine path), and limits put in the kernelspec's `env` reach
the engine of a kernel started remotely."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# A string that is, or contains, an absolute POSIX or Windows path.
ABSOLUTE = re.compile(r"(^|[\s=:'\"])(/[^\s/]+|[A-Za-z]:\\)")


def strings(value, where="kernel.json"):
    """Every string in a JSON value with where it sits (`argv[0]`, `metadata.tierjit.description`)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where + "." + key, key
            yield from strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, f"{where}[{i}]")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("image-prefix")
    subprocess.run([sys.executable, "-m", "tierjit.kernel", "install", "--prefix", str(prefix)],
                   check=True, capture_output=True)
    path = prefix / "share" / "jupyter" / "kernels" / "tierjit" / "kernel.json"
    return prefix, json.loads(path.read_text(encoding="utf-8"))


def test_argv0_is_the_installing_interpreter(installed):
    _, spec = installed
    assert os.path.samefile(spec["argv"][0], sys.executable)
    assert spec["argv"][1:] == ["-m", "tierjit.kernel", "-f", "{connection_file}"]


def test_installed_kernel_json_has_no_other_machine_path(installed):
    prefix, spec = installed
    machine = {str(Path.home()), str(prefix), str(REPO), sys.prefix, sys.base_prefix,
               os.path.dirname(sys.executable), tempfile.gettempdir()}
    found = []
    for where, text in strings(spec):
        if where == "kernel.json.argv[0]":
            continue
        if ABSOLUTE.search(text) or any(m and m in text for m in machine):
            found.append(f"{where} = {text!r}")
    assert not found, "machine-specific paths in kernel.json: " + "; ".join(found)


def test_kernelspec_env_limits_reach_a_remote_kernel(gateway, installed):
    """The recipe's resource limits: a kernelspec whose `env` sets TIERJIT_* variables."""
    _, spec = installed
    limited = dict(spec, display_name="Python 3 (tiered JIT, limited)",
                   env={"TIERJIT_CODE_CACHE_MB": "16", "TIERJIT_BACKGROUND": "off",
                        "TIERJIT_TIER2_CALLS": "5000"})
    folder = gateway.home / "prefix" / "share" / "jupyter" / "kernels" / "tierjit-limited"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps(limited, indent=1), encoding="utf-8")
    kernel = gateway.start_kernel("tierjit-limited")
    try:
        kernel.kernel_info()
        config = kernel.stats()["config"]
    finally:
        kernel.shutdown()
    assert config["code_cache_mb"] == 16
    assert config["background"] is False
    assert config["tier2_calls"] == 5000
