// SPDX-License-Identifier: MIT
/* Kernel facts from the tracer's counters and records, joined with the load. */
#include "model.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define SPAWN_TICK_NS (100 * NSEC_PER_MSEC)

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

const char *role_name(int role)
{
	static const char *const n[] = { "other", "parent", "prefork_child", "child_main", "starter",
					 "listener", "worker", "kernel", "external" };

	return role >= 0 && role < (int)ARRAY_SIZE(n) ? n[role] : "?";
}

const char *offcpu_name(int reason)
{
	static const char *const n[] = { "wait_connection", "accept_mutex", "idle_worker", "wait_idle_worker",
					 "keepalive", "read_request", "write_response", "lingering_close",
					 "parent_maintenance", "pipe_of_death", "other" };

	return reason >= 0 && reason < (int)ARRAY_SIZE(n) ? n[reason] : "?";
}

const char *errno_slot_name(int slot)
{
	static const char *const restart[] = { "ERESTARTSYS", "ERESTARTNOINTR", "ERESTARTNOHAND", "ENOIOCTLCMD",
					       "ERESTART_RESTARTBLOCK", "EPROBE_DEFER", "EOPENSTALE", "ENOPARAM" };
	const char *n;

	if (slot >= MS_ERRNO_RESTART_BASE && slot < MS_ERRNO_SLOTS)
		return restart[slot - MS_ERRNO_RESTART_BASE];
	n = slot > 0 && slot < MS_ERRNO_RESTART_BASE ? strerrorname_np(slot) : NULL;
	return n ? n : "other";
}

bool offcpu_idle_by_design(int reason)
{
	return reason == MS_OFF_WAIT_CONN || reason == MS_OFF_POD || reason == MS_OFF_MAINTENANCE;
}

void hist_diff(struct ms_hist *out, const struct ms_hist *b, const struct ms_hist *a)
{
	for (int i = 0; i < MS_HIST_SLOTS; i++)
		out->slots[i] = b->slots[i] >= a->slots[i] ? b->slots[i] - a->slots[i] : 0;
	out->count = b->count >= a->count ? b->count - a->count : 0;
	out->sum_ns = b->sum_ns >= a->sum_ns ? b->sum_ns - a->sum_ns : 0;
}

/* Value at rank q (0..1) of a log2 histogram, interpolated inside its bucket. */
static double hist_rank_us(const struct ms_hist *h, uint64_t total, double q)
{
	double target = q * (double)total, cum = 0;

	for (int i = 0; i < MS_HIST_SLOTS; i++) {
		double n = (double)h->slots[i];

		if (n > 0 && cum + n >= target) {
			double lo = i ? (double)(1ULL << i) : 0, hi = (double)(1ULL << (i + 1));
			double frac = (target - cum) / n;

			return (lo + frac * (hi - lo)) / 1e3;
		}
		cum += n;
	}
	return 0;
}

struct hsum hsum_of(const struct ms_hist *h)
{
	struct hsum r = { 0 };
	uint64_t total = 0;

	for (int i = 0; i < MS_HIST_SLOTS; i++)
		total += h->slots[i];
	if (!total)
		return r;
	r.n = total;
	r.p50 = hist_rank_us(h, total, 0.50);
	r.p90 = hist_rank_us(h, total, 0.90);
	r.p99 = hist_rank_us(h, total, 0.99);
	r.max = hist_rank_us(h, total, 1.0);
	r.mean = h->count ? (double)h->sum_ns / (double)h->count / 1e3 : 0;
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Summarise values (sorted in place): nearest-rank percentiles. */
static struct dist dist_of(double *v, size_t n)
{
	struct dist d = { .n = n };
	double sum = 0;

