// SPDX-License-Identifier: MIT
/* lg_http: the load generator's response reader, fed whole, split at every
 * byte boundary, byte by byte, and with every way a server can get it wrong. */
#include <string.h>

#include "load/http.h"
#include "unit.h"

struct outcome {
	enum lg_http_rc rc;     /* after feeding everything (and EOF if asked) */
	unsigned status;
	uint64_t body;
	bool keep_alive;
	enum lg_fail fail;      /* when BAD */
};

/* Feed s in pieces: split at `cut` (0: whole), or byte by byte when cut < 0;
 * then signal EOF if eof is set and the response is not done. */
static struct outcome run(const char *s, long cut, bool eof)
{
	struct lg_http h;
	struct outcome o = { LG_HTTP_MORE, 0, 0, false, LG_FAIL__MAX };
	size_t len = strlen(s);

	lg_http_reset(&h);
	if (cut < 0) {
		for (size_t i = 0; i < len && o.rc != LG_HTTP_BAD; i++)
			o.rc = lg_http_feed(&h, s + i, 1);
	} else if (cut > 0 && (size_t)cut < len) {
		o.rc = lg_http_feed(&h, s, (size_t)cut);
		if (o.rc != LG_HTTP_BAD)
			o.rc = lg_http_feed(&h, s + cut, len - (size_t)cut);
	} else {
		o.rc = lg_http_feed(&h, s, len);
	}
	if (o.rc == LG_HTTP_MORE && eof)
		o.rc = lg_http_eof(&h);
	o.status = h.status;
	o.body = h.body;
	o.keep_alive = h.keep_alive;
	if (o.rc == LG_HTTP_BAD)
		o.fail = lg_http_fail(&h);
	return o;
}

/* Every split point and byte by byte give the same outcome as the whole. */
static void check_splits(const char *name, const char *s, bool eof, struct outcome want)
{
	int bad = 0;

	for (long cut = -1; cut <= (long)strlen(s); cut++) {
		struct outcome o = run(s, cut, eof);

		if (o.rc != want.rc || o.status != want.status || o.body != want.body ||
		    (want.rc == LG_HTTP_DONE && o.keep_alive != want.keep_alive) ||
		    (want.rc == LG_HTTP_BAD && o.fail != want.fail)) {
			fprintf(stderr, "%s: cut %ld: rc %d status %u body %llu ka %d fail %d\n", name, cut,
				o.rc, o.status, (unsigned long long)o.body, o.keep_alive, o.fail);
			bad++;
		}
	}
	CHECK(bad == 0);
}

#define OK(st, b, ka) { LG_HTTP_DONE, st, b, ka, LG_FAIL__MAX }
#define BAD(st, b, f) { LG_HTTP_BAD, st, b, false, f }

