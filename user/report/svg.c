// SPDX-License-Identifier: MIT
#include "report/svg.h"
#include "report/svg_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

/* ---- numbers -------------------------------------------------------------- */

/* Three significant digits at most, no trailing zeros: 250, 12.5, 1.25, 0.125 */
static void sig3(char *buf, size_t n, double v, const char *suffix)
{
	double a = fabs(v);
	char *dot;

	if (a >= 100 || a == 0)
		snprintf(buf, n, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, n, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.3g", v);
	dot = strchr(buf, '.');
	if (dot && !strchr(buf, 'e')) {
		char *end = buf + strlen(buf) - 1;

		while (end > dot && *end == '0')
			*end-- = 0;
		if (end == dot)
			*end = 0;
	}
	snprintf(buf + strlen(buf), n - strlen(buf), "%s", suffix);
}

char *svg_fmt(char *buf, size_t n, double v, enum svg_unit u)
{
	static const struct unit_step time_us[] = { { 1000, 1, "µs" }, { 1e6, 1e3, "ms" }, { 0, 1e6, "s" } };
	static const struct unit_step kb[] = { { 1024, 1, "KB" }, { 1 << 20, 1 << 10, "MB" }, { 0, 1 << 20, "GB" } };
	static const struct unit_step count[] = { { 1e3, 1, "" }, { 1e6, 1e3, "k" }, { 0, 1e6, "M" } };
	static const struct unit_step sec[] = { { 0, 1, "s" } }, pct[] = { { 0, 1, "%" } };
	const struct unit_step *ladder = count, *step;
	size_t steps = ARRAY_SIZE(count);

	if (!isfinite(v)) {
		snprintf(buf, n, "n/a");
		return buf;
	}
	if (u == SVG_MS)
		v *= 1000;
	if (u == SVG_PCT && fabs(v) > 0 && fabs(v) < 0.01) {
		snprintf(buf, n, "%.3f%%", v);
		return buf;
	}
	if (u == SVG_US || u == SVG_MS)
		ladder = time_us, steps = ARRAY_SIZE(time_us);
	else if (u == SVG_KB)
		ladder = kb, steps = ARRAY_SIZE(kb);
	else if (u == SVG_SEC)
		ladder = sec, steps = 1;
	else if (u == SVG_PCT)
		ladder = pct, steps = 1;
	step = unit_step(v, ladder, steps);
	sig3(buf, n, v / step->div, step->suffix);
	return buf;
}

static const char *const palette[] = { "#4c78a8", "#f58518", "#54a24b", "#e45756",
					"#72b7b2", "#b279a2", "#eeca3b", "#9d755d" };

static const char *series_color(const struct svg_chart *c, size_t i)
{
	return c->series[i].color ? c->series[i].color : palette[i % ARRAY_SIZE(palette)];
}

/* ---- axes ----------------------------------------------------------------- */

#define MAX_TICKS 64

struct axis {
	bool log;
	double lo, hi;            /* data units (log: the values themselves) */
	double p0, p1;            /* pixels of lo and hi */
	double ticks[MAX_TICKS];
	bool major[MAX_TICKS];    /* labelled */
	int nticks;
	enum svg_unit unit;
};

static double nice_step(double range, int target, bool integer)
{
	double raw = range / target, mag, f, step;

	if (raw <= 0)
		raw = 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
	if (integer && step < 1)
		step = 1;
	return step;
}

static void axis_linear(struct axis *a, double lo, double hi, int target)
{
	double step, scale = 1;

	if (!(hi > lo))
		hi = lo + 1;
	/* KB ticks fall on round KB, MB or GB: steps in powers of 1024 */
	if (a->unit == SVG_KB)
		while (hi - lo >= 1024 * scale && scale < 1024.0 * 1024 * 1024)
			scale *= 1024;
	step = nice_step((hi - lo) / scale, target, a->unit == SVG_INT || scale > 1) * scale;
	a->lo = floor(lo / step) * step;
	a->hi = ceil(hi / step) * step;
	if (a->hi <= a->lo)
		a->hi = a->lo + step;
	a->nticks = 0;
	for (double t = a->lo; t <= a->hi + step * 1e-9 && a->nticks < MAX_TICKS; t += step) {
		a->ticks[a->nticks] = fabs(t) < step * 1e-9 ? 0 : t;
		a->major[a->nticks++] = true;
	}
}

static void axis_log(struct axis *a, double lo, double hi, double floor_v)
{
	int dlo, dhi;

	if (floor_v > 0)
		lo = floor_v;
	if (!(lo > 0))
		lo = 1;
	if (!(hi > lo))
		hi = lo * 10;
	dlo = (int)floor(log10(lo) + 1e-9);
	dhi = (int)ceil(log10(hi) - 1e-9);
	if (dhi <= dlo)
		dhi = dlo + 1;
	a->lo = pow(10, dlo);
	a->hi = pow(10, dhi);
	a->nticks = 0;
	for (int d = dlo; d <= dhi && a->nticks < MAX_TICKS - 3; d++) {
		a->ticks[a->nticks] = pow(10, d);
		a->major[a->nticks++] = true;
		if (d < dhi) {
			/* 2x and 5x: gridlines; labelled when few decades */
			a->ticks[a->nticks] = 2 * pow(10, d);
			a->major[a->nticks++] = dhi - dlo <= 2;
			a->ticks[a->nticks] = 5 * pow(10, d);
			a->major[a->nticks++] = dhi - dlo <= 3;
		}
	}
}

static double axis_px(const struct axis *a, double v)
{
	double f;

	if (a->log) {
		if (!(v > 0))
			return a->p0;
		f = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	} else {
		f = (v - a->lo) / (a->hi - a->lo);
	}
	if (f < 0)
		f = 0;
	if (f > 1)
		f = 1;
	return a->p0 + f * (a->p1 - a->p0);
}

/* ---- frame ---------------------------------------------------------------- */

void svg_frame_open(struct sbuf *b, const struct svg_chart *c, struct frame *f, const char *kind, size_t points)
{
	f->w = c->width > 0 ? c->width : 600;
	f->h = c->height > 0 ? c->height : 300;
	sb_printf(b, "<svg class=\"chart\" id=\"");
	sb_esc(b, c->id);
	sb_printf(b, "\" data-kind=\"%s\" data-points=\"%zu\" "
		     "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
		  kind, points, f->w, f->h, f->w, f->h);
	sb_esc(b, c->title);
	sb_puts(b, "\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\" "
		   "font-size=\"11\">\n");
	sb_printf(b, "<rect class=\"bg\" x=\"0.5\" y=\"0.5\" width=\"%d\" height=\"%d\" rx=\"6\" fill=\"#fff\" "
		     "stroke=\"#e3e6ea\"/>\n", f->w - 1, f->h - 1);
	f->top = 12;
	if (c->title) {
		sb_puts(b, "<text x=\"14\" y=\"24\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2328\">");
		sb_esc(b, c->title);
		sb_puts(b, "</text>\n");
		f->top = 34;
	}
	if (c->subtitle) {
		sb_printf(b, "<text x=\"14\" y=\"%.0f\" font-size=\"11\" fill=\"#59636e\">", f->top + 6);
		sb_esc(b, c->subtitle);
		sb_puts(b, "</text>\n");
		f->top += 16;
	}
	f->left = 66;
	f->right = f->w - 18;
	f->bottom = f->h - (c->xlabel ? 42 : 28);
}

static void close_svg(struct sbuf *b)
{
	sb_puts(b, "</svg>\n");
}

static bool has_legend(const struct svg_chart *c)
{
	return !c->no_legend && c->nseries > 0 && !(c->cat_colors && c->nseries == 1);
}

static double legend_item_w(const struct svg_chart *c, size_t i, bool lines)
{
	const char *name = c->series[i].name ? c->series[i].name : "";

	return (lines ? 21 : 17) + 6.5 * (double)strlen(name) + 18;
}

/* Rows the legend takes between x0 and x1 (it wraps). */
static int legend_rows(const struct svg_chart *c, double x0, double x1, bool lines)
{
	double x = x0;
	int rows = 1;

	if (!has_legend(c))
		return 0;
	for (size_t i = 0; i < c->nseries; i++) {
		double w = legend_item_w(c, i, lines);

		if (x > x0 && x + w - 18 > x1) {
			rows++;
			x = x0;
		}
		x += w;
	}
	return rows;
}

/* Swatches under the title, wrapped on as many rows as needed; moves the
 * plot area down. */
static void legend(struct sbuf *b, const struct svg_chart *c, struct frame *f, bool lines)
{
	double x0 = c->horizontal ? 14 : f->left, x = x0, y = f->top + 10;

	if (!has_legend(c))
		return;
	sb_puts(b, "<g class=\"legend\">\n");
	for (size_t i = 0; i < c->nseries; i++) {
		const char *name = c->series[i].name ? c->series[i].name : "";
		double w = legend_item_w(c, i, lines);

		if (x > x0 && x + w - 18 > f->right) {
			x = x0;
			y += 18;
			f->top += 18;
		}
		if (lines)
			sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
				     "stroke-width=\"2.5\"%s/>",
				  x, y, x + 16, y, series_color(c, i), c->series[i].dashed ? " stroke-dasharray=\"4 3\"" : "");
		else
			sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" rx=\"2\" fill=\"%s\"/>", x,
				  y - 6, series_color(c, i));
		sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#1f2328\">", x + (lines ? 21 : 17), y + 4);
		sb_esc(b, name);
		sb_puts(b, "</text>\n");
		x += w;
	}
	sb_puts(b, "</g>\n");
	f->top += 22;
}

