// SPDX-License-Identifier: MIT
/*
 * clients: HTTP/1.1 clients on 127.0.0.1 that keep their own log of what
 * became of each connection, for the tests that check what mpmscope says
 * of a server's failures against what its clients saw. One thread per
 * connection, blocking I/O with timeouts.
 *
 *   clients --port P --mode MODE [--n N] [--path /x] [--timeout-ms T]
 *           [--hold-ms H] [--delay-ms D] [--spread-ms S]
 *
 * Modes:
 *   burst  N connections at once, each one request ("Connection: close"),
 *          waiting up to T ms for the connection and T ms for the response
 *   hold   N keep-alive connections, one request each, then idle for H ms
 *   race   N keep-alive connections: one request, then the i-th waits
 *          D + i * S / N ms and sends a second one (some cross the server's
 *          KeepAliveTimeout close)
 *   stall  N connections that send half a request line ("GET /metr") and
 *          hold it for H ms (slowloris); the outcome says whether the
 *          server closed it first (eof, reset) or not (ok)
 *
 * Each connection prints one line when it ends, on stdout:
 *   PORT OUTCOME MS
 * PORT is the client's local port (known from connect() on, even when the
 * handshake never completes), MS the time from connect() to the outcome,
 * OUTCOME ok, connect (no handshake within T), timeout (connected, no
 * complete response within T), reset, eof (closed before a complete
 * response) or status:NNN (a complete response with status >= 400). In race
 * mode the outcome is the second request's. Exit status 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

#define MAX_CONNS 2048

static struct {
	uint16_t port;
	const char *path, *mode;
	int n, timeout_ms, hold_ms, delay_ms, spread_ms;
} opt = { .path = "/test.html", .mode = "burst", .n = 1, .timeout_ms = 2000 };

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static double ms_since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e6;
}

static void report(uint16_t port, const char *outcome, uint64_t t0)
{
	pthread_mutex_lock(&out_lock);
	printf("%u %s %.0f\n", port, outcome, ms_since(t0));
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* Wait until fd is ready for events, up to the deadline: 1 ready, 0 not. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_ns();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (now >= deadline)
			return 0;
		r = poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

/* A connection to the server: its fd, the local port; -1 when the
 * handshake did not complete in time (outcome already named in *why). */
