// SPDX-License-Identifier: MIT
/*
 * The load generator's engine: one epoll loop per thread, each owning a share
 * of the connection slots and its own statistics, merged once at the end. The
 * only state threads share is the -n ticket counter, ab's reference body
 * length, and flags to stop.
 *
 * A slot is one of the -c concurrent connections; it keeps its place while its
 * socket is replaced (non keep-alive, server closes, failures). Sockets are
 * edge-triggered: one read per readable edge (again only if the buffer filled),
 * one send per request.
 */
#include "loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lg_http.h"
#include "lg_internal.h"

#define RBUF_SIZE (64 * 1024)
#define MAX_EVENTS 256
#define SWEEP_NS (20 * NSEC_PER_MSEC)
#define TICK_NS NSEC_PER_SEC

enum cstate { CS_CLOSED, CS_CONNECTING, CS_WRITING, CS_READING, CS_IDLE, CS_DONE };

struct conn {
	struct lg_http http;
	uint64_t t_intended;    /* rate mode: when the request was due */
	uint64_t t_start;       /* the request began (ticket taken) */
	uint64_t t_attempt;     /* this attempt began (connect or write): timeouts */
	uint64_t next_due;      /* rate mode: next intended send */
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
	struct hist *h;
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
	_Atomic uint64_t doclen;    /* ab's reference body length + 1 (0: unset) */
	_Atomic bool watch_exited;  /* cfg->watch_pid is gone: every thread stops */
	int pidfd;                  /* pidfd of cfg->watch_pid in thread 0's epoll, or -1 */
};

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
	struct hist *lat, *lat_unc;
	struct vec ticks;           /* struct tick_acc */
	unsigned ticks_closed;
	struct vec recs;            /* struct lg_conn */
	struct vec fails;           /* struct lg_failure */
	uint64_t t_first, t_last;
	bool pwait2_missing;
	char rbuf[RBUF_SIZE];
};

static void slot_next(struct lg_thread *t, struct conn *c, uint64_t now);
static void do_write(struct lg_thread *t, struct conn *c);

/* ---- small containers -------------------------------------------------------- */

static void heap_push(struct lg_thread *t, uint64_t when, uint32_t i)
{
	unsigned k = t->nheap++;

	while (k) {
		unsigned p = (k - 1) / 2;

		if (t->heap[p].t <= when)
			break;
		t->heap[k] = t->heap[p];
		k = p;
	}
	t->heap[k] = (struct timer){ when, i };
}

static struct timer heap_pop(struct lg_thread *t)
{
	struct timer top = t->heap[0], last = t->heap[--t->nheap];
	unsigned k = 0, n = t->nheap;

	for (;;) {
		unsigned l = 2 * k + 1, m;

		if (l >= n)
			break;
		m = (l + 1 < n && t->heap[l + 1].t < t->heap[l].t) ? l + 1 : l;
		if (t->heap[m].t >= last.t)
			break;
		t->heap[k] = t->heap[m];
		k = m;
	}
	if (n)
		t->heap[k] = last;
	return top;
}

static void queue(struct lg_thread *t, struct conn *c)
{
	if (c->queued || c->held)
		return;
	c->queued = true;
	t->ready[t->nready++] = (uint32_t)(c - t->c);
}

static struct tick_acc *tick_at(struct lg_thread *t, uint64_t now)
{
	size_t i = now > t->sh->t0 ? (now - t->sh->t0) / TICK_NS : 0;

	while (t->ticks.len <= i)
		vec_push(&t->ticks);
	return vec_at(&t->ticks, struct tick_acc, i);
}

static void ticks_close(struct lg_thread *t, uint64_t now)
{
	size_t cur = now > t->sh->t0 ? (now - t->sh->t0) / TICK_NS : 0;

	while (t->ticks_closed < cur) {
		tick_at(t, t->sh->t0 + (uint64_t)t->ticks_closed * TICK_NS)->open = t->open;
		t->ticks_closed++;
	}
}

static struct lg_conn *rec_of(struct lg_thread *t, struct conn *c)
{
	return c->rec >= 0 ? vec_at(&t->recs, struct lg_conn, c->rec) : NULL;
}

/* ---- connection lifecycle ---------------------------------------------------- */

static void conn_close(struct lg_thread *t, struct conn *c, enum lg_close why, uint64_t now)
{
	struct lg_conn *rec = rec_of(t, c);

	/* Seconds that ended before this close saw it open. */
	ticks_close(t, now);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		t->open--;
	}
	if (rec) {
		rec->close = (uint8_t)why;
		rec->t_close = now;
	}
	c->rec = -1;
	c->on_fd = 0;
	c->state = CS_CLOSED;
}

