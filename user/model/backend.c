// SPDX-License-Identifier: MIT
/*
 * The backends' facts: their tasks, their CPU, and how long Apache's
 * connections to them waited in their queue for a free backend worker
 * (php-fpm's pool, the upstream's accept): Apache's connect, paired with
 * the backend's accept of it. On a unix socket the accepted end's peer is
 * the connecting socket; on loopback TCP the ports are each other's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/hdr.h"
#include "base/util.h"
#include "model/model.h"
#include "model/names.h"
#include "trace/khist.h"

struct connect_ref {
	uint64_t key; /* the connecting sk (AF_UNIX), else its local port */
	uint64_t ts;
	bool used;    /* paired with an accept already */
};

static int cmp_ref(const void *a, const void *b)
{
	const struct connect_ref *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* An accept takes the latest connect of its key made before it, if no
 * accept took it yet (a unix socket's struct sock is freed at its close and
 * its address given to the next connect; a loopback port comes back after a
 * while): the connection before on the same key was accepted before this
 * one's connect. A connect is stamped when its syscall returns, so the
 * backend's accept, on the other CPU, may return first: failing one before
 * it, the accept takes the first connect not taken in a slack after it. The
 * connecting task may be preempted there (CI saw one connect of 400 return
 * more than 100 us after its accept); a slack longer than a connection's
 * life would let an accept whose connect's record was lost take the next
 * connection's, and each accept after it on that key the one after its own,
 * until a pause longer than the slack: 1 ms on unix sockets (php-fpm's pool
 * takes longer than that per request), 10 ms on loopback TCP (a port comes
 * back after seconds). */
#define CONNECT_SLACK_UNIX_NS 1000000ULL
#define CONNECT_SLACK_TCP_NS 10000000ULL

struct pairing {
	struct connect_ref *c;
	size_t nc;
};

/* The first index of c (sorted by key, ts) after (key, ts). */
static size_t upper_bound(const struct pairing *p, uint64_t key, uint64_t ts)
{
	size_t lo = 0, hi = p->nc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->c[mid].key < key || (p->c[mid].key == key && p->c[mid].ts <= ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The connect accepted at ts (by the rule above), marked taken, or NULL.
 * Accepts come in the order they were stamped. */
static const struct connect_ref *connect_of(const struct pairing *p, uint64_t key, uint64_t ts, uint64_t slack)
{
	size_t i = upper_bound(p, key, ts); /* past the last made at or before ts */
	struct connect_ref *c = NULL;

	if (i > 0 && p->c[i - 1].key == key && !p->c[i - 1].used)
		c = &p->c[i - 1];
	else
		for (; !c && i < p->nc && p->c[i].key == key && p->c[i].ts <= ts + slack; i++)
			if (!p->c[i].used)
				c = &p->c[i];
	if (c)
		c->used = true;
	return c;
}

static void backend_queue(struct backend_facts *b, const struct run_model *r, const struct ms_event *sev, size_t nsev,
			  const struct ms_event *bev, size_t nbev)
{
	struct pairing p = { .c = xcalloc(nsev ? nsev : 1, sizeof(*p.c)) };
	struct dvec wait = { 0 };

	for (size_t i = 0; i < nsev; i++) {
		const struct ms_event *e = &sev[i];

		if (e->type != MS_EV_CONNECT)
			continue;
		p.c[p.nc].key = e->conn.family == 1 /* AF_UNIX */ ? e->conn.sk : e->conn.lport;
		p.c[p.nc++].ts = e->ts;
	}
	qsort(p.c, p.nc, sizeof(*p.c), cmp_ref);
	for (size_t i = 0; i < nbev; i++) {
		const struct ms_event *e = &bev[i];
		bool unix_ = e->conn.family == 1 /* AF_UNIX */;
		const struct connect_ref *c;

		if (e->type != MS_EV_ACCEPT || e->ts < r->t_load_start || e->ts > r->t_load_end)
			continue;
		b->accepts++;
		c = connect_of(&p, unix_ ? e->conn.peer : e->conn.rport, e->ts,
			       unix_ ? CONNECT_SLACK_UNIX_NS : CONNECT_SLACK_TCP_NS);
		if (!c)
			continue;
		b->paired++;
		dvec_push(&wait, e->ts > c->ts ? (double)(e->ts - c->ts) / 1e3 : 0);
	}
	b->queue_us = dvec_take(&wait);
	free(p.c);
}

/* Time in the backend per connection: its pool's tasks on CPU, or blocked
 * other than idle by design (for a backend's task: waiting for the next
 * connection), PHP's own time, the upstream's delay, over the connections
 * they accepted. */
static void backend_busy(struct backend_facts *b, const struct sched_facts *s)
{
	static const int roles[] = { MS_ROLE_FPM_WORKER, MS_ROLE_BACKEND };
	uint64_t ns = 0;

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		ns += s->raw.oncpu_ns[roles[i]];
		for (int why = 0; why < MS_OFF__MAX; why++)
			if (!offcpu_idle_by_design(why))
				ns += s->raw.off_ns[roles[i]][why];
	}
	b->busy_us_per_connection = b->accepts ? (double)ns / 1e3 / (double)b->accepts : NAN;
}

/* What the counters and the backends' task records say (both ways). */
static void backend_tasks(struct backend_facts *b, struct run_model *r, const struct tracer_counts *c,
			  const struct ms_event *ev, size_t nev)
{
	b->processes_created = c->c[MS_C_BACKEND_PROC_CREATED];
	b->threads_created = c->c[MS_C_BACKEND_THREAD_CREATED];
	b->exits = c->c[MS_C_BACKEND_EXITED];
	b->present = nev > 0 || b->processes_created || b->threads_created;
	for (size_t k = 0; k < nev; k++) {
		const struct ms_event *e = &ev[k];

		if (e->type != MS_EV_EXIT)
			continue;
		b->cpu_ns += e->exit.runtime_ns;
		b->processes += e->exit.group_dead;
		if (e->exit.life.role < MS_ROLE__MAX)
			r->k.sched.tasks_by_role[e->exit.life.role]++;
	}
}

void model_build_backend(struct run_model *r, const struct tracer_counts *c, const struct ms_event *sev, size_t nsev,
			 const struct ms_event *ev, size_t nev)
{
	struct backend_facts *b = &r->k.backend;

	backend_tasks(b, r, c, ev, nev);
	if (b->present) {
		backend_queue(b, r, sev, nsev, ev, nev);
		backend_busy(b, &r->k.sched);
	}
}

/* ---- the same pairing as the records stream (trace) -------------------------
 *
 * The latest connect of each key waits in a table for its accept, which
 * takes it out; an accept whose connect is not there yet (stamped later, on
 * the other CPU) waits for it a slack's time in a queue, and takes the first
 * connect of its key that comes. A new connect of a key replaces the one
 * before, which no accept took: its socket is closed (that is how its
 * address or port came back). The same rule as connect_of(), in fixed
 * memory however long the trace: connects never accepted (cgid's socket,
 * prefork's dummy connections) are pushed out by newer ones. */
#define BS_SLOTS 8192  /* the latest connect of that many keys: far above a pool's queue */
#define BS_PROBE 16
#define BS_EARLY 1024  /* accepts waiting for their connect */
#define BS_STALE_NS (60ULL * 1000000000ULL) /* a connect older than this was never accepted */

struct bs_ref {
	uint64_t key, ts, slack; /* key 0: a free slot (no sk, no port is 0) */
};

struct backend_stream {
	struct bs_ref slot[BS_SLOTS];
	struct bs_ref early[BS_EARLY]; /* in the order they came */
	size_t nearly;
	uint64_t accepts, paired;
	struct hdr *wait;      /* us */
	struct ms_hist wait_h; /* ns, log2 slots as the kernel's (serve's histogram) */
};

struct backend_stream *backend_stream_new(void)
{
	struct backend_stream *s = xcalloc(1, sizeof(*s));

	s->wait = hdr_new(1, 60000000, 3);
	return s;
}

void backend_stream_free(struct backend_stream *s)
{
	if (!s)
		return;
	hdr_free(s->wait);
	free(s);
}

static size_t bs_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (BS_SLOTS - 1);
}

static struct bs_ref *bs_find(struct backend_stream *s, uint64_t key)
{
	size_t h = bs_hash(key);

	for (size_t i = 0; i < BS_PROBE; i++) {
		struct bs_ref *r = &s->slot[(h + i) & (BS_SLOTS - 1)];

		if (r->key == key)
			return r;
	}
	return NULL;
}

static void bs_pair(struct backend_stream *s, uint64_t connect_ts, uint64_t accept_ts)
{
	uint64_t ns = accept_ts > connect_ts ? accept_ts - connect_ts : 0;

	s->paired++;
	hdr_record(s->wait, ns >= 1000 ? ns / 1000 : 1); /* below the histogram's 1 us: counted as 1 */
	khist_record(&s->wait_h, ns);
}

void backend_stream_counts(const struct backend_stream *s, uint64_t *accepts, uint64_t *paired, struct ms_hist *wait)
{
	*accepts = s->accepts;
	*paired = s->paired;
	*wait = s->wait_h;
}

/* The accepts whose connect did not come in their slack stay unpaired. */
static void bs_expire(struct backend_stream *s, uint64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < s->nearly; i++)
		if (s->early[i].ts + s->early[i].slack >= now)
			s->early[k++] = s->early[i];
	s->nearly = k;
}

