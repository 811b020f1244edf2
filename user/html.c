// SPDX-License-Identifier: MIT
#include "html.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Three shades of an MPM's colour (light, itself, dark): p50, p90, p99. */
static const char *mpm_shade(enum mpm m, int k)
{
	static const char *const s[MPM__MAX][3] = {
		{ "#a9c4e0", "#4c78a8", "#24466f" },
		{ "#f3aaa9", "#e45756", "#9c2b2a" },
		{ "#a8d8a0", "#54a24b", "#2b6426" },
	};

	return m < MPM__MAX && k >= 0 && k < 3 ? s[m][k] : "#8c959f";
}

/* Colours of things that are not MPMs (reasons, closers): none of them
 * close to an MPM's. */
static const char *const other_colors[] = { "#f58518", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d",
					    "#ff9da6", "#5f4b8b", "#17becf", "#bab0ac", "#8c6d31", "#ce6dbd" };

static double fail_pct(const struct lg_result *l)
{
	uint64_t n = l->completed + l->failed;

	return n ? 100.0 * (double)l->failed / (double)n : 0;
}

static double lat(const struct lg_result *l, double p)
{
	return l->latency ? (double)hist_percentile(l->latency, p) : NAN;
}

/* A count as a bar: nothing is not drawn. */
static double nz(double v)
{
	return v != 0 && isfinite(v) ? v : NAN;
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

/* What is being written: one scenario's report, alone on its page or one
 * section of the all-scenarios page (then its element ids carry a prefix, and
 * its headings are one level down). */
struct page {
	struct sbuf *b;
	const struct report *rep;
	struct ran ran;
	char pfx[16];        /* "" or "s3-" */
	int hl;              /* heading level of the sections: 2, or 3 inside a scenario */
	char ids[8][96];
	unsigned nid;
};

static void page_init(struct page *p, struct sbuf *b, const struct report *rep, int index)
{
	memset(p, 0, sizeof(*p));
	p->b = b;
	p->rep = rep;
	ran_runs(rep, &p->ran);
	p->hl = index < 0 ? 2 : 3;
	if (index >= 0)
		snprintf(p->pfx, sizeof(p->pfx), "s%d-", index + 1);
}

/* An element id unique in the page (valid until 8 more are asked for). */
static const char *eid(struct page *p, const char *name)
{
	char *s = p->ids[p->nid++ % ARRAY_SIZE(p->ids)];

	snprintf(s, sizeof(p->ids[0]), "%s%s", p->pfx, name);
	return s;
}

/* ---- page frame ------------------------------------------------------------ */

static const char css[] =
	":root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--na:#6e7781}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
	"Helvetica,Arial,'Noto Sans CJK SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif}\n"
	"main{max-width:1280px;margin:0 auto;padding:24px 24px 48px}\n"
	"header{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 22px;margin-bottom:18px}\n"
	"h1{font-size:22px;margin:0 0 4px}\n"
	"h1 .tool{color:var(--muted);font-weight:400}\n"
	"h2{font-size:17px;margin:28px 0 6px;padding-bottom:4px;border-bottom:1px solid var(--line)}\n"
	"h3{font-size:15px;margin:22px 0 6px}\n"
	"h4{font-size:14px;margin:16px 0 6px}\n"
	"section.scenario>header h2{font-size:20px;margin:0 0 4px;padding:0;border:0}\n"
	"section.scenario{margin-top:44px}\n"
	"section.scenario>header{border-top:4px solid #0969da}\n"
	"section.scenario h3{font-size:16px;padding-bottom:4px;border-bottom:1px solid var(--line);margin-top:26px}\n"
	".desc{font-size:15px;margin:0 0 12px}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0;font-size:13px}\n"
	"dl.meta dt{color:var(--muted)}\n"
	"dl.meta dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;"
	"overflow-wrap:anywhere}\n"
	".banner{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;margin:12px 0}\n"
	".note{background:#fff;border:1px dashed #d0d7de;border-radius:6px;padding:8px 12px;margin:8px 0;"
	"color:var(--muted)}\n"
	".legend{display:flex;gap:18px;margin:8px 0 0;font-size:13px}\n"
	".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}\n"
	".tw{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:8px}\n"
	".tw+.tw{margin-top:10px}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:6px 10px;text-align:right;white-space:nowrap;border-bottom:1px solid #eef0f2}\n"
	"th{background:#f6f8fa;color:var(--muted);font-weight:600;font-size:12px}\n"
	"th:first-child,td:first-child{text-align:left}\n"
	"tr:last-child td{border-bottom:0}\n"
	"td.sep,th.sep{border-left:1px solid var(--line)}\n"
	"td.err{text-align:left;color:var(--bad);white-space:normal}\n"
	"td.warn{color:#9a6700;font-weight:600}\n"
	"td.txt,th.txt{text-align:left;white-space:normal}\n"
	"td.tl,th.tl{text-align:left}\n"
	"td.ex{text-align:left;white-space:normal;font-size:12px;color:var(--muted);min-width:320px}\n"
	"td.na{color:var(--muted);text-align:left}\n"
	".notes{margin:8px 0 0;padding-left:20px;font-size:13px;color:var(--fg)}\n"
	".notes li{margin:2px 0}\n"
	".cap{color:var(--muted);font-size:13px;margin:4px 0 10px}\n"
	".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}\n"
	".grid.wide{grid-template-columns:1fr}\n"
	".grid.small{grid-template-columns:repeat(auto-fit,minmax(360px,1fr))}\n"
	".grid+.grid{margin-top:16px}\n"
	"figure{margin:0}\n"
	"svg.chart{display:block;width:100%;height:auto}\n"
	"svg.chart .bar:hover,svg.chart .pt:hover{opacity:.75}\n"
	"svg.chart .pt{opacity:0}\n"
	"svg.chart .pt:hover{opacity:1}\n"
	".badge{display:inline-block;min-width:92px;text-align:center;padding:1px 9px;border-radius:11px;font-size:12px;"
	"font-weight:600;color:#fff;white-space:nowrap;background:var(--na)}\n"
	".badge.confirmed{background:var(--ok)}\n"
	".badge.refuted{background:var(--bad)}\n"
	".claims{display:grid;gap:10px}\n"
	".claim{background:#fff;border:1px solid var(--line);border-left:5px solid var(--na);border-radius:8px;"
	"padding:10px 14px}\n"
	".claim.confirmed{border-left-color:var(--ok)}\n"
	".claim.refuted{border-left-color:var(--bad)}\n"
	".claim .q{font-size:14.5px;margin-left:8px}\n"
	".claim .en{color:var(--muted);margin:4px 0 0}\n"
	".claim .ev{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;"
	"background:var(--bg);border-radius:4px;padding:4px 8px;margin:6px 0 0;overflow-wrap:anywhere}\n"
	".counts{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0 10px;font-size:13px}\n"
	".fail{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px;margin:0 0 12px}\n"
	".fail>h3,.fail>h4{margin:0 0 8px;font-size:14px;border:0;padding:0}\n"
	".fail .tw{border-radius:6px}\n"
	".evidence{margin:8px 0 0;padding-left:20px;font-size:13px}\n"
	".evidence li{margin:2px 0}\n"
	".evidence code{overflow-wrap:anywhere}\n"
	"nav.toc{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 22px 14px;"
	"margin-bottom:18px}\n"
	"nav.toc h2{border:0;margin:6px 0 4px}\n"
	"nav.toc ol{margin:0;padding-left:22px}\n"
	"nav.toc li{margin:3px 0}\n"
	"nav.toc .d{color:var(--muted);font-size:13px}\n"
	"a{color:#0969da;text-decoration:none}\n"
	"a:hover{text-decoration:underline}\n"
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

static void mpm_swatch(struct sbuf *b, enum mpm m)
{
	sb_printf(b, "<span class=\"sw\" style=\"background:%s\"></span>%s", mpm_color(m), mpm_name(m));
}

static void mpm_cell(struct sbuf *b, enum mpm m)
{
	sb_puts(b, "<td>");
	mpm_swatch(b, m);
	sb_puts(b, "</td>");
}

static void heading(struct page *p, int sub, const char *id, const char *text)
{
	sb_printf(p->b, "<h%d", p->hl + sub);
	if (id)
		sb_printf(p->b, " id=\"%s\"", eid(p, id));
	sb_puts(p->b, ">");
	sb_esc(p->b, text);
	sb_printf(p->b, "</h%d>\n", p->hl + sub);
}

/* The machine's facts: kernel release and the date. */
static void machine_meta(struct sbuf *b)
{
	struct utsname u;
	char buf[512], date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (uname(&u) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
		meta(b, "kernel", buf);
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm);
	meta(b, "date", date);
}

static void httpd_meta(struct sbuf *b, const struct report *rep)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%s%s", rep->httpd_version ? rep->httpd_version : "?", rep->httpd ? "  " : "",
		 rep->httpd ? rep->httpd : "");
	meta(b, "httpd", buf);
}

