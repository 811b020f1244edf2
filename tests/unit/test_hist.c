// SPDX-License-Identifier: MIT
/* hist: percentiles against exact sorted samples, merge, clamp, fixed memory. */
#include <math.h>
#include <stdlib.h>

#include "base/hdr.h"
#include "unit.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The exact p-th percentile as hist defines it: the sample of rank
 * round(p/100 * N) (at least 1) in sorted order. */
static uint64_t exact(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.5);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static int close_enough(uint64_t got, uint64_t want)
{
	double err = fabs((double)got - (double)want);

	return err <= (double)want / 1024.0 + 1e-9;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void check_distribution(const char *name, uint64_t (*gen)(void), size_t n)
{
	static const double ps[] = { 0, 1, 10, 25, 50, 66, 75, 90, 95, 99, 99.9, 99.99, 100 };
	struct hdr *h = hdr_new(1, 60000000, 3);
	uint64_t *v = malloc(n * sizeof(*v));
	double sum = 0, sumsq = 0, mean, sd;
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		v[i] = gen();
		hdr_record(h, v[i]);
		sum += (double)v[i];
	}
	mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sumsq += ((double)v[i] - mean) * ((double)v[i] - mean);
	sd = sqrt(sumsq / (double)n);
	qsort(v, n, sizeof(*v), cmp_u64);
	CHECK_EQ_U(hdr_count(h), n);
	CHECK_EQ_U(hdr_min(h), v[0]);
	CHECK_EQ_U(hdr_max(h), v[n - 1]);
	CHECK_EQ_U(hdr_percentile(h, 100), v[n - 1]);
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		uint64_t got = hdr_percentile(h, ps[i]), want = exact(v, n, ps[i]);

		if (!close_enough(got, want)) {
			fprintf(stderr, "%s: p%g = %llu, exact %llu\n", name, ps[i],
				(unsigned long long)got, (unsigned long long)want);
			bad++;
		}
		/* The reported value is never below the true one: it is the top of
		 * the sample's bucket. */
		if (got < want)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(fabs(hdr_mean(h) - mean) <= mean * 1e-9);
	CHECK(fabs(hdr_stdev(h) - sd) <= sd * 1e-6 + 1e-6);
	free(v);
	hdr_free(h);
}

static uint64_t gen_uniform(void) { return 1 + next_rand() % 100000; }
static uint64_t gen_small(void) { return next_rand() % 3000; }
static uint64_t gen_wide(void)
{
	/* log-uniform from 1 us to 50 s */
	return (uint64_t)exp((double)(next_rand() % 1000000) / 1000000.0 * log(50e6)) ;
}
static uint64_t gen_bimodal(void)
{
	return next_rand() % 100 < 97 ? 150 + next_rand() % 50 : 2000000 + next_rand() % 1000;
}

int main(void)
{
	struct hdr *a, *b, *c, *odd;
	size_t mem;

	check_distribution("uniform", gen_uniform, 200000);
	check_distribution("small", gen_small, 100000);
	check_distribution("wide", gen_wide, 300000);
	check_distribution("bimodal", gen_bimodal, 100000);

	/* Exact values below 2048 (one counter per value). */
	a = hdr_new(1, 60000000, 3);
	for (uint64_t i = 1; i <= 1000; i++)
		hdr_record(a, i);
	CHECK_EQ_U(hdr_percentile(a, 50), 500);
	CHECK_EQ_U(hdr_percentile(a, 99), 990);
	CHECK_EQ_U(hdr_percentile(a, 0), 1);
	CHECK(fabs(hdr_mean(a) - 500.5) < 1e-9);

	/* Empty */
	hdr_reset(a);
	CHECK_EQ_U(hdr_count(a), 0);
	CHECK_EQ_U(hdr_percentile(a, 99), 0);
	CHECK_EQ_U(hdr_min(a), 0);
	CHECK_EQ_U(hdr_max(a), 0);
	CHECK(hdr_mean(a) == 0 && hdr_stdev(a) == 0);

	/* Merge == recording everything in one. */
	b = hdr_new(1, 60000000, 3);
	c = hdr_new(1, 60000000, 3);
	for (int i = 0; i < 50000; i++) {
		uint64_t v = gen_wide();

		hdr_record(i % 3 ? a : b, v);
		hdr_record(c, v);
	}
	CHECK(hdr_merge(a, b) == 0);
	CHECK_EQ_U(hdr_count(a), hdr_count(c));
	CHECK_EQ_U(hdr_min(a), hdr_min(c));
	CHECK_EQ_U(hdr_max(a), hdr_max(c));
	for (double p = 0; p <= 100; p += 0.5)
		CHECK_EQ_U(hdr_percentile(a, p), hdr_percentile(c, p));
	CHECK(fabs(hdr_mean(a) - hdr_mean(c)) < 1e-6 * hdr_mean(c));
	odd = hdr_new(1, 1000, 3);
	CHECK(hdr_merge(a, odd) == -1);
	hdr_free(odd);
	odd = hdr_new(1, 60000000, 2);
	CHECK(hdr_merge(a, odd) == -1);
	hdr_free(odd);

	/* record_n */
	hdr_reset(b);
	hdr_record_n(b, 100, 99);
	hdr_record_n(b, 5000, 1);
	CHECK_EQ_U(hdr_count(b), 100);
	CHECK_EQ_U(hdr_percentile(b, 99), 100);
	CHECK(close_enough(hdr_percentile(b, 99.5), 5000));

	/* Clamp: above 60 s lands on the top, counted, never out of bounds. */
	hdr_reset(b);
	hdr_record(b, 120000000ULL);
	hdr_record(b, UINT64_MAX);
	hdr_record(b, 10);
	CHECK_EQ_U(hdr_count(b), 3);
	CHECK_EQ_U(hdr_max(b), 60000000);
	CHECK_EQ_U(hdr_percentile(b, 100), 60000000);
	CHECK(close_enough(hdr_percentile(b, 50), 60000000));

	/* Fixed memory: the layout the notes give, whatever the sample count. */
	mem = hdr_memsize(c);
	CHECK(mem >= 17408 * 8 && mem < 17408 * 8 + 512);
	for (int i = 0; i < 1000000; i++)
		hdr_record(c, next_rand() % 70000000);
	CHECK_EQ_U(hdr_memsize(c), mem);

	/* Coarse layouts used for the per-second timeline. */
	odd = hdr_new(1, 60000000, 1);
	CHECK(hdr_memsize(odd) < 4096);
	for (uint64_t v = 1; v < 60000000; v = v * 3 / 2 + 1)
		hdr_record(odd, v);
	CHECK(hdr_percentile(odd, 100) == hdr_max(odd));
	hdr_free(odd);

	hdr_free(a);
	hdr_free(b);
	hdr_free(c);
	return unit_done("test_hist");
}
