// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Connections of the server: the handshake that creates one, each request
 * and response on it from the bytes read and written (sock_recv_length,
 * sock_send_length), who leaves ESTABLISHED first and the final close
 * (inet_sock_set_state), resets both ways (tcp_send_reset,
 * tcp_receive_reset), a close made by a task's exit. The handshakes that
 * never got that far are listen.bpf.c's.
 */
#include "common.bpf.h"

/* TCP states (include/net/tcp_states.h) */
#define TCP_ESTABLISHED_ 1
#define TCP_SYN_RECV_ 3
#define TCP_FIN_WAIT1_ 4
#define TCP_CLOSE_ 7
#define TCP_CLOSE_WAIT_ 8


/* The server's listening ports (server_ports, nserver_ports), when known at
 * load time: a socket whose local port is not one of them is the client's,
 * dismissed for the cost of one load instead of a map lookup (the client
 * reads and writes as often as the server on loopback). */
static __always_inline bool server_socket(struct sock *sk, bool btf)
{
	__u16 port;

	if (!nserver_ports)
		return true;
	port = RD(btf, sk, __sk_common.skc_num);
	return port == server_ports[0] || (nserver_ports > 1 && port == server_ports[1]) ||
	       (nserver_ports > 2 && port == server_ports[2]) || (nserver_ports > 3 && port == server_ports[3]);
}

/* Bytes moved on a socket of the server's (ret > 0), not the client's. */
static __always_inline bool server_bytes(struct sock *sk, int ret, bool btf)
{
	return ret > 0 && server_socket(sk, btf);
}

/* Bytes read by a server task: the first read after a response starts a new
 * request, and ends a keep-alive idle gap. */
static __always_inline void on_recv(struct sock *sk, int ret, bool btf)
{
	__u64 pid_tgid, key = (__u64)sk, now;
	struct ms_conn *c;
	struct ms_task *t;
	__u32 tid, trole;
	__u16 rport;
	long kthread;

	HOOKS_ONLY_RETURN();
	if (!server_bytes(sk, ret, btf))
		return;
	pid_tgid = current_id(btf, &kthread);
	tid = (__u32)pid_tgid;
	/* without known ports, only a server thread's reads count (the
	 * client's stop here); with them, the port test did that already */
	if (!nserver_ports && !task_of(tid))
		return;
	rport = sk_rport(sk, btf);
	c = conn_of(key, rport);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	t = c->flags & MS_CF_SAMPLED ? task_of(tid) : NULL; /* explain only */
	trole = t ? role_of(t) : MS_ROLE__MAX;
	if (!(c->flags & MS_CF_IN_REQ)) {
		if (c->flags & MS_CF_RESP_SENT) {
			__u64 gap = now - c->last_send_ns;

			hist_add(MS_H_KA_IDLE, gap);
			hist_add(MS_H_REQ_WRITE, c->last_send_ns - c->first_send_ns);
			c->idle_sum_ns += gap;
			if (gap > c->idle_max_ns)
				c->idle_max_ns = gap;
			c->idle_count++;
		}
		c->requests++;
		count(MS_C_REQUESTS);
		c->req_start_ns = now;
		c->flags |= MS_CF_IN_REQ;
		c->flags &= ~MS_CF_RESP_SENT;
		if (c->serve_tid != tid) {
			if (c->serve_tid)
				c->handoffs++;
			c->serve_tid = tid;
			c->serve_tgid = pid_tgid >> 32;
			if (c->flags & MS_CF_SAMPLED)
				emit_step_task(MS_STEP_HANDOFF, key, 0, 0, tid, trole);
		}
	}
	c->last_recv_ns = now;
	c->rx_bytes += ret;
	touch_conn(t, key, rport, c); /* explain: its steps follow the task */
	if (c->flags & MS_CF_SAMPLED)
		emit_step_task(MS_STEP_RECV, key, ret, 0, tid, trole);
}

