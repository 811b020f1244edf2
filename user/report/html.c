// SPDX-License-Identifier: MIT
#include "report/html.h"

#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "base/units.h"
#include "report/html_internal.h"

/* One colour per MPM, the same in every table and plot. */
const char *html_mpm_color(enum mpm m)
{
	static const char *const c[MPM__MAX] = { "#4c78a8", "#e45756", "#54a24b" };

	return m < MPM__MAX ? c[m] : "#8c959f";
}

/* Three shades of an MPM's colour (light, itself, dark): p50, p90, p99. */
const char *html_mpm_shade(enum mpm m, int k)
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
const char *const html_other_colors[HTML_OTHER_COLORS] = { "#f58518", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d",
					    "#ff9da6", "#5f4b8b", "#17becf", "#bab0ac", "#8c6d31", "#ce6dbd" };

double html_lat(const struct lg_result *l, double p)
{
	return l->latency ? (double)hdr_percentile(l->latency, p) : NAN;
}

/* A count as a bar: nothing is not drawn. */
double html_nz(double v)
{
	return v != 0 && isfinite(v) ? v : NAN;
}

static void ran_runs(const struct report *rep, struct ran *out)
{
	out->n = 0;
	for (int i = 0; i < rep->nruns && out->n < MPM__MAX; i++)
		if (rep->runs[i].ran)
			out->r[out->n++] = &rep->runs[i];
}

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
const char *html_eid(struct page *p, const char *name)
{
	char *s = p->ids[p->nid++ % ARRAY_SIZE(p->ids)];

	snprintf(s, sizeof(p->ids[0]), "%s%s", p->pfx, name);
	return s;
}

/* ---- page frame ------------------------------------------------------------ */

static const char css[] =
	":root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--na:#6e7781}\n"
	"*{box-sizing:border-box}\n"
	/* the seeds' claims are French, Chinese and Korean: fonts that have
	 * their glyphs on Linux (Debian's fonts-noto-cjk), macOS and Windows,
	 * each script's own first where the claim's lang says which */
	"body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
	"Helvetica,Arial,'Noto Sans','DejaVu Sans','Noto Sans CJK SC','Noto Sans CJK KR','PingFang SC',"
	"'Apple SD Gothic Neo','Microsoft YaHei','Malgun Gothic','WenQuanYi Micro Hei',sans-serif}\n"
	":lang(zh){font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif}\n"
	":lang(ko){font-family:'Noto Sans CJK KR','Apple SD Gothic Neo','Malgun Gothic','NanumGothic',sans-serif}\n"
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
	".tw{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:8px}\n.tw+.tw{margin-top:10px}\n"
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
	".grid.wide{grid-template-columns:1fr}\n.grid.small{grid-template-columns:repeat(auto-fit,minmax(360px,1fr))}\n"
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
	".why{margin:6px 0 0;font-size:13px}\n"
	"table.why{margin:4px 0 0;font-size:12.5px}\n"
	"table.why td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.why .share{display:inline-block;height:9px;background:var(--bad);border-radius:2px}\n"
	"table.why tr.rest td{color:var(--muted)}\n"
	".why .note{color:var(--muted);margin:4px 0 0}\n"
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

void html_mpm_swatch(struct sbuf *b, enum mpm m)
{
	sb_printf(b, "<span class=\"sw\" style=\"background:%s\"></span>%s", html_mpm_color(m), mpm_name(m));
}

void html_mpm_cell(struct sbuf *b, enum mpm m)
{
	sb_puts(b, "<td>");
	html_mpm_swatch(b, m);
	sb_puts(b, "</td>");
}

static void heading(struct page *p, int sub, const char *id, const char *text)
{
	sb_printf(p->b, "<h%d", p->hl + sub);
	if (id)
		sb_printf(p->b, " id=\"%s\"", html_eid(p, id));
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

	snprintf(buf, sizeof(buf), "%s%s%s", rep->httpd_version ? rep->httpd_version : "",
		 rep->httpd && rep->httpd_version ? "  " : "", rep->httpd ? rep->httpd : "");
	meta(b, "httpd", buf);
}

