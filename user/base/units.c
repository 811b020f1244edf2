// SPDX-License-Identifier: MIT
/* Numbers with units, read from the command line and files, and written for people. */
#include "base/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Starts like a number we accept: no sign, no blank (strto* would skip them). */
static bool plain_number(const char *s)
{
	return s && *s && *s != '-' && *s != '+' && !isspace((unsigned char)*s);
}

struct unit {
	const char *suffix;
	double mul;
};

static const struct unit *unit_of(const char *suffix, const struct unit *u, size_t n, bool icase)
{
	for (size_t i = 0; i < n; i++)
		if (icase ? !strcasecmp(suffix, u[i].suffix) : !strcmp(suffix, u[i].suffix))
			return &u[i];
	return NULL;
}

int parse_u64(const char *s, uint64_t *out, const char *what, struct errbuf *e)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!plain_number(s) || (v = strtoull(s, &end, 10), errno || *end)) {
		err_set(e, "%s: '%s' is not a non-negative integer", what, s ? s : "");
		return -1;
	}
	*out = v;
	return 0;
}

int parse_seconds(const char *s, double *out, const char *what, struct errbuf *e)
{
	static const struct unit units[] = { { "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "us", 1e-6 }, { "m", 60 },
					     { "h", 3600 } };
	const struct unit *u = NULL;
	char *end;
	double v = 0;

	errno = 0;
	if (plain_number(s)) {
		v = strtod(s, &end);
		if (!errno && end != s && isfinite(v))
			u = unit_of(end, units, ARRAY_SIZE(units), false);
	}
	if (!u) {
		err_set(e, "%s: '%s' is not a duration (e.g. 5, 1.5s, 200ms, 2m)", what, s ? s : "");
		return -1;
	}
	*out = v * u->mul;
	return 0;
}

int parse_size(const char *s, uint64_t *out, const char *what, struct errbuf *e)
{
	static const struct unit units[] = { { "", 1 }, { "b", 1 }, { "k", 1 << 10 }, { "kb", 1 << 10 },
					     { "m", 1 << 20 }, { "mb", 1 << 20 }, { "g", 1 << 30 }, { "gb", 1 << 30 } };
	const struct unit *u = NULL;
	unsigned long long v = 0;
	char *end;

	errno = 0;
	if (plain_number(s)) {
		v = strtoull(s, &end, 10);
		if (!errno && end != s)
			u = unit_of(end, units, ARRAY_SIZE(units), true);
	}
	if (!u || (v && (uint64_t)u->mul > UINT64_MAX / v)) {
		err_set(e, "%s: '%s' is not a size (e.g. 512, 4k, 10M)", what, s ? s : "");
		return -1;
	}
	*out = v * (uint64_t)u->mul;
	return 0;
}

const struct unit_step *unit_step(double v, const struct unit_step *ladder, size_t n)
{
	size_t i = 0;

	while (i + 1 < n && !(fabs(v) < ladder[i].below))
		i++;
	return &ladder[i];
}

static char *fmt_ladder(char *buf, size_t n, double v, const struct unit_step *ladder, size_t steps)
{
	const struct unit_step *s = unit_step(v, ladder, steps);

	snprintf(buf, n, "%.*f%s", s->decimals, v / s->div, s->suffix);
	return buf;
}

char *fmt_duration_us(char *buf, size_t n, double us)
{
	static const struct unit_step ladder[] = { { 1000, 1, "us", 0 }, { 1e6, 1e3, "ms", 2 }, { 0, 1e6, "s", 2 } };

	return fmt_ladder(buf, n, us, ladder, ARRAY_SIZE(ladder));
}

char *fmt_count(char *buf, size_t n, double v)
{
	static const struct unit_step ladder[] = { { 1e3, 1, "", 0 }, { 1e6, 1e3, "k", 1 }, { 0, 1e6, "M", 2 } };

	return fmt_ladder(buf, n, v, ladder, ARRAY_SIZE(ladder));
}

char *fmt_bytes(char *buf, size_t n, double b)
{
	static const struct unit_step ladder[] = { { 1024, 1, "B", 0 }, { 1 << 20, 1 << 10, "KB", 1 },
						   { 1 << 30, 1 << 20, "MB", 1 }, { 0, 1 << 30, "GB", 2 } };

	return fmt_ladder(buf, n, b, ladder, ARRAY_SIZE(ladder));
}

/* The digits of %.{p}g at the shortest precision that round-trips. */
static int shortest_precision(double v)
{
	char b[40];

	for (int p = 15; p < 17; p++) {
		snprintf(b, sizeof(b), "%.*g", p, v);
		if (strtod(b, NULL) == v)
			return p;
	}
	return 17;
}

char *fmt_real(char *buf, size_t n, double v)
{
	int p = shortest_precision(v);
	int exp10, decimals;
	char *dot, *end;

	snprintf(buf, n, "%.*g", p, v);
	if (!strpbrk(buf, "eE"))
		return buf;
	/* the same significant digits, positional: p digits from 10^exp10 down */
	exp10 = v == 0 ? 0 : (int)floor(log10(fabs(v)));
	decimals = p - 1 - exp10;
	for (;; decimals++) {
		snprintf(buf, n, "%.*f", decimals < 0 ? 0 : decimals, v);
		if (strtod(buf, NULL) == v || decimals > 700)
			break;
	}
	dot = strchr(buf, '.');
	if (dot) { /* %f pads with zeros that say nothing */
		end = buf + strlen(buf);
		while (end > dot + 1 && end[-1] == '0')
			*--end = 0;
		if (end == dot + 1)
			*dot = 0;
	}
	return buf;
}