static __always_inline void on_send(struct sock *sk, int ret, bool btf)
{
	__u64 pid_tgid, key = (__u64)sk, now;
	struct ms_conn *c;
	struct ms_task *t;
	__u16 rport;

	HOOKS_ONLY_RETURN();
	if (!server_bytes(sk, ret, btf))
		return;
	/* the writer matters only without known ports and for explain */
	pid_tgid = nserver_ports ? 0 : bpf_get_current_pid_tgid();
	if (!nserver_ports && !task_of((__u32)pid_tgid))
		return;
	rport = sk_rport(sk, btf);
	c = conn_of(key, rport);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	if ((c->flags & MS_CF_SAMPLED) && !pid_tgid)
		pid_tgid = bpf_get_current_pid_tgid();
	t = c->flags & MS_CF_SAMPLED ? task_of((__u32)pid_tgid) : NULL; /* explain only */
	if (c->flags & MS_CF_IN_REQ) {
		hist_add(MS_H_REQ_READ, c->last_recv_ns - c->req_start_ns);
		hist_add(MS_H_REQ_HANDLE, now - c->last_recv_ns);
		c->first_send_ns = now;
		c->flags &= ~MS_CF_IN_REQ;
	}
	c->flags |= MS_CF_RESP_SENT;
	c->last_send_ns = now;
	c->tx_bytes += ret;
	touch_conn(t, key, rport, c);
	if (c->flags & MS_CF_SAMPLED)
		emit_step_task(MS_STEP_SEND, key, ret, 0, (__u32)pid_tgid, t ? role_of(t) : MS_ROLE__MAX);
}

TWIN(ms_sock_recv, sock_recv_length, on_recv(sk, ret, btf), struct sock *sk, int ret, int flags)

TWIN(ms_sock_send, sock_send_length, on_send(sk, ret, btf), struct sock *sk, int ret, int flags)

static __always_inline void end_idle_gap(struct ms_conn *c, __u64 now)
{
	/* a connection closed while idle after a response: its last idle gap */
	if ((c->flags & MS_CF_RESP_SENT) && !(c->flags & MS_CF_IN_REQ) && now > c->last_send_ns) {
		__u64 gap = now - c->last_send_ns;

		/* kept apart from the keep-alive gaps ended by a new request: a
		 * "Connection: close" response is followed by a close within
		 * microseconds, a KeepAliveTimeout expiry after seconds */
		hist_add(MS_H_IDLE_CLOSE, gap);
		if (gap > c->idle_max_ns)
			c->idle_max_ns = gap;
	}
}

static __always_inline __u32 tcp_write_seq(struct sock *sk, bool btf)
{
	if (btf && has_rdonly_cast)
		return CAST(sk, struct tcp_sock)->write_seq;
	return BPF_CORE_READ((struct tcp_sock *)sk, write_seq);
}

/* sock_send_length fires when a send returns. On loopback the client may
 * read the first bytes of a response, reset the connection and have it
 * closed on the server's side before the server's send returns (a probe
 * that reads the status line, then closes with the rest unread): the
 * request would look unanswered. What the kernel queued to send says it
 * was answered, unless the client had closed first: then it gave up before
 * the response, which reached a closed socket (a slow CGI's). */
static __always_inline void response_under_way(struct ms_conn *c, struct sock *sk, bool btf)
{
	__u32 queued;

	if ((c->flags & (MS_CF_IN_REQ | MS_CF_CLIENT_FIN)) != MS_CF_IN_REQ)
		return;
	queued = tcp_write_seq(sk, btf) - c->wseq0 - (c->flags & MS_CF_SERVER_FIN ? 1 : 0);
	if (queued > c->tx_bytes) {
		c->flags &= ~MS_CF_IN_REQ;
		c->flags |= MS_CF_RESP_SENT;
	}
}