/* The scenario's header: alone (the page's title, with the machine's facts)
 * or as the head of one scenario of the all-scenarios page. */
static void header(struct page *p, bool alone)
{
	const struct report *rep = p->rep;
	const struct scenario *sc = rep->sc;
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;
	char buf[512];
	int n;

	if (alone) {
		sb_puts(b, "<header>\n<h1><span class=\"tool\">mpmscope</span> ");
		sb_esc(b, sc->name);
		sb_puts(b, "</h1>\n");
	} else {
		sb_puts(b, "<header>\n<h2>");
		sb_esc(b, sc->name);
		sb_puts(b, "</h2>\n");
	}
	sb_puts(b, "<p class=\"desc\">");
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
	if (alone) {
		httpd_meta(b, rep);
		machine_meta(b);
	}
	if (ran->n && ran->r[0]->k.attach_mode)
		meta(b, "probes", ran->r[0]->k.attach_mode);
	if (sc->path[0])
		meta(b, "scenario file", sc->path);
	if (alone)
		meta(b, "tool", "mpmscope " MPMSCOPE_VERSION);
	sb_puts(b, "</dl>\n<div class=\"legend\">");
	for (int i = 0; i < rep->nruns; i++) {
		sb_puts(b, "<span>");
		mpm_swatch(b, rep->runs[i].mpm);
		sb_puts(b, "</span>");
	}
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

static void td_dist_c(struct sbuf *b, const struct dist *d, const char *cls)
{
	char x[24], y[24];

	sb_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	if (!d->n)
		sb_puts(b, "-</td>");
	else
		sb_printf(b, "%s / %s</td>", fmt_duration_us(x, sizeof(x), d->p50),
			  fmt_duration_us(y, sizeof(y), d->p99));
}

static void td_dist(struct sbuf *b, const struct dist *d)
{
	td_dist_c(b, d, NULL);
}

static void td_hsum(struct sbuf *b, const struct hsum *h)
{
	char x[24], y[24];

	if (!h->n)
		sb_puts(b, "<td>-</td>");
	else
		sb_printf(b, "<td>%s / %s</td>", fmt_duration_us(x, sizeof(x), h->p50),
			  fmt_duration_us(y, sizeof(y), h->p99));
}

static void td_kb(struct sbuf *b, double kb)
{
	char t[32];

	sb_printf(b, "<td>%s</td>", fmt_bytes(t, sizeof(t), kb * 1024));
}

static void main_table(struct page *p)
{
	const struct report *rep = p->rep;
	struct sbuf *b = p->b;

	heading(p, 0, NULL, "Summary");
	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>time (s)</th>"
		     "<th>req/s</th><th>failed</th><th>fail %%</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
		     "<th class=\"sep\">procs</th><th>threads</th><th>exits</th><th>accepts</th><th>accept err.</th>"
		     "<th>lost</th></tr>\n", eid(p, "summary"));
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct lg_result *l = &r->load;
		const struct kernel_facts *k = &r->k;

		sb_printf(b, "<tr data-mpm=\"%s\"%s>", mpm_name(r->mpm), r->ran ? "" : " data-ran=\"false\"");
		mpm_cell(b, r->mpm);
		if (!r->ran) {
			sb_puts(b, "<td class=\"err\" colspan=\"14\">not run: ");
			sb_esc(b, r->error);
			if (r->fail.nrows || r->fail.ncodes || r->fail.tasks_killed || r->fail.tasks_failed)
				sb_printf(b, " <a href=\"#%s\">(evidence under Failures)</a>",
					  eid(p, "failures"));
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
		const struct kernel_facts *k = &r->k;
		size_t signalled = k->children_signalled;
		struct run_notes notes;

		if (!r->ran)
			continue;
		report_run_notes(r, &notes);
		sb_printf(b, "<li><b>%s</b>: ", mpm_name(r->mpm));
		sb_esc(b, notes.summary);
		if (notes.failed[0]) {
			sb_puts(b, ". Failed:");
			sb_esc(b, notes.failed);
		}
		if (notes.accept_errors[0]) {
			sb_puts(b, ". Accept errors:");
			sb_esc(b, notes.accept_errors);
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

/* ---- claims ---------------------------------------------------------------- */

static const char *verdict_class(enum verdict v)
{
	switch (v) {
	case VERDICT_CONFIRMED: return "confirmed";
	case VERDICT_REFUTED: return "refuted";
	case VERDICT_NOT_MEASURED: return "not-measured";
	default: return "not-checked";
	}
}

static void badge(struct sbuf *b, enum verdict v)
{
	sb_printf(b, "<span class=\"badge %s\" data-verdict=\"%s\">%s</span>", verdict_class(v), verdict_name(v),
		  verdict_name(v));
}

static const char claims_note[] =
	"Each claim is quoted from its seed, rendered in English, and checked against the measured numbers. "
	"A refuted claim is a finding, not a failure of the run: what the seed says does not hold here, on this "
	"machine under this load. Not measured: a figure a check needs is missing (an MPM that did not run or "
	"serve); not checked: the claim has no measurable check.";

static void claims_section(struct page *p)
{
	const struct report *rep = p->rep;
	struct sbuf *b = p->b;

	if (!rep->nclaims)
		return;
	heading(p, 0, "claims", "The seed's claims, checked");
	sb_printf(b, "<p class=\"cap\">%s</p>\n<div class=\"claims\">\n", claims_note);
	for (int i = 0; i < rep->nclaims; i++) {
		const struct claim_result *c = &rep->claims[i];

		sb_printf(b, "<div class=\"claim %s\">", verdict_class(c->verdict));
		badge(b, c->verdict);
		sb_puts(b, "<q class=\"q\">");
		sb_esc(b, c->claim->text);
		sb_puts(b, "</q>");
		if (c->claim->en[0] && strcmp(c->claim->en, c->claim->text)) {
			sb_puts(b, "<div class=\"en\">");
			sb_esc(b, c->claim->en);
			sb_puts(b, "</div>");
		}
		sb_puts(b, "<div class=\"ev\">");
		sb_esc(b, c->evidence);
		sb_puts(b, "</div></div>\n");
	}
	sb_puts(b, "</div>\n");
}

/* ---- plots ----------------------------------------------------------------- */

static void figure(struct sbuf *b, void (*plot)(struct sbuf *, const struct svg_chart *), const struct svg_chart *c)
{
	sb_puts(b, "<figure>");
	plot(b, c);
	sb_puts(b, "</figure>\n");
}

static void section(struct page *p, const char *id, const char *title, const char *caption)
{
	heading(p, 0, id, title);
	if (caption) {
		sb_puts(p->b, "<p class=\"cap\">");
		sb_esc(p->b, caption);
		sb_puts(p->b, "</p>\n");
	}
}

static void grid(struct page *p, bool wide)
{
	sb_printf(p->b, "<div class=\"grid%s\">\n", wide ? " wide" : "");
}

static void grid_end(struct page *p)
{
	sb_puts(p->b, "</div>\n");
}

/* Series with one value per MPM run, coloured by MPM. */
struct per_mpm {
	struct svg_series s[MPM__MAX];
	const char *names[MPM__MAX];
	const char *colors[MPM__MAX];
};

static void per_mpm_init(struct per_mpm *pm, const struct ran *ran)
{
	memset(pm, 0, sizeof(*pm));
	for (int i = 0; i < ran->n; i++) {
		pm->s[i].name = pm->names[i] = mpm_name(ran->r[i]->mpm);
		pm->s[i].color = pm->colors[i] = mpm_color(ran->r[i]->mpm);
	}
}

/* One value per MPM, one bar each in the MPM's colour. */
static void per_mpm_bars(struct page *p, const char *id, const char *title, const char *subtitle,
			 const char *ylabel, enum svg_unit unit, const double *v, const char *empty)
{
	struct per_mpm pm;
	struct svg_series one = { .name = "", .y = v };

	per_mpm_init(&pm, &p->ran);
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, id), .title = title, .subtitle = subtitle,
						    .ylabel = ylabel, .yunit = unit, .categories = pm.names,
						    .ncat = (size_t)p->ran.n, .cat_colors = pm.colors, .series = &one,
						    .nseries = 1, .value_labels = true, .empty_note = empty });
}

