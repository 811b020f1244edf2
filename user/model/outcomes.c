// SPDX-License-Identifier: MIT
#include "model/outcomes.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

void outcomes_init(struct outcome_agg *o, enum mpm m, uint64_t t0)
{
	memset(o, 0, sizeof(*o));
	o->mpm = m;
	o->t0 = t0;
}

static double rel(const struct outcome_agg *o, uint64_t t)
{
	return ((double)t - (double)o->t0) / 1e9;
}

void outcome_client_str(char *buf, size_t n, const __u32 addr[4], uint16_t port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (!addr[0] && !addr[1] && addr[2] == htonl(0xffff)) {
		inet_ntop(AF_INET, &addr[3], a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, port);
	} else {
		inet_ntop(AF_INET6, addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, port);
	}
}

int outcome_busy_str(char *buf, size_t n, const struct ms_busy *b)
{
	const struct { unsigned count; const char *what; } busy[] = {
		{ b->keepalive, "holding idle keep-alive connections" },
		{ b->reading, "reading requests" },
		{ b->writing, "writing responses to slow readers" },
		{ b->lingering, "in lingering close" },
		{ b->backend, "waiting for a backend (a CGI, php-fpm, a proxied upstream)" },
		{ b->other, "blocked elsewhere (a handler, a lock)" },
	};
	int u = snprintf(buf, n, "%u free", b->free);

	for (size_t i = 0; i < ARRAY_SIZE(busy) && u > 0 && (size_t)u < n; i++)
		if (busy[i].count)
			u += snprintf(buf + u, n - (size_t)u, ", %u %s", busy[i].count, busy[i].what);
	return u;
}

/* The connection's facts every example starts with. */
static int conn_head(const struct outcome_agg *o, const struct ms_event *ev, char *ex, size_t en)
{
	const struct ms_conn *c = &ev->conn_end.c;
	char who[64];

	outcome_client_str(who, sizeof(who), c->raddr, c->rport);
	if (!(c->flags & MS_CF_ACCEPTED))
		return snprintf(ex, en, "client %s to port %u, established at %+.3f s", who, c->lport,
				rel(o, c->established_ns));
	return snprintf(ex, en, "client %s to port %u, established at %+.3f s, accepted %.3f ms later by task %u, served "
				"by %u (process %u), %u request(s)",
			who, c->lport, rel(o, c->established_ns), (double)(c->accept_ns - c->established_ns) / 1e6,
			c->accept_tid, c->serve_tid, c->serve_tgid, c->requests);
}

#define EX_ADD(...)                                                           \
	do {                                                                  \
		if (u > 0 && (size_t)u < en)                                  \
			u += snprintf(ex + u, en - (size_t)u, __VA_ARGS__);   \
	} while (0)

/* A connection the client gave up on in the listen queue (MS_CF_GAVE_UP),
 * or that the server dropped from it: nobody accepted it in time. */
static int never_accepted(const struct outcome_agg *o, const struct ms_event *ev, char *text, size_t tn, char *ex,
			  size_t en, enum lg_fail *cls)
{
	const struct ms_conn *c = &ev->conn_end.c;
	char busy[240];
	uint64_t gone;
	int u = conn_head(o, ev, ex, en);

	*cls = LG_FAIL_TIMEOUT;
	if (!(c->flags & MS_CF_GAVE_UP) && (c->flags & MS_CF_TASK_EXIT)) {
		snprintf(text, tn, "dropped from the listen queue: the server closed its listening socket (stop or restart)");
		EX_ADD("; reset %.3f s later by the exit of task %u (exit code %d)",
		       (double)(ev->ts - c->established_ns) / 1e9, ev->tid, c->exit_code);
		*cls = LG_FAIL_RESET;
		return FC_NEVER_ACCEPTED;
	}
	gone = c->fin_ns ? c->fin_ns : ev->ts; /* a reset ends it at once */
	outcome_busy_str(busy, sizeof(busy), &c->at_giveup);
	snprintf(text, tn, "the client gave up in the listen queue: no process or thread was free to accept it");
	EX_ADD("; waited %.3f s, then the client %s it; server tasks free when it came: %u; when it left: %s",
	       (double)(gone - c->established_ns) / 1e9, c->flags & MS_CF_RST_RECV ? "reset" : "closed",
	       c->free_at_est, busy);
	if (c->flags & MS_CF_ACCEPTED)
		EX_ADD("; accepted %.3f s after the client had gone", (double)(c->accept_ns - gone) / 1e9);
	if (c->syn_drops)
		EX_ADD("; %u earlier handshake packet(s) dropped, first at %+.3f s", c->syn_drops, rel(o, c->first_syn_ns));
	return FC_NEVER_ACCEPTED;
}

