// SPDX-License-Identifier: MIT
#include "model/failures.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/outcomes.h"
#include "scenario/scenario.h"

const char *fail_cause_id(enum fail_cause c)
{
	static const char *const ids[] = {
		"keepalive_timeout", "max_keepalive_requests", "event_busy_close", "server_fin_idle",
		"server_closed_before_response", "server_rst", "server_task_killed", "server_task_exited",
		"never_accepted", "listen_overflow", "connect_failed", "slow_response", "http_status",
		"client_rst", "no_kernel_record", "keepalive_race",
	};

	return c < FC__MAX ? ids[c] : "?";
}

/* How ab counts what mpmscope's client saw (see notes/load-generators). */
const char *failure_ab_class(enum lg_fail f)
{
	switch (f) {
	case LG_FAIL_CONNECT: return "Connect";
	case LG_FAIL_RESET: return "Receive";
	case LG_FAIL_EOF: return "Length";
	case LG_FAIL_LENGTH: return "Length";
	case LG_FAIL_TIMEOUT: return "Exceptions/abort";
	case LG_FAIL_STATUS: return "Non-2xx (not failed)";
	case LG_FAIL_WRITE: return "Write errors";
	case LG_FAIL_TLS: return "Connect";
	default: return "?";
	}
}

struct conn_ref {
	uint16_t port;
	uint64_t established, closed;
	const struct ms_event *ev;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct conn_ref *x = a, *y = b;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->established < y->established ? -1 : x->established > y->established;
}

/* The kernel's record of the connection a failed request went on: same
 * client port, established before the failure, alive when the request began. */
static const struct ms_event *find_conn(const struct conn_ref *refs, size_t n, const struct lg_failure *f)
{
	size_t lo = 0, hi = n;
	const struct ms_event *best = NULL;
	const uint64_t slack = 5 * NSEC_PER_MSEC;

	if (!f->local_port)
		return NULL;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (refs[mid].port < f->local_port)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && refs[i].port == f->local_port; i++)
		if (refs[i].established <= f->t_fail + slack && refs[i].closed + slack >= f->t_start)
			best = refs[i].ev;
	return best;
}

/* A server process that ended near t (a signal or a non-zero status). */
static const struct proc_fact *died_near(const struct kernel_facts *k, pid_t pid, uint64_t t)
{
	const uint64_t window = 200 * NSEC_PER_MSEC;

	for (size_t i = 0; i < k->nprocs; i++) {
		const struct proc_fact *p = &k->procs[i];
		int sig = p->exit_code & 0x7f, status = (p->exit_code >> 8) & 0xff;

		if (p->pid != pid || !p->exited || (sig == 0 && status == 0) || sig == SIGTERM)
			continue;
		if (p->t_exit + window >= t && p->t_exit <= t + window)
			return p;
	}
	return NULL;
}

static double dirv(const struct scenario *sc, enum mpm m, const char *name, double def)
{
	const char *v = scenario_directive(sc, m, name);

	return v && *v ? atof(v) : def;
}

struct failure_row *failure_row_for(struct failure_facts *ff, enum lg_fail cls, uint8_t retried, enum fail_cause cause,
				    const char *text)
{
	for (int i = 0; i < ff->nrows; i++)
		if (ff->rows[i].cause == cause && ff->rows[i].retried == retried &&
		    !strcmp(ff->rows[i].client_class, lg_fail_name(cls)) && !strcmp(ff->rows[i].cause_text, text))
			return &ff->rows[i];
	if (ff->nrows == FAIL_MAX_ROWS)
		return &ff->rows[FAIL_MAX_ROWS - 1]; /* folded into the last row */
	struct failure_row *r = &ff->rows[ff->nrows++];

	memset(r, 0, sizeof(*r));
	snprintf(r->client_class, sizeof(r->client_class), "%s", lg_fail_name(cls));
	snprintf(r->ab_class, sizeof(r->ab_class), "%s", retried == 2 ? "Length (next request)" : failure_ab_class(cls));
	r->cause = cause;
	r->retried = retried;
	snprintf(r->cause_text, sizeof(r->cause_text), "%s", text);
	return r;
}

