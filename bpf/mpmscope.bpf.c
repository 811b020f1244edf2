// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel side of mpmscope: follow exactly the tasks of one Apache server (the
 * seeded parent and every descendant), count what they create, accept and
 * how they end. Every program exists twice: tp_btf (BTF-typed tracepoint, the
 * default) and raw_tp (for kernels or setups without tp_btf); the loader
 * disables the twin it does not use. Both call one __always_inline handler
 * that reads kernel memory only through CO-RE reads, so the same code is
 * valid in either context.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "mpmscope.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MS_MAX_TRACKED);
	__type(key, __u32);
	__type(value, struct ms_proc);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_C__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_ERRNO_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} accept_errno SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_ERRNO_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} create_errno SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MS_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct ms_task);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ms_spawn_call);
} spawn_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MS_H__MAX);
	__type(key, __u32);
	__type(value, struct ms_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MS_RINGBUF_BYTES);
} events SEC(".maps");

/* Wake the consumer only once this much is queued (or on rare events): a
 * wake-up per record would cost more than the record. */
const volatile __u64 wakeup_bytes = 64 * 1024;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline void count_errno(void *map, long ret)
{
	__u32 e = (__u32)(-ret);
	__u64 *v;

	if (e >= 512 && e < 520)
		e = MS_ERRNO_RESTART_BASE + (e - 512);
	else if (e >= MS_ERRNO_RESTART_BASE)
		e = 0; /* slot 0 collects out-of-range values: errno 0 is never an error */
	v = bpf_map_lookup_elem(map, &e);
	if (v)
		(*v)++;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	/* unrolled binary search: the verifier likes a fixed shape */
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline void hist_add(__u32 id, __u64 ns)
{
	struct ms_hist *h = bpf_map_lookup_elem(&hists, &id);
	__u32 slot = log2_u64(ns);

	if (!h)
		return;
	if (slot >= MS_HIST_SLOTS)
		slot = MS_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
}

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

static __always_inline struct ms_event *event_reserve(__u32 type, __u64 pid_tgid)
{
	struct ms_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		count(MS_C_RB_DROPS);
		return NULL;
	}
	ev->ts = bpf_ktime_get_ns();
	ev->type = type;
	ev->tid = (__u32)pid_tgid;
	ev->tgid = pid_tgid >> 32;
	ev->pad = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

static __always_inline void event_submit(struct ms_event *ev, bool urgent)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(ev, flags);
}

/* The socket behind fd in the current task: task->files->fdt->fd[fd]->private_data. */
static __always_inline struct socket *fd_to_socket(struct task_struct *task, int fd)
{
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	unsigned int max_fds;

	if (fd < 0)
		return NULL;
	max_fds = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned int)fd >= max_fds)
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock;
}

static __always_inline void emit_conn(__u32 type, __u64 pid_tgid, int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct socket *sock = fd_to_socket(task, fd);
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	struct ms_event *ev;
	__u16 stype = sock ? BPF_CORE_READ(sock, type) : 0;

	/* Only TCP matters for connections: getaddrinfo() and friends connect
	 * UDP and netlink sockets whose port numbers mean nothing here. */
	if (type == MS_EV_CONNECT) {
		if (stype != 1 /* SOCK_STREAM */)
			return;
		count(MS_C_CONNECT);
	}
	ev = event_reserve(type, pid_tgid);
	if (!ev)
		return;
	ev->conn.fd = fd;
	ev->conn.sk = (__u64)sk;
	ev->conn.raddr = 0;
	ev->conn.rport = 0;
	ev->conn.lport = 0;
	ev->conn.type = stype;
	ev->conn.family = 0;
	if (sk) {
		ev->conn.family = BPF_CORE_READ(sk, __sk_common.skc_family);
		ev->conn.raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		ev->conn.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		ev->conn.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	}
	event_submit(ev, false);
}

/* --- process and thread creation ------------------------------------------ */

static __always_inline void on_newtask(struct task_struct *task, __u64 clone_flags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct ms_proc *parent = bpf_map_lookup_elem(&tracked, &tgid);
	struct ms_event *ev;
	bool thread = clone_flags & MS_CLONE_THREAD;

	struct ms_spawn_call *call;
	struct ms_task life = {};
	__u32 ctid, tid = (__u32)pid_tgid;

	if (!parent)
		return;
	ctid = BPF_CORE_READ(task, pid);
	life.created_ns = bpf_ktime_get_ns();
	life.flags = thread ? MS_TF_THREAD : 0;
	bpf_map_update_elem(&tasks, &ctid, &life, BPF_ANY);
	call = bpf_map_lookup_elem(&spawn_calls, &tid);
	if (call)
		call->kind = thread ? 2 : 1;
	if (thread) {
		count(MS_C_THREAD_CREATED);
	} else {
		struct ms_proc child = {
			.created_ns = bpf_ktime_get_ns(),
			.parent_tgid = tgid,
			.depth = parent->depth + 1,
		};
		__u32 ctgid = BPF_CORE_READ(task, tgid);

		count(MS_C_PROC_CREATED);
		if (bpf_map_update_elem(&tracked, &ctgid, &child, BPF_ANY))
			count(MS_C_TRACK_FULL);
	}
	ev = event_reserve(MS_EV_SPAWN, pid_tgid);
	if (!ev)
		return;
	ev->spawn.clone_flags = clone_flags;
	ev->spawn.child_tid = ctid;
	ev->spawn.child_tgid = BPF_CORE_READ(task, tgid);
	event_submit(ev, false);
}

