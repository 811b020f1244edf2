// SPDX-License-Identifier: MIT
/* The HTML report's sections: What the client saw (throughput, failures by class, latency, the timeline), and
 * the cost of creating processes and threads, and of memory. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "report/html_internal.h"
#include "trace/khist.h"

void html_plot_throughput(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double rps[MPM__MAX], fail[MPM__MAX];
	double classes[LG_FAIL__MAX][MPM__MAX];
	struct svg_series fs[LG_FAIL__MAX];
	size_t nfs = 0;
	bool any_failed = false;

	html_per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		rps[i] = ran->r[i]->load.rps;
		fail[i] = 100.0 * lg_failure_rate(&ran->r[i]->load);
		for (int f = 0; f < LG_FAIL__MAX; f++) {
			uint64_t n = ran->r[i]->load.failed_by[f];

			classes[f][i] = html_nz((double)n);
			any_failed |= n != 0;
		}
	}
	html_section(p, NULL, "Throughput and failures", "Complete responses per second of the run, and the share of "
						    "requests that failed (as the load generator saw them).");
	html_grid(p, false);
	html_per_mpm_bars(p, "plot-rps", "Requests per second", "complete responses per second of the run", "req/s",
		     SVG_NUM, rps, NULL);
	html_per_mpm_bars(p, "plot-failrate", "Failure rate",
		     any_failed ? "failed / (completed + failed)" : "failed / (completed + failed): no request failed",
		     "failed requests (%)", SVG_PCT, fail, NULL);
	for (int f = 0; f < LG_FAIL__MAX; f++) {
		bool any = false;

		for (int i = 0; i < ran->n; i++)
			any |= isfinite(classes[f][i]);
		if (any) /* the classes seen only: a short legend */
			fs[nfs++] = (struct svg_series){ .name = lg_fail_name((enum lg_fail)f), .y = classes[f],
							 .color = html_other_colors[f] };
	}
	if (any_failed)
		html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-failclass"),
							    .title = "Failed requests by client class",
							    .subtitle = "what the load generator saw; root causes under "
									"Failures",
							    .ylabel = "failed requests", .yunit = SVG_INT,
							    .categories = pm.names, .ncat = (size_t)ran->n,
							    .stacked = true, .series = fs, .nseries = nfs });
	html_grid_end(p);
}

void html_plot_latency(struct page *p)
{
	static const char *const cats[] = { "p50", "p90", "p99", "p99.9", "max" };
	static const double pcts[] = { 50, 90, 99, 99.9, 100 };
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double v[MPM__MAX][ARRAY_SIZE(cats)];

	html_per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct lg_result *l = &ran->r[i]->load;

		for (size_t k = 0; k < ARRAY_SIZE(cats); k++)
			v[i][k] = l->latency && hdr_count(l->latency) ? html_lat(l, pcts[k]) : NAN;
		pm.s[i].y = v[i];
	}
	html_section(p, NULL, "Latency", "Request latency percentiles, from the request's start (connect or write) to "
				    "its complete response.");
	html_grid(p, true);
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-latency"), .title = "Latency percentiles",
						    .width = 1220, .height = 320, .ylabel = "latency",
						    .yunit = SVG_US, .ylog = true, .categories = cats,
						    .ncat = ARRAY_SIZE(cats), .series = pm.s, .nseries = (size_t)ran->n,
						    .value_labels = true });
	html_grid_end(p);
}

