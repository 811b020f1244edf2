// SPDX-License-Identifier: MIT
/* The load generator's threads: their event loop, the start, the merge. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "load/engine.h"

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
			lg_on_event(t, &t->c[evs[i].data.u32], evs[i].events);
	}
}

/* This thread's CPU time so far, user and system. */
static void thread_cpu(struct lg_result *r)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return;
	r->cpu_user_ns = (uint64_t)ru.ru_utime.tv_sec * NSEC_PER_SEC + (uint64_t)ru.ru_utime.tv_usec * 1000;
	r->cpu_sys_ns = (uint64_t)ru.ru_stime.tv_sec * NSEC_PER_SEC + (uint64_t)ru.ru_stime.tv_usec * 1000;
}

/* The held connections' one request each: answered or failed. */
static bool holds_settled(const struct lg_thread *t)
{
	for (unsigned i = t->nc; i < t->nc + t->nhold; i++)
		if (t->c[i].has_req)
			return false;
	return true;
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
		lg_conn_connect(t, &t->c[i], now);
	}
	for (;;) {
		uint64_t deadline;

		now = now_ns();
		if (sig_interrupted || atomic_load_explicit(&sh->abort_err, memory_order_relaxed) ||
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
					lg_slot_done(t, &t->c[i], now);
			t->next_open = t->nc;
		}
		while (t->next_open < t->nc && lg_slot_open_time(sh, t->c[t->next_open].slot) <= now)
			lg_queue(t, &t->c[t->next_open++]);
		while (t->nheap && t->heap[0].t <= now)
			lg_queue(t, &t->c[lg_heap_pop(t).i]);
		for (unsigned k = 0; k < t->nready && !sig_interrupted; k++) {
			struct conn *c = &t->c[t->ready[k]];

			c->queued = false;
			lg_slot_next(t, c, now_ns());
		}
		t->nready = 0;
		now = now_ns();
		lg_ticks_close(t, now);
		if (now >= next_sweep) {
			lg_sweep_timeouts(t, now);
			next_sweep = now + (SWEEP_NS < sh->timeout_ns / 4 ? SWEEP_NS : sh->timeout_ns / 4 + 1);
		}
		if (!main_done && t->ndone == t->nc) {
			main_done = true;
			atomic_fetch_sub(&sh->busy, 1);
		}
		/* held connections stay open until every thread's main work is
		 * done, and their one request is part of the run: answered, or
		 * failed (its timeout), not abandoned because the main load was
		 * quicker than its response (100 requests on loopback can be) */
		if (main_done && (!t->nhold || (!atomic_load(&sh->busy) && holds_settled(t))))
			break;

		deadline = next_sweep;
		if (sh->t0 + (uint64_t)(t->ticks_closed + 1) * TICK_NS < deadline)
			deadline = sh->t0 + (uint64_t)(t->ticks_closed + 1) * TICK_NS;
		if (t->nheap && t->heap[0].t < deadline)
			deadline = t->heap[0].t;
		if (t->next_open < t->nc && lg_slot_open_time(sh, t->c[t->next_open].slot) < deadline)
			deadline = lg_slot_open_time(sh, t->c[t->next_open].slot);
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
	lg_ticks_close(t, now);
	lg_tick_at(t, now)->open = t->open;
	for (unsigned i = 0; i < t->nc + t->nhold; i++) {
		struct conn *c = &t->c[i];

		if (c->has_req && !c->held)
			t->r.abandoned++;
		if (c->fd >= 0)
			lg_conn_close(t, c, LG_CLOSE_CLIENT, now);
	}
	thread_cpu(&t->r);
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
	struct hdr *tmp;

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
		res->cpu_user_ns += r->cpu_user_ns;
		res->cpu_sys_ns += r->cpu_sys_ns;
		res->conns_dropped += r->conns_dropped;
		res->tls_handshakes += r->tls_handshakes;
		res->tls_full += r->tls_full;
		res->tls_resumed += r->tls_resumed;
		res->tls_failed += r->tls_failed;
		res->tls_bytes_in += r->tls_bytes_in;
		res->tls_bytes_out += r->tls_bytes_out;
		if (res->tls_handshake_us)
			hdr_merge(res->tls_handshake_us, ts[i].hs);
		if (!res->tls_protocol[0] && r->tls_protocol[0]) {
			memcpy(res->tls_protocol, r->tls_protocol, sizeof(res->tls_protocol));
			memcpy(res->tls_cipher, r->tls_cipher, sizeof(res->tls_cipher));
		}
		hdr_merge(res->latency, ts[i].lat);
		if (res->latency_uncorrected)
			hdr_merge(res->latency_uncorrected, ts[i].lat_unc);
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
	tmp = hdr_new(1, 60000000, 1);
	for (size_t s = 0; s < nticks; s++) {
		hdr_reset(tmp);
		for (unsigned i = 0; i < nt; i++) {
			struct tick_acc *a;

			if (s >= ts[i].ticks.len)
				continue;
			a = vec_at(&ts[i].ticks, struct tick_acc, s);
			res->ticks[s].completed += a->completed;
			res->ticks[s].failed += a->failed;
			res->ticks[s].open_conns += a->open;
			if (a->h)
				hdr_merge(tmp, a->h);
		}
		res->ticks[s].p99_us = hdr_percentile(tmp, 99);
	}
	hdr_free(tmp);

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

/* What every thread shares: the address, the two requests (the held
 * connections' is always keep-alive), the schedule. NULL with e set. */
static struct shared *shared_new(const struct lg_config *cfg, unsigned nt, struct errbuf *e)
{
	struct shared *sh = xcalloc(1, sizeof(*sh));

	sh->cfg = cfg;
	if (lg_sockaddr(cfg, &sh->addr, &sh->alen, e) < 0 ||
	    build_request(sh->req, sizeof(sh->req), &sh->req_len, cfg, cfg->keepalive) < 0 ||
	    build_request(sh->hreq, sizeof(sh->hreq), &sh->hreq_len, cfg, true) < 0) {
		if (!e || !e->msg[0])
			err_set(e, "request line too long");
		free(sh);
		return NULL;
	}
	if (lg_tls_init(sh, e) < 0) {
		free(sh);
		return NULL;
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
	sh->pidfd = -1;
	atomic_init(&sh->busy, nt);
	return sh;
}

/* Thread i of nt: its share of the slots and of the held connections, its
 * statistics, its epoll. */
static int thread_init(struct lg_thread *t, struct shared *sh, unsigned i, unsigned nt, struct errbuf *e)
{
	const struct lg_config *cfg = sh->cfg;
	unsigned n = 0;

	t->sh = sh;
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
	t->lat = hdr_new(1, 60000000, 3);
	if (cfg->rate > 0)
		t->lat_unc = hdr_new(1, 60000000, 3);
	if (cfg->tls)
		t->hs = hdr_new(1, 60000000, 3);
	vec_init(&t->ticks, sizeof(struct tick_acc));
	vec_init(&t->recs, sizeof(struct lg_conn));
	vec_init(&t->fails, sizeof(struct lg_failure));
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epfd < 0) {
		err_set(e, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void thread_free(struct lg_thread *t)
{
	for (size_t s = 0; s < t->ticks.len; s++)
		hdr_free(vec_at(&t->ticks, struct tick_acc, s)->h);
	vec_free(&t->ticks);
	vec_free(&t->recs);
	vec_free(&t->fails);
	hdr_free(t->lat);
	hdr_free(t->lat_unc);
	hdr_free(t->hs);
	for (unsigned i = 0; t->c && i < t->nc + t->nhold; i++)
		lg_tls_forget(&t->c[i]);
	free(t->c);
	free(t->ready);
	free(t->heap);
	if (t->epfd >= 0)
		close(t->epfd);
}

/* A watched process (the server) that exits stops the load at once:
 * otherwise a dead server's orphans, or refused connects, would run the
 * remaining requests (pidfd: readable when the process has exited). */
static void watch_server(struct shared *sh, struct lg_thread *t0, pid_t pid)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = WATCH_EV };

	if (pid <= 0)
		return;
	sh->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (sh->pidfd >= 0 && epoll_ctl(t0->epfd, EPOLL_CTL_ADD, sh->pidfd, &ev) < 0) {
		close(sh->pidfd);
		sh->pidfd = -1;
	}
}

/* Start the threads, each slot on its staggered schedule, and wait for them.
 * Returns 0, or -1 with e set when a thread could not start. */
static int run_threads(struct shared *sh, struct lg_thread *ts, unsigned nt, struct errbuf *e)
{
	const struct lg_config *cfg = sh->cfg;
	unsigned started = 0;
	int rc = 0, err;

	sh->t0 = now_ns();
	if (cfg->duration_s > 0)
		sh->t_stop = sh->t0 + (uint64_t)(cfg->duration_s * 1e9);
	for (unsigned i = 0; i < nt; i++) {
		for (unsigned k = 0; k < ts[i].nc; k++) {
			struct conn *c = &ts[i].c[k];
			uint64_t open = lg_slot_open_time(sh, c->slot);

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
	return rc;
}

int lg_run(const struct lg_config *cfg, struct lg_result *res, struct errbuf *e)
{
	struct shared *sh;
	struct lg_thread *ts;
	unsigned nt = cfg->threads ? cfg->threads : 1;
	int rc = 0, err;

	memset(res, 0, sizeof(*res));
	if (!cfg->connections) {
		err_set(e, "no connections to open (-c 0)");
		return -1;
	}
	if (nt > cfg->connections)
		nt = cfg->connections;
	sh = shared_new(cfg, nt, e);
	if (!sh)
		return -1;
	res->latency = hdr_new(1, 60000000, 3);
	if (cfg->rate > 0)
		res->latency_uncorrected = hdr_new(1, 60000000, 3);
	if (cfg->tls)
		res->tls_handshake_us = hdr_new(1, 60000000, 3);
	ts = xcalloc(nt, sizeof(*ts));
	for (unsigned i = 0; i < nt; i++)
		ts[i].epfd = -1;
	for (unsigned i = 0; i < nt && !rc; i++)
		rc = thread_init(&ts[i], sh, i, nt, e);
	if (!rc) {
		watch_server(sh, &ts[0], cfg->watch_pid);
		rc = run_threads(sh, ts, nt, e);
	}
	err = atomic_load(&sh->abort_err);
	if (rc == 0 && err == LG_ABORT_MSG) {
		err_set(e, "%s", sh->abort_msg);
		rc = -1;
	}
	if (rc == 0 && err > 0) {
		err_set(e, "cannot connect to %s%s%s:%u: %s", strchr(cfg->host, ':') ? "[" : "", cfg->host,
			strchr(cfg->host, ':') ? "]" : "", cfg->port, strerror(err));
		rc = -1;
	}
	if (rc == 0) {
		merge(sh, ts, nt, res);
		res->interrupted = sig_interrupted != 0;
		res->watch_exited = atomic_load(&sh->watch_exited);
	}
	if (sh->pidfd >= 0)
		close(sh->pidfd);
	for (unsigned i = 0; i < nt; i++)
		thread_free(&ts[i]);
	free(ts);
	lg_tls_free(sh);
	free(sh);
	if (rc)
		lg_result_free(res);
	return rc;
}

void lg_result_free(struct lg_result *res)
{
	hdr_free(res->latency);
	hdr_free(res->latency_uncorrected);
	hdr_free(res->tls_handshake_us);
	res->tls_handshake_us = NULL;
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
