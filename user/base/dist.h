/* SPDX-License-Identifier: MIT */
/*
 * A distribution, summarised: count, p50/p90/p99, max and mean. Made from
 * exact values (nearest rank), from an HdrHistogram, or (trace/khist.h) from
 * a kernel log2 histogram; every table, plot and JSON object of a
 * distribution reads this one struct.
 */
#ifndef MPMSCOPE_BASE_DIST_H
#define MPMSCOPE_BASE_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "base/hdr.h"

struct dist {
	uint64_t n;
	double p50, p90, p99, max, mean;
};

/* Growable array of values for a distribution. */
struct dvec {
	double *v;
	size_t n, cap;
};
void dvec_push(struct dvec *d, double x);
/* The distribution of the values (nearest-rank percentiles); d is emptied. */
struct dist dvec_take(struct dvec *d);
/* Of an HdrHistogram (its own units). */
struct dist dist_of_hdr(const struct hdr *h);

#endif
