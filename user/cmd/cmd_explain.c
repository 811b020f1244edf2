// SPDX-License-Identifier: MIT
/*
 * explain: the kernel-level story of one keep-alive connection on one MPM.
 * A tiny client binds its port first, so the tracer can be told to record
 * that connection step by step before its SYN leaves; it sends a few
 * requests, then stays idle until the server closes the connection. The
 * steps come back as ring-buffer records and are told in plain words
 * (report/story.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apache/apache.h"
#include "base/units.h"
#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "cmd/session.h"
#include "load/http.h"
#include "report/story.h"
#include "scenario/scenario.h"

struct explain_opts {
	double pause_s;
};

static int explain_own(void *ctx, int id, const char *arg, struct errbuf *e)
{
	struct explain_opts *x = ctx;

	if (parse_seconds(arg, &x->pause_s, "--pause", e))
		return -1;
	if (x->pause_s > 60) {
		err_set(e, "--pause: at most 60 s");
		return -1;
	}
	return 0;
}

enum { OPT_PAUSE = OPT_OWN };

/* One complete response on fd (its length from the headers, by the load
 * generator's parser), within timeout_s. */
static int read_response(int fd, size_t *bytes, double timeout_s)
{
	struct lg_http h;
	char buf[16384];
	uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);

	lg_http_reset(&h);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		enum lg_http_rc rc;
		ssize_t r;

		if (now_ns() > deadline || poll(&p, 1, 100) < 0 || sig_interrupted)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		rc = r > 0 ? lg_http_feed(&h, buf, (size_t)r) : r == 0 ? lg_http_eof(&h) : LG_HTTP_BAD;
		if (rc == LG_HTTP_DONE) {
			*bytes = (size_t)h.bytes;
			return 0;
		}
		if (rc == LG_HTTP_BAD)
			return -1;
	}
}

/* A socket bound to a port of its own, so the connection can be sampled
 * from its first step: its SYN has not left yet. */
static int bound_socket(struct session *ss, struct sockaddr_in *sa, uint16_t *port, struct errbuf *e)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int fd;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	inet_pton(AF_INET, ss->a.addr, &sa->sin_addr);
	sa->sin_port = htons(ss->a.port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(e, "socket: %s", strerror(errno));
		return -1;
	}
	me = *sa;
	me.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) || getsockname(fd, (struct sockaddr *)&me, &len)) {
		err_set(e, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*port = ntohs(me.sin_port);
	return fd;
}

/* Idle until the server closes the connection (KeepAliveTimeout), at most idle_max_s. */
static void wait_close(int fd, double idle_max_s, struct story_client *cv)
{
	for (uint64_t end = now_ns() + (uint64_t)(idle_max_s * 1e9); now_ns() < end && !sig_interrupted;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char c;
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, &c, 1);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			cv->t_eof = now_ns();
			cv->server_closed = n == 0;
			cv->reset = n < 0;
			return;
		}
	}
}

static int run_client(struct session *ss, const char *path, int nreq, double pause_s, double idle_max_s,
		      struct story_client *cv, struct errbuf *e)
{
	struct sockaddr_in sa;
	char req[512];
	int fd, n;

	memset(cv, 0, sizeof(*cv));
	fd = bound_socket(ss, &sa, &cv->port, e);
	if (fd < 0)
		return -1;
	if (tracer_sample_port(ss->t, cv->port, e))
		goto fail;
	cv->t_connect = now_ns();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err_set(e, "connect to %s:%u: %s", ss->a.addr, ss->a.port, strerror(errno));
		goto fail;
	}
	cv->t_established = now_ns();
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: mpmscope-explain\r\n\r\n", path,
		     ss->a.addr, ss->a.port);
	for (int i = 0; i < nreq && !sig_interrupted; i++) {
		if (i)
			usleep((useconds_t)(pause_s * 1e6));
		cv->t_sent[i] = now_ns();
		if (write(fd, req, (size_t)n) != n || read_response(fd, &cv->resp_bytes[i], 10)) {
			err_set(e, "request %d on the explained connection got no complete response", i + 1);
			goto fail;
		}
		cv->t_response[i] = now_ns();
		cv->nreq++;
	}
	wait_close(fd, idle_max_s, cv);
	close(fd);
	cv->t_close = now_ns();
	usleep(300 * 1000); /* the server's lingering close finishes after our close */
	return 0;
fail:
	close(fd);
	return -1;
}