static void count_fail(struct lg_thread *t, enum lg_fail cls, uint64_t now)
{
	t->r.failed_by[cls]++;
	t->r.failed++;
	tick_at(t, now)->failed++;
	t->t_last = now;
	switch (cls) {
	case LG_FAIL_CONNECT: t->r.ab_connect++; break;
	case LG_FAIL_RESET: t->r.ab_receive++; break;
	case LG_FAIL_EOF: case LG_FAIL_LENGTH: t->r.ab_length++; break;
	case LG_FAIL_TIMEOUT: t->r.ab_exceptions++; break;
	default: break;
	}
}

/* Keep the failed request for the kernel-side root cause. */
static void record_fail(struct lg_thread *t, struct conn *c, enum lg_fail cls, int status, uint64_t now)
{
	struct lg_conn *rec = rec_of(t, c);
	struct lg_failure *f;

	if (!t->sh->cfg->record_conns || t->fails.len >= LG_FAIL_RECORDS_MAX / t->sh->nthreads)
		return;
	f = vec_push(&t->fails);
	f->cls = (uint8_t)cls;
	f->reused = c->on_fd > 0;
	f->local_port = rec ? rec->local_port : 0;
	f->status = (uint16_t)status;
	f->conn_requests = c->on_fd;
	f->t_start = c->t_start;
	f->t_fail = now;
	f->retried = 0;
}

static void conn_fail(struct lg_thread *t, struct conn *c, enum lg_fail cls, enum lg_close why)
{
	uint64_t now = now_ns();

	if (c->held) {
		t->r.hold_failed++;
	} else {
		count_fail(t, cls, now);
		record_fail(t, c, cls, 0, now);
	}
	conn_close(t, c, why, now);
	c->has_req = false;
	c->retried = false;
	if (c->held)
		c->state = CS_DONE;
	else
		queue(t, c);
}

/* The server closed a reused keep-alive connection before answering: RFC 7230
 * 6.3.1 lets a client retry an idempotent request once, on a new connection. */
static bool retry_idle_close(struct lg_thread *t, struct conn *c, bool reset)
{
	if (c->held || c->on_fd == 0 || c->http.bytes || c->retried)
		return false;
	t->r.retried_idle_close++;
	t->r.server_idle_closes++;
	if (reset)
		t->r.ab_receive++;
	else
		t->r.ab_length++;
	{
		/* kept beside the failures: ab would have counted it as one, and
		 * the kernel can tell why the server closed */
		uint64_t now = now_ns();
		size_t n = t->fails.len;

		record_fail(t, c, reset ? LG_FAIL_RESET : LG_FAIL_EOF, 0, now);
		if (t->fails.len > n)
			vec_at(&t->fails, struct lg_failure, n)->retried = 1;
	}
	conn_close(t, c, LG_CLOSE_SERVER_IDLE, now_ns());
	c->retried = true;
	queue(t, c);
	return true;
}

static void connect_failed(struct lg_thread *t, struct conn *c, int err)
{
	struct shared *sh = t->sh;
	int none = 0;

	/* Refused before anything ever connected: nobody listens, stop the run. */
	if (err == ECONNREFUSED && !atomic_load_explicit(&sh->connected, memory_order_relaxed))
		atomic_compare_exchange_strong(&sh->abort_err, &none, err);
	conn_fail(t, c, LG_FAIL_CONNECT, LG_CLOSE_CONNECT_FAIL);
}

static void conn_connect(struct lg_thread *t, struct conn *c, uint64_t now)
{
	struct shared *sh = t->sh;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	struct lg_conn *rec = NULL;
	int fd;

	c->t_attempt = now;
	if (!t->t_first)
		t->t_first = now;
	t->r.connections++;
	fd = socket(sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_fail(t, c, LG_FAIL_CONNECT, LG_CLOSE_CONNECT_FAIL);
		return;
	}
	c->fd = fd;
	ticks_close(t, now);
	t->open++;
	c->on_fd = 0;
	c->rec = -1;
	if (sh->cfg->record_conns) {
		if (t->recs.len < sh->rec_cap) {
			c->rec = (int32_t)t->recs.len;
			rec = vec_push(&t->recs);
			rec->held = c->held;
			rec->t_connect = now;
		} else {
			t->r.conns_dropped++;
		}
	}
	if (connect(fd, (struct sockaddr *)&sh->addr, sh->alen) < 0 && errno != EINPROGRESS) {
		connect_failed(t, c, errno);
		return;
	}
	if (rec) {
		struct sockaddr_storage la;
		socklen_t ll = sizeof(la);

		if (!getsockname(fd, (struct sockaddr *)&la, &ll))
			rec->local_port = ntohs(la.ss_family == AF_INET6
						 ? ((struct sockaddr_in6 *)&la)->sin6_port
						 : ((struct sockaddr_in *)&la)->sin_port);
	}
	ev.data.u32 = (uint32_t)(c - t->c);
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		connect_failed(t, c, errno);
		return;
	}
	c->state = CS_CONNECTING;
}

