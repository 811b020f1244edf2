/* SPDX-License-Identifier: MIT */
/*
 * The load generator's engine, shared by its own files: conn.c (one
 * connection slot's state machine) and run.c (the threads, their loop, the
 * merge). One epoll loop per thread, each owning a share of the connection
 * slots and its own statistics, merged once at the end. The only state
 * threads share is the -n ticket counter, ab's reference body length, and
 * flags to stop.
 *
 * A slot is one of the -c concurrent connections; it keeps its place while its
 * socket is replaced (non keep-alive, server closes, failures). Sockets are
 * edge-triggered: one read per readable edge (again only if the buffer filled),
 * one send per request.
 */
#ifndef MPMSCOPE_LOAD_ENGINE_H
#define MPMSCOPE_LOAD_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "load/http.h"
#include "load/loadgen.h"

#define RBUF_SIZE (64 * 1024)
#define MAX_EVENTS 256
#define SWEEP_NS (20 * NSEC_PER_MSEC)
#define TICK_NS NSEC_PER_SEC

enum cstate { CS_CLOSED, CS_CONNECTING, CS_HANDSHAKE, CS_WRITING, CS_READING, CS_IDLE, CS_DONE };

struct conn {
	struct lg_http http;
	uint64_t t_intended;    /* rate mode: when the request was due */
	uint64_t t_start;       /* the request began (ticket taken) */
	uint64_t t_attempt;     /* this attempt began (connect or write): timeouts */
	uint64_t next_due;      /* rate mode: next intended send */
	SSL *ssl;               /* https: this socket's TLS, NULL otherwise */
	SSL_SESSION *sess;      /* tls_resume: the slot's last session, offered again */
	uint32_t slot;          /* index among the run's -c slots */
	int fd;
	int32_t rec;            /* index in the thread's lg_conn records, -1 none */
	uint32_t woff;
	uint32_t on_fd;         /* responses completed on the current socket */
	uint8_t state;
	bool held, has_req, retried, queued;
};

struct tick_acc {
	uint64_t completed, failed;
	uint32_t open;
	struct hdr *h;
};

struct timer {
	uint64_t t;
	uint32_t i;
};

struct shared {
	const struct lg_config *cfg;
	struct sockaddr_storage addr;
	socklen_t alen;
	char req[768], hreq[768];
	size_t req_len, hreq_len;
	uint64_t t0, t_stop, interval_ns, step_ns, ramp_ns, timeout_ns;
	unsigned nslots, nthreads;
	size_t rec_cap;             /* per thread */
	_Atomic uint64_t tickets;
	_Atomic unsigned busy;      /* threads whose slots are not all done */
	_Atomic int abort_err;
	_Atomic bool connected;
	_Atomic bool tls_ok;        /* a TLS handshake has succeeded */
	char abort_msg[320];        /* abort_err == LG_ABORT_MSG: why (first writer wins) */
	SSL_CTX *ssl_ctx;           /* https: the run's one context */
	_Atomic uint64_t doclen;    /* ab's reference body length + 1 (0: unset) */
	_Atomic bool watch_exited;  /* cfg->watch_pid is gone: every thread stops */
	int pidfd;                  /* pidfd of cfg->watch_pid in thread 0's epoll, or -1 */
};

/* abort_err: a run stopped with sh->abort_msg (else an errno) */
#define LG_ABORT_MSG (-2)

/* epoll data of the pidfd: never a connection index */
#define WATCH_EV UINT32_MAX

struct lg_thread {
	struct shared *sh;
	pthread_t tid;
	int epfd;
	struct conn *c;
	unsigned nc, nhold, ndone, next_open, open;
	uint32_t *ready;
	unsigned nready;
	struct timer *heap;
	unsigned nheap;
	struct lg_result r;         /* counters only */
	struct hdr *lat, *lat_unc;
	struct hdr *hs;             /* TLS handshake time, us */
	struct vec ticks;           /* struct tick_acc */
	unsigned ticks_closed;
	struct vec recs;            /* struct lg_conn */
	struct vec fails;           /* struct lg_failure */
	uint64_t t_first, t_last;
	bool pwait2_missing;
	char rbuf[RBUF_SIZE];
};

/* cfg->host/port as a socket address. */
int lg_sockaddr(const struct lg_config *cfg, struct sockaddr_storage *ss, socklen_t *len, struct errbuf *e);

/* conn.c: a slot's life */
void lg_queue(struct lg_thread *t, struct conn *c);
struct timer lg_heap_pop(struct lg_thread *t);
struct tick_acc *lg_tick_at(struct lg_thread *t, uint64_t now);
void lg_ticks_close(struct lg_thread *t, uint64_t now);
void lg_conn_connect(struct lg_thread *t, struct conn *c, uint64_t now);
void lg_conn_close(struct lg_thread *t, struct conn *c, enum lg_close why, uint64_t now);
void lg_slot_done(struct lg_thread *t, struct conn *c, uint64_t now);
void lg_slot_next(struct lg_thread *t, struct conn *c, uint64_t now);
void lg_on_event(struct lg_thread *t, struct conn *c, uint32_t ev);
void lg_sweep_timeouts(struct lg_thread *t, uint64_t now);
uint64_t lg_slot_open_time(const struct shared *sh, uint32_t slot);

/* tls.c: OpenSSL over the slot's socket (see there) */
int lg_tls_init(struct shared *sh, struct errbuf *e);
void lg_tls_free(struct shared *sh);
int lg_tls_start(struct lg_thread *t, struct conn *c);
/* 0 done, EAGAIN not yet, else an errno (EPROTO: a TLS error, said in why) */
int lg_tls_handshake(struct lg_thread *t, struct conn *c, char *why, size_t n);
void lg_tls_done(struct lg_thread *t, struct conn *c, uint64_t now);
ssize_t lg_tls_read(struct conn *c, void *buf, size_t len);
ssize_t lg_tls_write(struct conn *c, const void *buf, size_t len);
void lg_tls_close(struct lg_thread *t, struct conn *c, bool drain);
void lg_tls_forget(struct conn *c);

#endif
