/* SPDX-License-Identifier: MIT */
/*
 * The built-in HTTP/1.1 load generator. Knows nothing of BPF or Apache: it is
 * given a loopback URL and a load shape, and returns what the client saw,
 * with each connection's local port and CLOCK_MONOTONIC times kept so that the
 * tracer's kernel records (same clock, peer port) can be joined to them.
 */
#ifndef MPMSCOPE_LOAD_LOADGEN_H
#define MPMSCOPE_LOAD_LOADGEN_H

#include <netinet/in.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hdr.h"
#include "base/util.h"

/* Failure classes, as mpmscope sees the truth. */
enum lg_fail {
	LG_FAIL_CONNECT,   /* connect() failed or was refused */
	LG_FAIL_RESET,     /* ECONNRESET while sending or reading a response */
	LG_FAIL_EOF,       /* peer closed before a complete response (not an idle keep-alive close) */
	LG_FAIL_TIMEOUT,   /* no complete response within the timeout */
	LG_FAIL_STATUS,    /* HTTP status >= 400 */
	LG_FAIL_LENGTH,    /* body shorter/longer than Content-Length, or a malformed response */
	LG_FAIL_WRITE,     /* send() failed other than by a reset */
	LG_FAIL_TLS,       /* the TLS handshake failed (protocol error, bad certificate) */
	LG_FAIL__MAX
};
const char *lg_fail_name(enum lg_fail f); /* "connect", "reset", "eof", ... */

/* How a connection ended, from the client's side. */
enum lg_close {
	LG_CLOSE_NONE,          /* still open / never opened */
	LG_CLOSE_CLIENT,        /* we closed it (run over, or non keep-alive after response) */
	LG_CLOSE_SERVER_CLOSE,  /* response carried "Connection: close", server then closed */
	LG_CLOSE_SERVER_IDLE,   /* server closed an idle keep-alive connection before answering (retried) */
	LG_CLOSE_SERVER_EOF,    /* server closed mid-response */
	LG_CLOSE_RESET,         /* RST received */
	LG_CLOSE_TIMEOUT,       /* we gave up waiting */
	LG_CLOSE_CONNECT_FAIL,  /* connect failed */
	LG_CLOSE__MAX
};

struct lg_config {
	char host[64];          /* numeric IPv4/IPv6 address, loopback unless allow_remote */
	uint16_t port;
	char path[256];         /* request target, "/test.html" */
	char host_header[128];  /* Host: header value */
	uint64_t requests;      /* -n: total requests (0: until duration) */
	double duration_s;      /* -t: stop after this many seconds (0: until requests) */
	unsigned connections;   /* -c: concurrent connections */
	unsigned threads;       /* event-loop threads (0: one per core, at most connections) */
	bool keepalive;         /* -k */
	double rate;            /* --rate: total requests/s, open loop (0: closed loop) */
	unsigned hold;          /* --hold: extra idle keep-alive connections (one request, then idle) */
	double ramp_s;          /* --ramp: open connections gradually over this many seconds */
	double timeout_s;       /* per request (default 30) */
	bool record_conns;      /* keep one lg_conn per connection (for kernel joins) */
	bool allow_remote;      /* the user named a non-loopback host explicitly */
	/* https:// (OpenSSL, TLS 1.2 or later; one SSL_CTX per run) */
	bool tls;
	bool tls_resume;        /* offer each slot's last session again (tickets, session IDs) */
	char tls_sni[64];       /* server name sent (SNI): a host name only, never an IP address */
	char tls_ca_file[300];  /* verify the server's certificate against this PEM (and its IP);
				 * empty: no verification, as ab, wrk and h2load */
	pid_t watch_pid;        /* stop the load as soon as this process exits (0: none):
				 * the server's parent, so that a dead server ends the run */
	/* if set, complete responses are also added here as they come, for a
	 * live progress line (relaxed atomic adds: the caller only reads it) */
	_Atomic uint64_t *live_completed;
};

/* One client connection, kept when record_conns is set. Times are CLOCK_MONOTONIC ns. */
struct lg_conn {
	uint16_t local_port;    /* host order: the server sees this as the peer port */
	uint8_t close;          /* enum lg_close */
	uint8_t held;           /* a --hold connection */
	uint32_t requests;      /* responses completed on it */
	uint64_t t_connect;     /* connect() called */
	uint64_t t_established; /* connect completed */
	uint64_t t_close;       /* closed (0: still open at the end) */
};

/* One failed request, kept when record_conns is set (first LG_FAIL_RECORDS_MAX):
 * the tracer's records of the same connection explain it. */
struct lg_failure {
	uint8_t cls;            /* enum lg_fail */
	uint8_t reused;         /* it went on a connection that had served requests before */
	uint16_t local_port;    /* 0 if the socket never had one */
	uint16_t status;        /* HTTP status for LG_FAIL_STATUS */
	uint8_t retried;        /* not a failure: 1 an idle keep-alive close that cost a retry on a new
				 * connection; 2 an idle close seen before any request was lost */
	uint8_t pad;
	uint32_t conn_requests; /* responses completed on that connection before */
	uint64_t t_start;       /* the request began (CLOCK_MONOTONIC ns) */
	uint64_t t_fail;        /* the failure was seen */
};
#define LG_FAIL_RECORDS_MAX 100000u

/* One second of the run. */
struct lg_tick {
	uint64_t completed, failed;
	uint32_t open_conns;    /* at the end of the second */
	uint64_t p99_us;
};

