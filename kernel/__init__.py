"""tierjit's Jupyter kernel (installs as ``tierjit.kernel``): kernel, shell, magics, installer.

Kept thin: everything about compiling lives in ``tierjit.tiers``; importing this package
loads neither Jupyter nor the engine until a submodule is used.
"""
