// SPDX-License-Identifier: MIT
/*
 * The kernel's counters, read: the per-CPU counters, errno slots, the
 * scheduler's aggregates and the log2 histograms summed over the CPUs, the
 * listeners; and two readings added (serve's totals over the servers it
 * followed: a new tracer for each, the counters never going backwards).
 */
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "trace/internal.h"

/* A per-CPU struct of counters at key: the CPUs' copies summed, field by
 * field (the scheduler's aggregates, a log2 histogram, one counter). */
static void sum_percpu_struct(struct tracer *t, struct bpf_map *map, __u32 key, void *out, size_t size)
{
	size_t nv = size / sizeof(__u64);
	__u64 *vals = xcalloc((size_t)t->ncpus, size);
	__u64 *sum = out;

	if (!bpf_map__lookup_elem(map, &key, sizeof(key), vals, size * (size_t)t->ncpus, 0))
		for (int c = 0; c < t->ncpus; c++)
			for (size_t i = 0; i < nv; i++)
				sum[i] += vals[(size_t)c * nv + i];
	free(vals);
}

/* n per-CPU counters, keys 0 to n-1, into out (zeroed by the caller) */
static void sum_percpu(struct tracer *t, struct bpf_map *map, __u32 n, uint64_t *out)
{
	for (__u32 k = 0; k < n; k++)
		sum_percpu_struct(t, map, k, &out[k], sizeof(out[k]));
}

void tracer_read_listeners(struct tracer *t, struct ms_listener out[4])
{
	pthread_mutex_lock(&t->listen_lock); /* drops0 and the listener it belongs to */
	for (__u32 k = 0; k < 4; k++) {
		struct ms_listener *l = &out[k];

		memset(l, 0, sizeof(*l));
		bpf_map__lookup_elem(tracer_map(t, "listeners"), &k, sizeof(k), l, sizeof(*l), 0);
		/* the listener's own count is since it was found (it had one before) */
		l->kernel_drops = l->kernel_drops >= t->drops0[k] ? l->kernel_drops - t->drops0[k] : 0;
	}
	pthread_mutex_unlock(&t->listen_lock);
}

void tracer_read_counts(struct tracer *t, struct tracer_counts *out)
{
	struct bpf_map *hists = tracer_map(t, "hists");

	memset(out, 0, sizeof(*out));
	sum_percpu(t, tracer_map(t, "counters"), MS_C__MAX, out->c);
	sum_percpu(t, tracer_map(t, "accept_errno"), MS_ERRNO_SLOTS, out->accept_errno);
	sum_percpu(t, tracer_map(t, "create_errno"), MS_ERRNO_SLOTS, out->create_errno);
	tracer_read_listeners(t, out->listen);
	sum_percpu_struct(t, tracer_map(t, "sched"), 0, &out->sched, sizeof(out->sched));
	for (__u32 k = 0; k < MS_H__MAX; k++)
		sum_percpu_struct(t, hists, k, &out->hists[k], sizeof(out->hists[k]));
}

static void add_u64s(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = a[i] + b[i];
}

void tracer_counts_add(struct tracer_counts *out, const struct tracer_counts *a, const struct tracer_counts *b)
{
	struct tracer_counts r;

	add_u64s(r.c, a->c, b->c, MS_C__MAX);
	add_u64s(r.accept_errno, a->accept_errno, b->accept_errno, MS_ERRNO_SLOTS);
	add_u64s(r.create_errno, a->create_errno, b->create_errno, MS_ERRNO_SLOTS);
	/* histograms and the scheduler's struct are all counters */
	add_u64s((uint64_t *)r.hists, (const uint64_t *)a->hists, (const uint64_t *)b->hists,
		 sizeof(r.hists) / (sizeof(uint64_t)));
	add_u64s((uint64_t *)&r.sched, (const uint64_t *)&a->sched, (const uint64_t *)&b->sched,
		 sizeof(r.sched) / sizeof(uint64_t));
	for (int i = 0; i < 4; i++) {
		r.listen[i].kernel_drops = a->listen[i].kernel_drops + b->listen[i].kernel_drops;
		r.listen[i].queue = b->listen[i].queue;
		r.listen[i].syn_drops = a->listen[i].syn_drops + b->listen[i].syn_drops;
		r.listen[i].ack_drops = a->listen[i].ack_drops + b->listen[i].ack_drops;
		r.listen[i].backlog = b->listen[i].backlog;
		r.listen[i].peak = a->listen[i].peak > b->listen[i].peak ? a->listen[i].peak : b->listen[i].peak;
	}
	*out = r;
}
