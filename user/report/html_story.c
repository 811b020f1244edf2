// SPDX-License-Identifier: MIT
/*
 * explain --html: one connection's story on each MPM drawn as a timeline
 * (svg_timeline): the client's lane, the listen queue's, and a lane per
 * server task that touched the connection; the phases of each request
 * (read, handle, write), the keep-alive idle gaps (hatched when a task is
 * held, on the listener's lane when event parks the connection), the
 * lingering close, and every wake-up as an arrow from the waker's lane.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html_internal.h"
#include "report/story.h"

#define MAX_LANES 16
#define MAX_SPANS 256

static const char *const phase_color[] = { "#8250df", "#4c78a8", "#f58518", "#54a24b", "#bf8700", "#cf222e",
					   "#8c959f" };
enum { C_QUEUE, C_READ, C_HANDLE, C_WRITE, C_IDLE, C_LINGER, C_CLIENT };

struct drawing {
	const struct story_run *run;
	uint64_t t0;
	struct svg_lane lanes[MAX_LANES];
	char names[MAX_LANES][96];
	int roles[MAX_LANES];
	size_t nlanes;
	struct svg_span spans[MAX_SPANS];
	char tips[MAX_SPANS][96];
	size_t nspans;
	struct svg_arrow arrows[MAX_SPANS];
	size_t narrows;
	/* the connection's state while its steps are read */
	int server, holder, linger_lane, accept_lane, write_lane;
	uint64_t accept_ts, recv_ts, write_t0, write_t1, idle_from, fin_ts;
	bool held, parked;
	int req;
};

static double us(const struct drawing *d, uint64_t ts)
{
	return ts > d->t0 ? (double)(ts - d->t0) / 1e3 : 0;
}

static int lane_of(struct drawing *d, uint32_t tid, int role)
{
	for (size_t i = 2; i < d->nlanes; i++)
		if (d->lanes[i].tid == tid)
			return (int)i;
	if (d->nlanes >= MAX_LANES)
		return 1;
	story_task_name(d->names[d->nlanes], sizeof(d->names[0]), d->run, role, tid);
	d->lanes[d->nlanes] = (struct svg_lane){ .name = d->names[d->nlanes], .kind = "task", .tid = tid };
	d->roles[d->nlanes] = role;
	return (int)d->nlanes++;
}

static void span(struct drawing *d, int lane, uint64_t a, uint64_t b, const char *phase, int color, bool shaded,
		 const char *tip)
{
	struct svg_span *s;

	if (d->nspans >= MAX_SPANS || lane < 0 || b < a)
		return;
	s = &d->spans[d->nspans];
	snprintf(d->tips[d->nspans], sizeof(d->tips[0]), "%s: %.3f ms", tip, (double)(b - a) / 1e6);
	*s = (struct svg_span){ .lane = lane, .t0 = us(d, a), .t1 = us(d, b), .phase = phase,
				.color = phase_color[color], .shaded = shaded, .tip = d->tips[d->nspans] };
	d->nspans++;
}

/* The response written so far ends: its write phase. */
static void end_write(struct drawing *d)
{
	if (d->write_t0)
		span(d, d->write_lane, d->write_t0, d->write_t1, "write", C_WRITE, false, "writing the response");
	d->write_t0 = 0;
}

/* An idle gap ends at ts: on the task holding it, or on the listener. */
static void end_idle(struct drawing *d, uint64_t ts)
{
	if (!d->idle_from)
		return;
	if (d->parked)
		span(d, d->accept_lane, d->idle_from, ts, "keepalive-idle", C_IDLE, false,
		     "idle, parked in the listener's epoll: no thread held");
	else
		span(d, d->held ? d->holder : d->server, d->idle_from, ts, "keepalive-idle", C_IDLE, d->held,
		     d->held ? "idle, the task is held waiting for the next request" : "idle");
	d->idle_from = 0;
	d->held = d->parked = false;
}

