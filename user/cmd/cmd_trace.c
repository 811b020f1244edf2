// SPDX-License-Identifier: MIT
/*
 * trace: follow an Apache that mpmscope did not start (-p PID or -C COMM),
 * generate no load, print a line every -i seconds and the kernel's figures
 * at the end (-d seconds, Ctrl-C, or the server's exit). Records are folded
 * as they arrive, so memory stays flat however long it runs.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/units.h"
#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "cmd/privs.h"
#include "apache/livelog.h"
#include "model/model.h"
#include "model/outcomes.h"
#include "report/connlog.h"
#include "report/html.h"
#include "report/hist.h"
#include "report/report.h"
#include "trace/attach.h"
#include "trace/khist.h"
#include "trace/netstat.h"
#include "trace/tracer.h"

/* What the draining thread keeps: task records (rare) for the process tree,
 * connection summaries folded into an aggregate and into their outcomes;
 * the server's logs, read by the main thread, add to those. */
struct trace_state {
	pthread_mutex_t lock;
	struct vec tasks;     /* MS_EV_SPAWN and MS_EV_EXIT records */
	struct conn_agg conns;
	struct outcome_agg out;
	struct livelog *logs;
	FILE *conn_log;       /* --conn-log */
	const char *conn_log_path;
	bool no_backends;     /* --no-backends */
	struct vec btasks;    /* the backends' MS_EV_SPAWN and MS_EV_EXIT records */
	struct backend_stream *bs; /* Apache's connects to them, paired with their accepts */
};

static void on_record(void *ctx, const struct ms_event *ev)
{
	struct trace_state *st = ctx;

	pthread_mutex_lock(&st->lock);
	if (ev->type == MS_EV_SPAWN || ev->type == MS_EV_EXIT) {
		memcpy(vec_push(ev->flags & MS_EVF_BACKEND ? &st->btasks : &st->tasks), ev, sizeof(*ev));
	} else if (ev->type == MS_EV_ACCEPT && (ev->flags & MS_EVF_BACKEND)) {
		backend_stream_accept(st->bs, ev);
	} else if (ev->type == MS_EV_CONN_END) {
		int cause = outcomes_conn(&st->out, ev);

		conn_agg_add(&st->conns, ev);
		if (st->conn_log)
			connlog_conn(st->conn_log, st->out.t0, ev, cause);
	} else if (ev->type == MS_EV_CONNECT) {
		outcomes_connect(&st->out, ev);
		backend_stream_connect(st->bs, ev);
	} else if (ev->type == MS_EV_RST_AFTER_CLOSE) {
		int cause = outcomes_rst_after_close(&st->out, ev);

		if (st->conn_log)
			connlog_rst_after_close(st->conn_log, st->out.t0, ev, cause);
	}
	pthread_mutex_unlock(&st->lock);
}

static void on_never_in(void *ctx, const struct ms_client *cl, const struct ms_syn_wait *w)
{
	struct trace_state *st = ctx;

	outcomes_never_in(&st->out, cl, w);
	if (st->conn_log)
		connlog_never_in(st->conn_log, st->out.t0, cl, w);
}

static void on_log_line(void *ctx, enum livelog_kind kind, const char *line)
{
	struct trace_state *st = ctx;

	if (kind == LIVELOG_ERROR)
		failures_errlog_line(&st->out.ff, line);
	else if (kind == LIVELOG_ACCESS)
		outcomes_http_status(&st->out, livelog_status(line), line);
}

static void on_open_conn(void *ctx, __u64 sk, const struct ms_conn *c)
{
	struct trace_state *st = ctx;
	uint64_t now = now_ns();
	int cause = outcomes_open(&st->out, sk, c, now);

	if (st->conn_log && cause >= 0) {
		struct ms_event ev = { .ts = now, .type = MS_EV_CONN_END, .conn_end = { .sk = sk, .c = *c } };

		connlog_conn(st->conn_log, st->out.t0, &ev, cause);
	}
}

/* What the kernel and the logs have said since the last look: clients that
 * gave up on a dropped handshake, new log lines. At the end (all): every
 * client still waiting, and the connections still open that already failed
 * (their client gave up while they waited in the listen queue). */
