/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained file (inline CSS, inline SVG plots, no
 * script, nothing fetched from the network) with the scenario's header, the
 * tables of the text report and the plots of every MPM run side by side.
 * Like every renderer, it only reads the run model.
 */
#ifndef MPMSCOPE_REPORT_HTML_H
#define MPMSCOPE_REPORT_HTML_H

#include "base/util.h"
#include "report/report.h"

/* Written atomically (temporary file, then renamed). */
int report_html(const struct report *rep, const char *path, struct errbuf *e);
/* compare -s all: one page, a table of contents, every claim's verdict
 * across the scenarios first, then one section per scenario (its element ids
 * prefixed "sN-", N its place from 1, its section "#sN"). */
int report_html_all(const struct report *reps, int nreps, const char *path, struct errbuf *e);

#endif
