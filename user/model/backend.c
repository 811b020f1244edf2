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

#include "base/util.h"
#include "model/model.h"
#include "model/names.h"

struct connect_ref {
	uint64_t key; /* the connecting sk (AF_UNIX), else its local port */
	uint64_t ts;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct connect_ref *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* A connect is stamped when its syscall returns, and the backend's accept,
 * on the other CPU, may return first: the connect is looked for a little
 * after the accept too. Within less than a connection's life: a unix
 * socket's struct sock is freed at its close and its address given to the
 * next connect at once (a request's time in the backend is hundreds of us
 * at the least); a loopback port is not reused for seconds. */
#define CONNECT_SLACK_UNIX_NS 100000ULL
#define CONNECT_SLACK_TCP_NS 10000000ULL

/* The latest connect of key made before ts + slack, or NULL. */
static const struct connect_ref *connect_of(const struct connect_ref *refs, size_t n, uint64_t key, uint64_t ts,
					    uint64_t slack)
{
	size_t lo = 0, hi = n;
	const struct connect_ref *best = NULL;

	while (lo < hi) { /* the first ref with a key >= key */
		size_t mid = lo + (hi - lo) / 2;

		if (refs[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && refs[lo].key == key && refs[lo].ts <= ts + slack; lo++)
		best = &refs[lo];
	return best;
}

static void backend_queue(struct backend_facts *b, const struct run_model *r, const struct ms_event *sev, size_t nsev,
			  const struct ms_event *bev, size_t nbev)
{
	struct connect_ref *refs = xcalloc(nsev ? nsev : 1, sizeof(*refs));
	struct dvec wait = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < nsev; i++) {
		const struct ms_event *e = &sev[i];

		if (e->type != MS_EV_CONNECT)
			continue;
		refs[n].key = e->conn.family == 1 /* AF_UNIX */ ? e->conn.sk : e->conn.lport;
		refs[n].ts = e->ts;
		n++;
	}
	qsort(refs, n, sizeof(*refs), cmp_ref);
	for (size_t i = 0; i < nbev; i++) {
		const struct ms_event *e = &bev[i];
		const struct connect_ref *c;

		if (e->type != MS_EV_ACCEPT || e->ts < r->t_load_start || e->ts > r->t_load_end)
			continue;
		b->accepts++;
		if (e->conn.family == 1 /* AF_UNIX */)
			c = connect_of(refs, n, e->conn.peer, e->ts, CONNECT_SLACK_UNIX_NS);
		else
			c = connect_of(refs, n, e->conn.rport, e->ts, CONNECT_SLACK_TCP_NS);
		if (!c)
			continue;
		b->paired++;
		dvec_push(&wait, e->ts > c->ts ? (double)(e->ts - c->ts) / 1e3 : 0);
	}
	b->queue_us = dvec_take(&wait);
	free(refs);
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

void model_build_backend(struct run_model *r, const struct tracer_counts *c, const struct ms_event *sev, size_t nsev,
			 const struct ms_event *ev, size_t nev)
{
	struct backend_facts *b = &r->k.backend;

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
	if (b->present) {
		backend_queue(b, r, sev, nsev, ev, nev);
		backend_busy(b, &r->k.sched);
	}
}
