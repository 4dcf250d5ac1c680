/* Naive recursive Fibonacci. */
#include "bench.h"

static long long fib(long long n) {
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

static bench_value kernel(long long n) { return value_int(fib(n)); }
