"""N-body simulation of the Jovian planets (the Benchmarks Game problem).

Bodies live in parallel float lists (no classes, no dicts); `nbody(steps)`
returns the energy after `steps` steps of 0.01, compared with a tolerance.
"""

import math

SOLAR_MASS = 4.0 * math.pi * math.pi
DAYS_PER_YEAR = 365.24


def add_body(s, x, y, z, vx, vy, vz, m):
    # s is one flat list of 7 floats per body: x y z vx vy vz mass
    s.append(x)
    s.append(y)
    s.append(z)
    s.append(vx * DAYS_PER_YEAR)
    s.append(vy * DAYS_PER_YEAR)
    s.append(vz * DAYS_PER_YEAR)
    s.append(m * SOLAR_MASS)


def jovian_system():
    # The sun is appended here rather than through add_body so that Numba can
    # infer the list's element type from this function alone.
    s = []
    for _ in range(6):
        s.append(0.0)
    s.append(SOLAR_MASS)
    add_body(s, 4.84143144246472090e+00, -1.16032004402742839e+00,
             -1.03622044471123109e-01, 1.66007664274403694e-03,
             7.69901118419740425e-03, -6.90460016972063023e-05,
             9.54791938424326609e-04)
    add_body(s, 8.34336671824457987e+00, 4.12479856412430479e+00,
             -4.03523417114321381e-01, -2.76742510726862411e-03,
             4.99852801234917238e-03, 2.30417297573763929e-05,
             2.85885980666130812e-04)
    add_body(s, 1.28943695621391310e+01, -1.51111514016986312e+01,
             -2.23307578892655734e-01, 2.96460137564761618e-03,
             2.37847173959480950e-03, -2.96589568540237556e-05,
             4.36624404335156298e-05)
    add_body(s, 1.53796971148509165e+01, -2.59193146099879641e+01,
             1.79258772950371181e-01, 2.68067772490389322e-03,
             1.62824170038242295e-03, -9.51592254519715870e-05,
             5.15138902046611451e-05)
    return s


def offset_momentum(s, nbodies):
    px = 0.0
    py = 0.0
    pz = 0.0
    for i in range(nbodies):
        b = 7 * i
        px += s[b + 3] * s[b + 6]
        py += s[b + 4] * s[b + 6]
        pz += s[b + 5] * s[b + 6]
    s[3] = -px / SOLAR_MASS
    s[4] = -py / SOLAR_MASS
    s[5] = -pz / SOLAR_MASS


def advance(s, nbodies, dt):
    for i in range(nbodies):
        bi = 7 * i
        for j in range(i + 1, nbodies):
            bj = 7 * j
            dx = s[bi] - s[bj]
            dy = s[bi + 1] - s[bj + 1]
            dz = s[bi + 2] - s[bj + 2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * math.sqrt(d2))
            mi = s[bi + 6] * mag
            mj = s[bj + 6] * mag
            s[bi + 3] -= dx * mj
            s[bi + 4] -= dy * mj
            s[bi + 5] -= dz * mj
            s[bj + 3] += dx * mi
            s[bj + 4] += dy * mi
            s[bj + 5] += dz * mi
    for i in range(nbodies):
        b = 7 * i
        s[b] += dt * s[b + 3]
        s[b + 1] += dt * s[b + 4]
        s[b + 2] += dt * s[b + 5]


def energy(s, nbodies):
    e = 0.0
    for i in range(nbodies):
        bi = 7 * i
        vx = s[bi + 3]
        vy = s[bi + 4]
        vz = s[bi + 5]
        e += 0.5 * s[bi + 6] * (vx * vx + vy * vy + vz * vz)
        for j in range(i + 1, nbodies):
            bj = 7 * j
            dx = s[bi] - s[bj]
            dy = s[bi + 1] - s[bj + 1]
            dz = s[bi + 2] - s[bj + 2]
            e -= s[bi + 6] * s[bj + 6] / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def nbody(steps):
    s = jovian_system()
    offset_momentum(s, 5)
    for _ in range(steps):
        advance(s, 5, 0.01)
    return energy(s, 5)