static int dial(uint16_t *lport, const char **why)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(opt.port) };
	struct sockaddr_in l;
	socklen_t ll = sizeof(l);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t el = sizeof(err);

	*lport = 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0) {
		*why = "connect";
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		*why = errno == ECONNRESET || errno == ECONNREFUSED ? "reset" : "connect";
		close(fd);
		return -1;
	}
	if (!getsockname(fd, (struct sockaddr *)&l, &ll))
		*lport = ntohs(l.sin_port);
	if (!wait_fd(fd, POLLOUT, now_ns() + (uint64_t)opt.timeout_ms * 1000000) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		*why = err == ECONNRESET || err == ECONNREFUSED ? "reset" : "connect";
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Send one request and read its response: "ok", "status:NNN", "timeout",
 * "reset" or "eof". keepalive: the response has a Content-Length and the
 * connection stays open. */
static const char *exchange(int fd, bool keepalive, char *status_buf, size_t sn)
{
	char req[512], buf[65536];
	size_t have = 0, want = 0;
	int rn = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: %s\r\n\r\n", opt.path,
			  keepalive ? "keep-alive" : "close");
	uint64_t deadline = now_ns() + (uint64_t)opt.timeout_ms * 1000000;
	char *body = NULL;
	unsigned status = 0;

	if (send(fd, req, (size_t)rn, MSG_NOSIGNAL) != rn)
		return errno == ECONNRESET ? "reset" : "eof";
	for (;;) {
		ssize_t r;

		if (!wait_fd(fd, POLLIN, deadline))
			return "timeout";
		r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (r < 0)
			return errno == ECONNRESET ? "reset" : "eof";
		if (r == 0) {
			/* a close-delimited body ends here */
			if (body && !keepalive)
				break;
			return "eof";
		}
		have += (size_t)r;
		buf[have] = 0;
		if (!body && (body = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");

			body += 4;
			sscanf(buf, "HTTP/1.%*d %u", &status);
			want = cl ? strtoul(cl + 17, NULL, 10) : 0;
			if (keepalive && !cl)
				return "eof"; /* the tests' pages have a length */
		}
		if (body && keepalive && have - (size_t)(body - buf) >= want)
			break;
		if (have == sizeof(buf) - 1)
			have = (size_t)(body ? body - buf : 0); /* keep the headers, drop the body read */
	}
	if (status >= 400) {
		snprintf(status_buf, sn, "status:%u", status);
		return status_buf;
	}
	return status ? "ok" : "eof";
}

static void *one(void *arg)
{
	long i = (long)arg;
	uint64_t t0 = now_ns();
	const char *why = "connect";
	char sbuf[24];
	uint16_t lport;
	int fd = dial(&lport, &why);

	if (fd < 0) {
		report(lport, why, t0);
		return NULL;
	}
	if (!strcmp(opt.mode, "burst")) {
		report(lport, exchange(fd, false, sbuf, sizeof(sbuf)), t0);
	} else if (!strcmp(opt.mode, "hold")) {
		const char *o = exchange(fd, true, sbuf, sizeof(sbuf));

		if (!strcmp(o, "ok"))
			sleep_ms(opt.hold_ms);
		report(lport, o, t0);
	} else if (!strcmp(opt.mode, "stall")) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char b[64];
		const char *o = "ok";

		if (send(fd, "GET /metr", 9, MSG_NOSIGNAL) != 9)
			o = "reset";
		else if (poll(&p, 1, opt.hold_ms) > 0)
			o = recv(fd, b, sizeof(b), 0) < 0 ? "reset" : "eof";
		report(lport, o, t0);
	} else { /* race */
		const char *o = exchange(fd, true, sbuf, sizeof(sbuf));

		if (!strcmp(o, "ok")) {
			sleep_ms((int)(opt.delay_ms + (long)opt.spread_ms * i / opt.n));
			o = exchange(fd, true, sbuf, sizeof(sbuf));
		}
		report(lport, o, t0);
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", 1, 0, 'p' },	   { "mode", 1, 0, 'm' },     { "n", 1, 0, 'n' },	  { "path", 1, 0, 'P' },
		{ "timeout-ms", 1, 0, 't' }, { "hold-ms", 1, 0, 'H' }, { "delay-ms", 1, 0, 'd' }, { "spread-ms", 1, 0, 's' },
		{ 0 },
	};
	static pthread_t th[MAX_CONNS];
	pthread_attr_t attr;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': opt.port = (uint16_t)atoi(optarg); break;
		case 'm': opt.mode = optarg; break;
		case 'n': opt.n = atoi(optarg); break;
		case 'P': opt.path = optarg; break;
		case 't': opt.timeout_ms = atoi(optarg); break;
		case 'H': opt.hold_ms = atoi(optarg); break;
		case 'd': opt.delay_ms = atoi(optarg); break;
		case 's': opt.spread_ms = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!opt.port || opt.n < 1 || opt.n > MAX_CONNS ||
	    (strcmp(opt.mode, "burst") && strcmp(opt.mode, "hold") && strcmp(opt.mode, "race") &&
	     strcmp(opt.mode, "stall"))) {
		fprintf(stderr, "clients: --port P --mode burst|hold|race|stall [--n 1-%d] ...\n", MAX_CONNS);
		return 2;
	}
	/* many threads that mostly wait: small stacks */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (long i = 0; i < opt.n; i++)
		if (pthread_create(&th[i], &attr, one, (void *)i)) {
			opt.n = (int)i;
			break;
		}
	for (int i = 0; i < opt.n; i++)
		pthread_join(th[i], NULL);
	return 0;
}
