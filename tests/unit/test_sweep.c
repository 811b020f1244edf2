// SPDX-License-Identifier: MIT
/* compare --sweep's model: the parser's errors, each point's load, the knees
 * by their definition; and the plots' log x axis and knee marks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/sbuf.h"
#include "model/sweep.h"
#include "report/svg.h"
#include "unit.h"

static int parse(struct sweep *sw, const char *arg, const char *want_err)
{
	struct errbuf e = { { 0 } };
	int rc = sweep_parse(sw, arg, &e);

	if (want_err) {
		CHECK(rc == -1);
		if (!strstr(e.msg, want_err))
			fprintf(stderr, "%s: got '%s', want '%s'\n", arg, e.msg, want_err);
		CHECK(strstr(e.msg, want_err) != NULL);
	} else {
		CHECK(rc == 0);
	}
	return rc;
}

static void test_parse(void)
{
	struct sweep *sw = calloc(1, sizeof(*sw));

	parse(sw, "concurrency=10,100,1000", NULL);
	CHECK(sw->param == SWEEP_CONCURRENCY);
	CHECK_EQ_U(sw->npoints, 3);
	CHECK(sw->values[2] == 1000);
	CHECK(sw->knee[MPM_EVENT].fail == -1 && sw->knee[MPM_EVENT].p99 == -1);
	parse(sw, "rate=100,250.5", NULL);
	CHECK(sw->param == SWEEP_RATE && sw->values[1] == 250.5);
	parse(sw, "threads=1,2", "'threads' is not a parameter to sweep");
	parse(sw, "concurrencyX=1,2", "is not a parameter");
	parse(sw, "rate", "no values");
	parse(sw, "rate=", "no values");
	parse(sw, "rate=1,,2", "an empty value");
	parse(sw, "rate=,1", "an empty value");
	parse(sw, "rate=1,2,", "an empty value");
	parse(sw, "rate=1,two", "'two' is not a number");
	parse(sw, "rate=1,+2", "'+2' is not a number");
	parse(sw, "rate=1,2e3", "'2e3' is not a number");
	parse(sw, "rate=1, 2", "' 2' is not a number");
	parse(sw, "rate=1.2.3,4", "'1.2.3' is not a number");
	parse(sw, "rate=0,1", "must be positive");
	parse(sw, "concurrency=2,1", "values must increase: 1 after 2");
	parse(sw, "concurrency=2,2", "values must increase");
	parse(sw, "concurrency=1,2.5", "2.5 is not a whole number");
	parse(sw, "concurrency=1,1000001", "not a whole number of connections from 1 to 1000000");
	parse(sw, "concurrency=7", "at least two values");
	parse(sw, "concurrency=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", NULL);
	parse(sw, "concurrency=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "at most 16 values");
	free(sw);
}

static void test_point_load(void)
{
	struct sweep *sw = calloc(1, sizeof(*sw));
	struct scenario *sc = calloc(1, sizeof(*sc));
	uint64_t n;
	unsigned c;
	double rate;

	sc->requests = 1000;
	sc->concurrency = 100;
	parse(sw, "concurrency=5,1000", NULL);
	/* the scenario's requests per connection: 10 */
	sweep_point_load(sw, 0, sc, 0, 0, 0, &n, &c, &rate);
	CHECK_EQ_U(n, 50);
	CHECK_EQ_U(c, 5);
	CHECK(rate == 0);
	sweep_point_load(sw, 1, sc, 0, 0, 0, &n, &c, &rate);
	CHECK_EQ_U(n, 10000);
	CHECK_EQ_U(c, 1000);
	CHECK(strstr(sw->requests_rule, "per connection") != NULL);
	/* -n: that many, at least one per connection */
	sweep_point_load(sw, 1, sc, 200, 0, 0, &n, &c, &rate);
	CHECK_EQ_U(n, 1000);
	sweep_point_load(sw, 0, sc, 200, 0, 0, &n, &c, &rate);
	CHECK_EQ_U(n, 200);
	/* rate: one duration, the first rate's for the scenario's requests */
	parse(sw, "rate=500,2000", NULL);
	sweep_point_load(sw, 1, sc, 0, 0, 0, &n, &c, &rate);
	CHECK_EQ_U(n, 4000);
	CHECK_EQ_U(c, 100);
	CHECK(rate == 2000);
	sweep_point_load(sw, 1, sc, 0, 3, 20, &n, &c, &rate); /* -d 3 -c 20 */
	CHECK_EQ_U(n, 6000);
	CHECK_EQ_U(c, 20);
	free(sc);
	free(sw);
}

