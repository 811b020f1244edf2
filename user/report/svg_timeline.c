// SPDX-License-Identifier: MIT
/*
 * The timeline plot (svg.h): lanes, phases as bars, wake-ups as arrows, on
 * a log time axis: a connection's microseconds of work and seconds of
 * keep-alive idleness in one picture, in time order.
 */
#include <math.h>
#include <stdio.h>

#include "report/svg_internal.h"

#define LANE_H 34
#define LANE_LABEL_W 250

/* x of t (us): log10(1 + t / 10 us), 0 at the origin. */
static double tx(const struct frame *f, double t, double t_max)
{
	double span = log10(1 + t_max / 10);

	return f->left + (f->right - f->left) * (span > 0 ? log10(1 + fmax(t, 0) / 10) / span : 0);
}

static void time_axis(struct sbuf *b, const struct frame *f, double t_max)
{
	static const double ticks[] = { 0, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
	char lab[32];

	sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8c959f\"/>\n", f->left, f->bottom,
		  f->right, f->bottom);
	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]) && ticks[i] <= t_max; i++) {
		double x = tx(f, ticks[i], t_max);

		sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eef0f3\"/>\n", x, f->top, x,
			  f->bottom);
		sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#59636e\">%s</text>\n", x,
			  f->bottom + 14, svg_fmt(lab, sizeof(lab), ticks[i], SVG_US));
	}
	sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#59636e\">time since the client's "
		     "connect() (log scale)</text>\n", (f->left + f->right) / 2, f->bottom + 30);
}

static double lane_y(const struct frame *f, int lane)
{
	return f->top + 8 + lane * LANE_H;
}

static void lanes(struct sbuf *b, const struct svg_timeline *t, const struct frame *f)
{
	for (size_t i = 0; i < t->nlanes; i++) {
		const struct svg_lane *l = &t->lanes[i];
		double y = lane_y(f, (int)i);

		sb_printf(b, "<g class=\"lane\" data-lane=\"%zu\" data-kind=\"%s\" data-tid=\"%u\">", i, l->kind, l->tid);
		sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", f->left, y,
			  f->right - f->left, LANE_H - 6, i % 2 ? "#fafbfc" : "#f3f5f7");
		sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#1f2328\">", f->left - 8,
			  y + LANE_H / 2.0);
		sb_esc(b, l->name);
		sb_puts(b, "</text></g>\n");
	}
}

static void spans(struct sbuf *b, const struct svg_timeline *t, const struct frame *f)
{
	for (size_t i = 0; i < t->nspans; i++) {
		const struct svg_span *s = &t->spans[i];
		double x0 = tx(f, s->t0, t->t_max), x1 = tx(f, s->t1, t->t_max), y = lane_y(f, s->lane) + 5;

		sb_printf(b, "<rect class=\"phase\" data-phase=\"%s\" data-lane=\"%d\" data-t0=\"%.1f\" data-t1=\"%.1f\" "
			     "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"%s>",
			  s->phase, s->lane, s->t0, s->t1, x0, y, fmax(x1 - x0, 2), LANE_H - 16, s->color,
			  s->shaded ? " fill-opacity=\"0.55\" stroke=\"#24292f\" stroke-dasharray=\"3 2\"" : "");
		sb_puts(b, "<title>");
		sb_esc(b, s->tip ? s->tip : s->phase);
		sb_puts(b, "</title></rect>\n");
		if (s->shaded)
			sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"url(#held)\"/>\n", x0, y,
				  fmax(x1 - x0, 2), LANE_H - 16);
	}
}

static void arrows(struct sbuf *b, const struct svg_timeline *t, const struct frame *f)
{
	for (size_t i = 0; i < t->narrows; i++) {
		const struct svg_arrow *a = &t->arrows[i];
		double x = tx(f, a->t, t->t_max), y0 = lane_y(f, a->from) + LANE_H / 2.0 - 3;
		double y1 = lane_y(f, a->to) + (a->to > a->from ? 4 : LANE_H - 10);

		sb_printf(b, "<path class=\"arrow\" data-from=\"%d\" data-to=\"%d\" data-t=\"%.1f\" d=\"M%.1f %.1f L%.1f "
			     "%.1f\" stroke=\"#24292f\" stroke-width=\"1.3\" marker-end=\"url(#tip)\"><title>",
			  a->from, a->to, a->t, x, y0, x, y1);
		sb_esc(b, a->tip ? a->tip : "wake-up");
		sb_puts(b, "</title></path>\n");
	}
}

void svg_timeline(struct sbuf *b, const struct svg_timeline *t)
{
	struct svg_chart c = *t->chart;
	struct frame f;

	if (!c.width)
		c.width = 1100;
	c.height = (int)(t->nlanes * LANE_H) + (c.subtitle ? 110 : 94);
	svg_frame_open(b, &c, &f, "timeline", t->nspans);
	f.left = LANE_LABEL_W;
	sb_puts(b, "<defs><marker id=\"tip\" markerWidth=\"8\" markerHeight=\"8\" refX=\"6\" refY=\"4\" "
		   "orient=\"auto\"><path d=\"M0 0 L8 4 L0 8 z\" fill=\"#24292f\"/></marker>"
		   "<pattern id=\"held\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
		   "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#24292f\" "
		   "stroke-width=\"1.5\" stroke-opacity=\"0.5\"/></pattern></defs>\n");
	f.bottom = lane_y(&f, (int)t->nlanes) + 4;
	time_axis(b, &f, t->t_max);
	lanes(b, t, &f);
	spans(b, t, &f);
	arrows(b, t, &f);
	sb_puts(b, "</svg>\n");
}
