// SPDX-License-Identifier: MIT
#include "html.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "svg.h"

/* One colour per MPM, the same in every table and plot. */
static const char *mpm_color(enum mpm m)
{
	static const char *const c[MPM__MAX] = { "#4c78a8", "#e45756", "#54a24b" };

	return m < MPM__MAX ? c[m] : "#8c959f";
}

static double fail_pct(const struct lg_result *l)
{
	uint64_t n = l->completed + l->failed;

	return n ? 100.0 * (double)l->failed / (double)n : 0;
}

static double lat(const struct lg_result *l, double p)
{
	return l->latency ? (double)hist_percentile(l->latency, p) : NAN;
}

/* The runs that have data, in report order. */
struct ran {
	const struct run_model *r[MPM__MAX];
	int n;
};

static void ran_runs(const struct report *rep, struct ran *out)
{
	out->n = 0;
	for (int i = 0; i < rep->nruns && out->n < MPM__MAX; i++)
		if (rep->runs[i].ran)
			out->r[out->n++] = &rep->runs[i];
}

/* ---- page frame ------------------------------------------------------------ */

static const char css[] =
	":root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#f6f8fa}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
	"Helvetica,Arial,sans-serif}\n"
	"main{max-width:1280px;margin:0 auto;padding:24px 24px 48px}\n"
	"header{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 22px;margin-bottom:18px}\n"
	"h1{font-size:22px;margin:0 0 4px}\n"
	"h1 .tool{color:var(--muted);font-weight:400}\n"
	"h2{font-size:17px;margin:28px 0 6px;padding-bottom:4px;border-bottom:1px solid var(--line)}\n"
	".desc{font-size:15px;margin:0 0 12px}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0;font-size:13px}\n"
	"dl.meta dt{color:var(--muted)}\n"
	"dl.meta dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;"
	"overflow-wrap:anywhere}\n"
	".banner{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;margin:12px 0}\n"
	".legend{display:flex;gap:18px;margin:8px 0 0;font-size:13px}\n"
	".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}\n"
	".tw{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:8px}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:6px 10px;text-align:right;white-space:nowrap;border-bottom:1px solid #eef0f2}\n"
	"th{background:#f6f8fa;color:var(--muted);font-weight:600;font-size:12px}\n"
	"th:first-child,td:first-child{text-align:left}\n"
	"tr:last-child td{border-bottom:0}\n"
	"td.sep,th.sep{border-left:1px solid var(--line)}\n"
	"td.err{text-align:left;color:#cf222e;white-space:normal}\n"
	"td.warn{color:#9a6700;font-weight:600}\n"
	".notes{margin:8px 0 0;padding-left:20px;font-size:13px;color:var(--fg)}\n"
	".notes li{margin:2px 0}\n"
	".cap{color:var(--muted);font-size:13px;margin:4px 0 10px}\n"
	".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}\n"
	".grid.wide{grid-template-columns:1fr}\n"
	"figure{margin:0}\n"
	"svg.chart{display:block;width:100%;height:auto}\n"
	"svg.chart .bar:hover,svg.chart .pt:hover{opacity:.75}\n"
	"svg.chart .pt{opacity:0}\n"
	"svg.chart .pt:hover{opacity:1}\n"
	"footer{margin-top:32px;color:var(--muted);font-size:12px}\n"
	"code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}\n";

static void meta(struct sbuf *b, const char *key, const char *val)
{
	sb_puts(b, "<dt>");
	sb_esc(b, key);
	sb_puts(b, "</dt><dd>");
	sb_esc(b, val);
	sb_puts(b, "</dd>\n");
}

static void mpm_cell(struct sbuf *b, enum mpm m)
{
	sb_printf(b, "<td><span class=\"sw\" style=\"background:%s\"></span>%s</td>", mpm_color(m), mpm_name(m));
}

