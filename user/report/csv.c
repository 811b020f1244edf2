// SPDX-License-Identifier: MIT
#include "report/csv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/sbuf.h"
#include "base/units.h"

/*
 * One function lists the columns (csv_columns); it runs once in header mode
 * (names) and once per run (values), so the header and the rows cannot drift
 * apart. Numbers are printed as in the JSON report (integers exactly, reals
 * by fmt_real: the shortest decimal that reads back as the same double) so
 * that both files say the same.
 */
struct csv {
	struct sbuf *b;
	bool header;
	bool first;
};

static void field_sep(struct csv *c)
{
	if (!c->first)
		sb_put(c->b, ",", 1);
	c->first = false;
}

/* RFC 4180: quote a field holding a comma, a quote, CR/LF or edge spaces;
 * bytes that are not UTF-8 become U+FFFD, as in the JSON. */
static void field_text(struct csv *c, const char *raw)
{
	struct sbuf u = { 0 };
	const char *s;
	size_t n;

	sb_put_utf8(&u, raw);
	s = u.buf ? u.buf : "";
	n = u.len;
	field_sep(c);
	if (!strpbrk(s, ",\"\r\n") && !(n && (s[0] == ' ' || s[n - 1] == ' '))) {
		sb_put(c->b, s, n);
	} else {
		sb_put(c->b, "\"", 1);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				sb_put(c->b, "\"", 1);
			sb_put(c->b, p, 1);
		}
		sb_put(c->b, "\"", 1);
	}
	sb_free(&u);
}

static void col_str(struct csv *c, const char *name, const char *v)
{
	field_text(c, c->header ? name : v ? v : "");
}

static void col_u64(struct csv *c, const char *name, bool has, uint64_t v)
{
	char t[32];

	if (c->header || !has) {
		col_str(c, name, "");
		return;
	}
	snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
	field_text(c, t);
}

static void col_dbl(struct csv *c, const char *name, bool has, double v)
{
	char t[FMT_REAL_MAX];

	if (c->header || !has || !isfinite(v)) {
		col_str(c, name, "");
		return;
	}
	field_text(c, fmt_real(t, sizeof(t), v));
}

static void col_dist(struct csv *c, const char *prefix, bool has, const struct dist *d)
{
	char n50[64], n99[64];

	snprintf(n50, sizeof(n50), "%s_p50_us", prefix);
	snprintf(n99, sizeof(n99), "%s_p99_us", prefix);
	col_dbl(c, n50, has && d->n, d->p50);
	col_dbl(c, n99, has && d->n, d->p99);
}

static uint64_t pct(const struct lg_result *l, double p)
{
	return l->latency ? hdr_percentile(l->latency, p) : 0;
}

