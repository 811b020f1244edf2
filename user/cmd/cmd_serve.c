// SPDX-License-Identifier: MIT
/*
 * serve: a Prometheus exporter of a running Apache. Attaches like `trace`
 * (-p PID, -C COMM, --pidfile FILE or --port N), then answers GET /metrics
 * with the kernel's counters as they stand (report/prom.c renders them)
 * over the small HTTP server of cmd/serve_http.c.
 *
 * It outlives the server: when the Apache it follows exits (a stop, a
 * crash, a restart in full), it keeps answering with mpmscope_up 0, looks
 * for the server again every second the way it was named, and follows the
 * new one (mpmscope_up 1); the counters of the servers followed add up, so
 * they never go backwards. A graceful restart keeps the parent: nothing
 * changes. After the first attach it drops root for an unprivileged user
 * with the four capabilities that following a server still needs.
 *
 * Three threads. The tracer's draining thread folds the connection
 * records (and their causes) under the mutex, so memory stays flat however
 * long it runs. The follower thread watches the server, detaches from one
 * that is gone and attaches to the next (a BPF load or detach takes about
 * a second), building each tracer apart and publishing it under the mutex.
 * The HTTP loop's thread only answers, reading what is published: a scrape
 * never waits for an attach.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "apache/livelog.h"
#include "base/procfs.h"
#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "cmd/privs.h"
#include "cmd/serve_http.h"
#include "model/conns.h"
#include "model/model.h"
#include "model/outcomes.h"
#include "report/prom.h"
#include "trace/attach.h"
#include "trace/tracer.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9731"
#define SERVE_LOOK_NS NSEC_PER_SEC      /* between two looks for a server that is gone */
#define SERVE_COLLECT_NS NSEC_PER_SEC   /* between two reads of the listen queue and the logs */

struct exporter {
	pthread_mutex_t lock;
	struct conn_agg conns;        /* under lock: the draining thread adds */
	struct outcome_agg out;       /* under lock too */
	struct backend_stream *bs;    /* under lock too: Apache's connects to php-fpm, paired */
	/* written by the follower under lock, read by the HTTP side under it */
	struct tracer *t;             /* NULL while no server is followed */
	struct attach_target at;      /* the server followed, or the last one */
	struct tracer_counts base;    /* the current tracer's, right after seeding */
	struct tracer_counts acc;     /* what the tracers before it counted, in all */
	struct livelog *logs;
	bool conns_available, up;
	uint64_t attaches, scrapes;
	/* the follower's own */
	struct tracer_opts topts;     /* the probe options, for each attach */
	uint64_t next_look, next_collect;
	bool exit_with_server, no_backends;
	pthread_t follower;
	int stop;                     /* the HTTP side asks the follower to end */
	int ended;                    /* the follower stopped serving (rc, err set before) */
	int follower_rc;
	struct errbuf follower_err;
	/* how the server was named */
	pid_t pid;
	const char *comm, *pidfile, *user;
	uint16_t port;
	struct http_stats http;
	const char *fail_ids[FC__MAX];
};

static void on_record(void *ctx, const struct ms_event *ev)
{
	struct exporter *x = ctx;

	pthread_mutex_lock(&x->lock);
	if (ev->type == MS_EV_CONN_END) {
		conn_agg_add(&x->conns, ev);
		outcomes_conn(&x->out, ev);
	} else if (ev->type == MS_EV_CONNECT) {
		outcomes_connect(&x->out, ev);
		backend_stream_connect(x->bs, ev);
	} else if (ev->type == MS_EV_ACCEPT && (ev->flags & MS_EVF_BACKEND)) {
		backend_stream_accept(x->bs, ev);
	} else if (ev->type == MS_EV_RST_AFTER_CLOSE) {
		outcomes_rst_after_close(&x->out, ev);
	}
	pthread_mutex_unlock(&x->lock);
}

static void on_never_in(void *ctx, const struct ms_client *cl, const struct ms_syn_wait *w)
{
	outcomes_never_in(&((struct exporter *)ctx)->out, cl, w);
}

