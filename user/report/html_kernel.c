// SPDX-License-Identifier: MIT
/* The HTML report's sections: The kernel's side: failures and their root causes, the scheduler, the
 * connections. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "report/html_internal.h"
#include "trace/khist.h"

static bool fail_shown(const struct run_model *r)
{
	const struct failure_facts *ff = &r->fail;

	return !r->ran || ff->nrows || ff->tasks_killed || ff->tasks_failed || ff->create_failed ||
	       ff->net.listen_overflows || ff->net.listen_drops || ff->conn_unaccepted || ff->ncodes;
}

static const char *row_kind(const struct failure_row *w)
{
	return w->retried == 1 ? "retried" : w->retried == 2 ? "idle-close" : w->client_class;
}

/* Requests by root cause across MPMs: real failures, and apart the idle
 * keep-alive closes that ab would have counted. */
static void plot_fail_causes(struct page *p)
{
	const struct report *rep = p->rep;
	char names[FC__MAX * 2][64];
	const char *cats[FC__MAX * 2];
	double v[MPM__MAX][FC__MAX * 2];
	struct svg_series s[MPM__MAX];
	int ncat = 0, nser = 0, slot[FC__MAX * 2];

	for (int i = 0; i < FC__MAX * 2; i++)
		slot[i] = -1;
	const struct run_model *runs[MPM__MAX];

	for (int i = 0; i < rep->nruns && nser < MPM__MAX; i++) {
		const struct failure_facts *ff = &rep->runs[i].fail;

		if (!ff->nrows) /* a series for the MPMs with rows only */
			continue;
		runs[nser] = &rep->runs[i];
		for (int k = 0; k < FC__MAX * 2; k++)
			v[nser][k] = NAN;
		s[nser] = (struct svg_series){ .name = mpm_name(runs[nser]->mpm), .color = html_mpm_color(runs[nser]->mpm),
					       .y = v[nser] };
		for (int k = 0; k < ff->nrows; k++) {
			const struct failure_row *w = &ff->rows[k];
			int key = (int)w->cause * 2 + (w->retried != 0);

			if (w->cause >= FC__MAX)
				continue;
			if (slot[key] < 0) {
				slot[key] = ncat;
				snprintf(names[ncat], sizeof(names[0]), "%s%s", fail_cause_id(w->cause),
					 w->retried ? " (idle close)" : "");
				cats[ncat] = names[ncat];
				ncat++;
			}
		}
		nser++;
	}
	/* the values, now that every category has its place */
	for (int i = 0; i < nser; i++) {
		const struct failure_facts *ff = &runs[i]->fail;

		for (int k = 0; k < ff->nrows; k++) {
			const struct failure_row *w = &ff->rows[k];
			int at;

			if (w->cause >= FC__MAX)
				continue;
			at = slot[(int)w->cause * 2 + (w->retried != 0)];
			v[i][at] = (isfinite(v[i][at]) ? v[i][at] : 0) + (double)w->count;
		}
	}
	if (!ncat)
		return;
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-failcause"),
						    .title = "Failed requests by root cause",
						    .subtitle = "joined to the kernel's record of their connection; "
								"\"(idle close)\": not a failure, but ab would count it",
						    .ylabel = "requests", .yunit = SVG_INT, .horizontal = true,
						    .width = 1220, .categories = cats, .ncat = (size_t)ncat,
						    .series = s, .nseries = (size_t)nser, .value_labels = true });
}

