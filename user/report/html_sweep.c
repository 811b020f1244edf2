// SPDX-License-Identifier: MIT
/* compare --sweep in the HTML report: one line plot per metric, one line per
 * MPM over the swept value, each MPM's knees ringed; the knees and the
 * claims at each point as tables. */
#include <math.h>
#include <string.h>

#include "report/html_internal.h"

static enum svg_unit metric_unit(enum sweep_metric m)
{
	switch (m) {
	case SM_FAILURE_RATE: return SVG_PCT;
	case SM_P50:
	case SM_P99:
	case SM_CPU: return SVG_US;
	case SM_PSS: return SVG_KB;
	case SM_HELD: return SVG_SEC;
	case SM_PROCS:
	case SM_THREADS:
	case SM_PEAK_CONNS: return SVG_INT;
	default: return SVG_NUM;
	}
}

static const char *metric_ylabel(enum sweep_metric m)
{
	static const char *const l[SM__MAX] = {
		"requests/s", "failed / requests (%)", "latency p50", "latency p99", "PSS", "processes",
		"threads", "CPU time per request", "task-seconds", "connections",
	};

	return m < SM__MAX ? l[m] : "";
}

/* Each MPM's knee labels, kept while the page is written. */
struct knee_text {
	char fail[96], p99[96];
	struct svg_mark marks[2];
	size_t n;
};

static void knee_marks(const struct sweep *sw, enum mpm m, struct knee_text *kt)
{
	char v[48];

	memset(kt, 0, sizeof(*kt));
	if (sw->knee[m].fail >= 0) {
		snprintf(kt->fail, sizeof(kt->fail), "starts to fail at %s",
			 sweep_point_name(sw, sw->knee[m].fail, v, sizeof(v)));
		kt->marks[kt->n++] = (struct svg_mark){ .i = (size_t)sw->knee[m].fail, .kind = "fail", .label = kt->fail };
	}
	if (sw->knee[m].p99 >= 0) {
		snprintf(kt->p99, sizeof(kt->p99), "p99 climbs at %s (%.1fx)",
			 sweep_point_name(sw, sw->knee[m].p99, v, sizeof(v)), sw->knee[m].p99_ratio);
		kt->marks[kt->n++] = (struct svg_mark){ .i = (size_t)sw->knee[m].p99, .kind = "p99", .label = kt->p99,
							.square = true };
	}
}

static void sweep_plot(struct page *p, const struct sweep *sw, enum sweep_metric x, const struct knee_text *kt)
{
	struct svg_series s[MPM__MAX];
	double y[MPM__MAX][SWEEP_MAX_POINTS], lo = INFINITY, hi = 0;
	size_t ns = 0;
	char id[48];
	bool xlog = sw->ndone > 1 && sw->values[sw->ndone - 1] > 10 * sw->values[0];

	for (int m = 0; m < MPM__MAX; m++) {
		if (!sw->mpms[m])
			continue;
		for (int k = 0; k < sw->ndone; k++) {
			double v = sweep_metric_value(&sw->cell[k][m], x);

			y[ns][k] = x == SM_FAILURE_RATE ? 100 * v : v;
			if (isfinite(v) && v > 0) {
				lo = fmin(lo, v);
				hi = fmax(hi, v);
			}
		}
		s[ns] = (struct svg_series){ .name = mpm_name((enum mpm)m), .color = html_mpm_color((enum mpm)m),
					     .x = sw->values, .y = y[ns], .n = (size_t)sw->ndone, .marks = kt[m].marks,
					     .nmarks = kt[m].n };
		ns++;
	}
	snprintf(id, sizeof(id), "sweep-%s", sweep_metric_id(x));
	html_figure(p->b, svg_lines,
		    &(struct svg_chart){ .id = html_eid(p, id), .title = sweep_metric_title(x),
					 .subtitle = "one line per MPM; ring: starts to fail, square: p99 climbs",
					 .xlabel = sw->param == SWEEP_RATE ? "requests/s offered (open loop)"
									   : "concurrent connections (-c)",
					 .ylabel = metric_ylabel(x), .xunit = sw->param == SWEEP_RATE ? SVG_NUM : SVG_INT,
					 .yunit = metric_unit(x), .xlog = xlog,
					 /* latency spans decades once the server saturates */
					 .ylog = (x == SM_P50 || x == SM_P99) && hi > 20 * lo, .series = s, .nseries = ns,
					 .empty_note = x == SM_HELD ? "this kernel lacks the connection tracepoints" : NULL });
}

