/* SPDX-License-Identifier: MIT */
/*
 * Connections of the server, from the kernel's per-connection summaries
 * (MS_EV_CONN_END records): folded as they come into an aggregate of flat
 * size, so that compare (at the end) and trace and serve (while running,
 * for hours) count them in one way.
 */
#ifndef MPMSCOPE_MODEL_CONNS_H
#define MPMSCOPE_MODEL_CONNS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/dist.h"
#include "base/hdr.h"
#include "mpmscope.h"
#include "trace/tracer.h"

/* Who ended a connection: a reset first (either side), then the first FIN. */
enum closer { CLOSER_SERVER_FIN, CLOSER_CLIENT_FIN, CLOSER_SERVER_RST, CLOSER_CLIENT_RST, CLOSER_OTHER, CLOSER__MAX };
const char *closer_name(enum closer c); /* "server_fin" ... "other": JSON keys, Prometheus labels */
enum closer conn_closer(const struct ms_conn *c);

/* The counters of an aggregate (plain values: a copy is a snapshot). */
struct conn_counts {
	uint64_t connections;      /* handshakes completed on the server's ports, then closed */
	uint64_t never_accepted;   /* closed while still in the listen queue */
	uint64_t requests, idle_gaps, handed_off;
	uint64_t closes[CLOSER__MAX];
	uint32_t max_requests;     /* on one connection */
	double idle_max_us;        /* the longest idle gap of any connection */
};

struct conn_agg {
	struct conn_counts n;
	struct hdr *listen_q_us, *linger_us; /* exact to 3 digits, fixed size */
};
void conn_agg_init(struct conn_agg *a);
void conn_agg_add(struct conn_agg *a, const struct ms_event *conn_end);
void conn_agg_free(struct conn_agg *a);

/* The connection facts of a run. */
struct conn_facts {
	bool available;                    /* sock_recv/send_length tracepoints present */
	uint64_t connections;              /* handshakes completed on the server's port and closed */
	uint64_t joined;                   /* matched to a load-generator connection (port + time) */
	uint64_t never_accepted;
	uint64_t requests;
	double requests_per_conn;
	uint32_t max_requests_per_conn;
	struct dist listen_queue_us;       /* exact, from the records */
	struct dist keepalive_idle_us;     /* kernel histogram: gaps that ended with a new request */
	struct dist idle_before_close_us;  /* response -> close (Connection: close, or an expiry) */
	double keepalive_idle_max_us;      /* exact */
	uint64_t idle_gaps;
	double held_task_seconds;          /* tasks blocked on idle keep-alive connections */
	uint64_t closes[CLOSER__MAX];
	struct dist linger_us;             /* server FIN -> socket closed */
	uint64_t handed_off;               /* connections served by more than one task */
	struct dist req_read_us, req_handle_us, req_write_us;
	/* the kernel's log2 histograms of the listen-queue time and the
	 * keep-alive idle gaps (the latter is keepalive_idle_us) */
	struct ms_hist listen_q_khist, ka_idle_khist;
};

/* The facts from an aggregate and the kernel's counters (its histograms,
 * held task-seconds); missing_tps: the optional tracepoints the kernel lacks. */
void conn_facts_from(struct conn_facts *f, const struct conn_agg *a, const struct tracer_counts *c,
		     const char *missing_tps);

#endif
