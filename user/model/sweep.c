// SPDX-License-Identifier: MIT
#include "model/sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

const char *sweep_param_name(enum sweep_param p)
{
	return p == SWEEP_RATE ? "rate" : "concurrency";
}

const char *sweep_param_abbrev(enum sweep_param p)
{
	return p == SWEEP_RATE ? "rate" : "c";
}

char *sweep_point_name(const struct sweep *sw, int k, char *buf, size_t n)
{
	snprintf(buf, n, "%s=%g", sweep_param_abbrev(sw->param), sw->values[k]);
	return buf;
}

static const char *const metric_id[SM__MAX] = {
	"rps", "failure_rate", "p50_us", "p99_us", "pss_kb", "procs_alive", "threads_alive",
	"cpu_us_per_request", "held_task_seconds", "peak_conns",
};
static const char *const metric_title[SM__MAX] = {
	"requests per second", "failure rate", "latency p50", "latency p99", "memory (PSS, peak sample)",
	"processes alive (most at once)", "threads alive (most at once)", "server CPU per request",
	"held task-seconds (idle keep-alive)", "client connections open at once",
};

const char *sweep_metric_id(enum sweep_metric m)
{
	return m < SM__MAX ? metric_id[m] : "?";
}

const char *sweep_metric_title(enum sweep_metric m)
{
	return m < SM__MAX ? metric_title[m] : "?";
}

double sweep_metric_value(const struct sweep_cell *c, enum sweep_metric m)
{
	if (!c->measured || !c->ran)
		return NAN;
	switch (m) {
	case SM_RPS: return c->rps;
	case SM_FAILURE_RATE: return c->failure_rate;
	case SM_P50: return c->p50_us;
	case SM_P99: return c->p99_us;
	case SM_PSS: return c->mem_sampled ? (double)c->pss_kb : NAN;
	case SM_PROCS: return c->procs_max ? (double)c->procs_max : NAN;
	case SM_THREADS: return c->threads_max ? (double)c->threads_max : NAN;
	case SM_CPU: return c->cpu_us_per_request;
	case SM_HELD: return c->conn_known ? c->held_task_seconds : NAN;
	case SM_PEAK_CONNS: return (double)c->peak_conns;
	case SM__MAX: break;
	}
	return NAN;
}

int sweep_parse(struct sweep *sw, const char *arg, struct errbuf *e)
{
	const char *eq = strchr(arg, '='), *p;
	size_t plen = eq ? (size_t)(eq - arg) : strlen(arg);

	memset(sw, 0, sizeof(*sw));
	if (plen == 11 && !strncmp(arg, "concurrency", 11)) {
		sw->param = SWEEP_CONCURRENCY;
	} else if (plen == 4 && !strncmp(arg, "rate", 4)) {
		sw->param = SWEEP_RATE;
	} else {
		err_set(e, "--sweep: '%.*s' is not a parameter to sweep (concurrency or rate)", (int)(plen > 40 ? 40 : plen),
			arg);
		return -1;
	}
	if (!eq || !eq[1]) {
		err_set(e, "--sweep: no values: give %s=V1,V2,... (e.g. %s)", sweep_param_name(sw->param),
			sw->param == SWEEP_RATE ? "rate=100,500,1000" : "concurrency=10,100,1000");
		return -1;
	}
	for (p = eq + 1;;) {
		size_t len = strcspn(p, ",");
		char tok[32], *end;
		double v;

		if (!len) {
			err_set(e, "--sweep: an empty value in '%s'", eq + 1);
			return -1;
		}
		snprintf(tok, sizeof(tok), "%.*s", (int)(len < sizeof(tok) - 1 ? len : sizeof(tok) - 1), p);
		v = strtod(tok, &end);
		/* plain decimals only: no sign, exponent, hex, inf or nan */
		if (len >= sizeof(tok) || *end || end == tok || !isfinite(v) ||
		    strspn(tok, "0123456789.") != strlen(tok)) {
			err_set(e, "--sweep: '%s' is not a number", tok);
			return -1;
		}
		if (!(v > 0)) {
			err_set(e, "--sweep: %s must be positive, not %s", sweep_param_name(sw->param), tok);
			return -1;
		}
		if (sw->param == SWEEP_CONCURRENCY && (v != floor(v) || v > 1000000)) {
			err_set(e, "--sweep: concurrency %s is not a whole number of connections from 1 to 1000000", tok);
			return -1;
		}
		if (sw->param == SWEEP_RATE && v > 10000000) {
			err_set(e, "--sweep: rate %s is more than 10000000 requests/s", tok);
			return -1;
		}
		if (sw->npoints == SWEEP_MAX_POINTS) {
			err_set(e, "--sweep: at most %d values", SWEEP_MAX_POINTS);
			return -1;
		}
		if (sw->npoints && v <= sw->values[sw->npoints - 1]) {
			err_set(e, "--sweep: values must increase: %s after %g", tok, sw->values[sw->npoints - 1]);
			return -1;
		}
		sw->values[sw->npoints++] = v;
		p += len;
		if (!*p)
			break;
		p++;
	}
	if (sw->npoints < 2) {
		err_set(e, "--sweep: give at least two values (%s=%g is one compare)", sweep_param_name(sw->param),
			sw->values[0]);
		return -1;
	}
	for (int m = 0; m < MPM__MAX; m++)
		sw->knee[m] = (struct sweep_knee){ .fail = -1, .p99 = -1 };
	return 0;
}

