/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by the BPF programs of bpf/ and user space
 * (user/trace/, user/model/, user/report/): map value layouts, counter
 * indexes, ring-buffer records. Only fixed-width kernel types (__u32,
 * __u64...) so that both sides agree byte for byte.
 */
#ifndef MPMSCOPE_BPF_H
#define MPMSCOPE_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MS_MAX_TRACKED 32768   /* server processes followed at once */
/* Server threads with lifecycle state at once: a task lives in one slot of an
 * array (`task_tab`), found through a per-tid slot number (`task_slot`): two
 * array lookups the verifier inlines, where a hash lookup would be a call.
 * Slot 0 means "not the server's". The kernel fills slots below
 * MS_TASK_SLOTS_USER (task_newtask), user space the rest (seeding the httpd
 * parent, or a running server's tasks for trace/serve), so that the two
 * never race for one slot. */
#define MS_TASK_SLOTS 65536
#define MS_TASK_SLOTS_USER 49152
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
#define MS_NR_POLL (-1)
#define MS_NR_PPOLL 73
#define MS_NR_READ 63
#define MS_NR_WRITEV 66
#define MS_NR_WRITE 64
#define MS_NR_SENDFILE 71
#define MS_NR_PSELECT6 72
#define MS_NR_SELECT (-1)
#define MS_NR_WAIT4 260
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
#define MS_NR_POLL 7
#define MS_NR_PPOLL 271
#define MS_NR_READ 0
#define MS_NR_WRITEV 20
#define MS_NR_WRITE 1
#define MS_NR_SENDFILE 40
#define MS_NR_PSELECT6 270
#define MS_NR_SELECT 23
#define MS_NR_WAIT4 61
#endif

/* What a server task is, decided in the kernel from how it was created and
 * what it waits on (see apache-mpm notes): httpd never names its threads. */
enum ms_role {
	MS_ROLE_OTHER,         /* a server task that fits no other role (cgid, piped logger...) */
	MS_ROLE_PARENT,        /* the httpd parent */
	MS_ROLE_PREFORK_CHILD, /* a prefork child: one process, one connection at a time */
	MS_ROLE_CHILD_MAIN,    /* worker/event child's main thread (waits on the pipe of death) */
	MS_ROLE_STARTER,       /* worker/event start-up thread: creates the others, then exits */
	MS_ROLE_LISTENER,      /* worker: accept4s and queues; event: epoll_waits on every socket */
	MS_ROLE_WORKER,        /* worker/event worker thread */
	/* Dynamic content and backends (scenarios' [cgi], [php], [backend]). */
	MS_ROLE_CGI,           /* a process two or more generations below the parent that exec'd a
	                        * program: a CGI script under mod_cgi or mod_cgid, and what it runs */
	MS_ROLE_CGID,          /* mod_cgid's daemon: the parent's child that forks the CGI processes */
	MS_ROLE_FPM_MASTER,    /* php-fpm's master (a backend: seeded by user space, not Apache's) */
	MS_ROLE_FPM_WORKER,    /* a php-fpm pool process */
	MS_ROLE_BACKEND,       /* the tasks of mpmscope's own upstream (the slow backend) */
	MS_ROLE__MAX
};
/* Wakers that are not server tasks. */
#define MS_WAKER_KERNEL MS_ROLE__MAX         /* idle task or kernel thread: softirq, timers */
#define MS_WAKER_EXTERNAL (MS_ROLE__MAX + 1) /* another process (on loopback: the client) */
#define MS_WAKERS (MS_ROLE__MAX + 2)

/* Why a server task left the CPU voluntarily, from the syscall it blocked in. */
enum ms_offcpu {
	MS_OFF_WAIT_CONN,      /* accept4, or the listener's epoll_wait: waiting for connections */
	MS_OFF_ACCEPT_MUTEX,   /* futex LOCK_PI: the accept mutex (several Listen lines) */
	MS_OFF_IDLE_WORKER,    /* a worker's futex wait: idle, waiting to be handed a connection */
	MS_OFF_WAIT_IDLER,     /* the worker MPM listener's futex wait: waiting for an idle worker */
	MS_OFF_KEEPALIVE,      /* poll on a client socket after a response: holding a keep-alive connection */
	MS_OFF_READ_REQ,       /* poll/read on a client socket before the request is complete */
	MS_OFF_WRITE_RESP,     /* poll for POLLOUT, or a blocking write: the client reads slowly */
	MS_OFF_LINGER,         /* poll after shutdown(SHUT_WR): lingering close */
	MS_OFF_MAINTENANCE,    /* the parent's 1 s pselect6 / select, wait4 */
	MS_OFF_POD,            /* a child main thread's read on the pipe of death */
	MS_OFF_BACKEND,        /* a prefork child or worker polling a pipe or a socket that is not a
	                        * client's: a CGI's output, cgid's or php-fpm's socket, a proxied upstream */
	MS_OFF_OTHER,
	MS_OFF__MAX
};

