// SPDX-License-Identifier: MIT
/*
 * explain: the kernel-level story of one keep-alive connection on one MPM.
 * A tiny client binds its port first, so the tracer can be told to record
 * that connection step by step before its SYN leaves; it sends a few
 * requests, then stays idle until the server closes the connection. The
 * steps come back as ring-buffer records and are told in plain words.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apache.h"
#include "cmds.h"
#include "model.h"
#include "scenario.h"
#include "session.h"
#include "tracer.h"
#include "util.h"

#define MAX_REQUESTS 20

/* What the client saw, CLOCK_MONOTONIC ns. */
struct client_view {
	uint16_t port;
	uint64_t t_connect, t_established;
	uint64_t t_sent[MAX_REQUESTS], t_response[MAX_REQUESTS];
	size_t resp_bytes[MAX_REQUESTS];
	int nreq;
	uint64_t t_eof;       /* server closed (read returned 0) */
	uint64_t t_close;
	bool server_closed, reset;
};

static int read_response(int fd, size_t *bytes, double timeout_s)
{
	char buf[16384];
	size_t have = 0, need = 0;
	uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		char *hdr_end;

		if (need && have >= need)
			break;
		if (now_ns() > deadline || poll(&p, 1, 100) < 0 || ms_interrupted)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(fd, buf + (have < sizeof(buf) ? have : 0), have < sizeof(buf) ? sizeof(buf) - have : sizeof(buf));
		if (r <= 0)
			return -1;
		have += (size_t)r;
		if (!need && have <= sizeof(buf) && (hdr_end = memmem(buf, have, "\r\n\r\n", 4))) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			size_t body = cl && cl < hdr_end ? strtoul(cl + 17, NULL, 10) : 0;

			need = (size_t)(hdr_end + 4 - buf) + body;
		}
	}
	*bytes = have;
	return 0;
}

static int run_client(struct session *ss, const char *path, int nreq, double pause_s, double idle_max_s,
		      struct client_view *cv, struct errbuf *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET }, me;
	socklen_t len = sizeof(me);
	char req[512];
	int fd, n;

	memset(cv, 0, sizeof(*cv));
	inet_pton(AF_INET, ss->a.addr, &sa.sin_addr);
	sa.sin_port = htons(ss->a.port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(e, "socket: %s", strerror(errno));
		return -1;
	}
	me = sa;
	me.sin_port = 0;
	/* Bind first: the port is known before the SYN, so the kernel records
	 * this connection from its first step. */
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) || getsockname(fd, (struct sockaddr *)&me, &len)) {
		err_set(e, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	cv->port = ntohs(me.sin_port);
	if (tracer_sample_port(ss->t, cv->port, e)) {
		close(fd);
		return -1;
	}
	cv->t_connect = now_ns();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err_set(e, "connect to %s:%u: %s", ss->a.addr, ss->a.port, strerror(errno));
		close(fd);
		return -1;
	}
	cv->t_established = now_ns();
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: mpmscope-explain\r\n\r\n", path,
		     ss->a.addr, ss->a.port);
	for (int i = 0; i < nreq && !ms_interrupted; i++) {
		if (i)
			usleep((useconds_t)(pause_s * 1e6));
		cv->t_sent[i] = now_ns();
		if (write(fd, req, (size_t)n) != n || read_response(fd, &cv->resp_bytes[i], 10)) {
			err_set(e, "request %d on the explained connection got no complete response", i + 1);
			close(fd);
			return -1;
		}
		cv->t_response[i] = now_ns();
		cv->nreq++;
	}
	/* Now idle: wait for the server to close it (KeepAliveTimeout). */
	for (uint64_t end = now_ns() + (uint64_t)(idle_max_s * 1e9); now_ns() < end && !ms_interrupted;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char c;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = (int)read(fd, &c, 1);
		if (n == 0) {
			cv->t_eof = now_ns();
			cv->server_closed = true;
			break;
		}
		if (n < 0 && errno == ECONNRESET) {
			cv->t_eof = now_ns();
			cv->reset = true;
			break;
		}
	}
	close(fd);
	cv->t_close = now_ns();
	usleep(300 * 1000); /* the server's lingering close finishes after our close */
	return 0;
}

/* tid -> pid from the spawn records (threads of a child share its pid). */
static pid_t pid_of(const struct ms_event *ev, size_t nev, uint32_t tid, pid_t root)
{
	if ((pid_t)tid == root)
		return root;
	for (size_t i = 0; i < nev; i++)
		if (ev[i].type == MS_EV_SPAWN && ev[i].spawn.child_tid == tid)
			return (pid_t)ev[i].spawn.child_tgid;
	return 0;
}

