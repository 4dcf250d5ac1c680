/* Mandelbrot membership count, same grid and iteration limit as the Python kernel. */
#include "bench.h"

static int escapes(double cr, double ci, int limit) {
    double zr = 0.0, zi = 0.0;
    for (int k = 0; k < limit; k++) {
        double zr2 = zr * zr, zi2 = zi * zi;
        if (zr2 + zi2 > 4.0)
            return 1;
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
    }
    return 0;
}

static bench_value kernel(long long size) {
    long long inside = 0;
    for (long long y = 0; y < size; y++) {
        double ci = 2.5 * y / size - 1.25;
        for (long long x = 0; x < size; x++) {
            double cr = 2.5 * x / size - 2.0;
            if (escapes(cr, ci, 50) == 0)
                inside++;
        }
    }
    return value_int(inside);
}
