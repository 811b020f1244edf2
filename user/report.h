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
