// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The listen queue, before a connection exists: the clients whose handshake
 * the kernel dropped because the server's accept queue was full. A full
 * queue drops a SYN without a trace (tcp_conn_request() counts it in
 * ListenOverflows/ListenDrops and consumes it: no drop reason, no
 * tracepoint), and drops the handshake's last ACK the same way
 * (tcp_check_req(), then the SYN-ACK is sent again: tcp_retransmit_synack).
 * So the SYN watcher looks at each incoming packet (netif_receive_skb) while
 * a listener's queue is at least half full (listen_hot: it is attached only
 * then), keeps only SYNs to the server's ports, and asks the listener whether
 * its accept
 * queue is full (sk_ack_backlog > sk_max_ack_backlog, the test the kernel is
 * about to make): if so, the client goes into `syn_wait` until its
 * connection is established (sockets.bpf.c moves the drops into it) or user
 * space reaps it as having given up. The listeners are found by an iter/tcp
 * program that user space runs (at attach, then every few seconds to follow
 * a restart).
 */
#define MS_KFUNC_HOME /* the unit that declares bpf_rdonly_cast (common.bpf.h): its SYN
		       * watcher uses it in every build, hooks-only included */
#include "common.bpf.h"

#define TCP_LISTEN_ 10

/* A handshake packet (a SYN, or with ack its last step) from client cl
 * dropped on listener l, whose accept queue holds queue connections over
 * its backlog. */
static __always_inline void syn_dropped(struct ms_listener *l, struct ms_client *cl, __u32 queue, __u32 backlog,
					bool ack)
{
	struct ms_syn_wait *w, nw = {};
	__u64 now = bpf_ktime_get_ns();

	if (ack) {
		__sync_fetch_and_add(&l->ack_drops, 1);
	} else {
		__sync_fetch_and_add(&l->syn_drops, 1);
		count(MS_C_SYN_DROPS);
	}
	w = bpf_map_lookup_elem(&syn_wait, cl);
	if (w) {
		w->last_ns = now;
		if (ack)
			w->acks++;
		else
			w->syns++;
		w->queue = queue;
		w->backlog = backlog;
		return;
	}
	nw.first_ns = nw.last_ns = now;
	nw.syns = !ack;
	nw.acks = ack;
	nw.queue = queue;
	nw.backlog = backlog;
	bpf_map_update_elem(&syn_wait, cl, &nw, BPF_NOEXIST);
}

/*
 * Every packet the machine receives: the headers are read by direct loads
 * (bpf_rdonly_cast, 6.2+; the loader keeps this program only there), so
 * that a packet that is not a SYN to the server costs a handful of loads.
 * At this tracepoint skb->data is the network header (the link layer has
 * been pulled) whatever the device; the listener must be in the packet's
 * network namespace (a veth pair shows a packet twice).
 */
static __always_inline void on_rx(struct sk_buff *skb)
{
	unsigned char *data = skb->data;
	struct ms_listener *l = NULL;
	struct ms_conn_slot *cs;
	struct ms_client cl = {};
	struct tcphdr *th;
	struct sock *lsk;
	__u64 skl;
	__u32 i, queue, backlog, payload;
	__u16 proto = __builtin_bswap16(skb->protocol);

	if (proto == 0x0800 /* ETH_P_IP */) {
		struct iphdr *ip = CAST(data, struct iphdr);

		if (ip->protocol != 6 /* IPPROTO_TCP */)
			return;
		th = CAST(data + ip->ihl * 4, struct tcphdr);
		payload = __builtin_bswap16(ip->tot_len) - ip->ihl * 4;
		cl.addr[2] = __builtin_bswap32(0xffff);
		cl.addr[3] = ip->saddr;
	} else if (proto == 0x86DD /* ETH_P_IPV6 */) {
		struct ipv6hdr *ip6 = CAST(data, struct ipv6hdr);

		if (ip6->nexthdr != 6)
			return; /* extension headers: not followed */
		th = CAST(data + sizeof(struct ipv6hdr), struct tcphdr);
		payload = __builtin_bswap16(ip6->payload_len);
		cl.addr[0] = ip6->saddr.in6_u.u6_addr32[0];
		cl.addr[1] = ip6->saddr.in6_u.u6_addr32[1];
		cl.addr[2] = ip6->saddr.in6_u.u6_addr32[2];
		cl.addr[3] = ip6->saddr.in6_u.u6_addr32[3];
	} else {
		return;
	}
	cl.lport = __builtin_bswap16(th->dest);
	i = port_index(cl.lport);
	skl = listener_at(i, &l);
	if (!skl || !l)
		return;
	lsk = CAST(skl, struct sock);
	queue = lsk->sk_ack_backlog;
	backlog = lsk->sk_max_ack_backlog;
	if (queue < backlog / 4 && (listen_hot & (1u << i)))
		__sync_fetch_and_and(&listen_hot, ~(1u << i)); /* room again: user space detaches us */
	if (queue <= backlog)
		return; /* sk_acceptq_is_full() is false: nothing is dropped for it */
	if (th->syn && !th->ack && lsk->__sk_common.skc_net.net != skb->dev->nd_net.net)
		return;
	cl.rport = __builtin_bswap16(th->source);
	if (th->syn && !th->ack) {
		syn_dropped(l, &cl, queue, backlog, false);
		return;
	}
	/* The handshake's end: the ACK, or with TCP_DEFER_ACCEPT (Apache's
	 * default on Linux) the first data, is dropped too while the queue
	 * is full, and the client, connected on its side, waits. A packet
	 * with data for a connection the server does not have yet is one. */
	if (payload <= th->doff * 4 || th->rst || th->fin)
		return;
	cs = conn_slot(cl.rport);
	if (cs && cs->sk && cs->c.lport == cl.lport)
		return; /* an established connection's data */
	if (lsk->__sk_common.skc_net.net == skb->dev->nd_net.net)
		syn_dropped(l, &cl, queue, backlog, true);
}