static void knee_table(struct page *p, const struct sweep *sw, const struct knee_text *kt)
{
	struct sbuf *b = p->b;

	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th>MPM</th><th class=\"txt\">failures</th>"
		     "<th class=\"txt\">p99</th></tr>\n", html_eid(p, "sweep-knees"));
	for (int m = 0; m < MPM__MAX; m++) {
		if (!sw->mpms[m])
			continue;
		sb_printf(b, "<tr data-mpm=\"%s\" data-fail-at=\"", mpm_name((enum mpm)m));
		if (sw->knee[m].fail >= 0)
			sb_printf(b, "%g", sw->values[sw->knee[m].fail]);
		sb_puts(b, "\" data-p99-at=\"");
		if (sw->knee[m].p99 >= 0)
			sb_printf(b, "%g", sw->values[sw->knee[m].p99]);
		sb_puts(b, "\">");
		html_mpm_cell(b, (enum mpm)m);
		sb_printf(b, "<td class=\"txt\">%s</td><td class=\"txt\">%s</td></tr>\n",
			  kt[m].fail[0] ? kt[m].fail : "no failure within the sweep",
			  kt[m].p99[0] ? kt[m].p99 : "does not climb within the sweep");
	}
	sb_puts(b, "</table></div>\n");
}

static void claims_table(struct page *p, const struct sweep *sw)
{
	struct sbuf *b = p->b;
	char v[48];

	if (!sw->nclaims)
		return;
	sb_printf(b, "<div class=\"tw\"><table id=\"%s\">\n<tr><th class=\"txt\">claim</th>",
		  html_eid(p, "sweep-claims"));
	for (int k = 0; k < sw->ndone; k++)
		sb_printf(b, "<th>%s</th>", sweep_point_name(sw, k, v, sizeof(v)));
	sb_puts(b, "<th>confirmed</th></tr>\n");
	for (int i = 0; i < sw->nclaims; i++) {
		int n = 0;

		sb_puts(b, "<tr><td class=\"txt\">");
		sb_esc(b, sw->claim[i]->en[0] ? sw->claim[i]->en : sw->claim[i]->text);
		sb_puts(b, "</td>");
		for (int k = 0; k < sw->ndone; k++) {
			n += sw->verdict[i][k] == VERDICT_CONFIRMED;
			sb_puts(b, "<td title=\"");
			sb_esc(b, sw->evidence[i][k]);
			sb_puts(b, "\">");
			html_badge(b, sw->verdict[i][k]);
			sb_puts(b, "</td>");
		}
		sb_printf(b, "<td>%d of %d</td></tr>\n", n, sw->ndone);
	}
	sb_puts(b, "</table></div>\n");
}

void html_sweep_section(struct page *p)
{
	const struct sweep *sw = p->rep->sweep;
	struct knee_text kt[MPM__MAX];
	char cap[600], v[48];

	for (int m = 0; m < MPM__MAX; m++)
		knee_marks(sw, (enum mpm)m, &kt[m]);
	snprintf(cap, sizeof(cap),
		 "The scenario at %d values of %s on each MPM (%s). Knees: the first point with a failed request, and "
		 "the first whose p99%s is more than %gx the lowest of the points before it. The sections after this "
		 "one are the last point's, %s.",
		 sw->ndone, sweep_param_name(sw->param), sw->requests_rule,
		 sw->param == SWEEP_CONCURRENCY ? " per connection" : "", SWEEP_P99_FACTOR,
		 sw->ndone ? sweep_point_name(sw, sw->ndone - 1, v, sizeof(v)) : "none");
	html_section(p, "sweep", "Sweep", cap);
	knee_table(p, sw, kt);
	claims_table(p, sw);
	html_grid(p, false);
	for (int x = 0; x < SM__MAX; x++)
		sweep_plot(p, sw, (enum sweep_metric)x, kt);
	html_grid_end(p);
}