static void failure_block(struct page *p, const struct run_model *r)
{
	const struct failure_facts *ff = &r->fail;
	struct sbuf *b = p->b;
	char id[48];

	sb_printf(b, "<div class=\"fail\" data-mpm=\"%s\">\n<h%d>", mpm_name(r->mpm), p->hl + 1);
	html_mpm_swatch(b, r->mpm);
	if (r->attached)
		sb_printf(b, ": %llu failed connection%s, %llu with a cause from the kernel", (unsigned long long)ff->failed,
			  ff->failed == 1 ? "" : "s", (unsigned long long)ff->explained);
	else if (r->ran)
		sb_printf(b, ": %llu failed request%s, %llu explained by kernel evidence; %llu idle keep-alive "
			     "close%s that ab would count as failures",
			  (unsigned long long)ff->failed, ff->failed == 1 ? "" : "s", (unsigned long long)ff->explained,
			  (unsigned long long)ff->retried, ff->retried == 1 ? "" : "s");
	else
		sb_puts(b, ": did not serve");
	sb_printf(b, "</h%d>\n", p->hl + 1);
	if (!r->ran) {
		sb_puts(b, "<p class=\"cap\" style=\"color:var(--bad)\">");
		sb_esc(b, r->error);
		sb_puts(b, "</p>\n");
	}
	if (ff->nrows) {
		snprintf(id, sizeof(id), "failures-%s", mpm_name(r->mpm));
		sb_printf(b, "<div class=\"tw\"><table id=\"%s\" class=\"failures\">\n<tr><th>count</th>"
			     "<th class=\"tl\">client saw</th><th class=\"tl\">ab would say</th>"
			     "<th class=\"txt\">cause</th><th class=\"txt\">example</th></tr>\n", html_eid(p, id));
		for (int k = 0; k < ff->nrows; k++) {
			const struct failure_row *w = &ff->rows[k];

			sb_printf(b, "<tr data-cause=\"%s\" data-kind=\"%s\"><td>%llu</td><td class=\"tl\">",
				  fail_cause_id(w->cause), w->retried ? "not-failed" : "failed",
				  (unsigned long long)w->count);
			sb_esc(b, row_kind(w));
			sb_puts(b, "</td><td class=\"tl\">");
			sb_esc(b, w->ab_class);
			sb_puts(b, "</td><td class=\"txt\">");
			sb_esc(b, w->cause_text);
			sb_puts(b, "</td><td class=\"ex\">");
			sb_esc(b, w->example);
			sb_puts(b, "</td></tr>\n");
		}
		sb_puts(b, "</table></div>\n");
	}
	sb_puts(b, "<ul class=\"evidence\">\n");
	{
		char ev[FAIL_EVIDENCE_LINES][240];
		int nev = failures_evidence(ff, ev, FAIL_EVIDENCE_LINES);

		for (int k = 0; k < nev; k++) {
			sb_puts(b, "<li>");
			sb_esc(b, ev[k]);
			sb_puts(b, "</li>\n");
		}
	}
	for (int k = 0; k < ff->ncodes; k++) {
		sb_puts(b, "<li>error log: <b>");
		sb_esc(b, ff->codes[k].code);
		sb_printf(b, "</b> &times;%llu: <code>", (unsigned long long)ff->codes[k].count);
		sb_esc(b, ff->codes[k].line);
		sb_puts(b, "</code></li>\n");
	}
	if (!ff->nrows && r->ran)
		sb_puts(b, "<li>no request failed</li>\n");
	sb_puts(b, "</ul>\n</div>\n");
}

void html_failures_section(struct page *p)
{
	const struct report *rep = p->rep;
	bool any = false;

	for (int i = 0; i < rep->nruns; i++)
		any |= fail_shown(&rep->runs[i]);
	if (rep->nruns == 1 && rep->runs[0].attached)
		html_section(p, "failures", "Failures",
			"Every connection to the server's listening ports that did not end with a complete response, "
			"and every client whose handshake was dropped, with its cause from the kernel alone: what the "
			"client saw is inferred from how the connection ended. Apache's access and error logs, read "
			"through the server's own open files, are beside, never instead.");
	else
		html_section(p, "failures", "Failures",
			"Every request the client could not complete, joined by client port and time to the kernel's "
			"record of its connection and to what the server's tasks did, with Apache's error log beside. "
			"Rows \"retried\" and \"idle-close\" are not failures: a keep-alive connection the server "
			"closed while idle (retried by mpmscope's client), which ab would have counted as failed.");
	if (!any) {
		sb_puts(p->b, "<p class=\"note\">No request failed, and the kernel saw no trouble: no listen-queue "
			      "overflow, no server task killed or failed, no failed fork or clone.</p>\n");
		return;
	}
	html_grid(p, true);
	plot_fail_causes(p);
	html_grid_end(p);
	sb_puts(p->b, "<div style=\"margin-top:12px\">\n");
	for (int i = 0; i < rep->nruns; i++)
		if (fail_shown(&rep->runs[i]))
			failure_block(p, &rep->runs[i]);
	sb_puts(p->b, "</div>\n");
}