static void header(struct sbuf *b, const struct report *rep, const struct ran *ran)
{
	const struct scenario *sc = rep->sc;
	struct utsname u;
	char buf[512], date[64];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	sb_puts(b, "<header>\n<h1><span class=\"tool\">mpmscope</span> ");
	sb_esc(b, sc->name);
	sb_puts(b, "</h1>\n<p class=\"desc\">");
	sb_esc(b, sc->description);
	sb_puts(b, "</p>\n<dl class=\"meta\">\n");
	n = snprintf(buf, sizeof(buf), "%s -n %llu -c %u%s", sc->url_path, (unsigned long long)sc->requests,
		     sc->concurrency, sc->keepalive ? " -k" : "");
	if (sc->duration_s > 0 && n > 0 && (size_t)n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " -t %gs", sc->duration_s);
	if (sc->hold && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, " (with %u held connections)", sc->hold);
	meta(b, "load", buf);
	for (int i = 0; i < ran->n; i++) {
		const struct lg_config *c = &ran->r[i]->load_cfg;

		if (c->requests != sc->requests || c->connections != sc->concurrency || c->keepalive != sc->keepalive ||
		    c->duration_s != sc->duration_s) {
			n = snprintf(buf, sizeof(buf), "-n %llu -c %u%s", (unsigned long long)c->requests,
				     c->connections, c->keepalive ? " -k" : "");
			if (c->duration_s > 0 && n > 0 && (size_t)n < sizeof(buf))
				snprintf(buf + n, sizeof(buf) - (size_t)n, " -t %gs", c->duration_s);
			meta(b, "load as run (options)", buf);
			break;
		}
	}
	snprintf(buf, sizeof(buf), "%s%s%s", rep->httpd_version ? rep->httpd_version : "?", rep->httpd ? "  " : "",
		 rep->httpd ? rep->httpd : "");
	meta(b, "httpd", buf);
	if (uname(&u) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
		meta(b, "kernel", buf);
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm);
	meta(b, "date", date);
	if (ran->n && ran->r[0]->k.attach_mode)
		meta(b, "probes", ran->r[0]->k.attach_mode);
	if (sc->path[0])
		meta(b, "scenario file", sc->path);
	meta(b, "tool", "mpmscope " MPMSCOPE_VERSION);
	sb_puts(b, "</dl>\n<div class=\"legend\">");
	for (int i = 0; i < rep->nruns; i++)
		sb_printf(b, "<span><span class=\"sw\" style=\"background:%s\"></span>%s</span>",
			  mpm_color(rep->runs[i].mpm), mpm_name(rep->runs[i].mpm));
	sb_puts(b, "</div>\n");
	if (rep->interrupted)
		sb_puts(b, "<div class=\"banner\">Interrupted: the figures cover the run up to Ctrl-C.</div>\n");
	sb_puts(b, "</header>\n");
}

/* ---- tables ---------------------------------------------------------------- */

static void td_dur(struct sbuf *b, double us)
{
	char t[32];

	sb_printf(b, "<td>%s</td>", isfinite(us) ? fmt_duration_us(t, sizeof(t), us) : "-");
}

static void td_dist(struct sbuf *b, const struct dist *d)
{
	char x[24], y[24];

	if (!d->n)
		sb_puts(b, "<td>-</td>");
	else
		sb_printf(b, "<td>%s / %s</td>", fmt_duration_us(x, sizeof(x), d->p50),
			  fmt_duration_us(y, sizeof(y), d->p99));
}

static void td_kb(struct sbuf *b, double kb)
{
	char t[32];

	sb_printf(b, "<td>%s</td>", fmt_bytes(t, sizeof(t), kb * 1024));
}

