"""Mandelbrot set membership on a size x size grid of [-2, 0.5] x [-1.25, 1.25].

Returns how many points stay bounded for 50 iterations: float arithmetic
with an int answer, so every system's result can be compared exactly.
"""


def escapes(cr, ci, limit):
    zr = 0.0
    zi = 0.0
    for _ in range(limit):
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            return 1
        zi = 2.0 * zr * zi + ci
        zr = zr2 - zi2 + cr
    return 0


def mandelbrot(size):
    inside = 0
    for y in range(size):
        ci = 2.5 * y / size - 1.25
        for x in range(size):
            cr = 2.5 * x / size - 2.0
            if escapes(cr, ci, 50) == 0:
                inside += 1
    return inside
