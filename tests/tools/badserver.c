// SPDX-License-Identifier: MIT
/*
 * badserver: a deliberately misbehaving HTTP/1.1 server on 127.0.0.1, for the
 * load generator's tests. One thread per connection, blocking I/O.
 *
 *   badserver --port P --mode MODE [--n N] [--delay-ms D] [--max-seconds S]
 *
 * Prints the port it listens on (useful with --port 0) on stdout, and on
 * SIGTERM/SIGINT or after --max-seconds (default 60) prints
 * "badserver: connections C requests R" on stderr and exits.
 *
 * Modes (each answers after --delay-ms, default 0):
 *   ok             200 with Content-Length, keep-alive unless asked to close
 *                  (HTTP/1.0: only if asked, as ab -k does)
 *   close-after-n  like ok, but closes the connection right after its N-th
 *                  response, without "Connection: close" (an idle close)
 *   close-on-reuse like ok for N responses, then reads the next request and
 *                  closes without answering (a reused connection closed)
 *   reset          reads the request, then resets the connection (SO_LINGER 0)
 *   stall          reads the request and never answers
 *   chunked        200 with a chunked body, written in several pieces
 *   badlength      Content-Length: 100 with a 10-byte body, then closes
 *   status503      503 with a body, keep-alive
 *   eof            half a status line, then closes
 *   garbage        a response that is not HTTP
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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

enum mode { M_OK, M_CLOSE_AFTER_N, M_CLOSE_ON_REUSE, M_RESET, M_STALL, M_CHUNKED, M_BADLENGTH,
	    M_503, M_EOF, M_GARBAGE };

static const char *const mode_names[] = { "ok", "close-after-n", "close-on-reuse", "reset", "stall",
					  "chunked", "badlength", "status503", "eof", "garbage" };

static enum mode mode;
static unsigned n_opt = 10, delay_ms;
static atomic_ulong nconns, nreqs;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}


/* Whether the last request read was HTTP/1.0 asking for keep-alive (ab -k):
 * its response must say "Connection: keep-alive", or the client waits for
 * the close that HTTP/1.0 implies. Per thread: one thread per connection. */
static __thread bool ka10;

/* Read one request head into buf; return 1 (request, *close set if it asked
 * for Connection: close, or is HTTP/1.0 without keep-alive), 0 on EOF, -1 on
 * error. Leftover bytes stay in buf. */
static int read_request(int fd, char *buf, size_t size, size_t *have, bool *close_req)
{
	for (;;) {
		char *end;
		ssize_t r;

		buf[*have] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			size_t used = (size_t)(end + 4 - buf);

			*end = 0;
			{
				char *eol = strstr(buf, "\r\n");
				bool v10 = eol && eol - buf >= 8 && !strncmp(eol - 8, "HTTP/1.0", 8);

				ka10 = v10 && strcasestr(buf, "connection: keep-alive");
				*close_req = strcasestr(buf, "connection: close") != NULL || (v10 && !ka10);
			}
			memmove(buf, buf + used, *have - used);
			*have -= used;
			atomic_fetch_add(&nreqs, 1);
			return 1;
		}
		if (*have + 1 >= size)
			return -1;
		r = read(fd, buf + *have, size - 1 - *have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return (int)r;
		*have += (size_t)r;
	}
}

static int respond_ok(int fd, int status, bool close_conn)
{
	static const char body[] = "hello, world\n";
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s",
			 status, status == 200 ? "OK" : "Service Unavailable", sizeof(body) - 1,
			 close_conn ? "Connection: close\r\n" : ka10 ? "Connection: keep-alive\r\n" : "", body);

	return write_all(fd, head, (size_t)n);
}

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384];
	size_t have = 0;
	unsigned served = 0;
	bool close_req;
	struct linger lg = { 1, 0 };

	atomic_fetch_add(&nconns, 1);
	while (read_request(fd, buf, sizeof(buf), &have, &close_req) == 1) {
		if (delay_ms)
			sleep_ms((int)delay_ms);
		switch (mode) {
		case M_OK:
		case M_503:
			if (respond_ok(fd, mode == M_OK ? 200 : 503, close_req) < 0 || close_req)
				goto out;
			break;
		case M_CLOSE_AFTER_N:
			if (respond_ok(fd, 200, close_req) < 0 || close_req || ++served >= n_opt)
				goto out;
			break;
		case M_CLOSE_ON_REUSE:
			if (served++ >= n_opt)
				goto out; /* the request was read whole: a FIN, not a reset */
			if (respond_ok(fd, 200, close_req) < 0 || close_req)
				goto out;
			break;
		case M_RESET:
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			goto out;
		case M_STALL:
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			goto out;
		case M_CHUNKED: {
			static const char *const parts[] = {
				"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
				"5\r\nhello\r\n", "8\r\n, chunke\r\n", "2\r\nd\n\r\n", "0\r\n\r\n",
			};

			for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
				if (write_all(fd, parts[i], strlen(parts[i])) < 0)
					goto out;
				if (i == 1)
					sleep_ms(1);
			}
			if (close_req)
				goto out;
			break;
		}
		case M_BADLENGTH: {
			static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";

			write_all(fd, r, sizeof(r) - 1);
			goto out;
		}
		case M_EOF: {
			static const char r[] = "HTTP/1.1 200 O";

			write_all(fd, r, sizeof(r) - 1);
			goto out;
		}
		case M_GARBAGE: {
			static const char r[] = "HELLO THERE\r\n\r\n";

			write_all(fd, r, sizeof(r) - 1);
			goto out;
		}
		}
	}
out:
	close(fd);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: badserver --port P --mode MODE [--n N] [--delay-ms D] [--max-seconds S]\nmodes:");
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		fprintf(f, " %s", mode_names[i]);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' }, { "mode", required_argument, NULL, 'm' },
		{ "n", required_argument, NULL, 'n' }, { "delay-ms", required_argument, NULL, 'd' },
		{ "max-seconds", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sigaction sig = { .sa_handler = on_signal };
	socklen_t sl = sizeof(sa);
	long port = -1, max_s = 60;
	const char *mname = NULL;
	time_t deadline;
	int opt, lfd, one = 1;
	pthread_attr_t attr;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 'm': mname = optarg; break;
		case 'n': n_opt = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': delay_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': max_s = strtol(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (port < 0 || port > 65535 || !mname || max_s <= 0) {
		usage(stderr);
		return 2;
	}
	mode = (enum mode)-1;
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(mname, mode_names[i]))
			mode = (enum mode)i;
	if ((int)mode < 0) {
		fprintf(stderr, "badserver: unknown mode '%s'\n", mname);
		usage(stderr);
		return 2;
	}

	sigemptyset(&sig.sa_mask);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)port);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		fprintf(stderr, "badserver: cannot listen on 127.0.0.1:%ld: %s\n", port, strerror(errno));
		return 1;
	}
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	deadline = time(NULL) + max_s;
	while (!stop && time(NULL) < deadline) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		pthread_t tid;
		int fd;

		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (pthread_create(&tid, &attr, serve, (void *)(intptr_t)fd))
			close(fd);
	}
	fprintf(stderr, "badserver: connections %lu requests %lu\n", atomic_load(&nconns),
		atomic_load(&nreqs));
	return 0;
}
