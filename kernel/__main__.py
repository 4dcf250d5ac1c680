"""``python -m tierjit.kernel``: launch the kernel, or ``install``/``uninstall`` its kernelspec."""
from __future__ import annotations

import sys


def main(argv: list[str]) -> int | None:
    if argv[:1] and argv[0] in ("install", "uninstall"):
        from .install import main as install_main

        return install_main(argv)
    # A fault in native code would end the kernel with no word but Jupyter's "restarting
    # kernel": print every thread's Python stack to the kernel's own stderr (the server's log)
    # first, so the cell and the compiled function it was in can be found.
    import faulthandler
    faulthandler.enable(file=sys.__stderr__, all_threads=True)
    # Everything else (-f CONNECTION_FILE, traitlets options) is the kernel app's.
    from ipykernel.kernelapp import IPKernelApp

    from .kernel import TierJitKernel

    IPKernelApp.launch_instance(argv=argv, kernel_class=TierJitKernel)
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