	if (!n)
		return d;
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
#define RANK(p) v[(size_t)((p) / 100.0 * (double)(n - 1) + 0.5)]
	d.p50 = RANK(50);
	d.p90 = RANK(90);
	d.p99 = RANK(99);
#undef RANK
	d.max = v[n - 1];
	d.mean = sum / (double)n;
	return d;
}

/* Growable double arrays for the distributions. */
struct dvec {
	double *v;
	size_t n, cap;
};

static void dpush(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = xrealloc(d->v, d->cap * sizeof(double));
	}
	d->v[d->n++] = x;
}

static struct dist dtake(struct dvec *d)
{
	struct dist r = dist_of(d->v, d->n);

	free(d->v);
	memset(d, 0, sizeof(*d));
	return r;
}

/* Per-thread lifecycle facts from exit records: creation cost, first run,
 * ready-to-serve, lifetime; then the 100 ms timeline of tasks alive. */
static void build_spawn(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev, size_t nev)
{
	struct spawn_facts *s = &r->k.spawn;
	struct dvec pc = { 0 }, tc = { 0 }, pfr = { 0 }, tfr = { 0 }, afr = { 0 }, prd = { 0 }, trd = { 0 };
	struct dvec plt = { 0 }, tlt = { 0 }, flt = { 0 };
	uint64_t t0 = 0, t1 = r->t_stopped;
	uint32_t procs = 1, threads = 1; /* the seeded parent */
	size_t i = 0;

	memcpy(s->khist, c->hists, sizeof(s->khist));
	for (size_t k = 0; k < nev; k++) {
		const struct ms_event *e = &ev[k];
		const struct ms_task *l = &e->exit.life;
		bool thread;

		if (e->type != MS_EV_EXIT)
			continue;
		s->server_cpu_ns += e->exit.runtime_ns;
		if (!l->created_ns)
			continue; /* existed before tracing: the seeded parent */
		thread = l->flags & MS_TF_THREAD;
		if (l->create_dur_ns) {
			dpush(thread ? &tc : &pc, (double)l->create_dur_ns / 1e3);
			s->create_ns += l->create_dur_ns;
		}
		if ((l->flags & MS_TF_RAN) && l->first_run_ns >= l->wakeup_ns) {
			double us = (double)(l->first_run_ns - l->wakeup_ns) / 1e3;

			dpush(thread ? &tfr : &pfr, us);
			dpush(&afr, us);
		}
		if (thread && (l->flags & MS_TF_READY) && l->ready_ns >= l->created_ns)
			dpush(&trd, (double)(l->ready_ns - l->created_ns) / 1e3);
		/* A process serves once any of its threads waits for a connection
		 * (prefork: the child's accept4; worker: the listener's accept4;
		 * event: the listener's epoll_wait), not at its first futex wait. */
		if (l->flags & MS_TF_LISTEN) {
			struct proc_fact *p = proc_find(&r->k, (pid_t)e->tgid);

			if (p && (!p->ready_ns || l->listen_ns < p->ready_ns))
				p->ready_ns = l->listen_ns;
		}
		if (e->ts >= l->created_ns)
			dpush(thread ? &tlt : &plt, (double)(e->ts - l->created_ns) / 1e6);
	}
	for (size_t p = 0; p < r->k.nprocs; p++) {
		const struct proc_fact *pf = &r->k.procs[p];

		if (pf->is_root)
			continue;
		if (pf->exited)
			dpush(&flt, (double)pf->min_flt);
		if (pf->ready_ns > pf->t_created)
			dpush(&prd, (double)(pf->ready_ns - pf->t_created) / 1e3);
	}
	s->proc_create_us = dtake(&pc);
	s->thread_create_us = dtake(&tc);
	s->proc_first_run_us = dtake(&pfr);
	s->thread_first_run_us = dtake(&tfr);
	s->first_run_us = dtake(&afr);
	s->proc_ready_us = dtake(&prd);
	s->thread_ready_us = dtake(&trd);
	s->proc_lifetime_ms = dtake(&plt);
	s->thread_lifetime_ms = dtake(&tlt);
	s->child_minflt = dtake(&flt);
	s->create_cpu_share = s->server_cpu_ns ? (double)s->create_ns / (double)s->server_cpu_ns : 0;
	s->reap_ns = c->hists[MS_H_REAP].sum_ns;
	s->reaped = c->hists[MS_H_REAP].count;
	s->create_reap_cpu_share = s->server_cpu_ns ? (double)(s->create_ns + s->reap_ns) / (double)s->server_cpu_ns : 0;

	/* timeline: events are sorted by time */
	for (size_t k = 0; k < nev && !t0; k++)
		t0 = ev[k].ts;
	if (!t0 || t1 <= t0)
		return;
	s->nticks = (size_t)((t1 - t0) / SPAWN_TICK_NS) + 1;
	if (s->nticks > 100000)
		s->nticks = 100000;
	s->timeline = xcalloc(s->nticks, sizeof(*s->timeline));
	for (size_t t = 0; t < s->nticks; t++) {
		struct spawn_tick *tk = &s->timeline[t];
		uint64_t end = t0 + (t + 1) * SPAWN_TICK_NS;

		tk->t_ns = end;
		for (; i < nev && ev[i].ts < end; i++) {
			const struct ms_event *e = &ev[i];

			if (e->type == MS_EV_SPAWN) {
				threads++;
				if (e->spawn.clone_flags & MS_CLONE_THREAD) {
					tk->threads_created++;
				} else {
					procs++;
					tk->procs_created++;
				}
			} else if (e->type == MS_EV_EXIT) {
				if (threads)
					threads--;
				if (e->exit.group_dead && procs)
					procs--;
			}
		}
		tk->procs = procs;
		tk->threads = threads;
	}
}