/* A connection established into the accept queue of the listener on port
 * slot i: the longest queue seen, and the SYN watcher wanted when the queue
 * is half full (listen_hot_set). A read of the listener per new connection,
 * on every kernel. */
static __always_inline void queue_grew(__u32 i)
{
	struct ms_listener *l = NULL;
	struct sock *lsk = (struct sock *)listener_at(i, &l);
	__u32 queue, backlog;

	if (!lsk || !l)
		return;
	queue = BPF_CORE_READ(lsk, sk_ack_backlog);
	backlog = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	l->backlog = backlog;
	if (queue > l->peak)
		l->peak = queue;
	listen_hot_set(i, queue, backlog);
}

/* A connection that got in after its handshake was dropped (the listen
 * queue was full): the drops move from `syn_wait` into it. The lookup is
 * made only once a listener has seen a drop. */
static __always_inline void got_in_after_drops(struct ms_conn *nc, struct ms_client *cl)
{
	__u32 i = port_index(cl->lport);
	struct ms_listener *l = i < 4 ? bpf_map_lookup_elem(&listeners, &i) : NULL;
	struct ms_syn_wait *w;

	if (!l || !(l->syn_drops | l->ack_drops))
		return;
	w = bpf_map_lookup_elem(&syn_wait, cl);
	if (!w)
		return;
	nc->first_syn_ns = w->first_ns;
	nc->syn_drops = (__u16)(w->syns + w->acks);
	bpf_map_delete_elem(&syn_wait, cl);
}

/* A state change made by a server task on its way out (do_exit closes its
 * files after sched_process_exit): the connection was closed by that exit. */
static __always_inline void closed_by_exit(struct ms_conn *c)
{
	struct task_struct *task;

	if (c->flags & MS_CF_TASK_EXIT)
		return;
	task = (struct task_struct *)bpf_get_current_task();
	if (!(BPF_CORE_READ(task, flags) & 0x4 /* PF_EXITING */))
		return;
	c->flags |= MS_CF_TASK_EXIT;
	c->exit_code = BPF_CORE_READ(task, exit_code);
}

/* The client closed or reset a connection still in the listen queue: it
 * gave up, and what the server's tasks were doing then says why. */
static __always_inline void gave_up(struct ms_conn *c)
{
	if ((c->flags & (MS_CF_ACCEPTED | MS_CF_GAVE_UP)) == 0) {
		c->flags |= MS_CF_GAVE_UP;
		free_tasks(&c->at_giveup);
	}
}

/* TCP state changes (softirq or task context): the handshake that creates a
 * server connection, who leaves ESTABLISHED first, the final close. */