static double rel_s(const struct run_model *r, uint64_t t)
{
	return ((double)t - (double)r->t_load_start) / 1e9;
}

/* AH00161 (prefork), AH00286 (worker), AH00484 (event): MaxRequestWorkers reached */
static bool maxworkers_logged(const struct failure_facts *ff)
{
	for (int i = 0; i < ff->ncodes; i++)
		if (!strcmp(ff->codes[i].code, "AH00161") || !strcmp(ff->codes[i].code, "AH00286") ||
		    !strcmp(ff->codes[i].code, "AH00484"))
			return true;
	return false;
}

/* Decide the cause of one failed request; fill text and example. */
static enum fail_cause classify(const struct run_model *r, const struct scenario *sc, const struct failure_facts *ff,
				const struct lg_failure *f, const struct ms_event *ce, char *text, size_t tn,
				char *ex, size_t en)
{
	const struct ms_conn *c = ce ? &ce->conn_end.c : NULL;
	bool overflow = ff->net.listen_overflows || ff->net.listen_drops || ff->synack_retrans;
	int n = f->retried == 2 ? snprintf(ex, en, "client port %u, closed while idle at %+.3f s after %u request(s)",
					   f->local_port, rel_s(r, f->t_fail), f->conn_requests)
				: snprintf(ex, en, "client port %u, request began at %+.3f s (%u earlier on the connection)",
					   f->local_port, rel_s(r, f->t_start), f->conn_requests);
	char *p = ex + (n > 0 && (size_t)n < en ? n : 0);
	size_t left = en - (size_t)(p - ex);

	if (f->cls == LG_FAIL_STATUS) {
		snprintf(text, tn, "the server answered HTTP %u", f->status);
		return FC_HTTP_STATUS;
	}
	if (!c) {
		if (f->cls == LG_FAIL_CONNECT || f->cls == LG_FAIL_TIMEOUT) {
			if (overflow) {
				snprintf(text, tn, "no connection: the handshake was dropped (listen backlog overflow)");
				snprintf(p, left, "; load phase: ListenOverflows +%llu, ListenDrops +%llu, SYN-ACK retransmits %llu",
					 (unsigned long long)ff->net.listen_overflows,
					 (unsigned long long)ff->net.listen_drops, (unsigned long long)ff->synack_retrans);
				return FC_LISTEN_OVERFLOW;
			}
			snprintf(text, tn, "connect failed; no listen overflow seen");
			return FC_CONNECT_OTHER;
		}
		snprintf(text, tn, "no kernel record of this connection (records lost?)");
		return FC_NO_RECORD;
	}
	/* the server task on it died? */
	{
		pid_t pid = c->serve_tgid ? (pid_t)c->serve_tgid : (pid_t)c->accept_tid;
		uint64_t t = c->fin_ns ? c->fin_ns : ce->ts;
		const struct proc_fact *d = pid ? died_near(&r->k, pid, t) : NULL;

		if (d && (d->exit_code & 0x7f)) {
			snprintf(text, tn, "the server process serving it was killed by signal %d", d->exit_code & 0x7f);
			snprintf(p, left, "; process %d ended at %+.3f s, the kernel then closed its sockets%s", (int)d->pid,
				 rel_s(r, d->t_exit), c->flags & MS_CF_RST_SENT ? " (RST)" : " (FIN)");
			return FC_TASK_KILLED;
		}
		if (d) {
			snprintf(text, tn, "the server process serving it exited with status %d", (d->exit_code >> 8) & 0xff);
			snprintf(p, left, "; process %d ended at %+.3f s", (int)d->pid, rel_s(r, d->t_exit));
			return FC_TASK_EXITED;
		}
	}
	if (!(c->flags & MS_CF_ACCEPTED)) {
		snprintf(text, tn, "never accepted: it waited in the listen queue until the client gave up%s",
			 maxworkers_logged(ff) ? " (error log: server reached MaxRequestWorkers)" : "");
		snprintf(p, left, "; established at %+.3f s, closed %.3f s later, never accept()ed", rel_s(r, c->established_ns),
			 (double)(ce->ts - c->established_ns) / 1e9);
		return FC_NEVER_ACCEPTED;
	}
	snprintf(p, left, "; accepted by task %u after %.3f ms in the listen queue, served by %u (process %u), %u "
			  "request(s) on it",
		 c->accept_tid, (double)(c->accept_ns - c->established_ns) / 1e6, c->serve_tid, c->serve_tgid, c->requests);
	p += strlen(p);
	left = en - (size_t)(p - ex);
	if (f->cls == LG_FAIL_TIMEOUT && c->accept_ns + 5 * NSEC_PER_MSEC >= f->t_fail) {
		snprintf(text, tn, "waited in the listen queue past the client's timeout: no process or thread was free "
				   "to accept it%s",
			 maxworkers_logged(ff) ? " (error log: server reached MaxRequestWorkers)" : "");
		p += snprintf(p, left, "; accepted %.3f s after the client gave up", (double)(c->accept_ns - f->t_fail) / 1e9);
		left = en - (size_t)(p - ex);
		if (c->flags & MS_CF_GAVE_UP) {
			/* who held the server's tasks then: keep-alive, a backend... */
			char busy[240];

			outcome_busy_str(busy, sizeof(busy), &c->at_giveup);
			snprintf(p, left, "; the server's tasks when it gave up: %s", busy);
		}
		return FC_NEVER_ACCEPTED;
	}
	if (f->cls == LG_FAIL_TIMEOUT) {
		snprintf(text, tn, "accepted but not answered within the client's timeout");
		return FC_SLOW_RESPONSE;
	}
	if (c->flags & MS_CF_RST_SENT) {
		snprintf(text, tn, "RST sent by the server (closed with unread data, or data arrived after its close)");
		return FC_SERVER_RST;
	}
	if (c->flags & MS_CF_RST_RECV) {
		snprintf(text, tn, "RST from the client side");
		return FC_CLIENT_RST;
	}
	if (c->flags & MS_CF_SERVER_FIN) {
		double idle = c->fin_ns > c->last_send_ns && c->last_send_ns ? (double)(c->fin_ns - c->last_send_ns) / 1e9 : 0;
		double kat = dirv(sc, r->mpm, "KeepAliveTimeout", 5);
		double mkr = dirv(sc, r->mpm, "MaxKeepAliveRequests", 100);

		snprintf(p, left, "; server FIN at %+.3f s after %.3f s idle", rel_s(r, c->fin_ns), idle);
		if (!f->reused || !c->last_send_ns || f->t_start < c->last_send_ns) {
			snprintf(text, tn, "the server closed the connection before answering");
			return FC_SERVER_FIN_EARLY;
		}
		if (idle >= 0.9 * kat) {
			snprintf(text, tn, "server FIN on the idle keep-alive connection: KeepAliveTimeout (%g s) expired", kat);
			return FC_KEEPALIVE_TIMEOUT;
		}
		if (mkr > 0 && c->requests >= (uint32_t)mkr + 1) {
			snprintf(text, tn, "server FIN after MaxKeepAliveRequests (%g, +1) requests", mkr);
			return FC_MAX_KEEPALIVE;
		}
		if (r->mpm == MPM_EVENT) {
			snprintf(text, tn, "event closed the idle keep-alive connection early: its connection limit "
					   "(AsyncRequestWorkerFactor x idle workers) was reached");
			return FC_EVENT_BUSY_CLOSE;
		}
		snprintf(text, tn, "server FIN on the idle keep-alive connection");
		return FC_SERVER_FIN_IDLE;
	}
	snprintf(text, tn, "closed by the client side");
	return FC_CLIENT_RST;
}

