// SPDX-License-Identifier: MIT
#include "cmd/serve_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/units.h"

/* Bounds that let the exporter stay responsive however many clients are
 * slow or idle (slowloris): at most SERVE_MAX_CLIENTS connections of at
 * most ~4.5 KiB each; the head must come within SERVE_HEAD_TIMEOUT_NS;
 * when all the slots are taken, a new connection takes the one whose head
 * has been coming the longest, so a scrape (a few hundred bytes, at once)
 * always gets in. */
#define SERVE_MAX_CLIENTS 1024
#define SERVE_HEAD_TIMEOUT_NS (5 * NSEC_PER_SEC)
#define SERVE_CLIENT_TIMEOUT_NS (10 * NSEC_PER_SEC)
#define SERVE_DRAIN_NS (2 * NSEC_PER_SEC) /* after the response, for the client's FIN */
#define SERVE_ACCEPTS_PER_ROUND 64      /* the clients already in are served in between */

struct client {
	int fd;
	uint64_t started;        /* accepted */
	uint64_t deadline;
	char in[HTTP_HEAD_MAX];
	size_t inlen;
	struct sbuf out;         /* the whole response, once the request is read */
	size_t outoff;
	enum { CL_READ, CL_WRITE, CL_DRAIN } state;
};

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

int http_listen(const char *spec, int *fdout, char *shown, size_t nshown, bool *loopback, struct errbuf *e)
{
	char host[256], port[16], hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *colon, *p;
	uint64_t pnum;
	size_t hl;
	int fd, one = 1, rc;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':') {
			err_set(e, "--listen: '%s' is not [ADDR]:PORT", spec);
			return -1;
		}
		hl = (size_t)(close - spec - 1);
		p = spec + 1;
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon) {
			err_set(e, "--listen: '%s' is not ADDR:PORT (an IPv6 address goes in brackets: [::1]:9731)", spec);
			return -1;
		}
		hl = (size_t)(colon - spec);
		p = spec;
	}
	if (hl >= sizeof(host) || parse_u64(colon + 1, &pnum, "--listen port", e))
		return -1;
	if (pnum > 65535) {
		err_set(e, "--listen: port %llu is out of range (0-65535)", (unsigned long long)pnum);
		return -1;
	}
	memcpy(host, p, hl);
	host[hl] = 0;
	snprintf(port, sizeof(port), "%llu", (unsigned long long)pnum);
	rc = getaddrinfo(hl ? host : NULL, port, &hints, &res);
	if (rc) {
		err_set(e, "--listen: cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(e, "--listen %s: socket: %s", spec, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
		err_set(e, "--listen %s: %s", spec, strerror(errno));
		freeaddrinfo(res);
		close(fd);
		return -1;
	}
	freeaddrinfo(res);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*loopback = is_loopback((struct sockaddr *)&ss);
	if (getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof(hbuf), sbuf, sizeof(sbuf), NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(shown, nshown, "%s", spec);
	else if (ss.ss_family == AF_INET6)
		snprintf(shown, nshown, "[%s]:%s", hbuf, sbuf);
	else
		snprintf(shown, nshown, "%s:%s", hbuf, sbuf);
	*fdout = fd;
	return 0;
}

static void respond(struct client *cl, int status, const char *reason, const char *ctype, const char *extra,
		    const char *body, size_t blen, bool head)
{
	sb_printf(&cl->out,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
		    "Cache-Control: no-store\r\nServer: mpmscope/%s\r\n%s\r\n",
		    status, reason, ctype, blen, MPMSCOPE_VERSION, extra ? extra : "");
	if (!head)
		sb_put(&cl->out, body, blen);
	cl->state = CL_WRITE;
}

static void error_page(struct client *cl, int status, const char *reason, const char *extra, bool head)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);

	respond(cl, status, reason, "text/plain; charset=utf-8", extra, body, (size_t)n, head);
}

int http_request_line(char *head, size_t len, char *target, size_t ntarget, bool *is_head)
{
	char method[16], tgt[1024], version[16];
	char *eol = memchr(head, '\n', len), *q;
	size_t n = eol ? (size_t)(eol - head) : len;

	if (n && head[n - 1] == '\r')
		n--;
	head[n] = 0;
	if (sscanf(head, "%15s %1023s %15s", method, tgt, version) != 3 || strncmp(version, "HTTP/1.", 7))
		return 400;
	*is_head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !*is_head)
		return 405;
	q = strchr(tgt, '?');
	if (q)
		*q = 0;
	snprintf(target, ntarget, "%s", tgt);
	return 0;
}

struct server {
	http_handler handler;
	void *ctx;
	struct http_stats *stats;
};

int http_head(char *in, size_t len, char *target, size_t ntarget, bool *is_head)
{
	int bad;

	if (!memmem(in, len, "\r\n\r\n", 4) && !memmem(in, len, "\n\n", 2))
		return len >= HTTP_HEAD_MAX - 1 ? 431 : 0;
	bad = http_request_line(in, len, target, ntarget, is_head);
	return bad ? bad : 200;
}

