// SPDX-License-Identifier: MIT
/* The people's reports on a made-up model, no Apache needed: CSV quoting and
 * empty fields, HTML escaping and "no data" plots, the SVG module's formats,
 * log axis, horizontal bars and empty charts; the scheduler, connection,
 * failure and claim sections, a run that did not serve, a kernel without
 * per-connection records, and the all-scenarios page and CSV. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "report/csv.h"
#include "report/html.h"
#include "report/svg.h"
#include "unit.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The text of the <svg> whose id is ID (inside buf, NUL-terminated copy). */
static char *chart(const char *buf, const char *id)
{
	char key[128];
	const char *a, *b;
	char *out;

	snprintf(key, sizeof(key), "<svg class=\"chart\" id=\"%s\"", id);
	a = strstr(buf, key);
	if (!a)
		return NULL;
	b = strstr(a, "</svg>");
	if (!b)
		return NULL;
	out = calloc(1, (size_t)(b - a) + 1);
	memcpy(out, a, (size_t)(b - a));
	return out;
}

/* Chart id of the page holds every string of want (NULL-ended): one check. */
static void check_chart(const char *buf, const char *id, const char *const *want, int line)
{
	char *c = chart(buf, id);
	const char *missing = c ? NULL : "the chart";

	for (const char *const *w = want; c && *w && !missing; w++)
		if (!strstr(c, *w))
			missing = *w;
	if (!missing) {
		unit_pass++;
	} else {
		unit_fail++;
		fprintf(stderr, "%s:%d: chart %s lacks %s\n", __FILE__, line, id, missing);
	}
	free(c);
}
#define CHECK_CHART(buf, id, ...) check_chart(buf, id, (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)

