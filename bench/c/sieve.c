/* Sieve of Eratosthenes; counts primes below n. */
#include "bench.h"

static bench_value kernel(long long n) {
    long long *flags = malloc(sizeof(long long) * (n > 0 ? n : 1));
    for (long long i = 0; i < n; i++)
        flags[i] = 1;
    flags[0] = 0;
    if (n > 1)
        flags[1] = 0;
    for (long long i = 2; i * i < n; i++)
        if (flags[i])
            for (long long j = i * i; j < n; j += i)
                flags[j] = 0;
    long long count = 0;
    for (long long i = 0; i < n; i++)
        count += flags[i];
    free(flags);
    return value_int(count);
}
