// SPDX-License-Identifier: MIT
/*
 * serve: a Prometheus exporter of a running Apache. Attaches like `trace`
 * (-p PID or -C COMM), then answers GET /metrics with the kernel's counters
 * as they stand (user/prom.c renders them). One thread serves HTTP with
 * poll(): non-blocking sockets, a bounded request, one response per
 * connection (Connection: close). The tracer's draining thread folds the
 * connection records under a mutex, so memory stays flat however long it runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attach.h"
#include "cmds.h"
#include "model.h"
#include "prom.h"
#include "tracer.h"
#include "util.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9464"
#define SERVE_MAX_CLIENTS 64
#define SERVE_REQ_MAX 8192              /* request line and headers */
#define SERVE_CLIENT_TIMEOUT_NS (10 * NSEC_PER_SEC)
#define SERVE_DRAIN_NS (2 * NSEC_PER_SEC) /* after the response, for the client's FIN */

struct serve_state {
	pthread_mutex_t lock;
	struct prom_conns conns;
};

struct client {
	int fd;
	uint64_t deadline;
	char in[SERVE_REQ_MAX];
	size_t inlen;
	struct pbuf out;         /* the whole response, once the request is read */
	size_t outoff;
	enum { CL_READ, CL_WRITE, CL_DRAIN } state;
};

struct serve_ctx {
	struct tracer *t;
	struct serve_state *st;
	struct attach_target *at;
	struct tracer_counts base;
	bool conns_available;
	uint64_t scrapes;
};

static void on_record(void *ctx, const struct ms_event *ev)
{
	struct serve_state *st = ctx;
	const struct ms_conn *cn = &ev->conn_end.c;
	struct prom_conns *k = &st->conns;

	if (ev->type != MS_EV_CONN_END)
		return;
	pthread_mutex_lock(&st->lock);
	k->connections++;
	k->requests += cn->requests;
	if (!(cn->flags & MS_CF_ACCEPTED))
		k->never_accepted++;
	/* who ended it: a reset first, then the first FIN (as compare counts) */
	if (cn->flags & MS_CF_RST_SENT)
		k->server_rst++;
	else if (cn->flags & MS_CF_RST_RECV)
		k->client_rst++;
	else if (cn->flags & MS_CF_SERVER_FIN)
		k->server_fin++;
	else if (cn->flags & MS_CF_CLIENT_FIN)
		k->client_fin++;
	else
		k->other_close++;
	pthread_mutex_unlock(&st->lock);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mpmscope serve [--listen ADDR:PORT] (-p PID | -C COMM) [--no-btf-tracepoints] [--btf PATH] [-v]\n\n"
		   "A Prometheus exporter of a running Apache: follows it in the kernel like 'trace' (no load is\n"
		   "generated) and answers GET /metrics with its figures in the Prometheus text format: tasks created\n"
		   "and alive, accepts, wake-ups, CPU and off-CPU time, run-queue latency, keep-alive, connections.\n"
		   "Stops on SIGINT/SIGTERM (exit 0) or when the server exits (exit 1).\n\n"
		   "  -l, --listen ADDR:PORT  where to serve (default " SERVE_DEFAULT_LISTEN "; PORT 0 picks a free one;\n"
		   "                          [::1]:PORT for IPv6; any non-loopback address is served with a warning)\n"
		   "  -p, --pid PID           the httpd parent (a child's pid leads to its parent)\n"
		   "  -C, --comm NAME         the server by command name (apache2, httpd)\n"
		   "      --no-btf-tracepoints, --btf PATH, -v   as for compare\n");
}

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

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (every address): a listening socket.
 * Sets *shown to the address actually bound ("127.0.0.1:9464"). */
static int open_listener(const char *spec, int *fdout, char *shown, size_t nshown, bool *loopback, struct errbuf *e)
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
			err_set(e, "--listen: '%s' is not ADDR:PORT (an IPv6 address goes in brackets: [::1]:9464)", spec);
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
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0) {
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
	pbuf_printf(&cl->out,
		    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
		    "Cache-Control: no-store\r\nServer: mpmscope/%s\r\n%s\r\n",
		    status, reason, ctype, blen, MPMSCOPE_VERSION, extra ? extra : "");
	if (!head)
		pbuf_put(&cl->out, body, blen);
	cl->state = CL_WRITE;
}

static void error_page(struct client *cl, int status, const char *reason, const char *extra, bool head)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);

	respond(cl, status, reason, "text/plain; charset=utf-8", extra, body, (size_t)n, head);
}