static void on_recv(struct drawing *d, const struct ms_event *e)
{
	const struct story_client *cv = &d->run->cv;
	uint64_t sent = d->req < cv->nreq ? cv->t_sent[d->req] : e->ts;

	end_write(d);
	/* the first request may leave before the server accepted it */
	if (sent < d->accept_ts)
		sent = d->accept_ts;
	if (sent > e->ts || (d->idle_from && sent < d->idle_from))
		sent = e->ts;
	end_idle(d, sent);
	span(d, d->server, sent, e->ts, "read", C_READ, false, "the request on its way and read");
	d->recv_ts = e->ts;
	d->req++;
}

static void on_send(struct drawing *d, const struct ms_event *e)
{
	if (!d->write_t0) {
		span(d, d->server, d->recv_ts, e->ts, "handle", C_HANDLE, false, "handling the request");
		d->write_t0 = e->ts;
		d->write_lane = d->server;
	}
	d->write_t1 = d->idle_from = e->ts;
}

static void on_wake(struct drawing *d, const struct ms_event *e)
{
	int waker = (int)e->step.other, from;

	if (d->narrows >= MAX_SPANS)
		return;
	from = waker < MS_ROLE__MAX ? lane_of(d, e->tid, waker) : waker == MS_WAKER_EXTERNAL ? 0 : 1;
	d->arrows[d->narrows++] = (struct svg_arrow){ .from = from, .to = lane_of(d, e->step.task, e->step.task_role),
						      .t = us(d, e->ts), .tip = "wake-up" };
}

/* Steps that a server task took on the connection and that the story
 * names it for (the handshake and the client's FIN run in the client's
 * context, the socket's release in anyone's, and a step the kernel took
 * from a timer is no task's; a task merely given a CPU is not told). */
static bool by_server(const struct ms_event *e)
{
	return e->step.task_role < MS_ROLE__MAX && e->step.step != MS_STEP_ESTABLISHED && e->step.step != MS_STEP_CLIENT_FIN &&
	       e->step.step != MS_STEP_RST_RECV && e->step.step != MS_STEP_CLOSE && e->step.step != MS_STEP_RUN;
}

static void on_step(struct drawing *d, const struct ms_event *e)
{
	int lane = by_server(e) ? lane_of(d, e->step.task, e->step.task_role) : 1;

	switch (e->step.step) {
	case MS_STEP_ACCEPT:
		span(d, 1, e->ts - e->step.value, e->ts, "listen-queue", C_QUEUE, false, "in the listen queue");
		d->server = d->accept_lane = lane;
		d->accept_ts = e->ts;
		break;
	case MS_STEP_HANDOFF: d->server = lane; break;
	case MS_STEP_RECV: on_recv(d, e); break;
	case MS_STEP_SEND: on_send(d, e); break;
	case MS_STEP_WAKE: on_wake(d, e); break;
	case MS_STEP_BLOCK:
		if (e->step.other == MS_OFF_KEEPALIVE) {
			d->held = true;
			d->holder = lane;
		} else if (e->step.other == MS_OFF_IDLE_WORKER && d->idle_from && !d->held) {
			d->parked = true;
		} else if (e->step.other == MS_OFF_LINGER) {
			d->linger_lane = lane;
		}
		break;
	case MS_STEP_SERVER_FIN:
		/* the task that closed lingers, unless another blocks in it;
		 * closed from a timer: event's listener, or the holder */
		d->linger_lane = by_server(e) ? lane : d->parked ? d->accept_lane : d->held ? d->holder : d->server;
		end_write(d);
		end_idle(d, e->ts);
		d->fin_ts = e->ts;
		break;
	case MS_STEP_CLOSE:
		end_write(d);
		end_idle(d, e->ts);
		if (d->fin_ts)
			span(d, d->linger_lane >= 0 ? d->linger_lane : d->server, d->fin_ts, e->ts, "linger", C_LINGER,
			     false, "lingering close, until the socket is closed");
		d->fin_ts = 0;
		break;
	}
}