void html_plot_load_timeline(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm, q;
	struct svg_series fs[MPM__MAX * 2];
	struct vec xs[MPM__MAX], ys[MPM__MAX], fy[MPM__MAX], p99[MPM__MAX];
	char fname[MPM__MAX][48];
	size_t nfs = 0;

	html_per_mpm_init(&pm, ran);
	html_per_mpm_init(&q, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct lg_result *l = &ran->r[i]->load;
		bool failed = false;

		vec_init(&xs[i], sizeof(double));
		vec_init(&ys[i], sizeof(double));
		vec_init(&fy[i], sizeof(double));
		vec_init(&p99[i], sizeof(double));
		for (unsigned t = 0; t < l->nticks; t++) {
			/* the last second is partial: a rate over its real length, at its
			 * middle; a sliver under 0.2 s says more noise than rate */
			double len = fmin(1.0, l->duration_s - t);
			bool show = len >= 0.2;

			*(double *)vec_push(&xs[i]) = t + (len > 0 ? len : 1) / 2;
			*(double *)vec_push(&ys[i]) = show ? (double)l->ticks[t].completed / len : NAN;
			*(double *)vec_push(&fy[i]) = show ? (double)l->ticks[t].failed / len : NAN;
			*(double *)vec_push(&p99[i]) = show && l->ticks[t].p99_us ? (double)l->ticks[t].p99_us : NAN;
			failed |= l->ticks[t].failed != 0;
		}
		pm.s[i].x = q.s[i].x = xs[i].data;
		pm.s[i].y = ys[i].data;
		q.s[i].y = p99[i].data;
		pm.s[i].n = q.s[i].n = l->nticks;
		fs[nfs++] = pm.s[i];
		if (failed) {
			snprintf(fname[i], sizeof(fname[i]), "%s failed", mpm_name(ran->r[i]->mpm));
			fs[nfs++] = (struct svg_series){ .name = fname[i], .color = pm.s[i].color, .x = xs[i].data,
							 .y = fy[i].data, .n = l->nticks, .dashed = true };
		}
	}
	html_section(p, NULL, "Load timeline", "What the load generator saw, second by second, each point at the middle "
					  "of its second (dashed: failed requests per second, when any).");
	html_grid(p, false);
	html_figure(p->b, svg_lines, &(struct svg_chart){ .id = html_eid(p, "plot-load-timeline"), .title = "Requests per second",
						     .xlabel = "seconds since the load started", .ylabel = "req/s",
						     .xunit = SVG_SEC, .yunit = SVG_NUM, .series = fs, .nseries = nfs,
						     .xzero = true, .empty_note = "no load timeline recorded" });
	html_figure(p->b, svg_lines, &(struct svg_chart){ .id = html_eid(p, "plot-p99-timeline"),
						     .title = "p99 latency per second",
						     .xlabel = "seconds since the load started", .ylabel = "p99 latency",
						     .xunit = SVG_SEC, .yunit = SVG_US, .ylog = true, .series = q.s,
						     .nseries = (size_t)ran->n, .xzero = true,
						     .empty_note = "no load timeline recorded" });
	html_grid_end(p);
	for (int i = 0; i < ran->n; i++) {
		vec_free(&xs[i]);
		vec_free(&ys[i]);
		vec_free(&fy[i]);
		vec_free(&p99[i]);
	}
}

static void creation_table(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;

	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th>"
		     "<th>process (p50 / p99)</th><th>thread (p50 / p99)</th><th>1st run, process</th>"
		     "<th>1st run, thread</th><th>ready, process</th><th>ready, thread</th><th>CPU share</th></tr>\n",
		  html_eid(p, "creation"));
	for (int i = 0; i < ran->n; i++) {
		const struct spawn_facts *s = &ran->r[i]->k.spawn;

		sb_puts(b, "<tr>");
		html_mpm_cell(b, ran->r[i]->mpm);
		html_td_dist(b, &s->proc_create_us);
		html_td_dist(b, &s->thread_create_us);
		html_td_dist(b, &s->proc_first_run_us);
		html_td_dist(b, &s->thread_first_run_us);
		html_td_dist(b, &s->proc_ready_us);
		html_td_dist(b, &s->thread_ready_us);
		sb_printf(b, "<td>%.2f%%</td></tr>\n", 100.0 * s->create_cpu_share);
	}
	sb_puts(b, "</table></div>\n<p class=\"cap\">creation: fork/clone time in the creator; 1st run: runnable "
		   "&rarr; first on a CPU; ready: created &rarr; first wait for work; CPU share: the server's CPU time "
		   "spent in fork/clone.</p>\n");
}