static void on_log_line(void *ctx, enum livelog_kind kind, const char *line)
{
	struct exporter *x = ctx;

	if (kind == LIVELOG_ACCESS)
		outcomes_http_status(&x->out, livelog_status(line), line);
}

/* The listen queue's clients that gave up, and the access log's errors. */
static void collect(struct exporter *x, struct tracer *t, bool all)
{
	pthread_mutex_lock(&x->lock);
	tracer_reap_syn_waits(t, 3 * NSEC_PER_SEC, all, on_never_in, x);
	if (x->logs)
		livelog_poll(x->logs, on_log_line, x);
	pthread_mutex_unlock(&x->lock);
}

static void metrics(struct exporter *x, struct sbuf *body)
{
	struct tracer_counts now, tot, gbase;
	struct prom_source s = { 0 };
	struct procfs_self self;
	int32_t blocked[MS_OFF__MAX];
	uint64_t failures[FC__MAX];
	struct ms_hist bwait;

	/* totals: the servers before, plus this one; the gauges of tasks alive
	 * come from this one's seeding on. Under the lock: the follower swaps
	 * the tracer (and adds what it counted to acc) under it. */
	pthread_mutex_lock(&x->lock);
	if (x->t)
		tracer_read_counts(x->t, &now);
	else
		memset(&now, 0, sizeof(now));
	tracer_counts_add(&tot, &x->acc, &now);
	tracer_counts_add(&gbase, &x->acc, x->t ? &x->base : &now);
	s.conns = x->conns.n;
	memcpy(failures, x->out.by_cause, sizeof(failures));
	s.mpm = mpm_name(x->at.mpm);
	s.comm = x->at.comm;
	s.attach_mode = x->t ? tracer_attach_mode(x->t) : "none";
	s.syscall_mode = x->t ? tracer_syscall_mode(x->t) : "none";
	s.httpd_pid = x->at.root;
	s.seeded_procs = x->t ? x->at.procs : 0;
	s.seeded_threads = x->t ? x->at.threads : 0;
	s.base = &gbase;
	s.now = &tot;
	s.conns_available = x->conns_available;
	s.scrapes = ++x->scrapes;
	s.up = x->up;
	s.attaches = x->attaches;
	s.failures = failures;
	s.failure_ids = x->fail_ids;
	s.nfailures = FC__MAX;
	s.ports = x->at.ports;
	s.nports = x->at.nports;
	s.syn_watch = x->t && tracer_syn_watching(x->t);
	s.backends = x->t ? x->at.nbackends : 0;
	backend_stream_counts(x->bs, &s.backend_accepts, &s.backend_paired, &bwait);
	s.backend_wait = &bwait;
	if (x->t) {
		tracer_read_gauge(x->t, blocked);
		s.blocked = blocked;
		s.free_tasks = x->at.mpm == MPM_PREFORK ? blocked[MS_OFF_WAIT_CONN] + blocked[MS_OFF_ACCEPT_MUTEX]
							: blocked[MS_OFF_IDLE_WORKER];
	}
	if (!procfs_self_stats(&self)) {
		s.self.cpu_s = self.cpu_s;
		s.self.start_s = self.start_s;
		s.self.rss = self.rss;
		s.self.vsize = self.vsize;
		s.self.fds = self.fds;
		s.self.max_fds = self.max_fds;
	}
	s.self.http_accepted = x->http.accepted;
	s.self.http_evicted = x->http.evicted;
	s.self.http_timed_out = x->http.timed_out;
	s.self.http_open = x->http.open;
	prom_render(body, &s); /* s points into x->at */
	pthread_mutex_unlock(&x->lock);
}