/* Scheduler and CPU facts, one per-CPU value summed by user space; read at
 * the start and end of the load so the load phase is a difference. */
struct ms_sched {
	__u64 oncpu_ns[MS_ROLE__MAX];
	__u64 vcsw[MS_ROLE__MAX];                  /* voluntary switches (blocked) */
	__u64 ivcsw[MS_ROLE__MAX];                 /* involuntary (preempted) */
	__u64 wakeups[MS_WAKERS][MS_ROLE__MAX];    /* [waker][wakee] */
	__u64 off_ns[MS_ROLE__MAX][MS_OFF__MAX];
	__u64 off_cnt[MS_ROLE__MAX][MS_OFF__MAX];
};

/* Per-connection state (map `conns`, keyed by struct sock address). */
#define MS_CF_ACCEPTED 0x1
#define MS_CF_RESP_SENT 0x2    /* response bytes sent since the last request bytes read */
#define MS_CF_SERVER_FIN 0x4   /* the server left ESTABLISHED first (shutdown/close) */
#define MS_CF_CLIENT_FIN 0x8   /* the client's FIN came first */
#define MS_CF_RST_SENT 0x10
#define MS_CF_RST_RECV 0x20
#define MS_CF_SAMPLED 0x40     /* explain: every step of this connection is recorded */
#define MS_CF_IN_REQ 0x80      /* request bytes read, response not started */
#define MS_CF_TASK_EXIT 0x100  /* its socket was closed by the exit of a server task (exit_code says how) */
#define MS_CF_GAVE_UP 0x200    /* the client closed or reset it while it waited in the listen queue */

struct ms_conn {
	__u64 established_ns;  /* handshake complete (in the listen queue from now) */
	__u64 accept_ns;
	__u64 req_start_ns;    /* first bytes of the current request read */
	__u64 last_recv_ns;
	__u64 first_send_ns;   /* of the current response */
	__u64 last_send_ns;
	__u64 fin_ns;          /* left ESTABLISHED */
	__u64 idle_sum_ns, idle_max_ns;
	__u64 rx_bytes, tx_bytes;
	__u32 accept_tid, serve_tid, serve_tgid;
	__u32 requests;
	__u32 idle_count;
	__u32 handoffs;        /* times the serving task changed */
	__u32 flags;           /* MS_CF_* */
	__u16 rport, lport;
	__u32 raddr[4];        /* the client's address, IPv6 or IPv4-mapped (::ffff:a.b.c.d) */
	__u64 first_syn_ns;    /* its first SYN seen dropped, when the listen queue was full (else 0) */
	__s32 exit_code;       /* MS_CF_TASK_EXIT: task->exit_code of the exiting task */
	__u16 syn_drops;       /* its handshake packets dropped on a full accept queue before it got in */
	__u16 free_at_est;     /* server tasks free to take a connection when its handshake completed */
	/* MS_CF_GAVE_UP: the server's tasks when the client gave up, by what
	 * they were blocked in (the gauge of struct ms_gauge) */
	struct ms_busy {
		__u16 free;        /* waiting for work: prefork's accept, worker's and event's idle workers */
		__u16 keepalive;   /* holding idle keep-alive connections */
		__u16 reading;     /* reading requests */
		__u16 writing;     /* writing responses (to slow readers) */
		__u16 lingering;   /* in lingering close */
		__u16 other;       /* elsewhere: a handler, a lock (running tasks are not counted) */
		__u16 backend;     /* waiting for a backend (MS_OFF_BACKEND) */
	} at_giveup;
	/* bytes the kernel received on it that no server task was seen to
	 * read, when it closed (tcp_sock.bytes_received - rx_bytes; a FIN
	 * counts one): a request that crossed the server's FIN */
	__u32 unread;
	/* tcp_sock.write_seq when its handshake completed: at the close,
	 * write_seq - wseq0 is what the server queued to send (a FIN counts
	 * one), against tx_bytes, what its sends were seen to return */
	__u32 wseq0;
};

