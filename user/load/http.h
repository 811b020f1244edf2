/* SPDX-License-Identifier: MIT */
/*
 * The load generator's response reader: joyent http_parser fed with whatever
 * each read() returned, one response at a time (no pipelining, so bytes after
 * a complete response are an error). Kept apart from the event loop so that
 * tests can feed it byte by byte.
 */
#ifndef MPMSCOPE_LOAD_HTTP_H
#define MPMSCOPE_LOAD_HTTP_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load/loadgen.h"

enum lg_http_rc {
	LG_HTTP_MORE,   /* response incomplete: read more */
	LG_HTTP_DONE,   /* one complete response (status, keep_alive, body valid) */
	LG_HTTP_BAD,    /* malformed, or bytes after the response: see lg_http_fail() */
};

struct lg_http {
	http_parser p;
	uint64_t bytes;         /* response bytes fed so far (headers + body) */
	uint64_t body;          /* body bytes (de-chunked) */
	uint16_t status;
	bool headers_done;
	bool done;
	bool keep_alive;        /* the connection may carry another request (valid when done) */
	bool trailing;          /* bytes followed the complete response */
	bool eof;               /* lg_http_eof() was called and the message was not complete */
};

/* Ready the reader for a new response on a connection. */
void lg_http_reset(struct lg_http *h);
/* Feed bytes; returns MORE, DONE or BAD. After DONE or BAD, call lg_http_reset
 * before feeding the next response. */
enum lg_http_rc lg_http_feed(struct lg_http *h, const char *buf, size_t len);
/* The peer closed: DONE when that ended a close-delimited body, else BAD. */
enum lg_http_rc lg_http_eof(struct lg_http *h);
/* Why a response is BAD: LG_FAIL_EOF when the peer closed before the headers
 * were complete or inside a chunked body; LG_FAIL_LENGTH when the body fell
 * short of its Content-Length, or on malformed/trailing bytes. */
enum lg_fail lg_http_fail(const struct lg_http *h);

#endif