/* A kernel log2 histogram per MPM, bucket [2^i, 2^(i+1)) ns labelled by its
 * lower bound, over the buckets any MPM has. */
static void hist_chart(struct page *p, const char *id, const char *title, const char *subtitle, const char *ylabel,
		       const struct ms_hist *const *h, const char *empty)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double hv[MPM__MAX][MS_HIST_SLOTS];
	char labels[MS_HIST_SLOTS][24];
	const char *hcats[MS_HIST_SLOTS];
	int lo = MS_HIST_SLOTS, hi = -1;

	per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++)
		for (int s = 0; h[i] && s < MS_HIST_SLOTS; s++)
			if (h[i]->slots[s]) {
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
		for (int i = 0; i < ran->n; i++)
			hv[i][s - lo] = h[i] ? nz((double)h[i]->slots[s]) : NAN;
	}
	for (int i = 0; i < ran->n; i++)
		pm.s[i].y = hv[i];
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, id), .title = title, .subtitle = subtitle,
						    .ylabel = ylabel, .yunit = SVG_INT, .categories = hcats,
						    .ncat = (size_t)(hi - lo + 1), .series = pm.s,
						    .nseries = (size_t)ran->n, .empty_note = empty });
}

static void plot_throughput(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double rps[MPM__MAX], fail[MPM__MAX];
	double classes[LG_FAIL__MAX][MPM__MAX];
	struct svg_series fs[LG_FAIL__MAX];
	size_t nfs = 0;
	bool any_failed = false;

	per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		rps[i] = ran->r[i]->load.rps;
		fail[i] = fail_pct(&ran->r[i]->load);
		for (int f = 0; f < LG_FAIL__MAX; f++) {
			uint64_t n = ran->r[i]->load.failed_by[f];

			classes[f][i] = nz((double)n);
			any_failed |= n != 0;
		}
	}
	section(p, NULL, "Throughput and failures", "Complete responses per second of the run, and the share of "
						    "requests that failed (as the load generator saw them).");
	grid(p, false);
	per_mpm_bars(p, "plot-rps", "Requests per second", "complete responses per second of the run", "req/s",
		     SVG_NUM, rps, NULL);
	per_mpm_bars(p, "plot-failrate", "Failure rate",
		     any_failed ? "failed / (completed + failed)" : "failed / (completed + failed): no request failed",
		     "failed requests (%)", SVG_PCT, fail, NULL);
	for (int f = 0; f < LG_FAIL__MAX; f++) {
		bool any = false;

		for (int i = 0; i < ran->n; i++)
			any |= isfinite(classes[f][i]);
		if (any) /* the classes seen only: a short legend */
			fs[nfs++] = (struct svg_series){ .name = lg_fail_name((enum lg_fail)f), .y = classes[f],
							 .color = other_colors[f] };
	}
	if (any_failed)
		figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-failclass"),
							    .title = "Failed requests by client class",
							    .subtitle = "what the load generator saw; root causes under "
									"Failures",
							    .ylabel = "failed requests", .yunit = SVG_INT,
							    .categories = pm.names, .ncat = (size_t)ran->n,
							    .stacked = true, .series = fs, .nseries = nfs });
	grid_end(p);
}

