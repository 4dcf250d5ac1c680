/* The empty loop; gcc -O3 deletes it, which is what an optimising JIT may do too. */
#include "bench.h"

static bench_value kernel(long long n) {
    (void)n;
    for (int i = 0; i < 1000000; i++) {
    }
    return value_none();
}
