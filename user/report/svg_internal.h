/* SPDX-License-Identifier: MIT */
/* Shared by the plotting module's files: svg.c (bars, lines) and
 * svg_timeline.c (lanes over time). */
#ifndef MPMSCOPE_REPORT_SVG_INTERNAL_H
#define MPMSCOPE_REPORT_SVG_INTERNAL_H

#include "report/svg.h"

struct frame {
	int w, h;
	double left, right, top, bottom; /* plot area */
};

/* <svg class="chart" id=... data-kind=kind data-points=points>, its
 * background, title and subtitle; f gets the plot area. */
void svg_frame_open(struct sbuf *b, const struct svg_chart *c, struct frame *f, const char *kind, size_t points);

#endif