bool failures_errlog_line(struct failure_facts *ff, const char *line)
{
	const char *ah = strstr(line, "AH");
	char code[8];
	int i;

	while (ah && !(isdigit((unsigned char)ah[2]) && isdigit((unsigned char)ah[3]) && isdigit((unsigned char)ah[4]) &&
		       isdigit((unsigned char)ah[5]) && isdigit((unsigned char)ah[6])))
		ah = strstr(ah + 2, "AH");
	if (!ah)
		return false;
	/* routine notices (start, stop) are not evidence: warn and worse */
	if (line[0] == '[' && !strstr(line, ":warn]") && !strstr(line, ":error]") && !strstr(line, ":crit]") &&
	    !strstr(line, ":alert]") && !strstr(line, ":emerg]"))
		return false;
	snprintf(code, sizeof(code), "%.7s", ah);
	for (i = 0; i < ff->ncodes; i++)
		if (!strcmp(ff->codes[i].code, code))
			break;
	if (i == ff->ncodes) {
		if (ff->ncodes == FAIL_MAX_CODES)
			return false;
		ff->ncodes++;
		snprintf(ff->codes[i].code, sizeof(ff->codes[i].code), "%s", code);
		int n = (int)strcspn(line, "\n");

		snprintf(ff->codes[i].line, sizeof(ff->codes[i].line), "%.*s", n, line);
	}
	ff->codes[i].count++;
	return true;
}

