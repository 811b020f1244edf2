/* SPDX-License-Identifier: MIT */
/*
 * Why one MPM is slower (or bigger) than another: the measured gap between
 * two runs of a scenario, split into the kernel-measured costs that make it,
 * ranked by how much of the gap each accounts for. What the costs do not
 * cover is stated as unexplained, never spread over them.
 *
 * Four ways of measuring the gap, each with its own disjoint costs:
 *  - machine time per request (rps, CPU claims): the CPU-us per request the
 *    run had (CPUs x load time, less what other processes took and the
 *    hypervisor stole, / requests),
 *    taken by the server's roles, creating and reaping tasks, the load
 *    generator and mpmscope itself; the CPUs left idle are not explained;
 *  - latency per request (the client's mean): the listen queue, the server's
 *    run-queue waits, reading, handling and writing, per request;
 *  - task time per request (held task-seconds claims): how long a server task
 *    is occupied per request, by what it is doing or blocked in;
 *  - memory (PSS claims): the parent, and the children times their count.
 */
#ifndef MPMSCOPE_MODEL_ATTRIB_H
#define MPMSCOPE_MODEL_ATTRIB_H

#include <stdbool.h>

#include "base/mpm.h"

struct run_model;
struct claim_result;

enum attr_basis { ATTR_MACHINE, ATTR_LATENCY, ATTR_TASK, ATTR_MEMORY, ATTR__MAX };
const char *attr_basis_name(enum attr_basis b); /* "machine_time", "latency", "task_time", "memory" */
const char *attr_basis_words(enum attr_basis b); /* "machine time per request" ... */
const char *attr_unit(enum attr_basis b);        /* "us/request", "kB" */

#define ATTR_MAX_CAUSES 10

struct attr_cause {
	const char *key;       /* "serving_cpu", "listen_queue", "keepalive_held", ... */
	double a, b;           /* its value on each MPM, in the account's unit */
	double gap;            /* b - a: what it adds to the gap (< 0: it narrows it) */
	char text[240];        /* what it is, with the counts behind it */
};

/* b is the MPM with the larger value: the gap is b - a, >= 0. */
struct attribution {
	enum attr_basis basis;
	enum mpm a, b;
	double a_total, b_total, gap;
	double explained, unexplained; /* explained: the sum of the causes' gaps */
	double share;                  /* explained / gap: not clamped (NaN with no gap) */
	struct attr_cause causes[ATTR_MAX_CAUSES]; /* by gap, largest first */
	int ncauses;
	char unexplained_text[200];    /* what the unexplained part is made of, when known */
	char note[400];                /* the machine's own part (the load generator's CPU share) */
};

/* Every account of every pair of runs that ran (a pair, four bases);
 * returns how many were written (at most max). */
int attrib_scenario(const struct run_model *runs, int nruns, struct attribution *out, int max);
/* The accounts (indices into accts) that explain each claim: one per MPM
 * pair its checks compare, on the basis of the checked metric. */
void attrib_claims(struct claim_result *claims, int nclaims, const struct attribution *accts, int naccts);
/* CPU time of the machine's other processes over the load: busy time
 * that is neither the server's nor mpmscope's (ns). */
double machine_other_ns(const struct run_model *r);
/* The basis a metric of scenario/metrics.h is explained on. */
enum attr_basis attr_basis_of(const char *metric);

#endif
