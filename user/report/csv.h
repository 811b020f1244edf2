/* SPDX-License-Identifier: MIT */
/*
 * CSV report: a header line, then one row per MPM run with its flat scalar
 * facts (the columns are listed in README.md, "Reports"); for compare
 * --sweep, one row per point and MPM with the curves' values instead. Fields
 * are quoted per RFC 4180 when they need it; lines end with LF. Empty field:
 * no value (the MPM did not run, nothing was measured, or memory was not
 * sampled).
 */
#ifndef MPMSCOPE_REPORT_CSV_H
#define MPMSCOPE_REPORT_CSV_H

#include "base/util.h"
#include "report/report.h"

/* Written atomically (temporary file, then renamed). */
int report_csv(const struct report *rep, const char *path, struct errbuf *e);
/* compare -s all: one header, then the rows of every scenario (the first
 * column, scenario, tells them apart). */
int report_csv_all(const struct report *reps, int nreps, const char *path, struct errbuf *e);

#endif
