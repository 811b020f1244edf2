// SPDX-License-Identifier: MIT
/*
 * One connection slot of the load generator (see engine.h): connect, write
 * the request, read the response, and every way that can end: complete,
 * failed (by class), an idle keep-alive close retried, a timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "load/engine.h"

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

struct timer lg_heap_pop(struct lg_thread *t)
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

void lg_queue(struct lg_thread *t, struct conn *c)
{
	if (c->queued || c->held)
		return;
	c->queued = true;
	t->ready[t->nready++] = (uint32_t)(c - t->c);
}

struct tick_acc *lg_tick_at(struct lg_thread *t, uint64_t now)
{
	size_t i = now > t->sh->t0 ? (now - t->sh->t0) / TICK_NS : 0;

	while (t->ticks.len <= i)
		vec_push(&t->ticks);
	return vec_at(&t->ticks, struct tick_acc, i);
}

void lg_ticks_close(struct lg_thread *t, uint64_t now)
{
	size_t cur = now > t->sh->t0 ? (now - t->sh->t0) / TICK_NS : 0;

	while (t->ticks_closed < cur) {
		lg_tick_at(t, t->sh->t0 + (uint64_t)t->ticks_closed * TICK_NS)->open = t->open;
		t->ticks_closed++;
	}
}

static struct lg_conn *rec_of(struct lg_thread *t, struct conn *c)
{
	return c->rec >= 0 ? vec_at(&t->recs, struct lg_conn, c->rec) : NULL;
}

/* ---- connection lifecycle ---------------------------------------------------- */