/* Scheduler facts over the load phase: the difference of two snapshots. */
static void build_sched(struct run_model *r, const struct ms_event *ev, size_t nev)
{
	struct sched_facts *f = &r->k.sched;
	const struct tracer_counts *a = &r->snap_start, *b = &r->snap_end;
	const __u64 *pa = (const __u64 *)&a->sched, *pb = (const __u64 *)&b->sched;
	__u64 *pd = (__u64 *)&f->raw;
	struct ms_hist all = { 0 };
	uint64_t completed = r->load.completed + r->load.failed;
	uint64_t accepted;

	for (size_t i = 0; i < sizeof(struct ms_sched) / sizeof(__u64); i++)
		pd[i] = pb[i] >= pa[i] ? pb[i] - pa[i] : 0;
	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++) {
			f->pairs[w][e] = f->raw.wakeups[w][e];
			f->wakeups += f->raw.wakeups[w][e];
		}
	for (int role = 0; role < MS_ROLE__MAX; role++) {
		struct ms_hist d;

		hist_diff(&d, &b->hists[MS_H_RUNQ + role], &a->hists[MS_H_RUNQ + role]);
		f->runq_us_by_role[role] = hsum_of(&d);
		for (int i = 0; i < MS_HIST_SLOTS; i++)
			all.slots[i] += d.slots[i];
		all.count += d.count;
		all.sum_ns += d.sum_ns;
		f->oncpu_ns += f->raw.oncpu_ns[role];
		f->vcsw += f->raw.vcsw[role];
		f->ivcsw += f->raw.ivcsw[role];
		for (int o = 0; o < MS_OFF__MAX; o++) {
			f->off_ns_by_reason[o] += f->raw.off_ns[role][o];
			f->off_cnt_by_reason[o] += f->raw.off_cnt[role][o];
		}
	}
	f->runq_us = hsum_of(&all);
	if (completed) {
		f->wakeups_per_request = (double)f->wakeups / (double)completed;
		f->cpu_us_per_request = (double)f->oncpu_ns / 1e3 / (double)completed;
		f->vcsw_per_request = (double)f->vcsw / (double)completed;
		f->ivcsw_per_request = (double)f->ivcsw / (double)completed;
		f->cswitch_per_request = (double)(f->vcsw + f->ivcsw) / (double)completed;
	}
	f->herd_eagain = b->accept_errno[11] >= a->accept_errno[11] ? b->accept_errno[11] - a->accept_errno[11] : 0;
	accepted = b->c[MS_C_ACCEPT_OK] >= a->c[MS_C_ACCEPT_OK] ? b->c[MS_C_ACCEPT_OK] - a->c[MS_C_ACCEPT_OK] : 0;
	/* the client's packets wake the listeners from the client's context on
	 * loopback (external); timers (kernel) wake them too, but not because
	 * of a connection */
	f->listener_net_wakeups = f->pairs[MS_WAKER_EXTERNAL][MS_ROLE_LISTENER];
	if (accepted) {
		/* event's listeners sleep in epoll_wait on the shared listening
		 * socket without EPOLLEXCLUSIVE: a new connection wakes all of them;
		 * the losers usually find nothing when epoll re-polls and go back
		 * to sleep inside the kernel (no EAGAIN from accept4 at all). So
		 * the herd is the network wake-ups of listeners beyond one per
		 * connection, plus the accept4 calls that lost the race. (It also
		 * holds the one wake-up per connection of event's asynchronous
		 * lingering close, when the client's FIN reaches the listener's
		 * epoll set, and of keep-alive connections parked there.) */
		double extra = r->mpm == MPM_EVENT && f->listener_net_wakeups > accepted
				       ? (double)(f->listener_net_wakeups - accepted)
				       : 0;

		f->herd_wakeups_per_conn = (extra + (double)f->herd_eagain) / (double)accepted;
	}
	f->top_pairs[0].waker = f->top_pairs[1].waker = -1;
	f->top_off[0].reason = f->top_off[1].reason = -1;
	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++) {
			uint64_t v = f->pairs[w][e];
			int slot = v > f->top_pairs[0].count ? 0 : v > f->top_pairs[1].count ? 1 : -1;

			if (slot < 0)
				continue;
			if (slot == 0)
				f->top_pairs[1] = f->top_pairs[0];
			f->top_pairs[slot].waker = w;
			f->top_pairs[slot].wakee = e;
			f->top_pairs[slot].count = v;
		}
	for (int o = 0; o < MS_OFF__MAX; o++) {
		uint64_t v = f->off_ns_by_reason[o];
		int slot = offcpu_idle_by_design(o) ? -1 : v > f->top_off[0].ns ? 0 : v > f->top_off[1].ns ? 1 : -1;

		if (slot < 0)
			continue;
		if (slot == 0)
			f->top_off[1] = f->top_off[0];
		f->top_off[slot].reason = o;
		f->top_off[slot].ns = v;
	}
	for (size_t k = 0; k < nev; k++)
		if (ev[k].type == MS_EV_EXIT && ev[k].exit.life.role < MS_ROLE__MAX &&
		    (ev[k].exit.life.created_ns || ev[k].exit.life.role == MS_ROLE_PARENT))
			f->tasks_by_role[ev[k].exit.life.role]++;
}