/* How the probes attached: "tp_btf; syscalls by fexit". */
static void probes_meta(struct sbuf *b, const struct kernel_facts *k)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s; syscalls by %s", k->attach_mode,
		 k->syscall_mode && k->syscall_mode[0] ? k->syscall_mode : "?");
	meta(b, "probes", buf);
}

/* What load the scenario ran, and how the runs differed from it. */
static void load_meta(struct sbuf *b, const struct scenario *sc, const struct ran *ran)
{
	char buf[512];
	int n;

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
}

/* trace: the server followed, and for how long. */
static void attached_meta(struct sbuf *b, const struct run_model *r)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "pid %d, %s MPM, port %u", (int)r->httpd_pid, mpm_name(r->mpm), r->port);
	meta(b, "server", buf);
	snprintf(buf, sizeof(buf), "%.1f s, no load generated", (double)(r->t_stopped - r->t_load_start) / 1e9);
	meta(b, "traced", buf);
}

/* The scenario's header: alone (the page's title, with the machine's facts)
 * or as the head of one scenario of the all-scenarios page. */
static void header(struct page *p, bool alone)
{
	const struct report *rep = p->rep;
	const struct scenario *sc = rep->sc;
	const struct ran *ran = &p->ran;
	struct sbuf *b = p->b;

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
	if (ran->n && ran->r[0]->attached)
		attached_meta(b, ran->r[0]);
	else
		load_meta(b, sc, ran);
	if (alone) {
		httpd_meta(b, rep);
		machine_meta(b);
	}
	if (ran->n && ran->r[0]->k.attach_mode)
		probes_meta(b, &ran->r[0]->k);
	if (sc->path[0])
		meta(b, "scenario file", sc->path);
	if (alone)
		meta(b, "tool", "mpmscope " MPMSCOPE_VERSION);
	sb_puts(b, "</dl>\n<div class=\"legend\">");
	for (int i = 0; i < rep->nruns; i++) {
		sb_puts(b, "<span>");
		html_mpm_swatch(b, rep->runs[i].mpm);
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

void html_td_dist_c(struct sbuf *b, const struct dist *d, const char *cls)
{
	char x[24], y[24];

	sb_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	if (!d->n)
		sb_puts(b, "-</td>");
	else
		sb_printf(b, "%s / %s</td>", fmt_duration_us(x, sizeof(x), d->p50),
			  fmt_duration_us(y, sizeof(y), d->p99));
}

void html_td_dist(struct sbuf *b, const struct dist *d)
{
	html_td_dist_c(b, d, NULL);
}

void html_td_kb(struct sbuf *b, double kb)
{
	char t[32];

	sb_printf(b, "<td>%s</td>", fmt_bytes(t, sizeof(t), kb * 1024));
}

/* trace's summary: the kernel's counts stand for the load's. */
static void attached_table(struct page *p)
{
	const struct run_model *r = &p->rep->runs[0];
	const struct kernel_facts *k = &r->k;
	double s = (double)(r->t_stopped - r->t_load_start) / 1e9;
	uint64_t failed = r->fail.failed;
	uint64_t req = k->sched.requests_seen;
	struct sbuf *b = p->b;

	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>traced (s)</th><th>requests</th>"
		     "<th>req/s</th><th>failed conns</th><th class=\"sep\">procs</th><th>threads</th><th>+procs</th>"
		     "<th>+threads</th><th>exits</th><th>accepts</th><th>accept err.</th><th>lost</th></tr>\n<tr>",
		  html_eid(p, "summary"));
	html_mpm_cell(b, r->mpm);
	sb_printf(b, "<td>%.1f</td><td>%llu</td><td>%.1f</td><td%s>%llu</td><td class=\"sep\">%u</td><td>%u</td>"
		     "<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td%s>%llu</td></tr>\n"
		     "</table></div>\n",
		  s, (unsigned long long)req, s > 0 ? (double)req / s : 0, failed ? " class=\"warn\"" : "",
		  (unsigned long long)failed, r->seeded_procs, r->seeded_threads,
		  (unsigned long long)k->processes_created, (unsigned long long)k->threads_created,
		  (unsigned long long)(k->process_exits + k->thread_exits), (unsigned long long)k->accepts,
		  (unsigned long long)k->accept_errors, k->events_lost ? " class=\"warn\"" : "",
		  (unsigned long long)k->events_lost);
}

static void main_table(struct page *p)
{
	const struct report *rep = p->rep;
	struct sbuf *b = p->b;

	heading(p, 0, NULL, "Summary");
	if (rep->nruns == 1 && rep->runs[0].attached) {
		attached_table(p);
		goto notes;
	}
	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th>time (s)</th>"
		     "<th>req/s</th><th>failed</th><th>fail %%</th><th>p50</th><th>p90</th><th>p99</th><th>max</th>"
		     "<th class=\"sep\">procs</th><th>threads</th><th>exits</th><th>accepts</th><th>accept err.</th>"
		     "<th>lost</th></tr>\n", html_eid(p, "summary"));
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct lg_result *l = &r->load;
		const struct kernel_facts *k = &r->k;

		sb_printf(b, "<tr data-mpm=\"%s\"%s>", mpm_name(r->mpm), r->ran ? "" : " data-ran=\"false\"");
		html_mpm_cell(b, r->mpm);
		if (!r->ran) {
			sb_puts(b, "<td class=\"err\" colspan=\"14\">not run: ");
			sb_esc(b, r->error);
			if (r->fail.nrows || r->fail.ncodes || r->fail.tasks_killed || r->fail.tasks_failed)
				sb_printf(b, " <a href=\"#%s\">(evidence under Failures)</a>",
					  html_eid(p, "failures"));
			sb_puts(b, "</td></tr>\n");
			continue;
		}
		sb_printf(b, "<td>%.3f</td><td>%.1f</td><td%s>%llu</td><td%s>%.2f%%</td>", l->duration_s, l->rps,
			  l->failed ? " class=\"warn\"" : "", (unsigned long long)l->failed,
			  l->failed ? " class=\"warn\"" : "", 100.0 * lg_failure_rate(l));
		td_dur(b, html_lat(l, 50));
		td_dur(b, html_lat(l, 90));
		td_dur(b, html_lat(l, 99));
		td_dur(b, html_lat(l, 100));
		sb_printf(b, "<td class=\"sep\">%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			     "<td%s>%llu</td></tr>\n",
			  (unsigned long long)k->processes_created, (unsigned long long)k->threads_created,
			  (unsigned long long)(k->process_exits + k->thread_exits), (unsigned long long)k->accepts,
			  (unsigned long long)k->accept_errors, k->events_lost ? " class=\"warn\"" : "",
			  (unsigned long long)k->events_lost);
	}
	sb_puts(b, "</table></div>\n");

