// SPDX-License-Identifier: MIT
/*
 * The accounts of model/attrib.h in words: a headline (the gap, what is
 * explained, what is not) and a line per cause, shared by the text report
 * and the HTML; the text report prints them under each claim's verdict.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report.h"

/* 66.2 us/request, 1.50 MB */
static void amount(char *buf, size_t n, double v, enum attr_basis b)
{
	if (b == ATTR_MEMORY)
		snprintf(buf, n, "%.0f kB", v);
	else if (fabs(v) >= 10000)
		snprintf(buf, n, "%.1f ms/request", v / 1e3);
	else
		snprintf(buf, n, "%.1f us/request", v);
}

void report_why_headline(const struct attribution *at, char *buf, size_t n)
{
	char gap[48], ta[48], tb[48], ex[48], un[48];

	amount(gap, sizeof(gap), at->gap, at->basis);
	amount(ta, sizeof(ta), at->a_total, at->basis);
	amount(tb, sizeof(tb), at->b_total, at->basis);
	amount(ex, sizeof(ex), at->explained, at->basis);
	amount(un, sizeof(un), at->unexplained, at->basis);
	snprintf(buf, n, "%s: %s %s, %s %s, a gap of %s; the kernel's costs explain %s (%.0f%%), %s unexplained",
		 attr_basis_words(at->basis), mpm_name(at->b), tb, mpm_name(at->a), ta, gap, ex, 100 * at->share, un);
}

void report_why_cause(const struct attr_cause *c, enum attr_basis basis, char *buf, size_t n)
{
	char g[48];

	amount(g, sizeof(g), c->gap, basis);
	snprintf(buf, n, "%s%s %s: %s", c->gap >= 0 ? "+" : "", g, c->key, c->text);
}

/* The top causes of one account, indented under a claim. */
static void why_text(const struct attribution *at, const char *lead, FILE *out)
{
	char line[600];
	int shown = at->ncauses < 3 ? at->ncauses : 3;

	report_why_headline(at, line, sizeof(line));
	fprintf(out, "      %s %s\n", lead, line);
	for (int i = 0; i < shown; i++) {
		report_why_cause(&at->causes[i], at->basis, line, sizeof(line));
		fprintf(out, "        %s\n", line);
	}
	if (at->ncauses > shown)
		fprintf(out, "        (%d smaller cause(s) in the JSON and the HTML)\n", at->ncauses - shown);
	if (at->unexplained_text[0])
		fprintf(out, "        unexplained: %s\n", at->unexplained_text);
	if (at->note[0])
		fprintf(out, "        %s\n", at->note);
}

void report_why_claim(const struct report *rep, const struct claim_result *c, FILE *out)
{
	const char *lead = c->verdict == VERDICT_REFUTED ? "refuted, because"
			   : c->verdict == VERDICT_CONFIRMED ? "confirmed, because"
							     : "why";

	for (int i = 0; i < c->nexpl; i++)
		why_text(&rep->accts[c->expl[i]], lead, out);
}