/* ---- failures -------------------------------------------------------------- */

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
		s[nser] = (struct svg_series){ .name = mpm_name(runs[nser]->mpm), .color = mpm_color(runs[nser]->mpm),
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
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-failcause"),
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
	mpm_swatch(b, r->mpm);
	if (r->ran)
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
			     "<th class=\"txt\">cause</th><th class=\"txt\">example</th></tr>\n", eid(p, id));
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

static void failures_section(struct page *p)
{
	const struct report *rep = p->rep;
	bool any = false;

	for (int i = 0; i < rep->nruns; i++)
		any |= fail_shown(&rep->runs[i]);
	section(p, "failures", "Failures",
		"Every request the client could not complete, joined by client port and time to the kernel's record "
		"of its connection and to what the server's tasks did, with Apache's error log beside. Rows "
		"\"retried\" and \"idle-close\" are not failures: a keep-alive connection the server closed while "
		"idle (retried by mpmscope's client), which ab would have counted as failed.");
	if (!any) {
		sb_puts(p->b, "<p class=\"note\">No request failed, and the kernel saw no trouble: no listen-queue "
			      "overflow, no server task killed or failed, no failed fork or clone.</p>\n");
		return;
	}
	grid(p, true);
	plot_fail_causes(p);
	grid_end(p);
	sb_puts(p->b, "<div style=\"margin-top:12px\">\n");
	for (int i = 0; i < rep->nruns; i++)
		if (fail_shown(&rep->runs[i]))
			failure_block(p, &rep->runs[i]);
	sb_puts(p->b, "</div>\n");
}

/* ---- latency, creation, memory, timelines ---------------------------------- */

static void plot_latency(struct page *p)
{
	static const char *const cats[] = { "p50", "p90", "p99", "p99.9", "max" };
	static const double pcts[] = { 50, 90, 99, 99.9, 100 };
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double v[MPM__MAX][ARRAY_SIZE(cats)];

	per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct lg_result *l = &ran->r[i]->load;

		for (size_t k = 0; k < ARRAY_SIZE(cats); k++)
			v[i][k] = l->latency && hist_count(l->latency) ? lat(l, pcts[k]) : NAN;
		pm.s[i].y = v[i];
	}
	section(p, NULL, "Latency", "Request latency percentiles, from the request's start (connect or write) to "
				    "its complete response.");
	grid(p, true);
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-latency"), .title = "Latency percentiles",
						    .width = 1220, .height = 320, .ylabel = "latency",
						    .yunit = SVG_US, .ylog = true, .categories = cats,
						    .ncat = ARRAY_SIZE(cats), .series = pm.s, .nseries = (size_t)ran->n,
						    .value_labels = true });
	grid_end(p);
}

static void creation_table(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;

	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th>"
		     "<th>process (p50 / p99)</th><th>thread (p50 / p99)</th><th>1st run, process</th>"
		     "<th>1st run, thread</th><th>ready, process</th><th>ready, thread</th><th>CPU share</th></tr>\n",
		  eid(p, "creation"));
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
}