static void empty_plot(struct sbuf *b, const struct svg_chart *c, struct frame *f)
{
	double cx = (f->left + f->right) / 2, cy = (f->top + 8 + f->bottom) / 2;

	sb_printf(b, "<rect class=\"nodata\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"4\" "
		     "fill=\"#f6f8fa\" stroke=\"#d0d7de\" stroke-dasharray=\"5 4\"/>\n",
		  f->left, f->top + 8, f->right - f->left, f->bottom - f->top - 8);
	sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"15\" fill=\"#59636e\">"
		     "no data</text>\n", cx, cy);
	if (c->empty_note) {
		sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#59636e\">", cx, cy + 18);
		sb_esc(b, c->empty_note);
		sb_puts(b, "</text>\n");
	}
}

static void y_axis(struct sbuf *b, const struct svg_chart *c, const struct frame *f, const struct axis *ya)
{
	char t[32];

	sb_puts(b, "<g class=\"yaxis\">\n");
	for (int i = 0; i < ya->nticks; i++) {
		double y = axis_px(ya, ya->ticks[i]);

		sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", f->left, y,
			  f->right, y, ya->major[i] ? "#e6e9ed" : "#f3f4f6");
		if (ya->major[i])
			sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#59636e\">%s</text>",
				  f->left - 6, y + 3.5,
				  ya->ticks[i] == 0 ? "0" : svg_fmt(t, sizeof(t), ya->ticks[i], ya->unit));
		sb_puts(b, "\n");
	}
	sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8c959f\"/>\n", f->left, f->top,
		  f->left, f->bottom);
	if (c->ylabel) {
		sb_printf(b, "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" "
			     "fill=\"#59636e\">", (f->top + f->bottom) / 2);
		sb_esc(b, c->ylabel);
		if (ya->log)
			sb_puts(b, " (log scale)");
		sb_puts(b, "</text>\n");
	}
	sb_puts(b, "</g>\n");
}

