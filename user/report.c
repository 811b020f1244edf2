// SPDX-License-Identifier: MIT
#include "report.h"

#include <string.h>
#include <signal.h>
#include <sys/wait.h>

#include "json.h"

static double fail_pct(const struct lg_result *l)
{
	uint64_t n = l->completed + l->failed;

	return n ? 100.0 * (double)l->failed / (double)n : 0;
}

static uint64_t pct(const struct hist *h, double p)
{
	return h ? hist_percentile(h, p) : 0;
}

static void describe_exit(char *buf, size_t n, int32_t code)
{
	if (code & 0x7f)
		snprintf(buf, n, "signal %d", code & 0x7f);
	else
		snprintf(buf, n, "status %d", (code >> 8) & 0xff);
}

static char *fmt_dist_us(char *buf, size_t n, const struct dist *d)
{
	char a[16], b[16];

	if (!d->n) {
		snprintf(buf, n, "-");
		return buf;
	}
	snprintf(buf, n, "%s/%s", fmt_duration_us(a, sizeof(a), d->p50), fmt_duration_us(b, sizeof(b), d->p99));
	return buf;
}

/* Creation cost and memory: the prefork-versus-threads lesson in numbers. */
static void report_spawn_table(const struct report *rep, FILE *out)
{
	char b[6][40];
	bool sampled = false;

	fprintf(out, "\n%-8s %15s %15s %15s %15s %15s %9s\n", "creation", "process (p50/99)", "thread (p50/99)",
		"1st run proc", "1st run thread", "ready proc", "CPU share");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct spawn_facts *s = &r->k.spawn;

		if (!r->ran)
			continue;
		fprintf(out, "%-8s %15s %15s %15s %15s %15s %8.2f%%\n", mpm_name(r->mpm),
			fmt_dist_us(b[0], sizeof(b[0]), &s->proc_create_us),
			fmt_dist_us(b[1], sizeof(b[1]), &s->thread_create_us),
			fmt_dist_us(b[2], sizeof(b[2]), &s->proc_first_run_us),
			fmt_dist_us(b[3], sizeof(b[3]), &s->thread_first_run_us),
			fmt_dist_us(b[4], sizeof(b[4]), &s->proc_ready_us), 100.0 * s->create_reap_cpu_share);
	}
	for (int i = 0; i < rep->nruns; i++)
		sampled |= rep->runs[i].ran && rep->runs[i].mem.sampled;
	if (sampled)
		fprintf(out, "\n%-8s %9s %9s %9s %9s %11s %11s %13s\n", "memory", "RSS", "PSS", "USS", "parent",
			"child PSS", "child USS", "per slot");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct memory_facts *m = &r->mem;

		if (!r->ran || !m->sampled)
			continue;
		fprintf(out, "%-8s %9s %9s %9s %9s %11s %11s %9s (%s)\n", mpm_name(r->mpm),
			fmt_bytes(b[0], sizeof(b[0]), (double)m->rss_kb * 1024),
			fmt_bytes(b[1], sizeof(b[1]), (double)m->pss_kb * 1024),
			fmt_bytes(b[2], sizeof(b[2]), (double)m->uss_kb * 1024),
			fmt_bytes(b[3], sizeof(b[3]), (double)m->parent_pss_kb * 1024),
			fmt_bytes(b[4], sizeof(b[4]), m->child_pss_kb.p50 * 1024),
			fmt_bytes(b[5], sizeof(b[5]), m->child_uss_kb.p50 * 1024),
			fmt_bytes(b[5] + 20, 20, m->kb_per_slot * 1024),
			r->mpm == MPM_PREFORK ? "1 process" : "1 thread");
	}
	fprintf(out, "(creation: fork/clone time in the creator; 1st run: runnable -> on a CPU; ready: created -> "
		     "first wait for work;\n CPU share: fork/clone and the wait4 calls that reaped a child, over the "
		     "server's CPU time.\n memory at the peak sample: PSS shares common pages, USS is what a child "
		     "alone costs; per slot = child USS / connections one child serves)\n");
}