static const char *role_words(int role, enum mpm m)
{
	switch (role) {
	case MS_ROLE_PARENT: return "the parent process";
	case MS_ROLE_PREFORK_CHILD: return "child process";
	case MS_ROLE_CHILD_MAIN: return "the main thread";
	case MS_ROLE_STARTER: return "the starter thread";
	case MS_ROLE_LISTENER: return "the listener thread";
	case MS_ROLE_WORKER: return "worker thread";
	case MS_WAKER_KERNEL: return "the kernel (timer or network)";
	case MS_WAKER_EXTERNAL: return "the client";
	default: return m == MPM_PREFORK ? "process" : "thread";
	}
}

static const char *block_words(int reason)
{
	switch (reason) {
	case MS_OFF_KEEPALIVE: return "blocks in poll() on this idle connection: it is held, waiting for the next request";
	case MS_OFF_READ_REQ: return "blocks waiting for the rest of the request";
	case MS_OFF_WRITE_RESP: return "blocks until the client reads (socket buffer full)";
	case MS_OFF_LINGER: return "blocks in poll() for the client's FIN (lingering close)";
	case MS_OFF_IDLE_WORKER: return "goes back to the idle pool (futex wait): it holds no connection any more";
	case MS_OFF_WAIT_CONN: return "waits for new connections";
	case MS_OFF_WAIT_IDLER: return "waits for an idle worker";
	case MS_OFF_ACCEPT_MUTEX: return "waits for the accept mutex";
	default: return "blocks";
	}
}

/* "thread 1251 (child 1234)" / "child process 1234" */
static void who(char *buf, size_t n, int role, uint32_t tid, pid_t pid, enum mpm m)
{
	if (role == MS_ROLE_PREFORK_CHILD || (m == MPM_PREFORK && role >= MS_ROLE__MAX))
		snprintf(buf, n, "child process %u", tid);
	else if (pid && (pid_t)tid != pid)
		snprintf(buf, n, "%s %u of child %d", role_words(role, m), tid, (int)pid);
	else
		snprintf(buf, n, "%s %u", role_words(role, m), tid);
}