static void main_table(struct sbuf *b, const struct report *rep)
{
	sb_puts(b, "<h2>Summary</h2>\n<div class=\"tw\"><table id=\"summary\">\n<tr><th>MPM</th><th>time (s)</th>"
		   "<th>req/s</th><th>failed</th><th>fail %</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
		   "<th class=\"sep\">procs</th><th>threads</th><th>exits</th><th>accepts</th><th>accept err.</th>"
		   "<th>lost</th></tr>\n");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct lg_result *l = &r->load;
		const struct kernel_facts *k = &r->k;

		sb_printf(b, "<tr data-mpm=\"%s\">", mpm_name(r->mpm));
		mpm_cell(b, r->mpm);
		if (!r->ran) {
			sb_puts(b, "<td class=\"err\" colspan=\"14\">not run: ");
			sb_esc(b, r->error);
			sb_puts(b, "</td></tr>\n");
			continue;
		}
		sb_printf(b, "<td>%.3f</td><td>%.1f</td><td%s>%llu</td><td%s>%.2f%%</td>", l->duration_s, l->rps,
			  l->failed ? " class=\"warn\"" : "", (unsigned long long)l->failed,
			  l->failed ? " class=\"warn\"" : "", fail_pct(l));
		td_dur(b, lat(l, 50));
		td_dur(b, lat(l, 90));
		td_dur(b, lat(l, 99));
		td_dur(b, lat(l, 100));
		sb_printf(b, "<td class=\"sep\">%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			     "<td%s>%llu</td></tr>\n",
			  (unsigned long long)k->processes_created, (unsigned long long)k->threads_created,
			  (unsigned long long)(k->process_exits + k->thread_exits), (unsigned long long)k->accepts,
			  (unsigned long long)k->accept_errors, k->events_lost ? " class=\"warn\"" : "",
			  (unsigned long long)k->events_lost);
	}
	sb_puts(b, "</table></div>\n");

	/* the notes of the text table */
	sb_puts(b, "<ul class=\"notes\">\n");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct lg_result *l = &r->load;
		const struct kernel_facts *k = &r->k;
		uint32_t maxthr = 0;
		size_t children = 0, signalled = 0;

		if (!r->ran)
			continue;
		for (size_t p = 0; p < k->nprocs; p++) {
			if (k->procs[p].is_root)
				continue;
			children++;
			if (k->procs[p].max_threads > maxthr)
				maxthr = k->procs[p].max_threads;
			if (k->procs[p].exited && (k->procs[p].exit_code & 0x7f) &&
			    (k->procs[p].exit_code & 0x7f) != SIGTERM)
				signalled++;
		}
		sb_printf(b, "<li><b>%s</b>: %zu server processes (%llu at start-up, %llu under load, %llu after), at "
			     "most %u threads in one; %llu connections opened, %llu accepted by the kernel",
			  mpm_name(r->mpm), children, (unsigned long long)k->spawn_by_phase[PHASE_STARTUP][0],
			  (unsigned long long)k->spawn_by_phase[PHASE_LOAD][0],
			  (unsigned long long)k->spawn_by_phase[PHASE_AFTER][0], maxthr,
			  (unsigned long long)l->connections, (unsigned long long)k->accepts);
		if (k->accepts_internal)
			sb_printf(b, ", %llu internal dummy connections apart", (unsigned long long)k->accepts_internal);
		if (k->accepts_other)
			sb_printf(b, ", %llu from other clients", (unsigned long long)k->accepts_other);
		if (l->failed) {
			sb_puts(b, ". Failed:");
			for (int f = 0; f < LG_FAIL__MAX; f++)
				if (l->failed_by[f])
					sb_printf(b, " %s %llu", lg_fail_name((enum lg_fail)f),
						  (unsigned long long)l->failed_by[f]);
		}
		if (k->accept_errors) {
			sb_puts(b, ". Accept errors:");
			for (int e = 0; e < MS_ERRNO_SLOTS; e++)
				if (k->accept_errno[e])
					sb_printf(b, " %s %llu", errno_slot_name(e), (unsigned long long)k->accept_errno[e]);
		}
		if (signalled)
			sb_printf(b, ". %zu server processes ended by a signal", signalled);
		if (k->events_lost)
			sb_printf(b, ". <b>Warning: %llu kernel records lost</b> (ring buffer full)",
				  (unsigned long long)k->events_lost);
		if (r->interrupted)
			sb_puts(b, " (interrupted)");
		sb_puts(b, ".</li>\n");
	}
	sb_puts(b, "</ul>\n");
}

