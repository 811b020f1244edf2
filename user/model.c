// SPDX-License-Identifier: MIT
/* Kernel facts from the tracer's counters and records, joined with the load. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

const char *phase_name(enum phase p)
{
	static const char *const n[] = { "startup", "load", "after" };

	return p < PHASE__MAX ? n[p] : "?";
}

static enum phase phase_of(const struct run_model *r, uint64_t ts)
{
	if (!r->t_load_start || ts < r->t_load_start)
		return PHASE_STARTUP;
	if (!r->t_load_end || ts <= r->t_load_end)
		return PHASE_LOAD;
	return PHASE_AFTER;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct ms_event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Generator connections sorted by (port, connect time) for the join. */
struct conn_ix {
	uint16_t port;
	uint64_t t;
	size_t i;
	bool matched;
};

static int cmp_conn_ix(const void *a, const void *b)
{
	const struct conn_ix *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* The generator connection an accept belongs to: same client port, the
 * latest connect() at or before the accept that is not matched yet. */
static bool join_accept(struct conn_ix *ix, size_t n, uint16_t port, uint64_t ts)
{
	size_t lo = 0, hi = n, best = SIZE_MAX;

	while (lo < hi) { /* first entry with this port */
		size_t mid = (lo + hi) / 2;

		if (ix[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && ix[i].port == port && ix[i].t <= ts; i++)
		if (!ix[i].matched)
			best = i;
	if (best == SIZE_MAX)
		return false;
	ix[best].matched = true;
	return true;
}

static struct proc_fact *proc_find(struct kernel_facts *k, pid_t pid)
{
	for (size_t i = k->nprocs; i-- > 0;) /* recent processes are at the end */
		if (k->procs[i].pid == pid)
			return &k->procs[i];
	return NULL;
}

static struct proc_fact *proc_add(struct kernel_facts *k, size_t *cap, pid_t pid, pid_t parent, uint64_t t)
{
	struct proc_fact *p;

	if (k->nprocs == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		k->procs = xrealloc(k->procs, *cap * sizeof(*k->procs));
	}
	p = &k->procs[k->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->parent = parent;
	p->t_created = t;
	p->max_threads = 1;
	p->threads_alive = 1;
	return p;
}

void model_build_kernel(struct run_model *r, const struct tracer_counts *c, const struct ms_event *events,
			size_t nev, const uint16_t *probe_ports, size_t nprobe)
{
	struct kernel_facts *k = &r->k;
	struct ms_event *ev = NULL;
	struct conn_ix *ix = NULL;
	struct { uint16_t lport, rport; } *internal = NULL;
	size_t ninternal = 0, nix = r->load.nconns, cap = 0;

	k->processes_created = c->c[MS_C_PROC_CREATED];
	k->threads_created = c->c[MS_C_THREAD_CREATED];
	k->process_exits = c->c[MS_C_PROC_EXITED];
	k->thread_exits = c->c[MS_C_THREAD_EXITED];
	k->create_failed = c->c[MS_C_CREATE_FAILED];
	k->accepts_total = c->c[MS_C_ACCEPT_OK];
	k->accept_errors = c->c[MS_C_ACCEPT_ERR];
	k->internal_connects = c->c[MS_C_CONNECT];
	k->events_lost = c->c[MS_C_RB_DROPS];
	k->track_full = c->c[MS_C_TRACK_FULL];
	memcpy(k->accept_errno, c->accept_errno, sizeof(k->accept_errno));
	memcpy(k->create_errno, c->create_errno, sizeof(k->create_errno));

	if (nev) {
		ev = xmalloc(nev * sizeof(*ev));
		memcpy(ev, events, nev * sizeof(*ev));
		qsort(ev, nev, sizeof(*ev), cmp_ts);
	}
	ix = xcalloc(nix ? nix : 1, sizeof(*ix));
	for (size_t i = 0; i < nix; i++) {
		ix[i].port = r->load.conns[i].local_port;
		ix[i].t = r->load.conns[i].t_connect;
		ix[i].i = i;
	}
	qsort(ix, nix, sizeof(*ix), cmp_conn_ix);
	internal = xcalloc(nev ? nev : 1, sizeof(*internal));

	proc_add(k, &cap, r->httpd_pid, 0, 0)->is_root = true;
	for (size_t i = 0; i < nev; i++) {
		const struct ms_event *e = &ev[i];
		struct proc_fact *p;

		switch (e->type) {
		case MS_EV_SPAWN: {
			bool thread = e->spawn.clone_flags & MS_CLONE_THREAD;

			k->spawn_by_phase[phase_of(r, e->ts)][thread]++;
			p = proc_find(k, (pid_t)e->tgid);
			if (thread) {
				if (p) {
					p->threads_created++;
					if (++p->threads_alive > p->max_threads)
						p->max_threads = p->threads_alive;
				}
			} else {
				proc_add(k, &cap, (pid_t)e->spawn.child_tgid, (pid_t)e->tgid, e->ts);
			}
			break;
		}
		case MS_EV_EXIT:
			p = proc_find(k, (pid_t)e->tgid);
			if (!p)
				break;
			if (e->exit.group_dead) {
				p->exited = true;
				p->t_exit = e->ts;
				p->exit_code = e->exit.exit_code;
			} else {
				p->threads_exited++;
			}
			if (p->threads_alive)
				p->threads_alive--;
			break;
		case MS_EV_CONNECT:
			internal[ninternal].lport = e->conn.lport;
			internal[ninternal].rport = e->conn.rport;
			ninternal++;
			break;
		case MS_EV_ACCEPT: {
			bool done = false;

			for (size_t j = 0; j < ninternal && !done; j++)
				if (internal[j].lport == e->conn.rport && internal[j].rport == e->conn.lport) {
					k->accepts_internal++;
					internal[j].lport = 0; /* one accept per connect */
					done = true;
				}
			for (size_t j = 0; j < nprobe && !done; j++)
				if (probe_ports[j] == e->conn.rport) {
					k->accepts_probe++;
					done = true;
				}
			if (!done && join_accept(ix, nix, e->conn.rport, e->ts)) {
				k->accepts++;
				done = true;
			}
			if (!done)
				k->accepts_other++;
			break;
		}
		}
	}
	for (size_t i = 0; i < nix; i++)
		if (!ix[i].matched && r->load.conns[ix[i].i].t_established)
			k->load_conns_unaccepted++;
	for (size_t i = 0; i < k->nprocs; i++)
		if (k->procs[i].max_threads > k->server_procs_max_threads)
			k->server_procs_max_threads = k->procs[i].max_threads;
	free(internal);
	free(ix);
	free(ev);
}

void model_free(struct run_model *r)
{
	lg_result_free(&r->load);
	free(r->k.procs);
	r->k.procs = NULL;
}
