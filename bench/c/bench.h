/* Shared driver for the C versions of the kernels: parses the argument,
 * times `repeat` runs of `calls` calls with a monotonic clock and prints one
 * JSON object, so the harness reads C results the same way as the others.
 * Each kernel file defines `static bench_value kernel(long long n)`. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    int kind; /* 0: None, 1: int, 2: float */
    long long i;
    double f;
} bench_value;

__attribute__((unused)) static bench_value value_none(void) { bench_value v = {0, 0, 0.0}; return v; }
__attribute__((unused)) static bench_value value_int(long long x) { bench_value v = {1, x, 0.0}; return v; }
__attribute__((unused)) static bench_value value_float(double x) { bench_value v = {2, 0, x}; return v; }

static bench_value kernel(long long n);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s ARG CALLS REPEAT\n", argv[0]);
        return 2;
    }
    long long n = atoll(argv[1]);
    int calls = atoi(argv[2]);
    int repeat = atoi(argv[3]);
    bench_value result = value_none();
    printf("{\"times\": [");
    for (int r = 0; r < repeat; r++) {
        double t0 = now();
        for (int c = 0; c < calls; c++)
            result = kernel(n);
        printf("%s%.9f", r ? ", " : "", now() - t0);
    }
    if (result.kind == 1)
        printf("], \"answer\": \"%lld\"}\n", result.i);
    else if (result.kind == 2)
        printf("], \"answer\": \"%.17g\"}\n", result.f);
    else
        printf("], \"answer\": \"None\"}\n");
    return 0;
}
