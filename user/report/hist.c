// SPDX-License-Identifier: MIT
#include "report/hist.h"

#include "model/names.h"
#include "trace/khist.h"

#define STARS 40

static void stars(FILE *out, uint64_t v, uint64_t vmax, int width)
{
	int n = vmax ? (int)((v < vmax ? v : vmax) * (uint64_t)width / vmax) : 0;

	for (int i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', out);
	if (v > vmax)
		fputc('+', out);
}

void hist_print_log2(FILE *out, const struct ms_hist *h, const char *unit)
{
	int last = -1, wide, width;
	uint64_t vmax = 0;

	for (int i = 0; i < MS_HIST_SLOTS; i++) {
		if (h->slots[i])
			last = i;
		if (h->slots[i] > vmax)
			vmax = h->slots[i];
	}
	if (last < 0)
		return;
	/* past 2^32 the bounds need more digits: runqlat's wide layout */
	wide = last > 32;
	width = wide ? 20 : 10;
	fprintf(out, "%*s%-*s : count    distribution\n", wide ? 15 : 5, "", wide ? 29 : 19, unit);
	for (int i = 0; i <= last; i++) {
		unsigned long long lo = (1ULL << (i + 1)) >> 1, hi = (1ULL << (i + 1)) - 1;

		if (lo == hi)
			lo--;
		fprintf(out, "%*llu -> %-*llu : %-8llu |", width, lo, width, hi, (unsigned long long)h->slots[i]);
		stars(out, h->slots[i], vmax, wide ? STARS / 2 : STARS);
		fprintf(out, "|\n");
	}
}

static void titled(FILE *out, const char *title, const char *what, const char *name, const struct ms_hist *now,
		   const struct ms_hist *prev)
{
	struct ms_hist d;

	khist_diff(&d, now, prev);
	if (!d.count)
		return;
	if (what)
		fprintf(out, "\n%s, %s = %s\n", title, what, name);
	else
		fprintf(out, "\n%s\n", title);
	hist_print_log2(out, &d, "nsecs");
}

void hist_print_interval(FILE *out, const struct tracer_counts *now, const struct tracer_counts *prev, bool conns)
{
	for (int role = 0; role < MS_ROLE__MAX; role++)
		titled(out, "run-queue latency", "role", role_name(role), &now->hists[MS_H_RUNQ + role],
		       &prev->hists[MS_H_RUNQ + role]);
	for (int o = 0; o < MS_OFF__MAX; o++)
		titled(out, "off-CPU time", "reason", offcpu_name(o), &now->hists[MS_H_OFFCPU + o],
		       &prev->hists[MS_H_OFFCPU + o]);
	if (!conns)
		return;
	titled(out, "listen-queue time", NULL, NULL, &now->hists[MS_H_LISTEN_Q], &prev->hists[MS_H_LISTEN_Q]);
	titled(out, "keep-alive idle time", NULL, NULL, &now->hists[MS_H_KA_IDLE], &prev->hists[MS_H_KA_IDLE]);
}