/*
 * The cause of one connection's end, or -1 when nothing failed: every
 * request read got its response and the close was an orderly one.
 * rst_after: the kernel reset it after its close (data came after it).
 */
static int classify(const struct outcome_agg *o, const struct ms_event *ev, bool rst_after, char *text, size_t tn,
		    char *ex, size_t en, enum lg_fail *cls)
{
	const struct ms_conn *c = &ev->conn_end.c;
	bool in_req = c->flags & MS_CF_IN_REQ, idle = !in_req && c->requests;
	int u;


	if (!(c->flags & MS_CF_ACCEPTED) || (c->flags & MS_CF_GAVE_UP))
		return never_accepted(o, ev, text, tn, ex, en, cls);
	u = conn_head(o, ev, ex, en);
	/* the client closed first: whatever ended the server's side later */
	if (in_req && (c->flags & MS_CF_CLIENT_FIN)) {
		snprintf(text, tn, "request read, no response: the client gave up waiting");
		EX_ADD("; request began at %+.3f s, the client closed it %.3f s later with no response byte sent",
		       rel(o, c->req_start_ns), (double)(c->fin_ns - c->req_start_ns) / 1e9);
		*cls = LG_FAIL_TIMEOUT;
		return FC_SLOW_RESPONSE;
	}
	if ((c->flags & MS_CF_TASK_EXIT) && (in_req || !c->requests)) {
		int sig = c->exit_code & 0x7f, status = (c->exit_code >> 8) & 0xff;

		if (sig)
			snprintf(text, tn, "the server process holding it was killed by signal %d%s", sig,
				 in_req ? ", with a request unanswered" : ", before its first request");
		else
			snprintf(text, tn, "the server process holding it exited (status %d)%s", status,
				 in_req ? ", with a request unanswered" : ", before its first request");
		EX_ADD("; process %u ended at %+.3f s and the kernel closed its socket (%s)", ev->tgid, rel(o, ev->ts),
		       c->flags & MS_CF_RST_SENT ? "RST" : "FIN");
		if (ev->tgid != c->serve_tgid)
			EX_ADD(" (the last process holding the socket: a CGI script inherits it)");
		*cls = c->flags & MS_CF_RST_SENT ? LG_FAIL_RESET : LG_FAIL_EOF;
		return sig ? FC_TASK_KILLED : FC_TASK_EXITED;
	}
	/* more than a FIN left unread: a request came after the server's FIN */
	if ((c->flags & MS_CF_SERVER_FIN) && c->requests &&
	    (c->req_start_ns > c->fin_ns || (idle && (rst_after || c->unread > 1)))) {
		snprintf(text, tn, "keep-alive race: a request crossed the server's close of the idle connection");
		EX_ADD("; server FIN at %+.3f s after %.3f s idle, then %s", rel(o, c->fin_ns),
		       c->fin_ns > c->last_send_ns && c->last_send_ns ? (double)(c->fin_ns - c->last_send_ns) / 1e9 : 0,
		       c->req_start_ns > c->fin_ns ? "the client's request arrived"
		       : rst_after		   ? "data arrived and the kernel reset it"
						   : "the client's request arrived and was never read");
		*cls = rst_after ? LG_FAIL_RESET : LG_FAIL_EOF;
		return FC_KEEPALIVE_RACE;
	}
	if (in_req) {
		double waited = (double)((c->fin_ns ? c->fin_ns : ev->ts) - c->req_start_ns) / 1e9;

		if (c->flags & MS_CF_RST_SENT) {
			snprintf(text, tn, "reset by the server with a request unanswered");
			EX_ADD("; request began at %+.3f s, RST %.3f s later", rel(o, c->req_start_ns), waited);
			*cls = LG_FAIL_RESET;
			return FC_SERVER_RST;
		}
		if (c->flags & MS_CF_RST_RECV) {
			snprintf(text, tn, "request read, no response: the client gave up waiting");
			EX_ADD("; request began at %+.3f s, the client reset it %.3f s later with no response byte sent",
			       rel(o, c->req_start_ns), waited);
			*cls = LG_FAIL_TIMEOUT;
			return FC_SLOW_RESPONSE;
		}
		snprintf(text, tn, "request read, no response: the server closed the connection");
		EX_ADD("; request began at %+.3f s, server FIN %.3f s later", rel(o, c->req_start_ns), waited);
		*cls = LG_FAIL_EOF;
		return FC_SERVER_FIN_EARLY;
	}
	if ((c->flags & MS_CF_RST_SENT) || rst_after) {
		if (!c->requests)
			snprintf(text, tn, "reset by the server before any request");
		else if (rst_after)
			snprintf(text, tn, "reset by the server after its close: data came on the closed connection");
		else
			snprintf(text, tn, "reset by the server after its response, with data unread (a lost response)");
		EX_ADD("; closed at %+.3f s", rel(o, ev->ts));
		*cls = LG_FAIL_RESET;
		return FC_SERVER_RST;
	}
	return -1;
}

