"""Dot product of two float lists of length n, built with append.

Repeated 10 times so the product, not the list building, dominates.
"""


def make_vector(n, scale):
    xs = []
    for i in range(n):
        xs.append((i % 13) * scale)
    return xs


def dot_once(xs, ys):
    total = 0.0
    for i in range(len(xs)):
        total += xs[i] * ys[i]
    return total


def dot(n):
    xs = make_vector(n, 0.5)
    ys = make_vector(n, 0.25)
    total = 0.0
    for _ in range(10):
        total += dot_once(xs, ys)
    return total