/* Responses, each fed whole, split at every byte and byte by byte. */
static const struct split_case {
	const char *name, *text;
	bool eof;
	struct outcome want;
} cases[] = {
	{ "content-length keep-alive",
	  "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n",
	  false, OK(200, 13, true) },
	{ "content-length close",
	  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
	  false, OK(200, 5, false) },
	{ "http/1.0 keep-alive",
	  "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nhi",
	  false, OK(200, 2, true) },
	{ "http/1.0 default close", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", false, OK(200, 2, false) },
	{ "empty body", "HTTP/1.1 204 No Content\r\n\r\n", false, OK(204, 0, true) },
	{ "304", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", false, OK(304, 0, true) },
	{ "chunked",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n8\r\n, chunke\r\n2\r\nd\n\r\n0\r\n\r\n",
	  false, OK(200, 15, true) },
	{ "chunked with extension and trailer",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na;x=y\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n",
	  false, OK(200, 10, true) },
	{ "503 is still a complete response",
	  "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
	  false, OK(503, 4, true) },
	/* A body delimited by the close completes on EOF, never before. */
	{ "close-delimited", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", true, OK(200, 13, false) },
	/* Interim 1xx responses are skipped wherever the reads split them (found by
	 * tests/fuzz/fuzz_http: a 100 alone in a read() used to count as the final
	 * response, and with the final one in the same read() as trailing bytes). */
	{ "100 continue then 200",
	  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
	  false, OK(200, 2, true) },
	{ "103 early hints then 204",
	  "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
	  false, OK(204, 0, false) },
	{ "eof after an interim response", "HTTP/1.1 100 Continue\r\n\r\n", true, BAD(0, 0, LG_FAIL_EOF) },
	/* Server closes early. */
	{ "eof in the status line", "HTTP/1.1 200 O", true, BAD(0, 0, LG_FAIL_EOF) },
	{ "eof in the headers", "HTTP/1.1 200 OK\r\nContent-Len", true, BAD(0, 0, LG_FAIL_EOF) },
	{ "body short of content-length",
	  "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
	  true, BAD(200, 10, LG_FAIL_LENGTH) },
	{ "eof inside a chunk",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
	  true, BAD(200, 3, LG_FAIL_EOF) },
	/* A status below 100 is malformed, not a 2xx (found by the fuzzer). */
	{ "status 0", "HTTP/1.1 00 OK\r\nContent-Length: 1\r\n\r\nx", true, BAD(0, 0, LG_FAIL_LENGTH) },
	{ "status 99 close-delimited", "HTTP/1.1 99 Hm\r\n\r\nx", true, BAD(0, 0, LG_FAIL_LENGTH) },
	/* A body longer than Content-Length: trailing bytes, not ours. */
	{ "trailing bytes",
	  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabcdef",
	  false, BAD(200, 2, LG_FAIL_LENGTH) },
	/* Even a second well-formed response is trailing: we never pipeline. */
	{ "two responses",
	  "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
	  false, BAD(204, 0, LG_FAIL_LENGTH) },
};

int main(void)
{
	struct lg_http h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_splits(cases[i].name, cases[i].text, cases[i].eof, cases[i].want);
	CHECK(run("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", 0, false).rc ==
	      LG_HTTP_MORE);

	/* Incomplete without EOF: wait for more. */
	CHECK(run("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", 0, false).rc ==
	      LG_HTTP_MORE);

	/* Malformed. */
	CHECK(run("HELLO THERE\r\n\r\n", 0, false).rc == LG_HTTP_BAD);
	CHECK(run("HELLO THERE\r\n\r\n", 0, false).fail == LG_FAIL_LENGTH);
	CHECK(run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, false).rc ==
	      LG_HTTP_BAD);
	CHECK(run("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", 0, false).rc == LG_HTTP_BAD);
	CHECK(run("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", 0, false).rc ==
	      LG_HTTP_BAD);
	CHECK(run("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
		  false).rc == LG_HTTP_BAD);
	CHECK(run("HTTP/1.1 2000 OK\r\n\r\n", 0, false).rc == LG_HTTP_BAD);
	/* Garbage then EOF is malformed, not an early close. */
	CHECK(run("XTTP/1.1 200 OK\r\n", 0, true).fail == LG_FAIL_LENGTH);

	/* Reuse across responses on one connection: reset clears everything. */
	lg_http_reset(&h);
	CHECK(lg_http_feed(&h, "HTTP/1.1 500 Oops\r\nContent-Length: 1\r\n\r\nx", 41) == LG_HTTP_DONE);
	CHECK_EQ_U(h.status, 500);
	lg_http_reset(&h);
	CHECK(lg_http_feed(&h, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 38) == LG_HTTP_MORE);
	CHECK_EQ_U(h.status, 200);
	CHECK(lg_http_feed(&h, "ok", 2) == LG_HTTP_DONE);
	CHECK_EQ_U(h.body, 2);
	CHECK_EQ_U(h.bytes, 40);
	/* A zero-byte close before anything: an EOF, bytes still 0 (the caller's
	 * idle-close test). */
	lg_http_reset(&h);
	CHECK(lg_http_eof(&h) == LG_HTTP_BAD);
	CHECK_EQ_U(h.bytes, 0);
	CHECK(lg_http_fail(&h) == LG_FAIL_EOF);

	return unit_done("test_http");
}