static void cell(struct sweep *sw, int k, enum mpm m, double p99, uint64_t failed)
{
	sw->cell[k][m] = (struct sweep_cell){ .measured = true, .ran = true, .p99_us = p99, .failed = failed,
					      .completed = 100, .failure_rate = failed / (100.0 + failed) };
	if (k + 1 > sw->ndone)
		sw->ndone = k + 1;
}

static void test_knees(void)
{
	struct sweep *sw = calloc(1, sizeof(*sw));

	/* concurrency: p99 per connection against the lowest before */
	parse(sw, "concurrency=10,100,1000", NULL);
	cell(sw, 0, MPM_PREFORK, 2000, 0);    /* 200 us per connection */
	cell(sw, 1, MPM_PREFORK, 20000, 0);   /* 200: in proportion, no knee */
	cell(sw, 2, MPM_PREFORK, 1100000, 3); /* 1100: 5.5x, and failures */
	cell(sw, 0, MPM_EVENT, 5000, 0);      /* 500: below saturation */
	cell(sw, 1, MPM_EVENT, 10000, 0);     /* 100 */
	cell(sw, 2, MPM_EVENT, 300000, 0);    /* 300: 3x the lowest before (100), not 2x the first (500) */
	cell(sw, 0, MPM_WORKER, 1000, 1);     /* fails at once */
	cell(sw, 1, MPM_WORKER, NAN, 0);      /* no latency: skipped */
	cell(sw, 2, MPM_WORKER, 300000, 0);   /* 300 against 100: 3x */
	sweep_knees(sw);
	CHECK(sw->knee[MPM_PREFORK].fail == 2 && sw->knee[MPM_PREFORK].p99 == 2);
	CHECK(fabs(sw->knee[MPM_PREFORK].p99_ratio - 5.5) < 1e-9);
	CHECK(sw->knee[MPM_EVENT].fail == -1 && sw->knee[MPM_EVENT].p99 == 2);
	CHECK(fabs(sw->knee[MPM_EVENT].p99_ratio - 3) < 1e-9);
	CHECK(sw->knee[MPM_WORKER].fail == 0 && sw->knee[MPM_WORKER].p99 == 2);
	/* rate: p99 as it is */
	parse(sw, "rate=100,1000", NULL);
	cell(sw, 0, MPM_EVENT, 1000, 0);
	cell(sw, 1, MPM_EVENT, 2500, 0);
	cell(sw, 0, MPM_PREFORK, 1000, 0);
	cell(sw, 1, MPM_PREFORK, 1900, 0);
	sweep_knees(sw);
	CHECK(sw->knee[MPM_EVENT].p99 == 1);
	CHECK(sw->knee[MPM_PREFORK].p99 == -1 && sw->knee[MPM_PREFORK].fail == -1);
	free(sw);
}

static void test_plot(void)
{
	struct sbuf b;
	double x[] = { 10, 100, 1000 }, y[] = { 1, 2, 3 };
	struct svg_mark mk[] = { { .i = 2, .kind = "fail", .label = "starts to fail" },
				 { .i = 1, .kind = "p99", .label = "climbs", .square = true } };
	struct svg_series s = { .name = "event", .x = x, .y = y, .n = 3, .marks = mk, .nmarks = 2 };

	sb_init(&b);
	svg_lines(&b, &(struct svg_chart){ .id = "sw", .xlabel = "connections", .xlog = true, .series = &s,
					   .nseries = 1 });
	CHECK(strstr(b.buf, "connections (log scale)") != NULL);
	CHECK(strstr(b.buf, "<circle class=\"mark\"") != NULL && strstr(b.buf, "data-mark=\"fail\"") != NULL);
	CHECK(strstr(b.buf, "<rect class=\"mark\"") != NULL && strstr(b.buf, "data-mark=\"p99\"") != NULL);
	CHECK(strstr(b.buf, "event: starts to fail") != NULL);
	/* equal steps on a log axis: 10 -> 100 as wide as 100 -> 1000 */
	{
		const char *d = strstr(b.buf, " d=\"M");
		double x0, x1, x2;

		CHECK(d && sscanf(d, " d=\"M%lf,%*f L%lf,%*f L%lf", &x0, &x1, &x2) == 3);
		if (d)
			CHECK(fabs((x1 - x0) - (x2 - x1)) < 0.2);
	}
	sb_free(&b);
}

int main(void)
{
	test_parse();
	test_point_load();
	test_knees();
	test_plot();
	return unit_done("test_sweep");
}