notes:
	/* the notes of the text table */
	sb_puts(b, "<ul class=\"notes\">\n");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		struct run_notes notes;

		if (!r->ran)
			continue;
		report_run_notes(r, &notes);
		sb_printf(b, "<li><b>%s</b>: ", mpm_name(r->mpm));
		for (int k = 0; k < NOTE__MAX; k++) {
			char *t = notes.text[k];

			if (!t[0])
				continue;
			if (k) {
				sb_puts(b, ". ");
				t[0] = (char)toupper((unsigned char)t[0]); /* a sentence of its own */
			}
			sb_puts(b, k == NOTE_LOST ? "<b>" : "");
			sb_esc(b, t);
			sb_puts(b, k == NOTE_LOST ? "</b>" : "");
		}
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

void html_badge(struct sbuf *b, enum verdict v)
{
	sb_printf(b, "<span class=\"badge %s\" data-verdict=\"%s\">%s</span>", verdict_class(v), verdict_name(v),
		  verdict_name(v));
}

static const char claims_note[] =
	"Each claim is quoted from its seed, rendered in English, and checked against the measured numbers. "
	"A refuted claim is a finding, not a failure of the run: what the seed says does not hold here, on this "
	"machine under this load. Not measured: a figure a check needs is missing (an MPM that did not run or "
	"serve); not checked: the claim has no measurable check.";