static void x_label(struct sbuf *b, const struct svg_chart *c, const struct frame *f)
{
	if (!c->xlabel)
		return;
	sb_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#59636e\">", (f->left + f->right) / 2,
		  f->h - 10);
	sb_esc(b, c->xlabel);
	if (c->xlog)
		sb_puts(b, " (log scale)");
	sb_puts(b, "</text>\n");
}

static void set_y_axis(struct axis *ya, const struct svg_chart *c, const struct frame *f, double lo, double hi)
{
	memset(ya, 0, sizeof(*ya));
	ya->unit = c->yunit;
	ya->log = c->ylog;
	ya->p0 = f->bottom;
	ya->p1 = f->top + 8;
	if (ya->log)
		axis_log(ya, lo, hi, c->ymin_log);
	else
		axis_linear(ya, lo < 0 ? lo : 0, hi, (int)((f->bottom - f->top) / 45) + 1);
}

/* ---- bars ----------------------------------------------------------------- */

static bool drawable(const struct svg_chart *c, double v)
{
	return isfinite(v) && (!c->ylog || v > 0);
}

/* The values bars draw: their count, and lo/hi (of the stacks, when stacked). */
static size_t bars_range(const struct svg_chart *c, double *lo, double *hi)
{
	size_t points = 0;

	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t k = 0; k < c->ncat; k++) {
		double stack = 0;

		for (size_t s = 0; s < c->nseries; s++) {
			double v = c->series[s].y[k];

			if (!drawable(c, v))
				continue;
			points++;
			stack += v;
			*lo = fmin(*lo, v);
			*hi = fmax(*hi, v);
		}
		if (c->stacked && stack > *hi)
			*hi = stack;
	}
	return points;
}