static void csv_columns(struct csv *c, const struct report *rep, const struct run_model *r)
{
	static const struct run_model none;
	const struct lg_result *l;
	const struct kernel_facts *k;
	const struct spawn_facts *s;
	const struct memory_facts *m;
	bool ran, lat, mem, tls;
	char name[64];

	if (!r)
		r = &none;
	l = &r->load;
	k = &r->k;
	s = &k->spawn;
	m = &r->mem;
	ran = r->ran;
	lat = ran && l->latency;
	mem = ran && m->sampled;

	col_str(c, "scenario", rep->sc->name);
	col_str(c, "mpm", mpm_name(r->mpm));
	col_str(c, "httpd_version", rep->httpd_version ? rep->httpd_version : "");
	col_str(c, "ran", ran ? "true" : "false");
	col_str(c, "interrupted", r->interrupted ? "true" : "false");
	col_str(c, "error", r->error); /* did not serve, or died during the load */

	/* load side */
	col_u64(c, "requests", ran, l->requested);
	col_u64(c, "completed", ran, l->completed);
	col_u64(c, "failed", ran, l->failed);
	for (int f = 0; f < LG_FAIL__MAX; f++) {
		snprintf(name, sizeof(name), "failed_%s", lg_fail_name((enum lg_fail)f));
		col_u64(c, name, ran, l->failed_by[f]);
	}
	col_u64(c, "connections", ran, l->connections);
	col_u64(c, "keepalive_reused", ran, l->keepalive_reused);
	col_u64(c, "retried_idle_close", ran, l->retried_idle_close);
	col_dbl(c, "duration_s", ran, l->duration_s);
	col_dbl(c, "rps", ran, l->rps);
	col_dbl(c, "failure_rate", ran, lg_failure_rate(l));
	col_u64(c, "latency_p50_us", lat, pct(l, 50));
	col_u64(c, "latency_p90_us", lat, pct(l, 90));
	col_u64(c, "latency_p99_us", lat, pct(l, 99));
	col_u64(c, "latency_p999_us", lat, pct(l, 99.9));
	col_u64(c, "latency_max_us", lat, pct(l, 100));
	col_dbl(c, "latency_mean_us", lat, lat ? hdr_mean(l->latency) : 0);
	/* TLS: the load generator's handshakes (empty for plain HTTP) */
	tls = ran && r->load_cfg.tls;
	col_u64(c, "tls_handshakes", tls, l->tls_handshakes);
	col_u64(c, "tls_full", tls, l->tls_full);
	col_u64(c, "tls_resumed", tls, l->tls_resumed);
	col_u64(c, "tls_failed", tls, l->tls_failed);

	/* kernel side */
	col_str(c, "attach_mode", ran && k->attach_mode ? k->attach_mode : "");
	col_u64(c, "processes_created", ran, k->processes_created);
	col_u64(c, "threads_created", ran, k->threads_created);
	col_u64(c, "exits", ran, k->process_exits + k->thread_exits);
	col_u64(c, "accepts", ran, k->accepts);
	col_u64(c, "accepts_internal", ran, k->accepts_internal);
	col_u64(c, "accept_errors", ran, k->accept_errors);
	col_u64(c, "load_conns_unaccepted", ran, k->load_conns_unaccepted);
	col_u64(c, "create_failed", ran, k->create_failed);
	col_u64(c, "events_lost", ran, k->events_lost);
	col_u64(c, "server_procs_max_threads", ran, k->server_procs_max_threads);
	/* the server's CPU (sum_exec_runtime in sched_switch) per completed
	 * request and per accepted connection: a TLS handshake's cost */
	col_dbl(c, "cpu_us_per_request", ran && l->completed, k->sched.cpu_us_per_request);
	col_dbl(c, "cpu_us_per_connection", ran && k->accepts, k->sched.cpu_us_per_connection);
	for (int p = 0; p < PHASE__MAX; p++) {
		snprintf(name, sizeof(name), "processes_%s", phase_name((enum phase)p));
		col_u64(c, name, ran, k->spawn_by_phase[p][0]);
		snprintf(name, sizeof(name), "threads_%s", phase_name((enum phase)p));
		col_u64(c, name, ran, k->spawn_by_phase[p][1]);
	}
	col_dist(c, "process_create", ran, &s->proc_create_us);
	col_dist(c, "thread_create", ran, &s->thread_create_us);
	col_dist(c, "process_first_run", ran, &s->proc_first_run_us);
	col_dist(c, "thread_first_run", ran, &s->thread_first_run_us);
	col_dist(c, "process_ready", ran, &s->proc_ready_us);
	col_dist(c, "thread_ready", ran, &s->thread_ready_us);
	col_dbl(c, "create_cpu_share", ran, s->create_cpu_share);

	/* memory at the peak sample */
	col_u64(c, "rss_kb", mem, m->rss_kb);
	col_u64(c, "pss_kb", mem, m->pss_kb);
	col_u64(c, "uss_kb", mem, m->uss_kb);
	col_u64(c, "parent_pss_kb", mem, m->parent_pss_kb);
	col_u64(c, "children", mem, m->children);
	col_dbl(c, "child_pss_kb_p50", mem && m->child_pss_kb.n, m->child_pss_kb.p50);
	col_dbl(c, "child_uss_kb_p50", mem && m->child_uss_kb.n, m->child_uss_kb.p50);
	col_u64(c, "slots_per_child", mem, m->slots_per_child);
	col_dbl(c, "kb_per_slot", mem, m->kb_per_slot);
	sb_put(c->b, "\n", 1);
}

