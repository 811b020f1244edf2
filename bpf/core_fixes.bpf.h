/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CO-RE for the kernel fields that were renamed, moved or retyped between the
 * kernels mpmscope supports (5.8, the first with the BPF ring buffer, to
 * 6.x): the one place where a probe reads such a field. Include it after
 * vmlinux.h and bpf_core_read.h:
 *
 *     #include "vmlinux.h"
 *     #include <bpf/bpf_core_read.h>
 *     #include <bpf/bpf_helpers.h>
 *     #include "core_fixes.bpf.h"
 *
 * Each helper tests, at load time, which layout the running kernel has
 * (bpf_core_field_exists / bpf_core_type_exists, resolved by libbpf against
 * the kernel's BTF): the branch of the other layout is dead code that the
 * verifier removes, and its relocations (which would fail on this kernel) are
 * never reached. vmlinux.h is the 6.18 one: the old layouts are declared here
 * as "___o" flavours of the same types (libbpf ignores the ___suffix when it
 * matches them to the kernel's).
 *
 * What changed, and what to use:
 *   task_struct.state -> __state (5.14; also int -> unsigned int): task_state()
 *   task_struct.cpu -> thread_info.cpu (5.16, THREAD_INFO_IN_TASK arches):  task_cpu()
 *   mm_struct.rss_stat: struct mm_rss_stat of atomics -> percpu_counter[] (6.2): mm_rss_pages()
 *   sock.sk_protocol: 8-bit bitfield -> u16 (5.6):                           sk_protocol()
 * Tracepoint signatures that grew (tp_btf rejects a read past the kernel's
 * last argument, so never read these arguments; use the helpers instead):
 *   sched_switch(preempt, prev, next[, prev_state 5.18+]): task_state(prev)
 *   sched_process_exit(p[, group_dead: 6.18 has it, 6.1 not]): task_group_dead(p)
 * `mpmscope doctor`'s "co-re:" line prints which of these the kernel has.
 */
#ifndef MPMSCOPE_CORE_FIXES_BPF_H
#define MPMSCOPE_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* ---- task_struct.state (< 5.14) / __state (5.14+) ---------------------------- */

struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

struct task_struct___n {
	unsigned int __state;
} __attribute__((preserve_access_index));

/* The task's scheduler state: 0 running, 1 TASK_INTERRUPTIBLE, 2
 * TASK_UNINTERRUPTIBLE, ... (the same values on every kernel). */
static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(((struct task_struct___n *)t)->__state))
		return BPF_CORE_READ((struct task_struct___n *)t, __state);
	return BPF_CORE_READ((struct task_struct___o *)t, state);
}

/* ---- CPU of a task: task_struct.cpu (5.7-5.15) / thread_info.cpu ------------------ */

struct task_struct___cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_cpu(struct task_struct *t)
{
	if (bpf_core_field_exists(((struct task_struct___cpu *)t)->cpu))
		return BPF_CORE_READ((struct task_struct___cpu *)t, cpu);
	return BPF_CORE_READ(t, thread_info.cpu);
}

/* ---- is this the last thread of its process? --------------------------------------- */

/* At sched_process_exit, do_exit() has already decremented signal->live: 0
 * means the whole thread group is dead. The tracepoint's own group_dead
 * argument exists only on recent kernels; this works on all of them. */
static __always_inline bool task_group_dead(struct task_struct *t)
{
	return BPF_CORE_READ(t, signal, live.counter) == 0;
}

/* ---- mm rss counters: mm_rss_stat (< 6.2) / percpu_counter[] (6.2+) ---------------- */

struct mm_rss_stat___o {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___o {
	struct mm_rss_stat___o rss_stat;
} __attribute__((preserve_access_index));

/* Pages counted under member (MM_FILEPAGES 0, MM_ANONPAGES 1, MM_SWAPENTS 2,
 * MM_SHMEMPAGES 3; the same on every supported kernel). member must be a
 * constant: CO-RE relocates constant array indexes only. On 6.2+ this is the
 * percpu_counter's folded count, which lags the exact sum by at most the
 * per-CPU batch on each CPU (the kernel's own get_mm_counter() reads the
 * same). Negative transient values are returned as 0. */
static __always_inline long mm_rss_pages(struct mm_struct *mm, const int member)
{
	long v = 0;

	if (!mm)
		return 0;
	if (bpf_core_type_exists(struct mm_rss_stat___o)) {
		struct mm_struct___o *o = (struct mm_struct___o *)mm;

		switch (member) {
		case 0: v = BPF_CORE_READ(o, rss_stat.count[0].counter); break;
		case 1: v = BPF_CORE_READ(o, rss_stat.count[1].counter); break;
		case 2: v = BPF_CORE_READ(o, rss_stat.count[2].counter); break;
		case 3: v = BPF_CORE_READ(o, rss_stat.count[3].counter); break;
		}
	} else {
		switch (member) {
		case 0: v = BPF_CORE_READ(mm, rss_stat[0].count); break;
		case 1: v = BPF_CORE_READ(mm, rss_stat[1].count); break;
		case 2: v = BPF_CORE_READ(mm, rss_stat[2].count); break;
		case 3: v = BPF_CORE_READ(mm, rss_stat[3].count); break;
		}
	}
	return v < 0 ? 0 : v;
}

/* Resident pages: file + anon + shmem, what /proc/PID/statm's second field says. */
static __always_inline long mm_rss_total_pages(struct mm_struct *mm)
{
	return mm_rss_pages(mm, 0) + mm_rss_pages(mm, 1) + mm_rss_pages(mm, 3);
}

/* ---- sock.sk_protocol: bitfield (< 5.6) / u16 ------------------------------------ */

/* IPPROTO_TCP 6, IPPROTO_UDP 17... BPF_CORE_READ_BITFIELD_PROBED reads a
 * bitfield or a plain integer alike, at the kernel's offset and width. */
static __always_inline __u16 sk_protocol(struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

#endif
