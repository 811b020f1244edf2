// SPDX-License-Identifier: MIT
/*
 * Kernel facts from the tracer's counters and records, joined with the load:
 * the process tree, who accepted what (the generator's connections, prefork's
 * dummy connections, readiness probes, anyone else), then the spawn,
 * scheduler and connection facts (spawn.c, sched.c, conns.c).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "model/model.h"

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

static int cmp_conn_ix(const void *a, const void *b)
{
	const struct conn_ix *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->t < y->t ? -1 : x->t > y->t;
}

bool model_join_accept(struct conn_ix *ix, size_t n, uint16_t port, uint64_t ts)
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

struct proc_fact *model_proc_find(struct kernel_facts *k, pid_t pid)
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

/* How the probes ran: the paths the loader chose, the tracepoints missing,
 * the records received. */
void model_probe_paths(struct kernel_facts *k, struct tracer *t)
{
	snprintf(k->missing_tps, sizeof(k->missing_tps), "%s", tracer_missing_tps(t));
	k->attach_mode = tracer_attach_mode(t);
	k->syscall_mode = tracer_syscall_mode(t);
	k->sched_clock = tracer_sched_clock(t);
	k->current_task = tracer_current_mode(t);
	k->records = tracer_records(t);
}

static void copy_counters(struct kernel_facts *k, const struct tracer_counts *c, bool attached)
{
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
	k->conn_unaccepted = c->c[MS_C_CONN_UNACCEPTED];
	k->synack_retrans = c->c[MS_C_SYNACK_RETRANS];
	if (attached) {
		/* no load to join to: the clients' accepts are all but the
		 * server's connects to its own port (prefork's dummy
		 * connections; not its connects to a backend) */
		uint64_t self = c->c[MS_C_CONNECT_SELF];

		k->accepts_internal = self < k->accepts_total ? self : k->accepts_total;
		k->accepts = k->accepts_total - k->accepts_internal;
	}
	memcpy(k->accept_errno, c->accept_errno, sizeof(k->accept_errno));
	memcpy(k->create_errno, c->create_errno, sizeof(k->create_errno));
}

/* What the join needs while the records are folded. */
struct fold {
	struct run_model *r;
	size_t cap;                    /* of k->procs */
	struct conn_ix *ix;            /* the generator's connections */
	size_t nix;
	struct { uint16_t lport, rport; } *internal; /* the server's own connects */
	size_t ninternal;
	const uint16_t *probe_ports;
	size_t nprobe;
};

/* Whose connection an accept was: one of the server's own connects (prefork's
 * dummy connections), a readiness probe, the load generator's, or anyone
 * else's. */
static void fold_accept(struct fold *f, const struct ms_event *e)
{
	struct kernel_facts *k = &f->r->k;

	for (size_t j = 0; j < f->ninternal; j++)
		if (f->internal[j].lport == e->conn.rport && f->internal[j].rport == e->conn.lport) {
			k->accepts_internal++;
			f->internal[j].lport = 0; /* one accept per connect */
			return;
		}
	/* readiness probes all happen before the server is declared ready;
	 * their ports may be reused by the load afterwards */
	for (size_t j = 0; j < f->nprobe && (!f->r->t_ready || e->ts <= f->r->t_ready); j++)
		if (f->probe_ports[j] == e->conn.rport) {
			k->accepts_probe++;
			return;
		}
	if (model_join_accept(f->ix, f->nix, e->conn.rport, e->ts))
		k->accepts++;
	else
		k->accepts_other++;
}

static void fold_exit(struct fold *f, const struct ms_event *e)
{
	struct kernel_facts *k = &f->r->k;
	struct proc_fact *p = model_proc_find(k, (pid_t)e->tgid);

	/* a process that existed before the trace (trace -p): known from its exit on */
	if (!p && e->exit.group_dead)
		p = proc_add(k, &f->cap, (pid_t)e->tgid, 0, 0);
	if (!p)
		return;
	p->min_flt += e->exit.min_flt;
	p->cpu_ns += e->exit.runtime_ns;
	if (e->exit.group_dead) {
		p->exited = true;
		p->t_exit = e->ts;
		p->exit_code = e->exit.exit_code;
	} else {
		p->threads_exited++;
	}
	if (p->threads_alive)
		p->threads_alive--;
}