static void test_svg(void)
{
	struct sbuf b;
	char t[32];
	static const char *const cats[] = { "a<b", "c" };
	double y[] = { NAN, NAN }, y2[] = { 10, 1000 };
	struct svg_series s = { .name = "s&t", .y = y };
	char *c;

	CHECK_STR(svg_fmt(t, sizeof(t), 250, SVG_US), "250µs");
	CHECK_STR(svg_fmt(t, sizeof(t), 1500, SVG_US), "1.5ms");
	CHECK_STR(svg_fmt(t, sizeof(t), 2.5, SVG_MS), "2.5ms");
	CHECK_STR(svg_fmt(t, sizeof(t), 12400, SVG_NUM), "12.4k");
	CHECK_STR(svg_fmt(t, sizeof(t), 2048, SVG_KB), "2MB");
	CHECK_STR(svg_fmt(t, sizeof(t), 0.5, SVG_PCT), "0.5%");
	CHECK_STR(svg_fmt(t, sizeof(t), NAN, SVG_NUM), "n/a");

	sb_init(&b);
	sb_esc(&b, "<a href=\"x\">'&'</a>\x01");
	CHECK_STR(b.buf, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; ");
	sb_free(&b);

	/* only NaN: a "no data" note, no bar */
	sb_init(&b);
	svg_bars(&b, &(struct svg_chart){ .id = "e", .title = "T<", .categories = cats, .ncat = 2, .series = &s,
					   .nseries = 1, .empty_note = "why & how" });
	CHECK(strstr(b.buf, "data-points=\"0\"") != NULL);
	CHECK(strstr(b.buf, ">no data<") != NULL);
	CHECK(strstr(b.buf, "why &amp; how") != NULL);
	CHECK_EQ_U(count(b.buf, "class=\"bar\""), 0);
	CHECK(strstr(b.buf, "T&lt;") != NULL);
	sb_free(&b);

	/* log axis: two bars, ticks at the decades, escaped category */
	s.y = y2;
	sb_init(&b);
	svg_bars(&b, &(struct svg_chart){ .id = "l", .ylog = true, .yunit = SVG_NUM, .categories = cats, .ncat = 2,
					   .series = &s, .nseries = 1 });
	c = chart(b.buf, "l");
	CHECK(c != NULL);
	CHECK_EQ_U(count(c ? c : "", "class=\"bar\""), 2);
	CHECK(c && strstr(c, ">10<") && strstr(c, ">100<") && strstr(c, ">1k<"));
	CHECK(c && strstr(c, ">a&lt;b<"));
	free(c);
	sb_free(&b);

	/* horizontal bars: categories down the left (a long one cut, whole in
	 * its tooltip), value labels, the value axis at the bottom */
	{
		static const char *const hc[] = { "short", "a very long category name that cannot fit in the margin "
							    "left of the bars at all" };
		double hy[] = { 3, 12 }, hz[] = { NAN, 5 };
		struct svg_series hs[] = { { .name = "one", .y = hy }, { .name = "two", .y = hz } };

		sb_init(&b);
		svg_bars(&b, &(struct svg_chart){ .id = "h", .title = "H", .ylabel = "things", .yunit = SVG_INT,
						   .horizontal = true, .categories = hc, .ncat = 2, .series = hs,
						   .nseries = 2, .value_labels = true });
		CHECK(strstr(b.buf, "data-points=\"3\"") != NULL);
		CHECK_EQ_U(count(b.buf, "class=\"bar\""), 3);
		CHECK(strstr(b.buf, ">short<") != NULL);
		CHECK(strstr(b.buf, "\u2026<") != NULL);                       /* cut with an ellipsis */
		CHECK(strstr(b.buf, "margin left of the bars at all: 12<") != NULL); /* whole in the tooltip */
		CHECK(strstr(b.buf, ">things<") != NULL);
		CHECK(strstr(b.buf, ">12<") != NULL);
		sb_free(&b);
	}

	/* a legend longer than the chart is wide wraps onto a second row */
	{
		static const char *const lc[] = { "x" };
		double v[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
		struct svg_series ls[8];
		char names[8][32];
		const char *row1, *row2;

		for (int i = 0; i < 8; i++) {
			snprintf(names[i], sizeof(names[i]), "series number %d", i);
			ls[i] = (struct svg_series){ .name = names[i], .y = &v[i] };
		}
		sb_init(&b);
		svg_bars(&b, &(struct svg_chart){ .id = "w", .title = "W", .categories = lc, .ncat = 1, .series = ls,
						   .nseries = 8, .stacked = true });
		row1 = strstr(b.buf, ">series number 0<");
		row2 = strstr(b.buf, ">series number 7<");
		CHECK(row1 && row2);
		if (row1 && row2) {
			const char *q1 = row1, *q2 = row2;
			double ya, yb;

			while (q1 > b.buf && strncmp(q1, "<text", 5))
				q1--;
			while (q2 > b.buf && strncmp(q2, "<text", 5))
				q2--;
			ya = atof(strstr(q1, "y=\"") + 3);
			yb = atof(strstr(q2, "y=\"") + 3);
			CHECK(yb > ya);
		}
		sb_free(&b);
	}

	/* lines: a NaN breaks the line in two */
	{
		double x[] = { 0, 1, 2, 3 }, ly[] = { 1, 2, NAN, 4 };
		struct svg_series ls = { .name = "l", .x = x, .y = ly, .n = 4 };

		sb_init(&b);
		svg_lines(&b, &(struct svg_chart){ .id = "ln", .series = &ls, .nseries = 1, .xunit = SVG_SEC });
		CHECK(strstr(b.buf, "data-points=\"3\"") != NULL);
		CHECK_EQ_U(count(b.buf, "class=\"line\""), 1);
		CHECK_EQ_U(count(b.buf, " M"), 1); /* the second sub-path */
		CHECK_EQ_U(count(b.buf, "class=\"pt\""), 3);
		sb_free(&b);
	}
}

static void test_reports(void)
{
	struct scenario sc;
	struct run_model runs[2];
	struct report rep = { .sc = &sc, .httpd = "/usr/sbin/apache2", .httpd_version = "Apache/2.4 (Test)",
			      .runs = runs, .nruns = 2 };
	struct errbuf e;
	char csv[] = "/tmp/mpmscope-unit.XXXXXX";
	char html[64], *buf;
	int fd = mkstemp(csv);

	CHECK(fd >= 0);
	close(fd);
	snprintf(html, sizeof(html), "%s.html", csv);
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.name, sizeof(sc.name), "unit");
	snprintf(sc.description, sizeof(sc.description), "<script>alert(1)</script> & \"q\"");
	snprintf(sc.url_path, sizeof(sc.url_path), "/x");
	sc.requests = 100;
	sc.concurrency = 4;

	memset(runs, 0, sizeof(runs));
	runs[0].mpm = MPM_PREFORK;
	runs[0].ran = true;
	runs[0].load.requested = 100;
	runs[0].load.completed = 99;
	runs[0].load.failed = 1;
	runs[0].load.failed_by[LG_FAIL_RESET] = 1;
	runs[0].load.duration_s = 0.5;
	runs[0].load.rps = 198;
	runs[0].load.latency = hdr_new(1, 60000000, 3);
	for (int i = 1; i <= 99; i++)
		hdr_record(runs[0].load.latency, (uint64_t)i * 100);
	runs[0].k.processes_created = 5;
	runs[0].k.spawn.proc_create_us = (struct dist){ .n = 5, .p50 = 200, .p99 = 400 };
	runs[0].k.spawn.khist[MS_H_PROC_CREATE].slots[17] = 5;
	runs[1].mpm = MPM_EVENT;
	snprintf(runs[1].error, sizeof(runs[1].error), "bad, \"quoted\"\nthing");

	CHECK(report_csv(&rep, csv, &e) == 0);
	buf = slurp(csv);
	CHECK(buf != NULL);
	if (buf) {
		/* header, prefork, and event whose error spans two physical lines */
		CHECK_EQ_U(count(buf, "\n"), 4);
		CHECK(!strncmp(buf, "scenario,mpm,httpd_version,ran,interrupted,error,requests,", 58));
		CHECK(strstr(buf, "\nunit,prefork,Apache/2.4 (Test),true,false,,100,99,1,0,1,0,") != NULL);
		CHECK(strstr(buf, "\nunit,event,Apache/2.4 (Test),false,false,\"bad, \"\"quoted\"\"\nthing\",,,") != NULL);
		/* prefork: memory not sampled, no thread: empty fields, not zeros */
		CHECK(strstr(buf, ",200,400,,,") != NULL);
		free(buf);
	}

	CHECK(report_html(&rep, html, &e) == 0);
	buf = slurp(html);
	CHECK(buf != NULL);
	if (buf) {
		CHECK(strstr(buf, "<script") == NULL);
		CHECK(strstr(buf, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;") != NULL);
		CHECK(strstr(buf, "not run: bad, &quot;quoted&quot;") != NULL);
		CHECK(strstr(buf, "http://") == NULL && strstr(buf, "https://") == NULL);
		CHECK_CHART(buf, "plot-khist-proc-create", "data-points=\"1\"", ">131µs<");
		CHECK_CHART(buf, "plot-khist-thread-create", ">no data<", "no thread was created");
		CHECK_CHART(buf, "plot-memory", ">no data<");
		CHECK_CHART(buf, "plot-latency", "data-points=\"5\"");
		free(buf);
	}
	unlink(csv);
	unlink(html);
	hdr_free(runs[0].load.latency);
}

/* A model with every kernel section filled: prefork served (failures, sched,
 * conns), event did not serve (killed at start-up, its error log). */
static void fill_rich(struct scenario *sc, struct run_model *runs, struct report *rep)
{
	struct run_model *r = &runs[0], *d = &runs[1];

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->name, sizeof(sc->name), "rich");
	snprintf(sc->description, sizeof(sc->description), "made up");
	snprintf(sc->url_path, sizeof(sc->url_path), "/nonexistent.html");
	sc->requests = 20;
	sc->concurrency = 2;
	snprintf(sc->expect[0].text, sizeof(sc->expect[0].text), "Le <b>prefork</b> \"gagne\"");
	snprintf(sc->expect[0].en, sizeof(sc->expect[0].en), "prefork wins & more");
	snprintf(sc->expect[1].text, sizeof(sc->expect[1].text), "event holds no thread");
	sc->nexpect = 2;

	memset(runs, 0, 2 * sizeof(*runs));
	r->mpm = MPM_PREFORK;
	r->ran = true;
	r->load.requested = 20;
	r->load.completed = 100;
	r->load.failed = 20;
	r->load.failed_by[LG_FAIL_STATUS] = 20;
	r->load.duration_s = 1;
	r->load.rps = 100;
	r->k.attach_mode = "tp_btf";
	/* scheduler: two roles, a wake-up pair, off-CPU reasons (one idle by design) */
	r->k.sched.runq_us_by_role[MS_ROLE_PARENT] = (struct dist){ .n = 10, .p50 = 20, .p90 = 40, .p99 = 80 };
	r->k.sched.runq_us_by_role[MS_ROLE_PREFORK_CHILD] = (struct dist){ .n = 90, .p50 = 30, .p90 = 300, .p99 = 3000 };
	r->k.sched.runq_us = (struct dist){ .n = 100, .p50 = 30, .p99 = 2500 };
	r->snap_start.hists[MS_H_RUNQ + MS_ROLE_PREFORK_CHILD].slots[14] = 5;
	r->snap_end.hists[MS_H_RUNQ + MS_ROLE_PREFORK_CHILD].slots[14] = 5;  /* before the load only */
	r->snap_end.hists[MS_H_RUNQ + MS_ROLE_PREFORK_CHILD].slots[15] = 40;
	r->snap_end.hists[MS_H_RUNQ + MS_ROLE_PARENT].slots[16] = 7;
	r->k.sched.pairs[MS_WAKER_EXTERNAL][MS_ROLE_PREFORK_CHILD] = 150;
	r->k.sched.pairs[MS_WAKER_KERNEL][MS_ROLE_PARENT] = 1; /* 0.01 per request: shown */
	r->k.sched.off_ns_by_reason[MS_OFF_KEEPALIVE] = 12500000000ull;
	r->k.sched.off_ns_by_reason[MS_OFF_LINGER] = 500000000ull;
	r->k.sched.off_ns_by_reason[MS_OFF_WAIT_CONN] = 99000000000ull;
	r->k.sched.cpu_us_per_request = 250;
	r->k.sched.wakeups_per_request = 1.5;
	r->k.sched.cswitch_per_request = 2;
	r->k.sched.vcsw_per_request = 1.5;
	r->k.sched.ivcsw_per_request = 0.5;
	/* connections */
	r->k.conn.available = true;
	r->k.conn.connections = 120;
	r->k.conn.requests = 120;
	r->k.conn.requests_per_conn = 1;
	r->k.conn.held_task_seconds = 12.5;
	r->k.conn.closes[CLOSER_SERVER_FIN] = 100;
	r->k.conn.closes[CLOSER_CLIENT_FIN] = 15;
	r->k.conn.closes[CLOSER_CLIENT_RST] = 5;
	r->k.conn.listen_queue_us = (struct dist){ .n = 120, .p50 = 50, .p99 = 900 };
	r->k.conn.linger_us = (struct dist){ .n = 100, .p50 = 70, .p99 = 700 };
	r->k.conn.keepalive_idle_us = (struct dist){ .n = 30, .p50 = 20, .p99 = 3000000 };
	r->snap_end.hists[MS_H_KA_IDLE].slots[14] = 20;
	r->snap_end.hists[MS_H_KA_IDLE].slots[31] = 10;
	/* failures: 20 HTTP 404s, and idle closes ab would have counted */
	r->fail.failed = 20;
	r->fail.explained = 20;
	r->fail.retried = 3;
	r->fail.rows[0] = (struct failure_row){ .client_class = "status", .ab_class = "none", .cause = FC_HTTP_STATUS,
						.cause_text = "the server answered 404 <Not Found>", .count = 20,
						.example = "client port 40000, status 404" };
	r->fail.rows[1] = (struct failure_row){ .retried = 2, .client_class = "eof", .ab_class = "Length",
						.cause = FC_KEEPALIVE_TIMEOUT, .cause_text = "KeepAliveTimeout expired",
						.count = 3, .example = "client port 40001" };
	r->fail.nrows = 2;
	r->fail.net.listen_overflows = 4;

	d->mpm = MPM_EVENT;
	d->ran = false;
	snprintf(d->error, sizeof(d->error), "httpd exited at start-up (status 1) <under ulimit -v>");
	d->k.attach_mode = "tp_btf";
	d->fail.tasks_killed = 1;
	d->fail.last_signal = 9;
	d->fail.ncodes = 1;
	snprintf(d->fail.codes[0].code, sizeof(d->fail.codes[0].code), "AH00351");
	snprintf(d->fail.codes[0].line, sizeof(d->fail.codes[0].line), "AH00351: could not create <thread> & died");
	d->fail.codes[0].count = 2;

	memset(rep, 0, sizeof(*rep));
	rep->sc = sc;
	rep->httpd_version = "Apache/2.4 (Test)";
	rep->runs = runs;
	rep->nruns = 2;
	rep->claims[0] = (struct claim_result){ .claim = &sc->expect[0], .verdict = VERDICT_REFUTED,
						.evidence = "rps: prefork 100 > event 0: <no>" };
	rep->claims[1] = (struct claim_result){ .claim = &sc->expect[1], .verdict = VERDICT_NOT_MEASURED,
						.evidence = "held_task_seconds: event n/a" };
	rep->nclaims = 2;
}

static void test_sections(void)
{
	static struct scenario sc, sc2;
	static struct run_model runs[2], runs2[2];
	struct report rep, reps[2];
	struct errbuf e;
	char path[] = "/tmp/mpmscope-unit2.XXXXXX";
	char html[64], csv[64], *buf, *c;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	snprintf(html, sizeof(html), "%s.html", path);
	snprintf(csv, sizeof(csv), "%s.csv", path);
	fill_rich(&sc, runs, &rep);

	CHECK(report_html(&rep, html, &e) == 0);
	buf = slurp(html);
	CHECK(buf != NULL);
	if (!buf)
		return;
	/* claims: a badge per claim, the quoted text, the English, the evidence, all escaped */
	CHECK(strstr(buf, "id=\"claims\"") != NULL);
	CHECK_EQ_U(count(buf, "<span class=\"badge refuted\" data-verdict=\"refuted\">refuted</span>"), 1);
	CHECK_EQ_U(count(buf, "data-verdict=\"not measured\""), 1);
	CHECK(strstr(buf, "Le &lt;b&gt;prefork&lt;/b&gt; &quot;gagne&quot;") != NULL);
	CHECK(strstr(buf, "prefork wins &amp; more") != NULL);
	CHECK(strstr(buf, "rps: prefork 100 &gt; event 0: &lt;no&gt;") != NULL);
	CHECK(strstr(buf, "A refuted claim is a finding") != NULL);
	CHECK(strstr(buf, "Le <b>") == NULL);
	/* the run that did not serve: its error in the summary and in Failures, with its evidence */
	CHECK(strstr(buf, "<tr data-mpm=\"event\" data-ran=\"false\">") != NULL);
	CHECK_EQ_U(count(buf, "httpd exited at start-up (status 1) &lt;under ulimit -v&gt;"), 2);
	CHECK(strstr(buf, "did not serve") != NULL);
	CHECK(strstr(buf, "server process(es) ended by a signal (last: 9)") != NULL);
	CHECK(strstr(buf, "<b>AH00351</b> &times;2: <code>AH00351: could not create &lt;thread&gt; &amp; died") != NULL);
	/* failures: the table, the chart by root cause, the evidence */
	CHECK_CHART(buf, "plot-failcause",
		    ">http_status<", ">keepalive_timeout (idle close)<", "prefork, http_status: 20<");
	CHECK(strstr(buf, "<table id=\"failures-prefork\"") != NULL);
	CHECK(strstr(buf, "<tr data-cause=\"http_status\" data-kind=\"failed\"><td>20</td>") != NULL);
	CHECK(strstr(buf, "data-kind=\"not-failed\"><td>3</td><td class=\"tl\">idle-close<") != NULL);
	CHECK(strstr(buf, "the server answered 404 &lt;Not Found&gt;") != NULL);
	CHECK(strstr(buf, "ListenOverflows +4") != NULL);
	CHECK_CHART(buf, "plot-failclass", "status, prefork: 20<");
	/* scheduler */
	CHECK(strstr(buf, "id=\"sched\"") != NULL);
	CHECK_CHART(buf, "plot-runq-role-prefork", "data-points=\"6\"", ">prefork_child<", ">p99<");
	CHECK(chart(buf, "plot-runq-role-event") == NULL); /* it did not run */
	c = chart(buf, "plot-runq-hist"); /* load phase: end - start */
	CHECK(c && strstr(c, "data-points=\"2\"") && strstr(c, "prefork, 32.8µs: 40<") && strstr(c, ": 7<") &&
	      !strstr(c, "16.4µs: 5<"));
	free(c);
	CHECK_CHART(buf, "plot-wakeups", "external \u2192 prefork_child", "kernel \u2192 parent", ": 1.5<");
	c = chart(buf, "plot-offcpu");
	CHECK(c && strstr(c, ">keepalive<") && strstr(c, ">lingering_close<") && !strstr(c, "wait_connection") &&
	      strstr(c, "keepalive, prefork: 12.5s<"));
	free(c);
	CHECK_CHART(buf, "plot-cpu-req", ">250µs<");
	CHECK_CHART(buf, "plot-cswitch-req", "data-points=\"3\"");
	/* connections */
	CHECK(strstr(buf, "id=\"conns\"") != NULL);
	CHECK(strstr(buf, "lacks") == NULL);
	CHECK_CHART(buf, "plot-held", ">12.5s<");
	CHECK_CHART(buf, "plot-ka-idle-hist", "data-points=\"2\"");
	CHECK_CHART(buf, "plot-closes", "data-points=\"3\"", "server FIN, prefork: 100<", "client RST, prefork: 5<");
	CHECK_CHART(buf, "plot-conn-times", "data-points=\"4\"", ">900µs<");
	CHECK_CHART(buf, "plot-req-per-conn", "data-points=\"1\"");
	CHECK(strstr(buf, "<script") == NULL);
	free(buf);

	/* a kernel without sock_recv_length: a note, and no per-connection chart draws */
	runs[0].k.conn.available = false;
	snprintf(runs[0].k.missing_tps, sizeof(runs[0].k.missing_tps), "sock_recv_length");
	CHECK(report_html(&rep, html, &e) == 0);
	buf = slurp(html);
	if (buf) {
		CHECK(strstr(buf, "no data: this kernel lacks sock_recv_length") != NULL);
		CHECK_CHART(buf, "plot-closes", ">no data<", "this kernel lacks sock_recv_length");
		CHECK_CHART(buf, "plot-held", "data-points=\"0\"");
		free(buf);
	}
	runs[0].k.conn.available = true;

	/* every scenario on one page: contents, the verdicts first, then each
	 * scenario with its own ids */
	fill_rich(&sc2, runs2, &reps[1]);
	snprintf(sc2.name, sizeof(sc2.name), "second");
	reps[1].claims[0].verdict = VERDICT_CONFIRMED;
	reps[0] = rep;
	CHECK(report_html_all(reps, 2, html, &e) == 0);
	buf = slurp(html);
	CHECK(buf != NULL);
	if (buf) {
		const char *toc = strstr(buf, "<nav class=\"toc\">"), *verdicts = strstr(buf, "id=\"verdicts\""),
			   *s1 = strstr(buf, "<section class=\"scenario\" id=\"s1\">"),
			   *s2 = strstr(buf, "<section class=\"scenario\" id=\"s2\">");

		CHECK(toc && verdicts && s1 && s2 && toc < verdicts && verdicts < s1 && s1 < s2);
		CHECK(strstr(buf, "<a href=\"#s1\">rich</a>") && strstr(buf, "<a href=\"#s2\">second</a>"));
		CHECK_EQ_U(count(buf, "id=\"s1-plot-rps\""), 1);
		CHECK_EQ_U(count(buf, "id=\"s2-plot-rps\""), 1);
		CHECK_EQ_U(count(buf, "id=\"plot-rps\""), 0);
		CHECK_EQ_U(count(buf, "id=\"s2-summary\""), 1);
		CHECK_EQ_U(count(buf, "<h1>"), 1);
		/* four claims: 1 confirmed, 1 refuted, 2 not measured */
		CHECK(strstr(buf, "data-verdict=\"confirmed\">confirmed</span> 1</span>") != NULL);
		CHECK(strstr(buf, "data-verdict=\"refuted\">refuted</span> 1</span>") != NULL);
		CHECK(strstr(buf, "data-verdict=\"not measured\">not measured</span> 2</span>") != NULL);
		CHECK(strstr(buf, "<script") == NULL);
		free(buf);
	}
	CHECK(report_csv_all(reps, 2, csv, &e) == 0);
	buf = slurp(csv);
	CHECK(buf != NULL);
	if (buf) {
		CHECK_EQ_U(count(buf, "\n"), 5);
		CHECK_EQ_U(count(buf, "scenario,mpm,"), 1);
		CHECK(!strncmp(buf, "scenario,mpm,", 13));
		CHECK(strstr(buf, "\nrich,prefork,") && strstr(buf, "\nrich,event,") && strstr(buf, "\nsecond,prefork,") &&
		      strstr(buf, "\nsecond,event,"));
		free(buf);
	}
	unlink(path);
	unlink(html);
	unlink(csv);
}

int main(void)
{
	test_svg();
	test_reports();
	test_sections();
	return unit_done("test_report");
}
