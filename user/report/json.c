// SPDX-License-Identifier: MIT
/* Every fact of a report as JSON (the shape is in README, "JSON"). */
#include <math.h>
#include <string.h>

#include "base/json.h"
#include "report/report.h"

static void describe_exit(char *buf, size_t n, int32_t code)
{
	if (code & 0x7f)
		snprintf(buf, n, "signal %d", code & 0x7f);
	else
		snprintf(buf, n, "status %d", (code >> 8) & 0xff);
}

static void json_errno(struct json *j, const char *key, const uint64_t *slots)
{
	json_key(j, key);
	json_obj_begin(j);
	for (int e = 0; e < MS_ERRNO_SLOTS; e++)
		if (slots[e])
			json_ku64(j, errno_slot_name(e), slots[e]);
	json_obj_end(j);
}

static void json_dist(struct json *j, const char *key, const struct dist *d)
{
	json_key(j, key);
	json_obj_begin(j);
	json_ku64(j, "n", d->n);
	json_kdouble(j, "p50", d->p50);
	json_kdouble(j, "p90", d->p90);
	json_kdouble(j, "p99", d->p99);
	json_kdouble(j, "max", d->max);
	json_kdouble(j, "mean", d->mean);
	json_obj_end(j);
}

/* ms relative to the start of the load (negative: start-up) */
static double rel_ms(const struct run_model *r, uint64_t t)
{
	return ((double)t - (double)r->t_load_start) / 1e6;
}