static void collect(struct tracer *t, struct trace_state *st, bool all)
{
	pthread_mutex_lock(&st->lock);
	tracer_reap_syn_waits(t, 3 * NSEC_PER_SEC, all, on_never_in, st);
	livelog_poll(st->logs, on_log_line, st);
	if (all)
		tracer_open_conns(t, on_open_conn, st);
	pthread_mutex_unlock(&st->lock);
}

enum { OPT_CONN_LOG = OPT_OWN, OPT_NO_BACKENDS };

static int trace_own(void *ctx, int id, const char *arg, struct errbuf *e)
{
	struct trace_state *st = ctx;

	if (id == OPT_NO_BACKENDS) {
		st->no_backends = true;
		return 0;
	}
	if (check_writable(arg, e))
		return -1;
	st->conn_log_path = arg;
	return 0;
}

static const struct cmd_spec trace_spec = {
	.name = "trace",
	.usage = "(-p PID | -C COMM) [-d SECONDS] [-T] [--hist] [--json FILE] [--html FILE] [--conn-log FILE]\n"
		 "       [--no-backends] [interval [count]]",
	.about = "Follow a running Apache (started by anyone: apachectl, systemd...) in the kernel, without\n"
		 "generating load: its processes and threads, accepts, wake-ups, run queue, off-CPU time and\n"
		 "connections. A line every interval seconds (default 1), count times (default: until -d,\n"
		 "Ctrl-C or the server's exit), as runqlat takes them; the full figures at the end.",
	.opts = OPTS({ OPT_PID }, { OPT_COMM },
		     { OPT_DURATION, .help = "stop after this long (default: until Ctrl-C or the server exits)" },
		     { OPT_INTERVAL, .help = "the interval, as the positional argument (default 1; 0: no lines)" },
		     { OPT_TIMESTAMP }, { OPT_HIST, .help = "at each interval, log2 histograms (nsecs) of run-queue\n"
							      "latency per role, off-CPU time per reason, listen-queue\n"
							      "and keep-alive idle time, as runqlat prints them" },
		     { OPT_JSON, .help = "write the figures as JSON (same keys as compare's kernel facts; -: stdout)" },
		     { OPT_HTML, .help = "write them as a self-contained HTML report (its failures, their evidence)" },
		     { OPT_CONN_LOG, "conn-log", 0, "FILE",
		       "one JSON line per connection as it closes, with its cause (and each client that never\n"
		       "got in): the server's story of every client (-: stdout)" },
		     { OPT_NO_BACKENDS, "no-backends", 0, NULL,
		       "do not follow the host's php-fpm masters and pools (Apache's PHP backends: their\n"
		       "roles, and how long Apache's connections waited for a free worker)" },
		     OPTS_PROBES),
	.max_args = 2,
	.own = trace_own,
};

static uint64_t delta(const struct tracer_counts *b, const struct tracer_counts *a, int c)
{
	return b->c[c] >= a->c[c] ? b->c[c] - a->c[c] : 0;
}

