/* SPDX-License-Identifier: MIT */
/*
 * Shared by the HTML report's own files: html.c (the page, its header, the
 * summary and the claims, and the helpers below), html_load.c (what the
 * client saw, creation and memory) and html_kernel.c (failures, scheduler,
 * connections).
 */
#ifndef MPMSCOPE_REPORT_HTML_INTERNAL_H
#define MPMSCOPE_REPORT_HTML_INTERNAL_H

#include "base/sbuf.h"
#include "report/report.h"
#include "report/svg.h"

/* The runs that have data, in report order. */
struct ran {
	const struct run_model *r[MPM__MAX];
	int n;
};

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

/* Series with one value per MPM run, coloured by MPM. */
struct per_mpm {
	struct svg_series s[MPM__MAX];
	const char *names[MPM__MAX];
	const char *colors[MPM__MAX];
};

/* One colour per MPM, the same in every table and plot; three shades of it
 * (light, itself, dark) for p50, p90, p99; colours of things that are not
 * MPMs (reasons, closers), none close to an MPM's. */
const char *html_mpm_color(enum mpm m);
const char *html_mpm_shade(enum mpm m, int k);
#define HTML_OTHER_COLORS 11
extern const char *const html_other_colors[HTML_OTHER_COLORS];

double html_lat(const struct lg_result *l, double p); /* latency percentile, NaN without one */
double html_nz(double v);                             /* a count as a bar: nothing is not drawn */
/* An element id unique in the page (valid until 8 more are asked for). */
const char *html_eid(struct page *p, const char *name);

void html_mpm_swatch(struct sbuf *b, enum mpm m);
void html_badge(struct sbuf *b, enum verdict v); /* a claim's verdict */
void html_mpm_cell(struct sbuf *b, enum mpm m);
void html_td_dist_c(struct sbuf *b, const struct dist *d, const char *cls); /* "p50 / p99" */
void html_td_dist(struct sbuf *b, const struct dist *d);
void html_td_kb(struct sbuf *b, double kb);

/* The page's head (title, inline CSS) and its end, written atomically. */
void html_page_open(struct sbuf *b, const char *title);
int html_page_close(struct sbuf *b, const char *path, struct errbuf *e);

void html_figure(struct sbuf *b, void (*plot)(struct sbuf *, const struct svg_chart *), const struct svg_chart *c);
void html_section(struct page *p, const char *id, const char *title, const char *caption);
void html_grid(struct page *p, bool wide);
void html_grid_end(struct page *p);
void html_per_mpm_init(struct per_mpm *pm, const struct ran *ran);
/* One value per MPM, one bar each in the MPM's colour. */
void html_per_mpm_bars(struct page *p, const char *id, const char *title, const char *subtitle,
		       const char *ylabel, enum svg_unit unit, const double *v, const char *empty);
/* A kernel log2 histogram per MPM, over the buckets any MPM has. */
void html_hist_chart(struct page *p, const char *id, const char *title, const char *subtitle, const char *ylabel,
		     const struct ms_hist *const *h, const char *empty);

/* The sections, in page order (html_load.c, html_kernel.c). */
void html_plot_throughput(struct page *p);
void html_failures_section(struct page *p);
void html_plot_latency(struct page *p);
void html_tls_section(struct page *p);
void html_plot_load_timeline(struct page *p);
void html_plot_spawn_cost(struct page *p);
void html_plot_spawn_timeline(struct page *p);
void html_plot_memory(struct page *p);
void html_sched_section(struct page *p);
void html_conn_section(struct page *p);
/* compare --sweep (html_sweep.c): the curves, one plot per metric, the
 * knees and the claims at each point. */
void html_sweep_section(struct page *p);
/* Why (html_why.c): a claim's accounts under its verdict; every account. */
void html_why_claim(struct page *p, const struct claim_result *c);
void html_why_section(struct page *p);

#endif