static void on_connected(struct lg_thread *t, struct conn *c, uint32_t ev)
{
	struct lg_conn *rec;
	int err = 0;
	socklen_t len = sizeof(err);

	/* A failed connect raises EPOLLERR (with EPOLLHUP); only then is SO_ERROR
	 * worth a syscall. Writable without an error means connected. */
	if (!(ev & EPOLLOUT) || (ev & (EPOLLERR | EPOLLHUP))) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
	}
	if (err) {
		connect_failed(t, c, err);
		return;
	}
	if (!atomic_load_explicit(&t->sh->connected, memory_order_relaxed))
		atomic_store(&t->sh->connected, true);
	rec = rec_of(t, c);
	if (rec)
		rec->t_established = now_ns();
	c->state = CS_WRITING;
	c->woff = 0;
	lg_http_reset(&c->http);
	do_write(t, c);
}

static void do_write(struct lg_thread *t, struct conn *c)
{
	const char *req = c->held ? t->sh->hreq : t->sh->req;
	size_t len = c->held ? t->sh->hreq_len : t->sh->req_len;

	for (;;) {
		ssize_t n = send(c->fd, req + c->woff, len - c->woff, MSG_NOSIGNAL);

		if (n >= 0) {
			c->woff += (uint32_t)n;
			if (c->woff < len)
				continue;
			c->state = CS_READING;
			return;
		}
		if (errno == EAGAIN) {
			c->state = CS_WRITING;
			return;
		}
		if (errno == EINTR)
			continue;
		if ((errno == EPIPE || errno == ECONNRESET) && retry_idle_close(t, c, errno == ECONNRESET))
			return;
		conn_fail(t, c, errno == ECONNRESET ? LG_FAIL_RESET : LG_FAIL_WRITE,
			  errno == ECONNRESET ? LG_CLOSE_RESET : LG_CLOSE_SERVER_EOF);
		return;
	}
}

/* Start (or restart) the slot's current request on its socket or a new one. */
static void start_request(struct lg_thread *t, struct conn *c, uint64_t now)
{
	if (c->fd >= 0 && c->state == CS_IDLE) {
		t->r.keepalive_reused++;
		c->t_attempt = now;
		c->woff = 0;
		lg_http_reset(&c->http);
		do_write(t, c);
	} else {
		if (c->fd >= 0)
			conn_close(t, c, LG_CLOSE_CLIENT, now);
		conn_connect(t, c, now);
	}
}

static bool take_ticket(struct shared *sh, uint64_t now)
{
	if (sh->t_stop && now >= sh->t_stop)
		return false;
	if (sh->cfg->requests &&
	    atomic_fetch_add_explicit(&sh->tickets, 1, memory_order_relaxed) >= sh->cfg->requests)
		return false;
	return true;
}

static void slot_done(struct lg_thread *t, struct conn *c, uint64_t now)
{
	if (c->state == CS_DONE)
		return;
	if (c->fd >= 0)
		conn_close(t, c, LG_CLOSE_CLIENT, now);
	c->state = CS_DONE;
	t->ndone++;
	if (now > t->t_last && c->has_req)
		t->t_last = now;
	c->has_req = false;
}

/* What a slot does once it has nothing in flight. */
static void slot_next(struct lg_thread *t, struct conn *c, uint64_t now)
{
	struct shared *sh = t->sh;

	if (c->state == CS_DONE)
		return;
	if (!c->has_req) {
		if (sh->interval_ns && c->next_due > now) {
			heap_push(t, c->next_due, (uint32_t)(c - t->c));
			return;
		}
		if (!take_ticket(sh, now)) {
			slot_done(t, c, now);
			return;
		}
		t->r.started++;
		c->has_req = true;
		c->retried = false;
		c->t_start = now;
		c->t_intended = sh->interval_ns ? c->next_due : now;
		c->next_due += sh->interval_ns;
	}
	start_request(t, c, now);
}

