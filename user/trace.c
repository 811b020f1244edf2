// SPDX-License-Identifier: MIT
/*
 * trace: follow an Apache that mpmscope did not start (-p PID or -C COMM),
 * generate no load, print a line every -i seconds and the kernel's figures
 * at the end (-d seconds, Ctrl-C, or the server's exit). Records are folded
 * as they arrive, so memory stays flat however long it runs.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cmds.h"
#include "model.h"
#include "report.h"
#include "tracer.h"
#include "util.h"

/* What the draining thread keeps: task records (rare) for the process tree,
 * connection summaries folded into an aggregate. */
struct trace_state {
	pthread_mutex_t lock;
	struct vec tasks;     /* MS_EV_SPAWN and MS_EV_EXIT records */
	struct conn_agg conns;
};

static void on_record(void *ctx, const struct ms_event *ev)
{
	struct trace_state *st = ctx;

	pthread_mutex_lock(&st->lock);
	if (ev->type == MS_EV_SPAWN || ev->type == MS_EV_EXIT)
		memcpy(vec_push(&st->tasks), ev, sizeof(*ev));
	else if (ev->type == MS_EV_CONN_END)
		conn_agg_add(&st->conns, ev);
	pthread_mutex_unlock(&st->lock);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mpmscope trace (-p PID | -C COMM) [-d SECONDS] [-i SECONDS] [--json FILE]\n\n"
		   "Follow a running Apache (started by anyone: apachectl, systemd...) in the kernel, without\n"
		   "generating load: its processes and threads, accepts, wake-ups, run queue, off-CPU time and\n"
		   "connections. A line every -i seconds; the full figures at the end.\n\n"
		   "  -p, --pid PID          the httpd parent (a child's pid leads to its parent)\n"
		   "  -C, --comm NAME        the server by command name (apache2, httpd)\n"
		   "  -d, --duration SECS    stop after this long (default: until Ctrl-C or the server exits)\n"
		   "  -i, --interval SECS    a summary line this often (default 1; 0: none)\n"
		   "      --json FILE        write the figures as JSON (same keys as compare's kernel facts)\n"
		   "      --no-btf-tracepoints, --btf PATH, -v   as for compare\n");
}

static uint64_t delta(const struct tracer_counts *b, const struct tracer_counts *a, int c)
{
	return b->c[c] >= a->c[c] ? b->c[c] - a->c[c] : 0;
}

static void interval_line(const struct attach_target *at, const struct tracer_counts *start,
			  const struct tracer_counts *prev, const struct tracer_counts *now, double secs, bool header)
{
	int64_t procs = at->procs + (int64_t)delta(now, start, MS_C_PROC_CREATED) -
			(int64_t)delta(now, start, MS_C_PROC_EXITED);
	int64_t threads = at->threads + (int64_t)delta(now, start, MS_C_PROC_CREATED) +
			  (int64_t)delta(now, start, MS_C_THREAD_CREATED) - (int64_t)delta(now, start, MS_C_PROC_EXITED) -
			  (int64_t)delta(now, start, MS_C_THREAD_EXITED);
	uint64_t wake = 0;
	struct ms_hist rq = { 0 };
	struct hsum h;
	double held = 0;
	char ts[16], b[16];
	time_t t = time(NULL);

	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++)
			wake += now->sched.wakeups[w][e] - prev->sched.wakeups[w][e];
	for (int role = 0; role < MS_ROLE__MAX; role++) {
		struct ms_hist d;

		hist_diff(&d, &now->hists[MS_H_RUNQ + role], &prev->hists[MS_H_RUNQ + role]);
		for (int i = 0; i < MS_HIST_SLOTS; i++)
			rq.slots[i] += d.slots[i];
		held += (double)(now->sched.off_ns[role][MS_OFF_KEEPALIVE] - prev->sched.off_ns[role][MS_OFF_KEEPALIVE]) / 1e9;
	}
	h = hsum_of(&rq);
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	if (header)
		printf("%-8s %6s %7s %6s %6s %6s %8s %9s %9s %8s %5s\n", "time", "procs", "threads", "+procs", "+thr",
		       "exits", "accepts", "wakeups/s", "runq p99", "held-s", "lost");
	printf("%-8s %6lld %7lld %6llu %6llu %6llu %8llu %9.0f %9s %8.2f %5llu\n", ts, (long long)procs,
	       (long long)threads, (unsigned long long)delta(now, prev, MS_C_PROC_CREATED),
	       (unsigned long long)delta(now, prev, MS_C_THREAD_CREATED),
	       (unsigned long long)(delta(now, prev, MS_C_PROC_EXITED) + delta(now, prev, MS_C_THREAD_EXITED)),
	       (unsigned long long)delta(now, prev, MS_C_ACCEPT_OK), secs > 0 ? (double)wake / secs : 0,
	       h.n ? fmt_duration_us(b, sizeof(b), h.p99) : "-", held,
	       (unsigned long long)now->c[MS_C_RB_DROPS]);
}