static void scrape(struct serve_ctx *x, struct client *cl, bool head)
{
	struct tracer_counts now;
	struct prom_source s = { 0 };
	struct pbuf body = { 0 };

	tracer_read_counts(x->t, &now);
	pthread_mutex_lock(&x->st->lock);
	s.conns = x->st->conns;
	pthread_mutex_unlock(&x->st->lock);
	s.mpm = mpm_name(x->at->mpm);
	s.comm = x->at->comm;
	s.attach_mode = tracer_attach_mode(x->t);
	s.httpd_pid = x->at->root;
	s.seeded_procs = x->at->procs;
	s.seeded_threads = x->at->threads;
	s.base = &x->base;
	s.now = &now;
	s.conns_available = x->conns_available;
	s.scrapes = ++x->scrapes;
	prom_render(&body, &s);
	respond(cl, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", NULL, body.p, body.len, head);
	pbuf_free(&body);
}

static void index_page(struct serve_ctx *x, struct client *cl, bool head)
{
	struct pbuf body = { 0 };
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)x->at->root);
	pbuf_printf(&body, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mpmscope exporter</title></head>\n"
			   "<body><h1>mpmscope exporter</h1>\n<p>Apache ");
	/* comm is the process's own name: escape it for HTML */
	for (const char *c = x->at->comm; *c; c++) {
		if (*c == '<')
			pbuf_put(&body, "&lt;", 4);
		else if (*c == '>')
			pbuf_put(&body, "&gt;", 4);
		else if (*c == '&')
			pbuf_put(&body, "&amp;", 5);
		else if (*c == '"')
			pbuf_put(&body, "&quot;", 6);
		else
			pbuf_put(&body, c, 1);
	}
	pbuf_printf(&body, " pid %s, %s MPM.</p>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n", pid,
		    mpm_name(x->at->mpm));
	respond(cl, 200, "OK", "text/html; charset=utf-8", NULL, body.p, body.len, head);
	pbuf_free(&body);
}

