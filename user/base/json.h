/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer into a growing buffer: commas and escaping
 * are handled here so that renderers only say what they mean. */
#ifndef MPMSCOPE_BASE_JSON_H
#define MPMSCOPE_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"
#include "base/util.h"

struct json {
	struct sbuf b;
	int depth;
	bool need_comma[32];
	bool after_key;
};

void json_init(struct json *j);
void json_free(struct json *j);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v); /* NaN/inf become null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* key + value shorthands */
void json_kstr(struct json *j, const char *k, const char *s);
void json_ku64(struct json *j, const char *k, uint64_t v);
void json_ki64(struct json *j, const char *k, int64_t v);
void json_kdouble(struct json *j, const char *k, double v);
void json_kbool(struct json *j, const char *k, bool v);
/* The document, with a trailing newline, written atomically (temporary file,
 * then renamed); the writer is freed whatever happens. */
int json_write_file(struct json *j, const char *path, struct errbuf *e);

#endif
