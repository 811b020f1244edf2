// SPDX-License-Identifier: MIT
/*
 * Process and thread creation facts (the prefork-versus-threads lesson), the
 * spawn timeline, and the memory facts checked against the kernel's count of
 * processes alive.
 */
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "model/model.h"

#define SPAWN_TICK_NS (100 * NSEC_PER_MSEC)

/* Processes and threads alive per 100 ms step, from the records (sorted by
 * time), from the first record to the server's stop. */
static void spawn_timeline(struct spawn_facts *s, const struct run_model *r, const struct ms_event *ev, size_t nev)
{
	uint64_t t0 = 0, t1 = r->t_stopped;
	uint32_t procs = 1, threads = 1; /* the seeded parent */
	size_t i = 0;

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

/* Per-thread lifecycle facts from exit records: creation cost, first run,
 * ready-to-serve, lifetime; then the 100 ms timeline of tasks alive. */
void model_build_spawn(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev, size_t nev)
{
	struct spawn_facts *s = &r->k.spawn;
	struct dvec pc = { 0 }, tc = { 0 }, pfr = { 0 }, tfr = { 0 }, afr = { 0 }, prd = { 0 }, trd = { 0 };
	struct dvec plt = { 0 }, tlt = { 0 }, flt = { 0 };

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
			dvec_push(thread ? &tc : &pc, (double)l->create_dur_ns / 1e3);
			s->create_ns += l->create_dur_ns;
		}
		if ((l->flags & MS_TF_RAN) && l->first_run_ns >= l->wakeup_ns) {
			double us = (double)(l->first_run_ns - l->wakeup_ns) / 1e3;

			dvec_push(thread ? &tfr : &pfr, us);
			dvec_push(&afr, us);
		}
		if (thread && (l->flags & MS_TF_READY) && l->ready_ns >= l->created_ns)
			dvec_push(&trd, (double)(l->ready_ns - l->created_ns) / 1e3);
		/* A process serves once any of its threads waits for a connection
		 * (prefork: the child's accept4; worker: the listener's accept4;
		 * event: the listener's epoll_wait), not at its first futex wait. */
		if (l->flags & MS_TF_LISTEN) {
			struct proc_fact *p = model_proc_find(&r->k, (pid_t)e->tgid);

			if (p && (!p->ready_ns || l->listen_ns < p->ready_ns))
				p->ready_ns = l->listen_ns;
		}
		if (e->ts >= l->created_ns)
			dvec_push(thread ? &tlt : &plt, (double)(e->ts - l->created_ns) / 1e6);
	}
	for (size_t p = 0; p < r->k.nprocs; p++) {
		const struct proc_fact *pf = &r->k.procs[p];

		if (pf->is_root)
			continue;
		if (pf->exited)
			dvec_push(&flt, (double)pf->min_flt);
		if (pf->ready_ns > pf->t_created)
			dvec_push(&prd, (double)(pf->ready_ns - pf->t_created) / 1e3);
	}
	s->proc_create_us = dvec_take(&pc);
	s->thread_create_us = dvec_take(&tc);
	s->proc_first_run_us = dvec_take(&pfr);
	s->thread_first_run_us = dvec_take(&tfr);
	s->first_run_us = dvec_take(&afr);
	s->proc_ready_us = dvec_take(&prd);
	s->thread_ready_us = dvec_take(&trd);
	s->proc_lifetime_ms = dvec_take(&plt);
	s->thread_lifetime_ms = dvec_take(&tlt);
	s->child_minflt = dvec_take(&flt);
	s->create_cpu_share = s->server_cpu_ns ? (double)s->create_ns / (double)s->server_cpu_ns : 0;
	s->reap_ns = c->hists[MS_H_REAP].sum_ns;
	s->reaped = c->hists[MS_H_REAP].count;
	s->create_reap_cpu_share = s->server_cpu_ns ? (double)(s->create_ns + s->reap_ns) / (double)s->server_cpu_ns : 0;

	spawn_timeline(s, r, ev, nev);
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
		dvec_push(&pss, (double)p->pss_kb);
		dvec_push(&uss, (double)p->uss_kb);
	}
	mf->children = (uint32_t)pss.n;
	mf->child_pss_kb = dvec_take(&pss);
	mf->child_uss_kb = dvec_take(&uss);
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

