"""Build hook: the wheel's kernelspec and installer data are generated from install.json.

install.json is the single source of the kernelspec. At build time it is copied into
the ``tierjit.kernel`` package (read by ``python -m tierjit.kernel install``) and turned
into ``share/jupyter/kernels/tierjit/kernel.json`` (found by Jupyter in the wheel's prefix).
Everything else about the package is declared in pyproject.toml.
"""
import json
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
MANIFEST = ROOT / "install.json"
# Generated under build/, which is never committed; setuptools wants a relative path.
KERNEL_JSON = Path("build") / "tierjit-kernelspec" / "kernel.json"


def write_kernel_json() -> str:
    spec = json.loads(MANIFEST.read_text(encoding="utf-8"))["kernelspec"]
    # argv[0] stays plain "python": jupyter_client launches such a spec with the
    # interpreter that runs Jupyter, so no machine path ends up in the wheel.
    out = ROOT / KERNEL_JSON
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    return KERNEL_JSON.as_posix()


class BuildPyWithManifest(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads the repo's own install.json
            target = Path(self.build_lib) / "tierjit" / "kernel" / "install.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            self.copy_file(str(MANIFEST), str(target))


setup(
    cmdclass={"build_py": BuildPyWithManifest},
    data_files=[("share/jupyter/kernels/tierjit", [write_kernel_json()])],
)
