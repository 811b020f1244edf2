/* SPDX-License-Identifier: MIT */
/*
 * The connection log (trace --conn-log FILE): one JSON object per line for
 * every connection of the server as it closes, every reset after a close,
 * and every client whose dropped handshake never got in, with the cause
 * mpmscope gave it. Written as the records come (a line is whole, or not
 * there), for the engineer who wants one client's story, or to join the
 * server's view to a client's own log by address and port.
 */
#ifndef MPMSCOPE_REPORT_CONNLOG_H
#define MPMSCOPE_REPORT_CONNLOG_H

#include <stdint.h>
#include <stdio.h>

#include "mpmscope.h"

/* t0: times are given in seconds from it (CLOCK_MONOTONIC ns); cause: enum
 * fail_cause, or -1 for none. */
void connlog_conn(FILE *f, uint64_t t0, const struct ms_event *ev, int cause);
void connlog_rst_after_close(FILE *f, uint64_t t0, const struct ms_event *ev, int cause);
void connlog_never_in(FILE *f, uint64_t t0, const struct ms_client *cl, const struct ms_syn_wait *w);

#endif