struct lg_result {
	uint64_t requested;         /* what the run was asked to do (0 if duration-bound) */
	uint64_t started;           /* requests sent at least once */
	uint64_t completed;         /* complete responses with status < 400 */
	uint64_t failed;            /* sum of failed_by[] */
	uint64_t failed_by[LG_FAIL__MAX];
	uint64_t status_2xx, status_3xx, status_4xx, status_5xx;
	uint64_t retried_idle_close; /* "closed by server while idle": retried once, not a failure */
	uint64_t server_idle_closes; /* keep-alive connections the server closed without a
				      * "Connection: close" (retried ones included; the others were
				      * seen closing before reuse and simply replaced) */
	uint64_t keepalive_reused;  /* requests sent on an already used connection */
	uint64_t connections;       /* connections opened (connect() called), hold included */
	uint64_t bytes_read, body_bytes;
	/* What ab would have counted for the same run (ab's classes). */
	uint64_t ab_connect, ab_receive, ab_length, ab_exceptions;
	/* --hold connections: their one request each is not part of -n nor of
	 * completed/failed/latency; it is counted here only. */
	uint64_t hold_completed, hold_failed;
	uint64_t abandoned;         /* in flight when -t expired or on interrupt: not counted */
	uint64_t t_start, t_end;    /* CLOCK_MONOTONIC ns: first connect, last response/close */
	double duration_s;
	double rps;                 /* complete responses (any status) per second of duration_s */
	struct hdr *latency;       /* us; from intended send time in rate mode */
	struct hdr *latency_uncorrected; /* rate mode only (else NULL) */
	struct lg_tick *ticks;      /* one per second of the run */
	unsigned nticks;
	struct lg_conn *conns;      /* record_conns: every connection, in open order */
	size_t nconns;
	uint64_t conns_dropped;     /* records not kept (cap reached) */
	struct lg_failure *failures; /* record_conns: failed requests, in time order */
	size_t nfailures;
	/* TLS (cfg->tls): handshakes completed, full and resumed (SSL_session_reused),
	 * failed; the time from connect() to the handshake's end; bytes on the
	 * wire (records, handshakes included) */
	uint64_t tls_handshakes, tls_full, tls_resumed, tls_failed;
	uint64_t tls_bytes_in, tls_bytes_out;
	struct hdr *tls_handshake_us; /* NULL without TLS */
	char tls_protocol[16];      /* of the first handshake: "TLSv1.3" */
	char tls_cipher[64];
	/* the generator's own CPU time (its threads, getrusage RUSAGE_THREAD):
	 * on loopback the client shares the machine with the server */
	uint64_t cpu_user_ns, cpu_sys_ns;
	bool interrupted;           /* stopped early by sig_interrupted */
	bool watch_exited;          /* stopped early: cfg->watch_pid exited during the run */
};

/* At most this many lg_conn records are kept (res->conns_dropped counts the rest). */
#define LG_CONN_RECORDS_MAX 4000000u

/* Semantics, in short:
 * - Latency (us) runs from the request's start: connect() when it needed a new
 *   connection, else its write; in rate mode res->latency runs from the intended
 *   send time and res->latency_uncorrected from the actual start. Every complete
 *   response is recorded, whatever its status. A request retried after an idle
 *   close keeps its original start.
 * - -n is exact: completed + failed == requested unless interrupted or -t expired
 *   first (then completed + failed + abandoned == started).
 * - Failure classes: EOF before the headers were complete or inside a chunked
 *   body = LG_FAIL_EOF; a body short of its Content-Length, a malformed response,
 *   or bytes after it = LG_FAIL_LENGTH; read errors = LG_FAIL_RESET.
 * - An EOF or RST with 0 response bytes on a reused keep-alive connection is an
 *   idle close: retried once on a new connection (retried_idle_close).
 * - ab's classes: ab_connect = connect and TLS handshake failures; ab_receive = read errors (RST),
 *   retried ones included; ab_length = bodies whose length differs from the run's
 *   first response, early EOFs, malformed responses and the retried idle closes
 *   ended by a FIN (ab 2.4 counts those as Length); ab_exceptions = timeouts (ab
 *   itself would abort the run). Status >= 400 is not an ab failure.
 */

/* Parse "http://127.0.0.1:8080/path" into cfg host/port/path/host_header.
 * "https://" sets cfg->tls (default port 443). Rejects other schemes, missing host, bad ports, and (unless
 * allow_remote) addresses that are not loopback. Host names other than
 * "localhost" are not resolved (numeric only) so no traffic leaves by accident. */
int lg_parse_url(struct lg_config *cfg, const char *url, struct errbuf *e);

/* Fill defaults (timeout 30 s, threads, ...) and validate the shape: -c > 0,
 * -c <= -n when -n is set, at least one of -n / -t, rate >= 0, ...
 * Raises RLIMIT_NOFILE as far as needed and allowed. */
int lg_validate(struct lg_config *cfg, struct errbuf *e);

/* Run the load. Returns 0 when the run happened (even with failed requests,
 * or interrupted by sig_interrupted), -1 with e set when it could not run. */
int lg_run(const struct lg_config *cfg, struct lg_result *res, struct errbuf *e);
void lg_result_free(struct lg_result *res);

/* failed / (completed + failed), 0 to 1 (0 when nothing ran). */
double lg_failure_rate(const struct lg_result *r);

/* Names of the failure and close classes, as the reports print them. */
const char *lg_close_name(enum lg_close c); /* "client", "server_idle", ... */

#endif
