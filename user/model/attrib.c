// SPDX-License-Identifier: MIT
/*
 * The gap between two runs, split into the kernel-measured costs that make
 * it (model/attrib.h). Every cost is a load-phase difference of the kernel's
 * aggregates (the same snapshots as the scheduler facts), per request of
 * the load; each account's costs are disjoint, so their sum is what they
 * explain, and the rest of the gap is said to be unexplained.
 */
#include "model/attrib.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/claims.h"
#include "model/model.h"

const char *attr_basis_name(enum attr_basis b)
{
	static const char *const n[ATTR__MAX] = { "machine_time", "latency", "task_time", "memory" };

	return (unsigned)b < ATTR__MAX ? n[b] : "?";
}

const char *attr_basis_words(enum attr_basis b)
{
	static const char *const n[ATTR__MAX] = { "machine time per request (CPUs x load time, less other processes and steal, / requests)",
						  "mean latency per request", "server task time per request",
						  "server memory (PSS)" };

	return (unsigned)b < ATTR__MAX ? n[b] : "?";
}

const char *attr_unit(enum attr_basis b)
{
	return b == ATTR_MEMORY ? "kB" : "us/request";
}

enum attr_basis attr_basis_of(const char *metric)
{
	static const char *const latency[] = { "p50_us", "p90_us", "p99_us", "max_us", "mean_us", "failed",
					       "failure_rate", "listen_queue_p99_us", "runq_p99_us" };

	if (!strcmp(metric, "held_task_seconds"))
		return ATTR_TASK;
	if (strstr(metric, "_kb"))
		return ATTR_MEMORY;
	for (size_t i = 0; i < ARRAY_SIZE(latency); i++)
		if (!strcmp(metric, latency[i]))
			return ATTR_LATENCY;
	return ATTR_MACHINE;
}

/* ---- the figures, per request of the load --------------------------------- */

static double requests(const struct run_model *r)
{
	return (double)(r->load.completed + r->load.failed);
}

static double per_req(const struct run_model *r, double ns)
{
	return ns / 1e3 / requests(r);
}

/* A kernel histogram's sum over the load phase. */
static double hsum(const struct run_model *r, int id)
{
	uint64_t a = r->snap_start.hists[id].sum_ns, b = r->snap_end.hists[id].sum_ns;

	return b > a ? (double)(b - a) : 0;
}

static double oncpu(const struct run_model *r, int role)
{
	return (double)r->k.sched.raw.oncpu_ns[role];
}

static double off(const struct run_model *r, int role, int reason)
{
	return (double)r->k.sched.raw.off_ns[role][reason];
}

static double serving(const struct run_model *r, double (*f)(const struct run_model *, int, int), int reason)
{
	return f(r, MS_ROLE_PREFORK_CHILD, reason) + f(r, MS_ROLE_WORKER, reason);
}

static double runq_of(const struct run_model *r, int role, int unused)
{
	return (double)r->k.sched.runq_khist[role].sum_ns;
}

static double oncpu_of(const struct run_model *r, int role, int unused)
{
	return oncpu(r, role);
}

static double create_reap(const struct run_model *r)
{
	return hsum(r, MS_H_PROC_CREATE) + hsum(r, MS_H_THREAD_CREATE) + hsum(r, MS_H_REAP);
}

double machine_other_ns(const struct run_model *r)
{
	/* softirqs run in whichever task they interrupt and are charged to it
	 * (without IRQ_TIME_ACCOUNTING): the server's and mpmscope's own are in
	 * their CPU time already */
	double busy = (double)(r->mach.user_ns + r->mach.system_ns + r->mach.irq_ns);

	return fmax(busy - (double)r->k.sched.oncpu_ns - (double)r->mach.self_ns, 0);
}

/* The machine time the run had: what other processes took of the CPUs
 * (a shared machine) was no one's here, nor what the hypervisor stole from
 * this guest (on a busy host a fifth of a short load, and as uneven from one
 * run to the next): both are left out of the gap. */