SEC("tp_btf/task_newtask")
int BPF_PROG(ms_newtask, struct task_struct *task, __u64 clone_flags)
{
	on_newtask(task, clone_flags);
	return 0;
}

SEC("raw_tp/task_newtask")
int BPF_PROG(ms_newtask_raw, struct task_struct *task, __u64 clone_flags)
{
	on_newtask(task, clone_flags);
	return 0;
}

/* --- exits ------------------------------------------------------------------ */

static __always_inline void on_exit(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 tid = BPF_CORE_READ(task, pid);
	struct ms_event *ev;
	struct ms_task *life;
	bool group_dead;

	if (!bpf_map_lookup_elem(&tracked, &tgid))
		return;
	/* do_exit() decrements signal->live before this tracepoint: 0 means this
	 * is the last thread (the sched_process_exit group_dead argument exists
	 * only on recent kernels; this works on all). */
	group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	count(group_dead ? MS_C_PROC_EXITED : MS_C_THREAD_EXITED);
	life = bpf_map_lookup_elem(&tasks, &tid);
	ev = event_reserve(MS_EV_EXIT, ((__u64)tgid << 32) | tid);
	if (ev) {
		ev->exit.exit_code = BPF_CORE_READ(task, exit_code);
		ev->exit.group_dead = group_dead;
		ev->exit.runtime_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
		ev->exit.min_flt = BPF_CORE_READ(task, min_flt);
		ev->exit.maj_flt = BPF_CORE_READ(task, maj_flt);
		ev->exit.nvcsw = BPF_CORE_READ(task, nvcsw);
		ev->exit.nivcsw = BPF_CORE_READ(task, nivcsw);
		if (life)
			ev->exit.life = *life;
		else
			__builtin_memset(&ev->exit.life, 0, sizeof(ev->exit.life));
		event_submit(ev, group_dead);
	}
	if (life)
		bpf_map_delete_elem(&tasks, &tid);
	if (group_dead)
		bpf_map_delete_elem(&tracked, &tgid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ms_proc_exit, struct task_struct *task)
{
	on_exit(task);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(ms_proc_exit_raw, struct task_struct *task)
{
	on_exit(task);
	return 0;
}

/* --- syscall returns: accept, connect, failed creations ---------------------- */

static __always_inline void on_sys_exit(struct pt_regs *regs, long ret)
{
	long id = BPF_CORE_READ(regs, orig_ax);
	__u64 pid_tgid;
	__u32 tgid;

	/* The cheapest test first: this fires for every syscall on the machine. */
	if (id != MS_NR_ACCEPT4 && id != MS_NR_ACCEPT && id != MS_NR_CONNECT && id != MS_NR_CLONE &&
	    id != MS_NR_CLONE3 && id != MS_NR_FORK && id != MS_NR_VFORK)
		return;
	pid_tgid = bpf_get_current_pid_tgid();
	tgid = pid_tgid >> 32;
	if (!bpf_map_lookup_elem(&tracked, &tgid))
		return;

	if (id == MS_NR_ACCEPT4 || id == MS_NR_ACCEPT) {
		if (ret >= 0) {
			count(MS_C_ACCEPT_OK);
			emit_conn(MS_EV_ACCEPT, pid_tgid, (int)ret);
		} else {
			count(MS_C_ACCEPT_ERR);
			count_errno(&accept_errno, ret);
		}
	} else if (id == MS_NR_CONNECT) {
		/* prefork's parent connects to its own port to wake idle children
		 * ("internal dummy connection"); EINPROGRESS (-115) is a connect
		 * under way on a non-blocking socket. */
		if (ret == 0 || ret == -115)
			emit_conn(MS_EV_CONNECT, pid_tgid, (int)PT_REGS_PARM1_CORE_SYSCALL(regs));
	} else {
		__u32 tid = (__u32)pid_tgid;
		struct ms_spawn_call *call = bpf_map_lookup_elem(&spawn_calls, &tid);

		if (ret < 0) {
			count(MS_C_CREATE_FAILED);
			count_errno(&create_errno, ret);
		}
		if (call) {
			__u64 dur = bpf_ktime_get_ns() - call->enter_ns;

			if (call->kind) {
				hist_add(call->kind == 2 ? MS_H_THREAD_CREATE : MS_H_PROC_CREATE, dur);
				if (ret > 0) {
					__u32 ctid = (__u32)ret;
					struct ms_task *life = bpf_map_lookup_elem(&tasks, &ctid);

					if (life)
						life->create_dur_ns = dur;
				}
			}
			bpf_map_delete_elem(&spawn_calls, &tid);
		}
	}
}

/* --- syscall entries: start of fork/clone, first wait for work -------------- */

static __always_inline bool waits_for_work(long id, struct pt_regs *regs)
{
	if (id == MS_NR_ACCEPT4 || id == MS_NR_ACCEPT || id == MS_NR_EPOLL_WAIT || id == MS_NR_EPOLL_PWAIT ||
	    id == MS_NR_EPOLL_PWAIT2)
		return true;
	if (id == MS_NR_FUTEX) {
		/* FUTEX_WAIT (0) and FUTEX_WAIT_BITSET (9), private or not: an idle
		 * worker waiting on the queue's condition variable */
		int op = (int)PT_REGS_PARM2_CORE_SYSCALL(regs) & 127;

		return op == 0 || op == 9;
	}
	return false;
}

static __always_inline void on_sys_enter(struct pt_regs *regs, long id)
{
	__u64 pid_tgid;
	__u32 tid;

	if (id != MS_NR_CLONE && id != MS_NR_CLONE3 && id != MS_NR_FORK && id != MS_NR_VFORK &&
	    id != MS_NR_ACCEPT4 && id != MS_NR_ACCEPT && id != MS_NR_EPOLL_WAIT && id != MS_NR_EPOLL_PWAIT &&
	    id != MS_NR_EPOLL_PWAIT2 && id != MS_NR_FUTEX)
		return;
	pid_tgid = bpf_get_current_pid_tgid();
	if (!is_tracked(pid_tgid >> 32))
		return;
	tid = (__u32)pid_tgid;
	if (id == MS_NR_CLONE || id == MS_NR_CLONE3 || id == MS_NR_FORK || id == MS_NR_VFORK) {
		struct ms_spawn_call call = { .enter_ns = bpf_ktime_get_ns() };

		bpf_map_update_elem(&spawn_calls, &tid, &call, BPF_ANY);
		return;
	}
	if (waits_for_work(id, regs)) {
		struct ms_task *life = bpf_map_lookup_elem(&tasks, &tid);

		if (life && (life->flags & (MS_TF_READY | MS_TF_LISTEN)) != (MS_TF_READY | MS_TF_LISTEN)) {
			__u64 now = bpf_ktime_get_ns();

			if (!(life->flags & MS_TF_READY)) {
				life->ready_ns = now;
				life->ready_nr = (__u32)id;
				life->flags |= MS_TF_READY;
			}
			if (id != MS_NR_FUTEX && !(life->flags & MS_TF_LISTEN)) {
				life->listen_ns = now;
				life->flags |= MS_TF_LISTEN;
			}
		}
	}
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ms_sys_enter, struct pt_regs *regs, long id)
{
	on_sys_enter(regs, id);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(ms_sys_enter_raw, struct pt_regs *regs, long id)
{
	on_sys_enter(regs, id);
	return 0;
}

/* --- scheduler: a new task's first run ------------------------------------------ */

static __always_inline void on_wakeup_new(struct task_struct *p)
{
	__u32 tid;
	struct ms_task *life;

	if (!is_tracked(BPF_CORE_READ(p, tgid)))
		return;
	tid = BPF_CORE_READ(p, pid);
	life = bpf_map_lookup_elem(&tasks, &tid);
	if (life && !(life->flags & MS_TF_WOKEN)) {
		life->wakeup_ns = bpf_ktime_get_ns();
		life->flags |= MS_TF_WOKEN;
	}
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ms_wakeup_new, struct task_struct *p)
{
	on_wakeup_new(p);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(ms_wakeup_new_raw, struct task_struct *p)
{
	on_wakeup_new(p);
	return 0;
}

static __always_inline void on_switch(struct task_struct *next)
{
	__u32 tid;
	struct ms_task *life;

	if (!is_tracked(BPF_CORE_READ(next, tgid)))
		return;
	tid = BPF_CORE_READ(next, pid);
	life = bpf_map_lookup_elem(&tasks, &tid);
	if (life && (life->flags & (MS_TF_WOKEN | MS_TF_RAN)) == MS_TF_WOKEN) {
		__u64 now = bpf_ktime_get_ns();

		life->first_run_ns = now;
		life->flags |= MS_TF_RAN;
		hist_add(life->flags & MS_TF_THREAD ? MS_H_THREAD_FIRST_RUN : MS_H_PROC_FIRST_RUN,
			 now - life->wakeup_ns);
	}
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ms_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(next);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(ms_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(next);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ms_sys_exit, struct pt_regs *regs, long ret)
{
	on_sys_exit(regs, ret);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(ms_sys_exit_raw, struct pt_regs *regs, long ret)
{
	on_sys_exit(regs, ret);
	return 0;
}