static double per_req(const struct run_model *r, uint64_t n)
{
	return r->load.completed ? (double)n / (double)r->load.completed : 0;
}

static void sched_table(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;
	char t[32];

	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>wake-ups / req</th><th>CPU / req</th>"
		     "<th>ctx switches / req (vol. + invol.)</th><th>run queue p50 / p99</th><th>herd / conn</th>"
		     "<th class=\"txt\">main wake-ups (waker &rarr; wakee, per request)</th>"
		     "<th class=\"txt\">main off-CPU reasons (task-seconds)</th></tr>\n", html_eid(p, "sched"));
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct sched_facts *f = &r->k.sched;

		sb_puts(b, "<tr>");
		html_mpm_cell(b, r->mpm);
		sb_printf(b, "<td>%.2f</td><td>%s</td><td>%.2f (%.2f + %.2f)</td>", f->wakeups_per_request,
			  fmt_duration_us(t, sizeof(t), f->cpu_us_per_request), f->cswitch_per_request,
			  f->vcsw_per_request, f->ivcsw_per_request);
		html_td_dist(b, &f->runq_us);
		sb_printf(b, "<td>%.2f</td><td class=\"txt\">", f->herd_wakeups_per_conn);
		for (int k = 0; k < 2; k++)
			if (f->top_pairs[k].waker >= 0 && f->top_pairs[k].count)
				sb_printf(b, "%s%s &rarr; %s %.2f", k ? "; " : "", role_name(f->top_pairs[k].waker),
					  role_name(f->top_pairs[k].wakee), per_req(r, f->top_pairs[k].count));
		sb_puts(b, "</td><td class=\"txt\">");
		for (int k = 0; k < 2; k++)
			if (f->top_off[k].reason >= 0 && f->top_off[k].ns)
				sb_printf(b, "%s%s %.2f s", k ? "; " : "", offcpu_name(f->top_off[k].reason),
					  (double)f->top_off[k].ns / 1e9);
		sb_puts(b, "</td></tr>\n");
	}
	sb_puts(b, "</table></div>\n<p class=\"cap\">Load phase. Herd: wake-ups of listeners that found no "
		   "connection, per accepted connection. Off-CPU reasons leave out the idleness by design (waiting "
		   "for connections, the pipe of death, the parent's maintenance).</p>\n");
}

/* A scenario's backend (php-fpm, the upstream), when a run has one: its
 * tasks, its CPU, and Apache's connections to it (model/backend.c). */
static void backend_table(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;
	bool any = false;
	char t[32];

	for (int i = 0; i < ran->n; i++)
		any |= ran->r[i]->k.backend.present;
	if (!any)
		return;
	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>backend processes / threads</th>"
		     "<th>backend CPU</th><th>Apache's connections accepted (paired)</th>"
		     "<th>waited for a free backend worker p50 / p99</th><th>in the backend / connection</th></tr>\n",
		  html_eid(p, "backend"));
	for (int i = 0; i < ran->n; i++) {
		const struct backend_facts *k = &ran->r[i]->k.backend;

		sb_puts(b, "<tr>");
		html_mpm_cell(b, ran->r[i]->mpm);
		if (!k->present) {
			sb_puts(b, "<td class=\"txt\" colspan=\"5\">no backend in this run</td></tr>\n");
			continue;
		}
		sb_printf(b, "<td>%u / %llu</td><td>%s</td><td>%llu (%llu)</td>", k->processes,
			  (unsigned long long)k->threads_created, fmt_duration_us(t, sizeof(t), (double)k->cpu_ns / 1e3),
			  (unsigned long long)k->accepts, (unsigned long long)k->paired);
		html_td_dist(b, &k->queue_us);
		sb_printf(b, "<td>%s</td></tr>\n",
			  isfinite(k->busy_us_per_connection) ? fmt_duration_us(t, sizeof(t), k->busy_us_per_connection) : "-");
	}
	sb_puts(b, "</table></div>\n<p class=\"cap\">Load phase. Waited: from Apache's connect to the backend task's "
		   "accept, in its queue for a free worker, then for a CPU to run it. In the backend: its tasks on CPU, or "
		   "blocked other than waiting for the next connection (PHP's own time, the upstream's delay).</p>\n");
}

