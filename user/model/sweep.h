/* SPDX-License-Identifier: MIT */
/*
 * A sweep (compare --sweep concurrency=10,100,1000): the same scenario run at
 * each value of one load parameter on every MPM, so that the curves show
 * where an MPM starts to fail or its latency climbs, which one point cannot.
 *
 * Each (point, MPM) is one ordinary measured run; what the curves, the tables
 * and the claims need of it is kept here in a few hundred bytes (struct
 * sweep_cell), so the run models of a point can be freed once the next one
 * ran: a sweep of 16 points keeps one point's traces, not sixteen.
 */
#ifndef MPMSCOPE_MODEL_SWEEP_H
#define MPMSCOPE_MODEL_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/mpm.h"
#include "base/util.h"
#include "model/claims.h"
#include "scenario/scenario.h"

#define SWEEP_MAX_POINTS 16

enum sweep_param {
	SWEEP_CONCURRENCY, /* connections of the closed loop (-c) */
	SWEEP_RATE,        /* requests/s of the open loop (--rate) */
};
const char *sweep_param_name(enum sweep_param p); /* "concurrency", "rate" */
const char *sweep_param_abbrev(enum sweep_param p); /* "c", "rate" (c=100, rate=500) */

/* One MPM at one point: what the curves and the tables show. */
struct sweep_cell {
	bool measured;         /* a run was made (false: not reached, e.g. interrupted) */
	bool ran;              /* the load ran */
	char error[512];       /* why not, or that the server died during the load (the run's own) */
	uint64_t requests;     /* the load as run */
	unsigned connections;
	double rate;           /* 0: closed loop */
	uint32_t peak_conns;   /* most client connections open at once (the generator's own records) */
	uint64_t completed, failed;
	double failure_rate, rps, duration_s;
	double p50_us, p90_us, p99_us, max_us; /* NaN without a latency */
	bool mem_sampled;
	uint64_t rss_kb, pss_kb; /* at the sample with the largest PSS */
	uint32_t procs_max, threads_max; /* server processes and threads alive at once during the load (kernel) */
	double cpu_us_per_request;     /* CPU of the server's tasks over the load */
	bool conn_known;               /* the kernel had the per-connection tracepoints */
	double held_task_seconds;
	uint64_t accepts, events_lost;
};

/* Where an MPM's curve bends: point indices, -1 none within the sweep. */
struct sweep_knee {
	int fail;              /* the first point with a failed request */
	int p99;               /* the first point whose p99 climbs (see sweep_knees) */
	double p99_ratio;      /* at that point: its p99 (per connection) over the lowest before */
};
#define SWEEP_P99_FACTOR 2.0

struct sweep {
	enum sweep_param param;
	double values[SWEEP_MAX_POINTS];
	int npoints;           /* asked */
	int ndone;             /* points measured (fewer when interrupted or a run could not happen) */
	bool mpms[MPM__MAX];   /* the MPMs of the comparison */
	struct sweep_cell cell[SWEEP_MAX_POINTS][MPM__MAX];
	struct sweep_knee knee[MPM__MAX];
	/* the scenario's claims, evaluated at each point as at one compare */
	int nclaims;
	const struct sc_expect *claim[SC_MAX_EXPECT];
	enum verdict verdict[SC_MAX_EXPECT][SWEEP_MAX_POINTS];
	char evidence[SC_MAX_EXPECT][SWEEP_MAX_POINTS][600];
	/* how the requests of a point were chosen, in words (report and JSON) */
	char requests_rule[200];
};

/* The curves: one value per cell (NaN: not measured there). */
enum sweep_metric {
	SM_RPS, SM_FAILURE_RATE, SM_P50, SM_P99, SM_PSS, SM_PROCS, SM_THREADS, SM_CPU, SM_HELD, SM_PEAK_CONNS,
	SM__MAX
};
const char *sweep_metric_id(enum sweep_metric m);    /* "rps", "p99_us"... (JSON, CSV, element ids) */
const char *sweep_metric_title(enum sweep_metric m); /* "requests per second" */
double sweep_metric_value(const struct sweep_cell *c, enum sweep_metric m);

/* "concurrency=10,100,1000" or "rate=100,500": 0, or -1 with e set (unknown
 * parameter, empty or malformed list, a value not positive, out of range or
 * not above the one before, more than SWEEP_MAX_POINTS). */
int sweep_parse(struct sweep *sw, const char *arg, struct errbuf *e);

/* The load of point k: connections, rate and requests. With requests_given
 * (-n), every point runs that many requests, raised to the point's
 * concurrency where it is below it. Otherwise a concurrency sweep keeps the
 * scenario's requests per connection (baseline: 1000 / 100, so c=1000 runs
 * 10000), and a rate sweep keeps one duration for every point (the
 * scenario's, -d, or what the scenario's requests take at the first rate).
 * concurrency: -c or the scenario's (a rate sweep). Sets sw->requests_rule. */
void sweep_point_load(struct sweep *sw, int k, const struct scenario *sc, uint64_t requests_given,
		      double duration_given, unsigned concurrency, uint64_t *requests, unsigned *connections,
		      double *rate);

/* Keep what the curves need of point k's runs and claims. */
void sweep_add(struct sweep *sw, int k, const struct run_model *runs, int nruns, const struct claim_result *claims,
	       int nclaims);

/* Each MPM's knees over the points measured. fail: the first point with a
 * failed request. p99: the first point whose p99 is more than
 * SWEEP_P99_FACTOR times the lowest of the points before it; for
 * concurrency per connection (p99/c: in a closed loop a saturated server's
 * latency grows in proportion to the connections, by Little's law, so the
 * raw p99 always climbs; latency growing faster than the load is the knee),
 * for a rate as it is (an open loop's latency is flat until the server
 * saturates). */
void sweep_knees(struct sweep *sw);

/* The value of point k as the reports print it: "c=100", "rate=500". */
char *sweep_point_name(const struct sweep *sw, int k, char *buf, size_t n);

#endif
