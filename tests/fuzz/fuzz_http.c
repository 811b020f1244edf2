// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the load generator's response reader (user/load/http.c).
 *
 * Input: byte 0 and 1 seed the split points, byte 2 holds flags (bit 0: the
 * peer closes after the last byte); the rest is what the server sent. Each run
 * checks two things:
 *
 * 1. Streaming equivalence: the first response fed whole and fed in arbitrary
 *    pieces (1 byte up to everything) gives the same outcome (rc, status, body
 *    length, keep-alive, failure class): a read() boundary must never change
 *    what the generator counts.
 * 2. A keep-alive connection: responses one after the other, the reader reset
 *    after each complete one that allows reuse, as the event loop does, with
 *    the invariants of a complete response (status 100-999, body <= bytes,
 *    bytes <= fed), "bytes after a response" always BAD, and lg_http_fail()
 *    always EOF or LENGTH.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/http.h"

struct outcome {
	enum lg_http_rc rc;
	unsigned status;
	uint64_t body, bytes;
	bool keep_alive;
	int fail;
};

static uint32_t rng;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* A piece length in 1..left: mostly small (1-8 bytes, where split bugs hide),
 * sometimes anything. */
static size_t piece(size_t left)
{
	uint32_t r = next();
	size_t n = (r & 3) ? 1 + (r >> 8) % 8 : 1 + (r >> 8) % left;

	return n > left ? left : n;
}

static void check_fail(const struct lg_http *h)
{
	enum lg_fail f = lg_http_fail(h);

	if (f != LG_FAIL_EOF && f != LG_FAIL_LENGTH)
		abort();
}

static void check_done(const struct lg_http *h, uint64_t fed)
{
	if (!h->done || !h->headers_done)
		abort();
	if (h->status < 100 || h->status > 999)
		abort();
	if (h->body > h->bytes || h->bytes > fed)
		abort();
}

/* Feed the whole buffer in pieces (whole when split is false), stopping at the
 * first non-MORE answer; then EOF if asked. */
static struct outcome run(const uint8_t *d, size_t len, bool split, bool eof)
{
	struct lg_http h;
	struct outcome o = { LG_HTTP_MORE, 0, 0, 0, false, -1 };
	size_t off = 0;

	lg_http_reset(&h);
	while (off < len && o.rc != LG_HTTP_BAD) {
		size_t n = split ? piece(len - off) : len - off;
		bool was_done = o.rc == LG_HTTP_DONE;

		/* Bytes in a later read after a complete response are trailing
		 * bytes too: the whole buffer says BAD, so must the pieces. */
		o.rc = lg_http_feed(&h, (const char *)d + off, n);
		if (was_done && (o.rc != LG_HTTP_BAD || !h.trailing))
			abort();
		off += n;
		if (h.bytes > off)
			abort();
	}
	if (o.rc == LG_HTTP_MORE && eof)
		o.rc = lg_http_eof(&h);
	if (o.rc == LG_HTTP_DONE) {
		check_done(&h, off);
		if (off != len)
			abort();
		/* nothing may follow a complete response on the same reader */
		if (lg_http_feed(&h, "X", 1) != LG_HTTP_BAD || !h.trailing)
			abort();
		check_fail(&h);
	} else if (o.rc == LG_HTTP_BAD) {
		o.fail = (int)lg_http_fail(&h);
		check_fail(&h);
	}
	o.status = h.status;
	o.body = h.body;
	o.bytes = h.bytes;
	o.keep_alive = h.keep_alive;
	return o;
}

/* A keep-alive connection: reset after each reusable response and go on. */
static void connection(const uint8_t *d, size_t len, bool eof)
{
	struct lg_http h;
	size_t off = 0, start = 0;

	lg_http_reset(&h);
	while (off < len) {
		size_t n = piece(len - off);
		enum lg_http_rc rc = lg_http_feed(&h, (const char *)d + off, n);

		if (h.bytes > off + n - start)
			abort();
		if (rc == LG_HTTP_DONE) {
			check_done(&h, off + n - start);
			if (!h.keep_alive)
				return; /* the generator closes: the rest is never read */
			lg_http_reset(&h);
			start = off + n;
		} else if (rc == LG_HTTP_BAD) {
			check_fail(&h);
			/* the generator fails the request and opens a new connection */
			lg_http_reset(&h);
			start = off + n;
		}
		off += n;
	}
	if (eof && off > start) {
		enum lg_http_rc rc = lg_http_eof(&h);

		if (rc == LG_HTTP_DONE) {
			check_done(&h, off - start);
			if (h.keep_alive)
				abort(); /* a close-delimited body never allows reuse */
		} else if (rc == LG_HTTP_BAD) {
			check_fail(&h);
		} else {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, split;
	bool eof;

	if (size < 4)
		return 0;
	rng = (uint32_t)data[0] << 8 | data[1] | 0x10000u;
	eof = data[2] & 1;
	data += 3;
	size -= 3;

	whole = run(data, size, false, eof);
	for (int i = 0; i < 3; i++) {
		split = run(data, size, true, eof);
		if (split.rc != whole.rc || split.status != whole.status || split.body != whole.body ||
		    split.bytes != whole.bytes || split.fail != whole.fail ||
		    (whole.rc == LG_HTTP_DONE && split.keep_alive != whole.keep_alive)) {
			fprintf(stderr, "fuzz_http: split changes the outcome: whole rc %d status %u body %llu "
				"bytes %llu ka %d fail %d; split rc %d status %u body %llu bytes %llu ka %d fail %d\n",
				whole.rc, whole.status, (unsigned long long)whole.body,
				(unsigned long long)whole.bytes, whole.keep_alive, whole.fail, split.rc,
				split.status, (unsigned long long)split.body, (unsigned long long)split.bytes,
				split.keep_alive, split.fail);
			abort();
		}
	}
	connection(data, size, eof);
	return 0;
}