static void spawn_tables(struct sbuf *b, const struct ran *ran)
{
	char t[32];

	sb_puts(b, "<h2>Creation and memory</h2>\n<div class=\"tw\"><table id=\"creation\">\n<tr><th>MPM</th>"
		   "<th>process (p50 / p99)</th><th>thread (p50 / p99)</th><th>1st run, process</th>"
		   "<th>1st run, thread</th><th>ready, process</th><th>ready, thread</th><th>CPU share</th></tr>\n");
	for (int i = 0; i < ran->n; i++) {
		const struct spawn_facts *s = &ran->r[i]->k.spawn;

		sb_puts(b, "<tr>");
		mpm_cell(b, ran->r[i]->mpm);
		td_dist(b, &s->proc_create_us);
		td_dist(b, &s->thread_create_us);
		td_dist(b, &s->proc_first_run_us);
		td_dist(b, &s->thread_first_run_us);
		td_dist(b, &s->proc_ready_us);
		td_dist(b, &s->thread_ready_us);
		sb_printf(b, "<td>%.2f%%</td></tr>\n", 100.0 * s->create_cpu_share);
	}
	sb_puts(b, "</table></div>\n<p class=\"cap\">creation: fork/clone time in the creator; 1st run: runnable "
		   "&rarr; first on a CPU; ready: created &rarr; first wait for work; CPU share: the server's CPU time "
		   "spent in fork/clone.</p>\n");

	sb_puts(b, "<div class=\"tw\"><table id=\"memory\">\n<tr><th>MPM</th><th>RSS</th><th>PSS</th><th>USS</th>"
		   "<th>parent PSS</th><th>children</th><th>child PSS (p50)</th><th>child USS (p50)</th>"
		   "<th>per slot</th></tr>\n");
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct memory_facts *m = &r->mem;

		sb_puts(b, "<tr>");
		mpm_cell(b, r->mpm);
		if (!m->sampled) {
			sb_puts(b, "<td colspan=\"8\">not sampled</td></tr>\n");
			continue;
		}
		td_kb(b, (double)m->rss_kb);
		td_kb(b, (double)m->pss_kb);
		td_kb(b, (double)m->uss_kb);
		td_kb(b, (double)m->parent_pss_kb);
		sb_printf(b, "<td>%u</td>", m->children);
		td_kb(b, m->child_pss_kb.p50);
		td_kb(b, m->child_uss_kb.p50);
		sb_printf(b, "<td>%s (%s)</td></tr>\n", fmt_bytes(t, sizeof(t), m->kb_per_slot * 1024),
			  r->mpm == MPM_PREFORK ? "1 process" : "1 thread");
	}
	sb_puts(b, "</table></div>\n<p class=\"cap\">Memory at the sample with the largest PSS. PSS shares common "
		   "pages among the processes that map them; USS is what a child alone costs; per slot = child USS / "
		   "connections one child serves.</p>\n");
}

/* ---- plots ----------------------------------------------------------------- */

static void figure(struct sbuf *b, void (*plot)(struct sbuf *, const struct svg_chart *), const struct svg_chart *c)
{
	sb_puts(b, "<figure>");
	plot(b, c);
	sb_puts(b, "</figure>\n");
}

static void section(struct sbuf *b, const char *title, const char *caption, bool wide)
{
	sb_puts(b, "<h2>");
	sb_esc(b, title);
	sb_puts(b, "</h2>\n");
	if (caption) {
		sb_puts(b, "<p class=\"cap\">");
		sb_esc(b, caption);
		sb_puts(b, "</p>\n");
	}
	sb_printf(b, "<div class=\"grid%s\">\n", wide ? " wide" : "");
}