static void plot_offcpu(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	struct svg_series s[MS_OFF__MAX];
	double v[MS_OFF__MAX][MPM__MAX];
	size_t ns = 0;

	html_per_mpm_init(&pm, ran);
	for (int o = 0; o < MS_OFF__MAX; o++) {
		bool any = false;

		if (offcpu_idle_by_design(o)) /* as in the text report; they are in the JSON */
			continue;
		for (int i = 0; i < ran->n; i++) {
			v[ns][i] = html_nz((double)ran->r[i]->k.sched.off_ns_by_reason[o] / 1e9);
			any |= isfinite(v[ns][i]);
		}
		if (!any)
			continue;
		s[ns] = (struct svg_series){ .name = offcpu_name(o), .color = html_other_colors[o % ARRAY_SIZE(html_other_colors)],
					     .y = v[ns] };
		ns++;
	}
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-offcpu"), .title = "Off-CPU time by reason",
						    .subtitle = "server tasks blocked, load phase; idleness by design "
								"left out",
						    .ylabel = "task-seconds off CPU", .yunit = SVG_SEC,
						    .categories = pm.names, .ncat = (size_t)ran->n, .stacked = true,
						    .series = s, .nseries = ns,
						    .empty_note = "no server task blocked, idleness aside" });
}

static void plot_runq(struct page *p)
{
	static const char *const pn[] = { "p50", "p90", "p99" };
	const struct ran *ran = &p->ran;
	const struct ms_hist *h[MPM__MAX];
	struct ms_hist all[MPM__MAX];

	sb_puts(p->b, "<div class=\"grid small\">\n");
	for (int i = 0; i < ran->n; i++) {
		const struct sched_facts *f = &ran->r[i]->k.sched;
		double v[3][MS_ROLE__MAX];
		const char *cats[MS_ROLE__MAX];
		struct svg_series s[3];
		char id[48], title[96];
		size_t nc = 0;

		for (int role = 0; role < MS_ROLE__MAX; role++) {
			const struct dist *q = &f->runq_us_by_role[role];

			if (!q->n)
				continue;
			cats[nc] = role_name(role);
			v[0][nc] = q->p50;
			v[1][nc] = q->p90;
			v[2][nc] = q->p99;
			nc++;
		}
		for (int k = 0; k < 3; k++)
			s[k] = (struct svg_series){ .name = pn[k], .color = html_mpm_shade(ran->r[i]->mpm, k), .y = v[k] };
		snprintf(id, sizeof(id), "plot-runq-role-%s", mpm_name(ran->r[i]->mpm));
		snprintf(title, sizeof(title), "Run-queue latency by role: %s", mpm_name(ran->r[i]->mpm));
		html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, id), .title = title, .width = 420,
							    .height = 300,
							    .subtitle = "woken or preempted until on a CPU, load phase",
							    .ylabel = "run-queue latency", .yunit = SVG_US, .ylog = true,
							    .categories = cats, .ncat = nc, .series = s, .nseries = 3,
							    .empty_note = "no task waited in the run queue" });
	}
	html_grid_end(p);
	html_grid(p, false);
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];

		memset(&all[i], 0, sizeof(all[i]));
		for (int role = 0; role < MS_ROLE__MAX; role++) {
			struct ms_hist d;

			khist_diff(&d, &r->snap_end.hists[MS_H_RUNQ + role], &r->snap_start.hists[MS_H_RUNQ + role]);
			khist_add(&all[i], &d);
		}
		h[i] = &all[i];
	}
	html_hist_chart(p, "plot-runq-hist", "Run-queue latency histogram",
		   "kernel log2 histogram, load phase, every role: bucket [2^i, 2^(i+1)) ns by its lower bound",
		   "waits", h, "no task waited in the run queue");
	plot_offcpu(p);
	html_grid_end(p);
}

