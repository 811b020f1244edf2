// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the exporter's request parser (http_head in
 * user/cmd/serve_http.c): what `mpmscope serve` makes of the bytes anyone
 * who reaches its port sends.
 *
 * Input: byte 0 seeds the read sizes; the rest is what a client sent. Each
 * run checks:
 * 1. Streaming equivalence: fed in pieces as read() returns them (1 byte
 *    up to all), the first verdict is the verdict on everything read until
 *    then, and it is the verdict on the whole input when the whole input
 *    holds a complete head: a read boundary never changes the answer.
 * 2. The verdict is one of 0 (not complete), 200, 400, 405 and 431; 431
 *    only with HTTP_HEAD_MAX - 1 bytes and no end of head; for 200 the
 *    target is a NUL-terminated string, shorter than its buffer, with no
 *    query string left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/serve_http.h"

static int verdict_of(const uint8_t *data, size_t len, char *target, size_t nt, bool *head)
{
	char in[HTTP_HEAD_MAX];

	if (len > HTTP_HEAD_MAX - 1)
		len = HTTP_HEAD_MAX - 1;
	memcpy(in, data, len);
	in[len] = 0;
	return http_head(in, len, target, nt, head);
}

static void check_verdict(int v, size_t len, const char *target, size_t nt)
{
	if (v != 0 && v != 200 && v != 400 && v != 405 && v != 431)
		abort();
	if (v == 431 && len < HTTP_HEAD_MAX - 1)
		abort();
	if (v == 200 && (strnlen(target, nt) >= nt || strchr(target, '?')))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[HTTP_HEAD_MAX], target[1024], whole_target[1024];
	size_t have = 0, seed;
	bool head = false, whole_head = false;
	int v = 0, whole;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	size--;
	whole = verdict_of(data, size, whole_target, sizeof(whole_target), &whole_head);
	check_verdict(whole, size < HTTP_HEAD_MAX - 1 ? size : HTTP_HEAD_MAX - 1, whole_target, sizeof(whole_target));
	/* as the exporter reads: pieces until a verdict, or the input ends */
	while (have < size && have < HTTP_HEAD_MAX - 1 && !v) {
		size_t piece = 1 + (seed * 31 + have) % 97;

		if (piece > size - have)
			piece = size - have;
		if (piece > HTTP_HEAD_MAX - 1 - have)
			piece = HTTP_HEAD_MAX - 1 - have;
		memcpy(in + have, data + have, piece);
		have += piece;
		in[have] = 0;
		v = http_head(in, have, target, sizeof(target), &head);
		check_verdict(v, have, target, sizeof(target));
	}
	/* a verdict met on the way is the verdict on those bytes alone... */
	if (v) {
		char t2[1024];
		bool h2 = false;

		if (verdict_of(data, have, t2, sizeof(t2), &h2) != v || (v == 200 && (strcmp(t2, target) || h2 != head)))
			abort();
	}
	/* ...and the whole input's, once a head is complete in it */
	if (whole && whole != 431 && (v != whole || (v == 200 && (strcmp(target, whole_target) || head != whole_head))))
		abort();
	if (!whole && v)
		abort();
	return 0;
}