static void plot_spawn_cost(struct page *p)
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

	per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct spawn_facts *s = &ran->r[i]->k.spawn;

		v[i][0] = s->proc_create_us.n ? s->proc_create_us.p50 : NAN;
		v[i][1] = s->proc_create_us.n ? s->proc_create_us.p99 : NAN;
		v[i][2] = s->thread_create_us.n ? s->thread_create_us.p50 : NAN;
		v[i][3] = s->thread_create_us.n ? s->thread_create_us.p99 : NAN;
		pm.s[i].y = v[i];
	}
	section(p, NULL, "Process and thread creation",
		"Time of the fork/clone system call in the creating task, per created process or thread; then the "
		"kernel's own log2 histograms of creation time and of the delay from a new task's wake-up to its "
		"first run on a CPU.");
	creation_table(p);
	grid(p, true);
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-spawn-cost"), .title = "Creation cost",
						    .width = 1220, .height = 300,
						    .subtitle = "fork/clone syscall time, p50 and p99", .ylabel = "time",
						    .yunit = SVG_US, .ylog = true, .categories = cats,
						    .ncat = ARRAY_SIZE(cats), .series = pm.s, .nseries = (size_t)ran->n,
						    .value_labels = true });
	grid_end(p);
	grid(p, false);
	for (size_t j = 0; j < ARRAY_SIZE(kh); j++) {
		const struct ms_hist *h[MPM__MAX];

		for (int i = 0; i < ran->n; i++)
			h[i] = &ran->r[i]->k.spawn.khist[kh[j].h];
		hist_chart(p, kh[j].id, kh[j].title,
			   "kernel log2 histogram: bucket [2^i, 2^(i+1)) ns, labelled by its lower bound", "tasks", h,
			   kh[j].empty);
	}
	grid_end(p);
}

static void plot_spawn_timeline(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm, q;
	struct vec xs[MPM__MAX], ps[MPM__MAX], ts[MPM__MAX];
	struct svg_marker mk[1 + MPM__MAX];
	char lbl[MPM__MAX][48];
	size_t nmk = 0;

	per_mpm_init(&pm, ran);
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
		pm.s[i].x = q.s[i].x = xs[i].data;
		pm.s[i].y = ps[i].data;
		q.s[i].y = ts[i].data;
		pm.s[i].n = q.s[i].n = s->nticks;
		if (r->t_load_end > r->t_load_start) {
			snprintf(lbl[i], sizeof(lbl[i]), "load end (%s)", mpm_name(r->mpm));
			mk[nmk++] = (struct svg_marker){ .x = (double)(r->t_load_end - r->t_load_start) / 1e9,
							 .label = lbl[i], .color = mpm_color(r->mpm) };
		}
	}
	section(p, NULL, "Spawn timeline", "Server processes and threads alive at the end of each 100 ms step, from "
					   "the server's first recorded task event to its stop; time 0 is the start of "
					   "the load, the dashed lines mark the load's start and end (start-up before, "
					   "after-load after).");
	grid(p, false);
	figure(p->b, svg_lines, &(struct svg_chart){ .id = eid(p, "plot-spawn-timeline"), .title = "Processes alive",
						     .xlabel = "seconds since the load started", .ylabel = "processes",
						     .xunit = SVG_SEC, .yunit = SVG_INT, .series = pm.s,
						     .nseries = (size_t)ran->n, .markers = mk, .nmarkers = nmk,
						     .empty_note = "no spawn timeline recorded" });
	figure(p->b, svg_lines, &(struct svg_chart){ .id = eid(p, "plot-thread-timeline"), .title = "Threads alive",
						     .xlabel = "seconds since the load started", .ylabel = "threads",
						     .xunit = SVG_SEC, .yunit = SVG_INT, .series = q.s,
						     .nseries = (size_t)ran->n, .markers = mk, .nmarkers = nmk,
						     .empty_note = "no spawn timeline recorded" });
	grid_end(p);
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
		     "<th>per slot</th></tr>\n", eid(p, "memory"));
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct memory_facts *m = &r->mem;

		sb_puts(b, "<tr>");
		mpm_cell(b, r->mpm);
		if (!m->sampled) {
			sb_puts(b, "<td colspan=\"8\" class=\"na\">not sampled</td></tr>\n");
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
	sb_puts(b, "</table></div>\n");
}

static void plot_memory(struct page *p)
{
	static const char *const whole[] = { "RSS", "PSS", "USS" };
	static const char *const child[] = { "child PSS (p50)", "child USS (p50)", "per slot" };
	const struct ran *ran = &p->ran;
	struct per_mpm pm, q;
	double v[MPM__MAX][ARRAY_SIZE(whole)], w[MPM__MAX][ARRAY_SIZE(child)];

	per_mpm_init(&pm, ran);
	per_mpm_init(&q, ran);
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
	section(p, NULL, "Memory", "At the sample with the largest PSS. RSS counts shared pages in every process, "
				   "PSS divides them among the processes that map them, USS is private memory only. "
				   "Per slot: what one more unit of capacity costs, a child's USS divided by the "
				   "connections it serves at once (prefork: 1 process per connection; worker and "
				   "event: 1 thread).");
	memory_table(p);
	sb_puts(p->b, "<div style=\"height:16px\"></div>\n");
	grid(p, false);
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-memory"), .title = "Whole server",
						    .subtitle = "parent and every child", .ylabel = "memory",
						    .yunit = SVG_KB, .categories = whole, .ncat = ARRAY_SIZE(whole),
						    .series = pm.s, .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = "memory was not sampled" });
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-memory-slot"), .title = "One child, one slot",
						    .subtitle = "median child, and the cost of one connection slot",
						    .ylabel = "memory", .yunit = SVG_KB, .categories = child,
						    .ncat = ARRAY_SIZE(child), .series = q.s, .nseries = (size_t)ran->n,
						    .value_labels = true, .empty_note = "memory was not sampled" });
	grid_end(p);
}