/* A complete request head is in cl->in: answer it. */
static void handle(struct serve_ctx *x, struct client *cl)
{
	char method[16], target[1024], version[16];
	char *eol = memchr(cl->in, '\n', cl->inlen), *q;
	size_t n;
	bool head;

	n = eol ? (size_t)(eol - cl->in) : cl->inlen;
	if (n && cl->in[n - 1] == '\r')
		n--;
	cl->in[n] = 0;
	if (sscanf(cl->in, "%15s %1023s %15s", method, target, version) != 3 || strncmp(version, "HTTP/1.", 7)) {
		error_page(cl, 400, "Bad Request", NULL, false);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		error_page(cl, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", false);
		return;
	}
	q = strchr(target, '?');
	if (q)
		*q = 0;
	if (!strcmp(target, "/metrics"))
		scrape(x, cl, head);
	else if (!strcmp(target, "/"))
		index_page(x, cl, head);
	else
		error_page(cl, 404, "Not Found", NULL, head);
}

static void client_close(struct client **cls, int *n, int i)
{
	close(cls[i]->fd);
	pbuf_free(&cls[i]->out);
	free(cls[i]);
	cls[i] = cls[--*n];
}

/* Read what is there; once the head is complete (or too big), answer. */
static bool client_read(struct serve_ctx *x, struct client *cl)
{
	for (;;) {
		ssize_t r;

		if (cl->inlen == sizeof(cl->in) - 1) {
			error_page(cl, 431, "Request Header Fields Too Large", NULL, false);
			return true;
		}
		r = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - 1 - cl->inlen);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR;
		if (r == 0)
			return false; /* closed before a full request */
		cl->inlen += (size_t)r;
		cl->in[cl->inlen] = 0;
		if (strstr(cl->in, "\r\n\r\n") || strstr(cl->in, "\n\n")) {
			handle(x, cl);
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
		ssize_t w = send(cl->fd, cl->out.p + cl->outoff, cl->out.len - cl->outoff, MSG_NOSIGNAL);

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

static int serve_loop(struct serve_ctx *x, int lfd, struct errbuf *e)
{
	struct client *cls[SERVE_MAX_CLIENTS];
	struct pollfd pfd[SERVE_MAX_CLIENTS + 1];
	int ncl = 0, rc = 0;

	while (!ms_interrupted) {
		uint64_t now;
		int np = 0;

		if (kill(x->at->root, 0) < 0 && errno == ESRCH) {
			err_set(e, "serve: the server (%s %d) exited", x->at->comm, (int)x->at->root);
			rc = 1;
			break;
		}
		pfd[np++] = (struct pollfd){ .fd = ncl < SERVE_MAX_CLIENTS ? lfd : -1, .events = POLLIN };
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
		/* clients first (indexes of pfd match cls until one is closed: walk backwards) */
		for (int i = ncl - 1; i >= 0; i--) {
			struct client *cl = cls[i];
			short re = pfd[i + 1].revents;
			bool keep = true;

			if (re & (POLLIN | POLLHUP | POLLERR)) {
				if (cl->state == CL_READ)
					keep = client_read(x, cl);
				else if (cl->state == CL_DRAIN)
					keep = client_drain(cl);
				else if (re & (POLLHUP | POLLERR))
					keep = false;
			}
			/* a response just made is sent at once, the rest when writable */
			if (keep && cl->state == CL_WRITE && (re & POLLOUT || cl->outoff == 0))
				keep = client_write(cl, now);
			if (keep && now > cl->deadline)
				keep = false;
			if (!keep)
				client_close(cls, &ncl, i);
		}
		if (pfd[0].revents & POLLIN) {
			while (ncl < SERVE_MAX_CLIENTS) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd < 0)
					break;
				cls[ncl] = xcalloc(1, sizeof(struct client));
				cls[ncl]->fd = fd;
				cls[ncl]->deadline = now + SERVE_CLIENT_TIMEOUT_NS;
				ncl++;
			}
		}
	}
	while (ncl > 0)
		client_close(cls, &ncl, ncl - 1);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'C' },   { "no-btf-tracepoints", no_argument, NULL, 'R' },
		{ "btf", required_argument, NULL, 'B' },    { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	struct serve_state st = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct tracer_opts to = { .on_event = on_record, .discard_events = true };
	struct errbuf e = { { 0 } };
	struct attach_target at;
	struct serve_ctx x = { 0 };
	struct tracer *t = NULL;
	const char *comm = NULL, *listen_spec = SERVE_DEFAULT_LISTEN;
	char shown[NI_MAXHOST + NI_MAXSERV + 8];
	uint64_t pid = 0;
	int opt, rc, lfd = -1;
	bool loopback;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":l:p:C:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': listen_spec = optarg; break;
		case 'p':
			if (parse_u64(optarg, &pid, "-p", &e) || !pid || pid > 4194304) {
				err_set(&e, "-p: '%s' is not a process id", optarg);
				goto usage_err;
			}
			break;
		case 'C': comm = optarg; break;
		case 'R': to.raw_tp = true; break;
		case 'B': to.btf_path = optarg; break;
		case 'v': to.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case ':': err_set(&e, "option %s needs a value", argv[optind - 1]); goto usage_err;
		default: err_set(&e, "unknown option '%s' (see 'mpmscope serve --help')", argv[optind - 1]); goto usage_err;
		}
	}
	if (optind < argc) {
		err_set(&e, "unexpected argument '%s'", argv[optind]);
		goto usage_err;
	}
	if (!pid == !comm) {
		err_set(&e, "serve: give the server with -p PID or -C COMM (one of them)");
		goto usage_err;
	}
	/* Everything that can be refused is refused before the probes load. */
	if (tracer_preflight(&to, &e) || attach_find(&at, (pid_t)pid, comm, &e) || attach_detect_mpm(&at, &e) ||
	    open_listener(listen_spec, &lfd, shown, sizeof(shown), &loopback, &e))
		goto usage_err;
	to.on_event_ctx = &st;
	if (attach_open(&at, &to, &t, &e)) {
		close(lfd);
		goto usage_err;
	}
	x.t = t;
	x.st = &st;
	x.at = &at;
	x.conns_available = at.nports > 0 && !strstr(tracer_missing_tps(t), "sock_recv_length");
	tracer_read_counts(t, &x.base);
	if (!loopback)
		fprintf(stderr, "mpmscope: warning: serving on %s, not a loopback address: whoever reaches it can read "
				"the metrics\n", shown);
	printf("serving %s %d (%s MPM: %s), %d processes, %d threads, on http://%s/metrics; Ctrl-C to stop\n",
	       at.comm, (int)at.root, mpm_name(at.mpm), at.mpm_how, at.procs, at.threads, shown);

	rc = serve_loop(&x, lfd, &e);
	close(lfd);
	tracer_stop(t);
	tracer_close(t);
	if (rc)
		fprintf(stderr, "mpmscope: %s\n", e.msg);
	return rc;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
