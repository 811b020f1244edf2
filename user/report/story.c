// SPDX-License-Identifier: MIT
#include "report/story.h"

#include <stdarg.h>
#include <stdlib.h>

#include "base/util.h"

/* tid -> pid from the spawn records (threads of a child share its pid). */
static pid_t pid_of(const struct ms_event *ev, size_t nev, uint32_t tid, pid_t root)
{
	if ((pid_t)tid == root)
		return root;
	for (size_t i = 0; i < nev; i++)
		if (ev[i].type == MS_EV_SPAWN && ev[i].spawn.child_tid == tid)
			return (pid_t)ev[i].spawn.child_tgid;
	return 0;
}

static const char *role_words(int role, enum mpm m)
{
	switch (role) {
	case MS_ROLE_PARENT: return "the parent process";
	case MS_ROLE_PREFORK_CHILD: return "child process";
	case MS_ROLE_CHILD_MAIN: return "the main thread";
	case MS_ROLE_STARTER: return "the starter thread";
	case MS_ROLE_LISTENER: return "the listener thread";
	case MS_ROLE_WORKER: return "worker thread";
	case MS_WAKER_KERNEL: return "the kernel (timer or network)";
	case MS_WAKER_EXTERNAL: return "the client";
	default: return m == MPM_PREFORK ? "process" : "thread";
	}
}

static const char *block_words(int reason)
{
	switch (reason) {
	case MS_OFF_KEEPALIVE: return "blocks in poll() on this idle connection: it is held, waiting for the next request";
	case MS_OFF_READ_REQ: return "blocks waiting for the rest of the request";
	case MS_OFF_WRITE_RESP: return "blocks until the client reads (socket buffer full)";
	case MS_OFF_LINGER: return "blocks in poll() for the client's FIN (lingering close)";
	case MS_OFF_IDLE_WORKER: return "goes back to the idle pool (futex wait): it holds no connection any more";
	case MS_OFF_WAIT_CONN: return "waits for new connections";
	case MS_OFF_WAIT_IDLER: return "waits for an idle worker";
	case MS_OFF_ACCEPT_MUTEX: return "waits for the accept mutex";
	default: return "blocks";
	}
}

/* "thread 1251 (child 1234)" / "child process 1234" */
static void who(char *buf, size_t n, int role, uint32_t tid, pid_t pid, enum mpm m)
{
	if (role == MS_ROLE_PREFORK_CHILD || (m == MPM_PREFORK && role >= MS_ROLE__MAX))
		snprintf(buf, n, "child process %u", tid);
	else if (pid && (pid_t)tid != pid)
		snprintf(buf, n, "%s %u of child %d", role_words(role, m), tid, (int)pid);
	else
		snprintf(buf, n, "%s %u", role_words(role, m), tid);
}

/* The story so far. */
struct teller {
	FILE *out;
	const struct story_server *srv;
	const struct story_client *cv;
	const struct ms_event *all;  /* every record: pid_of() */
	size_t nall;
	uint64_t t0;                 /* the client's connect(): +0 ms */
	uint32_t server_task, holder;
	uint64_t idle_from, last_send;
	int recv_req, sends;
	size_t ci;                   /* client requests told */
	bool held_by_task, parked, parked_said, closed, eof_said;
};