/* Attached only while a listener's queue is at least half full (listen_hot):
 * the queue grows only as a connection is established into it, and
 * sockets.bpf.c sets the bit then and wakes user space, which attaches this
 * program (trace/listen.c) while the queue fills its second half; it is
 * detached a second after the queue is back under a quarter full. The rest
 * of the time the machine's packets cost nothing. */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(ms_syn_watch, struct sk_buff *skb)
{
	if (watch_syns)
		on_rx(skb);
	return 0;
}

/* A SYN-ACK sent again (a timer, in the listener's context): the handshake's
 * last ACK did not make it, or the accept queue was full when it came and
 * the kernel dropped it. Either way the client waits; with the queue full,
 * its ACK was dropped. */
static __always_inline void on_synack_retrans(struct sock *sk, struct request_sock *req, bool btf)
{
	struct ms_listener *l;
	struct ms_client cl;
	__u64 *skp;
	__u32 i, queue, backlog;

	if (!sk || !req)
		return;
	i = port_index(RD(btf, sk, __sk_common.skc_num));
	if (i >= 4) {
		__u16 lport = RD(btf, sk, __sk_common.skc_num);

		/* ports not known at load time (compare learns them later) */
		if (bpf_map_lookup_elem(&listen_ports, &lport))
			count(MS_C_SYNACK_RETRANS);
		return;
	}
	count(MS_C_SYNACK_RETRANS);
	l = bpf_map_lookup_elem(&listeners, &i);
	skp = bpf_map_lookup_elem(&listen_sk, &i);
	if (!l || !skp)
		return;
	if (!*skp)
		*skp = (__u64)sk; /* where the iterator has not run */
	queue = RD(btf, sk, sk_ack_backlog);
	backlog = RD(btf, sk, sk_max_ack_backlog);
	listen_hot_set(i, queue, backlog);
	if (queue <= backlog)
		return; /* a lost ACK, not a full queue */
	client_of(&req->__req_common, &cl, btf);
	syn_dropped(l, &cl, queue, backlog, true);
}

TWIN(ms_synack, tcp_retransmit_synack, on_synack_retrans(sk, req, btf), struct sock *sk,
     struct request_sock *req)

/* The server's listening sockets, one per port of server_ports[]: user space
 * runs this iterator over the TCP sockets of its network namespace. The
 * first listener of a port wins (SO_REUSEPORT groups: only one is watched). */
SEC("iter/tcp")
int ms_listeners(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ms_listener *l;
	struct tcp_sock *tp;
	__u64 *skp;
	__u32 i, k;

	if (!skc || skc->skc_state != TCP_LISTEN_)
		return 0;
	i = port_index(skc->skc_num);
	if (i >= 4)
		return 0;
	k = i + 4;
	skp = bpf_map_lookup_elem(&listen_sk, &k);
	if (!skp || *skp)
		return 0;
	*skp = (__u64)skc;
	/* its own counters, whatever the SYN watcher can see on this kernel */
	tp = bpf_skc_to_tcp_sock(skc);
	l = bpf_map_lookup_elem(&listeners, &i);
	if (tp && l) {
		l->kernel_drops = (__u32)tp->inet_conn.icsk_inet.sk.sk_drops.counter;
		l->queue = tp->inet_conn.icsk_inet.sk.sk_ack_backlog;
		l->backlog = tp->inet_conn.icsk_inet.sk.sk_max_ack_backlog;
		listen_hot_set(i, l->queue, l->backlog); /* filling already when we came */
	}
	return 0;
}
