// SPDX-License-Identifier: MIT
/*
 * serve: a Prometheus exporter of a running Apache. Attaches like `trace`
 * (-p PID or -C COMM), then answers GET /metrics with the kernel's counters
 * as they stand (report/prom.c renders them) over the small HTTP server of
 * cmd/serve_http.c. The tracer's draining thread folds the connection
 * records under a mutex, so memory stays flat however long it runs.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "cmd/serve_http.h"
#include "model/conns.h"
#include "report/prom.h"
#include "trace/attach.h"
#include "trace/tracer.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:9464"

struct exporter {
	pthread_mutex_t lock;
	struct conn_agg conns;        /* under lock: the draining thread adds */
	struct tracer *t;
	struct attach_target *at;
	struct tracer_counts base;
	bool conns_available;
	uint64_t scrapes;
};

static void on_record(void *ctx, const struct ms_event *ev)
{
	struct exporter *x = ctx;

	if (ev->type != MS_EV_CONN_END)
		return;
	pthread_mutex_lock(&x->lock);
	conn_agg_add(&x->conns, ev);
	pthread_mutex_unlock(&x->lock);
}

static void metrics(struct exporter *x, struct sbuf *body)
{
	struct tracer_counts now;
	struct prom_source s = { 0 };

	tracer_read_counts(x->t, &now);
	pthread_mutex_lock(&x->lock);
	s.conns = x->conns.n;
	pthread_mutex_unlock(&x->lock);
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
	prom_render(body, &s);
}

static void handler(void *ctx, const char *path, struct http_response *r)
{
	struct exporter *x = ctx;

	if (!strcmp(path, "/metrics")) {
		r->ctype = "text/plain; version=0.0.4; charset=utf-8";
		metrics(x, &r->body);
	} else if (!strcmp(path, "/")) {
		r->ctype = "text/html; charset=utf-8";
		sb_puts(&r->body, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mpmscope exporter</title>"
				  "</head>\n<body><h1>mpmscope exporter</h1>\n<p>Apache ");
		sb_esc(&r->body, x->at->comm); /* the process's own name */
		sb_printf(&r->body, " pid %d, %s MPM.</p>\n<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n",
			  (int)x->at->root, mpm_name(x->at->mpm));
	} else {
		r->status = 404;
	}
}

/* Serving stops when the server it follows is gone. */
static int server_alive(void *ctx, struct errbuf *e)
{
	struct exporter *x = ctx;

	if (kill(x->at->root, 0) < 0 && errno == ESRCH) {
		err_set(e, "serve: the server (%s %d) exited", x->at->comm, (int)x->at->root);
		return 1;
	}
	return 0;
}

static const struct cmd_spec serve_spec = {
	.name = "serve",
	.usage = "[--listen ADDR:PORT] (-p PID | -C COMM) [--no-btf-tracepoints] [--btf PATH] [-v]",
	.about = "A Prometheus exporter of a running Apache: follows it in the kernel like 'trace' (no load is\n"
		 "generated) and answers GET /metrics with its figures in the Prometheus text format: tasks created\n"
		 "and alive, accepts, wake-ups, CPU and off-CPU time, run-queue latency, keep-alive, connections.\n"
		 "Stops on SIGINT/SIGTERM (exit 0) or when the server exits (exit 1).",
	.opts = OPTS({ OPT_LISTEN, .help = "where to serve (default " SERVE_DEFAULT_LISTEN "; PORT 0 picks a free one;\n"
					   "[::1]:PORT for IPv6; any non-loopback address is served with a warning)" },
		     { OPT_PID }, { OPT_COMM }, OPTS_PROBES),
};

int cmd_serve(int argc, char **argv)
{
	struct exporter x = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct common_opts o;
	struct errbuf e = { { 0 } };
	struct attach_target at;
	char shown[NI_MAXHOST + NI_MAXSERV + 8];
	int rc, lfd = -1;
	bool loopback;

	if ((rc = opts_get(&serve_spec, argc, argv, &o, NULL)) != OPTS_GO)
		return rc;
	/* Everything that can be refused is refused before the probes load. */
	if (opts_target(&serve_spec, &o, &e) || tracer_preflight(&o.tracer, &e) ||
	    attach_find(&at, o.pid, o.comm, &e) || attach_detect_mpm(&at, &e) ||
	    http_listen(o.listen ? o.listen : SERVE_DEFAULT_LISTEN, &lfd, shown, sizeof(shown), &loopback, &e))
		goto usage_err;
	o.tracer.on_event = on_record;
	o.tracer.on_event_ctx = &x;
	o.tracer.discard_events = true;
	conn_agg_init(&x.conns);
	if (attach_open(&at, &o.tracer, &x.t, &e)) {
		close(lfd);
		conn_agg_free(&x.conns);
		goto usage_err;
	}
	x.at = &at;
	x.conns_available = at.nports > 0 && !strstr(tracer_missing_tps(x.t), "sock_recv_length");
	tracer_read_counts(x.t, &x.base);
	if (!loopback)
		fprintf(stderr, "mpmscope: warning: serving on %s, not a loopback address: whoever reaches it can read "
				"the metrics\n", shown);
	printf("serving %s %d (%s MPM: %s), %d processes, %d threads, on http://%s/metrics; Ctrl-C to stop\n",
	       at.comm, (int)at.root, mpm_name(at.mpm), at.mpm_how, at.procs, at.threads, shown);

	rc = http_serve(lfd, handler, server_alive, &x, &e);
	close(lfd);
	tracer_stop(x.t);
	tracer_close(x.t);
	conn_agg_free(&x.conns);
	if (rc)
		fprintf(stderr, "mpmscope: %s\n", e.msg);
	return rc;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
