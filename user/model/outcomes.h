/* SPDX-License-Identifier: MIT */
/*
 * What became of every connection to the server, from the kernel alone: the
 * server-side root cause of each connection that did not end with its
 * requests answered, and of each handshake that never got in. No load
 * generator is needed, so trace and serve explain the failures real clients
 * see; compare shows it beside its client-side join (failures.c).
 *
 * Records are folded as they come, into failure rows of flat size (the
 * same rows, causes and renderers as compare's failures), with one example
 * each: trace and serve run for hours in constant memory.
 */
#ifndef MPMSCOPE_MODEL_OUTCOMES_H
#define MPMSCOPE_MODEL_OUTCOMES_H

#include <stdbool.h>
#include <stdint.h>

#include "base/mpm.h"
#include "model/failures.h"
#include "mpmscope.h"

#define OUTCOME_RECENT 64

struct outcome_agg {
	enum mpm mpm;
	uint64_t t0;                 /* examples give times from here (CLOCK_MONOTONIC ns) */
	struct failure_facts ff;     /* rows, counts; the listen-queue evidence */
	uint64_t by_cause[FC__MAX];  /* failed connections by cause: only grows (Prometheus) */
	uint64_t conns;              /* connection records folded */
	uint64_t no_request;         /* closed before any request: not failures */
	uint64_t internal;           /* the server's own connections (prefork's dummy ones) */
	/* the last records, so that an RST the kernel sends after a close (its
	 * own record) can change what that close was */
	struct {
		struct ms_event ev;
		int cause;           /* enum fail_cause, or -1: not a failure */
		struct failure_row *row;
	} recent[OUTCOME_RECENT];
	unsigned nrecent;
	/* the server's own connects (MS_EV_CONNECT: prefork's dummy connections
	 * to wake its children): the connections they make are not clients' */
	struct { uint16_t lport, rport; uint64_t ts; } own[OUTCOME_RECENT];
	unsigned nown;
};

void outcomes_init(struct outcome_agg *o, enum mpm m, uint64_t t0);
/* A connection's record (MS_EV_CONN_END). Returns its cause (enum
 * fail_cause), -1 when nothing failed. */
int outcomes_conn(struct outcome_agg *o, const struct ms_event *ev);
/* A connection still open when the trace ends (tracer_open_conns): a
 * failure already if its client gave up on it. Returns its cause, or -1. */
int outcomes_open(struct outcome_agg *o, uint64_t sk, const struct ms_conn *c, uint64_t now);
/* A server task connected somewhere (MS_EV_CONNECT). */
void outcomes_connect(struct outcome_agg *o, const struct ms_event *ev);
/* The kernel reset a closed connection (MS_EV_RST_AFTER_CLOSE): what that
 * connection's cause is now (-1: not a failure, or not found). */
int outcomes_rst_after_close(struct outcome_agg *o, const struct ms_event *ev);
/* A client whose handshake was dropped (full accept queue) and who did not
 * get in (tracer_reap_syn_waits). */
void outcomes_never_in(struct outcome_agg *o, const struct ms_client *cl, const struct ms_syn_wait *w);
/* A response of the access log with status >= 400, and its line. */
void outcomes_http_status(struct outcome_agg *o, unsigned status, const char *line);
/* The listen queue's counters (per server port) and how drops were seen. */
void outcomes_listen(struct outcome_agg *o, const uint16_t *ports, int nports, const struct ms_listener *now,
		     const struct ms_listener *base, const char *syn_watch);
/* "127.0.0.1:41234", or "[::1]:41234" (addr as ms_conn.raddr). */
void outcome_client_str(char *buf, size_t n, const __u32 addr[4], uint16_t port);
/* What the server's tasks were blocked in when a client gave up: e.g.
 * "0 free, 10 waiting for a backend (a CGI, php-fpm, a proxied upstream)". */
int outcome_busy_str(char *buf, size_t n, const struct ms_busy *b);
/* Failed connections so far, every cause. */
uint64_t outcomes_failed(const struct outcome_agg *o);

#endif