#undef EX_ADD

static void record(struct outcome_agg *o, int cause, enum lg_fail cls, const char *text, const char *ex,
		   struct failure_row **rowp)
{
	struct failure_row *row;

	*rowp = NULL;
	if (cause < 0)
		return;
	row = failure_row_for(&o->ff, cls, 0, (enum fail_cause)cause, text);
	if (!row->count++)
		snprintf(row->example, sizeof(row->example), "%s", ex);
	o->ff.failed++;
	o->ff.explained++;
	o->by_cause[cause]++;
	*rowp = row;
}

void outcomes_connect(struct outcome_agg *o, const struct ms_event *ev)
{
	unsigned slot = o->nown++ % OUTCOME_RECENT;

	o->own[slot].lport = ev->conn.lport;
	o->own[slot].rport = ev->conn.rport;
	o->own[slot].ts = ev->ts;
}

/* Is c one of the server's own connections: a connect of a server task from
 * its client port to its server port, within a second of its handshake
 * (with TCP_DEFER_ACCEPT the handshake completes with the first data)? */
static bool own_conn(const struct outcome_agg *o, const struct ms_conn *c)
{
	for (unsigned n = 0; n < OUTCOME_RECENT && n < o->nown; n++) {
		unsigned slot = (o->nown - 1 - n) % OUTCOME_RECENT;

		if (o->own[slot].lport == c->rport && o->own[slot].rport == c->lport &&
		    o->own[slot].ts < c->established_ns + NSEC_PER_SEC && c->established_ns < o->own[slot].ts + NSEC_PER_SEC)
			return true;
	}
	return false;
}

int outcomes_conn(struct outcome_agg *o, const struct ms_event *ev)
{
	char text[200], ex[400];
	enum lg_fail cls = LG_FAIL_EOF;
	const struct ms_conn *c = &ev->conn_end.c;
	unsigned slot;
	int cause;

	o->conns++;
	if (own_conn(o, c)) {
		o->internal++;
		return -1;
	}
	slot = o->nrecent++ % OUTCOME_RECENT;
	cause = classify(o, ev, false, text, sizeof(text), ex, sizeof(ex), &cls);
	if ((c->flags & MS_CF_ACCEPTED) && !c->requests && cause < 0)
		o->no_request++;
	if (c->syn_drops && (c->flags & MS_CF_ACCEPTED))
		o->ff.got_in_late++;
	if (!(c->flags & MS_CF_ACCEPTED))
		o->ff.conn_unaccepted++;
	o->recent[slot].ev = *ev;
	o->recent[slot].cause = cause;
	record(o, cause, cls, text, ex, &o->recent[slot].row);
	return cause;
}

