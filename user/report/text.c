// SPDX-License-Identifier: MIT
/* The text report: the seed's table extended with the kernel's facts. */
#include <math.h>
#include <string.h>

#include "base/units.h"
#include "report/report.h"

static uint64_t pct(const struct hdr *h, double p)
{
	return h ? hdr_percentile(h, p) : 0;
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
			fmt_dist_us(b[1], sizeof(b[1]), &f->runq_us), f->herd_wakeups_per_conn);
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
		snprintf(b[2], sizeof(b[2]), "%llu/%llu/%llu/%llu", (unsigned long long)f->closes[CLOSER_SERVER_FIN],
			 (unsigned long long)f->closes[CLOSER_CLIENT_FIN], (unsigned long long)f->closes[CLOSER_SERVER_RST],
			 (unsigned long long)f->closes[CLOSER_CLIENT_RST]);
		fprintf(out, "%-8s %7llu %8.1f %15s %15s %10.2f %21s %15s\n", mpm_name(r->mpm),
			(unsigned long long)f->connections, f->requests_per_conn,
			fmt_dist_us(b[0], sizeof(b[0]), &f->listen_queue_us),
			fmt_dist_us(b[1], sizeof(b[1]), &f->keepalive_idle_us), f->held_task_seconds, b[2],
			fmt_dist_us(b[3], sizeof(b[3]), &f->linger_us));
	}
	fprintf(out, "(held task-s: seconds server tasks spent blocked on idle keep-alive connections; event parks them "
		     "in its listener's epoll instead)\n");
}

/* https runs: the client's handshakes beside what a new connection cost the server */
static void report_tls_table(const struct report *rep, FILE *out)
{
	char b[4][48];
	bool any = false;

	for (int i = 0; i < rep->nruns; i++)
		any |= rep->runs[i].ran && rep->runs[i].load_cfg.tls;
	if (!any)
		return;
	fprintf(out, "\n%-8s %9s %11s %8s %7s %6s %19s %14s\n", "tls", "protocol", "handshakes", "full", "resumed",
		"failed", "handshake p50/p99", "server CPU/conn");
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct lg_result *l = &r->load;
		const struct hdr *h = l->tls_handshake_us;

		if (!r->ran || !r->load_cfg.tls)
			continue;
		if (h && hdr_count(h))
			snprintf(b[0], sizeof(b[0]), "%s/%s",
				 fmt_duration_us(b[1], sizeof(b[1]), (double)hdr_percentile(h, 50)),
				 fmt_duration_us(b[2], sizeof(b[2]), (double)hdr_percentile(h, 99)));
		else
			snprintf(b[0], sizeof(b[0]), "-");
		fprintf(out, "%-8s %9s %11llu %8llu %7llu %6llu %19s %14s\n", mpm_name(r->mpm),
			l->tls_protocol[0] ? l->tls_protocol : "-", (unsigned long long)l->tls_handshakes,
			(unsigned long long)l->tls_full, (unsigned long long)l->tls_resumed,
			(unsigned long long)l->tls_failed, b[0],
			isfinite(r->k.sched.cpu_us_per_connection)
				? fmt_duration_us(b[3], sizeof(b[3]), r->k.sched.cpu_us_per_connection) : "-");
	}
	fprintf(out, "(handshake: the client's connect() to the handshake's end; server CPU/conn: the server's on-CPU "
		     "time over the load / connections accepted)\n");
}

/* compare: what trace would have said from the kernel alone, beside the
 * client-side join ("server side: 7 failed connections: never_accepted 5,
 * listen_overflow 2"). */
static void server_side_line(const struct run_model *r, FILE *out)
{
	if (!r->server_side.known)
		return;
	fprintf(out, "  server side, from the kernel alone (as trace sees it): %llu failed connection(s)",
		(unsigned long long)r->server_side.failed);
	for (int c = 0, n = 0; c < FC__MAX; c++)
		if (r->server_side.by_cause[c])
			fprintf(out, "%s %s %llu", n++ ? "," : ":", fail_cause_id((enum fail_cause)c),
				(unsigned long long)r->server_side.by_cause[c]);
	fputc('\n', out);
}