/* An x axis along the bottom: grid lines, labels, the axis line. values:
 * the value axis of horizontal bars (minor grid lines unlabelled, the
 * chart's value label under it); else a line chart's x axis (tick marks,
 * every tick labelled). */
static void x_axis(struct sbuf *b, const struct svg_chart *c, const struct frame *f, const struct axis *xa, bool values)
{
	char t[48];

	sb_puts(b, "<g class=\"xaxis\">\n");
	for (int i = 0; i < xa->nticks; i++) {
		double x = axis_px(xa, xa->ticks[i]);

		sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", x, f->top + 8, x,
			  f->bottom, !values ? "#f0f2f4" : xa->major[i] ? "#e6e9ed" : "#f3f4f6");
		if (!values)
			sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8c959f\"/>", x,
				  f->bottom, x, f->bottom + 4);
		if (!values || xa->major[i])
			sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#59636e\">%s</text>", x,
				  f->bottom + 15,
				  values && xa->ticks[i] == 0 ? "0" : svg_fmt(t, sizeof(t), xa->ticks[i], xa->unit));
		sb_puts(b, "\n");
	}
	sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8c959f\"/>\n", f->left, f->bottom,
		  f->right, f->bottom);
	if (values && c->ylabel) {
		sb_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#59636e\">", (f->left + f->right) / 2,
			  f->h - 10);
		sb_esc(b, c->ylabel);
		if (xa->log)
			sb_puts(b, " (log scale)");
		sb_puts(b, "</text>\n");
	}
	sb_puts(b, "</g>\n");
}

/* Horizontal bars: categories down the left, values along the bottom. */
#define HB_BAR 13.0  /* one bar of a group */
#define HB_SOLO 18.0 /* a bar alone or a stack */

/* A category's name, cut with an ellipsis when it is longer than fit
 * characters (the tooltips keep it whole). */
static void hbar_label(struct sbuf *b, const char *cat, size_t fit, double x, double y)
{
	sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#1f2328\">", x, y);
	if (strlen(cat) > fit && fit > 2) {
		char cut[256];

		snprintf(cut, sizeof(cut), "%.*s", (int)(fit - 1 < sizeof(cut) - 1 ? fit - 1 : sizeof(cut) - 1), cat);
		sb_esc(b, cut);
		sb_puts(b, "\u2026");
	} else {
		sb_esc(b, cat);
	}
	sb_puts(b, "</text>\n");
}

