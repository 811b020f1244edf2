/* SPDX-License-Identifier: MIT */
/*
 * Log-linear latency histogram with HdrHistogram's layout: values from 1 to
 * 60 s (in us) with 3 significant digits, fixed memory whatever the number of
 * samples, merged by adding counts (each load thread owns one).
 */
#ifndef MPMSCOPE_BASE_HDR_H
#define MPMSCOPE_BASE_HDR_H

#include <stddef.h>
#include <stdint.h>

struct hdr;

struct hdr *hdr_new(uint64_t lowest, uint64_t highest, int sig_digits); /* hdr_new(1, 60000000, 3) */
void hdr_free(struct hdr *h);
void hdr_reset(struct hdr *h);
void hdr_record(struct hdr *h, uint64_t v);          /* values above highest are clamped and counted */
void hdr_record_n(struct hdr *h, uint64_t v, uint64_t n);
int hdr_merge(struct hdr *dst, const struct hdr *src); /* same layout, else -1 */
uint64_t hdr_count(const struct hdr *h);
uint64_t hdr_min(const struct hdr *h);
uint64_t hdr_max(const struct hdr *h);
double hdr_mean(const struct hdr *h);
double hdr_stdev(const struct hdr *h);
/* p in [0,100]; the highest value equivalent to the bucket holding the p-th
 * percentile sample (hdr_percentile(h, 100) == hdr_max(h)). 0 when empty. */
uint64_t hdr_percentile(const struct hdr *h, double p);
size_t hdr_memsize(const struct hdr *h);

#endif