static void interval_line(struct tracer *tr, const struct attach_target *at, const struct tracer_counts *start,
			  const struct tracer_counts *prev, const struct tracer_counts *now, double secs, uint64_t failed,
			  bool header, bool stamp)
{
	int32_t blocked[MS_OFF__MAX];
	int free_;
	int64_t procs = at->procs + (int64_t)delta(now, start, MS_C_PROC_CREATED) -
			(int64_t)delta(now, start, MS_C_PROC_EXITED);
	int64_t threads = at->threads + (int64_t)delta(now, start, MS_C_PROC_CREATED) +
			  (int64_t)delta(now, start, MS_C_THREAD_CREATED) - (int64_t)delta(now, start, MS_C_PROC_EXITED) -
			  (int64_t)delta(now, start, MS_C_THREAD_EXITED);
	uint64_t wake = 0;
	struct ms_hist rq = { 0 };
	struct dist h;
	double held = 0;
	char ts[16], b[16];
	time_t t = time(NULL);

	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++)
			wake += now->sched.wakeups[w][e] - prev->sched.wakeups[w][e];
	for (int role = 0; role < MS_ROLE__MAX; role++) {
		struct ms_hist d;

		khist_diff(&d, &now->hists[MS_H_RUNQ + role], &prev->hists[MS_H_RUNQ + role]);
		khist_add(&rq, &d);
		held += (double)(now->sched.off_ns[role][MS_OFF_KEEPALIVE] - prev->sched.off_ns[role][MS_OFF_KEEPALIVE]) / 1e9;
	}
	h = dist_of_khist(&rq);
	tracer_read_gauge(tr, blocked);
	free_ = at->mpm == MPM_PREFORK ? blocked[MS_OFF_WAIT_CONN] + blocked[MS_OFF_ACCEPT_MUTEX]
				       : blocked[MS_OFF_IDLE_WORKER];
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	if (header)
		printf("%s%6s %7s %6s %6s %6s %8s %8s %5s %9s %9s %8s %5s %5s\n", stamp ? "time     " : "", "procs",
		       "threads", "+procs", "+thr", "exits", "accepts", "requests", "free", "wakeups/s", "runq p99", "held-s",
		       "fail", "lost");
	printf("%s%s%6lld %7lld %6llu %6llu %6llu %8llu %8llu %5d %9.0f %9s %8.2f %5llu %5llu\n", stamp ? ts : "",
	       stamp ? " " : "", (long long)procs,
	       (long long)threads, (unsigned long long)delta(now, prev, MS_C_PROC_CREATED),
	       (unsigned long long)delta(now, prev, MS_C_THREAD_CREATED),
	       (unsigned long long)(delta(now, prev, MS_C_PROC_EXITED) + delta(now, prev, MS_C_THREAD_EXITED)),
	       (unsigned long long)delta(now, prev, MS_C_ACCEPT_OK), (unsigned long long)delta(now, prev, MS_C_REQUESTS),
	       free_, secs > 0 ? (double)wake / secs : 0, h.n ? fmt_duration_us(b, sizeof(b), h.p99) : "-", held,
	       (unsigned long long)failed, (unsigned long long)now->c[MS_C_RB_DROPS]);
}

/* Interval lines until count, -d, Ctrl-C or the server's exit. Returns
 * whether the server exited; fin holds the counters at the end (after count
 * intervals, those of the last line: the lines add up to the whole). */
static bool trace_loop(struct tracer *t, struct trace_state *st, const struct attach_target *at,
		       const struct common_opts *o, const struct tracer_counts *c0, struct tracer_counts *fin)
{
	struct tracer_counts prev = *c0, now;
	uint64_t t_start = now_ns(), t_last = t_start, failed_before = 0;
	double interval = o->interval_s >= 0 ? o->interval_s : 1;
	bool header = true, gone = false;
	uint64_t lines = 0;

	while (!sig_interrupted) {
		uint64_t tnow;

		usleep(50 * 1000);
		tnow = now_ns();
		if (kill(at->root, 0) < 0) {
			gone = true;
			break;
		}
		if (o->duration_s > 0 && (double)(tnow - t_start) / 1e9 >= o->duration_s)
			break;
		if (interval > 0 && (double)(tnow - t_last) / 1e9 >= interval) {
			uint64_t failed;

			collect(t, st, false);
			tracer_read_counts(t, &now);
			pthread_mutex_lock(&st->lock);
			failed = outcomes_failed(&st->out);
			pthread_mutex_unlock(&st->lock);
			interval_line(t, at, c0, &prev, &now, (double)(tnow - t_last) / 1e9, failed - failed_before, header,
				      o->timestamps);
			failed_before = failed;
			if (o->hist)
				hist_print_interval(stdout, &now, &prev, at->nports > 0);
			header = o->hist;
			prev = now;
			t_last = tnow;
			if (o->count && ++lines >= o->count) {
				/* the figures of the lines printed; the listeners'
				 * own counters as they end */
				*fin = now;
				tracer_scan_listeners(t);
				tracer_read_listeners(t, fin->listen);
				return false;
			}
		}
	}
	tracer_scan_listeners(t); /* the listeners' own counters, as they end */
	tracer_read_counts(t, fin);
	return gone;
}

