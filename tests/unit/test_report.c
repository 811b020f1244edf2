// SPDX-License-Identifier: MIT
/* The people's reports on a made-up model, no Apache needed: CSV quoting and
 * empty fields, HTML escaping and "no data" plots, the SVG module's formats,
 * log axis and empty charts. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "csv.h"
#include "html.h"
#include "svg.h"
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
	char html[64], *buf, *c;
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
	runs[0].load.latency = hist_new(1, 60000000, 3);
	for (int i = 1; i <= 99; i++)
		hist_record(runs[0].load.latency, (uint64_t)i * 100);
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
		c = chart(buf, "plot-khist-proc-create");
		CHECK(c && strstr(c, "data-points=\"1\"") && strstr(c, ">131µs<"));
		free(c);
		c = chart(buf, "plot-khist-thread-create");
		CHECK(c && strstr(c, ">no data<") && strstr(c, "no thread was created"));
		free(c);
		c = chart(buf, "plot-memory");
		CHECK(c && strstr(c, ">no data<"));
		free(c);
		c = chart(buf, "plot-latency");
		CHECK(c && strstr(c, "data-points=\"5\""));
		free(c);
		free(buf);
	}
	unlink(csv);
	unlink(html);
	hist_free(runs[0].load.latency);
}

int main(void)
{
	test_svg();
	test_reports();
	return unit_done("test_report");
}