void html_plot_spawn_cost(struct page *p)
{
	static const char *const cats[] = { "process p50", "process p99", "thread p50", "thread p99" };
	static const struct {
		enum ms_hist_id h;
		const char *id, *title, *empty;
	} kh[] = {
		{ MS_H_PROC_CREATE, "plot-khist-proc-create", "Process creation (fork/clone)", "no process was created" },
		{ MS_H_THREAD_CREATE, "plot-khist-thread-create", "Thread creation (clone)", "no thread was created" },
		{ MS_H_PROC_FIRST_RUN, "plot-khist-proc-first-run", "Process first run", "no new process ran" },
		{ MS_H_THREAD_FIRST_RUN, "plot-khist-thread-first-run", "Thread first run", "no new thread ran" },
	};
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double v[MPM__MAX][ARRAY_SIZE(cats)];

	html_per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct spawn_facts *s = &ran->r[i]->k.spawn;

		v[i][0] = s->proc_create_us.n ? s->proc_create_us.p50 : NAN;
		v[i][1] = s->proc_create_us.n ? s->proc_create_us.p99 : NAN;
		v[i][2] = s->thread_create_us.n ? s->thread_create_us.p50 : NAN;
		v[i][3] = s->thread_create_us.n ? s->thread_create_us.p99 : NAN;
		pm.s[i].y = v[i];
	}
	html_section(p, NULL, "Process and thread creation",
		"Time of the fork/clone system call in the creating task, per created process or thread; then the "
		"kernel's own log2 histograms of creation time and of the delay from a new task's wake-up to its "
		"first run on a CPU.");
	creation_table(p);
	html_grid(p, true);
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-spawn-cost"), .title = "Creation cost",
						    .width = 1220, .height = 300,
						    .subtitle = "fork/clone syscall time, p50 and p99", .ylabel = "time",
						    .yunit = SVG_US, .ylog = true, .categories = cats,
						    .ncat = ARRAY_SIZE(cats), .series = pm.s, .nseries = (size_t)ran->n,
						    .value_labels = true });
	html_grid_end(p);
	html_grid(p, false);
	for (size_t j = 0; j < ARRAY_SIZE(kh); j++) {
		const struct ms_hist *h[MPM__MAX];

		for (int i = 0; i < ran->n; i++)
			h[i] = &ran->r[i]->k.spawn.khist[kh[j].h];
		html_hist_chart(p, kh[j].id, kh[j].title,
			   "kernel log2 histogram: bucket [2^i, 2^(i+1)) ns, labelled by its lower bound", "tasks", h,
			   kh[j].empty);
	}
	html_grid_end(p);
}

