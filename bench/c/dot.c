/* Dot product of two float vectors, repeated 10 times as in the Python kernel. */
#include "bench.h"

static double *make_vector(long long n, double scale) {
    double *xs = malloc(sizeof(double) * (n > 0 ? n : 1));
    for (long long i = 0; i < n; i++)
        xs[i] = (i % 13) * scale;
    return xs;
}

static bench_value kernel(long long n) {
    double *xs = make_vector(n, 0.5), *ys = make_vector(n, 0.25);
    double total = 0.0;
    for (int r = 0; r < 10; r++) {
        double once = 0.0;
        for (long long i = 0; i < n; i++)
            once += xs[i] * ys[i];
        total += once;
    }
    free(xs);
    free(ys);
    return value_float(total);
}