static void hbars(struct sbuf *b, const struct svg_chart *c0)
{
	struct svg_chart cc = *c0;
	const struct svg_chart *c = &cc;
	bool solo = c->stacked || c->nseries <= 1;
	double lo = INFINITY, hi = -INFINITY, label_w = 0, bh = solo ? HB_SOLO : HB_BAR;
	double gh = solo ? bh + 10 : bh * (double)c->nseries + 10;
	int w = c->width > 0 ? c->width : 600;
	size_t points = 0;
	struct frame f;
	struct axis xa;
	char t[48];

	points = bars_range(c, &lo, &hi);
	for (size_t k = 0; k < c->ncat; k++)
		label_w = fmax(label_w, 6.2 * (double)strlen(c->categories[k]) + 12);
	label_w = fmin(label_w, w * 0.42);
	if (cc.height <= 0) {
		int rows = legend_rows(c, 14, w - 18, false);
		double head = (c->title ? 34 : 12) + (c->subtitle ? 16 : 0) + (rows ? 22 + 18.0 * (rows - 1) : 0);

		cc.height = (int)ceil(head + 8 + gh * (double)(points ? c->ncat : 4) + (c->ylabel ? 42 : 28) + 4);
	}
	svg_frame_open(b, c, &f, "bars", points);
	legend(b, c, &f, false);
	f.bottom = f.h - (c->ylabel ? 42 : 28);
	if (!points) {
		empty_plot(b, c, &f);
		close_svg(b);
		return;
	}
	f.left = 14 + label_w;

	memset(&xa, 0, sizeof(xa));
	xa.unit = c->yunit;
	xa.log = c->ylog;
	xa.p0 = f.left;
	xa.p1 = f.right;
	if (xa.log)
		axis_log(&xa, lo, hi, c->ymin_log);
	else
		axis_linear(&xa, lo < 0 ? lo : 0, hi > 0 ? hi : 1, (int)((f.right - f.left) / 90) + 1);
	x_axis(b, c, &f, &xa, true);
	sb_puts(b, "<g class=\"bars\">\n");
	for (size_t k = 0; k < c->ncat; k++) {
		double gy = f.top + 8 + gh * (double)k + 5, base = 0;
		const char *cat = c->categories[k];
		size_t fit = (size_t)((label_w - 12) / 6.2);

		hbar_label(b, cat, fit, f.left - 6, gy + (gh - 10) / 2 + 4);
		for (size_t s = 0; s < c->nseries; s++) {
			const struct svg_series *se = &c->series[s];
			double v = se->y[k], y = solo ? gy : gy + bh * (double)s, x0, x1, left, wd;
			const char *col = c->cat_colors && c->nseries == 1 ? c->cat_colors[k] : series_color(c, s);

			if (!drawable(c, v))
				continue;
			x0 = c->stacked ? axis_px(&xa, base) : xa.log ? xa.p0 : axis_px(&xa, 0);
			x1 = axis_px(&xa, c->stacked ? base + v : v);
			left = fmin(x0, x1);
			wd = fabs(x1 - x0);
			if (wd < 1)
				wd = 1;
			sb_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				     "fill=\"%s\"%s><title>", left, y, wd, solo ? bh : bh - 1.5, col,
				  c->stacked ? " stroke=\"#fff\" stroke-width=\"0.5\"" : "");
			if (se->name && *se->name) {
				sb_esc(b, se->name);
				sb_puts(b, ", ");
			}
			sb_esc(b, cat);
			sb_printf(b, ": %s</title></rect>\n", svg_fmt(t, sizeof(t), v, c->yunit));
			if (c->value_labels && !c->stacked) {
				double tw = (double)strlen(t) * 5.6;
				bool inside = left + wd + 4 + tw > f.right;

				sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"10\" "
					     "fill=\"%s\">%s</text>\n", inside ? left + wd - 4 : left + wd + 4,
					  y + (solo ? bh : bh - 1.5) / 2 + 3.5, inside ? "end" : "start",
					  inside ? "#fff" : "#1f2328", t);
			}
			base += v;
		}
	}
	sb_puts(b, "</g>\n");
	sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8c959f\"/>\n", f.left,
		  f.top + 8, f.left, f.bottom);
	close_svg(b);
}

