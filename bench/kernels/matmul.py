"""Matrix product of two n x n float matrices stored row-major in flat lists.

Returns the sum of the product's entries (a float compared with a tolerance).
"""


def filled(count, value):
    xs = []
    for _ in range(count):
        xs.append(value)
    return xs


def make_matrix(n, seed):
    m = []
    for i in range(n * n):
        m.append(((i * seed) % 17) * 0.125)
    return m


def matmul(n):
    a = make_matrix(n, 3)
    b = make_matrix(n, 7)
    c = filled(n * n, 0.0)
    for i in range(n):
        for k in range(n):
            aik = a[i * n + k]
            for j in range(n):
                c[i * n + j] += aik * b[k * n + j]
    total = 0.0
    for x in c:
        total += x
    return total