/* The language of a claim, from its script (the seeds' claims are French,
 * Chinese and Korean): "ko" with Hangul, "zh" with Han, NULL otherwise (the
 * page's own). lang picks the script's own font and glyph forms. */
static const char *claim_lang(const char *s)
{
	const char *lang = NULL;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned cp;

		if ((p[0] & 0xf0) != 0xe0 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			continue; /* only three-byte sequences hold these blocks */
		cp = ((unsigned)(p[0] & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		if ((cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0x3130 && cp <= 0x318f))
			return "ko";
		if (cp >= 0x4e00 && cp <= 0x9fff)
			lang = "zh";
		p += 2;
	}
	return lang;
}

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
		html_badge(b, c->verdict);
		if (claim_lang(c->claim->text))
			sb_printf(b, "<q class=\"q\" lang=\"%s\">", claim_lang(c->claim->text));
		else
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
		sb_puts(b, "</div>");
		html_why_claim(p, c);
		sb_puts(b, "</div>\n");
	}
	sb_puts(b, "</div>\n");
}

/* ---- plots ----------------------------------------------------------------- */

void html_figure(struct sbuf *b, void (*plot)(struct sbuf *, const struct svg_chart *), const struct svg_chart *c)
{
	sb_puts(b, "<figure>");
	plot(b, c);
	sb_puts(b, "</figure>\n");
}

void html_section(struct page *p, const char *id, const char *title, const char *caption)
{
	heading(p, 0, id, title);
	if (caption) {
		sb_puts(p->b, "<p class=\"cap\">");
		sb_esc(p->b, caption);
		sb_puts(p->b, "</p>\n");
	}
}

void html_grid(struct page *p, bool wide)
{
	sb_printf(p->b, "<div class=\"grid%s\">\n", wide ? " wide" : "");
}

void html_grid_end(struct page *p)
{
	sb_puts(p->b, "</div>\n");
}

void html_per_mpm_init(struct per_mpm *pm, const struct ran *ran)
{
	memset(pm, 0, sizeof(*pm));
	for (int i = 0; i < ran->n; i++) {
		pm->s[i].name = pm->names[i] = mpm_name(ran->r[i]->mpm);
		pm->s[i].color = pm->colors[i] = html_mpm_color(ran->r[i]->mpm);
	}
}

/* One value per MPM, one bar each in the MPM's colour. */
void html_per_mpm_bars(struct page *p, const char *id, const char *title, const char *subtitle,
			 const char *ylabel, enum svg_unit unit, const double *v, const char *empty)
{
	struct per_mpm pm;
	struct svg_series one = { .name = "", .y = v };

	html_per_mpm_init(&pm, &p->ran);
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, id), .title = title, .subtitle = subtitle,
						    .ylabel = ylabel, .yunit = unit, .categories = pm.names,
						    .ncat = (size_t)p->ran.n, .cat_colors = pm.colors, .series = &one,
						    .nseries = 1, .value_labels = true, .empty_note = empty });
}

/* A kernel log2 histogram per MPM, bucket [2^i, 2^(i+1)) ns labelled by its
 * lower bound, over the buckets any MPM has. */