static const struct cmd_spec explain_spec = {
	.name = "explain",
	.usage = "-m MPM[,MPM...] [-s SCENARIO] [--requests N] [--pause SECS] [--html FILE]",
	.about = "Tell, step by step, the kernel-level story of one keep-alive connection on one MPM:\n"
		 "who accepts it, who serves each request, who holds it while idle, who closes it.\n"
		 "--html draws it as a timeline, one per MPM given (several with --html only).",
	.opts = OPTS({ OPT_MPM, .help = "the MPM (with --html, a comma-separated list)" },
		     { OPT_SCENARIO, .help = "Apache settings to use (default keepalive: KeepAliveTimeout 5)" },
		     { OPT_REQUESTS, .help = "requests sent on the connection before it idles (default 2)", .min = 1,
		       .max = STORY_MAX_REQUESTS },
		     { OPT_PAUSE, "pause", 0, "SECS", "pause between them (default 0.2)" },
		     { OPT_HTML, .help = "draw each MPM's story as a timeline in FILE" }, { OPT_HTTPD }, OPTS_PROBES),
	.own = explain_own,
};

/* The records a story needs, kept past the session: its steps, and the
 * spawn records that name each thread's process. */
static struct ms_event *keep_events(const struct ms_event *ev, size_t nev, size_t *n)
{
	struct ms_event *out = xcalloc(nev + 1, sizeof(*out));

	*n = 0;
	for (size_t i = 0; i < nev; i++)
		if (ev[i].type == MS_EV_STEP || ev[i].type == MS_EV_SPAWN)
			out[(*n)++] = ev[i];
	return out;
}

/* One MPM: a private server, one connection, its story told (and kept in
 * run for the picture). 0, or -1 with e set. */
static int explain_one(const struct scenario *sc, const struct apache *proto, const struct common_opts *o,
		       const struct explain_opts *x, enum mpm m, struct story_run *run, struct errbuf *e)
{
	const char *kat = scenario_directive(sc, m, "KeepAliveTimeout");
	struct session ss;
	int rc;

	memset(run, 0, sizeof(*run));
	rc = session_start(&ss, proto, sc, m, &o->tracer, e);
	if (!rc)
		rc = run_client(&ss, sc->url_path, o->requests ? (int)o->requests : 2, x->pause_s,
				(kat ? atof(kat) : 5) + 10, &run->cv, e);
	session_stop(&ss);
	if (!rc) {
		size_t nev;
		const struct ms_event *ev = tracer_events(ss.t, &nev);

		run->srv = (struct story_server){ .mpm = m, .root = ss.a.proc.pid, .version = proto->version,
						  .addr = proto->addr, .port = ss.a.port, .ka_timeout = kat };
		if (strstr(tracer_missing_tps(ss.t), "sock_recv_length"))
			fprintf(stderr, "mpmscope: note: this kernel lacks %s: reads and writes are not shown\n",
				tracer_missing_tps(ss.t));
		run->ev = keep_events(ev, nev, &run->nev);
		report_story(stdout, &run->srv, &run->cv, run->ev, run->nev);
	}
	session_end(&ss);
	return rc ? -1 : 0;
}

int cmd_explain(int argc, char **argv)
{
	struct explain_opts x = { .pause_s = 0.2 };
	struct cmd_spec spec = explain_spec;
	struct common_opts o;
	struct errbuf e = { { 0 } };
	struct scenario sc;
	struct apache proto;
	struct story_run runs[MPM__MAX];
	enum mpm one;
	int rc, nruns = 0;

	spec.ctx = &x;
	if ((rc = opts_get(&spec, argc, argv, &o, NULL)) != OPTS_GO)
		return rc;
	if ((o.html && o.nmpms > 1 ? 0 : opts_one_mpm(&spec, &o, &one, &e)) || opts_check_outputs(&o, &e) ||
	    tracer_preflight(&o.tracer, &e) || scenario_load(&sc, o.scenario ? o.scenario : "keepalive", &e))
		goto usage_err;
	if (sc.tls) /* its one connection is read with load/http.c, in plain HTTP */
		err_set(&e, "explain: scenario %s uses TLS; explain's connection speaks plain HTTP", sc.name);
	if (e.msg[0] || session_find_apache(&proto, o.httpd, 0, &e)) {
		scenario_free(&sc);
		goto usage_err;
	}
	rc = 0;
	for (int m = 0; m < MPM__MAX && !rc; m++)
		if (o.mpms[m] && !(rc = explain_one(&sc, &proto, &o, &x, (enum mpm)m, &runs[nruns], &e)))
			nruns++;
	if (!rc && o.html && report_story_html(runs, nruns, o.html, &e))
		rc = -1;
	for (int i = 0; i < nruns; i++)
		free((void *)runs[i].ev);
	scenario_free(&sc);
	if (rc) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		return sig_interrupted ? 130 : 2;
	}
	return 0;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