static void section_end(struct sbuf *b)
{
	sb_puts(b, "</div>\n");
}

/* Series with one value per MPM run, coloured by MPM. */
struct per_mpm {
	struct svg_series s[MPM__MAX];
	const char *names[MPM__MAX];
	const char *colors[MPM__MAX];
};

static void per_mpm_init(struct per_mpm *p, const struct ran *ran)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < ran->n; i++) {
		p->s[i].name = p->names[i] = mpm_name(ran->r[i]->mpm);
		p->s[i].color = p->colors[i] = mpm_color(ran->r[i]->mpm);
	}
}

static void plot_throughput(struct sbuf *b, const struct ran *ran)
{
	struct per_mpm p;
	double rps[MPM__MAX], fail[MPM__MAX];
	double classes[LG_FAIL__MAX][MPM__MAX];
	struct svg_series fs[LG_FAIL__MAX];
	struct svg_series one = { .name = "" };
	bool any_failed = false;

	per_mpm_init(&p, ran);
	for (int i = 0; i < ran->n; i++) {
		rps[i] = ran->r[i]->load.rps;
		fail[i] = fail_pct(&ran->r[i]->load);
		for (int f = 0; f < LG_FAIL__MAX; f++) {
			uint64_t n = ran->r[i]->load.failed_by[f];

			classes[f][i] = n ? (double)n : NAN;
			any_failed |= n != 0;
		}
	}
	section(b, "Throughput and failures", "Complete responses per second of the run, and the share of requests "
					      "that failed (as the load generator saw them).", false);
	one.y = rps;
	figure(b, svg_bars, &(struct svg_chart){ .id = "plot-rps", .title = "Requests per second", .ylabel = "req/s",
						 .yunit = SVG_NUM, .categories = p.names, .ncat = (size_t)ran->n,
						 .cat_colors = p.colors, .series = &one, .nseries = 1,
						 .value_labels = true });
	one.y = fail;
	figure(b, svg_bars, &(struct svg_chart){ .id = "plot-failrate", .title = "Failure rate",
						 .subtitle = any_failed ? "failed / (completed + failed)"
									: "failed / (completed + failed): no request failed", .ylabel = "failed",
						 .yunit = SVG_PCT, .categories = p.names, .ncat = (size_t)ran->n,
						 .cat_colors = p.colors, .series = &one, .nseries = 1,
						 .value_labels = true });
	for (int f = 0; f < LG_FAIL__MAX; f++)
		fs[f] = (struct svg_series){ .name = lg_fail_name((enum lg_fail)f), .y = classes[f] };
	if (any_failed)
		figure(b, svg_bars, &(struct svg_chart){ .id = "plot-failclass", .title = "Failed requests by cause",
							 .ylabel = "requests", .yunit = SVG_INT, .categories = p.names,
							 .ncat = (size_t)ran->n, .stacked = true, .series = fs,
							 .nseries = LG_FAIL__MAX });
	section_end(b);
}

static void plot_latency(struct sbuf *b, const struct ran *ran)
{
	static const char *const cats[] = { "p50", "p90", "p99", "p99.9", "max" };
	static const double pcts[] = { 50, 90, 99, 99.9, 100 };
	struct per_mpm p;
	double v[MPM__MAX][ARRAY_SIZE(cats)];

	per_mpm_init(&p, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct lg_result *l = &ran->r[i]->load;

		for (size_t k = 0; k < ARRAY_SIZE(cats); k++)
			v[i][k] = l->latency && hist_count(l->latency) ? lat(l, pcts[k]) : NAN;
		p.s[i].y = v[i];
	}
	section(b, "Latency", "Request latency percentiles, from the request's start (connect or write) to its "
			      "complete response.", true);
	figure(b, svg_bars, &(struct svg_chart){ .id = "plot-latency", .title = "Latency percentiles", .width = 1220,
						 .height = 320, .ylabel = "latency", .yunit = SVG_US, .ylog = true,
						 .categories = cats, .ncat = ARRAY_SIZE(cats), .series = p.s,
						 .nseries = (size_t)ran->n, .value_labels = true });
	section_end(b);
}

