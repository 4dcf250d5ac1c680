/* Spectral norm with 10 power iterations, as in the Python kernel. */
#include <math.h>
#include "bench.h"

static double a_elem(long long i, long long j) {
    return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1);
}

static void mul_av(const double *v, double *out, long long n) {
    for (long long i = 0; i < n; i++) {
        double s = 0.0;
        for (long long j = 0; j < n; j++)
            s += a_elem(i, j) * v[j];
        out[i] = s;
    }
}

static void mul_atv(const double *v, double *out, long long n) {
    for (long long i = 0; i < n; i++) {
        double s = 0.0;
        for (long long j = 0; j < n; j++)
            s += a_elem(j, i) * v[j];
        out[i] = s;
    }
}

static bench_value kernel(long long n) {
    double *u = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
    double *tmp = malloc(sizeof(double) * n);
    for (long long i = 0; i < n; i++) {
        u[i] = 1.0;
        v[i] = 0.0;
    }
    for (int r = 0; r < 10; r++) {
        mul_av(u, tmp, n);
        mul_atv(tmp, v, n);
        mul_av(v, tmp, n);
        mul_atv(tmp, u, n);
    }
    double vbv = 0.0, vv = 0.0;
    for (long long i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    free(u);
    free(v);
    free(tmp);
    return value_float(sqrt(vbv / vv));
}
