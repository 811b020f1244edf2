// SPDX-License-Identifier: MIT
/*
 * The slow upstream: mpmscope's own tiny HTTP server behind mod_proxy_http,
 * a process of its own (so that the tracer sees it as the backend), that
 * answers every request after a set delay with a small body. A thread per
 * connection (at most UPSTREAM_MAX_CONNS at once, the rest wait in its
 * listen queue); bounded in time (max_s) and stopped by SIGTERM or its
 * parent's death.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/internal.h"

#define UPSTREAM_MAX_CONNS 512

static atomic_int live_conns;
static double up_delay_s;

int backend_prepare_upstream(struct backend *b, const struct scenario *sc, const char *rundir, uint16_t port,
			     struct errbuf *e)
{
	ssize_t n;

	backend_init(b, BACKEND_UPSTREAM, rundir);
	n = readlink("/proc/self/exe", b->bin, sizeof(b->bin) - 1);
	if (n <= 0) {
		err_set(e, "cannot find mpmscope's own binary for the upstream: %s", strerror(errno));
		return -1;
	}
	b->bin[n] = 0;
	b->port = port;
	b->delay_s = sc->backend.delay_s;
	/* bounded: the load's own bounds, and a margin for start and stop */
	b->max_s = (sc->duration_s > 0 ? sc->duration_s : 0) + sc->timeout_s + 120;
	snprintf(b->log, sizeof(b->log), "%s/logs/upstream.log", rundir);
	return 0;
}

uint16_t backend_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) && !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void *serve_conn(void *arg)
{
	static const char body[] = "slow upstream: answered after its delay\n";
	int fd = (int)(long)arg;
	char buf[8192], resp[256];
	size_t got = 0;
	struct timespec ts;

	/* the request's head, then the delay, then the answer */
	while (got < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);

		if (r <= 0)
			goto out;
		got += (size_t)r;
		buf[got] = 0;
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	ts.tv_sec = (time_t)up_delay_s;
	ts.tv_nsec = (long)((up_delay_s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	snprintf(resp, sizeof(resp),
		 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 sizeof(body) - 1, body);
	if (write_all(fd, resp, strlen(resp))) {
		/* the proxy gave up: nothing to do */
	}
out:
	close(fd);
	atomic_fetch_sub(&live_conns, 1);
	return NULL;
}

int backend_upstream_serve(uint16_t port, double delay_s, double max_s, struct errbuf *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, lfd;
	double end = now_s() + max_s;
	pthread_attr_t attr;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	up_delay_s = delay_s;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 511)) {
		err_set(e, "upstream: cannot listen on 127.0.0.1:%u: %s", port, strerror(errno));
		return 2;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	while (now_s() < end && !sig_interrupted) {
		struct timeval tv = { .tv_sec = 1 };
		pthread_t th;
		int fd;

		setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (atomic_load(&live_conns) >= UPSTREAM_MAX_CONNS) {
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ .tv_sec = 30 }, sizeof(struct timeval));
		atomic_fetch_add(&live_conns, 1);
		if (pthread_create(&th, &attr, serve_conn, (void *)(long)fd)) {
			atomic_fetch_sub(&live_conns, 1);
			close(fd);
		}
	}
	close(lfd);
	return 0;
}
