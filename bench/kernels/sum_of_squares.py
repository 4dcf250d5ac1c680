"""The seed example: sum of i*i for i < n.

Its result passes 2**63 near n = 3 * 10**6, so at 10**7 it tests exactness
(Python ints never wrap; int64 code returns 1291890006563070912).
"""


def sum_of_squares(n):
    total = 0
    for i in range(n):
        total += i * i
    return total