static void json_khist(struct json *j, const char *key, const struct ms_hist *h)
{
	int last = -1;

	for (int i = 0; i < MS_HIST_SLOTS; i++)
		if (h->slots[i])
			last = i;
	json_key(j, key);
	json_obj_begin(j);
	json_ku64(j, "count", h->count);
	json_ku64(j, "sum_ns", h->sum_ns);
	json_key(j, "log2_ns_slots");
	json_arr_begin(j);
	for (int i = 0; i <= last; i++)
		json_u64(j, h->slots[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* key: {name: histogram} for each non-empty one of n (named by name_of) */
static void json_khists(struct json *j, const char *key, const struct ms_hist *h, int n, const char *(*name_of)(int))
{
	json_key(j, key);
	json_obj_begin(j);
	for (int i = 0; i < n; i++)
		if (h[i].count)
			json_khist(j, name_of(i), &h[i]);
	json_obj_end(j);
}

static void json_spawn(struct json *j, const struct run_model *r)
{
	const struct spawn_facts *s = &r->k.spawn;

	json_key(j, "spawn");
	json_obj_begin(j);
	json_ku64(j, "processes", r->k.processes_created);
	json_ku64(j, "threads", r->k.threads_created);
	json_dist(j, "process_create_us", &s->proc_create_us);
	json_dist(j, "thread_create_us", &s->thread_create_us);
	json_dist(j, "first_run_us", &s->first_run_us);
	json_dist(j, "process_first_run_us", &s->proc_first_run_us);
	json_dist(j, "thread_first_run_us", &s->thread_first_run_us);
	json_dist(j, "process_ready_us", &s->proc_ready_us);
	json_dist(j, "thread_ready_us", &s->thread_ready_us);
	json_dist(j, "process_lifetime_ms", &s->proc_lifetime_ms);
	json_dist(j, "thread_lifetime_ms", &s->thread_lifetime_ms);
	json_dist(j, "child_minor_faults", &s->child_minflt);
	json_ku64(j, "create_ns", s->create_ns);
	json_ku64(j, "server_cpu_ns", s->server_cpu_ns);
	json_kdouble(j, "create_cpu_share", s->create_cpu_share);
	json_ku64(j, "reap_ns", s->reap_ns);
	json_ku64(j, "reaped", s->reaped);
	json_kdouble(j, "create_reap_cpu_share", s->create_reap_cpu_share);
	json_key(j, "kernel_hist");
	json_obj_begin(j);
	json_khist(j, "process_create", &s->khist[MS_H_PROC_CREATE]);
	json_khist(j, "thread_create", &s->khist[MS_H_THREAD_CREATE]);
	json_khist(j, "process_first_run", &s->khist[MS_H_PROC_FIRST_RUN]);
	json_khist(j, "thread_first_run", &s->khist[MS_H_THREAD_FIRST_RUN]);
	json_obj_end(j);
	json_kdouble(j, "load_start_ms", 0);
	json_kdouble(j, "load_end_ms", rel_ms(r, r->t_load_end));
	json_key(j, "timeline");
	json_arr_begin(j);
	for (size_t i = 0; i < s->nticks; i++) {
		const struct spawn_tick *t = &s->timeline[i];

		json_obj_begin(j);
		json_kdouble(j, "t_ms", rel_ms(r, t->t_ns));
		json_ku64(j, "procs", t->procs);
		json_ku64(j, "threads", t->threads);
		json_ku64(j, "procs_created", t->procs_created);
		json_ku64(j, "threads_created", t->threads_created);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_memory(struct json *j, const struct run_model *r)
{
	const struct memory_facts *m = &r->mem;

	json_key(j, "memory");
	if (!m->sampled) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_ku64(j, "rss_kb", m->rss_kb);
	json_ku64(j, "pss_kb", m->pss_kb);
	json_ku64(j, "uss_kb", m->uss_kb);
	json_ku64(j, "parent_pss_kb", m->parent_pss_kb);
	json_ku64(j, "children", m->children);
	json_dist(j, "child_pss_kb", &m->child_pss_kb);
	json_dist(j, "child_uss_kb", &m->child_uss_kb);
	json_ku64(j, "slots_per_child", m->slots_per_child);
	json_kdouble(j, "kb_per_slot", m->kb_per_slot);
	json_key(j, "per_process_pss_kb");
	json_arr_begin(j);
	for (size_t i = 0; i < m->raw.npeak_procs; i++)
		json_u64(j, m->raw.peak_procs[i].pss_kb);
	json_arr_end(j);
	json_key(j, "samples");
	json_arr_begin(j);
	for (size_t i = 0; i < m->raw.nsamples; i++) {
		const struct mem_sample *sm = &m->raw.samples[i];

		json_obj_begin(j);
		json_kdouble(j, "t_ms", rel_ms(r, sm->t_ns));
		json_ku64(j, "procs", sm->procs);
		json_ku64(j, "procs_exiting", sm->procs_exiting);
		json_ku64(j, "procs_kernel", m->kernel_procs_at_sample[i]);
		json_ku64(j, "procs_kernel_min", m->kernel_procs_min[i]);
		json_ku64(j, "procs_kernel_max", m->kernel_procs_max[i]);
		json_ku64(j, "threads", sm->threads);
		json_ku64(j, "rss_kb", sm->rss_kb);
		json_ku64(j, "pss_kb", sm->pss_kb);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_sched(struct json *j, const struct run_model *r)
{
	const struct sched_facts *f = &r->k.sched;

	json_key(j, "sched");
	json_obj_begin(j);
	json_kstr(j, "phase", "load");
	json_ku64(j, "wakeups", f->wakeups);
	json_kdouble(j, "wakeups_per_request", f->wakeups_per_request);
	json_key(j, "wakeups_by_pair");
	json_arr_begin(j);
	for (int w = 0; w < MS_WAKERS; w++)
		for (int e = 0; e < MS_ROLE__MAX; e++) {
			if (!f->pairs[w][e])
				continue;
			json_obj_begin(j);
			json_kstr(j, "waker", role_name(w));
			json_kstr(j, "wakee", role_name(e));
			json_ku64(j, "count", f->pairs[w][e]);
			json_kdouble(j, "per_request", r->load.completed ? (double)f->pairs[w][e] / (double)r->load.completed : 0);
			json_obj_end(j);
		}
	json_arr_end(j);
	json_dist(j, "runq_us", &f->runq_us);
	json_key(j, "runq_us_by_role");
	json_obj_begin(j);
	for (int role = 0; role < MS_ROLE__MAX; role++)
		if (f->runq_us_by_role[role].n)
			json_dist(j, role_name(role), &f->runq_us_by_role[role]);
	json_obj_end(j);
	json_key(j, "offcpu_us_by_reason");
	json_obj_begin(j);
	for (int o = 0; o < MS_OFF__MAX; o++)
		json_kdouble(j, offcpu_name(o), (double)f->off_ns_by_reason[o] / 1e3);
	json_obj_end(j);
	json_key(j, "offcpu_us_by_role_reason");
	json_obj_begin(j);
	for (int role = 0; role < MS_ROLE__MAX; role++) {
		bool any = false;

		for (int o = 0; o < MS_OFF__MAX; o++)
			any |= f->raw.off_cnt[role][o] != 0;
		if (!any)
			continue;
		json_key(j, role_name(role));
		json_obj_begin(j);
		for (int o = 0; o < MS_OFF__MAX; o++)
			if (f->raw.off_cnt[role][o]) {
				json_key(j, offcpu_name(o));
				json_obj_begin(j);
				json_kdouble(j, "us", (double)f->raw.off_ns[role][o] / 1e3);
				json_ku64(j, "count", f->raw.off_cnt[role][o]);
				json_obj_end(j);
			}
		json_obj_end(j);
	}
	json_obj_end(j);
	json_key(j, "cpu_us_by_role");
	json_obj_begin(j);
	for (int role = 0; role < MS_ROLE__MAX; role++)
		if (f->raw.oncpu_ns[role])
			json_kdouble(j, role_name(role), (double)f->raw.oncpu_ns[role] / 1e3);
	json_obj_end(j);
	json_key(j, "tasks_by_role");
	json_obj_begin(j);
	for (int role = 0; role < MS_ROLE__MAX; role++)
		if (f->tasks_by_role[role])
			json_ku64(j, role_name(role), f->tasks_by_role[role]);
	json_obj_end(j);
	json_ku64(j, "requests_seen", f->requests_seen);
	json_kstr(j, "per_request_basis", f->per_request_basis ? f->per_request_basis : "load generator");
	json_key(j, "kernel_hist");
	json_obj_begin(j);
	json_khists(j, "runq_by_role", f->runq_khist, MS_ROLE__MAX, role_name);
	json_khists(j, "offcpu_by_reason", f->offcpu_khist, MS_OFF__MAX, offcpu_name);
	json_obj_end(j);
	json_kdouble(j, "cpu_us_per_request", f->cpu_us_per_request);
	json_kdouble(j, "cpu_us_per_connection", f->cpu_us_per_connection);
	json_kdouble(j, "cswitch_per_request", f->cswitch_per_request);
	json_kdouble(j, "voluntary_cswitch_per_request", f->vcsw_per_request);
	json_kdouble(j, "involuntary_cswitch_per_request", f->ivcsw_per_request);
	json_ku64(j, "herd_eagain", f->herd_eagain);
	json_ku64(j, "listener_net_wakeups", f->listener_net_wakeups);
	json_kdouble(j, "herd_wakeups_per_conn", f->herd_wakeups_per_conn);
	json_obj_end(j);
}

static void json_conn(struct json *j, const struct run_model *r)
{
	const struct conn_facts *f = &r->k.conn;

	json_key(j, "conn");
	if (!f->available) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_ku64(j, "connections", f->connections);
	json_ku64(j, "joined", f->joined);
	json_ku64(j, "never_accepted", f->never_accepted);
	json_ku64(j, "requests", f->requests);
	json_kdouble(j, "requests_per_conn", f->requests_per_conn);
	json_ku64(j, "max_requests_per_conn", f->max_requests_per_conn);
	json_dist(j, "listen_queue_us", &f->listen_queue_us);
	json_key(j, "keepalive_idle_us");
	json_obj_begin(j);
	json_ku64(j, "n", f->keepalive_idle_us.n);
	json_kdouble(j, "p50", f->keepalive_idle_us.p50);
	json_kdouble(j, "p90", f->keepalive_idle_us.p90);
	json_kdouble(j, "p99", f->keepalive_idle_us.p99);
	json_kdouble(j, "max", f->keepalive_idle_max_us);
	json_kdouble(j, "mean", f->keepalive_idle_us.mean);
	json_obj_end(j);
	json_dist(j, "idle_before_close_us", &f->idle_before_close_us);
	json_kdouble(j, "held_task_seconds", f->held_task_seconds);
	json_key(j, "closes");
	json_obj_begin(j);
	for (int c = 0; c < CLOSER__MAX; c++)
		json_ku64(j, closer_name((enum closer)c), f->closes[c]);
	json_obj_end(j);
	json_dist(j, "linger_us", &f->linger_us);
	json_ku64(j, "handed_off", f->handed_off);
	json_dist(j, "request_read_us", &f->req_read_us);
	json_dist(j, "request_handle_us", &f->req_handle_us);
	json_dist(j, "response_write_us", &f->req_write_us);
	json_key(j, "kernel_hist");
	json_obj_begin(j);
	json_khist(j, "listen_queue", &f->listen_q_khist);
	json_khist(j, "keepalive_idle", &f->ka_idle_khist);
	json_obj_end(j);
	json_obj_end(j);
}

static void json_failures(struct json *j, const struct run_model *r)
{
	const struct failure_facts *ff = &r->fail;

	json_key(j, "failures");
	json_arr_begin(j);
	for (int k = 0; k < ff->nrows; k++) {
		const struct failure_row *w = &ff->rows[k];

		json_obj_begin(j);
		json_kstr(j, "client_class", w->client_class);
		json_kstr(j, "kind", w->retried == 1 ? "retried" : w->retried == 2 ? "idle_close" : "failed");
		json_kstr(j, "ab_class", w->ab_class);
		json_kstr(j, "cause", fail_cause_id(w->cause));
		json_kstr(j, "cause_text", w->cause_text);
		json_ku64(j, "count", w->count);
		json_kstr(j, "example", w->example);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "failure_evidence");
	json_obj_begin(j);
	json_ku64(j, "analysed", ff->failed);
	json_ku64(j, "retried_analysed", ff->retried);
	json_ku64(j, "explained", ff->explained);
	json_ku64(j, "listen_overflows", ff->net.listen_overflows);
	json_ku64(j, "listen_drops", ff->net.listen_drops);
	json_ku64(j, "reqq_full_drops", ff->net.reqq_full_drops);
	json_ku64(j, "syncookies_sent", ff->net.syncookies_sent);
	json_ku64(j, "synack_retransmits", ff->synack_retrans);
	json_ku64(j, "connections_never_accepted", ff->conn_unaccepted);
	json_ku64(j, "server_tasks_killed", ff->tasks_killed);
	json_ku64(j, "server_tasks_failed", ff->tasks_failed);
	json_ku64(j, "create_failed", ff->create_failed);
	json_kstr(j, "syn_watch", ff->syn_watch ? ff->syn_watch : "not used");
	json_key(j, "listen_ports");
	json_arr_begin(j);
	for (int k = 0; k < ff->nlisten; k++) {
		const struct listen_fact *l = &ff->listen[k];

		json_obj_begin(j);
		json_ku64(j, "port", l->port);
		json_ku64(j, "listener_drops", l->kernel_drops);
		json_ku64(j, "queue", l->queue);
		json_ku64(j, "syn_drops", l->syn_drops);
		json_ku64(j, "ack_drops", l->ack_drops);
		json_ku64(j, "backlog", l->backlog);
		json_ku64(j, "peak_queue", l->peak);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_ku64(j, "clients_never_in", ff->never_in);
	json_ku64(j, "clients_got_in_late", ff->got_in_late);
	json_ku64(j, "rst_after_close", ff->rst_after_close);
	json_ku64(j, "http_4xx", ff->http_4xx);
	json_ku64(j, "http_5xx", ff->http_5xx);
	if (r->server_side.known) {
		/* compare: what trace would have said, from the kernel alone */
		json_key(j, "server_side");
		json_obj_begin(j);
		json_ku64(j, "failed", r->server_side.failed);
		json_key(j, "by_cause");
		json_obj_begin(j);
		for (int c = 0; c < FC__MAX; c++)
			if (r->server_side.by_cause[c])
				json_ku64(j, fail_cause_id((enum fail_cause)c), r->server_side.by_cause[c]);
		json_obj_end(j);
		json_key(j, "examples");
		json_obj_begin(j);
		for (int c = 0; c < FC__MAX; c++)
			if (r->server_side.by_cause[c] && r->server_side.example[c][0])
				json_kstr(j, fail_cause_id((enum fail_cause)c), r->server_side.example[c]);
		json_obj_end(j);
		json_obj_end(j);
	}
	json_key(j, "error_log");
	json_arr_begin(j);
	for (int k = 0; k < ff->ncodes; k++) {
		json_obj_begin(j);
		json_kstr(j, "code", ff->codes[k].code);
		json_ku64(j, "count", ff->codes[k].count);
		json_kstr(j, "line", ff->codes[k].line);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_kernel(struct json *j, const struct run_model *r)
{
	const struct kernel_facts *k = &r->k;
	char buf[32];

	json_key(j, "kernel");
	json_obj_begin(j);
	json_kstr(j, "attach_mode", k->attach_mode ? k->attach_mode : "");
	json_kstr(j, "syscall_mode", k->syscall_mode ? k->syscall_mode : "");
	json_kstr(j, "sched_clock", k->sched_clock ? k->sched_clock : "");
	json_kstr(j, "current_task", k->current_task ? k->current_task : "");
	json_ku64(j, "tasks_not_followed", k->track_full);
	json_ku64(j, "records", k->records);
	json_ku64(j, "processes_created", k->processes_created);
	json_ku64(j, "threads_created", k->threads_created);
	json_ku64(j, "exits", k->process_exits + k->thread_exits);
	json_ku64(j, "process_exits", k->process_exits);
	json_ku64(j, "thread_exits", k->thread_exits);
	if (k->backend.present) {
		json_key(j, "backend");
		json_obj_begin(j);
		json_ku64(j, "processes_created", k->backend.processes_created);
		json_ku64(j, "threads_created", k->backend.threads_created);
		json_ku64(j, "exits", k->backend.exits);
		json_ku64(j, "processes", k->backend.processes);
		json_kdouble(j, "cpu_us", (double)k->backend.cpu_ns / 1e3);
		json_ku64(j, "accepts", k->backend.accepts);
		json_ku64(j, "connects_paired", k->backend.paired);
		json_dist(j, "queue_us", &k->backend.queue_us);
		json_kdouble(j, "busy_us_per_connection", k->backend.busy_us_per_connection);
		json_obj_end(j);
	}
	json_ku64(j, "accepts", k->accepts);
	json_ku64(j, "accepts_total", k->accepts_total);
	json_ku64(j, "accepts_internal", k->accepts_internal);
	json_ku64(j, "accepts_probe", k->accepts_probe);
	json_ku64(j, "accepts_other", k->accepts_other);
	json_ku64(j, "accept_errors", k->accept_errors);
	json_errno(j, "accept_errors_by_errno", k->accept_errno);
	json_ku64(j, "load_conns_unaccepted", k->load_conns_unaccepted);
	json_ku64(j, "internal_connects", k->internal_connects);
	json_ku64(j, "create_failed", k->create_failed);
	json_errno(j, "create_failed_by_errno", k->create_errno);
	json_ku64(j, "server_procs_max_threads", k->server_procs_max_threads);
	json_key(j, "spawn_by_phase");
	json_obj_begin(j);
	for (int p = 0; p < PHASE__MAX; p++) {
		json_key(j, phase_name((enum phase)p));
		json_obj_begin(j);
		json_ku64(j, "processes", k->spawn_by_phase[p][0]);
		json_ku64(j, "threads", k->spawn_by_phase[p][1]);
		json_obj_end(j);
	}
	json_obj_end(j);
	json_spawn(j, r);
	json_sched(j, r);
	json_conn(j, r);
	json_kstr(j, "missing_tracepoints", r->k.missing_tps);
	json_key(j, "procs");
	json_arr_begin(j);
	for (size_t i = 0; i < k->nprocs; i++) {
		const struct proc_fact *p = &k->procs[i];

		json_obj_begin(j);
		json_ki64(j, "pid", p->pid);
		json_ki64(j, "parent", p->parent);
		json_kstr(j, "role", p->is_root ? "parent" : "child");
		json_ku64(j, "threads_created", p->threads_created);
		json_ku64(j, "max_threads", p->max_threads);
		json_ku64(j, "t_created_ns", p->t_created);
		json_key(j, "exit");
		if (p->exited) {
			describe_exit(buf, sizeof(buf), p->exit_code);
			json_str(j, buf);
		} else {
			json_null(j);
		}
		json_ku64(j, "t_exit_ns", p->t_exit);
		json_ku64(j, "minor_faults", p->min_flt);
		json_ku64(j, "cpu_ns", p->cpu_ns);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* The machine over the load phase: what the client, the server, mpmscope
 * and nobody (idle) took of its CPUs. */
static void json_machine(struct json *j, const struct run_model *r)
{
	const struct machine_facts *m = &r->mach;
	double cap = (double)m->ncpu * (double)m->wall_ns;

	json_key(j, "machine");
	if (!m->sampled) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_ku64(j, "cpus", m->ncpu);
	json_ku64(j, "load_ns", m->wall_ns);
	json_ku64(j, "user_ns", m->user_ns);
	json_ku64(j, "system_ns", m->system_ns);
	json_ku64(j, "irq_ns", m->irq_ns);
	json_ku64(j, "idle_ns", m->idle_ns);
	json_ku64(j, "steal_ns", m->steal_ns);
	json_ku64(j, "server_cpu_ns", r->k.sched.oncpu_ns);
	json_ku64(j, "load_generator_cpu_ns", m->client_ns);
	json_ku64(j, "load_generator_user_ns", r->load.cpu_user_ns);
	json_ku64(j, "load_generator_system_ns", r->load.cpu_sys_ns);
	json_ku64(j, "mpmscope_cpu_ns", m->self_ns);
	json_kdouble(j, "load_generator_cpu_share", cap > 0 ? (double)m->client_ns / cap : NAN);
	json_ku64(j, "other_processes_ns", (uint64_t)machine_other_ns(r));
	json_kdouble(j, "server_cpu_share", cap > 0 ? (double)r->k.sched.oncpu_ns / cap : NAN);
	json_obj_end(j);
}

/* One account of model/attrib.h; scenario: named in -s all's flat list. */
static void json_account(struct json *j, const struct attribution *at, const char *scenario)
{
	json_obj_begin(j);
	if (scenario)
		json_kstr(j, "scenario", scenario);
	json_kstr(j, "basis", attr_basis_name(at->basis));
	json_kstr(j, "unit", attr_unit(at->basis));
	json_kstr(j, "lower", mpm_name(at->a));
	json_kstr(j, "higher", mpm_name(at->b));
	json_kdouble(j, "lower_value", at->a_total);
	json_kdouble(j, "higher_value", at->b_total);
	json_kdouble(j, "gap", at->gap);
	json_kdouble(j, "explained", at->explained);
	json_kdouble(j, "unexplained", at->unexplained);
	json_kdouble(j, "explained_share", at->share);
	json_key(j, "causes");
	json_arr_begin(j);
	for (int i = 0; i < at->ncauses; i++) {
		const struct attr_cause *c = &at->causes[i];

		json_obj_begin(j);
		json_kstr(j, "cause", c->key);
		json_kdouble(j, "lower", c->a);
		json_kdouble(j, "higher", c->b);
		json_kdouble(j, "gap", c->gap);
		json_kdouble(j, "share", c->gap / at->gap);
		json_kstr(j, "text", c->text);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kstr(j, "unexplained_text", at->unexplained_text);
	json_kstr(j, "note", at->note);
	json_obj_end(j);
}

/* The claims' verdicts, each with the indices of the explanations of its
 * document that say why (off: where this scenario's start in -s all's list). */
static void json_claims(struct json *j, const struct report *rep, bool flat, int off)
{
	if (!flat) {
		json_key(j, "expectations");
		json_arr_begin(j);
	}
	for (int i = 0; i < rep->nclaims; i++) {
		const struct claim_result *c = &rep->claims[i];

		json_obj_begin(j);
		if (flat)
			json_kstr(j, "scenario", rep->sc->name);
		json_kstr(j, "claim", c->claim->text);
		json_kstr(j, "en", c->claim->en);
		json_kstr(j, "verdict", verdict_name(c->verdict));
		json_kstr(j, "evidence", c->evidence);
		json_key(j, "explanations");
		json_arr_begin(j);
		for (int k = 0; k < c->nexpl; k++)
			json_i64(j, off + c->expl[k]);
		json_arr_end(j);
		json_obj_end(j);
	}
	if (!flat)
		json_arr_end(j);
}

/* One scenario's object; top: the document's own head (not inside -s all). */
static void report_json_obj(struct json *j, const struct report *rep, bool top)
{
	json_obj_begin(j);
	if (top)
		report_json_head(j, rep->kind ? rep->kind : "compare");
	else
		json_kstr(j, "tool", "mpmscope " MPMSCOPE_VERSION);
	json_kstr(j, "scenario", rep->sc->name);
	json_kstr(j, "description", rep->sc->description);
	json_kstr(j, "httpd", rep->httpd ? rep->httpd : "");
	json_kstr(j, "httpd_version", rep->httpd_version ? rep->httpd_version : "");
	json_kbool(j, "interrupted", rep->interrupted);
	json_claims(j, rep, false, 0);
	json_key(j, "explanations");
	json_arr_begin(j);
	for (int i = 0; i < rep->naccts; i++)
		json_account(j, &rep->accts[i], NULL);
	json_arr_end(j);
	json_key(j, "runs");
	json_arr_begin(j);
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];

		json_obj_begin(j);
		json_kstr(j, "mpm", mpm_name(r->mpm));
		json_kbool(j, "ran", r->ran);
		if (!r->ran) {
			/* the server did not serve (e.g. died at start-up under a
			 * memory limit): what the kernel and its log say of it */
			json_kstr(j, "error", r->error);
			if (r->k.attach_mode) {
				json_kernel(j, r);
				json_failures(j, r);
			}
			json_obj_end(j);
			continue;
		}
		json_kbool(j, "interrupted", r->interrupted);
		if (r->error[0])
			json_kstr(j, "error", r->error); /* the server died during the load */
		json_ki64(j, "httpd_pid", r->httpd_pid);
		json_ku64(j, "port", r->port);
		json_key(j, "load");
		report_json_load(j, &r->load_cfg, &r->load, false);
		json_kernel(j, r);
		json_memory(j, r);
		json_machine(j, r);
		json_failures(j, r);
		json_ku64(j, "events_lost", r->k.events_lost);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (rep->sweep)
		report_json_sweep(j, rep->sweep);
	json_obj_end(j);
}

int report_json(const struct report *rep, const char *path, struct errbuf *e)
{
	struct json j;

	json_init(&j);
	report_json_obj(&j, rep, true);
	return json_write_file(&j, path, e);
}

int report_json_all(const struct report *reps, int nreps, const char *path, struct errbuf *e)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	report_json_head(&j, "compare");
	json_key(&j, "scenarios");
	json_arr_begin(&j);
	for (int i = 0; i < nreps; i++)
		report_json_obj(&j, &reps[i], false);
	json_arr_end(&j);
	json_key(&j, "expectations");
	json_arr_begin(&j);
	for (int i = 0, off = 0; i < nreps; off += reps[i++].naccts)
		json_claims(&j, &reps[i], true, off);
	json_arr_end(&j);
	json_key(&j, "explanations");
	json_arr_begin(&j);
	for (int i = 0; i < nreps; i++)
		for (int k = 0; k < reps[i].naccts; k++)
			json_account(&j, &reps[i].accts[k], reps[i].sc->name);
	json_arr_end(&j);
	json_obj_end(&j);
	return json_write_file(&j, path, e);
}