void sweep_point_load(struct sweep *sw, int k, const struct scenario *sc, uint64_t requests_given,
		      double duration_given, unsigned concurrency, uint64_t *requests, unsigned *connections,
		      double *rate)
{
	double v = sw->values[k], d = duration_given > 0 ? duration_given : sc->duration_s;
	uint64_t n;

	*connections = concurrency ? concurrency : sc->concurrency;
	*rate = sc->rate;
	if (sw->param == SWEEP_CONCURRENCY)
		*connections = (unsigned)v;
	else
		*rate = v;
	if (requests_given) {
		n = requests_given;
		snprintf(sw->requests_rule, sizeof(sw->requests_rule),
			 "%llu requests at every point (-n), at least one per connection",
			 (unsigned long long)requests_given);
	} else if (sw->param == SWEEP_CONCURRENCY) {
		double per = sc->concurrency ? (double)sc->requests / sc->concurrency : 1;

		n = sc->requests ? (uint64_t)ceil(per * v) : 0;
		if (sc->requests)
			snprintf(sw->requests_rule, sizeof(sw->requests_rule),
				 "the scenario's requests per connection at every point (%llu / %u = %g)",
				 (unsigned long long)sc->requests, sc->concurrency, per);
		else
			snprintf(sw->requests_rule, sizeof(sw->requests_rule), "the scenario's duration at every point");
	} else {
		/* one duration for every point: the scenario's, -d, or the time
		 * the scenario's requests take at the first rate */
		double t = d > 0 ? d : (double)sc->requests / sw->values[0];

		n = (uint64_t)ceil(v * t);
		snprintf(sw->requests_rule, sizeof(sw->requests_rule),
			 "the same duration at every point: rate x %g s", t);
	}
	if (n && n < *connections)
		n = *connections; /* the generator needs one request per connection at least */
	*requests = n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Most client connections open at once, from the generator's records (in
 * open order; a close time of 0 is one still open at the end). */
static uint32_t peak_conns(const struct lg_result *l)
{
	uint64_t *closes;
	size_t n = l->nconns, c = 0;
	uint32_t open = 0, peak = 0;

	if (!n)
		return 0;
	closes = xcalloc(n, sizeof(*closes));
	for (size_t i = 0; i < n; i++)
		closes[i] = l->conns[i].t_close ? l->conns[i].t_close : UINT64_MAX;
	qsort(closes, n, sizeof(*closes), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		for (; c < n && closes[c] <= l->conns[i].t_connect; c++)
			open--;
		if (++open > peak)
			peak = open;
	}
	free(closes);
	return peak;
}