void svg_bars(struct sbuf *b, const struct svg_chart *c)
{
	struct frame f;
	struct axis ya;
	double lo = INFINITY, hi = -INFINITY, gw, bw, label_w;
	size_t points = 0;
	int every = 1;
	char t[48];

	if (c->horizontal) {
		hbars(b, c);
		return;
	}

	points = bars_range(c, &lo, &hi);
	svg_frame_open(b, c, &f, "bars", points);
	legend(b, c, &f, false);
	if (!points) {
		empty_plot(b, c, &f);
		close_svg(b);
		return;
	}
	set_y_axis(&ya, c, &f, lo, hi > 0 ? hi : 1);
	y_axis(b, c, &f, &ya);

	gw = (f.right - f.left) / (double)c->ncat;
	if (c->stacked || c->nseries <= 1)
		bw = fmin(gw * 0.62, 90);
	else
		bw = fmin(gw * 0.8 / (double)c->nseries, 56);
	/* category labels: skip some when they would overlap */
	label_w = 0;
	for (size_t k = 0; k < c->ncat; k++)
		label_w = fmax(label_w, 6.2 * (double)strlen(c->categories[k]) + 6);
	while (label_w > gw * every && every < (int)c->ncat)
		every++;

	sb_puts(b, "<g class=\"bars\">\n");
	for (size_t k = 0; k < c->ncat; k++) {
		double cx = f.left + gw * ((double)k + 0.5);
		double x0 = c->stacked || c->nseries <= 1 ? cx - bw / 2 : cx - bw * (double)c->nseries / 2;
		double base = 0;

		for (size_t s = 0; s < c->nseries; s++) {
			const struct svg_series *se = &c->series[s];
			double v = se->y[k], x = c->stacked || c->nseries <= 1 ? x0 : x0 + bw * (double)s;
			double y0, y1, top, h;
			const char *col = c->cat_colors && c->nseries == 1 ? c->cat_colors[k] : series_color(c, s);

			if (!drawable(c, v)) {
				if (c->value_labels && !c->stacked)
					sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\" "
						     "fill=\"#8c959f\">n/a</text>\n", x + bw / 2, f.bottom - 4);
				continue;
			}
			y0 = c->stacked ? axis_px(&ya, base) : ya.log ? ya.p0 : axis_px(&ya, 0);
			y1 = axis_px(&ya, c->stacked ? base + v : v);
			top = fmin(y0, y1);
			h = fabs(y0 - y1);
			if (h < 1) { /* a zero is a value: keep a hairline */
				h = 1;
				top = y0 - 1;
			}
			sb_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				     "fill=\"%s\"%s><title>", x + (c->stacked || c->nseries <= 1 ? 0 : 1), top,
				  c->stacked || c->nseries <= 1 ? bw : bw - 2, h, col,
				  c->stacked ? " stroke=\"#fff\" stroke-width=\"0.5\"" : "");
			if (se->name && *se->name) {
				sb_esc(b, se->name);
				sb_puts(b, ", ");
			}
			sb_esc(b, c->categories[k]);
			sb_printf(b, ": %s</title></rect>\n", svg_fmt(t, sizeof(t), v, c->yunit));
			svg_fmt(t, sizeof(t), v, c->yunit);
			if (c->value_labels && !c->stacked && (double)strlen(t) * 5.4 <= bw + 2)
				sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%s\" "
					     "fill=\"#1f2328\">%s</text>\n", x + bw / 2, top - 4, bw >= 40 ? "10" : "9", t);
			base += v;
		}
		if (k % (size_t)every == 0) {
			sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#1f2328\">", cx,
				  f.bottom + 15);
			sb_esc(b, c->categories[k]);
			sb_puts(b, "</text>\n");
		}
	}
	sb_puts(b, "</g>\n");
	sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8c959f\"/>\n", f.left, f.bottom,
		  f.right, f.bottom);
	x_label(b, c, &f);
	close_svg(b);
}