static void response_done(struct lg_thread *t, struct conn *c, uint32_t ev)
{
	struct shared *sh = t->sh;
	uint64_t now = now_ns(), lat, want, expect = 0;
	unsigned status = c->http.status;
	struct lg_conn *rec = rec_of(t, c);
	struct tick_acc *tk;
	bool server_gone = ev & (EPOLLRDHUP | EPOLLHUP);
	bool reuse;

	c->on_fd++;
	if (rec)
		rec->requests++;
	if (c->held) {
		if (status >= 400)
			t->r.hold_failed++;
		else
			t->r.hold_completed++;
		c->has_req = false;
		if (!c->http.keep_alive || server_gone)
			conn_close(t, c, c->http.keep_alive ? LG_CLOSE_SERVER_IDLE : LG_CLOSE_SERVER_CLOSE, now);
		else
			c->state = CS_IDLE;
		return;
	}

	lat = (now - (sh->interval_ns ? c->t_intended : c->t_start)) / NSEC_PER_USEC;
	hist_record(t->lat, lat);
	if (t->lat_unc)
		hist_record(t->lat_unc, (now - c->t_start) / NSEC_PER_USEC);
	tk = tick_at(t, now);
	if (!tk->h)
		tk->h = hist_new(1, 60000000, 1);
	hist_record(tk->h, lat);
	t->r.body_bytes += c->http.body;
	t->t_last = now;

	if (status < 300)
		t->r.status_2xx++;
	else if (status < 400)
		t->r.status_3xx++;
	else if (status < 500)
		t->r.status_4xx++;
	else
		t->r.status_5xx++;
	if (status >= 400) {
		count_fail(t, LG_FAIL_STATUS, now); /* ab: only "Non-2xx" */
		record_fail(t, c, LG_FAIL_STATUS, status, now);
	} else {
		t->r.completed++;
		if (sh->cfg->live_completed)
			atomic_fetch_add_explicit(sh->cfg->live_completed, 1, memory_order_relaxed);
		tk->completed++;
	}
	want = atomic_load_explicit(&sh->doclen, memory_order_relaxed);
	if (!want && !atomic_compare_exchange_strong(&sh->doclen, &expect, c->http.body + 1))
		want = expect;
	if (want && want != c->http.body + 1)
		t->r.ab_length++;

	c->has_req = false;
	c->retried = false;
	reuse = sh->cfg->keepalive && c->http.keep_alive && !server_gone;
	if (!reuse) {
		enum lg_close why = LG_CLOSE_CLIENT;

		if (!c->http.keep_alive) {
			why = LG_CLOSE_SERVER_CLOSE;
		} else if (server_gone && sh->cfg->keepalive) {
			/* Closed right behind the response, no "Connection: close". */
			why = LG_CLOSE_SERVER_IDLE;
			t->r.server_idle_closes++;
		}
		conn_close(t, c, why, now);
	} else {
		c->state = CS_IDLE;
	}
	slot_next(t, c, now);
}

static void on_eof(struct lg_thread *t, struct conn *c, uint32_t ev)
{
	if (retry_idle_close(t, c, false))
		return;
	if (lg_http_eof(&c->http) == LG_HTTP_DONE) {
		response_done(t, c, ev | EPOLLRDHUP);
		return;
	}
	conn_fail(t, c, lg_http_fail(&c->http), LG_CLOSE_SERVER_EOF);
}

static void do_read(struct lg_thread *t, struct conn *c, uint32_t ev)
{
	bool hup = ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);

	for (;;) {
		ssize_t n = read(c->fd, t->rbuf, sizeof(t->rbuf));

		if (n > 0) {
			enum lg_http_rc rc = lg_http_feed(&c->http, t->rbuf, (size_t)n);

			t->r.bytes_read += (uint64_t)n;

			if (rc == LG_HTTP_DONE) {
				response_done(t, c, ev);
				return;
			}
			if (rc == LG_HTTP_BAD) {
				conn_fail(t, c, lg_http_fail(&c->http), LG_CLOSE_CLIENT);
				return;
			}
			/* Edge-triggered: a short read drained the socket, and later
			 * bytes raise a new edge; a close already seen does not. */
			if ((size_t)n < sizeof(t->rbuf) && !hup)
				return;
			continue;
		}
		if (n == 0) {
			on_eof(t, c, ev);
			return;
		}
		if (errno == EAGAIN)
			return;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET && retry_idle_close(t, c, true))
			return;
		conn_fail(t, c, LG_FAIL_RESET, LG_CLOSE_RESET);
		return;
	}
}

/* An idle keep-alive socket became readable: the server closed it (or sent
 * bytes nobody asked for). Replace it when the slot next needs it. */
