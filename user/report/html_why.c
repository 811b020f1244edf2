// SPDX-License-Identifier: MIT
/*
 * Why, in the HTML report: under each claim's verdict the accounts that
 * explain it (model/attrib.h), and a section with every pair of MPMs on
 * every basis, each cause a row with a bar as long as its share of the gap
 * and the unexplained rest a grey row of its own.
 */
#include <math.h>

#include "report/html_internal.h"

static const char *lead(enum verdict v)
{
	return v == VERDICT_REFUTED ? "refuted, because" : v == VERDICT_CONFIRMED ? "confirmed, because" : "why";
}

/* One account: its headline and its causes, largest first. */
static void account(struct sbuf *b, const struct attribution *at, const char *id, const char *lead_words, int max)
{
	char line[600];
	int shown = at->ncauses < max ? at->ncauses : max;

	report_why_headline(at, line, sizeof(line));
	sb_printf(b, "<div class=\"why\" data-basis=\"%s\"><b>%s</b> ", attr_basis_name(at->basis), lead_words);
	sb_esc(b, line);
	sb_printf(b, "<table class=\"why\"%s%s%s><tr><th>%s</th><th>share of the gap</th><th>cause</th></tr>\n",
		  id ? " id=\"" : "", id ? id : "", id ? "\"" : "", attr_unit(at->basis));
	for (int i = 0; i < shown; i++) {
		const struct attr_cause *c = &at->causes[i];
		double pct = 100 * c->gap / at->gap;

		sb_printf(b, "<tr data-cause=\"%s\"><td class=\"n\">%+.1f</td><td><span class=\"share\" style=\"width:%.0fpx\"></span> %.0f%%</td><td><b>",
			  c->key, c->gap, fmin(fabs(pct), 100) * 1.2, pct);
		sb_esc(b, c->key);
		sb_puts(b, "</b>: ");
		sb_esc(b, c->text);
		sb_puts(b, "</td></tr>\n");
	}
	sb_printf(b, "<tr data-cause=\"unexplained\" class=\"rest\"><td class=\"n\">%+.1f</td><td>%.0f%%</td><td><b>unexplained</b>: ",
		  at->unexplained, 100 * at->unexplained / at->gap);
	sb_esc(b, at->unexplained_text);
	sb_puts(b, "</td></tr></table>");
	if (at->note[0]) {
		sb_puts(b, "<div class=\"note\">");
		sb_esc(b, at->note);
		sb_puts(b, "</div>");
	}
	sb_puts(b, "</div>\n");
}

void html_why_claim(struct page *p, const struct claim_result *c)
{
	for (int i = 0; i < c->nexpl; i++)
		account(p->b, &p->rep->accts[c->expl[i]], NULL, lead(c->verdict), 3);
}

void html_why_section(struct page *p)
{
	const struct report *rep = p->rep;

	if (!rep->naccts)
		return;
	html_section(p, "why", "Why the MPMs differ",
		     "Each gap between two MPMs, on four bases, split into the costs the kernel measured, largest first; "
		     "what they do not cover is unexplained, never spread over them.");
	for (int i = 0; i < rep->naccts; i++) {
		char id[32], words[96];

		snprintf(id, sizeof(id), "why-%d", i);
		snprintf(words, sizeof(words), "%s vs %s, %s:", mpm_name(rep->accts[i].b), mpm_name(rep->accts[i].a),
			 attr_basis_name(rep->accts[i].basis));
		account(p->b, &rep->accts[i], html_eid(p, id), words, ATTR_MAX_CAUSES);
	}
}
