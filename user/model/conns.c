// SPDX-License-Identifier: MIT
#include "model/conns.h"

#include <string.h>

#include "model/internal.h"
#include "model/model.h"
#include "trace/khist.h"

const char *closer_name(enum closer c)
{
	static const char *const n[CLOSER__MAX] = { "server_fin", "client_fin", "server_rst", "client_rst", "other" };

	return (unsigned)c < CLOSER__MAX ? n[c] : "?";
}

enum closer conn_closer(const struct ms_conn *c)
{
	if (c->flags & MS_CF_RST_SENT)
		return CLOSER_SERVER_RST;
	if (c->flags & MS_CF_RST_RECV)
		return CLOSER_CLIENT_RST;
	if (c->flags & MS_CF_SERVER_FIN)
		return CLOSER_SERVER_FIN;
	if (c->flags & MS_CF_CLIENT_FIN)
		return CLOSER_CLIENT_FIN;
	return CLOSER_OTHER;
}

void conn_agg_init(struct conn_agg *a)
{
	memset(a, 0, sizeof(*a));
	a->listen_q_us = hdr_new(1, 60000000, 3);
	a->linger_us = hdr_new(1, 60000000, 3);
}

void conn_agg_free(struct conn_agg *a)
{
	hdr_free(a->listen_q_us);
	hdr_free(a->linger_us);
	memset(a, 0, sizeof(*a));
}

void conn_agg_add(struct conn_agg *a, const struct ms_event *ev)
{
	const struct ms_conn *cn = &ev->conn_end.c;
	struct conn_counts *n = &a->n;

	n->connections++;
	if (!(cn->flags & MS_CF_ACCEPTED))
		n->never_accepted++;
	else if (cn->accept_ns >= cn->established_ns)
		hdr_record(a->listen_q_us, (cn->accept_ns - cn->established_ns) / 1000);
	n->requests += cn->requests;
	if (cn->requests > n->max_requests)
		n->max_requests = cn->requests;
	if ((double)cn->idle_max_ns / 1e3 > n->idle_max_us)
		n->idle_max_us = (double)cn->idle_max_ns / 1e3;
	n->idle_gaps += cn->idle_count;
	if (cn->handoffs)
		n->handed_off++;
	n->closes[conn_closer(cn)]++;
	if ((cn->flags & MS_CF_SERVER_FIN) && cn->fin_ns && ev->ts >= cn->fin_ns)
		hdr_record(a->linger_us, (ev->ts - cn->fin_ns) / 1000);
}

void conn_facts_from(struct conn_facts *f, const struct conn_agg *a, const struct tracer_counts *c,
		     const char *missing_tps)
{
	const struct conn_counts *n = &a->n;

	f->available = !strstr(missing_tps ? missing_tps : "", "sock_recv_length");
	f->connections = n->connections;
	f->never_accepted = n->never_accepted;
	f->requests = n->requests;
	f->max_requests_per_conn = n->max_requests;
	f->idle_gaps = n->idle_gaps;
	f->handed_off = n->handed_off;
	memcpy(f->closes, n->closes, sizeof(f->closes));
	f->requests_per_conn = n->connections ? (double)n->requests / (double)n->connections : 0;
	f->listen_queue_us = dist_of_hdr(a->listen_q_us);
	f->linger_us = dist_of_hdr(a->linger_us);
	f->keepalive_idle_us = dist_of_khist(&c->hists[MS_H_KA_IDLE]);
	f->listen_q_khist = c->hists[MS_H_LISTEN_Q];
	f->ka_idle_khist = c->hists[MS_H_KA_IDLE];
	f->idle_before_close_us = dist_of_khist(&c->hists[MS_H_IDLE_CLOSE]);
	f->keepalive_idle_max_us = n->idle_max_us;
	f->req_read_us = dist_of_khist(&c->hists[MS_H_REQ_READ]);
	f->req_handle_us = dist_of_khist(&c->hists[MS_H_REQ_HANDLE]);
	f->req_write_us = dist_of_khist(&c->hists[MS_H_REQ_WRITE]);
	f->held_task_seconds = 0;
	for (int role = 0; role < MS_ROLE__MAX; role++)
		f->held_task_seconds += (double)c->sched.off_ns[role][MS_OFF_KEEPALIVE] / 1e9;
}

/* Connection facts from the kernel's per-connection records (whole run),
 * joined to the generator's connections by client port and time. */
void model_build_conn(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev, size_t nev,
		      struct conn_ix *ix, size_t nix)
{
	struct conn_agg a;

	conn_agg_init(&a);
	for (size_t i = 0; i < nix; i++)
		ix[i].matched = false;
	for (size_t k = 0; k < nev; k++) {
		const struct ms_conn *cn = &ev[k].conn_end.c;

		if (ev[k].type != MS_EV_CONN_END)
			continue;
		conn_agg_add(&a, &ev[k]);
		if (cn->established_ns && model_join_accept(ix, nix, cn->rport, cn->established_ns))
			r->k.conn.joined++;
	}
	conn_facts_from(&r->k.conn, &a, c, r->k.missing_tps);
	conn_agg_free(&a);
}
