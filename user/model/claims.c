// SPDX-License-Identifier: MIT
#include "model/claims.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"
#include "scenario/metrics.h"

typedef double (*metric_fn)(const struct run_model *r);

static double m_rps(const struct run_model *r) { return r->load.rps; }
static double m_failed(const struct run_model *r) { return (double)r->load.failed; }
static double m_failure_rate(const struct run_model *r)
{
	uint64_t n = r->load.completed + r->load.failed;

	return n ? (double)r->load.failed / (double)n : NAN;
}
static double lat(const struct run_model *r, double p)
{
	return r->load.latency && hdr_count(r->load.latency) ? (double)hdr_percentile(r->load.latency, p) : NAN;
}
static double m_p50_us(const struct run_model *r) { return lat(r, 50); }
static double m_p90_us(const struct run_model *r) { return lat(r, 90); }
static double m_p99_us(const struct run_model *r) { return lat(r, 99); }
static double m_max_us(const struct run_model *r) { return lat(r, 100); }
static double m_mean_us(const struct run_model *r) { return r->load.latency ? hdr_mean(r->load.latency) : NAN; }
static double mem(const struct run_model *r, uint64_t v) { return r->mem.sampled ? (double)v : NAN; }
static double m_pss_kb(const struct run_model *r) { return mem(r, r->mem.pss_kb); }
static double m_rss_kb(const struct run_model *r) { return mem(r, r->mem.rss_kb); }
static double m_uss_kb(const struct run_model *r) { return mem(r, r->mem.uss_kb); }
static double m_kb_per_slot(const struct run_model *r) { return r->mem.sampled ? r->mem.kb_per_slot : NAN; }
static double m_cpu_us_per_request(const struct run_model *r) { return r->k.sched.cpu_us_per_request; }
static double m_cpu_us_per_connection(const struct run_model *r) { return r->k.sched.cpu_us_per_connection; }
static double m_cswitch_per_request(const struct run_model *r) { return r->k.sched.cswitch_per_request; }
static double m_wakeups_per_request(const struct run_model *r) { return r->k.sched.wakeups_per_request; }
static double m_runq_p99_us(const struct run_model *r) { return r->k.sched.runq_us.n ? r->k.sched.runq_us.p99 : NAN; }
static double m_held_task_seconds(const struct run_model *r) { return r->k.conn.available ? r->k.conn.held_task_seconds : NAN; }
static double m_processes_created(const struct run_model *r) { return (double)r->k.processes_created; }
static double m_threads_created(const struct run_model *r) { return (double)r->k.threads_created; }
static double m_listen_queue_p99_us(const struct run_model *r)
{
	return r->k.conn.listen_queue_us.n ? r->k.conn.listen_queue_us.p99 : NAN;
}
static double m_transfer_mb_s(const struct run_model *r)
{
	return r->load.duration_s > 0 ? (double)r->load.bytes_read / r->load.duration_s / 1e6 : NAN;
}
static double m_server_cpu_s(const struct run_model *r) { return (double)r->k.spawn.server_cpu_ns / 1e9; }
/* 1: Apache itself would not serve under this MPM (its start-up check or its
 * start-up failed, in its own words: the run's error); 0: it served */
static double m_refused(const struct run_model *r) { return r->refused ? 1 : 0; }

/* One function m_NAME per metric of scenario/metrics.h (the compiler says
 * which one is missing). */
#define METRIC(name, unit_) { #name, m_##name, unit_ },
static const struct {
	const char *name;
	metric_fn fn;
	const char *unit;
} metrics[] = { SC_METRICS(METRIC) };
#undef METRIC

const char *verdict_name(enum verdict v)
{
	static const char *const n[] = { "confirmed", "refuted", "not checked", "not measured" };

	return v <= VERDICT_NOT_MEASURED ? n[v] : "?";
}

/* A server that never served failed every request: the claims about
 * failures count it so; anything else about it was not measured. */
