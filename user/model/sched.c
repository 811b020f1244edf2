// SPDX-License-Identifier: MIT
/*
 * Scheduler facts over the load phase (the difference of two readings of the
 * kernel's per-CPU aggregates): wake-ups and who woke whom, run-queue
 * latency, CPU time, context switches and off-CPU time, per request.
 */
#include <math.h>
#include <string.h>

#include "model/internal.h"
#include "model/model.h"
#include "trace/khist.h"

/* Keeps the two largest values offered (key -1: none yet). */
struct top2 {
	int key[2];
	uint64_t v[2];
};

static void top2_offer(struct top2 *t, int key, uint64_t v)
{
	int slot = v > t->v[0] ? 0 : v > t->v[1] ? 1 : -1;

	if (slot < 0)
		return;
	if (slot == 0) {
		t->key[1] = t->key[0];
		t->v[1] = t->v[0];
	}
	t->key[slot] = key;
	t->v[slot] = v;
}

/* The two largest wake-up pairs and off-CPU reasons, idleness by design left out. */
static void sched_tops(struct sched_facts *f)
{
	struct top2 pairs = { { -1, -1 } }, off = { { -1, -1 } };

	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++)
			top2_offer(&pairs, w * MS_ROLE__MAX + e, f->pairs[w][e]);
	for (int o = 0; o < MS_OFF__MAX; o++)
		if (!offcpu_idle_by_design(o))
			top2_offer(&off, o, f->off_ns_by_reason[o]);
	for (int k = 0; k < 2; k++) {
		f->top_pairs[k].waker = pairs.key[k] < 0 ? -1 : pairs.key[k] / MS_ROLE__MAX;
		f->top_pairs[k].wakee = pairs.key[k] < 0 ? -1 : pairs.key[k] % MS_ROLE__MAX;
		f->top_pairs[k].count = pairs.v[k];
		f->top_off[k].reason = off.key[k];
		f->top_off[k].ns = off.v[k];
	}
}

/* Scheduler facts over the load phase: the difference of two snapshots. */
void model_build_sched(struct run_model *r, const struct ms_event *ev, size_t nev)
{
	struct sched_facts *f = &r->k.sched;
	const struct tracer_counts *a = &r->snap_start, *b = &r->snap_end;
	const __u64 *pa = (const __u64 *)&a->sched, *pb = (const __u64 *)&b->sched;
	__u64 *pd = (__u64 *)&f->raw;
	struct ms_hist all = { 0 };
	uint64_t completed = r->load.completed + r->load.failed;
	uint64_t accepted;

	f->requests_seen = b->c[MS_C_REQUESTS] >= a->c[MS_C_REQUESTS] ? b->c[MS_C_REQUESTS] - a->c[MS_C_REQUESTS] : 0;
	f->per_request_basis = "load generator";
	if (r->attached) {
		/* no load of ours: per request of what the clients sent */
		completed = f->requests_seen;
		f->per_request_basis = "kernel";
	}

	for (size_t i = 0; i < sizeof(struct ms_sched) / sizeof(__u64); i++)
		pd[i] = pb[i] >= pa[i] ? pb[i] - pa[i] : 0;
	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++) {
			f->pairs[w][e] = f->raw.wakeups[w][e];
			f->wakeups += f->raw.wakeups[w][e];
		}
	for (int role = 0; role < MS_ROLE__MAX; role++) {
		struct ms_hist d;

		khist_diff(&f->runq_khist[role], &b->hists[MS_H_RUNQ + role], &a->hists[MS_H_RUNQ + role]);
		d = f->runq_khist[role];
		f->runq_us_by_role[role] = dist_of_khist(&d);
		khist_add(&all, &d);
		f->oncpu_ns += f->raw.oncpu_ns[role];
		f->vcsw += f->raw.vcsw[role];
		f->ivcsw += f->raw.ivcsw[role];
		for (int o = 0; o < MS_OFF__MAX; o++) {
			f->off_ns_by_reason[o] += f->raw.off_ns[role][o];
			f->off_cnt_by_reason[o] += f->raw.off_cnt[role][o];
		}
	}
	f->runq_us = dist_of_khist(&all);
	for (int o = 0; o < MS_OFF__MAX; o++)
		khist_diff(&f->offcpu_khist[o], &b->hists[MS_H_OFFCPU + o], &a->hists[MS_H_OFFCPU + o]);
	if (completed) {
		f->wakeups_per_request = (double)f->wakeups / (double)completed;
		f->cpu_us_per_request = (double)f->oncpu_ns / 1e3 / (double)completed;
		f->vcsw_per_request = (double)f->vcsw / (double)completed;
		f->ivcsw_per_request = (double)f->ivcsw / (double)completed;
		f->cswitch_per_request = (double)(f->vcsw + f->ivcsw) / (double)completed;
	}
	/* what a new connection costs the server (TLS: its handshake), over
	 * the load generator's connections the kernel saw accepted */
	f->cpu_us_per_connection = r->k.accepts ? (double)f->oncpu_ns / 1e3 / (double)r->k.accepts : NAN;
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
	sched_tops(f);
	for (size_t k = 0; k < nev; k++)
		if (ev[k].type == MS_EV_EXIT && ev[k].exit.life.role < MS_ROLE__MAX &&
		    (ev[k].exit.life.created_ns || ev[k].exit.life.role == MS_ROLE_PARENT))
			f->tasks_by_role[ev[k].exit.life.role]++;
}

