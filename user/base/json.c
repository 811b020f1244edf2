// SPDX-License-Identifier: MIT
#include "base/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"


void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(struct json *j)
{
	sb_free(&j->b);
	memset(j, 0, sizeof(*j));
}

static void put(struct json *j, const char *s, size_t n)
{
	sb_put(&j->b, s, n);
}

static void puts_(struct json *j, const char *s)
{
	sb_puts(&j->b, s);
}

/* Separator before a value or key at the current depth. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		put(j, ",", 1);
	j->need_comma[j->depth] = true;
}

/* A JSON string: escapes where JSON needs them, and valid UTF-8 whatever
 * the bytes were (a comm or a log line is bytes): a byte that starts no
 * well-formed sequence becomes U+FFFD. */
static void quoted(struct json *j, const char *s)
{
	char esc[8];

	put(j, "\"", 1);
	while (*s) {
		unsigned char c = (unsigned char)*s;
		size_t n = utf8_len(s);

		switch (c) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				puts_(j, esc);
			} else if (!n) {
				puts_(j, "\\ufffd");
			} else {
				put(j, s, n);
			}
		}
		s += n ? n : 1;
	}
	put(j, "\"", 1);
}

static void open_(struct json *j, const char *c)
{
	sep(j);
	puts_(j, c);
	if (j->depth < (int)ARRAY_SIZE(j->need_comma) - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, const char *c)
{
	if (j->depth > 0)
		j->depth--;
	puts_(j, c);
}

void json_obj_begin(struct json *j) { open_(j, "{"); }
void json_obj_end(struct json *j) { close_(j, "}"); }
void json_arr_begin(struct json *j) { open_(j, "["); }
void json_arr_end(struct json *j) { close_(j, "]"); }

void json_key(struct json *j, const char *k)
{
	sep(j);
	quoted(j, k);
	put(j, ":", 1);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	quoted(j, s ? s : "");
}

void json_u64(struct json *j, uint64_t v)
{
	char b[32];

	sep(j);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void json_i64(struct json *j, int64_t v)
{
	char b[32];

	sep(j);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void json_double(struct json *j, double v)
{
	char b[FMT_REAL_MAX];

	sep(j);
	if (!isfinite(v)) {
		puts_(j, "null");
		return;
	}
	puts_(j, fmt_real(b, sizeof(b), v));
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	puts_(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	puts_(j, "null");
}

void json_kstr(struct json *j, const char *k, const char *s) { json_key(j, k); json_str(j, s); }
void json_ku64(struct json *j, const char *k, uint64_t v) { json_key(j, k); json_u64(j, v); }
void json_ki64(struct json *j, const char *k, int64_t v) { json_key(j, k); json_i64(j, v); }
void json_kdouble(struct json *j, const char *k, double v) { json_key(j, k); json_double(j, v); }
void json_kbool(struct json *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }

int json_write_file(struct json *j, const char *path, struct errbuf *e)
{
	int rc;

	/* a trailing newline makes the file friendlier to cat and diff */
	sb_putc(&j->b, '\n');
	rc = write_file_atomic(path, j->b.buf, j->b.len, e);
	json_free(j);
	return rc;
}
