// SPDX-License-Identifier: MIT
/*
 * /metrics of `mpmscope serve`: the in-kernel counters of a traced Apache in
 * the Prometheus text exposition format 0.0.4. Every value is read from the
 * counters as they stand (since the probes were attached), so counters only
 * grow; gauges are the tasks alive. Labelled series whose value is still zero
 * are left out (a role the MPM does not have, an errno never seen): once a
 * series appears it stays, since the counters under it never decrease.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "prom.h"
#include "util.h"

void pbuf_put(struct pbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		pbuf_put(b, small, (size_t)n);
		return;
	}
	pbuf_put(b, "", 0);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->p = xrealloc(b->p, b->len + (size_t)n + 1);
		b->cap = b->len + (size_t)n + 1;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pbuf_free(struct pbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void prom_label_value(struct pbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			pbuf_put(b, "\\\\", 2);
		else if (*v == '"')
			pbuf_put(b, "\\\"", 2);
		else if (*v == '\n')
			pbuf_put(b, "\\n", 2);
		else
			pbuf_put(b, v, 1);
	}
}

void prom_seconds(struct pbuf *b, uint64_t ns)
{
	char frac[16];
	int n;

	if (ns % NSEC_PER_SEC == 0) {
		pbuf_printf(b, "%llu", (unsigned long long)(ns / NSEC_PER_SEC));
		return;
	}
	n = snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % NSEC_PER_SEC));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = 0;
	pbuf_printf(b, "%llu.%s", (unsigned long long)(ns / NSEC_PER_SEC), frac);
}

static void family(struct pbuf *b, const char *name, const char *type, const char *help)
{
	pbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(struct pbuf *b, const char *name, const char *labels, uint64_t v)
{
	pbuf_printf(b, "%s%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		    (unsigned long long)v);
}

static void sample_s(struct pbuf *b, const char *name, const char *labels, uint64_t ns)
{
	pbuf_printf(b, "%s%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
	prom_seconds(b, ns);
	pbuf_put(b, "\n", 1);
}

void prom_hist(struct pbuf *b, const char *name, const char *labels, const struct ms_hist *h)
{
	const char *sep = *labels ? "," : "";
	uint64_t cum = 0, count;

	for (int i = 0; i < MS_HIST_SLOTS; i++) {
		cum += h->slots[i];
		if (i < PROM_FIRST_SLOT)
			continue;
		pbuf_printf(b, "%s_bucket{%s%sle=\"", name, labels, sep);
		prom_seconds(b, 2ULL << i);
		pbuf_printf(b, "\"} %llu\n", (unsigned long long)cum);
	}
	/* The per-CPU parts are read one after the other, so count and slots
	 * may disagree by an event in flight: never let +Inf be below a bucket
	 * (both only grow, so the max of the two only grows too). */
	count = h->count > cum ? h->count : cum;
	pbuf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)count);
	pbuf_printf(b, "%s_sum%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
	prom_seconds(b, h->sum_ns);
	pbuf_put(b, "\n", 1);
	sample_u64(b, name[0] ? pbuf_tmp_name(name, "_count") : name, labels, count);
}