static void plot_spawn_cost(struct sbuf *b, const struct ran *ran)
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
	struct per_mpm p;
	double v[MPM__MAX][ARRAY_SIZE(cats)];
	double hv[MPM__MAX][MS_HIST_SLOTS];
	char labels[MS_HIST_SLOTS][24];
	const char *hcats[MS_HIST_SLOTS];

	per_mpm_init(&p, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct spawn_facts *s = &ran->r[i]->k.spawn;

		v[i][0] = s->proc_create_us.n ? s->proc_create_us.p50 : NAN;
		v[i][1] = s->proc_create_us.n ? s->proc_create_us.p99 : NAN;
		v[i][2] = s->thread_create_us.n ? s->thread_create_us.p50 : NAN;
		v[i][3] = s->thread_create_us.n ? s->thread_create_us.p99 : NAN;
		p.s[i].y = v[i];
	}
	section(b, "Process and thread creation",
		"Time of the fork/clone system call in the creating task, per created process or thread; then the "
		"kernel's own log2 histograms of creation time and of the delay from a new task's wake-up to its "
		"first run on a CPU.", true);
	figure(b, svg_bars, &(struct svg_chart){ .id = "plot-spawn-cost", .title = "Creation cost", .width = 1220,
						 .height = 300, .subtitle = "fork/clone syscall time, p50 and p99", .ylabel = "time",
						 .yunit = SVG_US, .ylog = true, .categories = cats,
						 .ncat = ARRAY_SIZE(cats), .series = p.s, .nseries = (size_t)ran->n,
						 .value_labels = true });
	section_end(b);
	sb_puts(b, "<div class=\"grid\" style=\"margin-top:16px\">\n");
	for (size_t j = 0; j < ARRAY_SIZE(kh); j++) {
		int h = kh[j].h, lo = MS_HIST_SLOTS, hi = -1;

		for (int i = 0; i < ran->n; i++)
			for (int s = 0; s < MS_HIST_SLOTS; s++)
				if (ran->r[i]->k.spawn.khist[h].slots[s]) {
					lo = s < lo ? s : lo;
					hi = s > hi ? s : hi;
				}
		if (hi < 0)
			lo = hi = 0;
		for (int s = lo; s <= hi; s++) {
			double ns = ldexp(1, s);

			if (ns < 1000)
				snprintf(labels[s - lo], sizeof(labels[0]), "%.0fns", ns);
			else
				svg_fmt(labels[s - lo], sizeof(labels[0]), ns / 1000, SVG_US);
			hcats[s - lo] = labels[s - lo];
			for (int i = 0; i < ran->n; i++) {
				uint64_t n = ran->r[i]->k.spawn.khist[h].slots[s];

				hv[i][s - lo] = n ? (double)n : NAN;
			}
		}
		for (int i = 0; i < ran->n; i++)
			p.s[i].y = hv[i];
		figure(b, svg_bars, &(struct svg_chart){ .id = kh[j].id, .title = kh[j].title,
							 .subtitle = "kernel log2 histogram: bucket [2^i, 2^(i+1)) ns, "
								     "labelled by its lower bound",
							 .ylabel = "tasks", .yunit = SVG_INT, .categories = hcats,
							 .ncat = (size_t)(hi - lo + 1), .series = p.s,
							 .nseries = (size_t)ran->n, .empty_note = kh[j].empty });
	}
	section_end(b);
}

