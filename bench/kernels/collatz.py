"""Collatz stopping times: total steps to reach 1 for every start below n.

Data-dependent `while` loops with `//` and `%` (floor semantics).
"""


def steps(x):
    count = 0
    while x != 1:
        if x % 2 == 0:
            x = x // 2
        else:
            x = 3 * x + 1
        count += 1
    return count


def collatz(n):
    total = 0
    for start in range(1, n):
        total += steps(start)
    return total