static void line(struct teller *t, uint64_t ts, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct teller *t, uint64_t ts, const char *fmt, ...)
{
	va_list ap;

	fprintf(t->out, "  %+10.3f ms  ", ts >= t->t0 ? (double)(ts - t->t0) / 1e6 : -(double)(t->t0 - ts) / 1e6);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

/* What the client did before ts (every remaining thing: UINT64_MAX). */
static void client_until(struct teller *t, uint64_t ts)
{
	const struct story_client *cv = t->cv;

	while (t->ci < (size_t)cv->nreq && cv->t_sent[t->ci] <= ts) {
		line(t, cv->t_sent[t->ci], "the client sends request %zu", t->ci + 1);
		t->ci++;
	}
	if (!t->eof_said && cv->t_eof && cv->t_eof <= ts) {
		line(t, cv->t_eof, cv->reset ? "the client gets a reset"
					     : "the client reads end-of-file: the server closed the connection");
		t->eof_said = true;
	}
}

static void tell_recv(struct teller *t, const struct ms_event *e, const char *w)
{
	if (t->idle_from && t->parked)
		line(t, e->ts, "the next request arrives after %.3f s idle: the listener hands the connection back to a worker",
		     (double)(e->ts - t->idle_from) / 1e9);
	else if (t->idle_from && t->held_by_task)
		line(t, e->ts, "the next request arrives after %.3f s idle", (double)(e->ts - t->idle_from) / 1e9);
	t->idle_from = 0;
	t->parked = t->held_by_task = t->parked_said = false;
	t->recv_req++;
	line(t, e->ts, "%s reads request %d: %llu bytes", w, t->recv_req, (unsigned long long)e->step.value);
	t->sends = 0;
}

static void tell_block(struct teller *t, const struct ms_event *e, const char *w)
{
	if (e->step.other == MS_OFF_KEEPALIVE) {
		t->held_by_task = true;
		t->holder = e->step.task;
	} else if (e->step.other == MS_OFF_IDLE_WORKER && t->idle_from) {
		t->parked = true;
	}
	line(t, e->ts, "%s %s", w, block_words((int)e->step.other));
	if (t->parked && !t->parked_said) {
		line(t, e->ts, "the connection sits in the listener's epoll set: no thread is held while it is idle");
		t->parked_said = true;
	}
}

/* The steps that end the connection's life. */
static void tell_close(struct teller *t, const struct ms_event *e, const char *w)
{
	switch (e->step.step) {
	case MS_STEP_SERVER_FIN:
		/* a server task's name, or none: the timer's context is no one's */
		line(t, e->ts, "the server closes its side (FIN) after %.3f s idle%s%s%s%s",
		     t->last_send ? (double)(e->ts - t->last_send) / 1e9 : 0.0,
		     t->held_by_task ? ": KeepAliveTimeout expired in the task holding it"
				     : ": the listener's KeepAliveTimeout queue expired",
		     e->step.task_role < MS_ROLE__MAX ? " (" : "", e->step.task_role < MS_ROLE__MAX ? w : "",
		     e->step.task_role < MS_ROLE__MAX ? ")" : "");
		if (t->held_by_task && t->holder)
			line(t, e->ts, "during that time task %u did nothing but hold this connection", t->holder);
		break;
	case MS_STEP_CLIENT_FIN: line(t, e->ts, "the client closes its side (FIN)"); break;
	case MS_STEP_RST_SENT: line(t, e->ts, "the server sends a RST"); break;
	case MS_STEP_RST_RECV: line(t, e->ts, "the server receives a RST from the client"); break;
	case MS_STEP_CLOSE:
		line(t, e->ts, "the kernel closes the socket: the connection is gone");
		t->closed = true;
		break;
	}
}

static void tell_step(struct teller *t, const struct ms_event *e)
{
	enum mpm m = t->srv->mpm;
	char w[96], w2[96];

	who(w, sizeof(w), (int)e->step.task_role, e->step.task, pid_of(t->all, t->nall, e->step.task, t->srv->root), m);
	switch (e->step.step) {
	case MS_STEP_ESTABLISHED:
		line(t, e->ts, "the kernel completes the TCP handshake: the connection waits in the listen queue of port %u",
		     t->srv->port);
		break;
	case MS_STEP_ACCEPT:
		line(t, e->ts, "%s accepts it (accept4), after %.1f us in the listen queue", w, (double)e->step.value / 1e3);
		t->server_task = e->step.task;
		break;
	case MS_STEP_HANDOFF:
		if (e->step.task != t->server_task)
			line(t, e->ts, "the connection is now served by %s", w);
		t->server_task = e->step.task;
		break;
	case MS_STEP_RECV:
		tell_recv(t, e, w);
		break;
	case MS_STEP_SEND:
		if (!t->sends)
			line(t, e->ts, "%s writes the response: %llu bytes", w, (unsigned long long)e->step.value);
		else
			line(t, e->ts, "%s writes %llu more bytes", w, (unsigned long long)e->step.value);
		t->sends++;
		t->last_send = t->idle_from = e->ts;
		break;
	case MS_STEP_BLOCK:
		tell_block(t, e, w);
		break;
	case MS_STEP_WAKE: {
		int waker = (int)e->step.other;

		who(w2, sizeof(w2), waker, e->tid, pid_of(t->all, t->nall, e->tid, t->srv->root), m);
		line(t, e->ts, "%s is woken by %s after %.3f ms blocked", w, waker >= MS_ROLE__MAX ? role_words(waker, m) : w2,
		     (double)e->step.value / 1e6);
		break;
	}
	case MS_STEP_RUN:
		if (e->step.value > 50 * 1000)
			line(t, e->ts, "%s gets a CPU after %.1f us in the run queue", w, (double)e->step.value / 1e3);
		break;
	default:
		tell_close(t, e, w);
	}
}

static int cmp_ev_ts(const void *a, const void *b)
{
	const struct ms_event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

void report_story(FILE *out, const struct story_server *srv, const struct story_client *cv,
		  const struct ms_event *all, size_t nall)
{
	struct teller t = { .out = out, .srv = srv, .cv = cv, .all = all, .nall = nall, .t0 = cv->t_connect };
	struct ms_event *st = xcalloc(nall + 1, sizeof(*st));
	size_t n = 0;

	for (size_t i = 0; i < nall; i++)
		if (all[i].type == MS_EV_STEP)
			st[n++] = all[i];
	qsort(st, n, sizeof(*st), cmp_ev_ts);
	fprintf(out, "\nexplain: one keep-alive connection on %s (%s), 127.0.0.1:%u -> %s:%u, KeepAliveTimeout %s s\n\n",
		mpm_name(srv->mpm), srv->version, cv->port, srv->addr, srv->port, srv->ka_timeout ? srv->ka_timeout : "5");
	line(&t, t.t0, "the client calls connect() from port %u", cv->port);
	for (size_t i = 0; i < n && !t.closed; i++) {
		client_until(&t, st[i].ts); /* client-side events that happened before this step */
		tell_step(&t, &st[i]);
	}
	client_until(&t, UINT64_MAX);
	fprintf(out, "\n%d request(s), %d read by the server; %s\n", cv->nreq, t.recv_req,
		srv->mpm == MPM_EVENT ? "event: between requests the connection is parked in the listener's epoll, "
					"and no thread waits on it"
				      : "prefork/worker: between requests a whole process or thread waits on the connection");
	free(st);
}

void story_task_name(char *buf, size_t n, const struct story_run *r, int role, uint32_t tid)
{
	who(buf, n, role, tid, pid_of(r->ev, r->nev, tid, r->srv.root), r->srv.mpm);
}