static void handler(void *ctx, const char *path, struct http_response *r)
{
	struct exporter *x = ctx;

	if (!strcmp(path, "/metrics")) {
		r->ctype = "text/plain; version=0.0.4; charset=utf-8";
		metrics(x, &r->body);
	} else if (!strcmp(path, "/")) {
		r->ctype = "text/html; charset=utf-8";
		pthread_mutex_lock(&x->lock);
		sb_puts(&r->body, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mpmscope exporter</title>"
				  "</head>\n<body><h1>mpmscope exporter</h1>\n<p>Apache ");
		sb_esc(&r->body, x->at.comm); /* the process's own name */
		sb_printf(&r->body, " pid %d, %s MPM, %s.</p>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n",
			  (int)x->at.root, mpm_name(x->at.mpm), x->up ? "followed" : "gone: waiting for it to start again");
		pthread_mutex_unlock(&x->lock);
	} else {
		r->status = 404;
	}
}

/* Follow the server at (found): open the tracer, seed it, find its
 * listeners and its logs, all apart; then publish them at once. */
static int follow(struct exporter *x, struct attach_target *at, struct errbuf *e)
{
	struct tracer_opts to = x->topts;
	struct tracer_counts base;
	struct livelog *logs, *old;
	struct tracer *t;
	bool conns;

	if (attach_detect_mpm(at, e))
		return -1;
	if (!x->no_backends)
		attach_find_backends(at);
	to.on_event = on_record;
	to.on_event_ctx = x;
	to.discard_events = true;
	if (attach_open(at, &to, &t, e))
		return -1;
	/* the kernel does not change: for the next servers, the ways it
	 * refused this time are not asked again */
	x->topts.syscall_from = tracer_syscall_probes(t);
	tracer_scan_listeners(t);
	tracer_read_counts(t, &base);
	conns = at->nports > 0 && !strstr(tracer_missing_tps(t), "sock_recv_length");
	logs = livelog_open(at->root);
	pthread_mutex_lock(&x->lock);
	x->t = t;
	x->at = *at;
	x->base = base;
	x->conns_available = conns;
	old = x->logs;
	x->logs = logs;
	x->out.mpm = at->mpm;
	x->up = true;
	x->attaches++;
	pthread_mutex_unlock(&x->lock);
	livelog_close(old);
	x->next_collect = now_ns() + SERVE_COLLECT_NS;
	return 0;
}

/* The server is gone: what its tracer counted joins the totals, in the
 * same step as the tracer leaves (no scrape sees the counters go back);
 * then the detach, which takes its time, with nothing held. */
static void unfollow(struct exporter *x)
{
	struct tracer_counts fin;
	struct tracer *t = x->t;

	pthread_mutex_lock(&x->lock);
	tracer_read_counts(t, &fin);
	tracer_counts_add(&x->acc, &x->acc, &fin);
	x->t = NULL;
	x->up = false;
	pthread_mutex_unlock(&x->lock);
	tracer_stop(t);
	collect(x, t, true);
	tracer_close(t);
}

/* The server again, named as at the start (-p: a server with the same
 * command name on the same port, the pid being gone). */
static int find_server(struct exporter *x, struct attach_target *at, bool again, struct errbuf *e)
{
	if (x->pidfile)
		return attach_find_pidfile(at, x->pidfile, e);
	if (x->port)
		return attach_find_port(at, x->port, e);
	if (x->comm)
		return attach_find(at, 0, x->comm, e);
	if (!again)
		return attach_find(at, x->pid, NULL, e);
	if (x->at.nports) {
		if (attach_find_port(at, x->at.ports[0], e))
			return -1;
		if (strcmp(at->comm, x->at.comm)) {
			err_set(e, "port %u is %s's now, not %s's", x->at.ports[0], at->comm, x->at.comm);
			return -1;
		}
		return 0;
	}
	return attach_find(at, 0, x->at.comm, e);
}

/* Every ~250 ms on the follower: is the server still there; if not, is
 * there a new one; the listen queue and the logs every second. */
