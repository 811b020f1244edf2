/* SPDX-License-Identifier: MIT */
/*
 * Renderers: they only read the run model (and the load result, the
 * tracer's counters): text tables (text.c), JSON (json.c, load.c), CSV,
 * HTML with SVG plots, the Prometheus text format, explain's story.
 */
#ifndef MPMSCOPE_REPORT_REPORT_H
#define MPMSCOPE_REPORT_REPORT_H

#include <stdio.h>

#include "base/json.h"
#include "load/loadgen.h"
#include "model/attrib.h"
#include "model/claims.h"
#include "model/model.h"
#include "model/sweep.h"
#include "scenario/scenario.h"

/* The version of the JSON documents' shape (doc/schema/): one more when a
 * field is renamed, removed or changes meaning; added fields keep it. */
#define REPORT_SCHEMA_VERSION 1

struct report {
	const char *kind;          /* the JSON's "kind": NULL "compare" (compare, run), "trace" */
	const struct scenario *sc;
	const char *httpd;
	const char *httpd_version;
	struct run_model *runs;
	int nruns;
	bool interrupted;
	struct claim_result claims[SC_MAX_EXPECT];
	int nclaims;
	/* every pair of MPMs on every basis (model/attrib.h); the claims point here */
#define REPORT_MAX_ACCOUNTS (3 * ATTR__MAX)
	struct attribution accts[REPORT_MAX_ACCOUNTS];
	int naccts;
	/* compare --sweep: every point's curves; the runs above are then the
	 * last point's (the one whose detail the reports keep) */
	const struct sweep *sweep;
	bool compact;              /* the table of one point of a sweep: the summary only */
};

/* The notes under the summary table, as plain text shared by the text and
 * HTML renderers: what the columns do not say on their own. An empty note
 * is not shown. */
enum run_note {
	NOTE_SUMMARY,            /* processes per phase, threads, connections and accepts */
	NOTE_FAILED,             /* "failed: reset 3 timeout 2" */
	NOTE_ACCEPT_ERRORS,      /* "accept errors: EAGAIN 12" */
	NOTE_SIGNALLED,          /* server processes ended by a signal */
	NOTE_LOST,               /* "WARNING: ... kernel records lost" */
	NOTE__MAX
};
struct run_notes {
	char text[NOTE__MAX][512];
};
void report_run_notes(const struct run_model *r, struct run_notes *n);

/* The seed's table (time taken, req/s, failure rate) extended with kernel facts. */
void report_table(const struct report *rep, FILE *out);
/* compare --sweep (report/sweep.c): the curves as tables, one per metric
 * (rows the points, columns the MPMs), the knees and the claims at each
 * point; and the sweep object of the JSON. */
void report_sweep_table(const struct report *rep, FILE *out);
void report_json_sweep(struct json *j, const struct sweep *sw);
/* compare -s all: every claim's verdict in one list. */
void report_verdicts(const struct report *reps, int nreps, FILE *out);
/* Only the kernel's sections (creation, memory, scheduler, connections). */
void report_kernel_tables(const struct report *rep, FILE *out);
/* Every failed request's (or, attached, connection's) cause, per MPM, the
 * kernel's evidence and Apache's log beside. */
void report_failures(const struct report *rep, FILE *out);
/* Why (report/why.c): an account's headline, one of its causes, and a
 * claim's accounts under its verdict in the text report. */
void report_why_headline(const struct attribution *at, char *buf, size_t n);
void report_why_cause(const struct attr_cause *c, enum attr_basis basis, char *buf, size_t n);
void report_why_claim(const struct report *rep, const struct claim_result *c, FILE *out);
/* Every fact as JSON, written atomically. */
int report_json(const struct report *rep, const char *path, struct errbuf *e);
/* Several scenarios (compare -s all): {"scenarios": [...], "expectations": [...]} */
int report_json_all(const struct report *reps, int nreps, const char *path, struct errbuf *e);

/* The load result as one JSON object, the same for every command: its
 * config, what the client saw, how ab would have counted it, latency, the
 * timeline; with_conns: every connection's record (else "conns": null). */
void report_json_load(struct json *j, const struct lg_config *cfg, const struct lg_result *r, bool with_conns);
/* The head of every JSON document: schema_version, kind, tool. */
void report_json_head(struct json *j, const char *kind);
/* `mpmscope load --json`: the head and the load result's fields in one object. */
int report_json_load_doc(const struct lg_config *cfg, const struct lg_result *r, const char *path, struct errbuf *e);
/* The text summary of `mpmscope load`: ab's fields and wrk's units. */
void report_load_summary(const struct lg_config *cfg, const struct lg_result *res, FILE *out);

#endif