int report_csv_all(const struct report *reps, int nreps, const char *path, struct errbuf *e)
{
	static const struct scenario none;
	const struct report blank = { .sc = &none };
	struct sbuf b;
	struct csv c = { .b = &b, .header = true, .first = true };
	int rc;

	sb_init(&b);
	csv_columns(&c, nreps ? &reps[0] : &blank, NULL);
	c.header = false;
	for (int s = 0; s < nreps; s++)
		for (int i = 0; i < reps[s].nruns; i++) {
			c.first = true;
			csv_columns(&c, &reps[s], &reps[s].runs[i]);
		}
	rc = write_file_atomic(path, b.buf, b.len, e);
	sb_free(&b);
	return rc;
}

/* compare --sweep: one row per point and MPM, the curves' values. */
static void sweep_columns(struct csv *c, const struct report *rep, int k, enum mpm m)
{
	static const struct sweep_cell none;
	const struct sweep *sw = rep->sweep;
	const struct sweep_cell *x = c->header ? &none : &sw->cell[k][m];
	bool ran = x->ran;

	col_str(c, "scenario", rep->sc->name);
	col_str(c, "param", sweep_param_name(sw->param));
	col_dbl(c, "value", true, c->header ? 0 : sw->values[k]);
	col_str(c, "mpm", mpm_name(m));
	col_str(c, "ran", ran ? "true" : "false");
	col_str(c, "error", x->error);
	col_u64(c, "requests", true, x->requests);
	col_u64(c, "connections", true, x->connections);
	col_dbl(c, "rate", x->rate > 0, x->rate);
	col_u64(c, "peak_conns", ran, x->peak_conns);
	col_u64(c, "completed", ran, x->completed);
	col_u64(c, "failed", ran, x->failed);
	col_dbl(c, "failure_rate", ran, x->failure_rate);
	col_dbl(c, "rps", ran, x->rps);
	col_dbl(c, "duration_s", ran, x->duration_s);
	col_dbl(c, "latency_p50_us", ran, x->p50_us);
	col_dbl(c, "latency_p90_us", ran, x->p90_us);
	col_dbl(c, "latency_p99_us", ran, x->p99_us);
	col_dbl(c, "latency_max_us", ran, x->max_us);
	col_u64(c, "rss_kb", ran && x->mem_sampled, x->rss_kb);
	col_u64(c, "pss_kb", ran && x->mem_sampled, x->pss_kb);
	col_u64(c, "procs_alive", ran && x->procs_max, x->procs_max);
	col_u64(c, "threads_alive", ran && x->threads_max, x->threads_max);
	col_dbl(c, "cpu_us_per_request", ran, x->cpu_us_per_request);
	col_dbl(c, "held_task_seconds", ran && x->conn_known, x->held_task_seconds);
	col_u64(c, "accepts", ran, x->accepts);
	col_u64(c, "events_lost", ran, x->events_lost);
	col_str(c, "knee_fail", !c->header && sw->knee[m].fail == k ? "true" : "false");
	col_str(c, "knee_p99", !c->header && sw->knee[m].p99 == k ? "true" : "false");
	sb_put(c->b, "\n", 1);
}

static int report_csv_sweep(const struct report *rep, const char *path, struct errbuf *e)
{
	const struct sweep *sw = rep->sweep;
	struct sbuf b;
	struct csv c = { .b = &b, .header = true, .first = true };
	int rc;

	sb_init(&b);
	sweep_columns(&c, rep, 0, MPM_PREFORK);
	c.header = false;
	for (int k = 0; k < sw->ndone; k++)
		for (int m = 0; m < MPM__MAX; m++)
			if (sw->mpms[m] && sw->cell[k][m].measured) {
				c.first = true;
				sweep_columns(&c, rep, k, (enum mpm)m);
			}
	rc = write_file_atomic(path, b.buf, b.len, e);
	sb_free(&b);
	return rc;
}

int report_csv(const struct report *rep, const char *path, struct errbuf *e)
{
	if (rep->sweep)
		return report_csv_sweep(rep, path, e);
	return report_csv_all(rep, 1, path, e);
}