static void plot_load_timeline(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm, q;
	struct svg_series fs[MPM__MAX * 2];
	struct vec xs[MPM__MAX], ys[MPM__MAX], fy[MPM__MAX], p99[MPM__MAX];
	char fname[MPM__MAX][48];
	size_t nfs = 0;

	per_mpm_init(&pm, ran);
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
	section(p, NULL, "Load timeline", "What the load generator saw, second by second, each point at the middle "
					  "of its second (dashed: failed requests per second, when any).");
	grid(p, false);
	figure(p->b, svg_lines, &(struct svg_chart){ .id = eid(p, "plot-load-timeline"), .title = "Requests per second",
						     .xlabel = "seconds since the load started", .ylabel = "req/s",
						     .xunit = SVG_SEC, .yunit = SVG_NUM, .series = fs, .nseries = nfs,
						     .xzero = true, .empty_note = "no load timeline recorded" });
	figure(p->b, svg_lines, &(struct svg_chart){ .id = eid(p, "plot-p99-timeline"),
						     .title = "p99 latency per second",
						     .xlabel = "seconds since the load started", .ylabel = "p99 latency",
						     .xunit = SVG_SEC, .yunit = SVG_US, .ylog = true, .series = q.s,
						     .nseries = (size_t)ran->n, .xzero = true,
						     .empty_note = "no load timeline recorded" });
	grid_end(p);
	for (int i = 0; i < ran->n; i++) {
		vec_free(&xs[i]);
		vec_free(&ys[i]);
		vec_free(&fy[i]);
		vec_free(&p99[i]);
	}
}

/* ---- scheduler ------------------------------------------------------------- */

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
		     "<th class=\"txt\">main off-CPU reasons (task-seconds)</th></tr>\n", eid(p, "sched"));
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct sched_facts *f = &r->k.sched;

		sb_puts(b, "<tr>");
		mpm_cell(b, r->mpm);
		sb_printf(b, "<td>%.2f</td><td>%s</td><td>%.2f (%.2f + %.2f)</td>", f->wakeups_per_request,
			  fmt_duration_us(t, sizeof(t), f->cpu_us_per_request), f->cswitch_per_request,
			  f->vcsw_per_request, f->ivcsw_per_request);
		td_hsum(b, &f->runq_us);
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

static void plot_offcpu(struct page *p)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	struct svg_series s[MS_OFF__MAX];
	double v[MS_OFF__MAX][MPM__MAX];
	size_t ns = 0;

	per_mpm_init(&pm, ran);
	for (int o = 0; o < MS_OFF__MAX; o++) {
		bool any = false;

		if (offcpu_idle_by_design(o)) /* as in the text report; they are in the JSON */
			continue;
		for (int i = 0; i < ran->n; i++) {
			v[ns][i] = nz((double)ran->r[i]->k.sched.off_ns_by_reason[o] / 1e9);
			any |= isfinite(v[ns][i]);
		}
		if (!any)
			continue;
		s[ns] = (struct svg_series){ .name = offcpu_name(o), .color = other_colors[o % ARRAY_SIZE(other_colors)],
					     .y = v[ns] };
		ns++;
	}
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-offcpu"), .title = "Off-CPU time by reason",
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
			const struct hsum *q = &f->runq_us_by_role[role];

			if (!q->n)
				continue;
			cats[nc] = role_name(role);
			v[0][nc] = q->p50;
			v[1][nc] = q->p90;
			v[2][nc] = q->p99;
			nc++;
		}
		for (int k = 0; k < 3; k++)
			s[k] = (struct svg_series){ .name = pn[k], .color = mpm_shade(ran->r[i]->mpm, k), .y = v[k] };
		snprintf(id, sizeof(id), "plot-runq-role-%s", mpm_name(ran->r[i]->mpm));
		snprintf(title, sizeof(title), "Run-queue latency by role: %s", mpm_name(ran->r[i]->mpm));
		figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, id), .title = title, .width = 420,
							    .height = 300,
							    .subtitle = "woken or preempted until on a CPU, load phase",
							    .ylabel = "run-queue latency", .yunit = SVG_US, .ylog = true,
							    .categories = cats, .ncat = nc, .series = s, .nseries = 3,
							    .empty_note = "no task waited in the run queue" });
	}
	grid_end(p);
	grid(p, false);
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];

		memset(&all[i], 0, sizeof(all[i]));
		for (int role = 0; role < MS_ROLE__MAX; role++) {
			struct ms_hist d;

			hist_diff(&d, &r->snap_end.hists[MS_H_RUNQ + role], &r->snap_start.hists[MS_H_RUNQ + role]);
			for (int s = 0; s < MS_HIST_SLOTS; s++)
				all[i].slots[s] += d.slots[s];
			all[i].count += d.count;
		}
		h[i] = &all[i];
	}
	hist_chart(p, "plot-runq-hist", "Run-queue latency histogram",
		   "kernel log2 histogram, load phase, every role: bucket [2^i, 2^(i+1)) ns by its lower bound",
		   "waits", h, "no task waited in the run queue");
	plot_offcpu(p);
	grid_end(p);
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
	per_mpm_init(&pm, ran);
	for (int k = 0; k < np; k++) {
		snprintf(names[k], sizeof(names[k]), "%s \u2192 %s", role_name(pairs[k].w), role_name(pairs[k].e));
		cats[k] = names[k];
		for (int i = 0; i < ran->n; i++)
			v[i][k] = nz(per_req(ran->r[i], ran->r[i]->k.sched.pairs[pairs[k].w][pairs[k].e]));
	}
	for (int i = 0; i < ran->n; i++)
		pm.s[i].y = v[i];
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-wakeups"), .title = "Wake-ups by pair",
						    .subtitle = "waker \u2192 wakee, per completed request, load phase "
								"(kernel: softirq or timer; external: the client)",
						    .ylabel = "wake-ups per request", .yunit = SVG_NUM,
						    .horizontal = true, .width = 1220, .categories = cats, .ncat = (size_t)np,
						    .series = pm.s, .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = "no wake-up of a server task" });
}

