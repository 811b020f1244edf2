// SPDX-License-Identifier: MIT
#include "report/connlog.h"

#include "base/json.h"
#include "model/conns.h"
#include "model/failures.h"
#include "model/outcomes.h"

static double rel(uint64_t t0, uint64_t t)
{
	return ((double)t - (double)t0) / 1e9;
}

/* a time of the connection's, or null when it did not happen */
static void ktime(struct json *j, const char *k, uint64_t t0, uint64_t t)
{
	json_key(j, k);
	if (t)
		json_double(j, rel(t0, t));
	else
		json_null(j);
}

static void line_out(FILE *f, struct json *j)
{
	sb_putc(&j->b, '\n');
	fwrite(j->b.buf, 1, j->b.len, f);
	fflush(f);
	json_free(j);
}

void connlog_conn(FILE *f, uint64_t t0, const struct ms_event *ev, int cause)
{
	static const struct { uint32_t flag; const char *name; } flags[] = {
		{ MS_CF_ACCEPTED, "accepted" }, { MS_CF_SERVER_FIN, "server_fin" }, { MS_CF_CLIENT_FIN, "client_fin" },
		{ MS_CF_RST_SENT, "rst_sent" },	{ MS_CF_RST_RECV, "rst_recv" },	    { MS_CF_IN_REQ, "in_request" },
		{ MS_CF_TASK_EXIT, "task_exit" }, { MS_CF_GAVE_UP, "gave_up_queued" },
	};
	const struct ms_conn *c = &ev->conn_end.c;
	struct json j;
	char who[64];

	outcome_client_str(who, sizeof(who), c->raddr, c->rport);
	json_init(&j);
	json_obj_begin(&j);
	json_kstr(&j, "event", "close");
	json_kdouble(&j, "t", rel(t0, ev->ts));
	json_kstr(&j, "client", who);
	json_ku64(&j, "port", c->lport);
	json_kstr(&j, "cause", cause >= 0 ? fail_cause_id((enum fail_cause)cause) : "none");
	json_kstr(&j, "closer", closer_name(conn_closer(c)));
	json_key(&j, "flags");
	json_arr_begin(&j);
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (c->flags & flags[i].flag)
			json_str(&j, flags[i].name);
	json_arr_end(&j);
	ktime(&j, "first_syn", t0, c->first_syn_ns);
	ktime(&j, "established", t0, c->established_ns);
	ktime(&j, "accepted", t0, c->flags & MS_CF_ACCEPTED ? c->accept_ns : 0);
	ktime(&j, "request_start", t0, c->req_start_ns);
	ktime(&j, "last_send", t0, c->last_send_ns);
	ktime(&j, "fin", t0, c->fin_ns);
	json_ku64(&j, "requests", c->requests);
	json_ku64(&j, "rx_bytes", c->rx_bytes);
	json_ku64(&j, "tx_bytes", c->tx_bytes);
	json_ku64(&j, "unread_bytes", c->unread);
	json_ku64(&j, "syn_drops", c->syn_drops);
	json_ku64(&j, "free_tasks_at_arrival", c->free_at_est);
	json_ku64(&j, "accept_tid", c->accept_tid);
	json_ku64(&j, "serve_tid", c->serve_tid);
	json_ku64(&j, "serve_pid", c->serve_tgid);
	json_ku64(&j, "closed_by_tid", ev->tid);
	if (c->flags & MS_CF_TASK_EXIT)
		json_ki64(&j, "exit_code", c->exit_code);
	json_obj_end(&j);
	line_out(f, &j);
}

void connlog_rst_after_close(FILE *f, uint64_t t0, const struct ms_event *ev, int cause)
{
	__u32 addr[4] = { 0, 0, 0, 0 };
	struct json j;
	char who[64];

	addr[2] = __builtin_bswap32(0xffff);
	addr[3] = ev->conn.raddr;
	outcome_client_str(who, sizeof(who), addr, ev->conn.rport);
	json_init(&j);
	json_obj_begin(&j);
	json_kstr(&j, "event", "rst_after_close");
	json_kdouble(&j, "t", rel(t0, ev->ts));
	json_kstr(&j, "client", who);
	json_ku64(&j, "port", ev->conn.lport);
	json_kstr(&j, "cause", cause >= 0 ? fail_cause_id((enum fail_cause)cause) : "none");
	json_obj_end(&j);
	line_out(f, &j);
}

void connlog_never_in(FILE *f, uint64_t t0, const struct ms_client *cl, const struct ms_syn_wait *w)
{
	struct json j;
	char who[64];

	outcome_client_str(who, sizeof(who), cl->addr, cl->rport);
	json_init(&j);
	json_obj_begin(&j);
	json_kstr(&j, "event", "never_in");
	json_kdouble(&j, "t", rel(t0, w->last_ns));
	json_kstr(&j, "client", who);
	json_ku64(&j, "port", cl->lport);
	json_kstr(&j, "cause", fail_cause_id(FC_LISTEN_OVERFLOW));
	ktime(&j, "first_drop", t0, w->first_ns);
	ktime(&j, "last_drop", t0, w->last_ns);
	json_ku64(&j, "syns_dropped", w->syns);
	json_ku64(&j, "acks_dropped", w->acks);
	json_ku64(&j, "accept_queue", w->queue);
	json_ku64(&j, "backlog", w->backlog);
	json_obj_end(&j);
	line_out(f, &j);
}