static void on_idle_event(struct lg_thread *t, struct conn *c, uint32_t ev)
{
	ssize_t n;

	if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	n = read(c->fd, t->rbuf, sizeof(t->rbuf));
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		uint64_t now = now_ns();
		size_t k = t->fails.len;

		t->r.server_idle_closes++;
		/* no request lost, but ab would have sent its next one here and
		 * counted a failure: kept so the kernel can tell why it closed */
		record_fail(t, c, LG_FAIL_EOF, 0, now);
		if (t->fails.len > k) {
			vec_at(&t->fails, struct lg_failure, k)->retried = 2;
			vec_at(&t->fails, struct lg_failure, k)->t_start = now;
		}
	} else {
		t->r.bytes_read += (uint64_t)n;
	}
	conn_close(t, c, n <= 0 ? LG_CLOSE_SERVER_IDLE : LG_CLOSE_CLIENT, now_ns());
	if (c->held)
		c->state = CS_DONE;
}

static void on_event(struct lg_thread *t, struct conn *c, uint32_t ev)
{
	switch (c->state) {
	case CS_CONNECTING:
		on_connected(t, c, ev);
		break;
	case CS_WRITING:
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			do_write(t, c);
		break;
	case CS_READING:
		if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			do_read(t, c, ev);
		break;
	case CS_IDLE:
		on_idle_event(t, c, ev);
		break;
	default:
		break;
	}
}

/* ---- the loop ------------------------------------------------------------------ */

static void sweep_timeouts(struct lg_thread *t, uint64_t now)
{
	uint64_t limit = t->sh->timeout_ns;

	for (unsigned i = 0; i < t->nc + t->nhold; i++) {
		struct conn *c = &t->c[i];

		if ((c->state == CS_CONNECTING || c->state == CS_WRITING || c->state == CS_READING) &&
		    now - c->t_attempt >= limit)
			conn_fail(t, c, LG_FAIL_TIMEOUT, LG_CLOSE_TIMEOUT);
	}
}

static uint64_t slot_open_time(const struct shared *sh, uint32_t slot)
{
	return sh->t0 + (uint64_t)((double)sh->ramp_ns * slot / sh->nslots);
}

static void wait_events(struct lg_thread *t, uint64_t now, uint64_t deadline)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t wait = deadline > now ? deadline - now : 0;
	int n = -1;

	if (!t->pwait2_missing) {
		struct timespec ts = { (time_t)(wait / NSEC_PER_SEC), (long)(wait % NSEC_PER_SEC) };

		n = epoll_pwait2(t->epfd, evs, MAX_EVENTS, &ts, NULL);
		if (n < 0 && errno == ENOSYS)
			t->pwait2_missing = true;
	}
	if (t->pwait2_missing)
		n = epoll_wait(t->epfd, evs, MAX_EVENTS, (int)((wait + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC));
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u32 == WATCH_EV)
			atomic_store(&t->sh->watch_exited, true);
		else
			on_event(t, &t->c[evs[i].data.u32], evs[i].events);
	}
}