static char *fmt_hsum_us(char *buf, size_t n, const struct hsum *h)
{
	struct dist d = { .n = h->n, .p50 = h->p50, .p99 = h->p99 };

	return fmt_dist_us(buf, n, &d);
}

/* Wake-ups, run queue, CPU per request; connections and keep-alive. */
static void report_sched_conn_table(const struct report *rep, FILE *out)
{
	char b[6][48];

	fprintf(out, "\n%-8s %9s %9s %8s %15s %9s  %s\n", "sched", "wake/req", "CPU/req", "cs/req", "runq p50/p99",
		"herd/conn", "main wake-ups (waker>wakee) and off-CPU reasons, load phase");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct sched_facts *f = &r->k.sched;

		if (!r->ran)
			continue;
		fprintf(out, "%-8s %9.2f %9s %8.2f %15s %9.2f ", mpm_name(r->mpm), f->wakeups_per_request,
			fmt_duration_us(b[0], sizeof(b[0]), f->cpu_us_per_request), f->cswitch_per_request,
			fmt_hsum_us(b[1], sizeof(b[1]), &f->runq_us), f->herd_wakeups_per_conn);
		for (int k = 0; k < 2; k++)
			if (f->top_pairs[k].waker >= 0 && f->top_pairs[k].count)
				fprintf(out, " %s>%s %.2f/req", role_name(f->top_pairs[k].waker), role_name(f->top_pairs[k].wakee),
					(r->load.completed ? (double)f->top_pairs[k].count / (double)r->load.completed : 0));
		for (int k = 0; k < 2; k++)
			if (f->top_off[k].reason >= 0 && f->top_off[k].ns)
				fprintf(out, "; %s %.2fs", offcpu_name(f->top_off[k].reason), (double)f->top_off[k].ns / 1e9);
		fprintf(out, "\n");
	}
	fprintf(out, "\n%-8s %7s %8s %15s %15s %10s %21s %15s\n", "conns", "conns", "req/conn", "listen q p50/99",
		"ka idle p50/99", "held task-s", "srvFIN/cliFIN/RST s/c", "linger p50/99");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct conn_facts *f = &r->k.conn;

		if (!r->ran)
			continue;
		if (!f->available) {
			fprintf(out, "%-8s (this kernel lacks %s: no per-connection facts)\n", mpm_name(r->mpm),
				r->k.missing_tps);
			continue;
		}
		snprintf(b[2], sizeof(b[2]), "%llu/%llu/%llu/%llu", (unsigned long long)f->server_fin,
			 (unsigned long long)f->client_fin, (unsigned long long)f->server_rst,
			 (unsigned long long)f->client_rst);
		fprintf(out, "%-8s %7llu %8.1f %15s %15s %10.2f %21s %15s\n", mpm_name(r->mpm),
			(unsigned long long)f->connections, f->requests_per_conn,
			fmt_dist_us(b[0], sizeof(b[0]), &f->listen_queue_us),
			fmt_hsum_us(b[1], sizeof(b[1]), &f->keepalive_idle_us), f->held_task_seconds, b[2],
			fmt_dist_us(b[3], sizeof(b[3]), &f->linger_us));
	}
	fprintf(out, "(held task-s: seconds server tasks spent blocked on idle keep-alive connections; event parks them "
		     "in its listener's epoll instead)\n");
}