static void plot_wakeups(struct page *p)
{
	enum { MAXPAIRS = 10 };
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	struct pair {
		int w, e;
		double max;
	} pairs[MS_WAKERS * MS_ROLE__MAX];
	int np = 0;
	char names[MAXPAIRS][64];
	const char *cats[MAXPAIRS];
	double v[MPM__MAX][MAXPAIRS];

	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++) {
			double max = 0;

			for (int i = 0; i < ran->n; i++)
				max = fmax(max, per_req(ran->r[i], ran->r[i]->k.sched.pairs[w][e]));
			if (max >= 0.01)
				pairs[np++] = (struct pair){ w, e, max };
		}
	/* the busiest first (few: an insertion sort) */
	for (int a = 1; a < np; a++)
		for (int c = a; c > 0 && pairs[c].max > pairs[c - 1].max; c--) {
			struct pair t = pairs[c];

			pairs[c] = pairs[c - 1];
			pairs[c - 1] = t;
		}
	if (np > MAXPAIRS)
		np = MAXPAIRS;
	html_per_mpm_init(&pm, ran);
	for (int k = 0; k < np; k++) {
		snprintf(names[k], sizeof(names[k]), "%s \u2192 %s", role_name(pairs[k].w), role_name(pairs[k].e));
		cats[k] = names[k];
		for (int i = 0; i < ran->n; i++)
			v[i][k] = html_nz(per_req(ran->r[i], ran->r[i]->k.sched.pairs[pairs[k].w][pairs[k].e]));
	}
	for (int i = 0; i < ran->n; i++)
		pm.s[i].y = v[i];
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-wakeups"), .title = "Wake-ups by pair",
						    .subtitle = "waker \u2192 wakee, per completed request, load phase "
								"(kernel: softirq or timer; external: the client)",
						    .ylabel = "wake-ups per request", .yunit = SVG_NUM,
						    .horizontal = true, .width = 1220, .categories = cats, .ncat = (size_t)np,
						    .series = pm.s, .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = "no wake-up of a server task" });
}

void html_sched_section(struct page *p)
{
	static const char *const cs[] = { "voluntary", "involuntary", "total" };
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double cpu[MPM__MAX], v[MPM__MAX][ARRAY_SIZE(cs)];

	html_section(p, "scheduler", "Scheduler", "What the server's tasks did with the CPU during the load: how long "
					     "they waited in the run queue once runnable, who woke whom, why they "
					     "blocked, and what a request cost in CPU time and context switches.");
	sched_table(p);
	backend_table(p);
	plot_runq(p);
	html_grid(p, true);
	plot_wakeups(p);
	html_grid_end(p);
	html_grid(p, false);
	html_per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct sched_facts *f = &ran->r[i]->k.sched;

		cpu[i] = ran->r[i]->load.completed ? f->cpu_us_per_request : NAN;
		v[i][0] = ran->r[i]->load.completed ? f->vcsw_per_request : NAN;
		v[i][1] = ran->r[i]->load.completed ? f->ivcsw_per_request : NAN;
		v[i][2] = ran->r[i]->load.completed ? f->cswitch_per_request : NAN;
		pm.s[i].y = v[i];
	}
	html_per_mpm_bars(p, "plot-cpu-req", "CPU time per request", "every server task's on-CPU time / completed requests",
		     "CPU time per request", SVG_US, cpu, "no request completed");
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-cswitch-req"),
						    .title = "Context switches per request",
						    .subtitle = "voluntary (blocked) and involuntary (preempted)",
						    .ylabel = "context switches per request", .yunit = SVG_NUM,
						    .categories = cs, .ncat = ARRAY_SIZE(cs), .series = pm.s,
						    .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = "no request completed" });
	html_grid_end(p);
}

