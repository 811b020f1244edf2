/* SPDX-License-Identifier: MIT */
/* Renderers: they only read the run model. */
#ifndef MPMSCOPE_REPORT_H
#define MPMSCOPE_REPORT_H

#include <stdio.h>

#include "claims.h"
#include "model.h"
#include "scenario.h"

struct report {
	const struct scenario *sc;
	const char *httpd;
	const char *httpd_version;
	struct run_model *runs;
	int nruns;
	bool interrupted;
	struct claim_result claims[SC_MAX_EXPECT];
	int nclaims;
};

/* The notes under the summary table, as plain text shared by the text and
 * HTML renderers: what the columns do not say on their own. */
struct run_notes {
	char summary[320];       /* processes per phase, threads, connections and accepts */
	char failed[256];        /* failed requests by class ("" if none) */
	char accept_errors[512]; /* accept errors by errno ("" if none) */
};
void report_run_notes(const struct run_model *r, struct run_notes *n);

/* The seed's table (time taken, req/s, failure rate) extended with kernel facts. */
void report_table(const struct report *rep, FILE *out);
/* compare -s all: every claim's verdict in one list. */
void report_verdicts(const struct report *reps, int nreps, FILE *out);
/* Only the kernel's sections (creation, memory, scheduler, connections). */
void report_kernel_tables(const struct report *rep, FILE *out);
/* Every fact as JSON, written atomically. */
int report_json(const struct report *rep, const char *path, struct errbuf *e);
/* Several scenarios (compare -s all): {"scenarios": [...], "expectations": [...]} */
int report_json_all(const struct report *reps, int nreps, const char *path, struct errbuf *e);

#endif