/* Every failed request's cause, per MPM, with Apache's log beside. */
static void report_failures(const struct report *rep, FILE *out)
{
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct failure_facts *ff = &r->fail;
		bool server_trouble = ff->tasks_killed || ff->tasks_failed || ff->create_failed;

		if (!r->ran && !ff->ncodes)
			continue;
		if (!ff->nrows && !server_trouble && !ff->net.listen_overflows)
			continue;
		fprintf(out, "\nfailures on %s: %llu failed request(s), %llu explained by kernel evidence; %llu idle "
			     "keep-alive close(s) that ab would count as failures\n",
			mpm_name(r->mpm), (unsigned long long)ff->failed, (unsigned long long)ff->explained,
			(unsigned long long)ff->retried);
		if (ff->nrows)
			fprintf(out, "  %7s  %-14s %-20s %s\n", "count", "client", "ab would say", "cause");
		for (int k = 0; k < ff->nrows; k++) {
			const struct failure_row *w = &ff->rows[k];
			char cl[32];

			snprintf(cl, sizeof(cl), "%s", w->retried == 1 ? "retried" : w->retried == 2 ? "idle-close" : w->client_class);
			fprintf(out, "  %7llu  %-14s %-20s %s\n", (unsigned long long)w->count, cl, w->ab_class, w->cause_text);
			fprintf(out, "  %7s  e.g. %s\n", "", w->example);
		}
		{
			char ev[FAIL_EVIDENCE_LINES][240];
			int nev = failures_evidence(ff, ev, FAIL_EVIDENCE_LINES);

			for (int k = 0; k < nev; k++)
				fprintf(out, "  %s\n", ev[k]);
		}
		for (int k = 0; k < ff->ncodes; k++)
			fprintf(out, "  error log: %s x%llu: %.160s\n", ff->codes[k].code, (unsigned long long)ff->codes[k].count,
				ff->codes[k].line);
	}
}

void report_verdicts(const struct report *reps, int nreps, FILE *out)
{
	int count[VERDICT_NOT_MEASURED + 1] = { 0 };

	fprintf(out, "\n=== the seeds' claims across %d scenario(s)\n", nreps);
	for (int i = 0; i < nreps; i++)
		for (int k = 0; k < reps[i].nclaims; k++) {
			const struct claim_result *c = &reps[i].claims[k];

			count[c->verdict]++;
			fprintf(out, "  %-14s %-16s %s\n", verdict_name(c->verdict), reps[i].sc->name,
				c->claim->en[0] ? c->claim->en : c->claim->text);
		}
	fprintf(out, "  %d confirmed, %d refuted, %d not measured, %d not checkable (a refuted claim is a finding)\n",
		count[VERDICT_CONFIRMED], count[VERDICT_REFUTED], count[VERDICT_NOT_MEASURED], count[VERDICT_NOT_CHECKED]);
}

void report_run_notes(const struct run_model *r, struct run_notes *n)
{
	const struct lg_result *l = &r->load;
	const struct kernel_facts *k = &r->k;
	size_t used;

	snprintf(n->summary, sizeof(n->summary),
		 "%u server processes (%llu at start-up, %llu under load, %llu after), at most %u threads in one; "
		 "%llu connections opened, %llu accepted by the kernel",
		 k->children, (unsigned long long)k->spawn_by_phase[PHASE_STARTUP][0],
		 (unsigned long long)k->spawn_by_phase[PHASE_LOAD][0], (unsigned long long)k->spawn_by_phase[PHASE_AFTER][0],
		 k->child_max_threads, (unsigned long long)l->connections, (unsigned long long)k->accepts);
	used = strlen(n->summary);
	if (k->accepts_internal)
		used += (size_t)snprintf(n->summary + used, sizeof(n->summary) - used, ", %llu internal dummy connections apart",
					 (unsigned long long)k->accepts_internal);
	if (k->accepts_other && used < sizeof(n->summary))
		used += (size_t)snprintf(n->summary + used, sizeof(n->summary) - used, ", %llu from other clients",
					 (unsigned long long)k->accepts_other);
	if (k->track_full && used < sizeof(n->summary))
		snprintf(n->summary + used, sizeof(n->summary) - used,
			 "; %llu new processes or threads NOT followed (a BPF table was full)",
			 (unsigned long long)k->track_full);
	n->failed[0] = 0;
	for (int f = 0, u = 0; f < LG_FAIL__MAX && u < (int)sizeof(n->failed); f++)
		if (l->failed_by[f])
			u += snprintf(n->failed + u, sizeof(n->failed) - (size_t)u, " %s %llu", lg_fail_name((enum lg_fail)f),
				      (unsigned long long)l->failed_by[f]);
	n->accept_errors[0] = 0;
	for (int e = 0, u = 0; e < MS_ERRNO_SLOTS && u < (int)sizeof(n->accept_errors); e++)
		if (k->accept_errno[e])
			u += snprintf(n->accept_errors + u, sizeof(n->accept_errors) - (size_t)u, " %s %llu",
				      errno_slot_name(e), (unsigned long long)k->accept_errno[e]);
}

