"""Kernelspec installer: ``python -m tierjit.kernel install|uninstall``.

The kernelspec comes only from ``install.json`` (shipped inside the wheel's kernel
package by the build, read from the repo root in an editable install).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

KERNEL_NAME = "tierjit"


def manifest_path() -> Path:
    here = Path(__file__).resolve().parent
    # Wheel: the build copied install.json into this package.  Editable install or
    # source tree: kernel/ sits next to the repo root's install.json.
    for candidate in (here / "install.json", here.parent / "install.json"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("install.json not found next to tierjit.kernel or in the source tree")


def load_manifest() -> dict[str, Any]:
    return json.loads(manifest_path().read_text(encoding="utf-8"))


def kernelspec(executable: str | None = None) -> dict[str, Any]:
    """The kernel.json dict; argv[0] becomes ``executable`` when given."""
    spec = dict(load_manifest()["kernelspec"])
    argv = list(spec["argv"])
    if executable:
        argv[0] = executable
    spec["argv"] = argv
    return spec


def install(user: bool = False, prefix: str | None = None) -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    # The interpreter running the installer is the one that has tierjit installed,
    # so the kernel is launched with it (as `python -m ipykernel install` does).
    spec = kernelspec(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        return KernelSpecManager().install_kernel_spec(tmp, KERNEL_NAME, user=user, prefix=prefix)


def uninstall() -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().remove_kernel_spec(KERNEL_NAME)
    except (KeyError, NoSuchKernel):
        return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tierjit.kernel")
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="install the tierjit kernelspec")
    where = inst.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user")
    where.add_argument("--sys-prefix", action="store_true", help="install into sys.prefix (the active venv)")
    where.add_argument("--prefix", metavar="DIR", help="install into DIR/share/jupyter/kernels")
    sub.add_parser("uninstall", help="remove the tierjit kernelspec")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "install":
        prefix = sys.prefix if args.sys_prefix else args.prefix
        dest = install(user=args.user, prefix=prefix)
        print(f"Installed kernelspec {KERNEL_NAME} in {dest}")
        return 0
    removed = uninstall()
    if removed is None:
        print(f"No kernelspec named {KERNEL_NAME} is installed", file=sys.stderr)
        return 1
    print(f"Removed kernelspec {KERNEL_NAME} from {removed}")
    return 0