static void scan_errlog(struct failure_facts *ff, const char *path)
{
	char line[1024];
	FILE *f = path ? fopen(path, "r") : NULL;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		failures_errlog_line(ff, line);
	fclose(f);
}

int failures_evidence(const struct failure_facts *ff, char lines[][240], int max)
{
	int n = 0;

	if (n < max && (ff->net.listen_overflows || ff->net.listen_drops || ff->synack_retrans))
		snprintf(lines[n++], 240, "kernel: ListenOverflows +%llu, ListenDrops +%llu, SYN-ACK retransmits %llu during "
					  "the load (netstat counters are per network namespace)",
			 (unsigned long long)ff->net.listen_overflows, (unsigned long long)ff->net.listen_drops,
			 (unsigned long long)ff->synack_retrans);
	if (n < max && ff->conn_unaccepted)
		snprintf(lines[n++], 240, "kernel: %llu connection(s) closed without ever being accepted",
			 (unsigned long long)ff->conn_unaccepted);
	if (n < max && ff->tasks_killed)
		snprintf(lines[n++], 240, "kernel: %u server process(es) ended by a signal (last: %d)", ff->tasks_killed,
			 ff->last_signal);
	if (n < max && ff->tasks_failed)
		snprintf(lines[n++], 240, "kernel: %u server process(es) exited with a non-zero status", ff->tasks_failed);
	if (n < max && ff->create_failed)
		snprintf(lines[n++], 240, "kernel: %llu fork/clone call(s) failed", (unsigned long long)ff->create_failed);
	for (int i = 0; i < ff->nlisten && n < max; i++) {
		const struct listen_fact *l = &ff->listen[i];

		if (l->syn_drops || l->ack_drops || l->peak)
			snprintf(lines[n++], 240, "kernel: port %u: %llu SYN(s) and %llu handshake end(s) (ACK or first data) dropped on a full "
						  "accept queue; the longest queue: %u (backlog %u)",
				 l->port, (unsigned long long)l->syn_drops, (unsigned long long)l->ack_drops, l->peak,
				 l->backlog);
		if (n < max && l->kernel_drops)
			snprintf(lines[n++], 240,
				 "kernel: port %u: its listener discarded %llu packet(s) (its own count, sk_drops: "
				 "dropped handshakes, and retransmitted ones)",
				 l->port, (unsigned long long)l->kernel_drops);
	}
	if (n < max && (ff->never_in || ff->got_in_late))
		snprintf(lines[n++], 240, "kernel: %llu client(s) never got in after dropped handshakes, %llu got in late",
			 (unsigned long long)ff->never_in, (unsigned long long)ff->got_in_late);
	if (n < max && ff->rst_after_close)
		snprintf(lines[n++], 240, "kernel: %llu RST(s) sent on connections the server had closed (data came after "
					  "its close)", (unsigned long long)ff->rst_after_close);
	if (n < max && ff->syn_watch && strncmp(ff->syn_watch, "SYN", 3))
		snprintf(lines[n++], 240, "kernel: drops per client not seen (%s); per port from the listener only",
			 ff->syn_watch);
	return n;
}