/* A slot of the connection table `conn_tab` (see common.bpf.h), read by
 * user space too (the connections still open when a trace ends). */
struct ms_conn_slot {
	__u64 sk;              /* the struct sock it holds; 0: free */
	__u32 spill;           /* connections with this client port in `conns` */
	__u32 pad;
	struct ms_conn c;
};

/* A client address and port, to a server port: a handshake's identity. */
struct ms_client {
	__u32 addr[4];         /* as ms_conn.raddr */
	__u16 rport, lport;
};

/* A client whose handshake the kernel dropped because the listener's accept
 * queue was full (map `syn_wait`): until it gets in, or user space reaps it
 * as having given up. */
struct ms_syn_wait {
	__u64 first_ns, last_ns;
	__u32 syns;            /* SYNs dropped (the client retries at +1 s, +3 s, +7 s...) */
	__u32 acks;            /* its handshake's end dropped: the ACK, or the first data */
	__u32 queue, backlog;  /* the accept queue and its limit at the last drop */
};

/* What the SYN watcher saw of a listening port of the server (map
 * `listeners`, one slot per port of server_ports[]; its socket, in
 * `listen_sk`, is found by the iter/tcp program). */
struct ms_listener {
	__u64 kernel_drops;    /* the listener's own count of packets discarded (sk_drops: each
	                        * tcp_listendrop(), and the retransmitted handshake packets its
	                        * request sockets absorbed), read by the iterator at each scan:
	                        * on every kernel with iter/tcp */
	__u32 queue;           /* its accept queue at the last scan */
	__u32 pad;
	__u64 syn_drops;       /* SYNs dropped: accept queue full */
	__u64 ack_drops;       /* handshake ends dropped while it was full: the ACK (the SYN-ACK sent
	                        * again), or the first data under TCP_DEFER_ACCEPT */
	__u32 backlog;         /* sk_max_ack_backlog */
	__u32 peak;            /* the longest accept queue seen as a connection got into it */
};

/* Server tasks blocked right now, by why (enum ms_offcpu): [0] kept by the
 * kernel (+1 at a block, -1 at the next run), [1] set by user space for the
 * tasks already blocked when it attached. The sum is the gauge. */
struct ms_gauge {
	__s32 blocked[MS_OFF__MAX];
	__s32 pad;
};

/* explain: steps of a sampled connection. */
enum ms_step {
	MS_STEP_ESTABLISHED = 1, MS_STEP_ACCEPT, MS_STEP_RECV, MS_STEP_SEND, MS_STEP_BLOCK, MS_STEP_WAKE,
	MS_STEP_RUN, MS_STEP_SERVER_FIN, MS_STEP_CLIENT_FIN, MS_STEP_RST_SENT, MS_STEP_RST_RECV, MS_STEP_CLOSE,
	MS_STEP_HANDOFF,
};

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
	MS_C_CONNECT,          /* a tracked task connected a stream socket (anywhere: a backend too) */
	MS_C_RB_DROPS,         /* ring-buffer reservations that failed: records lost */
	MS_C_TRACK_FULL,       /* a new process or thread could not be followed: `tracked` or `task_tab` full */
	MS_C_SYNACK_RETRANS,   /* SYN-ACKs retransmitted on the server's port: the client's ACK was lost or dropped */
	MS_C_CONN_UNACCEPTED,  /* server connections closed without ever being accepted */
	MS_C_REQUESTS,         /* requests begun on the server's connections (first bytes read after a response) */
	MS_C_SYN_DROPS,        /* SYNs to the server's ports dropped on a full accept queue */
	MS_C_RST_AFTER_CLOSE,  /* RSTs the server's kernel sent on a connection it had closed */
	/* a backend's tasks (php-fpm, the upstream), counted apart from the server's */
	MS_C_BACKEND_PROC_CREATED,
	MS_C_BACKEND_THREAD_CREATED,
	MS_C_BACKEND_EXITED,   /* any of its threads exited */
	MS_C_CONNECT_SELF,     /* of MS_C_CONNECT, to one of the server's own listening ports over TCP:
	                        * prefork's dummy connections, the accepts that are no client's */
	MS_C__MAX
};