static double machine_total(const struct run_model *r)
{
	return fmax((double)r->mach.ncpu * (double)r->mach.wall_ns - machine_other_ns(r) - (double)r->mach.steal_ns, 0);
}

/* ---- building an account ---------------------------------------------------- */

struct acct {
	struct attribution *at;
	const struct run_model *a, *b;
};

static struct attr_cause *cause(struct acct *x, const char *key, double a, double b, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static struct attr_cause *cause(struct acct *x, const char *key, double a, double b, const char *fmt, ...)
{
	struct attr_cause *c;
	va_list ap;

	if (x->at->ncauses >= ATTR_MAX_CAUSES || (a == 0 && b == 0) || !isfinite(a) || !isfinite(b))
		return NULL;
	c = &x->at->causes[x->at->ncauses++];
	c->key = key;
	c->a = a;
	c->b = b;
	c->gap = b - a;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	return c;
}

/* A cost measured in ns over the load on each run, per request. */
#define COST(x, key, fa, fb, ...) cause(x, key, per_req((x)->a, fa), per_req((x)->b, fb), __VA_ARGS__)

static const char *an(const struct acct *x) { return mpm_name(x->at->a); }
static const char *bn(const struct acct *x) { return mpm_name(x->at->b); }

static void machine_causes(struct acct *x)
{
	const struct run_model *a = x->a, *b = x->b;
	const struct sched_facts *sa = &a->k.sched, *sb = &b->k.sched;
	double mgmt_a, mgmt_b;

	COST(x, "serving_cpu", serving(a, oncpu_of, 0), serving(b, oncpu_of, 0),
	     "CPU of the tasks that serve the requests (prefork children, worker threads); context switches per "
	     "request %s %.2f, %s %.2f, wake-ups %s %.2f, %s %.2f",
	     bn(x), sb->cswitch_per_request, an(x), sa->cswitch_per_request, bn(x), sb->wakeups_per_request, an(x),
	     sa->wakeups_per_request);
	COST(x, "dispatch_cpu", oncpu(a, MS_ROLE_LISTENER), oncpu(b, MS_ROLE_LISTENER),
	     "CPU of the listener threads (accepting, handing each connection to a worker; event: keep-alive "
	     "and lingering close too); listener>worker wake-ups per request %s %.2f, %s %.2f",
	     bn(x), (double)sb->pairs[MS_ROLE_LISTENER][MS_ROLE_WORKER] / requests(b), an(x),
	     (double)sa->pairs[MS_ROLE_LISTENER][MS_ROLE_WORKER] / requests(a));
	COST(x, "create_reap", create_reap(a), create_reap(b),
	     "creating and reaping processes and threads under load (fork/clone and wait4, in the kernel): %s %llu "
	     "processes and %llu threads, %s %llu and %llu",
	     bn(x), (unsigned long long)b->k.spawn_by_phase[PHASE_LOAD][0],
	     (unsigned long long)b->k.spawn_by_phase[PHASE_LOAD][1], an(x),
	     (unsigned long long)a->k.spawn_by_phase[PHASE_LOAD][0],
	     (unsigned long long)a->k.spawn_by_phase[PHASE_LOAD][1]);
	mgmt_a = oncpu(a, MS_ROLE_PARENT) + oncpu(a, MS_ROLE_CHILD_MAIN) + oncpu(a, MS_ROLE_STARTER) + oncpu(a, MS_ROLE_OTHER);
	mgmt_b = oncpu(b, MS_ROLE_PARENT) + oncpu(b, MS_ROLE_CHILD_MAIN) + oncpu(b, MS_ROLE_STARTER) + oncpu(b, MS_ROLE_OTHER);
	/* creation and reaping run in these tasks: counted once, above */
	COST(x, "management_cpu", fmax(mgmt_a - create_reap(a), 0), fmax(mgmt_b - create_reap(b), 0),
	     "CPU of the parent, the children's main threads and the starters, besides creating and reaping");
	COST(x, "load_generator_cpu", (double)a->mach.client_ns, (double)b->mach.client_ns,
	     "the load generator's own CPU, on the same CPUs: %llu connections opened on %s, %llu on %s",
	     (unsigned long long)b->load.connections, bn(x), (unsigned long long)a->load.connections, an(x));
	COST(x, "tracer_cpu", fmax((double)a->mach.self_ns - (double)a->mach.client_ns, 0),
	     fmax((double)b->mach.self_ns - (double)b->mach.client_ns, 0),
	     "mpmscope's own tracer and memory sampler (draining records, reading /proc)");
}

/* CPU left idle, and taken by processes that are neither the server nor
 * mpmscope, per request: what the machine-time account cannot explain. */
static void machine_rest(struct acct *x)
{
	struct attribution *at = x->at;
	double idle[2], other[2], steal[2], share[2], srv[2];
	const struct run_model *r[2] = { x->a, x->b };

	for (int i = 0; i < 2; i++) {
		double all = (double)r[i]->mach.ncpu * (double)r[i]->mach.wall_ns;

		idle[i] = per_req(r[i], (double)r[i]->mach.idle_ns);
		other[i] = per_req(r[i], machine_other_ns(r[i]));
		steal[i] = per_req(r[i], (double)r[i]->mach.steal_ns);
		share[i] = 100.0 * (double)r[i]->mach.client_ns / all;
		srv[i] = 100.0 * (double)r[i]->k.sched.oncpu_ns / all;
	}
	snprintf(at->unexplained_text, sizeof(at->unexplained_text),
		 "CPUs idle %s %.1f, %s %.1f us/request, and what the tracer's records miss", bn(x), idle[1], an(x),
		 idle[0]);
	snprintf(at->note, sizeof(at->note),
		 "the machine: %u CPUs shared by the load generator (%.0f%% of them on %s, %.0f%% on %s) and the "
		 "server (%.0f%%, %.0f%%): its req/s are those of this machine, client included; other processes "
		 "took %.1f and %.1f us/request, the hypervisor stole %.1f and %.1f, left out of the gap",
		 x->b->mach.ncpu, share[1], bn(x), share[0], an(x), srv[1], srv[0], other[1], other[0], steal[1], steal[0]);
}

static double runq_serving(const struct run_model *r)
{
	return serving(r, runq_of, 0) + runq_of(r, MS_ROLE_LISTENER, 0);
}

static void latency_causes(struct acct *x)
{
	const struct run_model *a = x->a, *b = x->b;

	COST(x, "listen_queue", hsum(a, MS_H_LISTEN_Q), hsum(b, MS_H_LISTEN_Q),
	     "waiting in the listen queue to be accepted (no process or thread free to take it): p99 %s %.0f us, %s "
	     "%.0f us per connection, %.1f and %.1f requests per connection",
	     bn(x), b->k.conn.listen_queue_us.p99, an(x), a->k.conn.listen_queue_us.p99, b->k.conn.requests_per_conn,
	     a->k.conn.requests_per_conn);
	COST(x, "run_queue", runq_serving(a), runq_serving(b),
	     "the serving tasks and listeners waiting for a CPU once woken: %.2f wake-ups per request on %s, %.2f on "
	     "%s, each a wait in the run queue",
	     b->k.sched.wakeups_per_request, bn(x), a->k.sched.wakeups_per_request, an(x));
	COST(x, "request_read", hsum(a, MS_H_REQ_READ), hsum(b, MS_H_REQ_READ),
	     "reading the request (first to last read)");
	COST(x, "request_handle", hsum(a, MS_H_REQ_HANDLE), hsum(b, MS_H_REQ_HANDLE),
	     "handling it (last read to the response's first byte)");
	COST(x, "response_write", hsum(a, MS_H_REQ_WRITE), hsum(b, MS_H_REQ_WRITE),
	     "writing the response (first to last write)");
	snprintf(x->at->unexplained_text, sizeof(x->at->unexplained_text),
		 "the client's side: its own time, and the way to and from the server");
	if (a->load_cfg.rate <= 0)
		snprintf(x->at->note, sizeof(x->at->note),
			 "a closed loop of %u connections: its mean latency is connections / throughput, so this gap is "
			 "also the machine-time gap",
			 b->load_cfg.connections);
}

static void task_causes(struct acct *x)
{
	const struct run_model *a = x->a, *b = x->b;

	COST(x, "keepalive_held", serving(a, off, MS_OFF_KEEPALIVE), serving(b, off, MS_OFF_KEEPALIVE),
	     "held on idle keep-alive connections: %.1f task-seconds on %s, %.1f on %s", b->k.conn.held_task_seconds,
	     bn(x), a->k.conn.held_task_seconds, an(x));
	COST(x, "linger", serving(a, off, MS_OFF_LINGER), serving(b, off, MS_OFF_LINGER),
	     "lingering close: waiting for the client's FIN after the server's");
	COST(x, "reading", serving(a, off, MS_OFF_READ_REQ), serving(b, off, MS_OFF_READ_REQ),
	     "waiting for the rest of a request");
	COST(x, "writing", serving(a, off, MS_OFF_WRITE_RESP), serving(b, off, MS_OFF_WRITE_RESP),
	     "waiting for the client to read a response");
	COST(x, "on_cpu", serving(a, oncpu_of, 0), serving(b, oncpu_of, 0), "on a CPU");
	COST(x, "run_queue", serving(a, runq_of, 0), serving(b, runq_of, 0), "waiting for a CPU");
	COST(x, "accept_mutex", serving(a, off, MS_OFF_ACCEPT_MUTEX), serving(b, off, MS_OFF_ACCEPT_MUTEX),
	     "waiting for the accept mutex");
	snprintf(x->at->unexplained_text, sizeof(x->at->unexplained_text),
		 "blocked elsewhere (a lock, a handler, a reason the probes do not classify)");
}

static double task_total(const struct run_model *r)
{
	double t = serving(r, oncpu_of, 0) + serving(r, runq_of, 0);
	static const int busy[] = { MS_OFF_KEEPALIVE, MS_OFF_LINGER, MS_OFF_READ_REQ, MS_OFF_WRITE_RESP,
				    MS_OFF_ACCEPT_MUTEX, MS_OFF_OTHER };

	for (size_t i = 0; i < ARRAY_SIZE(busy); i++)
		t += serving(r, off, busy[i]);
	return per_req(r, t);
}

static void memory_causes(struct acct *x)
{
	const struct memory_facts *ma = &x->a->mem, *mb = &x->b->mem;

	cause(x, "parent", (double)ma->parent_pss_kb, (double)mb->parent_pss_kb, "the parent process");
	cause(x, "children_private", ma->children * ma->child_uss_kb.mean, mb->children * mb->child_uss_kb.mean,
	      "the children's private memory: %u x %.0f kB on %s, %u x %.0f kB on %s (one slot: %.0f kB a %s, %.0f kB "
	      "a %s)",
	      mb->children, mb->child_uss_kb.mean, bn(x), ma->children, ma->child_uss_kb.mean, an(x), mb->kb_per_slot,
	      mb->slots_per_child > 1 ? "thread" : "process", ma->kb_per_slot, ma->slots_per_child > 1 ? "thread" : "process");
	cause(x, "children_shared", ma->children * (ma->child_pss_kb.mean - ma->child_uss_kb.mean),
	      mb->children * (mb->child_pss_kb.mean - mb->child_uss_kb.mean),
	      "the children's share of the pages they share with the parent and each other");
	snprintf(x->at->unexplained_text, sizeof(x->at->unexplained_text),
		 "rounding: PSS is a sum over processes, so the parts add up");
}

/* The totals of the two runs on a basis (NaN: not measured). */
static double total_of(const struct run_model *r, enum attr_basis basis)
{
	switch (basis) {
	case ATTR_MACHINE: return r->mach.sampled ? per_req(r, machine_total(r)) : NAN;
	case ATTR_LATENCY: return r->load.latency && hdr_count(r->load.latency) ? hdr_mean(r->load.latency) : NAN;
	case ATTR_TASK: return task_total(r);
	case ATTR_MEMORY: return r->mem.sampled && r->mem.children ? (double)r->mem.pss_kb : NAN;
	default: return NAN;
	}
}

static int by_gap(const void *p, const void *q)
{
	const struct attr_cause *x = p, *y = q;

	return x->gap > y->gap ? -1 : x->gap < y->gap;
}

static bool account(const struct run_model *p, const struct run_model *q, enum attr_basis basis, struct attribution *at)
{
	double tp = total_of(p, basis), tq = total_of(q, basis);
	struct acct x = { .at = at };

	if (!isfinite(tp) || !isfinite(tq) || tp == tq || !requests(p) || !requests(q))
		return false;
	memset(at, 0, sizeof(*at));
	x.a = tp < tq ? p : q;
	x.b = tp < tq ? q : p;
	at->basis = basis;
	at->a = x.a->mpm;
	at->b = x.b->mpm;
	at->a_total = fmin(tp, tq);
	at->b_total = fmax(tp, tq);
	at->gap = at->b_total - at->a_total;
	if (basis == ATTR_MACHINE) {
		machine_causes(&x);
		machine_rest(&x);
	} else if (basis == ATTR_LATENCY) {
		latency_causes(&x);
	} else if (basis == ATTR_TASK) {
		task_causes(&x);
	} else {
		memory_causes(&x);
	}
	for (int i = 0; i < at->ncauses; i++)
		at->explained += at->causes[i].gap;
	at->unexplained = at->gap - at->explained;
	at->share = at->explained / at->gap;
	qsort(at->causes, (size_t)at->ncauses, sizeof(at->causes[0]), by_gap);
	return true;
}

int attrib_scenario(const struct run_model *runs, int nruns, struct attribution *out, int max)
{
	int n = 0;

	for (int i = 0; i < nruns; i++)
		for (int k = i + 1; k < nruns; k++)
			for (int basis = 0; basis < ATTR__MAX && n < max; basis++)
				if (runs[i].ran && runs[k].ran && account(&runs[i], &runs[k], (enum attr_basis)basis, &out[n]))
					n++;
	return n;
}

static int find(const struct attribution *accts, int n, enum mpm x, enum mpm y, enum attr_basis basis)
{
	for (int i = 0; i < n; i++)
		if (accts[i].basis == basis &&
		    ((accts[i].a == x && accts[i].b == y) || (accts[i].a == y && accts[i].b == x)))
			return i;
	return -1;
}

void attrib_claims(struct claim_result *claims, int nclaims, const struct attribution *accts, int naccts)
{
	for (int i = 0; i < nclaims; i++) {
		struct claim_result *cr = &claims[i];

		cr->nexpl = 0;
		for (int k = 0; k < cr->claim->nchecks; k++) {
			const struct sc_check *c = &cr->claim->checks[k];
			int ix = c->rhs_is_mpm ? find(accts, naccts, c->lhs, c->rhs, attr_basis_of(c->metric)) : -1;
			bool seen = false;

			for (int j = 0; j < cr->nexpl; j++)
				seen |= cr->expl[j] == ix;
			if (ix >= 0 && !seen && cr->nexpl < SC_MAX_CHECKS)
				cr->expl[cr->nexpl++] = ix;
		}
	}
}