void conn_agg_init(struct conn_agg *a)
{
	memset(a, 0, sizeof(*a));
	a->listen_q_us = hist_new(1, 60000000, 3);
	a->linger_us = hist_new(1, 60000000, 3);
}

void conn_agg_free(struct conn_agg *a)
{
	hist_free(a->listen_q_us);
	hist_free(a->linger_us);
	memset(a, 0, sizeof(*a));
}

/* One connection's summary record (MS_EV_CONN_END). */
void conn_agg_add(struct conn_agg *a, const struct ms_event *ev)
{
	const struct ms_conn *cn = &ev->conn_end.c;

	a->connections++;
	if (!(cn->flags & MS_CF_ACCEPTED))
		a->never_accepted++;
	else if (cn->accept_ns >= cn->established_ns)
		hist_record(a->listen_q_us, (cn->accept_ns - cn->established_ns) / 1000);
	a->requests += cn->requests;
	if (cn->requests > a->max_requests)
		a->max_requests = cn->requests;
	if ((double)cn->idle_max_ns / 1e3 > a->idle_max_us)
		a->idle_max_us = (double)cn->idle_max_ns / 1e3;
	a->idle_gaps += cn->idle_count;
	if (cn->handoffs)
		a->handed_off++;
	if (cn->flags & MS_CF_RST_SENT)
		a->server_rst++;
	else if (cn->flags & MS_CF_RST_RECV)
		a->client_rst++;
	else if (cn->flags & MS_CF_SERVER_FIN)
		a->server_fin++;
	else if (cn->flags & MS_CF_CLIENT_FIN)
		a->client_fin++;
	else
		a->other_close++;
	if ((cn->flags & MS_CF_SERVER_FIN) && cn->fin_ns && ev->ts >= cn->fin_ns)
		hist_record(a->linger_us, (ev->ts - cn->fin_ns) / 1000);
}