int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },      { "comm", required_argument, NULL, 'C' },
		{ "duration", required_argument, NULL, 'd' }, { "interval", required_argument, NULL, 'i' },
		{ "json", required_argument, NULL, 'J' },     { "no-btf-tracepoints", no_argument, NULL, 'R' },
		{ "btf", required_argument, NULL, 'B' },      { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },           { 0 },
	};
	struct trace_state st = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct tracer_opts to = { .on_event = on_record, .discard_events = true };
	struct errbuf e = { { 0 } };
	struct attach_target at;
	struct tracer *t = NULL;
	struct tracer_counts c0, prev, now, fin;
	struct run_model r;
	struct scenario sc;
	struct report rep = { 0 };
	const char *comm = NULL, *json = NULL;
	double duration = 0, interval = 1;
	uint64_t pid = 0, t_start, t_last;
	int opt, rc = 0;
	bool header = true, server_gone = false;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:C:d:i:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_u64(optarg, &pid, "-p", &e) || !pid || pid > 4194304) {
				err_set(&e, "-p: '%s' is not a process id", optarg);
				goto usage_err;
			}
			break;
		case 'C': comm = optarg; break;
		case 'd':
			if (parse_seconds(optarg, &duration, "-d", &e))
				goto usage_err;
			break;
		case 'i':
			if (parse_seconds(optarg, &interval, "-i", &e))
				goto usage_err;
			break;
		case 'J': json = optarg; break;
		case 'R': to.raw_tp = true; break;
		case 'B': to.btf_path = optarg; break;
		case 'v': to.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case ':': err_set(&e, "option %s needs a value", argv[optind - 1]); goto usage_err;
		default: err_set(&e, "unknown option '%s' (see 'mpmscope trace --help')", argv[optind - 1]); goto usage_err;
		}
	}
	if (optind < argc) {
		err_set(&e, "unexpected argument '%s'", argv[optind]);
		goto usage_err;
	}
	if (!pid == !comm) {
		err_set(&e, "trace: give the server with -p PID or -C COMM (one of them)");
		goto usage_err;
	}
	if (json && check_writable(json, &e))
		goto usage_err;
	if (tracer_preflight(&to, &e) || attach_find(&at, (pid_t)pid, comm, &e) || attach_detect_mpm(&at, &e))
		goto usage_err;
	to.on_event_ctx = &st;
	vec_init(&st.tasks, sizeof(struct ms_event));
	conn_agg_init(&st.conns);
	if (attach_open(&at, &to, &t, &e)) {
		conn_agg_free(&st.conns);
		vec_free(&st.tasks);
		goto usage_err;
	}
	printf("tracing %s %d (%s MPM: %s), %d processes, %d threads, port%s", at.comm, (int)at.root,
	       mpm_name(at.mpm), at.mpm_how, at.procs, at.threads, at.nports == 1 ? "" : "s");
	for (int i = 0; i < at.nports; i++)
		printf(" %u", at.ports[i]);
	printf("%s; Ctrl-C to stop\n", at.nports ? "" : " (none found: no connection facts)");

	tracer_read_counts(t, &c0);
	prev = c0;
	t_start = t_last = now_ns();
	while (!ms_interrupted) {
		uint64_t tnow;

		usleep(50 * 1000);
		tnow = now_ns();
		if (kill(at.root, 0) < 0) {
			server_gone = true;
			break;
		}
		if (duration > 0 && (double)(tnow - t_start) / 1e9 >= duration)
			break;
		if (interval > 0 && (double)(tnow - t_last) / 1e9 >= interval) {
			tracer_read_counts(t, &now);
			interval_line(&at, &c0, &prev, &now, (double)(tnow - t_last) / 1e9, header);
			header = false;
			prev = now;
			t_last = tnow;
		}
	}
	tracer_read_counts(t, &fin);
	tracer_stop(t);

	/* The figures of the whole trace, through the same model as compare. */
	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.name, sizeof(sc.name), "trace");
	snprintf(sc.description, sizeof(sc.description), "%s %d traced for %.1f s, no load generated", at.comm,
		 (int)at.root, (double)(now_ns() - t_start) / 1e9);
	r.mpm = at.mpm;
	r.ran = true;
	r.httpd_pid = at.root;
	r.port = at.nports ? at.ports[0] : 0;
	r.snap_start = c0;
	r.snap_end = fin;
	r.t_load_start = t_start;
	r.t_load_end = now_ns();
	r.t_stopped = r.t_load_end;
	r.interrupted = ms_interrupted;
	model_probe_paths(&r.k, t);
	pthread_mutex_lock(&st.lock);
	model_build_kernel(&r, &fin, st.tasks.data, st.tasks.len, NULL, 0);
	conn_facts_from(&r.k.conn, &st.conns, &fin, r.k.missing_tps);
	pthread_mutex_unlock(&st.lock);
	rep.sc = &sc;
	rep.httpd = at.exe;
	rep.runs = &r;
	rep.nruns = 1;
	rep.interrupted = ms_interrupted;
	printf("\n%s\n", sc.description);
	if (server_gone)
		printf("the server exited during the trace\n");
	report_kernel_tables(&rep, stdout);
	if (json && report_json(&rep, json, &e)) {
		fprintf(stderr, "mpmscope: %s\n", e.msg);
		rc = 2;
	}
	model_free(&r);
	tracer_close(t);
	conn_agg_free(&st.conns);
	vec_free(&st.tasks);
	return rc;

usage_err:
	fprintf(stderr, "mpmscope: %s\n", e.msg);
	return 2;
}