static double pct_us(const struct lg_result *l, double p)
{
	return l->latency && l->completed ? (double)hdr_percentile(l->latency, p) : NAN;
}

static void cell_of(struct sweep_cell *c, const struct run_model *r)
{
	const struct lg_result *l = &r->load;
	const struct spawn_facts *s = &r->k.spawn;

	memset(c, 0, sizeof(*c));
	c->measured = true;
	c->ran = r->ran;
	snprintf(c->error, sizeof(c->error), "%s", r->error);
	c->requests = r->load_cfg.requests;
	c->connections = r->load_cfg.connections;
	c->rate = r->load_cfg.rate;
	c->p50_us = c->p90_us = c->p99_us = c->max_us = NAN;
	c->cpu_us_per_request = NAN;
	if (!r->ran)
		return;
	c->peak_conns = peak_conns(l);
	c->completed = l->completed;
	c->failed = l->failed;
	c->failure_rate = lg_failure_rate(l);
	c->rps = l->rps;
	c->duration_s = l->duration_s;
	c->p50_us = pct_us(l, 50);
	c->p90_us = pct_us(l, 90);
	c->p99_us = pct_us(l, 99);
	c->max_us = pct_us(l, 100);
	c->mem_sampled = r->mem.sampled;
	c->rss_kb = r->mem.rss_kb;
	c->pss_kb = r->mem.pss_kb;
	for (size_t i = 0; i < s->nticks; i++) {
		const struct spawn_tick *t = &s->timeline[i];

		/* the 100 ms steps that overlap the load (t_ns: a step's end) */
		if (t->t_ns < r->t_load_start || t->t_ns >= r->t_load_end + 100 * NSEC_PER_MSEC)
			continue;
		c->procs_max = t->procs > c->procs_max ? t->procs : c->procs_max;
		c->threads_max = t->threads > c->threads_max ? t->threads : c->threads_max;
	}
	c->cpu_us_per_request = r->k.sched.cpu_us_per_request;
	c->conn_known = r->k.conn.available;
	c->held_task_seconds = r->k.conn.held_task_seconds;
	c->accepts = r->k.accepts;
	c->events_lost = r->k.events_lost;
}

void sweep_add(struct sweep *sw, int k, const struct run_model *runs, int nruns, const struct claim_result *claims,
	       int nclaims)
{
	if (k < 0 || k >= sw->npoints)
		return;
	for (int i = 0; i < nruns; i++)
		if (runs[i].mpm < MPM__MAX)
			cell_of(&sw->cell[k][runs[i].mpm], &runs[i]);
	sw->nclaims = nclaims;
	for (int i = 0; i < nclaims && i < SC_MAX_EXPECT; i++) {
		sw->claim[i] = claims[i].claim;
		sw->verdict[i][k] = claims[i].verdict;
		snprintf(sw->evidence[i][k], sizeof(sw->evidence[i][k]), "%s", claims[i].evidence);
	}
	if (k + 1 > sw->ndone)
		sw->ndone = k + 1;
}

void sweep_knees(struct sweep *sw)
{
	for (int m = 0; m < MPM__MAX; m++) {
		struct sweep_knee *kn = &sw->knee[m];
		double base = NAN;

		*kn = (struct sweep_knee){ .fail = -1, .p99 = -1 };
		for (int k = 0; k < sw->ndone; k++) {
			const struct sweep_cell *c = &sw->cell[k][m];
			double per = sw->param == SWEEP_CONCURRENCY ? sw->values[k] : 1, v;

			if (!c->measured || !c->ran)
				continue;
			if (kn->fail < 0 && c->failed)
				kn->fail = k;
			if (!isfinite(c->p99_us) || !(c->p99_us > 0))
				continue;
			v = c->p99_us / per;
			if (kn->p99 < 0 && isfinite(base) && v > SWEEP_P99_FACTOR * base) {
				kn->p99 = k;
				kn->p99_ratio = v / base;
			}
			if (!isfinite(base) || v < base)
				base = v; /* the best so far: a first point below saturation is no yardstick */
		}
	}
}