static struct dist dist_of_hist(const struct hist *h)
{
	struct dist d = { .n = hist_count(h) };

	if (!d.n)
		return d;
	d.p50 = (double)hist_percentile(h, 50);
	d.p90 = (double)hist_percentile(h, 90);
	d.p99 = (double)hist_percentile(h, 99);
	d.max = (double)hist_max(h);
	d.mean = hist_mean(h);
	return d;
}

void conn_facts_from(struct conn_facts *f, const struct conn_agg *a, const struct tracer_counts *c,
		     const char *missing_tps)
{
	f->available = !strstr(missing_tps ? missing_tps : "", "sock_recv_length");
	f->connections = a->connections;
	f->never_accepted = a->never_accepted;
	f->requests = a->requests;
	f->max_requests_per_conn = a->max_requests;
	f->idle_gaps = a->idle_gaps;
	f->handed_off = a->handed_off;
	f->server_fin = a->server_fin;
	f->client_fin = a->client_fin;
	f->server_rst = a->server_rst;
	f->client_rst = a->client_rst;
	f->other_close = a->other_close;
	f->requests_per_conn = a->connections ? (double)a->requests / (double)a->connections : 0;
	f->listen_queue_us = dist_of_hist(a->listen_q_us);
	f->linger_us = dist_of_hist(a->linger_us);
	f->keepalive_idle_us = hsum_of(&c->hists[MS_H_KA_IDLE]);
	f->idle_before_close_us = hsum_of(&c->hists[MS_H_IDLE_CLOSE]);
	f->keepalive_idle_max_us = a->idle_max_us;
	f->req_read_us = hsum_of(&c->hists[MS_H_REQ_READ]);
	f->req_handle_us = hsum_of(&c->hists[MS_H_REQ_HANDLE]);
	f->req_write_us = hsum_of(&c->hists[MS_H_REQ_WRITE]);
	f->held_task_seconds = 0;
	for (int role = 0; role < MS_ROLE__MAX; role++)
		f->held_task_seconds += (double)c->sched.off_ns[role][MS_OFF_KEEPALIVE] / 1e9;
}

/* Connection facts from the kernel's per-connection records (whole run),
 * joined to the generator's connections by client port and time. */
static void build_conn(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev, size_t nev,
		       struct conn_ix *ix, size_t nix)
{
	struct conn_agg a;

