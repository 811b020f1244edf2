// SPDX-License-Identifier: MIT
/*
 * /metrics of `mpmscope serve`: the in-kernel counters of a traced Apache in
 * the Prometheus text exposition format 0.0.4. Every value is read from the
 * counters as they stand (since the probes were attached), so counters only
 * grow; gauges are the tasks alive. Labelled series whose value is still zero
 * are left out (a role the MPM does not have, an errno never seen): once a
 * series appears it stays, since the counters under it never decrease.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"
#include "model/names.h"
#include "report/prom.h"

void prom_label_value(struct sbuf *b, const char *v)
{
	struct sbuf u = { 0 };

	sb_put_utf8(&u, v); /* the text format is UTF-8; a comm is bytes */
	for (const char *p = u.buf ? u.buf : ""; *p; p++) {
		if (*p == '\\')
			sb_put(b, "\\\\", 2);
		else if (*p == '"')
			sb_put(b, "\\\"", 2);
		else if (*p == '\n')
			sb_put(b, "\\n", 2);
		else
			sb_put(b, p, 1);
	}
	sb_free(&u);
}

void prom_seconds(struct sbuf *b, uint64_t ns)
{
	char frac[16];
	int n;

	if (ns % NSEC_PER_SEC == 0) {
		sb_printf(b, "%llu", (unsigned long long)(ns / NSEC_PER_SEC));
		return;
	}
	n = snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % NSEC_PER_SEC));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = 0;
	sb_printf(b, "%llu.%s", (unsigned long long)(ns / NSEC_PER_SEC), frac);
}

