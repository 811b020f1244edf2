/* SPDX-License-Identifier: MIT */
/*
 * Numbers with units, as people write and read them: parsed with one clear
 * error line each, formatted wrk style ("1.23ms", "45.6k", "12.3MB").
 */
#ifndef MPMSCOPE_BASE_UNITS_H
#define MPMSCOPE_BASE_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/* Parse a non-negative integer / a duration / a size. Return 0 on success,
 * -1 (with e set, naming `what`) on a bad value. */
int parse_u64(const char *s, uint64_t *out, const char *what, struct errbuf *e);
int parse_seconds(const char *s, double *out, const char *what, struct errbuf *e); /* "5", "1.5", "200ms", "2m" */
int parse_size(const char *s, uint64_t *out, const char *what, struct errbuf *e);  /* "512", "4k", "10M", "1G" */

/* Human units, wrk style: "1.23ms", "45.6k", "12.3MB". Return buf. */
char *fmt_duration_us(char *buf, size_t n, double us);
char *fmt_count(char *buf, size_t n, double v);
char *fmt_bytes(char *buf, size_t n, double bytes);

/* A real for machines (JSON, CSV): the shortest decimal that reads back as
 * the same double (the first of %.15g, %.16g, %.17g that strtod returns
 * equal), never in exponent form (1e-05 is written 0.00001, 4.3e+18
 * 4300000000000000000), integers without a fraction. NaN and infinities,
 * which JSON lacks, are the caller's to handle. Returns buf; FMT_REAL_MAX
 * bytes hold any double (the positional form of 5e-324 has 750 digits). */
#define FMT_REAL_MAX 800
char *fmt_real(char *buf, size_t n, double v);

/* One step of a ladder of units: values under `below` (the last step: any)
 * are shown divided by div, with suffix and that many decimals. */
struct unit_step {
	double below, div;
	const char *suffix;
	int decimals;
};
/* The step of the ladder that v (by its magnitude) falls in. */
const struct unit_step *unit_step(double v, const struct unit_step *ladder, size_t n);

#endif
