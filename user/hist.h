/* SPDX-License-Identifier: MIT */
/*
 * Log-linear latency histogram with HdrHistogram's layout: values from 1 to
 * 60 s (in us) with 3 significant digits, fixed memory whatever the number of
 * samples, merged by adding counts (each load thread owns one).
 */
#ifndef MPMSCOPE_HIST_H
#define MPMSCOPE_HIST_H

#include <stddef.h>
#include <stdint.h>

struct hist;

struct hist *hist_new(uint64_t lowest, uint64_t highest, int sig_digits); /* hist_new(1, 60000000, 3) */
void hist_free(struct hist *h);
void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t v);          /* values above highest are clamped and counted */
void hist_record_n(struct hist *h, uint64_t v, uint64_t n);
int hist_merge(struct hist *dst, const struct hist *src); /* same layout, else -1 */
uint64_t hist_count(const struct hist *h);
uint64_t hist_min(const struct hist *h);
uint64_t hist_max(const struct hist *h);
double hist_mean(const struct hist *h);
double hist_stdev(const struct hist *h);
/* p in [0,100]; the highest value equivalent to the bucket holding the p-th
 * percentile sample (hist_percentile(h, 100) == hist_max(h)). 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
size_t hist_memsize(const struct hist *h);

#endif