static void *thread_main(void *arg)
{
	struct lg_thread *t = arg;
	struct shared *sh = t->sh;
	const struct lg_config *cfg = sh->cfg;
	uint64_t now = now_ns(), next_sweep = now + SWEEP_NS;
	bool main_done = false, exhausted = false;

	if (next_sweep > now + sh->timeout_ns / 4)
		next_sweep = now + sh->timeout_ns / 4 + 1;
	for (unsigned i = t->nc; i < t->nc + t->nhold; i++) {
		t->c[i].has_req = true;
		t->c[i].t_start = now;
		conn_connect(t, &t->c[i], now);
	}
	for (;;) {
		uint64_t deadline;

		now = now_ns();
		if (ms_interrupted || atomic_load_explicit(&sh->abort_err, memory_order_relaxed) ||
		    atomic_load_explicit(&sh->watch_exited, memory_order_relaxed))
			break;
		if (sh->t_stop && now >= sh->t_stop)
			break;
		if (!exhausted && cfg->requests &&
		    atomic_load_explicit(&sh->tickets, memory_order_relaxed) >= cfg->requests) {
			/* Nothing left to send: retire the slots with nothing in flight. */
			exhausted = true;
			for (unsigned i = 0; i < t->nc; i++)
				if (!t->c[i].has_req && !t->c[i].queued)
					slot_done(t, &t->c[i], now);
			t->next_open = t->nc;
		}
		while (t->next_open < t->nc && slot_open_time(sh, t->c[t->next_open].slot) <= now)
			queue(t, &t->c[t->next_open++]);
		while (t->nheap && t->heap[0].t <= now)
			queue(t, &t->c[heap_pop(t).i]);
		for (unsigned k = 0; k < t->nready && !ms_interrupted; k++) {
			struct conn *c = &t->c[t->ready[k]];

			c->queued = false;
			slot_next(t, c, now_ns());
		}
		t->nready = 0;
		now = now_ns();
		ticks_close(t, now);
		if (now >= next_sweep) {
			sweep_timeouts(t, now);
			next_sweep = now + (SWEEP_NS < sh->timeout_ns / 4 ? SWEEP_NS : sh->timeout_ns / 4 + 1);
		}
		if (!main_done && t->ndone == t->nc) {
			main_done = true;
			atomic_fetch_sub(&sh->busy, 1);
		}
		if (main_done && (!t->nhold || !atomic_load(&sh->busy)))
			break;

		deadline = next_sweep;
		if (sh->t0 + (uint64_t)(t->ticks_closed + 1) * TICK_NS < deadline)
			deadline = sh->t0 + (uint64_t)(t->ticks_closed + 1) * TICK_NS;
		if (t->nheap && t->heap[0].t < deadline)
			deadline = t->heap[0].t;
		if (t->next_open < t->nc && slot_open_time(sh, t->c[t->next_open].slot) < deadline)
			deadline = slot_open_time(sh, t->c[t->next_open].slot);
		if (sh->t_stop && sh->t_stop < deadline)
			deadline = sh->t_stop;
		if (t->nready)
			deadline = now;
		wait_events(t, now, deadline);
	}

	now = now_ns();
	if (!main_done) {
		atomic_fetch_sub(&sh->busy, 1);
		t->t_last = now;
	}
	ticks_close(t, now);
	tick_at(t, now)->open = t->open;
	for (unsigned i = 0; i < t->nc + t->nhold; i++) {
		struct conn *c = &t->c[i];

		if (c->has_req && !c->held)
			t->r.abandoned++;
		if (c->fd >= 0)
			conn_close(t, c, LG_CLOSE_CLIENT, now);
	}
	return NULL;
}

/* ---- run and merge ----------------------------------------------------------- */

static int build_request(char *buf, size_t size, size_t *len, const struct lg_config *cfg, bool ka)
{
	int n = snprintf(buf, size,
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mpmscope/%s\r\n"
			 "Accept: */*\r\nConnection: %s\r\n\r\n",
			 cfg->path, cfg->host_header, MPMSCOPE_VERSION, ka ? "keep-alive" : "close");

	if (n < 0 || (size_t)n >= size)
		return -1;
	*len = (size_t)n;
	return 0;
}

static int cmp_failure(const void *a, const void *b)
{
	const struct lg_failure *x = a, *y = b;

	return x->t_fail < y->t_fail ? -1 : x->t_fail > y->t_fail;
}

static int cmp_conn(const void *a, const void *b)
{
	const struct lg_conn *x = a, *y = b;

	return x->t_connect < y->t_connect ? -1 : x->t_connect > y->t_connect;
}

