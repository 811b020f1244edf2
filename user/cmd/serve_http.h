/* SPDX-License-Identifier: MIT */
/*
 * The exporter's HTTP side: one thread, poll(), non-blocking sockets, a
 * request head bounded to 4 KiB and 5 s, 1024 connections at most (a new
 * one takes the slot of the slowest), one response per connection
 * (Connection: close), GET and HEAD only. It knows nothing of what it serves: a handler
 * fills each response.
 */
#ifndef MPMSCOPE_CMD_SERVE_HTTP_H
#define MPMSCOPE_CMD_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/sbuf.h"
#include "base/util.h"

struct http_response {
	int status;              /* 200 unless the handler says otherwise */
	const char *reason;
	const char *ctype;       /* Content-Type */
	struct sbuf body;
};

/* Fill r for GET (or HEAD: the body is then not sent) of path, the target
 * without its query string. */
typedef void (*http_handler)(void *ctx, const char *path, struct http_response *r);
/* Called about every 250 ms: 0 keeps serving, anything else stops with that
 * value (and e set). */
typedef int (*http_tick)(void *ctx, struct errbuf *e);

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (every address): a listening socket;
 * shown gets the address bound ("127.0.0.1:9731"), loopback whether it is. */
int http_listen(const char *spec, int *fd, char *shown, size_t nshown, bool *loopback, struct errbuf *e);
/* What the HTTP side did, for the exporter's own metrics. */
struct http_stats {
	uint64_t accepted;       /* connections taken */
	uint64_t evicted;        /* slow ones closed to make room for a new one */
	uint64_t timed_out;      /* closed for want of a whole request in time */
	int open;                /* now */
};

/* Serve on lfd until SIGINT/SIGTERM (0) or tick says otherwise. */
int http_serve(int lfd, http_handler handler, http_tick tick, void *ctx, struct http_stats *stats, struct errbuf *e);

/* A request head is at most this long (its request line and headers). */
#define HTTP_HEAD_MAX 4096

/* What to answer to the bytes of a request head read so far, in (len of
 * them, in[len] writable, len < HTTP_HEAD_MAX): 0 not complete yet; 200
 * answer target (is_head: without the body); 400 malformed, 405 not GET or
 * HEAD, 431 too long. The one parser of the exporter's requests (fuzzed). */
int http_head(char *in, size_t len, char *target, size_t ntarget, bool *is_head);
/* The request line of a request head (for tests and fuzzing): 0 and the
 * method, target (query cut) and HEAD-ness; or the status to answer
 * (400 malformed, 405 not GET/HEAD). */
int http_request_line(char *head, size_t len, char *target, size_t ntarget, bool *is_head);

#endif
