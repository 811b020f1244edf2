// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exercises every helper of bpf/core_fixes.bpf.h on the running kernel, for
 * tests/kernels/core_check.c: the values land in .bss and the loader compares
 * them with what /proc and the syscalls say.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 target_tgid = 0; /* the loader */

__u64 switches;          /* sched_switch hits */
__u64 state_counts[4];   /* prev's state & 3: 0 running, 1 interruptible, 2 uninterruptible (TASK_IDLE too) */
__u64 state_bogus;       /* a value no kernel state has (>= 0x10000 or negative): the wrong field */
__u64 cpu_mismatch;      /* task_cpu(next) != this CPU at sched_switch */
__u64 cpu_checked;
long rss_pages;          /* mm_rss_total_pages(loader) at its last syscall exit */
__u32 proto_seen;        /* sk_protocol() of the loader's sockets changing state */
__u64 exits_group_dead;  /* exits of the loader's child processes, group_dead */
__u64 exits_thread;      /* exits of the loader's threads (not group dead) */

SEC("tp_btf/sched_switch")
int BPF_PROG(cc_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	long st = task_state(prev);

	__sync_fetch_and_add(&switches, 1);
	if (st < 0 || st >= 0x10000)
		__sync_fetch_and_add(&state_bogus, 1);
	else
		__sync_fetch_and_add(&state_counts[st & 3], 1);
	__sync_fetch_and_add(&cpu_checked, 1);
	if (task_cpu(next) != bpf_get_smp_processor_id())
		__sync_fetch_and_add(&cpu_mismatch, 1);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(cc_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	rss_pages = mm_rss_total_pages(BPF_CORE_READ(t, mm));
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(cc_sock_state, const struct sock *sk, int oldstate, int newstate)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	proto_seen = sk_protocol((struct sock *)sk);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cc_exit, struct task_struct *p)
{
	struct task_struct *parent = BPF_CORE_READ(p, real_parent);
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (tgid == target_tgid) {
		if (!task_group_dead(p))
			__sync_fetch_and_add(&exits_thread, 1);
	} else if (BPF_CORE_READ(parent, tgid) == target_tgid && task_group_dead(p)) {
		__sync_fetch_and_add(&exits_group_dead, 1);
	}
	return 0;
}