void html_hist_chart(struct page *p, const char *id, const char *title, const char *subtitle, const char *ylabel,
		       const struct ms_hist *const *h, const char *empty)
{
	const struct ran *ran = &p->ran;
	struct per_mpm pm;
	double hv[MPM__MAX][MS_HIST_SLOTS];
	char labels[MS_HIST_SLOTS][24];
	const char *hcats[MS_HIST_SLOTS];
	int lo = MS_HIST_SLOTS, hi = -1;

	html_per_mpm_init(&pm, ran);
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
			hv[i][s - lo] = h[i] ? html_nz((double)h[i]->slots[s]) : NAN;
	}
	for (int i = 0; i < ran->n; i++)
		pm.s[i].y = hv[i];
	html_figure(p->b, svg_bars, &(struct svg_chart){ .id = html_eid(p, id), .title = title, .subtitle = subtitle,
						    .ylabel = ylabel, .yunit = SVG_INT, .categories = hcats,
						    .ncat = (size_t)(hi - lo + 1), .series = pm.s,
						    .nseries = (size_t)ran->n, .empty_note = empty });
}

/* ---- latency, creation, memory, timelines ---------------------------------- */

/* ---- connections ----------------------------------------------------------- */

/* ---- the page -------------------------------------------------------------- */

/* One scenario's report: alone on its page, or one section of the
 * all-scenarios page. */
static void scenario_body(struct page *p, bool alone)
{
	header(p, alone);
	if (p->rep->sweep)
		html_sweep_section(p);
	main_table(p);
	claims_section(p);
	if (p->ran.n && p->ran.r[0]->attached) {
		/* no load of ours: what the kernel saw of the server, no client's view */
		const struct kernel_facts *k = &p->ran.r[0]->k;

		html_failures_section(p);
		if (k->processes_created + k->threads_created) {
			html_plot_spawn_cost(p);
			html_plot_spawn_timeline(p);
		}
		html_sched_section(p);
		html_conn_section(p);
	} else if (p->ran.n) {
		html_plot_throughput(p);
		html_failures_section(p);
		html_plot_latency(p);
		html_tls_section(p);
		html_plot_load_timeline(p);
		html_plot_spawn_cost(p);
		html_plot_spawn_timeline(p);
		html_plot_memory(p);
		html_sched_section(p);
		html_conn_section(p);
		html_why_section(p);
	} else {
		html_failures_section(p);
		sb_puts(p->b, "<p class=\"banner\">No MPM ran: nothing to plot.</p>\n");
	}
}

void html_page_open(struct sbuf *b, const char *title)
{
	sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<meta name=\"generator\" content=\"mpmscope " MPMSCOPE_VERSION "\">\n<title>mpmscope: ");
	sb_esc(b, title);
	sb_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", css);
}

int html_page_close(struct sbuf *b, const char *path, struct errbuf *e)
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
	html_page_open(&b, rep->sc->name);
	scenario_body(&p, true);
	return html_page_close(&b, path, e);
}

int report_html_all(const struct report *reps, int nreps, const char *path, struct errbuf *e)
{
	int count[VERDICT_NOT_MEASURED + 1] = { 0 }, nclaims = 0;
	struct sbuf b;
	const struct kernel_facts *probes = NULL;

	sb_init(&b);
	html_page_open(&b, "every scenario");
	for (int i = 0; i < nreps; i++)
		for (int r = 0; r < reps[i].nruns && !probes; r++)
			if (reps[i].runs[r].k.attach_mode)
				probes = &reps[i].runs[r].k;

	sb_printf(&b, "<header>\n<h1><span class=\"tool\">mpmscope</span> every scenario</h1>\n<p class=\"desc\">"
		      "%d scenario%s, each on every MPM asked for, and the seeds' claims checked against what was "
		      "measured.</p>\n<dl class=\"meta\">\n", nreps, nreps == 1 ? "" : "s");
	if (nreps)
		httpd_meta(&b, &reps[0]);
	machine_meta(&b);
	if (probes)
		probes_meta(&b, probes);
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
			html_badge(&b, reps[i].claims[k].verdict);
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
		html_badge(&b, (enum verdict)v);
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
				html_badge(&b, c->verdict);
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
	return html_page_close(&b, path, e);
}