/* ---- lines ---------------------------------------------------------------- */

#define MAX_POINT_MARKS 400 /* per series: hover points only up to this many */

/* The vertical marks of a line chart ("load start"). */
static void lines_markers(struct sbuf *b, const struct svg_chart *c, const struct frame *fr, const struct axis *xa)
{
	const struct frame f = *fr;

	for (size_t m = 0; m < c->nmarkers; m++) {
		const struct svg_marker *mk = &c->markers[m];
		double x = axis_px(xa, mk->x);
		const char *col = mk->color ? mk->color : "#6e7781";

		sb_printf(b, "<g class=\"marker\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			     "stroke-dasharray=\"3 3\"/>", x, f.top + 8, x, f.bottom, col);
		if (mk->label) {
			bool right_side = x < (f.left + f.right) / 2;

			sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"10\" fill=\"%s\">",
				  right_side ? x + 4 : x - 4, f.top + 19 + 12.0 * (double)m, right_side ? "start" : "end",
				  col);
			sb_esc(b, mk->label);
			sb_puts(b, "</text>");
		}
		sb_puts(b, "</g>\n");
	}
}

/* Series s as a path (broken where a point is missing) and its points. */
static void lines_series(struct sbuf *b, const struct svg_chart *c, size_t s, const struct axis *xa,
			 const struct axis *ya)
{
	const struct svg_series *se = &c->series[s];
	bool pen = false;
	size_t drawn = 0;
	char t[48], u[48];

	if (!se->n)
		return;
	sb_printf(b, "<path class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
		     "stroke-linejoin=\"round\"%s d=\"", series_color(c, s),
		  se->dashed ? " stroke-dasharray=\"5 3\"" : "");
	for (size_t i = 0; i < se->n; i++) {
		double x = se->x ? se->x[i] : (double)i, y = se->y[i];

		if (!isfinite(x) || !drawable(c, y) || (c->xlog && !(x > 0))) {
			pen = false;
			continue;
		}
		sb_printf(b, "%s%.1f,%.1f", pen ? " L" : (drawn ? " M" : "M"), axis_px(xa, x), axis_px(ya, y));
		pen = true;
		drawn++;
	}
	sb_puts(b, "\"><title>");
	sb_esc(b, se->name);
	sb_puts(b, "</title></path>\n");
	if (drawn > MAX_POINT_MARKS)
		return;
	for (size_t i = 0; i < se->n; i++) {
		double x = se->x ? se->x[i] : (double)i, y = se->y[i];

		if (!isfinite(x) || !drawable(c, y) || (c->xlog && !(x > 0)))
			continue;
		sb_printf(b, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"><title>",
			  axis_px(xa, x), axis_px(ya, y), drawn <= 40 ? "2.5" : "1.6", series_color(c, s));
		sb_esc(b, se->name);
		sb_printf(b, " at %s: %s</title></circle>\n", svg_fmt(t, sizeof(t), x, c->xunit),
			  svg_fmt(u, sizeof(u), y, c->yunit));
	}
	for (size_t k = 0; k < se->nmarks; k++) {
		const struct svg_mark *mk = &se->marks[k];
		double x = mk->i < se->n ? (se->x ? se->x[mk->i] : (double)mk->i) : NAN;
		double y = mk->i < se->n ? se->y[mk->i] : NAN;

		if (!isfinite(x) || !drawable(c, y) || (c->xlog && !(x > 0)))
			continue;
		if (mk->square)
			sb_printf(b, "<rect class=\"mark\" x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\"",
				  axis_px(xa, x) - 6, axis_px(ya, y) - 6);
		else
			sb_printf(b, "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"7\"", axis_px(xa, x), axis_px(ya, y));
		sb_printf(b, " data-mark=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"><title>",
			  mk->kind ? mk->kind : "", series_color(c, s));
		sb_esc(b, se->name);
		sb_puts(b, ": ");
		sb_esc(b, mk->label ? mk->label : "");
		sb_puts(b, mk->square ? "</title></rect>\n" : "</title></circle>\n");
	}
}