	conn_agg_init(&a);
	for (size_t i = 0; i < nix; i++)
		ix[i].matched = false;
	for (size_t k = 0; k < nev; k++) {
		const struct ms_conn *cn = &ev[k].conn_end.c;

		if (ev[k].type != MS_EV_CONN_END)
			continue;
		conn_agg_add(&a, &ev[k]);
		if (cn->established_ns && join_accept(ix, nix, cn->rport, cn->established_ns))
			r->k.conn.joined++;
	}
	conn_facts_from(&r->k.conn, &a, c, r->k.missing_tps);
	conn_agg_free(&a);
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
	k->conn_unaccepted = c->c[MS_C_CONN_UNACCEPTED];
	k->synack_retrans = c->c[MS_C_SYNACK_RETRANS];
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
			/* a process that existed before the trace (trace -p): known
			 * from its exit on */
			if (!p && e->exit.group_dead)
				p = proc_add(k, &cap, (pid_t)e->tgid, 0, 0);
			if (!p)
				break;
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
			/* readiness probes all happen before the server is declared
			 * ready; their ports may be reused by the load afterwards */
			for (size_t j = 0; j < nprobe && !done && (!r->t_ready || e->ts <= r->t_ready); j++)
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
	build_spawn(r, c, ev, nev);
	build_sched(r, ev, nev);
	build_conn(r, c, ev, nev, ix, nix);
	free(internal);
	free(ix);
	free(ev);
}

/* Processes alive per the kernel's records (the root included) from t0 to
 * t1: all along (every), or at some moment (!every). t0 == t1: alive at
 * that time. */
static uint32_t kernel_procs_in(const struct kernel_facts *k, uint64_t t0, uint64_t t1, bool every)
{
	uint32_t n = 0;

	for (size_t i = 0; i < k->nprocs; i++) {
		const struct proc_fact *p = &k->procs[i];
		uint64_t born = every ? t0 : t1, dead = every ? t1 : t0;

		if ((p->is_root || p->t_created <= born) && (!p->exited || p->t_exit > dead))
			n++;
	}
	return n;
}

void model_build_memory(struct run_model *r, struct mem_result *m, const struct scenario *sc)
{
	struct memory_facts *mf = &r->mem;
	struct dvec pss = { 0 }, uss = { 0 };
	const char *tpc;

	mf->raw = *m;
	memset(m, 0, sizeof(*m));
	if (!mf->raw.nsamples || !mf->raw.npeak_procs)
		return;
	mf->sampled = true;
	mf->rss_kb = mf->raw.peak.rss_kb;
	mf->pss_kb = mf->raw.peak.pss_kb;
	mf->uss_kb = mf->raw.peak.uss_kb;
	for (size_t i = 0; i < mf->raw.npeak_procs; i++) {
		const struct mem_proc *p = &mf->raw.peak_procs[i];

		if (p->pid == r->httpd_pid) {
			mf->parent_pss_kb = p->pss_kb;
			continue;
		}
		dpush(&pss, (double)p->pss_kb);
		dpush(&uss, (double)p->uss_kb);
	}
	mf->children = (uint32_t)pss.n;
	mf->child_pss_kb = dtake(&pss);
	mf->child_uss_kb = dtake(&uss);
	tpc = scenario_directive(sc, r->mpm, "ThreadsPerChild");
	mf->slots_per_child = r->mpm == MPM_PREFORK ? 1 : (tpc && atoi(tpc) > 0 ? (uint32_t)atoi(tpc) : 25);
	mf->kb_per_slot = mf->child_uss_kb.p50 / mf->slots_per_child;
	mf->kernel_procs_at_sample = xcalloc(mf->raw.nsamples, sizeof(uint32_t));
	mf->kernel_procs_min = xcalloc(mf->raw.nsamples, sizeof(uint32_t));
	mf->kernel_procs_max = xcalloc(mf->raw.nsamples, sizeof(uint32_t));
	for (size_t i = 0; i < mf->raw.nsamples; i++) {
		const struct mem_sample *sm = &mf->raw.samples[i];
		uint64_t t1 = sm->t_end_ns > sm->t_ns ? sm->t_end_ns : sm->t_ns;

		mf->kernel_procs_at_sample[i] = kernel_procs_in(&r->k, sm->t_ns, sm->t_ns, true);
		mf->kernel_procs_min[i] = kernel_procs_in(&r->k, sm->t_ns, t1, true);
		mf->kernel_procs_max[i] = kernel_procs_in(&r->k, sm->t_ns, t1, false);
	}
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
