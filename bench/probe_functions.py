"""Tiny functions for the overhead measurements (loaded by path, like the kernels)."""


def identity(x):
    return x


def loop_heavy(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def uses_dict(x):
    # Dicts are outside the compiled subset, so the engine should give this
    # function back to plain CPython once it is hot.
    d = {"x": x}
    return d["x"]