static __always_inline void on_sock_state(struct sock *sk, int old, int new, bool btf)
{
	__u64 key = (__u64)sk, now;
	struct ms_conn *c;
	__u16 rport;

	if (new == TCP_ESTABLISHED_ && old == TCP_SYN_RECV_) {
		__u16 lport = RD(btf, sk, __sk_common.skc_num);
		struct ms_conn nc = {};
		struct ms_client cl;

		if (!bpf_map_lookup_elem(&listen_ports, &lport))
			return;
		client_of(&sk->__sk_common, &cl, btf);
		rport = cl.rport;
		nc.established_ns = bpf_ktime_get_ns();
		nc.lport = lport;
		nc.rport = rport;
		__builtin_memcpy(nc.raddr, cl.addr, sizeof(nc.raddr));
		nc.free_at_est = free_tasks(NULL);
		nc.wseq0 = tcp_write_seq(sk, btf);
		queue_grew(port_index(lport));
		got_in_after_drops(&nc, &cl);
		if (bpf_map_lookup_elem(&sample_ports, &rport))
			nc.flags = MS_CF_SAMPLED;
		conn_add(key, rport, &nc);
		if (nc.flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_ESTABLISHED, key, 0, 0);
		return;
	}
	rport = sk_rport(sk, btf);
	c = conn_of(key, rport);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	closed_by_exit(c);
	if (old == TCP_ESTABLISHED_ && new == TCP_FIN_WAIT1_) {
		end_idle_gap(c, now);
		c->flags |= MS_CF_SERVER_FIN;
		c->fin_ns = now;
		if (c->flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_SERVER_FIN, key, 0, 0);
	} else if (old == TCP_ESTABLISHED_ && new == TCP_CLOSE_WAIT_) {
		end_idle_gap(c, now);
		gave_up(c);
		c->flags |= MS_CF_CLIENT_FIN;
		c->fin_ns = now;
		if (c->flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_CLIENT_FIN, key, 0, 0);
	} else if (new == TCP_CLOSE_) {
		struct ms_event *ev;

		if (old == TCP_ESTABLISHED_)
			end_idle_gap(c, now);
		{
			/* what came and was not seen read: the kernel's count of
			 * bytes received (a FIN counts one) against ours */
			__u64 got = BPF_CORE_READ((struct tcp_sock *)sk, bytes_received);

			c->unread = got > c->rx_bytes ? (__u32)(got - c->rx_bytes) : 0;
		}
		response_under_way(c, sk, btf);
		if (!(c->flags & MS_CF_ACCEPTED))
			count(MS_C_CONN_UNACCEPTED);
		if ((c->flags & MS_CF_SERVER_FIN) && c->fin_ns)
			hist_add(MS_H_LINGER, now - c->fin_ns);
		if (c->flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_CLOSE, key, 0, 0);
		ev = event_reserve(MS_EV_CONN_END, bpf_get_current_pid_tgid());
		if (ev) {
			ev->conn_end.sk = key;
			ev->conn_end.c = *c;
			ev->ts = now;
			event_submit(ev, false);
		}
		conn_del(key, rport);
	}
}

TWIN(ms_sock_state, inet_sock_set_state, on_sock_state(sk, old, new, btf), struct sock *sk, int old, int new)

/* The kernel resets a connection of the server's it has already closed: data
 * arrived after the close (a request crossing the server's FIN, TCP's
 * abort-on-data). Its record came first: this one is joined to it. */
static __always_inline void rst_after_close(struct sock *sk, bool btf)
{
	struct ms_client cl;
	struct ms_event *ev;

	client_of(&sk->__sk_common, &cl, btf);
	if (!bpf_map_lookup_elem(&listen_ports, &cl.lport))
		return;
	count(MS_C_RST_AFTER_CLOSE);
	ev = event_reserve(MS_EV_RST_AFTER_CLOSE, bpf_get_current_pid_tgid());
	if (!ev)
		return;
	__builtin_memset(&ev->conn, 0, sizeof(ev->conn));
	ev->conn.sk = (__u64)sk;
	ev->conn.rport = cl.rport;
	ev->conn.lport = cl.lport;
	ev->conn.raddr = cl.addr[3];
	ev->conn.family = RD(btf, sk, __sk_common.skc_family);
	event_submit(ev, false);
}

static __always_inline void on_reset(struct sock *sk, __u32 flag, __u32 step, bool btf)
{
	__u64 key = (__u64)sk;
	struct ms_conn *c;

	if (!sk)
		return;
	c = conn_of(key, sk_rport(sk, btf));
	if (!c) {
		if (flag == MS_CF_RST_SENT)
			rst_after_close(sk, btf);
		return;
	}
	if (flag == MS_CF_RST_RECV)
		gave_up(c);
	c->flags |= flag;
	if (c->flags & MS_CF_SAMPLED)
		emit_step(step, key, 0, 0);
}

TWIN(ms_rst_sent, tcp_send_reset, on_reset(sk, MS_CF_RST_SENT, MS_STEP_RST_SENT, btf), struct sock *sk)

TWIN(ms_rst_recv, tcp_receive_reset, on_reset(sk, MS_CF_RST_RECV, MS_STEP_RST_RECV, btf), struct sock *sk)

