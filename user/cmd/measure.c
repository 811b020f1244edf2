// SPDX-License-Identifier: MIT
#include "cmd/measure.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/procfs.h"
#include "cmd/session.h"
#include "load/loadgen.h"
#include "model/failures.h"
#include "model/outcomes.h"
#include "trace/memory.h"
#include "trace/netstat.h"

static void progress(const struct measure_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const struct measure_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet || !isatty(2))
		return;
	va_start(ap, fmt);
	fprintf(stderr, "mpmscope: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* A live line on stderr while the load runs, when stderr is a terminal:
 * scenario, MPM, elapsed, requests done, req/s over the last second. */
struct live {
	const struct measure_opts *o;
	const char *scenario, *mpm;
	_Atomic uint64_t done;
	volatile bool stop;
	pthread_t thread;
	bool running;
};

static void *live_thread(void *arg)
{
	struct live *lv = arg;
	uint64_t t0 = now_ns(), last = 0, tl = t0;

	while (!lv->stop) {
		uint64_t t, d;

		usleep(250 * 1000);
		t = now_ns();
		if (t - tl < NSEC_PER_SEC)
			continue;
		d = atomic_load_explicit(&lv->done, memory_order_relaxed);
		fprintf(stderr, "\rmpmscope: %s: %s: load %.0f s, %llu done, %.0f req/s   ", lv->scenario, lv->mpm,
			(double)(t - t0) / 1e9, (unsigned long long)d, (double)(d - last) * 1e9 / (double)(t - tl));
		last = d;
		tl = t;
	}
	fprintf(stderr, "\r%*s\r", 70, "");
	return NULL;
}

static void live_start(struct live *lv, const struct measure_opts *o, const char *scenario, const char *mpm)
{
	memset(lv, 0, sizeof(*lv));
	lv->o = o;
	lv->scenario = scenario;
	lv->mpm = mpm;
	if (o->quiet || !isatty(2))
		return;
	lv->running = !pthread_create(&lv->thread, NULL, live_thread, lv);
}

static void live_stop(struct live *lv)
{
	lv->stop = true;
	if (lv->running)
		pthread_join(lv->thread, NULL);
	lv->running = false;
}

static uint64_t self_cpu_ns(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) ? 0 : (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* The machine over the load: the difference of two readings. */
static void machine_diff(struct machine_facts *m, const struct procfs_cpu *a, const struct procfs_cpu *b,
			 const struct lg_result *l)
{
	m->sampled = b->ncpu && b->user_ns >= a->user_ns && b->idle_ns >= a->idle_ns;
	m->ncpu = b->ncpu;
	m->wall_ns = l->t_end > l->t_start ? l->t_end - l->t_start : 0;
	m->user_ns = b->user_ns - a->user_ns;
	m->system_ns = b->system_ns >= a->system_ns ? b->system_ns - a->system_ns : 0;
	m->irq_ns = b->irq_ns >= a->irq_ns ? b->irq_ns - a->irq_ns : 0;
	m->idle_ns = b->idle_ns - a->idle_ns;
	m->steal_ns = b->steal_ns >= a->steal_ns ? b->steal_ns - a->steal_ns : 0;
	m->client_ns = l->cpu_user_ns + l->cpu_sys_ns;
}

static void load_config(const struct scenario *sc, const struct measure_opts *o, const struct apache *a,
			struct lg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->host, sizeof(cfg->host), "%s", a->addr);
	cfg->port = a->port;
	snprintf(cfg->path, sizeof(cfg->path), "%s", sc->url_path);
	snprintf(cfg->host_header, sizeof(cfg->host_header), "%s:%u", a->addr, a->port);
	cfg->requests = o->requests ? o->requests : sc->requests;
	cfg->connections = o->concurrency ? o->concurrency : sc->concurrency;
	cfg->keepalive = o->keepalive >= 0 ? o->keepalive : sc->keepalive;
	cfg->duration_s = o->duration_s > 0 ? o->duration_s : sc->duration_s;
	cfg->rate = o->rate > 0 ? o->rate : sc->rate;
	cfg->hold = sc->hold;
	cfg->ramp_s = sc->ramp_s;
	cfg->timeout_s = sc->timeout_s;
	cfg->threads = sc->threads;
	cfg->record_conns = true;
	/* https: the certificate made for this run is the only one trusted */
	cfg->tls = sc->tls;
	cfg->tls_resume = sc->tls_resume;
	if (sc->tls)
		snprintf(cfg->tls_ca_file, sizeof(cfg->tls_ca_file), "%s", a->tls_cert);
	cfg->watch_pid = a->proc.pid; /* a server that dies ends the load */
}

static void never_in(void *ctx, const struct ms_client *cl, const struct ms_syn_wait *w)
{
	outcomes_never_in(ctx, cl, w);
}

/* What trace would have said of the run's connections, from the kernel
 * alone: the same records through the same rules, and the clients whose
 * dropped handshakes never got in. */
static void server_side(struct run_model *r, struct tracer *t, const struct ms_event *ev, size_t nev)
{
	struct outcome_agg *o = xcalloc(1, sizeof(*o));

	outcomes_init(o, r->mpm, r->t_load_start);
	for (size_t i = 0; i < nev; i++) {
		if (ev[i].type == MS_EV_CONN_END)
			outcomes_conn(o, &ev[i]);
		else if (ev[i].type == MS_EV_CONNECT)
			outcomes_connect(o, &ev[i]);
		else if (ev[i].type == MS_EV_RST_AFTER_CLOSE)
			outcomes_rst_after_close(o, &ev[i]);
	}
	tracer_reap_syn_waits(t, 0, true, never_in, o);
	r->server_side.known = true;
	r->server_side.failed = outcomes_failed(o);
	memcpy(r->server_side.by_cause, o->by_cause, sizeof(o->by_cause));
	for (int i = 0; i < o->ff.nrows; i++) {
		const struct failure_row *row = &o->ff.rows[i];
		char *ex = r->server_side.example[row->cause];

		if (row->count && !ex[0])
			snprintf(ex, sizeof(r->server_side.example[0]), "%s: %s", row->cause_text, row->example);
	}
	free(o);
}

int measure_run(const struct scenario *sc, const struct measure_opts *o, const struct apache *proto, enum mpm m,
		struct run_model *r, struct errbuf *e)
{
	struct session ss;
	struct tracer_counts counts;
	struct mem_sampler *ms = NULL;
	struct mem_result mr = { 0 };
	struct netstat net0 = { 0 }, net1 = { 0 }, netd = { 0 };
	struct live lv = { 0 };
	struct procfs_cpu cpu0, cpu1;
	uint64_t self0;
	const struct ms_event *ev;
	size_t nev;
	int rc;

	memset(r, 0, sizeof(*r));
	r->mpm = m;
	progress(o, "%s: %s: starting Apache", sc->name, mpm_name(m));
	rc = session_start(&ss, proto, sc, m, &o->tracer, e);
	r->httpd_pid = ss.a.proc.pid;
	r->port = ss.a.port;
	if (rc) {
		/* rc 1: the server's own failure (e.g. under a memory limit):
		 * recorded, the comparison goes on */
		r->interrupted = sig_interrupted;
		r->refused = rc > 0;
		goto out;
	}
	rc = -1;
	r->t_ready = now_ns();
	load_config(sc, o, &ss.a, &r->load_cfg);
	if (lg_validate(&r->load_cfg, e))
		goto out;
	progress(o, "%s: %s: load -n %llu -c %u%s%s", sc->name, mpm_name(m), (unsigned long long)r->load_cfg.requests,
		 r->load_cfg.connections, r->load_cfg.keepalive ? " -k" : "", r->load_cfg.rate > 0 ? " (rate)" : "");
	{
		/* the server runs in its own process group; a backend may lead its
		 * own (php-fpm calls setsid): its memory counts with the server's */
		pid_t also[2];

		for (int i = 0; i < ss.nbe; i++)
			also[i] = ss.be[i].proc.pid;
		ms = mem_sampler_start(ss.a.proc.pid, also, ss.nbe, 250);
	}
	live_start(&lv, o, sc->name, mpm_name(m));
	r->load_cfg.live_completed = &lv.done;
	netstat_read(&net0);
	tracer_read_counts(ss.t, &r->snap_start);
	procfs_cpu_times(&cpu0);
	self0 = self_cpu_ns();
	rc = lg_run(&r->load_cfg, &r->load, e);
	r->mach.self_ns = self_cpu_ns() - self0;
	procfs_cpu_times(&cpu1);
	live_stop(&lv);
	r->load_cfg.live_completed = NULL;
	if (rc) {
		rc = -1;
		goto out;
	}
	tracer_read_counts(ss.t, &r->snap_end);
	netstat_read(&net1);
	netstat_diff(&netd, &net1, &net0);
	machine_diff(&r->mach, &cpu0, &cpu1, &r->load);
	r->ran = true;
	r->interrupted = r->load.interrupted;
	r->t_load_start = r->load.t_start;
	r->t_load_end = r->load.t_end;
	if (!apache_alive(&ss.a) || r->load.watch_exited) { /* apache_alive() first: it reaps */
		/* The server's parent died under load (killed, crashed): what was
		 * measured up to then is reported, and the run is marked. */
		char how[128];

		apache_describe_exit(&ss.a, how, sizeof(how));
		snprintf(r->error, sizeof(r->error), "server died during the load (apache parent %s)", how);
	} else if (!r->interrupted) {
		usleep(200 * 1000); /* let the last connections close: part of the "after" phase */
	}
	rc = 0;
out:
	if (ms)
		mem_sampler_stop(ms, &mr);
	session_stop(&ss);
	r->t_stopped = now_ns();
	if (ss.spawned) {
		tracer_read_counts(ss.t, &counts);
		ev = tracer_events(ss.t, &nev);
		model_probe_paths(&r->k, ss.t);
		model_build_kernel(r, &counts, ev, nev, ss.a.probe_ports,
				   ss.a.probe_conns < APACHE_MAX_PROBES ? ss.a.probe_conns : APACHE_MAX_PROBES);
		{
			size_t nbev;
			const struct ms_event *bev = tracer_backend_events(ss.t, &nbev);

			model_build_backend(r, &counts, ev, nev, bev, nbev);
		}
		model_build_memory(r, &mr, sc);
		failures_build(r, sc, ev, nev, &netd, ss.a.errlog, ss.a.stderr_log);
		server_side(r, ss.t, ev, nev);
	}
	apache_errlog_tail(&ss.a, r->errlog_tail, sizeof(r->errlog_tail), 10);
	session_end(&ss);
	mem_result_free(&mr);
	if (rc)
		snprintf(r->error, sizeof(r->error), "%s", e->msg);
	else if (r->error[0])
		snprintf(e->msg, sizeof(e->msg), "%s", r->error); /* ran, but the server died */
	return rc;
}