void backend_stream_connect(struct backend_stream *s, const struct ms_event *e)
{
	uint64_t key = e->conn.family == 1 /* AF_UNIX */ ? e->conn.sk : e->conn.lport;
	struct bs_ref *r;

	if (!key)
		return;
	bs_expire(s, e->ts);
	for (size_t i = 0; i < s->nearly; i++)
		if (s->early[i].key == key) { /* its accept came first */
			bs_pair(s, e->ts, s->early[i].ts);
			memmove(&s->early[i], &s->early[i + 1], (s->nearly - i - 1) * sizeof(s->early[0]));
			s->nearly--;
			return;
		}
	if (!(r = bs_find(s, key))) { /* a free slot, a stale one, else the oldest */
		size_t h = bs_hash(key);

		r = &s->slot[h];
		for (size_t i = 0; i < BS_PROBE; i++) {
			struct bs_ref *x = &s->slot[(h + i) & (BS_SLOTS - 1)];

			if (!x->key || e->ts - x->ts > BS_STALE_NS) {
				r = x;
				break;
			}
			if (x->ts < r->ts)
				r = x;
		}
	}
	*r = (struct bs_ref){ .key = key, .ts = e->ts };
}

void backend_stream_accept(struct backend_stream *s, const struct ms_event *e)
{
	bool unix_ = e->conn.family == 1 /* AF_UNIX */;
	uint64_t key = unix_ ? e->conn.peer : e->conn.rport;
	uint64_t slack = unix_ ? CONNECT_SLACK_UNIX_NS : CONNECT_SLACK_TCP_NS;
	struct bs_ref *c;

	s->accepts++;
	if (!key)
		return;
	if ((c = bs_find(s, key)) && c->ts <= e->ts + slack && (c->ts > e->ts || e->ts - c->ts <= BS_STALE_NS)) {
		bs_pair(s, c->ts, e->ts);
		c->key = 0;
		return;
	}
	bs_expire(s, e->ts);
	if (s->nearly == BS_EARLY) { /* full: the oldest is given up */
		memmove(&s->early[0], &s->early[1], (BS_EARLY - 1) * sizeof(s->early[0]));
		s->nearly--;
	}
	s->early[s->nearly++] = (struct bs_ref){ .key = key, .ts = e->ts, .slack = slack };
}

void backend_stream_finish(struct backend_stream *s)
{
	s->nearly = 0; /* no connect will come */
}

void model_build_backend_stream(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev,
				size_t nev, struct backend_stream *s)
{
	struct backend_facts *b = &r->k.backend;

	backend_stream_finish(s);
	backend_tasks(b, r, c, ev, nev);
	b->present |= s->accepts > 0;
	if (b->present) {
		b->accepts = s->accepts;
		b->paired = s->paired;
		b->queue_us = dist_of_hdr(s->wait);
		backend_busy(b, &r->k.sched);
	}
}
