// SPDX-License-Identifier: MIT
#include "base/dist.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void dvec_push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = xrealloc(d->v, d->cap * sizeof(double));
	}
	d->v[d->n++] = x;
}

struct dist dvec_take(struct dvec *d)
{
	struct dist r = { .n = d->n };
	double sum = 0, *v = d->v;
	size_t n = d->n;

	if (n) {
		qsort(v, n, sizeof(*v), cmp_double);
		for (size_t i = 0; i < n; i++)
			sum += v[i];
#define RANK(p) v[(size_t)((p) / 100.0 * (double)(n - 1) + 0.5)]
		r.p50 = RANK(50);
		r.p90 = RANK(90);
		r.p99 = RANK(99);
#undef RANK
		r.max = v[n - 1];
		r.mean = sum / (double)n;
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
	return r;
}

struct dist dist_of_hdr(const struct hdr *h)
{
	struct dist d = { .n = h ? hdr_count(h) : 0 };

	if (!d.n)
		return d;
	d.p50 = (double)hdr_percentile(h, 50);
	d.p90 = (double)hdr_percentile(h, 90);
	d.p99 = (double)hdr_percentile(h, 99);
	d.max = (double)hdr_max(h);
	d.mean = hdr_mean(h);
	return d;
}