void report_kernel_tables(const struct report *rep, FILE *out)
{
	report_spawn_table(rep, out);
	report_sched_conn_table(rep, out);
}

void report_table(const struct report *rep, FILE *out)
{
	const struct scenario *sc = rep->sc;
	char b[8][32];

	fprintf(out, "\nscenario %s: %s\n", sc->name, sc->description);
	{
		/* the load as run (command-line overrides included) */
		const struct lg_config *lc = NULL;
		char extra[96] = "";

		for (int i = 0; i < rep->nruns && !lc; i++)
			if (rep->runs[i].load_cfg.connections)
				lc = &rep->runs[i].load_cfg;
		if (lc) {
			if (lc->duration_s > 0)
				snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " -t %gs", lc->duration_s);
			if (lc->rate > 0)
				snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " --rate %g", lc->rate);
			if (lc->hold)
				snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " --hold %u", lc->hold);
			fprintf(out, "load: %s -n %llu -c %u%s%s   httpd: %s\n", lc->path, (unsigned long long)lc->requests,
				lc->connections, lc->keepalive ? " -k" : "", extra, rep->httpd_version ? rep->httpd_version : "?");
		} else {
			fprintf(out, "load: %s -n %llu -c %u%s   httpd: %s\n", sc->url_path, (unsigned long long)sc->requests,
				sc->concurrency, sc->keepalive ? " -k" : "", rep->httpd_version ? rep->httpd_version : "?");
		}
	}
	fprintf(out, "\n%-8s %8s %9s %7s %7s %8s %8s %8s %8s | %6s %7s %6s %7s %7s %5s\n", "MPM", "time(s)", "req/s",
		"failed", "fail%", "p50", "p90", "p99", "max", "procs", "threads", "exits", "accepts", "acc.err",
		"lost");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct lg_result *l = &r->load;
		const struct kernel_facts *k = &r->k;

		if (!r->ran) {
			fprintf(out, "%-8s  not run: %s\n", mpm_name(r->mpm), r->error);
			continue;
		}
		fprintf(out, "%-8s %8.3f %9.1f %7llu %6.2f%% %8s %8s %8s %8s | %6llu %7llu %6llu %7llu %7llu %5llu%s\n",
			mpm_name(r->mpm), l->duration_s, l->rps, (unsigned long long)l->failed, fail_pct(l),
			fmt_duration_us(b[0], sizeof(b[0]), (double)pct(l->latency, 50)),
			fmt_duration_us(b[1], sizeof(b[1]), (double)pct(l->latency, 90)),
			fmt_duration_us(b[2], sizeof(b[2]), (double)pct(l->latency, 99)),
			fmt_duration_us(b[3], sizeof(b[3]), (double)pct(l->latency, 100)),
			(unsigned long long)k->processes_created, (unsigned long long)k->threads_created,
			(unsigned long long)(k->process_exits + k->thread_exits), (unsigned long long)k->accepts,
			(unsigned long long)k->accept_errors, (unsigned long long)k->events_lost,
			r->interrupted ? "  (interrupted)" : r->error[0] ? "  (server died)" : "");
	}

	/* Notes: what the columns do not say on their own. */
	fprintf(out, "\n");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct kernel_facts *k = &r->k;
		size_t signalled = k->children_signalled;
		struct run_notes notes;

		if (!r->ran)
			continue;
		report_run_notes(r, &notes);
		fprintf(out, "%-8s %s\n", mpm_name(r->mpm), notes.summary);
		if (notes.failed[0])
			fprintf(out, "%-8s failed:%s\n", "", notes.failed);
		if (notes.accept_errors[0])
			fprintf(out, "%-8s accept errors:%s\n", "", notes.accept_errors);
		if (signalled)
			fprintf(out, "%-8s %zu server processes ended by a signal\n", "", signalled);
		if (k->events_lost)
			fprintf(out, "%-8s WARNING: %llu kernel records lost (ring buffer full)\n", "",
				(unsigned long long)k->events_lost);
	}
	report_kernel_tables(rep, out);
	report_failures(rep, out);
	if (rep->nclaims) {
		fprintf(out, "\nthe seed's claims, checked:\n");
		for (int i = 0; i < rep->nclaims; i++) {
			const struct claim_result *c = &rep->claims[i];

			fprintf(out, "  [%s] %s\n", verdict_name(c->verdict), c->claim->text);
			if (c->claim->en[0])
				fprintf(out, "      (%s)\n", c->claim->en);
			fprintf(out, "      %s\n", c->evidence);
		}
	}
	if (rep->interrupted)
		fprintf(out, "interrupted: figures cover the run up to Ctrl-C\n");
}

