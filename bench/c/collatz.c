/* Total Collatz stopping times for starts below n. */
#include "bench.h"

static long long steps(long long x) {
    long long count = 0;
    while (x != 1) {
        x = (x % 2 == 0) ? x / 2 : 3 * x + 1;
        count++;
    }
    return count;
}

static bench_value kernel(long long n) {
    long long total = 0;
    for (long long s = 1; s < n; s++)
        total += steps(s);
    return value_int(total);
}