static const char *missing_tp(const struct run_model *r)
{
	return r->k.missing_tps[0] ? r->k.missing_tps : "sock_recv_length";
}

static void conn_table(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;

	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>conns</th><th>req / conn</th>"
		     "<th>listen queue p50 / p99</th><th>ka idle p50 / p99</th><th>held task-s</th>"
		     "<th class=\"sep\">srv FIN</th><th>cli FIN</th><th>srv RST</th><th>cli RST</th>"
		     "<th>never acc.</th><th class=\"sep\">linger p50 / p99</th></tr>\n",
		  html_eid(p, "conns"));
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct conn_facts *f = &r->k.conn;

		sb_puts(b, "<tr>");
		html_mpm_cell(b, r->mpm);
		if (!f->available) {
			sb_puts(b, "<td colspan=\"11\" class=\"na\">no data: this kernel lacks ");
			sb_esc(b, missing_tp(r));
			sb_puts(b, " (no per-connection facts)</td></tr>\n");
			continue;
		}
		sb_printf(b, "<td>%llu</td><td>%.1f</td>", (unsigned long long)f->connections, f->requests_per_conn);
		html_td_dist(b, &f->listen_queue_us);
		html_td_dist(b, &f->keepalive_idle_us);
		sb_printf(b, "<td>%.2f</td><td class=\"sep\">%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			     "<td>%llu</td>", f->held_task_seconds, (unsigned long long)f->closes[CLOSER_SERVER_FIN],
			  (unsigned long long)f->closes[CLOSER_CLIENT_FIN], (unsigned long long)f->closes[CLOSER_SERVER_RST],
			  (unsigned long long)f->closes[CLOSER_CLIENT_RST], (unsigned long long)f->never_accepted);
		html_td_dist_c(b, &f->linger_us, "sep");
		sb_puts(b, "</tr>\n");
	}
	sb_puts(b, "</table></div>\n<p class=\"cap\">Whole run. Held task-s: seconds server tasks spent blocked on "
		   "idle keep-alive connections (event parks them in its listener's epoll instead). Lingering close: "
		   "the server's FIN until the socket closed.</p>\n");
}