/* In-kernel histograms (log2 of ns), one per metric. */
enum ms_hist_id {
	MS_H_PROC_CREATE,      /* fork/clone syscall time in the creator, when it made a process */
	MS_H_THREAD_CREATE,    /* clone/clone3 syscall time in the creator, when it made a thread */
	MS_H_PROC_FIRST_RUN,   /* new process: sched_wakeup_new -> first time on a CPU */
	MS_H_THREAD_FIRST_RUN, /* new thread: same */
	MS_H_LISTEN_Q,         /* connection established -> accepted */
	MS_H_KA_IDLE,          /* keep-alive idle gap: response sent -> next request read on it */
	MS_H_REQ_READ,         /* first -> last read of a request */
	MS_H_REQ_HANDLE,       /* last read -> first byte of the response */
	MS_H_REQ_WRITE,        /* first -> last write of a response */
	MS_H_LINGER,           /* server FIN -> socket closed */
	MS_H_IDLE_CLOSE,       /* response sent -> the connection closed, no further request */
	MS_H_REAP,             /* a wait4 of a server task that reaped a child: enter to exit */
	MS_H_RUNQ,             /* run-queue latency, one per role: MS_H_RUNQ + role */
	MS_H_OFFCPU = MS_H_RUNQ + MS_ROLE__MAX, /* off-CPU time per reason: MS_H_OFFCPU + reason */
	MS_H__MAX = MS_H_OFFCPU + MS_OFF__MAX
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
#define MS_TF_BLOCKED 0x20     /* counted blocked in the gauge (struct ms_gauge) for its off_reason */

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
	/* scheduler state (times on the scheduler's clock, see the BPF side) */
	__u64 exec_ns;         /* its se.sum_exec_runtime when last switched in */
	__u64 runq_ns;         /* woken or preempted: waiting for a CPU since */
	__u64 off_ns;          /* blocked since */
	__u64 rdelay_ns;       /* its sched_info.run_delay when last switched out */
	__u64 cur_sk;          /* the connection it last read from or wrote to */
	__u32 role;            /* enum ms_role */
	__u32 off_reason;      /* enum ms_offcpu, while blocked */
	__u32 tid;             /* the slot's owner; 0: a free slot */
	__u16 cur_rport;       /* cur_sk's client port (its place in the connection table) */
	__u16 waker;           /* the role (or MS_WAKER_*) that last woke it */
	__u32 waker_tid, waker_tgid;
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
	MS_EV_CONN_END,        /* a server connection closed: its summary */
	MS_EV_STEP,            /* one step of a sampled connection (explain) */
	MS_EV_RST_AFTER_CLOSE, /* the kernel reset a server connection after its close (data came after it) */
	MS_EV_LISTEN_HOT,      /* a listener's accept queue reached half its backlog: attach the SYN watcher */
};

/* ms_event.flags */
#define MS_EVF_BACKEND 0x1     /* MS_EV_SPAWN / MS_EV_EXIT / MS_EV_ACCEPT of a backend's task, not the server's */

/* Ring-buffer record: rare events only (one per task created/exited and per
 * connection), never one per scheduler or syscall event. */
struct ms_event {
	__u64 ts;              /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 type;            /* enum ms_event_type */
	__u32 tid;             /* the task that did it (creator, exiting task, acceptor) */
	__u32 tgid;
	__u32 flags;           /* MS_EVF_* */
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
			__u64 peer;        /* a backend's accept (MS_EVF_BACKEND) on AF_UNIX: the connecting
			                    * end's struct sock (unix_sock.peer), the sk of Apache's connect */
		} conn;                    /* MS_EV_ACCEPT, MS_EV_CONNECT (ports from the task's side), MS_EV_RST_AFTER_CLOSE,
		                            * MS_EV_LISTEN_HOT (lport only) */
		struct {
			__u64 sk;
			struct ms_conn c;
		} conn_end;
		struct {
			__u64 sk;
			__u64 value;       /* bytes, duration, waker tid... per step */
			__u32 step;        /* enum ms_step */
			__u32 other;       /* a second value: reason, role, waker role */
			__u32 task;        /* the task the step is about (the wakee for a wake-up) */
			__u32 task_role;
		} step;
	};
	char comm[MS_TASK_COMM_LEN];
};

#endif