static void family(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(struct sbuf *b, const char *name, const char *labels, uint64_t v)
{
	sb_printf(b, "%s%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		    (unsigned long long)v);
}

static void sample_s(struct sbuf *b, const char *name, const char *labels, uint64_t ns)
{
	sb_printf(b, "%s%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
	prom_seconds(b, ns);
	sb_put(b, "\n", 1);
}

void prom_hist(struct sbuf *b, const char *name, const char *labels, const struct ms_hist *h)
{
	const char *sep = *labels ? "," : "";
	uint64_t cum = 0, count;

	for (int i = 0; i < MS_HIST_SLOTS; i++) {
		cum += h->slots[i];
		if (i < PROM_FIRST_SLOT)
			continue;
		sb_printf(b, "%s_bucket{%s%sle=\"", name, labels, sep);
		prom_seconds(b, 2ULL << i);
		sb_printf(b, "\"} %llu\n", (unsigned long long)cum);
	}
	/* The per-CPU parts are read one after the other, so count and slots
	 * may disagree by an event in flight: never let +Inf be below a bucket
	 * (both only grow, so the max of the two only grows too). */
	count = h->count > cum ? h->count : cum;
	sb_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)count);
	sb_printf(b, "%s_sum%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
	prom_seconds(b, h->sum_ns);
	sb_put(b, "\n", 1);
	sb_printf(b, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		    (unsigned long long)count);
}

/* k1="v1"[,k2="v2"] in lb (reused), escaped. */
static const char *lbl(struct sbuf *lb, const char *k1, const char *v1, const char *k2, const char *v2)
{
	lb->len = 0;
	sb_put(lb, "", 0);
	if (!k1)
		return lb->buf;
	sb_printf(lb, "%s=\"", k1);
	prom_label_value(lb, v1);
	sb_put(lb, "\"", 1);
	if (k2) {
		sb_printf(lb, ",%s=\"", k2);
		prom_label_value(lb, v2);
		sb_put(lb, "\"", 1);
	}
	return lb->buf;
}

static uint64_t since(const struct prom_source *s, int c)
{
	return s->now->c[c] >= s->base->c[c] ? s->now->c[c] - s->base->c[c] : 0;
}

static void errno_family(struct sbuf *b, struct sbuf *lb, const char *name, const char *help, const uint64_t *slots)
{
	family(b, name, "counter", help);
	for (int i = 0; i < MS_ERRNO_SLOTS; i++)
		if (slots[i])
			sample_u64(b, name, lbl(lb, "errno", errno_slot_name(i), NULL, NULL), slots[i]);
}

/* The traced server itself. */
static void render_info(struct sbuf *b, const struct prom_source *s)
{
	char pid[16];

	family(b, "mpmscope_info", "gauge", "The traced Apache: its MPM, parent pid and command, how the probes attached, mpmscope's version.");
	snprintf(pid, sizeof(pid), "%d", (int)s->httpd_pid);
	sb_put(b, "mpmscope_info{mpm=\"", 19);
	prom_label_value(b, s->mpm);
	sb_put(b, "\",httpd_pid=\"", 13);
	prom_label_value(b, pid);
	sb_put(b, "\",comm=\"", 8);
	prom_label_value(b, s->comm);
	sb_put(b, "\",attach_mode=\"", 15);
	prom_label_value(b, s->attach_mode);
	sb_put(b, "\",syscall_mode=\"", 16);
	prom_label_value(b, s->syscall_mode ? s->syscall_mode : "");
	sb_put(b, "\",version=\"", 11);
	prom_label_value(b, MPMSCOPE_VERSION);
	sb_put(b, "\"} 1\n", 5);

}

/* Tasks alive, created, exited; creation cost and first run. */
static void render_tasks(struct sbuf *b, struct sbuf *lb, const struct prom_source *s)
{
	const struct tracer_counts *c = s->now;
	int64_t procs, threads;

	procs = s->seeded_procs + (int64_t)since(s, MS_C_PROC_CREATED) - (int64_t)since(s, MS_C_PROC_EXITED);
	threads = s->seeded_threads + (int64_t)since(s, MS_C_PROC_CREATED) + (int64_t)since(s, MS_C_THREAD_CREATED) -
		  (int64_t)since(s, MS_C_PROC_EXITED) - (int64_t)since(s, MS_C_THREAD_EXITED);
	family(b, "mpmscope_server_processes", "gauge", "Processes of the server alive now (parent included).");
	sample_u64(b, "mpmscope_server_processes", "", procs > 0 ? (uint64_t)procs : 0);
	family(b, "mpmscope_server_threads", "gauge", "Threads of the server alive now, every process's main thread included.");
	sample_u64(b, "mpmscope_server_threads", "", threads > 0 ? (uint64_t)threads : 0);
	family(b, "mpmscope_tasks_created_total", "counter",
	       "Processes (fork, clone without CLONE_THREAD) and threads created by the server's tasks.");
	sample_u64(b, "mpmscope_tasks_created_total", "kind=\"process\"", c->c[MS_C_PROC_CREATED]);
	sample_u64(b, "mpmscope_tasks_created_total", "kind=\"thread\"", c->c[MS_C_THREAD_CREATED]);
	family(b, "mpmscope_task_exits_total", "counter",
	       "Server tasks that exited: a process when its last thread exits, else a thread.");
	sample_u64(b, "mpmscope_task_exits_total", "kind=\"process\"", c->c[MS_C_PROC_EXITED]);
	sample_u64(b, "mpmscope_task_exits_total", "kind=\"thread\"", c->c[MS_C_THREAD_EXITED]);
	errno_family(b, lb, "mpmscope_task_create_failures_total", "fork/clone/clone3 calls of the server that failed, by errno.",
		     c->create_errno);
	family(b, "mpmscope_task_create_duration_seconds", "histogram",
	       "Time in the fork/clone system call, in the creating task.");
	if (c->hists[MS_H_PROC_CREATE].count)
		prom_hist(b, "mpmscope_task_create_duration_seconds", "kind=\"process\"", &c->hists[MS_H_PROC_CREATE]);
	if (c->hists[MS_H_THREAD_CREATE].count)
		prom_hist(b, "mpmscope_task_create_duration_seconds", "kind=\"thread\"", &c->hists[MS_H_THREAD_CREATE]);
	family(b, "mpmscope_task_first_run_delay_seconds", "histogram",
	       "A new task's wait from its first wake-up to its first time on a CPU.");
	if (c->hists[MS_H_PROC_FIRST_RUN].count)
		prom_hist(b, "mpmscope_task_first_run_delay_seconds", "kind=\"process\"", &c->hists[MS_H_PROC_FIRST_RUN]);
	if (c->hists[MS_H_THREAD_FIRST_RUN].count)
		prom_hist(b, "mpmscope_task_first_run_delay_seconds", "kind=\"thread\"", &c->hists[MS_H_THREAD_FIRST_RUN]);

}

static void render_accepts(struct sbuf *b, struct sbuf *lb, const struct prom_source *s)
{
	const struct tracer_counts *c = s->now;

	family(b, "mpmscope_accepts_total", "counter", "accept/accept4 calls of the server that returned a connection.");
	sample_u64(b, "mpmscope_accepts_total", "", c->c[MS_C_ACCEPT_OK]);
	errno_family(b, lb, "mpmscope_accept_errors_total",
		     "accept/accept4 calls of the server that failed, by errno (EAGAIN: another task won the connection).",
		     c->accept_errno);
	family(b, "mpmscope_internal_connects_total", "counter",
	       "connect() calls by server tasks on stream sockets: prefork's dummy connections that wake idle children, and connections to backends (php-fpm, an upstream).");
	sample_u64(b, "mpmscope_internal_connects_total", "", c->c[MS_C_CONNECT]);
	family(b, "mpmscope_backend_masters", "gauge", "php-fpm masters followed with their pools (serve --no-backends: none).");
	sample_u64(b, "mpmscope_backend_masters", "", (uint64_t)s->backends);
	family(b, "mpmscope_backend_connections_total", "counter",
	       "The server's connections accepted by a followed backend's pool (php-fpm).");
	sample_u64(b, "mpmscope_backend_connections_total", "", s->backend_accepts);
	family(b, "mpmscope_backend_connections_paired_total", "counter",
	       "Of them, those paired with the server's connect: the ones the queue wait is measured on.");
	sample_u64(b, "mpmscope_backend_connections_paired_total", "", s->backend_paired);
	if (s->backend_wait) {
		family(b, "mpmscope_backend_queue_wait_seconds", "histogram",
		       "The server's connect to a backend until the backend's accept: the wait for a free worker.");
		prom_hist(b, "mpmscope_backend_queue_wait_seconds", "", s->backend_wait);
	}

}

/* CPU, switches, wake-ups, run queue, off-CPU time. */
static void render_sched(struct sbuf *b, struct sbuf *lb, const struct prom_source *s)
{
	const struct tracer_counts *c = s->now;
	const struct ms_sched *sc = &c->sched;
	uint64_t held = 0;

	family(b, "mpmscope_cpu_seconds_total", "counter", "CPU time of the server's tasks, by role.");
	for (int r = 0; r < MS_ROLE__MAX; r++)
		if (sc->oncpu_ns[r])
			sample_s(b, "mpmscope_cpu_seconds_total", lbl(lb, "role", role_name(r), NULL, NULL), sc->oncpu_ns[r]);
	family(b, "mpmscope_context_switches_total", "counter",
	       "Context switches of the server's tasks, by role: voluntary (blocked) or involuntary (preempted).");
	for (int r = 0; r < MS_ROLE__MAX; r++) {
		if (sc->vcsw[r])
			sample_u64(b, "mpmscope_context_switches_total", lbl(lb, "role", role_name(r), "kind", "voluntary"),
				   sc->vcsw[r]);
		if (sc->ivcsw[r])
			sample_u64(b, "mpmscope_context_switches_total", lbl(lb, "role", role_name(r), "kind", "involuntary"),
				   sc->ivcsw[r]);
	}
	family(b, "mpmscope_wakeups_total", "counter",
	       "Wake-ups of server tasks, by the waker's role (kernel: softirq or timer; external: another process) and the wakee's.");
	for (int w = 0; w < MS_WAKERS; w++)
		for (int r = 0; r < MS_ROLE__MAX; r++)
			if (sc->wakeups[w][r])
				sample_u64(b, "mpmscope_wakeups_total", lbl(lb, "waker", role_name(w), "wakee", role_name(r)),
					   sc->wakeups[w][r]);
	family(b, "mpmscope_runqueue_latency_seconds", "histogram",
	       "Run-queue latency of the server's tasks (woken or preempted until on a CPU), by role.");
	for (int r = 0; r < MS_ROLE__MAX; r++)
		if (c->hists[MS_H_RUNQ + r].count)
			prom_hist(b, "mpmscope_runqueue_latency_seconds", lbl(lb, "role", role_name(r), NULL, NULL),
				  &c->hists[MS_H_RUNQ + r]);
	family(b, "mpmscope_offcpu_seconds_total", "counter",
	       "Time the server's tasks spent blocked, by role and by what they waited for.");
	for (int r = 0; r < MS_ROLE__MAX; r++)
		for (int o = 0; o < MS_OFF__MAX; o++)
			if (sc->off_ns[r][o])
				sample_s(b, "mpmscope_offcpu_seconds_total", lbl(lb, "role", role_name(r), "reason", offcpu_name(o)),
					 sc->off_ns[r][o]);
	family(b, "mpmscope_offcpu_duration_seconds", "histogram", "Length of each blocked period of a server task, by reason.");
	for (int o = 0; o < MS_OFF__MAX; o++)
		if (c->hists[MS_H_OFFCPU + o].count)
			prom_hist(b, "mpmscope_offcpu_duration_seconds", lbl(lb, "reason", offcpu_name(o), NULL, NULL),
				  &c->hists[MS_H_OFFCPU + o]);
	for (int r = 0; r < MS_ROLE__MAX; r++)
		held += sc->off_ns[r][MS_OFF_KEEPALIVE];
	family(b, "mpmscope_keepalive_held_task_seconds_total", "counter",
	       "Task-seconds spent blocked on idle keep-alive connections (a task held, not serving): its rate is the tasks held.");
	sample_s(b, "mpmscope_keepalive_held_task_seconds_total", "", held);

}

/* The kernel's connection histograms, then the CONN_END summaries. */
static void render_conns(struct sbuf *b, struct sbuf *lb, const struct prom_source *s)
{
	const struct tracer_counts *c = s->now;

	family(b, "mpmscope_listen_queue_seconds", "histogram", "Connection established until the server accepted it.");
	prom_hist(b, "mpmscope_listen_queue_seconds", "", &c->hists[MS_H_LISTEN_Q]);
	family(b, "mpmscope_keepalive_idle_seconds", "histogram",
	       "Keep-alive idle gaps: response sent until the next request's first bytes read.");
	prom_hist(b, "mpmscope_keepalive_idle_seconds", "", &c->hists[MS_H_KA_IDLE]);
	family(b, "mpmscope_request_read_seconds", "histogram", "First to last read of a request.");
	prom_hist(b, "mpmscope_request_read_seconds", "", &c->hists[MS_H_REQ_READ]);
	family(b, "mpmscope_request_handle_seconds", "histogram", "Last read of a request until the first byte of its response.");
	prom_hist(b, "mpmscope_request_handle_seconds", "", &c->hists[MS_H_REQ_HANDLE]);
	family(b, "mpmscope_response_write_seconds", "histogram", "First to last write of a response.");
	prom_hist(b, "mpmscope_response_write_seconds", "", &c->hists[MS_H_REQ_WRITE]);
	family(b, "mpmscope_lingering_close_seconds", "histogram", "Server FIN (lingering close) until the socket was closed.");
	prom_hist(b, "mpmscope_lingering_close_seconds", "", &c->hists[MS_H_LINGER]);
	if (s->conns_available) {
		const struct conn_counts *k = &s->conns;

		family(b, "mpmscope_connections_closed_total", "counter",
		       "Connections to the server's listening ports that closed, by who ended them (a FIN or a reset, from either side).");
		for (int i = 0; i < CLOSER__MAX; i++)
			sample_u64(b, "mpmscope_connections_closed_total", lbl(lb, "closer", closer_name((enum closer)i), NULL, NULL),
				   k->closes[i]);
		family(b, "mpmscope_connection_requests_total", "counter", "Requests read on the connections that closed.");
		sample_u64(b, "mpmscope_connection_requests_total", "", k->requests);
		family(b, "mpmscope_connections_never_accepted_total", "counter",
		       "Connections that closed while still in the listen queue.");
		sample_u64(b, "mpmscope_connections_never_accepted_total", "", k->never_accepted);
	}

}

/* Each listening port, from the listener socket itself (the iterator reads
 * it every 2 s) and from the SYN watcher where the kernel has one. */
static void render_listeners(struct sbuf *b, struct sbuf *lb, const struct prom_source *s)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "mpmscope_listen_queue_length", "gauge", "Connections in the port's accept queue, not yet accepted (at the last scan, every 2 s)." },
		{ "mpmscope_listen_backlog", "gauge", "The port's accept-queue limit (ListenBacklog, capped by net.core.somaxconn)." },
		{ "mpmscope_listen_drops_total", "counter",
		  "Packets the port's listener discarded, its own count (sk_drops): handshakes dropped on a full accept "
		  "queue (TcpExt ListenDrops) and retransmitted handshake packets its pending connections absorbed." },
		{ "mpmscope_listen_handshake_drops_total", "counter",
		  "Handshake packets dropped on a full accept queue as the SYN watcher saw them (6.2+ kernels), by packet." },
	};
	char port[8];

	if (!s->nports)
		return;
	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		if (f == 3 && !s->syn_watch)
			break;
		family(b, fam[f].name, fam[f].type, fam[f].help);
		for (int i = 0; i < s->nports && i < 4; i++) {
			const struct ms_listener *l = &s->now->listen[i];

			snprintf(port, sizeof(port), "%u", s->ports[i]);
			if (f == 0)
				sample_u64(b, fam[f].name, lbl(lb, "port", port, NULL, NULL), l->queue);
			else if (f == 1)
				sample_u64(b, fam[f].name, lbl(lb, "port", port, NULL, NULL), l->backlog);
			else if (f == 2)
				sample_u64(b, fam[f].name, lbl(lb, "port", port, NULL, NULL), l->kernel_drops);
			else {
				sample_u64(b, fam[f].name, lbl(lb, "port", port, "packet", "syn"), l->syn_drops);
				sample_u64(b, fam[f].name, lbl(lb, "port", port, "packet", "ack"), l->ack_drops);
			}
		}
	}
}