static void sched_section(struct page *p)
{
	static const char *const cs[] = { "voluntary", "involuntary", "total" };
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double cpu[MPM__MAX], v[MPM__MAX][ARRAY_SIZE(cs)];

	section(p, "scheduler", "Scheduler", "What the server's tasks did with the CPU during the load: how long "
					     "they waited in the run queue once runnable, who woke whom, why they "
					     "blocked, and what a request cost in CPU time and context switches.");
	sched_table(p);
	plot_runq(p);
	grid(p, true);
	plot_wakeups(p);
	grid_end(p);
	grid(p, false);
	per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct sched_facts *f = &ran->r[i]->k.sched;

		cpu[i] = ran->r[i]->load.completed ? f->cpu_us_per_request : NAN;
		v[i][0] = ran->r[i]->load.completed ? f->vcsw_per_request : NAN;
		v[i][1] = ran->r[i]->load.completed ? f->ivcsw_per_request : NAN;
		v[i][2] = ran->r[i]->load.completed ? f->cswitch_per_request : NAN;
		pm.s[i].y = v[i];
	}
	per_mpm_bars(p, "plot-cpu-req", "CPU time per request", "every server task's on-CPU time / completed requests",
		     "CPU time per request", SVG_US, cpu, "no request completed");
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-cswitch-req"),
						    .title = "Context switches per request",
						    .subtitle = "voluntary (blocked) and involuntary (preempted)",
						    .ylabel = "context switches per request", .yunit = SVG_NUM,
						    .categories = cs, .ncat = ARRAY_SIZE(cs), .series = pm.s,
						    .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = "no request completed" });
	grid_end(p);
}

/* ---- connections ----------------------------------------------------------- */

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
		  eid(p, "conns"));
	for (int i = 0; i < ran->n; i++) {
		const struct run_model *r = ran->r[i];
		const struct conn_facts *f = &r->k.conn;

		sb_puts(b, "<tr>");
		mpm_cell(b, r->mpm);
		if (!f->available) {
			sb_puts(b, "<td colspan=\"11\" class=\"na\">no data: this kernel lacks ");
			sb_esc(b, missing_tp(r));
			sb_puts(b, " (no per-connection facts)</td></tr>\n");
			continue;
		}
		sb_printf(b, "<td>%llu</td><td>%.1f</td>", (unsigned long long)f->connections, f->requests_per_conn);
		td_dist(b, &f->listen_queue_us);
		td_hsum(b, &f->keepalive_idle_us);
		sb_printf(b, "<td>%.2f</td><td class=\"sep\">%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			     "<td>%llu</td>", f->held_task_seconds, (unsigned long long)f->server_fin,
			  (unsigned long long)f->client_fin, (unsigned long long)f->server_rst,
			  (unsigned long long)f->client_rst, (unsigned long long)f->never_accepted);
		td_dist_c(b, &f->linger_us, "sep");
		sb_puts(b, "</tr>\n");
	}
	sb_puts(b, "</table></div>\n<p class=\"cap\">Whole run. Held task-s: seconds server tasks spent blocked on "
		   "idle keep-alive connections (event parks them in its listener's epoll instead). Lingering close: "
		   "the server's FIN until the socket closed.</p>\n");
}

static void conn_section(struct page *p)
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

	section(p, "connections", "Connections", "From the kernel's record of every connection to the server's "
						 "port: how long it waited to be accepted, how long it sat idle between "
						 "keep-alive requests and who closed it; and what those idle connections "
						 "cost: the server tasks they held.");
	per_mpm_init(&pm, ran);
	for (int i = 0; i < ran->n; i++) {
		const struct conn_facts *f = &ran->r[i]->k.conn;
		bool a = f->available;

		avail += a;
		if (!a && !lacking)
			lacking = ran->r[i];
		held[i] = a ? f->held_task_seconds : NAN;
		rpc[i] = a && f->connections ? f->requests_per_conn : NAN;
		cl[0][i] = a ? nz((double)f->server_fin) : NAN;
		cl[1][i] = a ? nz((double)f->client_fin) : NAN;
		cl[2][i] = a ? nz((double)f->server_rst) : NAN;
		cl[3][i] = a ? nz((double)f->client_rst) : NAN;
		cl[4][i] = a ? nz((double)f->other_close) : NAN;
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

			for (int k = 0; k < MS_HIST_SLOTS; k++)
				idle[i].slots[k] = ka->slots[k] + cz->slots[k];
			idle[i].count = ka->count + cz->count;
			idle[i].sum_ns = ka->sum_ns + cz->sum_ns;
		}
		h[i] = a ? &idle[i] : NULL;
	}
	if (lacking) {
		snprintf(empty, sizeof(empty), "this kernel lacks %s", missing_tp(lacking));
		sb_printf(p->b, "<p class=\"note\" id=\"%s\">no data", eid(p, "conn-missing"));
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
	grid(p, false);
	per_mpm_bars(p, "plot-held", "Held task-seconds",
		     "server tasks blocked on idle keep-alive connections, summed over the run", "task-seconds",
		     SVG_SEC, held, empty);
	hist_chart(p, "plot-ka-idle-hist", "Idle gaps after a response",
		   "kernel log2 histogram, whole run: response sent \u2192 next request read, or \u2192 close",
		   "idle gaps", h,
		   lacking ? empty : "no keep-alive connection was reused or left idle");
	for (size_t k = 0; k < ARRAY_SIZE(closers); k++) {
		bool any = false;

		for (int i = 0; i < ran->n; i++)
			any |= isfinite(cl[k][i]);
		if (any) /* the closers seen only: a short legend */
			cs[ncs++] = (struct svg_series){ .name = closers[k], .color = other_colors[k], .y = cl[k] };
	}
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-closes"), .title = "Connections by closer",
						    .subtitle = "who ended each connection (FIN: orderly, RST: reset)",
						    .ylabel = "connections", .yunit = SVG_INT, .categories = pm.names,
						    .ncat = (size_t)ran->n, .stacked = true, .series = cs,
						    .nseries = ncs, .empty_note = empty });
	per_mpm_bars(p, "plot-req-per-conn", "Requests per connection", "requests read on each connection, mean",
		     "requests per connection", SVG_NUM, rpc, empty);
	grid_end(p);
	grid(p, true);
	figure(p->b, svg_bars, &(struct svg_chart){ .id = eid(p, "plot-conn-times"),
						    .title = "Listen queue and lingering close",
						    .subtitle = "handshake done \u2192 accepted; server FIN \u2192 socket "
								"closed (p50 and p99)",
						    .width = 1220, .height = 300, .ylabel = "time", .yunit = SVG_US,
						    .ylog = true, .categories = times, .ncat = ARRAY_SIZE(times),
						    .series = pm.s, .nseries = (size_t)ran->n, .value_labels = true,
						    .empty_note = empty });
	grid_end(p);
}