void html_conn_section(struct page *p)
{
	static const char *const closers[] = { "server FIN", "client FIN", "server RST", "client RST", "other" };
	static const char *const times[] = { "listen queue p50", "listen queue p99", "lingering close p50",
					     "lingering close p99" };
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double held[MPM__MAX], rpc[MPM__MAX], cl[ARRAY_SIZE(closers)][MPM__MAX], tv[MPM__MAX][ARRAY_SIZE(times)];
	struct svg_series cs[ARRAY_SIZE(closers)];
	size_t ncs = 0;
	const struct ms_hist *h[MPM__MAX];
	struct ms_hist idle[MPM__MAX];
	char empty[160];
	int avail = 0;
	const struct run_model *lacking = NULL;

	html_section(p, "connections", "Connections", "From the kernel's record of every connection to the server's "
						 "port: how long it waited to be accepted, how long it sat idle between "
						 "keep-alive requests and who closed it; and what those idle connections "
						 "cost: the server tasks they held.");
	html_per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct conn_facts *f = &ran->r[i]->k.conn;
		bool a = f->available;

		avail += a;
		if (!a && !lacking)
			lacking = ran->r[i];
		held[i] = a ? f->held_task_seconds : NAN;
		rpc[i] = a && f->connections ? f->requests_per_conn : NAN;
		cl[0][i] = a ? html_nz((double)f->closes[CLOSER_SERVER_FIN]) : NAN;
		cl[1][i] = a ? html_nz((double)f->closes[CLOSER_CLIENT_FIN]) : NAN;
		cl[2][i] = a ? html_nz((double)f->closes[CLOSER_SERVER_RST]) : NAN;
		cl[3][i] = a ? html_nz((double)f->closes[CLOSER_CLIENT_RST]) : NAN;
		cl[4][i] = a ? html_nz((double)f->closes[CLOSER_OTHER]) : NAN;
		tv[i][0] = a && f->listen_queue_us.n ? f->listen_queue_us.p50 : NAN;
		tv[i][1] = a && f->listen_queue_us.n ? f->listen_queue_us.p99 : NAN;
		tv[i][2] = a && f->linger_us.n ? f->linger_us.p50 : NAN;
		tv[i][3] = a && f->linger_us.n ? f->linger_us.p99 : NAN;
		pm.s[i].y = tv[i];
		/* every idle gap after a response: ended by the next request, or by
		 * the close (a KeepAliveTimeout expiry, a Connection: close) */
		if (a) {
			const struct ms_hist *ka = &ran->r[i]->snap_end.hists[MS_H_KA_IDLE];
			const struct ms_hist *cz = &ran->r[i]->snap_end.hists[MS_H_IDLE_CLOSE];

			idle[i] = *ka;
			khist_add(&idle[i], cz);
		}
		h[i] = a ? &idle[i] : NULL;
	}
	if (lacking) {
		snprintf(empty, sizeof(empty), "this kernel lacks %s", missing_tp(lacking));
		sb_printf(p->b, "<p class=\"note\" id=\"%s\">no data", html_eid(p, "conn-missing"));
		if (avail)
			sb_printf(p->b, " for some runs");
		sb_puts(p->b, ": this kernel lacks ");
		sb_esc(p->b, missing_tp(lacking));
		sb_puts(p->b, ", the tracepoint that marks a request's bytes; without it there are no per-connection "
			      "facts (kernel 6.2 or later has it).</p>\n");
	} else {
		snprintf(empty, sizeof(empty), "no connection was recorded");
	}
	conn_table(p);
	html_grid(p, false);
	html_per_mpm_bars(p, "plot-held", "Held task-seconds",
		     "server tasks blocked on idle keep-alive connections, summed over the run", "task-seconds",
		     SVG_SEC, held, empty);
	html_hist_chart(p, "plot-ka-idle-hist", "Idle gaps after a response",
		   "kernel log2 histogram, whole run: response sent \u2192 next request read, or \u2192 close",
		   "idle gaps", h,
		   lacking ? empty : "no keep-alive connection was reused or left idle");
	for (size_t k = 0; k < ARRAY_SIZE(closers); k++) {
		bool any = false;

		for (int i = 0; i < ran->n; i++)
			any |= isfinite(cl[k][i]);
		if (any) /* the closers seen only: a short legend */
			cs[ncs++] = (struct svg_series){ .name = closers[k], .color = html_other_colors[k], .y = cl[k] };
	}
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-closes"), .title = "Connections by closer",
						    .subtitle = "who ended each connection (FIN: orderly, RST: reset)",
						    .ylabel = "connections", .yunit = SVG_INT, .categories = pm.names,
						    .ncat = (size_t)ran->n, .stacked = true, .series = cs,
						    .nseries = ncs, .empty_note = empty });
	html_per_mpm_bars(p, "plot-req-per-conn", "Requests per connection", "requests read on each connection, mean",
		     "requests per connection", SVG_NUM, rpc, empty);
	html_grid_end(p);
	html_grid(p, true);
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-conn-times"),
						    .title = "Listen queue and lingering close",
						    .subtitle = "handshake done \u2192 accepted; server FIN \u2192 socket "
								"closed (p50 and p99)",
						    .width = 1220, .height = 300, .ylabel = "time", .yunit = SVG_US,
						    .ylog = true, .categories = times, .ncat = ARRAY_SIZE(times),
						    .series = pm.s, .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = empty });
	html_grid_end(p);
}

