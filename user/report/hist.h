/* SPDX-License-Identifier: MIT */
/*
 * The kernel's log2 histograms in a terminal, in the layout runqlat and the
 * other libbpf-tools print (and bpftrace users read):
 *
 *      nsecs               : count    distribution
 *        256 -> 511        : 12       |*****                                   |
 *
 * The unit is the kernel's own, nanoseconds: slot i holds [2^i, 2^(i+1)) ns,
 * so the rows are exact (converting to microseconds would blur every row).
 */
#ifndef MPMSCOPE_REPORT_HIST_H
#define MPMSCOPE_REPORT_HIST_H

#include <stdbool.h>
#include <stdio.h>

#include "mpmscope.h"
#include "trace/tracer.h"

/* One histogram, its rows up to the last non-empty slot; nothing if empty. */
void hist_print_log2(FILE *out, const struct ms_hist *h, const char *unit);
/* trace --hist: the histograms of one interval (now - prev): run-queue
 * latency per role, off-CPU time per reason, listen-queue time and
 * keep-alive idle time (conns: the server's connections are followed), each
 * under a title line; the empty ones are left out. */
void hist_print_interval(FILE *out, const struct tracer_counts *now, const struct tracer_counts *prev, bool conns);

#endif
