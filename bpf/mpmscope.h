/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by the BPF programs (bpf/mpmscope.bpf.c) and user
 * space (user/tracer.c): map value layouts, counter indexes, ring-buffer
 * records. Only fixed-width kernel types (__u32, __u64...) so that both sides
 * agree byte for byte.
 */
#ifndef MPMSCOPE_BPF_H
#define MPMSCOPE_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MS_MAX_TRACKED 32768   /* server processes followed at once */
#define MS_MAX_TASKS 131072    /* server threads with lifecycle state at once */
#define MS_HIST_SLOTS 40       /* log2(ns) buckets: slot i holds [2^i, 2^(i+1)) ns, up to ~18 min */
/* Errors counted per errno: slots 1..127 are errno values, slots 128..135 the
 * kernel's internal 512..519 (ERESTARTSYS...: a signal interrupted the call,
 * e.g. at shutdown), slot 0 anything else. */
#define MS_ERRNO_SLOTS 136
#define MS_ERRNO_RESTART_BASE 128
#define MS_RINGBUF_BYTES (4u << 20)
#define MS_TASK_COMM_LEN 16

/* Syscall numbers the probes care about (x86_64 ABI; arm64 differs). */
#if defined(__TARGET_ARCH_arm64) || defined(__aarch64__)
#define MS_NR_ACCEPT 202
#define MS_NR_ACCEPT4 242
#define MS_NR_CONNECT 203
#define MS_NR_CLONE 220
#define MS_NR_CLONE3 435
#define MS_NR_FORK (-1)
#define MS_NR_VFORK (-1)
#define MS_NR_EPOLL_WAIT (-1)
#define MS_NR_EPOLL_PWAIT 22
#define MS_NR_EPOLL_PWAIT2 441
#define MS_NR_FUTEX 98
#else
#define MS_NR_ACCEPT 43
#define MS_NR_ACCEPT4 288
#define MS_NR_CONNECT 42
#define MS_NR_CLONE 56
#define MS_NR_CLONE3 435
#define MS_NR_FORK 57
#define MS_NR_VFORK 58
#define MS_NR_EPOLL_WAIT 232
#define MS_NR_EPOLL_PWAIT 281
#define MS_NR_EPOLL_PWAIT2 441
#define MS_NR_FUTEX 202
#endif

#define MS_CLONE_THREAD 0x00010000

/* Global counters: a per-CPU array indexed by these, summed by user space. */
enum ms_counter {
	MS_C_PROC_CREATED,     /* a tracked task created a process (fork / clone without CLONE_THREAD) */
	MS_C_THREAD_CREATED,   /* a tracked task created a thread */
	MS_C_PROC_EXITED,      /* last thread of a tracked process exited */
	MS_C_THREAD_EXITED,    /* any other tracked thread exited */
	MS_C_ACCEPT_OK,        /* accept/accept4 returned a connection */
	MS_C_ACCEPT_ERR,       /* accept/accept4 returned an error (by errno in accept_errno) */
	MS_C_CREATE_FAILED,    /* fork/clone/clone3 returned an error (by errno in create_errno) */
	MS_C_CONNECT,          /* a tracked task connected a socket (prefork's dummy connections) */
	MS_C_RB_DROPS,         /* ring-buffer reservations that failed: records lost */
	MS_C_TRACK_FULL,       /* a new process could not be added to `tracked` */
	MS_C__MAX
};

/* In-kernel histograms (log2 of ns), one per metric. */
enum ms_hist_id {
	MS_H_PROC_CREATE,      /* fork/clone syscall time in the creator, when it made a process */
	MS_H_THREAD_CREATE,    /* clone/clone3 syscall time in the creator, when it made a thread */
	MS_H_PROC_FIRST_RUN,   /* new process: sched_wakeup_new -> first time on a CPU */
	MS_H_THREAD_FIRST_RUN, /* new thread: same */
	MS_H__MAX
};

struct ms_hist {
	__u64 slots[MS_HIST_SLOTS];
	__u64 count;
	__u64 sum_ns;
};

/* Task flags (struct ms_task.flags). */
#define MS_TF_THREAD 0x1       /* created as a thread (CLONE_THREAD) */
#define MS_TF_WOKEN 0x2        /* sched_wakeup_new seen */
#define MS_TF_RAN 0x4          /* first sched_switch in seen */
#define MS_TF_READY 0x8        /* first wait for work seen */
#define MS_TF_LISTEN 0x10      /* first wait for a connection seen */

/* Lifecycle state of one server thread created while traced, keyed by tid;
 * sent to user space in the thread's exit record. */
struct ms_task {
	__u64 created_ns;      /* task_newtask */
	__u64 wakeup_ns;       /* sched_wakeup_new: runnable for the first time */
	__u64 first_run_ns;    /* first sched_switch in */
	__u64 ready_ns;        /* first accept/epoll_wait/futex wait: waiting for work */
	__u64 listen_ns;       /* first accept/epoll_wait: waiting for a connection */
	__u64 create_dur_ns;   /* the creator's fork/clone syscall, enter to exit */
	__u32 ready_nr;        /* the syscall that marked it ready */
	__u32 flags;           /* MS_TF_* */
};

/* In-flight fork/clone of a tracked thread, keyed by tid. */
struct ms_spawn_call {
	__u64 enter_ns;
	__u32 kind;            /* 0 unknown yet, 1 process, 2 thread (set by task_newtask) */
	__u32 pad;
};

/* Value of the `tracked` map, keyed by tgid: "this process belongs to the server". */
struct ms_proc {
	__u64 created_ns;
	__u32 parent_tgid;     /* 0 for the seeded root (the httpd parent) */
	__u32 depth;           /* 0 root, 1 its children, ... */
};

enum ms_event_type {
	MS_EV_SPAWN = 1,       /* a tracked task created a process or thread */
	MS_EV_EXIT,            /* a tracked thread exited (group_dead: the process is gone) */
	MS_EV_ACCEPT,          /* accept returned a connection */
	MS_EV_CONNECT,         /* a tracked task connected (prefork's dummy connection) */
};

/* Ring-buffer record: rare events only (one per task created/exited and per
 * connection), never one per scheduler or syscall event. */
struct ms_event {
	__u64 ts;              /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 type;            /* enum ms_event_type */
	__u32 tid;             /* the task that did it (creator, exiting task, acceptor) */
	__u32 tgid;
	__u32 pad;
	union {
		struct {
			__u64 clone_flags;
			__u32 child_tid;
			__u32 child_tgid;
		} spawn;
		struct {
			__s32 exit_code;   /* task->exit_code: status << 8, or signal in the low 7 bits */
			__u32 group_dead;
			__u64 runtime_ns;  /* se.sum_exec_runtime: CPU time of this thread */
			__u64 min_flt, maj_flt;
			__u64 nvcsw, nivcsw;
			struct ms_task life; /* zero when the thread existed before tracing */
		} exit;
		struct {
			__u64 sk;          /* struct sock address: the connection's identity until close */
			__s32 fd;
			__u32 raddr;       /* peer IPv4, network order (0 for IPv6) */
			__u16 rport;       /* peer port, host order: the client's local port */
			__u16 lport;       /* local (listening) port, host order */
			__u16 family;      /* AF_INET, AF_INET6 ... */
			__u16 type;        /* SOCK_STREAM, SOCK_DGRAM ... */
		} conn;                    /* MS_EV_ACCEPT and MS_EV_CONNECT (ports from the task's side) */
	};
	char comm[MS_TASK_COMM_LEN];
};

#endif