int outcomes_open(struct outcome_agg *o, uint64_t sk, const struct ms_conn *c, uint64_t now)
{
	struct ms_event ev;

	/* a request under way, a connection idle: nothing has failed yet */
	if (!(c->flags & MS_CF_GAVE_UP) &&
	    !((c->flags & MS_CF_IN_REQ) && (c->flags & (MS_CF_CLIENT_FIN | MS_CF_RST_RECV))))
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.type = MS_EV_CONN_END;
	ev.ts = now;
	ev.conn_end.sk = sk;
	ev.conn_end.c = *c;
	return outcomes_conn(o, &ev);
}

int outcomes_rst_after_close(struct outcome_agg *o, const struct ms_event *ev)
{
	char text[200], ex[400];
	enum lg_fail cls = LG_FAIL_RESET;

	o->ff.rst_after_close++;
	/* its connection's record came just before: the newest one of that socket */
	for (unsigned n = 0; n < OUTCOME_RECENT && n < o->nrecent; n++) {
		unsigned slot = (o->nrecent - 1 - n) % OUTCOME_RECENT;
		const struct ms_event *c = &o->recent[slot].ev;
		int cause;

		if (c->conn_end.sk != ev->conn.sk || c->conn_end.c.rport != ev->conn.rport)
			continue;
		cause = classify(o, c, true, text, sizeof(text), ex, sizeof(ex), &cls);
		if (cause == o->recent[slot].cause)
			return cause;
		if (o->recent[slot].row) {
			/* the close counted under another cause: it moves */
			o->recent[slot].row->count--;
			o->by_cause[o->recent[slot].cause]--;
			o->ff.failed--;
			o->ff.explained--;
		}
		o->recent[slot].cause = cause;
		record(o, cause, cls, text, ex, &o->recent[slot].row);
		return cause;
	}
	return -1;
}

void outcomes_never_in(struct outcome_agg *o, const struct ms_client *cl, const struct ms_syn_wait *w)
{
	char who[64], text[200], ex[400];
	struct failure_row *row;

	outcome_client_str(who, sizeof(who), cl->addr, cl->rport);
	snprintf(text, sizeof(text), "never got in: its handshake was dropped, the accept queue was full");
	snprintf(ex, sizeof(ex), "client %s to port %u: %u SYN(s) and %u handshake end(s) (its ACK or first data) dropped from %+.3f s to %+.3f s, "
				 "the accept queue held %u (its backlog: %u)",
		 who, cl->lport, w->syns, w->acks, rel(o, w->first_ns), rel(o, w->last_ns), w->queue, w->backlog);
	o->ff.never_in++;
	record(o, FC_LISTEN_OVERFLOW, LG_FAIL_CONNECT, text, ex, &row);
}

void outcomes_http_status(struct outcome_agg *o, unsigned status, const char *line)
{
	char text[200];
	struct failure_row *row;

	if (status < 400 || status > 599)
		return;
	if (status >= 500)
		o->ff.http_5xx++;
	else
		o->ff.http_4xx++;
	o->ff.access_log = true;
	snprintf(text, sizeof(text), "the server answered HTTP %u", status);
	row = failure_row_for(&o->ff, LG_FAIL_STATUS, 0, FC_HTTP_STATUS, text);
	if (!row->count++)
		snprintf(row->example, sizeof(row->example), "access log: %.*s", (int)strcspn(line, "\n"), line);
	o->ff.failed++;
	o->ff.explained++;
	o->by_cause[FC_HTTP_STATUS]++;
}

void outcomes_listen(struct outcome_agg *o, const uint16_t *ports, int nports, const struct ms_listener *now,
		     const struct ms_listener *base, const char *syn_watch)
{
	o->ff.syn_watch = syn_watch;
	o->ff.nlisten = nports < 4 ? nports : 4;
	for (int i = 0; i < o->ff.nlisten; i++) {
		struct listen_fact *l = &o->ff.listen[i];

		l->port = ports[i];
		l->kernel_drops = now[i].kernel_drops - (base ? base[i].kernel_drops : 0);
		l->queue = now[i].queue;
		l->syn_drops = now[i].syn_drops - (base ? base[i].syn_drops : 0);
		l->ack_drops = now[i].ack_drops - (base ? base[i].ack_drops : 0);
		l->backlog = now[i].backlog;
		l->peak = now[i].peak;
	}
}

uint64_t outcomes_failed(const struct outcome_agg *o)
{
	return o->ff.failed;
}