static void json_latency(struct json *j, const char *key, const struct hist *h)
{
	json_key(j, key);
	if (!h) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_ku64(j, "p50", pct(h, 50));
	json_ku64(j, "p90", pct(h, 90));
	json_ku64(j, "p99", pct(h, 99));
	json_ku64(j, "p999", pct(h, 99.9));
	json_ku64(j, "max", pct(h, 100));
	json_kdouble(j, "mean", hist_mean(h));
	json_kdouble(j, "stdev", hist_stdev(h));
	json_obj_end(j);
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

static void json_load(struct json *j, const struct run_model *r)
{
	const struct lg_result *l = &r->load;

	json_key(j, "load");
	json_obj_begin(j);
	json_ku64(j, "requests", l->requested);
	json_ku64(j, "completed", l->completed);
	json_ku64(j, "failed", l->failed);
	json_key(j, "failed_by_class");
	json_obj_begin(j);
	for (int f = 0; f < LG_FAIL__MAX; f++)
		json_ku64(j, lg_fail_name((enum lg_fail)f), l->failed_by[f]);
	json_obj_end(j);
	json_key(j, "ab_would_report");
	json_obj_begin(j);
	json_ku64(j, "connect", l->ab_connect);
	json_ku64(j, "receive", l->ab_receive);
	json_ku64(j, "length", l->ab_length);
	json_ku64(j, "exceptions", l->ab_exceptions);
	json_obj_end(j);
	json_ku64(j, "retried_idle_close", l->retried_idle_close);
	json_ku64(j, "keepalive_reused", l->keepalive_reused);
	json_ku64(j, "connections", l->connections);
	json_ku64(j, "bytes_read", l->bytes_read);
	json_kdouble(j, "duration_s", l->duration_s);
	json_kdouble(j, "rps", l->rps);
	json_kdouble(j, "failure_rate", fail_pct(l) / 100.0);
	json_latency(j, "latency_us", l->latency);
	json_ku64(j, "t_start_ns", l->t_start);
	json_ku64(j, "t_end_ns", l->t_end);
	json_kbool(j, "interrupted", l->interrupted);
	json_key(j, "timeline");
	json_arr_begin(j);
	for (unsigned t = 0; t < l->nticks; t++) {
		json_obj_begin(j);
		json_ku64(j, "second", t);
		json_ku64(j, "completed", l->ticks[t].completed);
		json_ku64(j, "failed", l->ticks[t].failed);
		json_ku64(j, "open_conns", l->ticks[t].open_conns);
		json_ku64(j, "p99_us", l->ticks[t].p99_us);
		json_obj_end(j);
	}
	json_arr_end(j);
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

static void json_hsum(struct json *j, const char *key, const struct hsum *h)
{
	struct dist d = { .n = h->n, .p50 = h->p50, .p90 = h->p90, .p99 = h->p99, .max = h->max, .mean = h->mean };

	json_dist(j, key, &d);
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
	json_hsum(j, "runq_us", &f->runq_us);
	json_key(j, "runq_us_by_role");
	json_obj_begin(j);
	for (int role = 0; role < MS_ROLE__MAX; role++)
		if (f->runq_us_by_role[role].n)
			json_hsum(j, role_name(role), &f->runq_us_by_role[role]);
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
	json_kdouble(j, "cpu_us_per_request", f->cpu_us_per_request);
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
	json_hsum(j, "idle_before_close_us", &f->idle_before_close_us);
	json_kdouble(j, "held_task_seconds", f->held_task_seconds);
	json_key(j, "closes");
	json_obj_begin(j);
	json_ku64(j, "server_fin", f->server_fin);
	json_ku64(j, "client_fin", f->client_fin);
	json_ku64(j, "server_rst", f->server_rst);
	json_ku64(j, "client_rst", f->client_rst);
	json_ku64(j, "other", f->other_close);
	json_obj_end(j);
	json_dist(j, "linger_us", &f->linger_us);
	json_ku64(j, "handed_off", f->handed_off);
	json_hsum(j, "request_read_us", &f->req_read_us);
	json_hsum(j, "request_handle_us", &f->req_handle_us);
	json_hsum(j, "response_write_us", &f->req_write_us);
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

static void report_json_obj(struct json *j, const struct report *rep)
{
	json_obj_begin(j);
	json_kstr(j, "tool", "mpmscope " MPMSCOPE_VERSION);
	json_kstr(j, "scenario", rep->sc->name);
	json_kstr(j, "description", rep->sc->description);
	json_kstr(j, "httpd", rep->httpd ? rep->httpd : "");
	json_kstr(j, "httpd_version", rep->httpd_version ? rep->httpd_version : "");
	json_kbool(j, "interrupted", rep->interrupted);
	json_key(j, "expectations");
	json_arr_begin(j);
	for (int i = 0; i < rep->nclaims; i++) {
		json_obj_begin(j);
		json_kstr(j, "claim", rep->claims[i].claim->text);
		json_kstr(j, "en", rep->claims[i].claim->en);
		json_kstr(j, "verdict", verdict_name(rep->claims[i].verdict));
		json_kstr(j, "evidence", rep->claims[i].evidence);
		json_obj_end(j);
	}
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
		json_load(j, r);
		json_kernel(j, r);
		json_memory(j, r);
		json_failures(j, r);
		json_ku64(j, "events_lost", r->k.events_lost);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static int json_write(struct json *j, const char *path, struct errbuf *e)
{
	int rc;

	/* a trailing newline makes the file friendlier to cat and diff */
	j->buf = xrealloc(j->buf, j->len + 2);
	j->buf[j->len++] = '\n';
	j->buf[j->len] = 0;
	rc = write_file_atomic(path, j->buf, j->len, e);
	json_free(j);
	return rc;
}

int report_json(const struct report *rep, const char *path, struct errbuf *e)
{
	struct json j;

	json_init(&j);
	report_json_obj(&j, rep);
	return json_write(&j, path, e);
}

int report_json_all(const struct report *reps, int nreps, const char *path, struct errbuf *e)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_kstr(&j, "tool", "mpmscope " MPMSCOPE_VERSION);
	json_key(&j, "scenarios");
	json_arr_begin(&j);
	for (int i = 0; i < nreps; i++)
		report_json_obj(&j, &reps[i]);
	json_arr_end(&j);
	json_key(&j, "expectations");
	json_arr_begin(&j);
	for (int i = 0; i < nreps; i++)
		for (int k = 0; k < reps[i].nclaims; k++) {
			json_obj_begin(&j);
			json_kstr(&j, "scenario", reps[i].sc->name);
			json_kstr(&j, "claim", reps[i].claims[k].claim->text);
			json_kstr(&j, "en", reps[i].claims[k].claim->en);
			json_kstr(&j, "verdict", verdict_name(reps[i].claims[k].verdict));
			json_kstr(&j, "evidence", reps[i].claims[k].evidence);
			json_obj_end(&j);
		}
	json_arr_end(&j);
	json_obj_end(&j);
	return json_write(&j, path, e);
}