static int watch(struct exporter *x, struct errbuf *e)
{
	uint64_t now = now_ns();

	if (x->t && kill(x->at.root, 0) < 0 && errno == ESRCH) {
		unfollow(x);
		if (x->exit_with_server) {
			err_set(e, "serve: the server (%s %d) exited", x->at.comm, (int)x->at.root);
			return 1;
		}
		fprintf(stderr, "mpmscope: serve: the server (%s %d) exited; looking for it every second\n", x->at.comm,
			(int)x->at.root);
		x->next_look = now;
	}
	if (!x->t && now >= x->next_look) {
		struct attach_target at;
		struct errbuf e2 = { { 0 } };

		x->next_look = now + SERVE_LOOK_NS;
		if (!find_server(x, &at, true, &e2) && !follow(x, &at, &e2))
			fprintf(stderr, "mpmscope: serve: following %s %d (%s MPM) again\n", at.comm, (int)at.root,
				mpm_name(at.mpm));
	}
	if (x->t && now >= x->next_collect) {
		collect(x, x->t, false);
		x->next_collect = now + SERVE_COLLECT_NS;
	}
	return 0;
}

static void *follower_main(void *arg)
{
	struct exporter *x = arg;

	while (!__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE)) {
		int rc = watch(x, &x->follower_err);

		if (rc) {
			x->follower_rc = rc;
			__atomic_store_n(&x->ended, 1, __ATOMIC_RELEASE);
			break;
		}
		for (int i = 0; i < 5 && !__atomic_load_n(&x->stop, __ATOMIC_ACQUIRE); i++)
			usleep(50 * 1000);
	}
	return NULL;
}

/* The follower, started once privileges are dropped (a thread takes its
 * creator's credentials), with the signals left to the HTTP loop's thread. */
static int follower_start(struct exporter *x, struct errbuf *e)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&x->follower, NULL, follower_main, x);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		err_set(e, "serve: cannot start the follower thread: %s", strerror(rc));
	return rc ? -1 : 0;
}

/* Every ~250 ms from the HTTP loop: whether the follower has ended it. */
static int tick(void *ctx, struct errbuf *e)
{
	struct exporter *x = ctx;

	if (!__atomic_load_n(&x->ended, __ATOMIC_ACQUIRE))
		return 0;
	*e = x->follower_err;
	return x->follower_rc;
}

enum { OPT_PIDFILE = OPT_OWN, OPT_EXIT_WITH_SERVER, OPT_USER, OPT_NO_BACKENDS };

static int serve_own(void *ctx, int id, const char *arg, struct errbuf *e)
{
	struct exporter *x = ctx;

	if (id == OPT_PIDFILE)
		x->pidfile = arg;
	else if (id == OPT_EXIT_WITH_SERVER)
		x->exit_with_server = true;
	else if (id == OPT_NO_BACKENDS)
		x->no_backends = true;
	else
		x->user = arg;
	return 0;
}

static const struct cmd_spec serve_spec = {
	.name = "serve",
	.usage = "[--listen ADDR:PORT] (-p PID | -C COMM | --pidfile FILE | --port N) [--exit-with-server]\n"
		 "       [--user NAME] [--no-btf-tracepoints] [--btf PATH] [-v]",
	.about = "A Prometheus exporter of a running Apache: follows it in the kernel like 'trace' (no load is\n"
		 "generated) and answers GET /metrics with its figures in the Prometheus text format: tasks created\n"
		 "and alive, accepts, wake-ups, CPU and off-CPU time, run-queue latency, keep-alive, connections,\n"
		 "their failures by cause. When the server exits it keeps answering (mpmscope_up 0) and follows\n"
		 "the next one found the same way (mpmscope_up 1). Stops on SIGINT/SIGTERM (exit 0).",
	.opts = OPTS({ OPT_LISTEN, .alias = "web.listen-address",
		       .help = "where to serve (default " SERVE_DEFAULT_LISTEN "; PORT 0 picks a free one;\n"
			       "[::1]:PORT for IPv6; any non-loopback address is served with a warning)" },
		     { OPT_PID, .help = "the httpd parent (a child's pid leads to it); when it exits, a server with\n"
					"the same command name on the same port is followed" },
		     { OPT_COMM },
		     { OPT_PIDFILE, "pidfile", 0, "FILE", "the server whose pid is in FILE (Apache's PidFile)" },
		     { OPT_PORT, .help = "the server listening on port N" },
		     { OPT_EXIT_WITH_SERVER, "exit-with-server", 0, NULL,
		       "exit (status 1) when the server exits, instead of waiting for the next one" },
		     { OPT_NO_BACKENDS, "no-backends", 0, NULL,
		       "do not follow the host's php-fpm masters and pools (the mpmscope_backend_* metrics)" },
		     { OPT_USER, "user", 0, "NAME",
		       "once attached, run as this user with only the capabilities it needs (default nobody;\n"
		       "root: stay root)" },
		     OPTS_PROBES),
	.own = serve_own,
};

