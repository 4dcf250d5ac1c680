"""tierjit's benchmark suite: `python -m bench` (see bench/README.md).

Owns the kernels, their C versions and the harness that times them under
CPython, tierjit, Numba, PyPy and gcc; it uses the engine only through its public API.
"""