static void merge(struct shared *sh, struct lg_thread *ts, unsigned nt, struct lg_result *res)
{
	const struct lg_config *cfg = sh->cfg;
	size_t nticks = 0, nrec = 0, nfail = 0;
	struct hist *tmp;

	res->t_start = UINT64_MAX;
	for (unsigned i = 0; i < nt; i++) {
		struct lg_result *r = &ts[i].r;

		res->started += r->started;
		res->completed += r->completed;
		res->failed += r->failed;
		for (int k = 0; k < LG_FAIL__MAX; k++)
			res->failed_by[k] += r->failed_by[k];
		res->status_2xx += r->status_2xx;
		res->status_3xx += r->status_3xx;
		res->status_4xx += r->status_4xx;
		res->status_5xx += r->status_5xx;
		res->retried_idle_close += r->retried_idle_close;
		res->server_idle_closes += r->server_idle_closes;
		res->keepalive_reused += r->keepalive_reused;
		res->connections += r->connections;
		res->bytes_read += r->bytes_read;
		res->body_bytes += r->body_bytes;
		res->ab_connect += r->ab_connect;
		res->ab_receive += r->ab_receive;
		res->ab_length += r->ab_length;
		res->ab_exceptions += r->ab_exceptions;
		res->hold_completed += r->hold_completed;
		res->hold_failed += r->hold_failed;
		res->abandoned += r->abandoned;
		res->conns_dropped += r->conns_dropped;
		hist_merge(res->latency, ts[i].lat);
		if (res->latency_uncorrected)
			hist_merge(res->latency_uncorrected, ts[i].lat_unc);
		if (ts[i].t_first && ts[i].t_first < res->t_start)
			res->t_start = ts[i].t_first;
		if (ts[i].t_last > res->t_end)
			res->t_end = ts[i].t_last;
		if (ts[i].ticks.len > nticks)
			nticks = ts[i].ticks.len;
		nrec += ts[i].recs.len;
		nfail += ts[i].fails.len;
	}
	if (res->t_start == UINT64_MAX)
		res->t_start = sh->t0;
	if (res->t_end < res->t_start)
		res->t_end = res->t_start;
	res->requested = cfg->requests;
	res->duration_s = (double)(res->t_end - res->t_start) / 1e9;
	if (res->duration_s > 0)
		res->rps = (double)(res->completed + res->failed_by[LG_FAIL_STATUS]) / res->duration_s;

	res->ticks = xcalloc(nticks ? nticks : 1, sizeof(*res->ticks));
	res->nticks = (unsigned)nticks;
	tmp = hist_new(1, 60000000, 1);
	for (size_t s = 0; s < nticks; s++) {
		hist_reset(tmp);
		for (unsigned i = 0; i < nt; i++) {
			struct tick_acc *a;

			if (s >= ts[i].ticks.len)
				continue;
			a = vec_at(&ts[i].ticks, struct tick_acc, s);
			res->ticks[s].completed += a->completed;
			res->ticks[s].failed += a->failed;
			res->ticks[s].open_conns += a->open;
			if (a->h)
				hist_merge(tmp, a->h);
		}
		res->ticks[s].p99_us = hist_percentile(tmp, 99);
	}
	hist_free(tmp);

	if (cfg->record_conns) {
		res->conns = xcalloc(nrec ? nrec : 1, sizeof(*res->conns));
		for (unsigned i = 0; i < nt; i++) {
			if (!ts[i].recs.len)
				continue; /* data may be NULL: memcpy(..., NULL, 0) is undefined */
			memcpy(res->conns + res->nconns, ts[i].recs.data, ts[i].recs.len * sizeof(*res->conns));
			res->nconns += ts[i].recs.len;
		}
		qsort(res->conns, res->nconns, sizeof(*res->conns), cmp_conn);
		res->failures = xcalloc(nfail ? nfail : 1, sizeof(*res->failures));
		for (unsigned i = 0; i < nt; i++) {
			if (!ts[i].fails.len)
				continue;
			memcpy(res->failures + res->nfailures, ts[i].fails.data,
			       ts[i].fails.len * sizeof(*res->failures));
			res->nfailures += ts[i].fails.len;
		}
		qsort(res->failures, res->nfailures, sizeof(*res->failures), cmp_failure);
	}
}