void report_failures(const struct report *rep, FILE *out)
{
	for (int i = 0; i < rep->nruns; i++) {
		const struct run_model *r = &rep->runs[i];
		const struct failure_facts *ff = &r->fail;
		bool server_trouble = ff->tasks_killed || ff->tasks_failed || ff->create_failed;

		if (!r->ran && !ff->ncodes)
			continue;
		if (!ff->nrows && !server_trouble && !ff->net.listen_overflows && !ff->never_in)
			continue;
		if (r->attached)
			fprintf(out, "\nfailures on %s, seen from the server (the kernel and its logs): %llu failed "
				     "connection(s) or response(s)\n",
				mpm_name(r->mpm), (unsigned long long)ff->failed);
		else
			fprintf(out, "\nfailures on %s: %llu failed request(s), %llu explained by kernel evidence; %llu idle "
				     "keep-alive close(s) that ab would count as failures\n",
				mpm_name(r->mpm), (unsigned long long)ff->failed, (unsigned long long)ff->explained,
				(unsigned long long)ff->retried);
		if (ff->nrows)
			fprintf(out, "  %7s  %-14s %-20s %s\n", "count", r->attached ? "client saw" : "client", "ab would say",
				"cause");
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
		server_side_line(r, out);
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
	char *s = n->text[NOTE_SUMMARY];
	size_t used, max = sizeof(n->text[0]);

	memset(n, 0, sizeof(*n));
	if (r->attached)
		snprintf(s, max,
			 "%u server processes and %u threads when the trace began, %llu processes and %llu threads "
			 "created during it; %llu connections accepted by the kernel, %llu requests read on them",
			 r->seeded_procs, r->seeded_threads, (unsigned long long)k->processes_created,
			 (unsigned long long)k->threads_created, (unsigned long long)k->accepts,
			 (unsigned long long)k->sched.requests_seen);
	else
		snprintf(s, max,
			 "%u server processes (%llu at start-up, %llu under load, %llu after), at most %u threads in one; "
			 "%llu connections opened, %llu accepted by the kernel",
			 k->children, (unsigned long long)k->spawn_by_phase[PHASE_STARTUP][0],
			 (unsigned long long)k->spawn_by_phase[PHASE_LOAD][0],
			 (unsigned long long)k->spawn_by_phase[PHASE_AFTER][0], k->child_max_threads,
			 (unsigned long long)l->connections, (unsigned long long)k->accepts);
	used = strlen(s);
	if (k->accepts_internal)
		used += (size_t)snprintf(s + used, max - used, ", %llu internal dummy connections apart",
					 (unsigned long long)k->accepts_internal);
	if (k->accepts_other && used < max)
		used += (size_t)snprintf(s + used, max - used, ", %llu from other clients", (unsigned long long)k->accepts_other);
	if (k->backend.present && used < max)
		used += (size_t)snprintf(s + used, max - used, "; backend apart: %u processes, %llu threads created, %.2f s CPU",
					 k->backend.processes, (unsigned long long)k->backend.threads_created,
					 (double)k->backend.cpu_ns / 1e9);
	if (k->backend.queue_us.n && used < max)
		used += (size_t)snprintf(s + used, max - used,
					 ", Apache's connections to it waited %.0f us (p50) / %.0f us (p99) for a free worker",
					 k->backend.queue_us.p50, k->backend.queue_us.p99);
	if (k->track_full && used < max)
		snprintf(s + used, max - used, "; %llu new processes or threads NOT followed (a BPF table was full)",
			 (unsigned long long)k->track_full);
	s = n->text[NOTE_FAILED];
	for (int f = 0, u = 0; f < LG_FAIL__MAX && u < (int)max; f++)
		if (l->failed_by[f])
			u += snprintf(s + u, max - (size_t)u, "%s %s %llu", u ? "" : "failed:", lg_fail_name((enum lg_fail)f),
				      (unsigned long long)l->failed_by[f]);
	s = n->text[NOTE_ACCEPT_ERRORS];
	for (int e = 0, u = 0; e < MS_ERRNO_SLOTS && u < (int)max; e++)
		if (k->accept_errno[e])
			u += snprintf(s + u, max - (size_t)u, "%s %s %llu", u ? "" : "accept errors:", errno_slot_name(e),
				      (unsigned long long)k->accept_errno[e]);
	if (k->children_signalled)
		snprintf(n->text[NOTE_SIGNALLED], max, "%u server processes ended by a signal", k->children_signalled);
	if (k->events_lost)
		snprintf(n->text[NOTE_LOST], max, "WARNING: %llu kernel records lost (ring buffer full)",
			 (unsigned long long)k->events_lost);
}

void report_kernel_tables(const struct report *rep, FILE *out)
{
	report_spawn_table(rep, out);
	report_sched_conn_table(rep, out);
	report_tls_table(rep, out);
}

void report_table(const struct report *rep, FILE *out)
{
	const struct scenario *sc = rep->sc;
	char b[8][32];

	if (!rep->compact)
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
			mpm_name(r->mpm), l->duration_s, l->rps, (unsigned long long)l->failed, 100.0 * lg_failure_rate(l),
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
		struct run_notes notes;

		if (!rep->runs[i].ran)
			continue;
		report_run_notes(&rep->runs[i], &notes);
		for (int k = 0, n = 0; k < NOTE__MAX; k++)
			/* a sweep's point: what failed and what was lost, the rest is in the curves */
			if (notes.text[k][0] && (!rep->compact || k == NOTE_FAILED || k == NOTE_LOST))
				fprintf(out, "%-8s %s\n", n++ ? "" : mpm_name(rep->runs[i].mpm), notes.text[k]);
	}
	if (rep->compact)
		return;
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
			report_why_claim(rep, c, out);
		}
	}
	if (rep->interrupted)
		fprintf(out, "interrupted: figures cover the run up to Ctrl-C\n");
}