void html_plot_spawn_timeline(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm, q;
	struct vec xs[MPM__MAX], ps[MPM__MAX], ts[MPM__MAX];
	struct svg_marker mk[1 + MPM__MAX];
	char lbl[MPM__MAX][48];
	size_t nmk = 0;

	html_per_mpm_init(&pm, ran);
	html_per_mpm_init(&q, ran);
	mk[nmk++] = (struct svg_marker){ .x = 0, .label = "load start" };
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct spawn_facts *s = &r->k.spawn;

		vec_init(&xs[i], sizeof(double));
		vec_init(&ps[i], sizeof(double));
		vec_init(&ts[i], sizeof(double));
		for (size_t t = 0; t < s->nticks; t++) {
			*(double *)vec_push(&xs[i]) = ((double)s->timeline[t].t_ns - (double)r->t_load_start) / 1e9;
			*(double *)vec_push(&ps[i]) = s->timeline[t].procs;
			*(double *)vec_push(&ts[i]) = s->timeline[t].threads;
		}
		pm.s[i].x = q.s[i].x = xs[i].data;
		pm.s[i].y = ps[i].data;
		q.s[i].y = ts[i].data;
		pm.s[i].n = q.s[i].n = s->nticks;
		if (r->t_load_end > r->t_load_start) {
			snprintf(lbl[i], sizeof(lbl[i]), "load end (%s)", mpm_name(r->mpm));
			mk[nmk++] = (struct svg_marker){ .x = (double)(r->t_load_end - r->t_load_start) / 1e9,
							 .label = lbl[i], .color = html_mpm_color(r->mpm) };
		}
	}
	html_section(p, NULL, "Spawn timeline", "Server processes and threads alive at the end of each 100 ms step, from "
					   "the server's first recorded task event to its stop; time 0 is the start of "
					   "the load, the dashed lines mark the load's start and end (start-up before, "
					   "after-load after).");
	html_grid(p, false);
	html_figure(p->b, svg_lines, &(struct svg_chart){ .id = html_eid(p, "plot-spawn-timeline"), .title = "Processes alive",
						     .xlabel = "seconds since the load started", .ylabel = "processes",
						     .xunit = SVG_SEC, .yunit = SVG_INT, .series = pm.s,
						     .nseries = (size_t)ran->n, .markers = mk, .nmarkers = nmk,
						     .empty_note = "no spawn timeline recorded" });
	html_figure(p->b, svg_lines, &(struct svg_chart){ .id = html_eid(p, "plot-thread-timeline"), .title = "Threads alive",
						     .xlabel = "seconds since the load started", .ylabel = "threads",
						     .xunit = SVG_SEC, .yunit = SVG_INT, .series = q.s,
						     .nseries = (size_t)ran->n, .markers = mk, .nmarkers = nmk,
						     .empty_note = "no spawn timeline recorded" });
	html_grid_end(p);
	for (int i = 0; i < ran->n; i++) {
		vec_free(&xs[i]);
		vec_free(&ps[i]);
		vec_free(&ts[i]);
	}
}

static void memory_table(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;
	char t[32];

	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>RSS</th><th>PSS</th><th>USS</th>"
		     "<th>parent PSS</th><th>children</th><th>child PSS (p50)</th><th>child USS (p50)</th>"
		     "<th>per slot</th></tr>\n", html_eid(p, "memory"));
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct memory_facts *m = &r->mem;

		sb_puts(b, "<tr>");
		html_mpm_cell(b, r->mpm);
		if (!m->sampled) {
			sb_puts(b, "<td colspan=\"8\" class=\"na\">not sampled</td></tr>\n");
			continue;
		}
		html_td_kb(b, (double)m->rss_kb);
		html_td_kb(b, (double)m->pss_kb);
		html_td_kb(b, (double)m->uss_kb);
		html_td_kb(b, (double)m->parent_pss_kb);
		sb_printf(b, "<td>%u</td>", m->children);
		html_td_kb(b, m->child_pss_kb.p50);
		html_td_kb(b, m->child_uss_kb.p50);
		sb_printf(b, "<td>%s (%s)</td></tr>\n", fmt_bytes(t, sizeof(t), m->kb_per_slot * 1024),
			  r->mpm == MPM_PREFORK ? "1 process" : "1 thread");
	}
	sb_puts(b, "</table></div>\n");
}

