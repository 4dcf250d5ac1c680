"""Sieve of Eratosthenes over a list of ints; returns the number of primes below n."""


def filled(n, value):
    xs = []
    for _ in range(n):
        xs.append(value)
    return xs


def sieve(n):
    flags = filled(n, 1)
    flags[0] = 0
    if n > 1:
        flags[1] = 0
    i = 2
    while i * i < n:
        if flags[i]:
            for j in range(i * i, n, i):
                flags[j] = 0
        i += 1
    count = 0
    for f in flags:
        count += f
    return count