/* Whether a server is followed, the failures of its connections by cause,
 * what its tasks are blocked in now. */
static void render_health(struct sbuf *b, struct sbuf *lb, const struct prom_source *s)
{
	family(b, "mpmscope_up", "gauge", "1 while a server is followed; 0 between a server's exit and the next one's start.");
	sample_u64(b, "mpmscope_up", "", s->up);
	family(b, "mpmscope_attaches_total", "counter", "Servers followed since the exporter started (a restart in full is one more).");
	sample_u64(b, "mpmscope_attaches_total", "", s->attaches);
	family(b, "mpmscope_connection_failures_total", "counter",
	       "Connections to the server that failed, by cause, from the kernel alone (and HTTP errors, "
	       "cause=\"http_status\", from its access log): handshakes dropped, clients that gave up in the listen "
	       "queue or waiting for a response, tasks killed, keep-alive races, resets.");
	for (int i = 0; s->failures && i < s->nfailures; i++)
		if (s->failures[i])
			sample_u64(b, "mpmscope_connection_failures_total", lbl(lb, "cause", s->failure_ids[i], NULL, NULL),
				   s->failures[i]);
	render_listeners(b, lb, s);
	if (!s->blocked)
		return;
	family(b, "mpmscope_tasks_blocked", "gauge", "Server tasks blocked now, by what they wait for.");
	for (int o = 0; o < MS_OFF__MAX; o++)
		if (s->blocked[o])
			sample_u64(b, "mpmscope_tasks_blocked", lbl(lb, "reason", offcpu_name(o), NULL, NULL),
				   (uint64_t)s->blocked[o]);
	family(b, "mpmscope_tasks_free", "gauge",
	       "Server tasks free to take a connection now: prefork's children in accept, worker's and event's idle workers.");
	sample_u64(b, "mpmscope_tasks_free", "", (uint64_t)(s->free_tasks > 0 ? s->free_tasks : 0));
}

