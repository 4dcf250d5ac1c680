"""The wheel installs into a fresh venv with all three subpackages and a kernelspec that
agrees with install.json; the editable install's installer writes the same kernelspec."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

KERNEL_JSON = "share/jupyter/kernels/tierjit/kernel.json"


def _manifest_spec(repo_root: Path) -> dict:
    return json.loads((repo_root / "install.json").read_text())["kernelspec"]


def _all_but_argv0(spec: dict) -> dict:
    return {**spec, "argv": spec["argv"][1:]}


@pytest.fixture(scope="module")
def wheel(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(repo_root)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("tierjit-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (no deps); the test venv's packages are made
    visible through a .pth line so nothing is downloaded and it takes seconds."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # A plain path line: the test venv's own .pth files (its editable tierjit) are not run.
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return venv


def test_wheel_ships_a_kernelspec_that_agrees_with_install_json(wheel, repo_root):
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(KERNEL_JSON)]
        shipped = json.loads(zf.read(name))
        names = zf.namelist()
    expected = _manifest_spec(repo_root)
    assert _all_but_argv0(shipped) == _all_but_argv0(expected)
    # Jupyter replaces a bare "python" with its own interpreter: no machine path in the wheel.
    assert shipped["argv"][0] == "python"
    assert "tierjit/kernel/install.json" in names
    assert not [n for n in names if n.split("/")[0] in ("kernel", "tiers", "widgets")], "generic top-level package"


def test_wheel_install_imports_every_subpackage_from_the_venv(wheel_venv):
    code = (
        "import tierjit, tierjit.kernel.kernel, tierjit.tiers, tierjit.widgets, tierjit.cli\n"
        "print(tierjit.kernel.kernel.__file__)\n"
        "print(tierjit.tiers.__file__)\n"
        "print(tierjit.widgets.__file__)\n"
        "print(callable(tierjit.jit), callable(tierjit.stats))"
    )
    # cwd away from the repo: its tierjit/ folder must not shadow the installed package.
    got = subprocess.run([str(wheel_venv / "bin" / "python"), "-c", code], cwd=wheel_venv,
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    *files, callables = got.stdout.splitlines()
    assert all(f.startswith(str(wheel_venv)) for f in files), files
    assert callables == "True True"


def test_wheel_install_has_the_tierjit_command(wheel_venv, tmp_path):
    (tmp_path / "hello.py").write_text("def f():\n    return 'hi'\nprint(f())\n")
    got = subprocess.run([str(wheel_venv / "bin" / "tierjit"), "run", "hello.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert (got.returncode, got.stdout) == (0, "hi\n"), got.stderr


def test_wheel_installer_writes_its_interpreter_into_the_kernelspec(wheel_venv, repo_root, tmp_path):
    python = wheel_venv / "bin" / "python"
    subprocess.run([str(python), "-m", "tierjit.kernel", "install", "--prefix", str(tmp_path)],
                   cwd=tmp_path, check=True, capture_output=True, timeout=120)
    installed = json.loads((tmp_path / KERNEL_JSON).read_text())
    assert installed["argv"][0] == str(python)
    assert _all_but_argv0(installed) == _all_but_argv0(_manifest_spec(repo_root))


def test_editable_installer_kernelspec_agrees_with_install_json(tierjit_kernelspec, repo_root):
    installed = json.loads((tierjit_kernelspec / "kernel.json").read_text())
    assert installed["argv"][0] == sys.executable
    assert _all_but_argv0(installed) == _all_but_argv0(_manifest_spec(repo_root))


def test_kernelspec_is_listed_and_uninstall_removes_it(tmp_path):
    env_prefix = tmp_path / "prefix"
    env = {**os.environ, "JUPYTER_PATH": str(env_prefix / "share" / "jupyter")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, env=env)

    assert run("tierjit.kernel", "install", "--prefix", str(env_prefix)).returncode == 0
    assert "tierjit" in run("jupyter", "kernelspec", "list").stdout
    assert run("tierjit.kernel", "uninstall").returncode == 0
    assert not (env_prefix / KERNEL_JSON).exists()