static void plot_spawn_timeline(struct sbuf *b, const struct ran *ran)
{
	struct per_mpm p, q;
	struct vec xs[MPM__MAX], ps[MPM__MAX], ts[MPM__MAX];
	struct svg_marker mk[1 + MPM__MAX];
	char lbl[MPM__MAX][48];
	size_t nmk = 0;

	per_mpm_init(&p, ran);
	per_mpm_init(&q, ran);
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
		p.s[i].x = q.s[i].x = xs[i].data;
		p.s[i].y = ps[i].data;
		q.s[i].y = ts[i].data;
		p.s[i].n = q.s[i].n = s->nticks;
		if (r->t_load_end > r->t_load_start) {
			snprintf(lbl[i], sizeof(lbl[i]), "load end (%s)", mpm_name(r->mpm));
			mk[nmk++] = (struct svg_marker){ .x = (double)(r->t_load_end - r->t_load_start) / 1e9,
							 .label = lbl[i], .color = mpm_color(r->mpm) };
		}
	}
	section(b, "Spawn timeline", "Server processes and threads alive at the end of each 100 ms step, from the "
				     "server's first recorded task event to its stop; time 0 is the start of the load.", false);
	figure(b, svg_lines, &(struct svg_chart){ .id = "plot-spawn-timeline", .title = "Processes alive",
						  .xlabel = "seconds since the load started", .ylabel = "processes",
						  .xunit = SVG_SEC, .yunit = SVG_INT, .series = p.s,
						  .nseries = (size_t)ran->n, .markers = mk, .nmarkers = nmk,
						  .empty_note = "no spawn timeline recorded" });
	figure(b, svg_lines, &(struct svg_chart){ .id = "plot-thread-timeline", .title = "Threads alive",
						  .xlabel = "seconds since the load started", .ylabel = "threads",
						  .xunit = SVG_SEC, .yunit = SVG_INT, .series = q.s,
						  .nseries = (size_t)ran->n, .markers = mk, .nmarkers = nmk,
						  .empty_note = "no spawn timeline recorded" });
	section_end(b);
	for (int i = 0; i < ran->n; i++) {
		vec_free(&xs[i]);
		vec_free(&ps[i]);
		vec_free(&ts[i]);
	}
}

static void plot_memory(struct sbuf *b, const struct ran *ran)
{
	static const char *const whole[] = { "RSS", "PSS", "USS" };
	static const char *const child[] = { "child PSS (p50)", "child USS (p50)", "per slot" };
	struct per_mpm p, q;
	double v[MPM__MAX][ARRAY_SIZE(whole)], w[MPM__MAX][ARRAY_SIZE(child)];

	per_mpm_init(&p, ran);
	per_mpm_init(&q, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct memory_facts *m = &ran->r[i]->mem;

		v[i][0] = m->sampled ? (double)m->rss_kb : NAN;
		v[i][1] = m->sampled ? (double)m->pss_kb : NAN;
		v[i][2] = m->sampled ? (double)m->uss_kb : NAN;
		w[i][0] = m->sampled && m->child_pss_kb.n ? m->child_pss_kb.p50 : NAN;
		w[i][1] = m->sampled && m->child_uss_kb.n ? m->child_uss_kb.p50 : NAN;
		w[i][2] = m->sampled && m->kb_per_slot > 0 ? m->kb_per_slot : NAN;
		p.s[i].y = v[i];
		q.s[i].y = w[i];
	}
	section(b, "Memory", "At the sample with the largest PSS. RSS counts shared pages in every process, PSS "
			     "divides them among the processes that map them, USS is private memory only. Per slot: "
			     "what one more unit of capacity costs, a child's USS divided by the connections it serves "
			     "at once (prefork: 1 process per connection; worker and event: 1 thread).", false);
	figure(b, svg_bars, &(struct svg_chart){ .id = "plot-memory", .title = "Whole server",
						 .subtitle = "parent and every child", .ylabel = "memory",
						 .yunit = SVG_KB, .categories = whole, .ncat = ARRAY_SIZE(whole),
						 .series = p.s, .nseries = (size_t)ran->n, .value_labels = true,
						 .empty_note = "memory was not sampled" });
	figure(b, svg_bars, &(struct svg_chart){ .id = "plot-memory-slot", .title = "One child, one slot",
						 .subtitle = "median child, and the cost of one connection slot",
						 .ylabel = "memory", .yunit = SVG_KB, .categories = child,
						 .ncat = ARRAY_SIZE(child), .series = q.s, .nseries = (size_t)ran->n,
						 .value_labels = true, .empty_note = "memory was not sampled" });
	section_end(b);
}