static void ms_line(FILE *out, uint64_t t0, uint64_t ts, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void ms_line(FILE *out, uint64_t t0, uint64_t ts, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "  %+10.3f ms  ", ts >= t0 ? (double)(ts - t0) / 1e6 : -(double)(t0 - ts) / 1e6);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

static int cmp_ev_ts(const void *a, const void *b)
{
	const struct ms_event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* The story, merged from the client's view and the kernel's steps. */
static void tell(FILE *out, enum mpm m, const struct session *ss, const struct client_view *cv,
		 const struct ms_event *all, size_t nall, const char *ka_timeout)
{
	struct ms_event *st = xcalloc(nall + 1, sizeof(*st));
	size_t n = 0, ci = 0;
	pid_t root = ss->a.pid;
	uint32_t server_task = 0, holder = 0;
	uint64_t t0 = cv->t_connect, idle_from = 0, last_send = 0;
	int recv_req = 0, sends = 0;
	bool held_by_task = false, parked = false, parked_said = false, closed = false, eof_said = false;
	char w[96], w2[96];

	for (size_t i = 0; i < nall; i++)
		if (all[i].type == MS_EV_STEP)
			st[n++] = all[i];
	qsort(st, n, sizeof(*st), cmp_ev_ts);

	fprintf(out, "\nexplain: one keep-alive connection on %s (%s), 127.0.0.1:%u -> %s:%u, KeepAliveTimeout %s s\n\n",
		mpm_name(m), ss->a.version, cv->port, ss->a.addr, ss->a.port, ka_timeout ? ka_timeout : "5");
	ms_line(out, t0, t0, "the client calls connect() from port %u", cv->port);
	for (size_t i = 0; i < n && !closed; i++) {
		const struct ms_event *e = &st[i];
		uint32_t task = e->step.task;
		int role = (int)e->step.task_role;
		pid_t pid = pid_of(all, nall, task, root);

		/* client-side events that happened before this step */
		while (ci < (size_t)cv->nreq && cv->t_sent[ci] <= e->ts) {
			ms_line(out, t0, cv->t_sent[ci], "the client sends request %zu", ci + 1);
			ci++;
		}
		if (!eof_said && cv->t_eof && cv->t_eof <= e->ts) {
			ms_line(out, t0, cv->t_eof, cv->reset ? "the client gets a reset"
							      : "the client reads end-of-file: the server closed the connection");
			eof_said = true;
		}
		who(w, sizeof(w), role, task, pid, m);
		switch (e->step.step) {
		case MS_STEP_ESTABLISHED:
			ms_line(out, t0, e->ts, "the kernel completes the TCP handshake: the connection waits in the listen "
						"queue of port %u",
				ss->a.port);
			break;
		case MS_STEP_ACCEPT:
			ms_line(out, t0, e->ts, "%s accepts it (accept4), after %.1f us in the listen queue", w,
				(double)e->step.value / 1e3);
			server_task = task;
			break;
		case MS_STEP_HANDOFF:
			if (task != server_task)
				ms_line(out, t0, e->ts, "the connection is now served by %s", w);
			server_task = task;
			break;
		case MS_STEP_RECV:
			if (idle_from && parked) {
				ms_line(out, t0, e->ts, "the next request arrives after %.3f s idle: the listener hands the "
							"connection back to a worker",
					(double)(e->ts - idle_from) / 1e9);
			} else if (idle_from && held_by_task) {
				ms_line(out, t0, e->ts, "the next request arrives after %.3f s idle",
					(double)(e->ts - idle_from) / 1e9);
			}
			idle_from = 0;
			parked = held_by_task = parked_said = false;
			recv_req++;
			ms_line(out, t0, e->ts, "%s reads request %d: %llu bytes", w, recv_req,
				(unsigned long long)e->step.value);
			sends = 0;
			break;
		case MS_STEP_SEND:
			if (!sends)
				ms_line(out, t0, e->ts, "%s writes the response: %llu bytes", w,
					(unsigned long long)e->step.value);
			else
				ms_line(out, t0, e->ts, "%s writes %llu more bytes", w, (unsigned long long)e->step.value);
			sends++;
			last_send = e->ts;
			idle_from = e->ts;
			break;
		case MS_STEP_BLOCK:
			if (e->step.other == MS_OFF_KEEPALIVE) {
				held_by_task = true;
				holder = task;
			} else if (e->step.other == MS_OFF_IDLE_WORKER && idle_from) {
				parked = true;
			}
			ms_line(out, t0, e->ts, "%s %s", w, block_words((int)e->step.other));
			if (parked && !parked_said) {
				ms_line(out, t0, e->ts, "the connection sits in the listener's epoll set: no thread is "
							"held while it is idle");
				parked_said = true;
			}
			break;
		case MS_STEP_WAKE: {
			int waker = (int)e->step.other;

			who(w2, sizeof(w2), waker, e->tid, pid_of(all, nall, e->tid, root), m);
			ms_line(out, t0, e->ts, "%s is woken by %s after %.3f ms blocked", w,
				waker >= MS_ROLE__MAX ? role_words(waker, m) : w2, (double)e->step.value / 1e6);
			break;
		}
		case MS_STEP_RUN:
			if (e->step.value > 50 * 1000)
				ms_line(out, t0, e->ts, "%s gets a CPU after %.1f us in the run queue", w,
					(double)e->step.value / 1e3);
			break;
		case MS_STEP_SERVER_FIN:
			who(w, sizeof(w), MS_ROLE__MAX + 2, e->tid, pid_of(all, nall, e->tid, root), m);
			ms_line(out, t0, e->ts, "the server closes its side (FIN) after %.3f s idle%s", 
				last_send ? (double)(e->ts - last_send) / 1e9 : 0.0,
				held_by_task ? ": KeepAliveTimeout expired in the task holding it"
					     : ": the listener's KeepAliveTimeout queue expired");
			if (held_by_task && holder)
				ms_line(out, t0, e->ts, "during that time task %u did nothing but hold this connection", holder);
			break;
		case MS_STEP_CLIENT_FIN:
			ms_line(out, t0, e->ts, "the client closes its side (FIN)");
			break;
		case MS_STEP_RST_SENT:
			ms_line(out, t0, e->ts, "the server sends a RST");
			break;
		case MS_STEP_RST_RECV:
			ms_line(out, t0, e->ts, "the server receives a RST from the client");
			break;
		case MS_STEP_CLOSE:
			ms_line(out, t0, e->ts, "the kernel closes the socket: the connection is gone");
			closed = true;
			break;
		}
	}
	while (ci < (size_t)cv->nreq) {
		ms_line(out, t0, cv->t_sent[ci], "the client sends request %zu", ci + 1);
		ci++;
	}
	if (!eof_said && cv->t_eof)
		ms_line(out, t0, cv->t_eof, cv->reset ? "the client gets a reset"
						      : "the client reads end-of-file: the server closed the connection");
	fprintf(out, "\n%d request(s), %d read by the server; %s\n", cv->nreq, recv_req,
		m == MPM_EVENT ? "event: between requests the connection is parked in the listener's epoll, "
				 "and no thread waits on it"
			       : "prefork/worker: between requests a whole process or thread waits on the connection");
	free(st);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mpmscope explain -m MPM [-s SCENARIO] [--requests N] [--pause SECS]\n\n"
		   "Tell, step by step, the kernel-level story of one keep-alive connection on one MPM:\n"
		   "who accepts it, who serves each request, who holds it while idle, who closes it.\n\n"
		   "  -m, --mpm MPM          prefork, worker or event\n"
		   "  -s, --scenario NAME    Apache settings to use (default keepalive: KeepAliveTimeout 5)\n"
		   "      --requests N       requests sent on the connection before it idles (default 2)\n"
		   "      --pause SECS       pause between them (default 0.2)\n"
		   "      --httpd PATH       Apache binary\n"
		   "      --no-btf-tracepoints, --btf PATH, -v   as for compare\n");
}

int cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mpm", required_argument, NULL, 'm' },   { "scenario", required_argument, NULL, 's' },
		{ "requests", required_argument, NULL, 'n' }, { "pause", required_argument, NULL, 'p' },
		{ "httpd", required_argument, NULL, 'H' }, { "no-btf-tracepoints", no_argument, NULL, 'R' },
		{ "btf", required_argument, NULL, 'B' },   { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },        { 0 },
	};
	struct tracer_opts to = { 0 };
	struct errbuf e = { { 0 } };
	struct scenario sc;
	struct apache proto;
	struct session ss;
	struct client_view cv;
	const char *scen = "keepalive", *httpd = NULL, *kat;
	double pause = 0.2, idle_max;
	uint64_t nreq = 2;
	enum mpm m = MPM__MAX;
	int opt, rc;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:s:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (mpm_parse(optarg, &m)) {
				err_set(&e, "unknown MPM '%s' (expected prefork, worker or event)", optarg);
				goto usage_err;
			}
			break;
		case 's': scen = optarg; break;
		case 'n':
			if (parse_u64(optarg, &nreq, "--requests", &e))
				goto usage_err;
			if (!nreq || nreq > MAX_REQUESTS) {
				err_set(&e, "--requests: between 1 and %d", MAX_REQUESTS);
				goto usage_err;
			}
			break;
		case 'p':
			if (parse_seconds(optarg, &pause, "--pause", &e))
				goto usage_err;
			if (pause > 60) {
				err_set(&e, "--pause: at most 60 s");
				goto usage_err;
			}
			break;
		case 'H': httpd = optarg; break;
		case 'R': to.raw_tp = true; break;
		case 'B': to.btf_path = optarg; break;
		case 'v': to.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case ':': err_set(&e, "option %s needs a value", argv[optind - 1]); goto usage_err;
		default: err_set(&e, "unknown option '%s' (see 'mpmscope explain --help')", argv[optind - 1]); goto usage_err;
		}
	}
	if (optind < argc) {
		err_set(&e, "unexpected argument '%s'", argv[optind]);
		goto usage_err;
	}
	if (m == MPM__MAX) {
		err_set(&e, "explain: -m MPM is required (prefork, worker or event)");
		goto usage_err;
	}
	if (tracer_preflight(&to, &e) || scenario_load(&sc, scen, &e))
		goto usage_err;
	apache_sweep_stale();
	apache_init(&proto);
	if (apache_find(&proto, httpd, &e)) {
		scenario_free(&sc);
		goto usage_err;
	}
	kat = scenario_directive(&sc, m, "KeepAliveTimeout");
	idle_max = (kat ? atof(kat) : 5) + 10;
	rc = session_start(&ss, &proto, &sc, m, &to, &e);
	if (!rc)
		rc = run_client(&ss, sc.url_path, (int)nreq, pause, idle_max, &cv, &e);
	session_stop(&ss);
	if (!rc) {
		size_t nev;
		const struct ms_event *ev = tracer_events(ss.t, &nev);

		if (strstr(tracer_missing_tps(ss.t), "sock_recv_length"))
			fprintf(stderr, "mpmscope: note: this kernel lacks %s: reads and writes are not shown\n",
				tracer_missing_tps(ss.t));
		tell(stdout, m, &ss, &cv, ev, nev, kat);
	}
	session_end(&ss);
	scenario_free(&sc);
	if (rc) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		return ms_interrupted ? 130 : 2;
	}
	return 0;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
