// SPDX-License-Identifier: MIT
/*
 * HdrHistogram's log-linear layout: bucket b covers [2^b * S/2 .. 2^(b+1) * S/2)
 * (S sub-buckets, a power of two >= 2 * 10^digits) with S/2 linear sub-buckets
 * each, except bucket 0 which also covers [0 .. S/2). Every counter's width is
 * at most 1/(S/2) of its value, which bounds the relative error; memory is
 * fixed by (lowest, highest, digits) alone.
 */
#include "base/hdr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct hdr {
	uint64_t lowest, highest;
	int sig_digits;
	int unit_mag;           /* log2(lowest), rounded down */
	int half_mag;           /* log2(sub_bucket_count / 2) */
	uint32_t sub_count;     /* sub-buckets per bucket */
	uint32_t half;
	uint32_t nbuckets;
	uint32_t ncounts;
	uint64_t sub_mask;
	uint64_t total, min, max, clamped;
	double sum, sumsq;
	uint64_t counts[];
};

static int log2_floor(uint64_t v)
{
	return 63 - __builtin_clzll(v | 1);
}

struct hdr *hdr_new(uint64_t lowest, uint64_t highest, int sig_digits)
{
	struct hdr *h;
	uint64_t largest_single_unit, untrackable;
	uint32_t sub_count, nbuckets;
	int unit_mag;

	if (lowest < 1)
		lowest = 1;
	if (sig_digits < 1)
		sig_digits = 1;
	if (sig_digits > 5)
		sig_digits = 5;
	if (highest < 2 * lowest)
		highest = 2 * lowest;

	largest_single_unit = 2;
	for (int i = 0; i < sig_digits; i++)
		largest_single_unit *= 10;
	sub_count = 1;
	while (sub_count < largest_single_unit)
		sub_count <<= 1;
	unit_mag = log2_floor(lowest);

	untrackable = (uint64_t)sub_count << unit_mag;
	nbuckets = 1;
	while (untrackable <= highest) {
		if (untrackable > (UINT64_MAX >> 1)) {
			nbuckets++;
			break;
		}
		untrackable <<= 1;
		nbuckets++;
	}

	h = xcalloc(1, sizeof(*h) + (size_t)(nbuckets + 1) * (sub_count / 2) * sizeof(uint64_t));
	h->lowest = lowest;
	h->highest = highest;
	h->sig_digits = sig_digits;
	h->unit_mag = unit_mag;
	h->sub_count = sub_count;
	h->half = sub_count / 2;
	h->half_mag = log2_floor(h->half);
	h->nbuckets = nbuckets;
	h->ncounts = (nbuckets + 1) * h->half;
	h->sub_mask = ((uint64_t)sub_count - 1) << unit_mag;
	h->min = UINT64_MAX;
	return h;
}

void hdr_free(struct hdr *h)
{
	free(h);
}

void hdr_reset(struct hdr *h)
{
	memset(h->counts, 0, (size_t)h->ncounts * sizeof(uint64_t));
	h->total = h->max = h->clamped = 0;
	h->min = UINT64_MAX;
	h->sum = h->sumsq = 0;
}

static inline uint32_t index_of(const struct hdr *h, uint64_t v)
{
	int bucket = 64 - __builtin_clzll(v | h->sub_mask) - (h->unit_mag + h->half_mag + 1);
	uint32_t sub = (uint32_t)(v >> (bucket + h->unit_mag));

	return ((uint32_t)(bucket + 1) << h->half_mag) + sub - h->half;
}

/* Lowest value that lands in counter idx, and the width of that counter. */
static void range_of(const struct hdr *h, uint32_t idx, uint64_t *lo, uint64_t *width)
{
	int bucket = (int)(idx >> h->half_mag) - 1;
	uint32_t sub = (idx & (h->half - 1)) + h->half;

	if (bucket < 0) {
		sub -= h->half;
		bucket = 0;
	}
	*lo = (uint64_t)sub << (bucket + h->unit_mag);
	*width = 1ULL << (bucket + h->unit_mag);
}

void hdr_record_n(struct hdr *h, uint64_t v, uint64_t n)
{
	double dv;

	if (!n)
		return;
	if (v > h->highest) {
		v = h->highest;
		h->clamped += n;
	}
	h->counts[index_of(h, v)] += n;
	h->total += n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	dv = (double)v;
	h->sum += dv * (double)n;
	h->sumsq += dv * dv * (double)n;
}

void hdr_record(struct hdr *h, uint64_t v)
{
	hdr_record_n(h, v, 1);
}

int hdr_merge(struct hdr *dst, const struct hdr *src)
{
	if (dst->lowest != src->lowest || dst->highest != src->highest ||
	    dst->sig_digits != src->sig_digits)
		return -1;
	if (!src->total)
		return 0;
	for (uint32_t i = 0; i < src->ncounts; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	return 0;
}

uint64_t hdr_count(const struct hdr *h)
{
	return h->total;
}

uint64_t hdr_min(const struct hdr *h)
{
	return h->total ? h->min : 0;
}

uint64_t hdr_max(const struct hdr *h)
{
	return h->max;
}

double hdr_mean(const struct hdr *h)
{
	return h->total ? h->sum / (double)h->total : 0;
}

double hdr_stdev(const struct hdr *h)
{
	double mean, var;

	if (h->total < 2)
		return 0;
	mean = h->sum / (double)h->total;
	var = h->sumsq / (double)h->total - mean * mean;
	return var > 0 ? sqrt(var) : 0;
}

uint64_t hdr_percentile(const struct hdr *h, double p)
{
	uint64_t want, seen = 0, lo, width, v;

	if (!h->total)
		return 0;
	if (p >= 100)
		return h->max;
	if (p < 0)
		p = 0;
	want = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
	if (want < 1)
		want = 1;
	for (uint32_t i = 0; i < h->ncounts; i++) {
		seen += h->counts[i];
		if (seen >= want) {
			range_of(h, i, &lo, &width);
			v = lo + width - 1;
			/* The bucket's top can overshoot what was actually seen. */
			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

size_t hdr_memsize(const struct hdr *h)
{
	return sizeof(*h) + (size_t)h->ncounts * sizeof(uint64_t);
}