/* php-fpm, as the trace saw it: its pool's time, and Apache's wait for it. */
static void trace_backend_line(const struct kernel_facts *k)
{
	const struct backend_facts *b = &k->backend;
	const struct dist *q = &b->queue_us;

	printf("php-fpm: %llu connections from Apache accepted by its pools, %llu paired with Apache's connect",
	       (unsigned long long)b->accepts, (unsigned long long)b->paired);
	if (q->n)
		printf(": they waited %.0f us (p50) / %.0f us (p99) for a free worker", q->p50, q->p99);
	if (b->accepts && isfinite(b->busy_us_per_connection))
		printf("; %.0f us in php-fpm per connection", b->busy_us_per_connection);
	printf("\n");
}

/* The figures of the whole trace, through the same model as compare. */
static int trace_report(struct tracer *t, struct trace_state *st, const struct attach_target *at,
			const struct tracer_counts *c0, const struct tracer_counts *fin, const struct netstat *net,
			uint64_t t_start, bool server_gone, const struct common_opts *o)
{
	struct run_model r;
	struct scenario sc;
	struct report rep = { 0 };
	struct errbuf e = { { 0 } };
	int rc = 0;

	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	r.attached = true;
	r.seeded_procs = (uint32_t)at->procs;
	r.seeded_threads = (uint32_t)at->threads;
	snprintf(sc.name, sizeof(sc.name), "trace");
	snprintf(sc.description, sizeof(sc.description), "%s %d traced for %.1f s, no load generated", at->comm,
		 (int)at->root, (double)(now_ns() - t_start) / 1e9);
	r.mpm = at->mpm;
	r.ran = true;
	r.httpd_pid = at->root;
	r.port = at->nports ? at->ports[0] : 0;
	r.snap_start = *c0;
	r.snap_end = *fin;
	r.t_load_start = t_start;
	r.t_load_end = now_ns();
	r.t_stopped = r.t_load_end;
	r.interrupted = sig_interrupted;
	model_probe_paths(&r.k, t);
	pthread_mutex_lock(&st->lock);
	model_build_kernel(&r, fin, st->tasks.data, st->tasks.len, NULL, 0);
	model_build_backend_stream(&r, fin, st->btasks.data, st->btasks.len, st->bs);
	conn_facts_from(&r.k.conn, &st->conns, fin, r.k.missing_tps);
	outcomes_listen(&st->out, at->ports, at->nports, fin->listen, c0->listen, tracer_syn_watch(t));
	r.fail = st->out.ff;
	pthread_mutex_unlock(&st->lock);
	r.fail.net = *net;
	r.fail.synack_retrans = r.k.synack_retrans;
	failures_server_tasks(&r.fail, &r);
	rep.kind = "trace";
	rep.sc = &sc;
	rep.httpd = at->exe;
	rep.runs = &r;
	rep.nruns = 1;
	rep.interrupted = sig_interrupted;
	printf("\n%s\n", sc.description);
	if (server_gone)
		printf("the server exited during the trace\n");
	if (at->nbackends)
		trace_backend_line(&r.k);
	report_kernel_tables(&rep, stdout);
	report_failures(&rep, stdout);
	if ((o->json && report_json(&rep, o->json, &e)) || (o->html && report_html(&rep, o->html, &e))) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	model_free(&r);
	return rc;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_state st = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct common_opts o;
	struct errbuf e = { { 0 } };
	struct attach_target at;
	struct tracer *t = NULL;
	struct tracer_counts c0, fin;
	struct netstat n0, n1, net;
	uint64_t t_start;
	struct cmd_spec spec = trace_spec;
	int rc;
	bool gone;

	spec.ctx = &st;
	if ((rc = opts_get(&spec, argc, argv, &o, NULL)) != OPTS_GO)
		return rc;
	if (st.conn_log_path && !strcmp(st.conn_log_path, "-") &&
	    ((o.json && !strcmp(o.json, "-")) || (o.html && !strcmp(o.html, "-")))) {
		err_set(&e, "only one of --json, --html and --conn-log can be '-' (standard output)");
		goto usage_err;
	}
	if (opts_interval_count(&o, &e) || opts_target(&spec, &o, &e) || opts_check_outputs(&o, &e) ||
	    tracer_preflight(&o.tracer, &e) ||
	    attach_find(&at, o.pid, o.comm, &e) || attach_detect_mpm(&at, &e))
		goto usage_err;
	if (!st.no_backends)
		attach_find_backends(&at);
	o.tracer.on_event = on_record;
	o.tracer.on_event_ctx = &st;
	o.tracer.discard_events = true;
	/* what the draining thread folds records into is ready before it runs */
	if (st.conn_log_path && !strcmp(st.conn_log_path, "-"))
		st.conn_log = stdout_document_stream(&e);
	else if (st.conn_log_path && !(st.conn_log = fopen(st.conn_log_path, "w")))
		err_set(&e, "--conn-log %s: %s", st.conn_log_path, strerror(errno));
	if (st.conn_log_path && !st.conn_log)
		goto usage_err;
	vec_init(&st.tasks, sizeof(struct ms_event));
	vec_init(&st.btasks, sizeof(struct ms_event));
	st.bs = backend_stream_new();
	conn_agg_init(&st.conns);
	outcomes_init(&st.out, at.mpm, now_ns());
	if (attach_open(&at, &o.tracer, &t, &e) || privs_after_attach(NULL, true, &e)) {
		tracer_close(t);
		if (st.conn_log) {
			fclose(st.conn_log);
			if (strcmp(st.conn_log_path, "-"))
				unlink(st.conn_log_path); /* nothing written: no file left */
		}
		conn_agg_free(&st.conns);
		vec_free(&st.tasks);
		vec_free(&st.btasks);
		backend_stream_free(st.bs);
		goto usage_err;
	}
	t_start = now_ns();
	pthread_mutex_lock(&st.lock);
	st.out.t0 = t_start; /* the conn log's times count from here, as the report's */
	pthread_mutex_unlock(&st.lock);
	st.logs = livelog_open(at.root);
	tracer_scan_listeners(t);
	printf("tracing %s %d (%s MPM: %s), %d processes, %d threads, port%s", at.comm, (int)at.root,
	       mpm_name(at.mpm), at.mpm_how, at.procs, at.threads, at.nports == 1 ? "" : "s");
	for (int i = 0; i < at.nports; i++)
		printf(" %u", at.ports[i]);
	printf("%s; Ctrl-C to stop\n", at.nports ? "" : " (none found: no connection facts)");
	if (at.nbackends) {
		printf("backends: php-fpm master%s", at.nbackends == 1 ? "" : "s");
		for (int i = 0; i < at.nbackends; i++)
			printf("%s %d", i ? "," : "", (int)at.backends[i]);
		printf(", %d pool process%s, followed as fpm_master and fpm_worker (--no-backends: not)\n",
		       at.backend_procs, at.backend_procs == 1 ? "" : "es");
	}
	{
		char logs[600];

		livelog_describe(st.logs, logs, sizeof(logs));
		printf("logs: %s\nlisten queue drops per client: %s\n", logs, tracer_syn_watch(t));
	}
	/* The tracer's counters began at zero when it attached, and the
	 * connection records are kept from then: so is the trace's whole, and
	 * the first line counts from there too (the lines add up to the
	 * report). Only the listeners' counters are the kernel's own, read now. */
	memset(&c0, 0, sizeof(c0));
	tracer_read_listeners(t, c0.listen);
	netstat_read(&n0);
	gone = trace_loop(t, &st, &at, &o, &c0, &fin);
	tracer_stop(t);
	collect(t, &st, true);
	netstat_read(&n1);
	netstat_diff(&net, &n1, &n0);
	rc = trace_report(t, &st, &at, &c0, &fin, &net, t_start, gone, &o);
	tracer_close(t);
	livelog_close(st.logs);
	if (st.conn_log && fclose(st.conn_log)) {
		fprintf(stderr, "mpmscope: --conn-log %s: %s\n", st.conn_log_path, strerror(errno));
		rc = 2;
	}
	conn_agg_free(&st.conns);
	vec_free(&st.tasks);
	vec_free(&st.btasks);
	backend_stream_free(st.bs);
	return rc;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
