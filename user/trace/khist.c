// SPDX-License-Identifier: MIT
#include "trace/khist.h"

void khist_diff(struct ms_hist *out, const struct ms_hist *b, const struct ms_hist *a)
{
	for (int i = 0; i < MS_HIST_SLOTS; i++)
		out->slots[i] = b->slots[i] >= a->slots[i] ? b->slots[i] - a->slots[i] : 0;
	out->count = b->count >= a->count ? b->count - a->count : 0;
	out->sum_ns = b->sum_ns >= a->sum_ns ? b->sum_ns - a->sum_ns : 0;
}

void khist_add(struct ms_hist *out, const struct ms_hist *h)
{
	for (int i = 0; i < MS_HIST_SLOTS; i++)
		out->slots[i] += h->slots[i];
	out->count += h->count;
	out->sum_ns += h->sum_ns;
}

void khist_record(struct ms_hist *h, uint64_t ns)
{
	int slot = ns ? 63 - __builtin_clzll(ns) : 0; /* log2, as log2_u64() */

	h->slots[slot < MS_HIST_SLOTS ? slot : MS_HIST_SLOTS - 1]++;
	h->count++;
	h->sum_ns += ns;
}

/* Value at rank q (0..1), interpolated inside its bucket. */
static double rank_us(const struct ms_hist *h, uint64_t total, double q)
{
	double target = q * (double)total, cum = 0;

	for (int i = 0; i < MS_HIST_SLOTS; i++) {
		double n = (double)h->slots[i];

		if (n > 0 && cum + n >= target) {
			double lo = i ? (double)(1ULL << i) : 0, hi = (double)(1ULL << (i + 1));
			double frac = (target - cum) / n;

			return (lo + frac * (hi - lo)) / 1e3;
		}
		cum += n;
	}
	return 0;
}

struct dist dist_of_khist(const struct ms_hist *h)
{
	struct dist r = { 0 };
	uint64_t total = 0;

	for (int i = 0; i < MS_HIST_SLOTS; i++)
		total += h->slots[i];
	if (!total)
		return r;
	r.n = total;
	r.p50 = rank_us(h, total, 0.50);
	r.p90 = rank_us(h, total, 0.90);
	r.p99 = rank_us(h, total, 0.99);
	r.max = rank_us(h, total, 1.0);
	r.mean = h->count ? (double)h->sum_ns / (double)h->count / 1e3 : 0;
	return r;
}
