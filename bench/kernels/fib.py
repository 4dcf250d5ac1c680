"""Naive recursive Fibonacci: call-heavy code with no loops at all."""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