void failures_server_tasks(struct failure_facts *ff, const struct run_model *r)
{
	ff->create_failed = r->k.create_failed;
	ff->tasks_killed = ff->tasks_failed = 0;
	for (size_t i = 0; i < r->k.nprocs; i++) {
		const struct proc_fact *p = &r->k.procs[i];
		int sig = p->exit_code & 0x7f;

		/* Apache's own processes (the parent's children, and those that
		 * existed before a trace: it seeds only those); a CGI script's
		 * status is its own */
		if (!p->exited || p->is_root || (p->parent && p->parent != r->httpd_pid))
			continue;
		if (sig && sig != SIGTERM && sig != SIGKILL) {
			ff->tasks_killed++;
			ff->last_signal = sig;
		} else if (sig == SIGKILL && (!r->t_load_end || p->t_exit <= r->t_load_end)) {
			/* SIGKILL at shutdown is Apache's own cleanup; during the load it is not */
			ff->tasks_killed++;
			ff->last_signal = sig;
		} else if (!sig && (p->exit_code >> 8)) {
			ff->tasks_failed++;
		}
	}
}

void failures_build(struct run_model *r, const struct scenario *sc, const struct ms_event *ev, size_t nev,
		    const struct netstat *net_delta, const char *errlog_path, const char *stderr_log_path)
{
	struct failure_facts *ff = &r->fail;
	struct conn_ref *refs;
	size_t nrefs = 0;

	memset(ff, 0, sizeof(*ff));
	if (net_delta)
		ff->net = *net_delta;
	ff->synack_retrans = r->snap_end.c[MS_C_SYNACK_RETRANS] - r->snap_start.c[MS_C_SYNACK_RETRANS];
	ff->conn_unaccepted = r->k.conn_unaccepted;
	failures_server_tasks(ff, r);
	scan_errlog(ff, errlog_path);
	scan_errlog(ff, stderr_log_path);

	refs = xcalloc(nev ? nev : 1, sizeof(*refs));
	for (size_t i = 0; i < nev; i++)
		if (ev[i].type == MS_EV_CONN_END) {
			refs[nrefs].port = ev[i].conn_end.c.rport;
			refs[nrefs].established = ev[i].conn_end.c.established_ns;
			refs[nrefs].closed = ev[i].ts;
			refs[nrefs].ev = &ev[i];
			nrefs++;
		}
	qsort(refs, nrefs, sizeof(*refs), cmp_ref);
	for (size_t i = 0; i < r->load.nfailures; i++) {
		const struct lg_failure *f = &r->load.failures[i];
		char text[200], ex[400];
		enum fail_cause cause = classify(r, sc, ff, f, find_conn(refs, nrefs, f), text, sizeof(text), ex, sizeof(ex));
		struct failure_row *row = failure_row_for(ff, (enum lg_fail)f->cls, f->retried, cause, text);

		if (!row->count++)
			snprintf(row->example, sizeof(row->example), "%s", ex);
		if (f->retried) {
			ff->retried++;
			continue;
		}
		ff->failed++;
		if (cause != FC_NO_RECORD)
			ff->explained++;
	}
	free(refs);
}
