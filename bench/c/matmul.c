/* n x n matrix product on flat row-major arrays; returns the sum of entries. */
#include "bench.h"

static double *make_matrix(long long n, long long seed) {
    double *m = malloc(sizeof(double) * (n * n > 0 ? n * n : 1));
    for (long long i = 0; i < n * n; i++)
        m[i] = ((i * seed) % 17) * 0.125;
    return m;
}

static bench_value kernel(long long n) {
    double *a = make_matrix(n, 3), *b = make_matrix(n, 7);
    double *c = calloc(n * n > 0 ? n * n : 1, sizeof(double));
    for (long long i = 0; i < n; i++)
        for (long long k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (long long j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    double total = 0.0;
    for (long long i = 0; i < n * n; i++)
        total += c[i];
    free(a);
    free(b);
    free(c);
    return value_float(total);
}
