// SPDX-License-Identifier: MIT
/*
 * The user half of bpf/listen.bpf.c: finding the server's listening sockets
 * for the SYN watcher (the iter/tcp program, run from here), attaching the
 * watcher while a queue fills (syn_watch_follow), reaping the
 * clients whose dropped handshake never got in, and the connections still
 * open when a trace ends.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "trace/internal.h"
#include "trace/tracer.h"

/* Run the iterator that finds the server's listening sockets (it writes
 * listen_sk[4 + slot]), then put what it found in place (listen_sk[slot]). */
void listen_scan(struct tracer *t)
{
	struct bpf_map *listen_sk = tracer_map(t, "listen_sk");
	struct bpf_link *link;
	__u64 none = 0, found[4] = { 0 };
	char buf[64];
	int fd;

	pthread_mutex_lock(&t->listen_lock);
	__atomic_store_n(&t->last_scan, now_ns(), __ATOMIC_RELAXED); /* the draining thread reads it unlocked */
	for (__u32 i = 4; i < 8; i++)
		bpf_map__update_elem(listen_sk, &i, sizeof(i), &none, sizeof(none), BPF_ANY);
	link = bpf_program__attach_iter(tracer_prog(t, "ms_listeners"), NULL);
	if (!link) {
		pthread_mutex_unlock(&t->listen_lock);
		return;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd >= 0) {
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	bpf_link__destroy(link);
	for (__u32 i = 0; i < 4; i++) {
		__u32 k = i + 4;
		__u64 cur = 0;

		bpf_map__lookup_elem(listen_sk, &k, sizeof(k), &found[i], sizeof(found[i]), 0);
		bpf_map__lookup_elem(listen_sk, &i, sizeof(i), &cur, sizeof(cur), 0);
		if (cur != found[i])
			bpf_map__update_elem(listen_sk, &i, sizeof(i), &found[i], sizeof(found[i]), BPF_ANY);
		if (found[i] && found[i] != t->listen_sk0[i]) {
			struct ms_listener l;

			if (!bpf_map__lookup_elem(tracer_map(t, "listeners"), &i, sizeof(i), &l, sizeof(l), 0)) {
				t->listen_sk0[i] = found[i];
				t->drops0[i] = l.kernel_drops;
			}
		}
	}
	pthread_mutex_unlock(&t->listen_lock);
}

void syn_watch_follow(struct tracer *t)
{
	uint64_t now;

	if (!t->syn_watch || !t->listen_hot || __atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
		return;
	now = now_ns();
	if (__atomic_load_n(t->listen_hot, __ATOMIC_RELAXED)) {
		t->syn_hot_ns = now;
		if (!t->syn_link) {
			t->syn_link = bpf_program__attach(tracer_prog(t, "ms_syn_watch"));
			if (t->syn_link) {
				t->syn_attach_ns = now;
				t->syn_attaches++;
			}
		}
	} else if (t->syn_link && now - t->syn_hot_ns >= NSEC_PER_SEC) {
		syn_watch_detach(t);
	}
}

void syn_watch_detach(struct tracer *t)
{
	if (!t->syn_link)
		return;
	bpf_link__destroy(t->syn_link);
	t->syn_link = NULL;
	t->syn_watch_ns += now_ns() - t->syn_attach_ns;
}

int tracer_scan_listeners(struct tracer *t)
{
	struct bpf_map *listen_sk = tracer_map(t, "listen_sk");
	int n = 0;

	if (!t->listen_iter)
		return -1;
	listen_scan(t);
	for (__u32 i = 0; i < (__u32)t->nports && i < 4; i++) {
		__u64 sk = 0;

		if (!bpf_map__lookup_elem(listen_sk, &i, sizeof(i), &sk, sizeof(sk), 0) && sk)
			n++;
	}
	return n;
}

bool tracer_syn_watching(const struct tracer *t)
{
	return t->syn_watch && t->listen_iter;
}

const char *tracer_syn_watch(struct tracer *t)
{
	if (t->syn_watch && t->listen_iter)
		return "SYN watcher (netif_receive_skb, attached while an accept queue is half full)";
	if (!t->nports)
		return "off: the server's ports were not known at load time";
	if (!t->listen_iter)
		return "off: this kernel has no TCP socket iterator (5.9+)";
	return t->raw_tp ? "off: needs BTF tracepoints" : "off: needs bpf_rdonly_cast (6.2+) for direct packet loads";
}

/* A client retries its SYN after 1, 2, 4, 8... s (3, 7, 15... s from its
 * first), so one quiet for twice the time it has already tried, plus 1 s,
 * has given up (or will not be back for longer than it has been trying). */
static bool gave_up(const struct ms_syn_wait *w, uint64_t now, uint64_t min_quiet)
{
	uint64_t quiet = 2 * (w->last_ns - w->first_ns) + NSEC_PER_SEC;

	return now >= w->last_ns + (quiet > min_quiet ? quiet : min_quiet);
}

size_t tracer_reap_syn_waits(struct tracer *t, uint64_t min_quiet_ns, bool all,
			     void (*cb)(void *ctx, const struct ms_client *cl, const struct ms_syn_wait *w), void *ctx)
{
	struct bpf_map *syn_wait = tracer_map(t, "syn_wait");
	struct ms_client key, next, *prev = NULL;
	struct ms_syn_wait w;
	uint64_t now = now_ns();
	size_t n = 0;

	while (!bpf_map__get_next_key(syn_wait, prev, &next, sizeof(next))) {
		key = next;
		prev = &key;
		if (bpf_map__lookup_elem(syn_wait, &key, sizeof(key), &w, sizeof(w), 0))
			continue;
		if (!all && !gave_up(&w, now, min_quiet_ns))
			continue;
		/* deleting the current key restarts a hash walk at worst: the
		 * entries already passed are gone */
		if (bpf_map__delete_elem(syn_wait, &key, sizeof(key), 0))
			continue;
		prev = NULL;
		cb(ctx, &key, &w);
		n++;
	}
	return n;
}

/* The connection slots come in batches (one syscall for many). */
#define CONN_BATCH 4096

size_t tracer_open_conns(struct tracer *t, void (*cb)(void *ctx, __u64 sk, const struct ms_conn *c), void *ctx)
{
	struct bpf_map *conns = tracer_map(t, "conns");
	struct ms_conn_slot *slots = xcalloc(CONN_BATCH, sizeof(*slots));
	__u32 *keys = xcalloc(CONN_BATCH, sizeof(*keys)), out = 0;
	int fd = bpf_map__fd(tracer_map(t, "conn_tab"));
	__u64 key, next, *prev = NULL;
	struct ms_conn c;
	size_t n = 0;
	bool first = true;

	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	for (;;) {
		__u32 count = CONN_BATCH;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &out, &out, keys, slots, &count, &bo);

		first = false;
		for (__u32 i = 0; i < count; i++)
			if (slots[i].sk) {
				cb(ctx, slots[i].sk, &slots[i].c);
				n++;
			}
		if (err)
			break; /* ENOENT: the end */
	}
	/* connections that share a client port with another (see conns) */
	while (!bpf_map__get_next_key(conns, prev, &next, sizeof(next))) {
		key = next;
		prev = &key;
		if (!bpf_map__lookup_elem(conns, &key, sizeof(key), &c, sizeof(c), 0)) {
			cb(ctx, key, &c);
			n++;
		}
	}
	free(slots);
	free(keys);
	return n;
}