void html_plot_memory(struct page *p)
{
	static const char *const whole[] = { "RSS", "PSS", "USS" };
	static const char *const child[] = { "child PSS (p50)", "child USS (p50)", "per slot" };
	const struct ran *ran = &p->ran;
	struct per_mpm pm, q;
	double v[MPM__MAX][ARRAY_SIZE(whole)], w[MPM__MAX][ARRAY_SIZE(child)];

	html_per_mpm_init(&pm, ran);
	html_per_mpm_init(&q, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct memory_facts *m = &ran->r[i]->mem;

		v[i][0] = m->sampled ? (double)m->rss_kb : NAN;
		v[i][1] = m->sampled ? (double)m->pss_kb : NAN;
		v[i][2] = m->sampled ? (double)m->uss_kb : NAN;
		w[i][0] = m->sampled && m->child_pss_kb.n ? m->child_pss_kb.p50 : NAN;
		w[i][1] = m->sampled && m->child_uss_kb.n ? m->child_uss_kb.p50 : NAN;
		w[i][2] = m->sampled && m->kb_per_slot > 0 ? m->kb_per_slot : NAN;
		pm.s[i].y = v[i];
		q.s[i].y = w[i];
	}
	html_section(p, NULL, "Memory", "At the sample with the largest PSS. RSS counts shared pages in every process, "
				   "PSS divides them among the processes that map them, USS is private memory only. "
				   "Per slot: what one more unit of capacity costs, a child's USS divided by the "
				   "connections it serves at once (prefork: 1 process per connection; worker and "
				   "event: 1 thread).");
	memory_table(p);
	sb_puts(p->b, "<div style=\"height:16px\"></div>\n");
	html_grid(p, false);
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-memory"), .title = "Whole server",
						    .subtitle = "parent and every child", .ylabel = "memory",
						    .yunit = SVG_KB, .categories = whole, .ncat = ARRAY_SIZE(whole),
						    .series = pm.s, .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = "memory was not sampled" });
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, "plot-memory-slot"), .title = "One child, one slot",
						    .subtitle = "median child, and the cost of one connection slot",
						    .ylabel = "memory", .yunit = SVG_KB, .categories = child,
						    .ncat = ARRAY_SIZE(child), .series = q.s, .nseries = (size_t)ran->n,
						    .value_labels = true, .empty_note = "memory was not sampled" });
	html_grid_end(p);
}


/* https runs: the client's handshakes beside what a new connection cost the server */
void html_tls_section(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;
	char t1[32], t2[32], t3[32], t4[32], t5[32];
	bool any = false;

	for (int i = 0; i < ran->n; i++)
		any |= ran->r[i]->load_cfg.tls;
	if (!any)
		return;
	html_section(p, "tls", "TLS",
		     "The load generator's TLS handshakes (full or resumed, as OpenSSL's SSL_session_reused says), their "
		     "time from connect() to the handshake's end, and the server's CPU per new connection: the on-CPU "
		     "time of its tasks over the load phase divided by the connections the kernel accepted.");
	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>protocol</th><th>handshakes</th>"
		     "<th>full</th><th>resumed</th><th>failed</th><th>handshake p50 / p99</th>"
		     "<th>server CPU per connection</th><th>bytes in / out</th></tr>\n", html_eid(p, "tls"));
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct lg_result *l = &r->load;
		const struct hdr *h = l->tls_handshake_us;

		sb_puts(b, "<tr>");
		html_mpm_cell(b, r->mpm);
		sb_printf(b, "<td>%s</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%s / %s</td><td>%s</td>"
			     "<td>%s / %s</td></tr>\n", l->tls_protocol[0] ? l->tls_protocol : "-",
			  (unsigned long long)l->tls_handshakes, (unsigned long long)l->tls_full,
			  (unsigned long long)l->tls_resumed, (unsigned long long)l->tls_failed,
			  h && hdr_count(h) ? fmt_duration_us(t1, sizeof(t1), (double)hdr_percentile(h, 50)) : "-",
			  h && hdr_count(h) ? fmt_duration_us(t2, sizeof(t2), (double)hdr_percentile(h, 99)) : "-",
			  isfinite(r->k.sched.cpu_us_per_connection)
				  ? fmt_duration_us(t3, sizeof(t3), r->k.sched.cpu_us_per_connection) : "-",
			  fmt_bytes(t4, sizeof(t4), (double)l->tls_bytes_in),
			  fmt_bytes(t5, sizeof(t5), (double)l->tls_bytes_out));
	}
	sb_puts(b, "</table></div>\n");
}