static double value_of(const char *metric, const struct run_model *runs, int nruns, enum mpm m)
{
	for (int i = 0; i < nruns; i++) {
		const struct run_model *r = &runs[i];

		if (r->mpm != m)
			continue;
		if (!strcmp(metric, "refused"))
			return m_refused(r);
		if (!r->ran) {
			if (!strcmp(metric, "failure_rate"))
				return 1;
			if (!strcmp(metric, "rps"))
				return 0;
			return NAN;
		}
		for (size_t k = 0; k < ARRAY_SIZE(metrics); k++)
			if (!strcmp(metrics[k].name, metric))
				return metrics[k].fn(r);
	}
	return NAN;
}

/* The error of the run of m (Apache's own, for a refusal). */
static const char *refusal_of(const struct run_model *runs, int nruns, enum mpm m)
{
	for (int i = 0; i < nruns; i++)
		if (runs[i].mpm == m)
			return runs[i].error;
	return "";
}

/* 3476, 38.7, 0.0123: whole numbers above 100, three digits below */
static const char *num(char *buf, size_t n, double v)
{
	if (fabs(v) >= 100)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.3g", v);
	return buf;
}

static bool holds(double a, const char *op, double b)
{
	if (!strcmp(op, ">"))
		return a > b;
	if (!strcmp(op, ">="))
		return a >= b;
	if (!strcmp(op, "<"))
		return a < b;
	return a <= b;
}

int claims_eval(const struct scenario *sc, const struct run_model *runs, int nruns, struct claim_result *out, int max)
{
	int n = 0;

	for (int i = 0; i < sc->nexpect && n < max; i++) {
		const struct sc_expect *x = &sc->expect[i];
		struct claim_result *cr = &out[n++];
		bool refuted = false, unmeasured = false;
		size_t used = 0;

		memset(cr, 0, sizeof(*cr));
		cr->claim = x;
		if (!x->nchecks) {
			cr->verdict = VERDICT_NOT_CHECKED;
			snprintf(cr->evidence, sizeof(cr->evidence), "no measurable check in this scenario");
			continue;
		}
		for (int k = 0; k < x->nchecks; k++) {
			const struct sc_check *c = &x->checks[k];
			double a = value_of(c->metric, runs, nruns, c->lhs);
			double b = c->rhs_is_mpm ? c->factor * value_of(c->metric, runs, nruns, c->rhs) : c->factor;
			char rhs[64], n1[32], n2[32];
			int w;

			if (c->rhs_is_mpm && c->factor != 1)
				snprintf(rhs, sizeof(rhs), "%g x %s %s", c->factor, mpm_name(c->rhs), num(n2, sizeof(n2), b / c->factor));
			else if (c->rhs_is_mpm)
				snprintf(rhs, sizeof(rhs), "%s %s", mpm_name(c->rhs), num(n2, sizeof(n2), b));
			else
				snprintf(rhs, sizeof(rhs), "%s", num(n2, sizeof(n2), b));
			if (isnan(a) || isnan(b)) {
				unmeasured = true;
				w = snprintf(cr->evidence + used, sizeof(cr->evidence) - used, "%s%s: not measured",
					     k ? "; " : "", c->text);
			} else {
				bool ok = holds(a, c->op, b);

				refuted |= !ok;
				w = snprintf(cr->evidence + used, sizeof(cr->evidence) - used, "%s%s: %s %s %s %s: %s",
					     k ? "; " : "", c->metric, mpm_name(c->lhs), num(n1, sizeof(n1), a), c->op, rhs,
					     ok ? "yes" : "no");
				/* a refusal is said in Apache's own words */
				if (w > 0 && !strcmp(c->metric, "refused") && a > 0 && used + (size_t)w < sizeof(cr->evidence))
					w += snprintf(cr->evidence + used + w, sizeof(cr->evidence) - used - (size_t)w, " (%s)",
						      refusal_of(runs, nruns, c->lhs));
			}
			if (w > 0)
				used = used + (size_t)w < sizeof(cr->evidence) ? used + (size_t)w : sizeof(cr->evidence) - 1;
		}
		cr->verdict = refuted ? VERDICT_REFUTED : unmeasured ? VERDICT_NOT_MEASURED : VERDICT_CONFIRMED;
	}
	return n;
}