static void sample_f(struct sbuf *b, const char *name, double v)
{
	char num[40];

	fmt_real(num, sizeof(num), v);
	sb_printf(b, "%s %s\n", name, num);
}

/* The exporter's own process, as client libraries name it. */
static void render_process(struct sbuf *b, const struct prom_self *p)
{
	family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
	sample_f(b, "process_cpu_seconds_total", p->cpu_s);
	family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	sample_u64(b, "process_resident_memory_bytes", "", p->rss);
	family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	sample_u64(b, "process_virtual_memory_bytes", "", p->vsize);
	family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
	sample_u64(b, "process_open_fds", "", p->fds);
	family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
	sample_u64(b, "process_max_fds", "", p->max_fds);
	family(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
	sample_f(b, "process_start_time_seconds", p->start_s);
	family(b, "mpmscope_http_connections_open", "gauge", "Connections to the exporter open now.");
	sample_u64(b, "mpmscope_http_connections_open", "", (uint64_t)p->http_open);
	family(b, "mpmscope_http_connections_total", "counter",
	       "Connections to the exporter, by how they ended when not answered: evicted (a slow one closed to make "
	       "room for a new one) or timed_out (no whole request in time); accepted: all.");
	sample_u64(b, "mpmscope_http_connections_total", "outcome=\"accepted\"", p->http_accepted);
	sample_u64(b, "mpmscope_http_connections_total", "outcome=\"evicted\"", p->http_evicted);
	sample_u64(b, "mpmscope_http_connections_total", "outcome=\"timed_out\"", p->http_timed_out);
}

/* The exporter itself. */
static void render_self(struct sbuf *b, const struct prom_source *s)
{
	const struct tracer_counts *c = s->now;

	family(b, "mpmscope_events_lost_total", "counter", "Kernel records dropped because the ring buffer was full.");
	sample_u64(b, "mpmscope_events_lost_total", "", c->c[MS_C_RB_DROPS]);
	family(b, "mpmscope_untracked_processes_total", "counter",
	       "Server processes that could not be followed (the kernel's table of processes was full).");
	sample_u64(b, "mpmscope_untracked_processes_total", "", c->c[MS_C_TRACK_FULL]);
	family(b, "mpmscope_scrapes_total", "counter", "Requests for /metrics answered, this one included.");
	sample_u64(b, "mpmscope_scrapes_total", "", s->scrapes);
}

void prom_render(struct sbuf *b, const struct prom_source *s)
{
	struct sbuf lb = { 0 };

	render_info(b, s);
	render_tasks(b, &lb, s);
	render_accepts(b, &lb, s);
	render_sched(b, &lb, s);
	render_conns(b, &lb, s);
	render_health(b, &lb, s);
	render_self(b, s);
	render_process(b, &s->self);
	sb_free(&lb);
}