static int cmp_ts(const void *a, const void *b)
{
	const struct ms_event *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void client_lane(struct drawing *d)
{
	const struct story_client *cv = &d->run->cv;

	for (int i = 0; i < cv->nreq; i++)
		span(d, 0, cv->t_sent[i], cv->t_response[i], "request", C_CLIENT, false, "the client waits for its response");
}

static void draw(struct page *p, const struct story_run *r)
{
	struct drawing *d = xcalloc(1, sizeof(*d));
	struct ms_event *st = xcalloc(r->nev + 1, sizeof(*st));
	struct svg_chart c = { 0 };
	char id[32], title[200], sub[200];
	size_t n = 0;
	double t_max = 0;

	d->run = r;
	d->t0 = r->cv.t_connect;
	d->server = d->holder = d->accept_lane = 1;
	d->linger_lane = -1;
	d->lanes[0] = (struct svg_lane){ .name = "the client", .kind = "client" };
	d->lanes[1] = (struct svg_lane){ .name = "the kernel: listen queue", .kind = "kernel" };
	d->nlanes = 2;
	for (size_t i = 0; i < r->nev; i++)
		if (r->ev[i].type == MS_EV_STEP)
			st[n++] = r->ev[i];
	qsort(st, n, sizeof(*st), cmp_ts);
	client_lane(d);
	/* as the story in words: up to the socket's close (the tasks go on
	 * with other connections after it) */
	for (size_t i = 0; i < n && (!i || st[i - 1].step.step != MS_STEP_CLOSE); i++)
		on_step(d, &st[i]);
	for (size_t i = 0; i < d->nspans; i++)
		t_max = d->spans[i].t1 > t_max ? d->spans[i].t1 : t_max;
	snprintf(id, sizeof(id), "story-%s", mpm_name(r->srv.mpm));
	snprintf(title, sizeof(title), "One keep-alive connection on %s", mpm_name(r->srv.mpm));
	snprintf(sub, sizeof(sub), "%d request(s) from port %u; %zu server task(s) touched it", r->cv.nreq, r->cv.port,
		 d->nlanes - 2);
	c = (struct svg_chart){ .id = id, .title = title, .subtitle = sub };
	html_section(p, id + 6, mpm_name(r->srv.mpm), NULL);
	sb_puts(p->b, "<figure>");
	svg_timeline(p->b, &(struct svg_timeline){ .chart = &c, .lanes = d->lanes, .nlanes = d->nlanes,
						   .spans = d->spans, .nspans = d->nspans, .arrows = d->arrows,
						   .narrows = d->narrows, .t_max = t_max * 1.05 });
	sb_puts(p->b, "</figure>\n");
	free(st);
	free(d);
}

/* The story in words, as explain prints it. */
static void words(struct sbuf *b, const struct story_run *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	report_story(f, &r->srv, &r->cv, r->ev, r->nev);
	fclose(f);
	sb_puts(b, "<details><summary>the story in words</summary><pre class=\"story\">");
	sb_esc(b, text);
	sb_puts(b, "</pre></details>\n");
	free(text);
}

static void legend(struct sbuf *b)
{
	static const char *const names[] = { "listen queue", "read", "handle", "write", "keep-alive idle",
					     "lingering close", "the client waits" };

	sb_puts(b, "<p class=\"cap\">");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		sb_printf(b, "<span style=\"display:inline-block;width:12px;height:12px;background:%s;"
			     "vertical-align:middle\"></span> %s &nbsp; ", phase_color[i], names[i]);
	sb_puts(b, "</p>\n");
}

int report_story_html(const struct story_run *runs, int nruns, const char *path, struct errbuf *e)
{
	struct sbuf b;
	struct page p = { .b = &b, .hl = 2 };

	sb_init(&b);
	html_page_open(&b, "explain");
	sb_puts(&b, "<header>\n<h1><span class=\"tool\">mpmscope</span> explain</h1>\n<p class=\"desc\">One keep-alive "
		    "connection's life on each MPM, from the kernel's records: a lane per server task that touched it, "
		    "its phases as bars (hatched: a task held while the connection idles), wake-ups as arrows from the "
		    "waker's lane. Time is on a log scale.</p>\n</header>\n");
	legend(&b);
	for (int i = 0; i < nruns; i++) {
		draw(&p, &runs[i]);
		words(&b, &runs[i]);
	}
	return html_page_close(&b, path, e);
}
