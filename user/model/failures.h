/* SPDX-License-Identifier: MIT */
/*
 * Root causes of failed requests: every request the client could not
 * complete is joined (client port and time) to the kernel's record of its
 * connection, and to what the server's tasks did, and given a cause with the
 * evidence. Apache's error log is read and shown beside, never instead.
 */
#ifndef MPMSCOPE_MODEL_FAILURES_H
#define MPMSCOPE_MODEL_FAILURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/loadgen.h"
#include "trace/netstat.h"

#define FAIL_MAX_ROWS 32
#define FAIL_MAX_CODES 24

enum fail_cause {
	FC_KEEPALIVE_TIMEOUT,   /* server FIN on an idle keep-alive connection at KeepAliveTimeout */
	FC_MAX_KEEPALIVE,       /* server FIN after MaxKeepAliveRequests + 1 requests */
	FC_EVENT_BUSY_CLOSE,    /* event closed an idle keep-alive connection early (connection limit) */
	FC_SERVER_FIN_IDLE,     /* server FIN on an idle connection, other reason */
	FC_SERVER_FIN_EARLY,    /* the server closed before answering */
	FC_SERVER_RST,          /* RST sent by the server */
	FC_TASK_KILLED,         /* the server task serving it was killed by a signal */
	FC_TASK_EXITED,         /* the server task serving it exited (status) */
	FC_NEVER_ACCEPTED,      /* never accepted: waited in the listen queue until the client gave up */
	FC_LISTEN_OVERFLOW,     /* no connection at all: SYN or handshake dropped (listen backlog overflow) */
	FC_CONNECT_OTHER,       /* connect failed, no overflow seen */
	FC_SLOW_RESPONSE,       /* accepted, served, but the response took longer than the client's timeout */
	FC_HTTP_STATUS,         /* the server answered with an error status */
	FC_CLIENT_RST,          /* the client side reset it */
	FC_NO_RECORD,           /* no kernel record of the connection (records lost?) */
	FC_KEEPALIVE_RACE,      /* a request crossed the server's close of an idle keep-alive connection */
	FC__MAX
};

const char *fail_cause_id(enum fail_cause c);

struct failure_row {
	uint8_t retried;        /* not a failure: 1 an idle keep-alive close the client retried, 2 one it saw
				 * while idle (ab would count either as a failure) */
	char client_class[16];  /* what mpmscope's client saw (lg_fail_name) */
	char ab_class[24];      /* how ab would have counted it */
	enum fail_cause cause;
	char cause_text[200];
	uint64_t count;
	char example[400];      /* one instance: port, times, task ids, evidence */
};

struct errlog_code {
	char code[8];           /* AH00161 */
	uint64_t count;
	char line[240];         /* the first line with it */
};

struct failure_facts {
	struct failure_row rows[FAIL_MAX_ROWS];
	int nrows;
	uint64_t failed;        /* failed requests analysed (may be < the total when records were capped) */
	uint64_t retried;       /* idle keep-alive closes retried by the client, analysed too */
	uint64_t explained;     /* given a cause other than "no record" */
	struct netstat net;     /* load phase (this network namespace) */
	uint64_t synack_retrans, conn_unaccepted;
	uint64_t create_failed;
	uint32_t tasks_killed, tasks_failed; /* server processes ended by a signal / a non-zero status */
	int last_signal;
	struct errlog_code codes[FAIL_MAX_CODES];
	int ncodes;
	/* the listen queue, from the SYN watcher (bpf/listen.bpf.c) */
	const char *syn_watch;  /* how drops were seen per client, or "off: why" (NULL: not asked) */
	struct listen_fact {
		uint16_t port;
		uint64_t kernel_drops; /* the listener's own count (sk_drops), during the trace */
		uint64_t syn_drops, ack_drops;
		uint32_t backlog, peak, queue; /* queue: at the end */
	} listen[4];
	int nlisten;
	uint64_t never_in;      /* clients whose handshake was dropped and who never got in */
	uint64_t got_in_late;   /* ... who got in after one or more drops */
	uint64_t rst_after_close; /* RSTs the kernel sent on connections the server had closed */
	uint64_t http_4xx, http_5xx; /* from the access log (trace, serve) */
	bool access_log;        /* an access log was read */
};

struct run_model;
struct scenario;
struct ms_event;

#define FAIL_EVIDENCE_LINES 10

/* The row of (client class, kind, cause, text), made if new (the last row
 * takes what does not fit). */
struct failure_row *failure_row_for(struct failure_facts *ff, enum lg_fail cls, uint8_t retried, enum fail_cause cause,
				    const char *text);
/* How ab would count what a client saw. */
const char *failure_ab_class(enum lg_fail f);
/* One line of Apache's error log: its AH code counted (warn and worse).
 * Returns whether it was one. */
bool failures_errlog_line(struct failure_facts *ff, const char *line);

/* The kernel's evidence about a run's failures, one plain-text line each
 * ("kernel: ListenOverflows +9, ..."), for every renderer. Returns the count. */
int failures_evidence(const struct failure_facts *ff, char lines[][240], int max);

/* The server's processes that died (signal, non-zero status) and the
 * creations that failed, from r's kernel facts. */
void failures_server_tasks(struct failure_facts *ff, const struct run_model *r);
/* After model_build_kernel: the failures of r->load against the kernel's
 * records ev (sorted or not), the netstat difference, and the error log. */
void failures_build(struct run_model *r, const struct scenario *sc, const struct ms_event *ev, size_t nev,
		    const struct netstat *net_delta, const char *errlog_path, const char *stderr_log_path);

#endif