/* The head in cl->in said what to answer (http_head's verdict). */
static void handle(struct server *sv, struct client *cl, int verdict, const char *target, bool head)
{
	struct http_response r = { .status = 200, .reason = "OK" };

	if (verdict == 431) {
		error_page(cl, 431, "Request Header Fields Too Large", NULL, false);
		return;
	}
	if (verdict == 405) {
		error_page(cl, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", false);
		return;
	}
	if (verdict != 200) {
		error_page(cl, 400, "Bad Request", NULL, false);
		return;
	}
	sv->handler(sv->ctx, target, &r);
	if (r.status == 404)
		error_page(cl, 404, "Not Found", NULL, head);
	else
		respond(cl, r.status, r.reason, r.ctype, NULL, r.body.buf ? r.body.buf : "", r.body.len, head);
	sb_free(&r.body);
}

static void client_close(struct client **cls, int *n, int i)
{
	close(cls[i]->fd);
	sb_free(&cls[i]->out);
	free(cls[i]);
	cls[i] = cls[--*n];
}

/* Read what is there; once the head is complete (or too big), answer. */
static bool client_read(struct server *sv, struct client *cl)
{
	for (;;) {
		char target[1024];
		bool head = false;
		int verdict;
		ssize_t r = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - 1 - cl->inlen);

		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		if (r == 0)
			return false; /* closed before a full request */
		cl->inlen += (size_t)r;
		cl->in[cl->inlen] = 0;
		if ((verdict = http_head(cl->in, cl->inlen, target, sizeof(target), &head))) {
			handle(sv, cl, verdict, target, head);
			cl->deadline = cl->started + SERVE_CLIENT_TIMEOUT_NS;
			return true;
		}
	}
}

/* Written: send our FIN, then read what the client still sends until its
 * own FIN (a request we did not read in full, e.g. after a 431), so that
 * closing does not reset the connection before it read the response. */
static bool client_write(struct client *cl, uint64_t now)
{
	while (cl->outoff < cl->out.len) {
		ssize_t w = send(cl->fd, cl->out.buf + cl->outoff, cl->out.len - cl->outoff, MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN || errno == EINTR;
		cl->outoff += (size_t)w;
	}
	shutdown(cl->fd, SHUT_WR);
	cl->state = CL_DRAIN;
	if (cl->deadline > now + SERVE_DRAIN_NS)
		cl->deadline = now + SERVE_DRAIN_NS;
	return true;
}

/* false: the client's FIN (or an error): close it. At most 64 KiB a round,
 * so that a client that keeps sending cannot hold the loop. */
static bool client_drain(struct client *cl)
{
	char sink[4096];

	for (int i = 0; i < 16; i++) {
		ssize_t r = read(cl->fd, sink, sizeof(sink));

		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		if (r == 0)
			return false;
	}
	return true;
}

/* One round of the clients that poll() found ready (walked backwards: the
 * indexes of pfd match cls until one is closed). */
static void serve_clients(struct server *sv, struct client **cls, int *ncl, const struct pollfd *pfd, uint64_t now)
{
	for (int i = *ncl - 1; i >= 0; i--) {
		struct client *cl = cls[i];
		short re = pfd[i + 1].revents;
		bool keep = true;

		if (re & (POLLIN | POLLHUP | POLLERR)) {
			if (cl->state == CL_READ)
				keep = client_read(sv, cl);
			else if (cl->state == CL_DRAIN)
				keep = client_drain(cl);
			else if (re & (POLLHUP | POLLERR))
				keep = false;
		}
		/* a response just made is sent at once, the rest when writable */
		if (keep && cl->state == CL_WRITE && (re & POLLOUT || cl->outoff == 0))
			keep = client_write(cl, now);
		if (keep && now > cl->deadline) {
			keep = false;
			sv->stats->timed_out++;
		}
		if (!keep)
			client_close(cls, ncl, i);
	}
}

/* All the slots are taken: the client whose head has been coming the
 * longest makes room (-1 if every one is being answered). */
static int oldest_reading(struct client **cls, int ncl)
{
	int best = -1;

	for (int i = 0; i < ncl; i++)
		if (cls[i]->state == CL_READ && (best < 0 || cls[i]->started < cls[best]->started))
			best = i;
	return best;
}

static void accept_clients(struct server *sv, int lfd, struct client **cls, int *ncl, uint64_t now)
{
	for (int n = 0; n < SERVE_ACCEPTS_PER_ROUND; n++) {
		struct client *cl;
		int fd;

		if (*ncl == SERVE_MAX_CLIENTS) {
			int victim = oldest_reading(cls, *ncl);

			if (victim < 0)
				return;
			client_close(cls, ncl, victim);
			sv->stats->evicted++;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		cl = xcalloc(1, sizeof(*cl));
		cl->fd = fd;
		cl->started = now;
		cl->deadline = now + SERVE_HEAD_TIMEOUT_NS;
		cls[(*ncl)++] = cl;
		sv->stats->accepted++;
	}
}

int http_serve(int lfd, http_handler handler, http_tick tick, void *ctx, struct http_stats *stats, struct errbuf *e)
{
	struct server sv = { .handler = handler, .ctx = ctx, .stats = stats };
	struct client **cls = xcalloc(SERVE_MAX_CLIENTS, sizeof(*cls));
	struct pollfd *pfd = xcalloc(SERVE_MAX_CLIENTS + 1, sizeof(*pfd));
	int ncl = 0, rc = 0;

	while (!sig_interrupted) {
		uint64_t now;
		int np = 0;

		stats->open = ncl;
		if ((rc = tick(ctx, e)))
			break;
		pfd[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < ncl; i++)
			pfd[np++] = (struct pollfd){ .fd = cls[i]->fd, .events = cls[i]->state == CL_WRITE ? POLLOUT : POLLIN };
		if (poll(pfd, (nfds_t)np, 250) < 0) {
			if (errno == EINTR)
				continue;
			err_set(e, "serve: poll: %s", strerror(errno));
			rc = 2;
			break;
		}
		now = now_ns();
		serve_clients(&sv, cls, &ncl, pfd, now);
		if (pfd[0].revents & POLLIN)
			accept_clients(&sv, lfd, cls, &ncl, now);
	}
	while (ncl > 0)
		client_close(cls, &ncl, ncl - 1);
	free(cls);
	free(pfd);
	return rc;
}
