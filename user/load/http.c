// SPDX-License-Identifier: MIT
#include "load/http.h"

#include <stddef.h>
#include <string.h>

#define H_OF(parser) ((struct lg_http *)((char *)(parser) - offsetof(struct lg_http, p)))

static int on_headers_complete(http_parser *p)
{
	struct lg_http *h = H_OF(p);

	/* http_parser takes any 1-3 digits ("HTTP/1.1 0 OK"): a status below 100
	 * is malformed, not a success (found by tests/fuzz/fuzz_http). */
	if (p->status_code < 100)
		return -1;
	h->status = (uint16_t)p->status_code;
	h->headers_done = true;
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	H_OF(p)->body += len;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct lg_http *h = H_OF(p);

	/* An interim response (100 Continue, 102, 103 Early Hints) precedes the
	 * final one (RFC 7231 6.2): skip it whatever the read() boundaries, and
	 * go on parsing. 101 Switching Protocols ends HTTP on this connection. */
	if (p->status_code >= 100 && p->status_code < 200 && p->status_code != 101) {
		h->status = 0;
		h->headers_done = false;
		h->body = 0;
		return 0;
	}
	h->done = true;
	h->keep_alive = http_should_keep_alive(p) != 0;
	/* Stop right after this response: anything behind it is not ours. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void lg_http_reset(struct lg_http *h)
{
	memset(h, 0, sizeof(*h));
	http_parser_init(&h->p, HTTP_RESPONSE);
}

enum lg_http_rc lg_http_feed(struct lg_http *h, const char *buf, size_t len)
{
	size_t n;

	if (h->done)
		return len ? (h->trailing = true, LG_HTTP_BAD) : LG_HTTP_DONE;
	n = http_parser_execute(&h->p, &settings, buf, len);
	h->bytes += n;
	if (h->done) {
		if (n < len) {
			h->trailing = true;
			return LG_HTTP_BAD;
		}
		return LG_HTTP_DONE;
	}
	if (HTTP_PARSER_ERRNO(&h->p) != HPE_OK || n != len)
		return LG_HTTP_BAD;
	return LG_HTTP_MORE;
}

enum lg_http_rc lg_http_eof(struct lg_http *h)
{
	if (h->done)
		return LG_HTTP_DONE;
	/* A zero-length execute tells the parser the stream ended: that completes
	 * a body delimited by the close, and is an error anywhere else. */
	if (h->bytes && HTTP_PARSER_ERRNO(&h->p) == HPE_OK)
		http_parser_execute(&h->p, &settings, NULL, 0);
	if (h->done) {
		/* The server closed: whatever the headers said, no reuse. */
		h->keep_alive = false;
		return LG_HTTP_DONE;
	}
	h->eof = true;
	return LG_HTTP_BAD;
}

enum lg_fail lg_http_fail(const struct lg_http *h)
{
	if (h->eof && HTTP_PARSER_ERRNO(&h->p) != HPE_OK &&
	    HTTP_PARSER_ERRNO(&h->p) != HPE_INVALID_EOF_STATE)
		return LG_FAIL_LENGTH; /* malformed before the close */
	if (h->eof && !h->trailing) {
		if (h->headers_done && (h->p.flags & F_CONTENTLENGTH) && !(h->p.flags & F_CHUNKED))
			return LG_FAIL_LENGTH;
		return LG_FAIL_EOF;
	}
	return LG_FAIL_LENGTH;
}