void lg_conn_close(struct lg_thread *t, struct conn *c, enum lg_close why, uint64_t now)
{
	struct lg_conn *rec = rec_of(t, c);

	/* Seconds that ended before this close saw it open. */
	lg_ticks_close(t, now);
	if (c->ssl)
		lg_tls_close(t, c, why == LG_CLOSE_SERVER_CLOSE);
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
	lg_tick_at(t, now)->failed++;
	t->t_last = now;
	switch (cls) {
	case LG_FAIL_CONNECT: case LG_FAIL_TLS: t->r.ab_connect++; break; /* ab: "SSL handshake failed", a connect error */
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

	if (cls == LG_FAIL_TLS)
		lg_tls_forget(c); /* a session that led to a TLS error is not offered again */
	if (c->held) {
		t->r.hold_failed++;
	} else {
		count_fail(t, cls, now);
		record_fail(t, c, cls, 0, now);
	}
	lg_conn_close(t, c, why, now);
	c->has_req = false;
	c->retried = false;
	if (c->held)
		c->state = CS_DONE;
	else
		lg_queue(t, c);
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
	lg_conn_close(t, c, LG_CLOSE_SERVER_IDLE, now_ns());
	c->retried = true;
	lg_queue(t, c);
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

void lg_conn_connect(struct lg_thread *t, struct conn *c, uint64_t now)
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
	lg_ticks_close(t, now);
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

/* A TLS error before any handshake succeeded is the server's answer, not
 * bad luck (an http:// port, a certificate that does not verify): stop. */
static void tls_abort(struct shared *sh, const char *why)
{
	int none = 0;
	bool plain = strstr(why, "wrong version number") || strstr(why, "packet length too long") ||
		     strstr(why, "record layer failure");

	if (atomic_load_explicit(&sh->tls_ok, memory_order_relaxed) ||
	    !atomic_compare_exchange_strong(&sh->abort_err, &none, LG_ABORT_MSG))
		return;
	snprintf(sh->abort_msg, sizeof(sh->abort_msg), "TLS handshake with %s%s%s:%u failed: %s%s",
		 strchr(sh->cfg->host, ':') ? "[" : "", sh->cfg->host, strchr(sh->cfg->host, ':') ? "]" : "",
		 sh->cfg->port, why, plain ? " (not a TLS server: is it an http:// port?)" : "");
}

static void do_handshake(struct lg_thread *t, struct conn *c)
{
	char why[128] = "";
	int err = lg_tls_handshake(t, c, why, sizeof(why));

	if (err == EAGAIN)
		return;
	if (!err) {
		if (!atomic_load_explicit(&t->sh->tls_ok, memory_order_relaxed))
			atomic_store(&t->sh->tls_ok, true);
		lg_tls_done(t, c, now_ns());
		c->state = CS_WRITING;
		c->woff = 0;
		lg_http_reset(&c->http);
		do_write(t, c);
		return;
	}
	t->r.tls_failed++;
	if (err == EPROTO) {
		tls_abort(t->sh, why);
		conn_fail(t, c, LG_FAIL_TLS, LG_CLOSE_SERVER_EOF);
	} else if (err == ECONNRESET) {
		conn_fail(t, c, LG_FAIL_RESET, LG_CLOSE_RESET);
	} else {
		conn_fail(t, c, LG_FAIL_EOF, LG_CLOSE_SERVER_EOF);
	}
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
	if (t->sh->ssl_ctx) {
		if (lg_tls_start(t, c) < 0) {
			t->r.tls_failed++;
			conn_fail(t, c, LG_FAIL_TLS, LG_CLOSE_CLIENT);
			return;
		}
		c->state = CS_HANDSHAKE;
		do_handshake(t, c);
		return;
	}
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
		ssize_t n = c->ssl ? lg_tls_write(c, req + c->woff, len - c->woff)
				   : send(c->fd, req + c->woff, len - c->woff, MSG_NOSIGNAL);

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
			lg_conn_close(t, c, LG_CLOSE_CLIENT, now);
		lg_conn_connect(t, c, now);
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

void lg_slot_done(struct lg_thread *t, struct conn *c, uint64_t now)
{
	if (c->state == CS_DONE)
		return;
	if (c->fd >= 0)
		lg_conn_close(t, c, LG_CLOSE_CLIENT, now);
	c->state = CS_DONE;
	t->ndone++;
	if (now > t->t_last && c->has_req)
		t->t_last = now;
	c->has_req = false;
}

/* What a slot does once it has nothing in flight. */
void lg_slot_next(struct lg_thread *t, struct conn *c, uint64_t now)
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
			lg_slot_done(t, c, now);
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
			lg_conn_close(t, c, c->http.keep_alive ? LG_CLOSE_SERVER_IDLE : LG_CLOSE_SERVER_CLOSE, now);
		else
			c->state = CS_IDLE;
		return;
	}

	lat = (now - (sh->interval_ns ? c->t_intended : c->t_start)) / NSEC_PER_USEC;
	hdr_record(t->lat, lat);
	if (t->lat_unc)
		hdr_record(t->lat_unc, (now - c->t_start) / NSEC_PER_USEC);
	tk = lg_tick_at(t, now);
	if (!tk->h)
		tk->h = hdr_new(1, 60000000, 1);
	hdr_record(tk->h, lat);
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
		lg_conn_close(t, c, why, now);
	} else {
		c->state = CS_IDLE;
	}
	lg_slot_next(t, c, now);
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
		ssize_t n = c->ssl ? lg_tls_read(c, t->rbuf, sizeof(t->rbuf)) : read(c->fd, t->rbuf, sizeof(t->rbuf));

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
			 * bytes raise a new edge; a close already seen does not.
			 * TLS gives one record at a time: read until it wants more. */
			if (!c->ssl && (size_t)n < sizeof(t->rbuf) && !hup)
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
		if (errno == EPROTO) {
			conn_fail(t, c, LG_FAIL_TLS, LG_CLOSE_SERVER_EOF);
			return;
		}
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
	/* TLS: the records read may be the server's session tickets (TLS 1.3
	 * sends them after the handshake) and nothing else */
	n = c->ssl ? lg_tls_read(c, t->rbuf, sizeof(t->rbuf)) : read(c->fd, t->rbuf, sizeof(t->rbuf));
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
	lg_conn_close(t, c, n <= 0 ? LG_CLOSE_SERVER_IDLE : LG_CLOSE_CLIENT, now_ns());
	if (c->held)
		c->state = CS_DONE;
}

void lg_on_event(struct lg_thread *t, struct conn *c, uint32_t ev)
{
	switch (c->state) {
	case CS_CONNECTING:
		on_connected(t, c, ev);
		break;
	case CS_HANDSHAKE:
		do_handshake(t, c);
		break;
	case CS_WRITING:
		/* TLS may want to read before it can write */
		if (c->ssl || (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
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

void lg_sweep_timeouts(struct lg_thread *t, uint64_t now)
{
	uint64_t limit = t->sh->timeout_ns;

	for (unsigned i = 0; i < t->nc + t->nhold; i++) {
		struct conn *c = &t->c[i];

		if ((c->state == CS_CONNECTING || c->state == CS_HANDSHAKE || c->state == CS_WRITING ||
		     c->state == CS_READING) &&
		    now - c->t_attempt >= limit)
			conn_fail(t, c, LG_FAIL_TIMEOUT, LG_CLOSE_TIMEOUT);
	}
}

uint64_t lg_slot_open_time(const struct shared *sh, uint32_t slot)
{
	return sh->t0 + (uint64_t)((double)sh->ramp_ns * slot / sh->nslots);
}