/* ---- the page -------------------------------------------------------------- */

/* One scenario's report: alone on its page, or one section of the
 * all-scenarios page. */
static void scenario_body(struct page *p, bool alone)
{
	header(p, alone);
	main_table(p);
	claims_section(p);
	if (p->ran.n) {
		plot_throughput(p);
		failures_section(p);
		plot_latency(p);
		plot_load_timeline(p);
		plot_spawn_cost(p);
		plot_spawn_timeline(p);
		plot_memory(p);
		sched_section(p);
		conn_section(p);
	} else {
		failures_section(p);
		sb_puts(p->b, "<p class=\"banner\">No MPM ran: nothing to plot.</p>\n");
	}
}

static void page_open(struct sbuf *b, const char *title)
{
	sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<meta name=\"generator\" content=\"mpmscope " MPMSCOPE_VERSION "\">\n<title>mpmscope: ");
	sb_esc(b, title);
	sb_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", css);
}

static int page_close(struct sbuf *b, const char *path, struct errbuf *e)
{
	int rc;

	sb_puts(b, "<footer>Generated by mpmscope " MPMSCOPE_VERSION ". Every figure is also in the JSON report "
		   "(<code>--json</code>); hover a bar or a point for its value.</footer>\n</main>\n</body>\n</html>\n");
	rc = write_file_atomic(path, b->buf, b->len, e);
	sb_free(b);
	return rc;
}

int report_html(const struct report *rep, const char *path, struct errbuf *e)
{
	struct sbuf b;
	struct page p;

	sb_init(&b);
	page_init(&p, &b, rep, -1);
	page_open(&b, rep->sc->name);
	scenario_body(&p, true);
	return page_close(&b, path, e);
}

int report_html_all(const struct report *reps, int nreps, const char *path, struct errbuf *e)
{
	int count[VERDICT_NOT_MEASURED + 1] = { 0 }, nclaims = 0;
	struct sbuf b;
	const char *probes = NULL;

	sb_init(&b);
	page_open(&b, "every scenario");
	for (int i = 0; i < nreps; i++)
		for (int r = 0; r < reps[i].nruns && !probes; r++)
			probes = reps[i].runs[r].k.attach_mode;

	sb_printf(&b, "<header>\n<h1><span class=\"tool\">mpmscope</span> every scenario</h1>\n<p class=\"desc\">"
		      "%d scenario%s, each on every MPM asked for, and the seeds' claims checked against what was "
		      "measured.</p>\n<dl class=\"meta\">\n", nreps, nreps == 1 ? "" : "s");
	if (nreps)
		httpd_meta(&b, &reps[0]);
	machine_meta(&b);
	if (probes)
		meta(&b, "probes", probes);
	meta(&b, "tool", "mpmscope " MPMSCOPE_VERSION);
	sb_puts(&b, "</dl>\n</header>\n");

	/* contents */
	sb_puts(&b, "<nav class=\"toc\">\n<h2>Contents</h2>\n<ol>\n<li><a href=\"#claims\">The seeds' claims across "
		    "every scenario</a></li>\n");
	for (int i = 0; i < nreps; i++) {
		sb_printf(&b, "<li><a href=\"#s%d\">", i + 1);
		sb_esc(&b, reps[i].sc->name);
		sb_puts(&b, "</a> <span class=\"d\">");
		sb_esc(&b, reps[i].sc->description);
		sb_puts(&b, "</span>");
		for (int k = 0; k < reps[i].nclaims; k++) {
			sb_puts(&b, " ");
			badge(&b, reps[i].claims[k].verdict);
		}
		sb_puts(&b, "</li>\n");
	}
	sb_puts(&b, "</ol>\n</nav>\n");

	/* every claim's verdict first */
	for (int i = 0; i < nreps; i++)
		for (int k = 0; k < reps[i].nclaims; k++) {
			count[reps[i].claims[k].verdict]++;
			nclaims++;
		}
	sb_printf(&b, "<h2 id=\"claims\">The seeds' claims across every scenario</h2>\n<p class=\"cap\">%s</p>\n",
		  claims_note);
	sb_puts(&b, "<div class=\"counts\">");
	for (int v = 0; v <= VERDICT_NOT_MEASURED; v++) {
		sb_puts(&b, "<span>");
		badge(&b, (enum verdict)v);
		sb_printf(&b, " %d</span>", count[v]);
	}
	sb_puts(&b, "</div>\n");
	if (nclaims) {
		sb_puts(&b, "<div class=\"tw\"><table id=\"verdicts\">\n<tr><th class=\"txt\">verdict</th>"
			    "<th class=\"txt\">scenario</th><th class=\"txt\">claim</th><th class=\"txt\">evidence</th>"
			    "</tr>\n");
		for (int i = 0; i < nreps; i++)
			for (int k = 0; k < reps[i].nclaims; k++) {
				const struct claim_result *c = &reps[i].claims[k];

				sb_puts(&b, "<tr><td>");
				badge(&b, c->verdict);
				sb_printf(&b, "</td><td class=\"txt\"><a href=\"#s%d\">", i + 1);
				sb_esc(&b, reps[i].sc->name);
				sb_puts(&b, "</a></td><td class=\"txt\">");
				sb_esc(&b, c->claim->en[0] ? c->claim->en : c->claim->text);
				sb_puts(&b, "</td><td class=\"ex\">");
				sb_esc(&b, c->evidence);
				sb_puts(&b, "</td></tr>\n");
			}
		sb_puts(&b, "</table></div>\n");
	} else {
		sb_puts(&b, "<p class=\"note\">No scenario states a claim.</p>\n");
	}

	for (int i = 0; i < nreps; i++) {
		struct page p;

		page_init(&p, &b, &reps[i], i);
		sb_printf(&b, "<section class=\"scenario\" id=\"s%d\">\n", i + 1);
		scenario_body(&p, false);
		sb_puts(&b, "</section>\n");
	}
	return page_close(&b, path, e);
}