/* A thousand clients at once need more descriptors than a shell's 1024. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 4096 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Exactly one way of naming the server. */
static int one_target(struct exporter *x, const struct common_opts *o, struct errbuf *e)
{
	int n = (o->pid > 0) + (o->comm != NULL) + (x->pidfile != NULL) + (o->port > 0);

	if (n != 1) {
		err_set(e, "serve: name the server with exactly one of -p PID, -C COMM, --pidfile FILE and --port N");
		return -1;
	}
	x->pid = o->pid;
	x->comm = o->comm;
	x->port = o->port;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct exporter x = { .lock = PTHREAD_MUTEX_INITIALIZER, .user = "nobody" };
	struct cmd_spec spec = serve_spec;
	struct common_opts o;
	struct errbuf e = { { 0 } };
	struct attach_target at;
	char shown[NI_MAXHOST + NI_MAXSERV + 8];
	int rc, lfd = -1;
	bool loopback;

	spec.ctx = &x;
	if ((rc = opts_get(&spec, argc, argv, &o, NULL)) != OPTS_GO)
		return rc;
	raise_nofile();
	/* Everything that can be refused is refused before the probes load. */
	if (one_target(&x, &o, &e) || tracer_preflight(&o.tracer, &e) || find_server(&x, &at, false, &e) ||
	    http_listen(o.listen ? o.listen : SERVE_DEFAULT_LISTEN, &lfd, shown, sizeof(shown), &loopback, &e))
		goto usage_err;
	for (int i = 0; i < FC__MAX; i++)
		x.fail_ids[i] = fail_cause_id((enum fail_cause)i);
	x.topts = o.tracer;
	conn_agg_init(&x.conns);
	outcomes_init(&x.out, at.mpm, now_ns());
	x.bs = backend_stream_new();
	if (follow(&x, &at, &e) || privs_after_attach(x.user, false, &e)) {
		close(lfd);
		if (x.t)
			unfollow(&x);
		livelog_close(x.logs);
		conn_agg_free(&x.conns);
		backend_stream_free(x.bs);
		goto usage_err;
	}
	if (!loopback)
		fprintf(stderr, "mpmscope: warning: serving on %s, not a loopback address: whoever reaches it can read "
				"the metrics\n", shown);
	printf("serving %s %d (%s MPM: %s), %d processes, %d threads, on http://%s/metrics; Ctrl-C to stop\n",
	       at.comm, (int)at.root, mpm_name(at.mpm), at.mpm_how, at.procs, at.threads, shown);
	if (at.nbackends)
		printf("backends: %d php-fpm master%s, %d pool process%s, followed (--no-backends: not)\n", at.nbackends,
		       at.nbackends == 1 ? "" : "s", at.backend_procs, at.backend_procs == 1 ? "" : "es");
	fflush(stdout);

	if (follower_start(&x, &e)) {
		rc = 2;
	} else {
		rc = http_serve(lfd, handler, tick, &x, &x.http, &e);
		__atomic_store_n(&x.stop, 1, __ATOMIC_RELEASE);
		pthread_join(x.follower, NULL);
	}
	close(lfd);
	if (x.t)
		unfollow(&x);
	livelog_close(x.logs);
	conn_agg_free(&x.conns);
	backend_stream_free(x.bs);
	if (rc)
		fprintf(stderr, "mpmscope: %s\n", e.msg);
	return rc;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