void svg_lines(struct sbuf *b, const struct svg_chart *c)
{
	struct frame f;
	struct axis xa, ya;
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	size_t points = 0;

	for (size_t s = 0; s < c->nseries; s++) {
		const struct svg_series *se = &c->series[s];

		for (size_t i = 0; i < se->n; i++) {
			double x = se->x ? se->x[i] : (double)i, y = se->y[i];

			if (!isfinite(x) || !drawable(c, y) || (c->xlog && !(x > 0)))
				continue;
			points++;
			xlo = fmin(xlo, x);
			xhi = fmax(xhi, x);
			ylo = fmin(ylo, y);
			yhi = fmax(yhi, y);
		}
	}
	svg_frame_open(b, c, &f, "lines", points);
	legend(b, c, &f, true);
	if (!points) {
		empty_plot(b, c, &f);
		close_svg(b);
		return;
	}
	for (size_t m = 0; m < c->nmarkers; m++) {
		xlo = fmin(xlo, c->markers[m].x);
		xhi = fmax(xhi, c->markers[m].x);
	}
	if (c->xzero) {
		xlo = fmin(xlo, 0);
		xhi = fmax(xhi, 0);
	}
	set_y_axis(&ya, c, &f, ylo, yhi > 0 ? yhi : 1);
	y_axis(b, c, &f, &ya);

	memset(&xa, 0, sizeof(xa));
	xa.unit = c->xunit;
	xa.p0 = f.left;
	xa.p1 = f.right;
	xa.log = c->xlog;
	if (c->xlog) {
		int n = 0;

		/* the data's own range, a little wider, and the 1, 2 and 5 ticks within */
		axis_log(&xa, xlo, xhi, 0);
		xa.lo = xlo / 1.15;
		xa.hi = (xhi > xlo ? xhi : xlo * 10) * 1.15;
		for (int i = 0; i < xa.nticks; i++)
			if (xa.ticks[i] >= xa.lo && xa.ticks[i] <= xa.hi) {
				xa.ticks[n] = xa.ticks[i];
				xa.major[n++] = true;
			}
		xa.nticks = n;
	} else {
		axis_linear(&xa, xlo, xhi, (int)((f.right - f.left) / 80));
	}
	/* the data's own range, not a rounded one, when rounding would waste a lot */
	if (!c->xlog && (xa.hi - xhi > (xhi - xlo) * 0.15 || xlo - xa.lo > (xhi - xlo) * 0.15)) {
		double lo = xlo, hi = xhi > xlo ? xhi : xlo + 1;
		int n = 0;

		for (int i = 0; i < xa.nticks; i++)
			if (xa.ticks[i] >= lo - 1e-9 && xa.ticks[i] <= hi + 1e-9)
				xa.ticks[n++] = xa.ticks[i];
		xa.nticks = n;
		xa.lo = lo;
		xa.hi = hi;
	}
	x_axis(b, c, &f, &xa, false);
	lines_markers(b, c, &f, &xa);
	sb_puts(b, "<g class=\"lines\">\n");
	for (size_t s = 0; s < c->nseries; s++)
		lines_series(b, c, s, &xa, &ya);
	sb_puts(b, "</g>\n");
	x_label(b, c, &f);
	close_svg(b);
}
