/* sum_of_squares in int64, as Numba and C compute it: past 2**63 the sum
 * wraps (done in unsigned arithmetic so the wrap is defined behaviour). */
#include "bench.h"

static bench_value kernel(long long n) {
    unsigned long long total = 0;
    for (long long i = 0; i < n; i++)
        total += (unsigned long long)i * (unsigned long long)i;
    return value_int((long long)total);
}