static void fold_event(struct fold *f, const struct ms_event *e)
{
	struct kernel_facts *k = &f->r->k;
	struct proc_fact *p;

	switch (e->type) {
	case MS_EV_SPAWN: {
		bool thread = e->spawn.clone_flags & MS_CLONE_THREAD;

		k->spawn_by_phase[phase_of(f->r, e->ts)][thread]++;
		if (!thread) {
			proc_add(k, &f->cap, (pid_t)e->spawn.child_tgid, (pid_t)e->tgid, e->ts);
		} else if ((p = model_proc_find(k, (pid_t)e->tgid))) {
			p->threads_created++;
			if (++p->threads_alive > p->max_threads)
				p->max_threads = p->threads_alive;
		}
		break;
	}
	case MS_EV_EXIT:
		fold_exit(f, e);
		break;
	case MS_EV_CONNECT:
		f->internal[f->ninternal].lport = e->conn.lport;
		f->internal[f->ninternal].rport = e->conn.rport;
		f->ninternal++;
		break;
	case MS_EV_ACCEPT:
		fold_accept(f, e);
		break;
	}
}

/* The process tree's summary: the most threads in one process, children,
 * children ended by a signal other than SIGTERM. */
static void summarise_procs(struct kernel_facts *k)
{
	for (size_t i = 0; i < k->nprocs; i++) {
		const struct proc_fact *p = &k->procs[i];
		int sig = p->exit_code & 0x7f;

		if (p->max_threads > k->server_procs_max_threads)
			k->server_procs_max_threads = p->max_threads;
		if (p->is_root)
			continue;
		k->children++;
		if (p->max_threads > k->child_max_threads)
			k->child_max_threads = p->max_threads;
		if (p->exited && sig && sig != SIGTERM)
			k->children_signalled++;
	}
}

void model_build_kernel(struct run_model *r, const struct tracer_counts *c, const struct ms_event *events,
			size_t nev, const uint16_t *probe_ports, size_t nprobe)
{
	struct fold f = { .r = r, .nix = r->load.nconns, .probe_ports = probe_ports, .nprobe = nprobe };
	struct ms_event *ev = NULL;

	copy_counters(&r->k, c, r->attached);
	if (nev) {
		ev = xmalloc(nev * sizeof(*ev));
		memcpy(ev, events, nev * sizeof(*ev));
		qsort(ev, nev, sizeof(*ev), cmp_ts);
	}
	f.ix = xcalloc(f.nix ? f.nix : 1, sizeof(*f.ix));
	for (size_t i = 0; i < f.nix; i++) {
		f.ix[i].port = r->load.conns[i].local_port;
		f.ix[i].t = r->load.conns[i].t_connect;
		f.ix[i].i = i;
	}
	qsort(f.ix, f.nix, sizeof(*f.ix), cmp_conn_ix);
	f.internal = xcalloc(nev ? nev : 1, sizeof(*f.internal));
	proc_add(&r->k, &f.cap, r->httpd_pid, 0, 0)->is_root = true;
	for (size_t i = 0; i < nev; i++)
		fold_event(&f, &ev[i]);
	for (size_t i = 0; i < f.nix; i++)
		if (!f.ix[i].matched && r->load.conns[f.ix[i].i].t_established)
			r->k.load_conns_unaccepted++;
	summarise_procs(&r->k);
	model_build_spawn(r, c, ev, nev);
	model_build_sched(r, ev, nev);
	model_build_conn(r, c, ev, nev, f.ix, f.nix);
	free(f.internal);
	free(f.ix);
	free(ev);
}

void model_free(struct run_model *r)
{
	lg_result_free(&r->load);
	free(r->k.procs);
	r->k.procs = NULL;
	free(r->k.spawn.timeline);
	r->k.spawn.timeline = NULL;
	mem_result_free(&r->mem.raw);
	free(r->mem.kernel_procs_at_sample);
	r->mem.kernel_procs_at_sample = NULL;
	free(r->mem.kernel_procs_min);
	free(r->mem.kernel_procs_max);
	r->mem.kernel_procs_min = r->mem.kernel_procs_max = NULL;
}
