/* SPDX-License-Identifier: MIT */
/*
 * Inline SVG plots for the HTML report, generated in C: grouped or stacked bar
 * charts and line charts with axes, ticks, labels, a legend and an optional
 * log axis. One call per plot: describe it in a struct svg_chart, get one
 * self-contained <svg> element appended to a text buffer.
 *
 * Every chart is <svg class="chart" id=ID data-kind=bars|lines data-points=N>
 * (no xmlns: it is meant to be inline in HTML5, where the parser supplies it);
 * data elements carry class "bar" (rect) or "line" (path) and "pt" (circle),
 * each with a <title> tooltip. A chart with no finite value to draw shows a
 * "no data" note instead of an empty frame (data-points="0").
 */
#ifndef MPMSCOPE_REPORT_SVG_H
#define MPMSCOPE_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/sbuf.h"

/* How the values of an axis read. */
enum svg_unit {
	SVG_NUM,    /* 12, 4.5k, 1.2M */
	SVG_INT,    /* whole counts: no fractional ticks */
	SVG_US,     /* microseconds, shown as 250us / 1.5ms / 2s */
	SVG_MS,     /* milliseconds, shown like SVG_US */
	SVG_SEC,    /* seconds: 0s, 2.5s */
	SVG_KB,     /* kilobytes, shown as 512KB / 4.0MB */
	SVG_PCT,    /* percent: 0.5% */
};

/* Value text in a unit (tick labels, tooltips). Returns buf. */
char *svg_fmt(char *buf, size_t n, double v, enum svg_unit u);

/* A point of a line singled out (a knee): a ring around it, class "mark",
 * data-mark=KIND, with its label as the tooltip. */
struct svg_mark {
	size_t i;               /* the point's index in the series */
	const char *kind;       /* data-mark: "fail", "p99" */
	const char *label;
	bool square;            /* a square ring instead of a round one (a second kind) */
};

struct svg_series {
	const char *name;       /* legend and tooltips */
	const char *color;      /* CSS colour; NULL: a palette colour by index */
	const double *y;        /* bars: one value per category; lines: n values */
	const double *x;        /* lines only: n x values (NULL: 0, 1, 2...) */
	size_t n;               /* lines only */
	bool dashed;            /* lines only */
	const struct svg_mark *marks; /* lines only */
	size_t nmarks;
};

/* A vertical mark on a line chart's x axis (e.g. "load start"). */
struct svg_marker {
	double x;
	const char *label;
	const char *color;      /* NULL: grey */
};

struct svg_chart {
	const char *id;         /* element id (required, unique in the page) */
	const char *title;
	const char *subtitle;   /* one line under the title, optional */
	const char *xlabel, *ylabel;
	int width, height;      /* viewBox size; 0: 600 x 300 */
	enum svg_unit xunit, yunit;
	bool ylog;              /* log10 y axis: values <= 0 are not drawn */
	double ymin_log;        /* log axis floor (0: from the data) */
	/* bar charts: categories along x, one bar per series in each */
	const char *const *categories;
	size_t ncat;
	bool stacked;           /* stack the series instead of grouping them */
	bool horizontal;        /* bars grow to the right, categories down the left (long names); the
				 * value axis is then the bottom one, with ylabel and yunit; height 0:
				 * as tall as the bars need */
	const char *const *cat_colors; /* one series: a colour per category (then no legend) */
	bool value_labels;      /* print each bar's value above it */
	/* line charts */
	const struct svg_marker *markers;
	size_t nmarkers;
	bool xzero;             /* include x = 0 in the x range */
	bool xlog;              /* log10 x axis: points at x <= 0 are not drawn */
	/* both */
	const struct svg_series *series;
	size_t nseries;
	bool no_legend;
	const char *empty_note; /* shown under "no data" (why), optional */
};

/* Bars: categories x series, grouped (or stacked), vertical or horizontal.
 * NaN values are not drawn. */
void svg_bars(struct sbuf *b, const struct svg_chart *c);
/* Lines: each series a polyline over (x[i], y[i]); NaN points break the line. */
void svg_lines(struct sbuf *b, const struct svg_chart *c);

/* A timeline: one lane per actor (a task, the client, the kernel), phases as
 * bars on their lane, arrows from one lane to another (a wake-up). Time runs
 * left to right on a log scale from 0 (microseconds and seconds of one
 * connection fit in one picture). Bars carry class "phase", data-phase,
 * data-lane, data-t0 and data-t1 (us); a shaded bar (a task held while idle)
 * is hatched; arrows carry class "arrow". Lanes are <g class="lane"
 * data-lane=N data-kind=KIND data-tid=TID>. */
struct svg_lane {
	const char *name;
	const char *kind;       /* "client", "kernel", "task" */
	unsigned tid;           /* tasks: their tid */
};
struct svg_span {
	int lane;
	double t0, t1;          /* us from the origin */
	const char *phase;      /* "listen-queue", "read", "handle", "write", "keepalive-idle", "linger"... */
	const char *color;
	bool shaded;
	const char *tip;        /* tooltip, optional */
};
struct svg_arrow {
	int from, to;           /* lanes */
	double t;               /* us */
	const char *tip;
};
struct svg_timeline {
	const struct svg_chart *chart; /* id, title, subtitle, width (height: from the lanes) */
	const struct svg_lane *lanes;
	size_t nlanes;
	const struct svg_span *spans;
	size_t nspans;
	const struct svg_arrow *arrows;
	size_t narrows;
	double t_max;           /* us */
};
void svg_timeline(struct sbuf *b, const struct svg_timeline *t);

#endif