int lg_run(const struct lg_config *cfg, struct lg_result *res, struct errbuf *e)
{
	struct shared *sh;
	struct lg_thread *ts;
	unsigned nt = cfg->threads ? cfg->threads : 1, started = 0;
	int rc = 0, err;

	memset(res, 0, sizeof(*res));
	if (!cfg->connections) {
		err_set(e, "no connections to open (-c 0)");
		return -1;
	}
	if (nt > cfg->connections)
		nt = cfg->connections;
	sh = xcalloc(1, sizeof(*sh));
	sh->cfg = cfg;
	if (lg_sockaddr(cfg, &sh->addr, &sh->alen, e) < 0 ||
	    build_request(sh->req, sizeof(sh->req), &sh->req_len, cfg, cfg->keepalive) < 0 ||
	    build_request(sh->hreq, sizeof(sh->hreq), &sh->hreq_len, cfg, true) < 0) {
		if (!e || !e->msg[0])
			err_set(e, "request line too long");
		free(sh);
		return -1;
	}
	sh->nslots = cfg->connections;
	sh->nthreads = nt;
	sh->timeout_ns = (uint64_t)((cfg->timeout_s > 0 ? cfg->timeout_s : 30) * 1e9);
	sh->ramp_ns = (uint64_t)(cfg->ramp_s * 1e9);
	if (cfg->rate > 0) {
		sh->step_ns = (uint64_t)(1e9 / cfg->rate);
		sh->interval_ns = (uint64_t)(1e9 * cfg->connections / cfg->rate);
		if (!sh->interval_ns)
			sh->interval_ns = 1;
	}
	sh->rec_cap = LG_CONN_RECORDS_MAX / nt;
	atomic_init(&sh->busy, nt);

	res->latency = hist_new(1, 60000000, 3);
	if (cfg->rate > 0)
		res->latency_uncorrected = hist_new(1, 60000000, 3);

	ts = xcalloc(nt, sizeof(*ts));
	for (unsigned i = 0; i < nt; i++) {
		struct lg_thread *t = &ts[i];
		unsigned n = 0;

		t->sh = sh;
		t->epfd = -1;
		t->nc = cfg->connections / nt + (i < cfg->connections % nt);
		t->nhold = cfg->hold / nt + (i < cfg->hold % nt);
		t->c = xcalloc(t->nc + t->nhold, sizeof(*t->c));
		t->ready = xcalloc(t->nc + 1, sizeof(*t->ready));
		t->heap = xcalloc(t->nc + 1, sizeof(*t->heap));
		/* Slots interleave over threads so that a ramp or a rate schedule
		 * advances evenly on all of them. */
		for (uint32_t s = i; n < t->nc; s += nt, n++) {
			t->c[n].slot = s;
			t->c[n].fd = -1;
			t->c[n].rec = -1;
		}
		for (unsigned k = t->nc; k < t->nc + t->nhold; k++) {
			t->c[k].held = true;
			t->c[k].fd = -1;
			t->c[k].rec = -1;
		}
		t->lat = hist_new(1, 60000000, 3);
		if (cfg->rate > 0)
			t->lat_unc = hist_new(1, 60000000, 3);
		vec_init(&t->ticks, sizeof(struct tick_acc));
		vec_init(&t->recs, sizeof(struct lg_conn));
		vec_init(&t->fails, sizeof(struct lg_failure));
		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (t->epfd < 0) {
			err_set(e, "epoll_create1: %s", strerror(errno));
			rc = -1;
		}
	}

	/* A watched process (the server) that exits stops the load at once:
	 * otherwise a dead server's orphans, or refused connects, would run the
	 * remaining requests (pidfd: readable when the process has exited). */
	sh->pidfd = -1;
	if (rc == 0 && cfg->watch_pid > 0) {
		sh->pidfd = (int)syscall(SYS_pidfd_open, cfg->watch_pid, 0);
		if (sh->pidfd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = WATCH_EV };

			if (epoll_ctl(ts[0].epfd, EPOLL_CTL_ADD, sh->pidfd, &ev) < 0) {
				close(sh->pidfd);
				sh->pidfd = -1;
			}
		}
	}
	sh->t0 = now_ns();
	if (cfg->duration_s > 0)
		sh->t_stop = sh->t0 + (uint64_t)(cfg->duration_s * 1e9);
	for (unsigned i = 0; rc == 0 && i < nt; i++) {
		for (unsigned k = 0; k < ts[i].nc; k++) {
			struct conn *c = &ts[i].c[k];
			uint64_t open = slot_open_time(sh, c->slot);

			/* Stagger the schedule so the total rate is even, not bursty. */
			c->next_due = sh->t0 + (uint64_t)c->slot * sh->step_ns;
			if (c->next_due < open)
				c->next_due = open;
		}
		err = pthread_create(&ts[i].tid, NULL, thread_main, &ts[i]);
		if (err) {
			err_set(e, "cannot start a load thread: %s", strerror(err));
			atomic_store(&sh->abort_err, -1);
			rc = -1;
			break;
		}
		started++;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(ts[i].tid, NULL);

	err = atomic_load(&sh->abort_err);
	if (rc == 0 && err > 0) {
		err_set(e, "cannot connect to %s%s%s:%u: %s", strchr(cfg->host, ':') ? "[" : "", cfg->host,
			strchr(cfg->host, ':') ? "]" : "", cfg->port, strerror(err));
		rc = -1;
	}
	if (rc == 0) {
		merge(sh, ts, nt, res);
		res->interrupted = ms_interrupted != 0;
		res->watch_exited = atomic_load(&sh->watch_exited);
	}
	if (sh->pidfd >= 0)
		close(sh->pidfd);

	for (unsigned i = 0; i < nt; i++) {
		struct lg_thread *t = &ts[i];

		for (size_t s = 0; s < t->ticks.len; s++)
			hist_free(vec_at(&t->ticks, struct tick_acc, s)->h);
		vec_free(&t->ticks);
		vec_free(&t->recs);
		vec_free(&t->fails);
		hist_free(t->lat);
		hist_free(t->lat_unc);
		free(t->c);
		free(t->ready);
		free(t->heap);
		if (t->epfd >= 0)
			close(t->epfd);
	}
	free(ts);
	free(sh);
	if (rc)
		lg_result_free(res);
	return rc;
}

void lg_result_free(struct lg_result *res)
{
	hist_free(res->latency);
	hist_free(res->latency_uncorrected);
	free(res->ticks);
	free(res->conns);
	free(res->failures);
	res->failures = NULL;
	res->nfailures = 0;
	res->latency = res->latency_uncorrected = NULL;
	res->ticks = NULL;
	res->conns = NULL;
	res->nticks = 0;
	res->nconns = 0;
}