static void plot_load_timeline(struct sbuf *b, const struct ran *ran)
{
	struct per_mpm p, q;
	struct svg_series fs[MPM__MAX * 2];
	struct vec xs[MPM__MAX], ys[MPM__MAX], fy[MPM__MAX], p99[MPM__MAX];
	char fname[MPM__MAX][48];
	size_t nfs = 0;

	per_mpm_init(&p, ran);
	per_mpm_init(&q, ran);
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
		p.s[i].x = q.s[i].x = xs[i].data;
		p.s[i].y = ys[i].data;
		q.s[i].y = p99[i].data;
		p.s[i].n = q.s[i].n = l->nticks;
		fs[nfs++] = p.s[i];
		if (failed) {
			snprintf(fname[i], sizeof(fname[i]), "%s failed", mpm_name(ran->r[i]->mpm));
			fs[nfs++] = (struct svg_series){ .name = fname[i], .color = p.s[i].color, .x = xs[i].data,
							 .y = fy[i].data, .n = l->nticks, .dashed = true };
		}
	}
	section(b, "Load timeline", "What the load generator saw, second by second, each point at the middle of "
				    "its second (dashed: failed requests per second, when any).", false);
	figure(b, svg_lines, &(struct svg_chart){ .id = "plot-load-timeline", .title = "Requests per second",
						  .xlabel = "seconds since the load started", .ylabel = "req/s",
						  .xunit = SVG_SEC, .yunit = SVG_NUM, .series = fs, .nseries = nfs,
						  .xzero = true, .empty_note = "no load timeline recorded" });
	figure(b, svg_lines, &(struct svg_chart){ .id = "plot-p99-timeline", .title = "p99 latency per second",
						  .xlabel = "seconds since the load started", .ylabel = "p99",
						  .xunit = SVG_SEC, .yunit = SVG_US, .ylog = true, .series = q.s,
						  .nseries = (size_t)ran->n, .xzero = true,
						  .empty_note = "no load timeline recorded" });
	section_end(b);
	for (int i = 0; i < ran->n; i++) {
		vec_free(&xs[i]);
		vec_free(&ys[i]);
		vec_free(&fy[i]);
		vec_free(&p99[i]);
	}
}

int report_html(const struct report *rep, const char *path, struct errbuf *e)
{
	struct sbuf b;
	struct ran ran;
	int rc;

	ran_runs(rep, &ran);
	sb_init(&b);
	sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"generator\" content=\"mpmscope " MPMSCOPE_VERSION "\">\n<title>mpmscope: ");
	sb_esc(&b, rep->sc->name);
	sb_printf(&b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", css);
	header(&b, rep, &ran);
	main_table(&b, rep);
	if (ran.n) {
		spawn_tables(&b, &ran);
		plot_throughput(&b, &ran);
		plot_latency(&b, &ran);
		plot_spawn_cost(&b, &ran);
		plot_spawn_timeline(&b, &ran);
		plot_memory(&b, &ran);
		plot_load_timeline(&b, &ran);
	} else {
		sb_puts(&b, "<p class=\"banner\">No MPM ran: nothing to plot.</p>\n");
	}
	sb_puts(&b, "<footer>Generated by mpmscope " MPMSCOPE_VERSION ". Every figure is also in the JSON report "
		    "(<code>--json</code>); hover a bar or a point for its value.</footer>\n</main>\n</body>\n</html>\n");
	rc = write_file_atomic(path, b.buf, b.len, e);
	sb_free(&b);
	return rc;
}
