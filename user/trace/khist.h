/* SPDX-License-Identifier: MIT */
/*
 * The kernel's log2 histograms (struct ms_hist: slot i holds [2^i, 2^(i+1))
 * ns), read into distributions. Per-CPU copies are summed by the tracer;
 * a phase is the difference of two readings.
 */
#ifndef MPMSCOPE_TRACE_KHIST_H
#define MPMSCOPE_TRACE_KHIST_H

#include "base/dist.h"
#include "mpmscope.h"

/* out = b - a, slot by slot (a histogram over a phase; never negative). */
void khist_diff(struct ms_hist *out, const struct ms_hist *b, const struct ms_hist *a);
/* out += h */
void khist_add(struct ms_hist *out, const struct ms_hist *h);
/* One value, in ns, counted in its slot as the kernel's hist_add() does
 * (user space's own records in the kernel's layout). */
void khist_record(struct ms_hist *h, uint64_t ns);
/* Its distribution in us: ranks interpolated inside their power-of-two
 * bucket (resolution: the bucket), mean from the exact sum. */
struct dist dist_of_khist(const struct ms_hist *h);

#endif
