// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscalls of the server's tasks: accept and connect (the connection
 * records, and who accepted a connection after how long in the listen
 * queue), clone/clone3/fork/vfork (how long a creation took, why it
 * failed) and wait4 (the parent reaping its children). Four ways in, the
 * same handlers, one set loaded (user/trace/tracer.c chooses by what the
 * kernel accepts, cheapest first):
 *  - fentry/fexit on the kernel functions behind the syscalls;
 *  - kprobes/kretprobes on the same functions;
 *  - the per-syscall tracepoints (syscalls/sys_exit_accept4 ...);
 *  - the generic sys_enter/sys_exit hooks.
 * The first two leave every other syscall of the host alone: while any
 * syscall tracepoint is attached, every syscall of every task takes the
 * kernel's slow path (the syscall work flag is set on all of them).
 */
#include "common.bpf.h"

/*
 * Syscalls. Two ways in, same handlers: the per-syscall tracepoints
 * (tracepoint/syscalls/sys_exit_accept4 ...) fire only for the calls that
 * matter and are preferred; the generic sys_enter/sys_exit hooks fire for
 * every syscall on the machine and are the fallback where tracefs cannot be
 * had. The loader loads one set.
 */

/* Returns the struct sock address (0 if unknown). evflags: MS_EVF_*. */
static __always_inline __u64 emit_conn(__u32 type, __u64 pid_tgid, int fd, __u32 evflags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct socket *sock = fd_to_socket(task, fd);
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	struct ms_event *ev;
	__u16 stype = sock ? BPF_CORE_READ(sock, type) : 0;

	/* Only TCP matters for connections: getaddrinfo() and friends connect
	 * UDP and netlink sockets whose port numbers mean nothing here. */
	if (type == MS_EV_CONNECT) {
		__u16 family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
		__u16 rport = sk ? __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport)) : 0;

		if (stype != 1 /* SOCK_STREAM */)
			return 0;
		count(MS_C_CONNECT);
		/* the server's own port (a php-fpm pool's unix socket, an
		 * upstream's port are not): its accept is no client's */
		if ((family == 2 /* AF_INET */ || family == 10 /* AF_INET6 */) && bpf_map_lookup_elem(&listen_ports, &rport))
			count(MS_C_CONNECT_SELF);
	}
	ev = event_reserve(type, pid_tgid);
	if (!ev)
		return (__u64)sk;
	ev->conn.fd = fd;
	ev->conn.sk = (__u64)sk;
	ev->conn.raddr = 0;
	ev->conn.rport = 0;
	ev->conn.lport = 0;
	ev->conn.type = stype;
	ev->conn.family = 0;
	ev->conn.peer = 0;
	ev->flags = evflags;
	if (sk) {
		ev->conn.family = BPF_CORE_READ(sk, __sk_common.skc_family);
		ev->conn.raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		ev->conn.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		ev->conn.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		if ((evflags & MS_EVF_BACKEND) && ev->conn.family == 1 /* AF_UNIX */)
			ev->conn.peer = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
	}
	event_submit(ev, false);
	return (__u64)sk;
}

/* accept returned connection sk: time in the listen queue, who accepted it. */
static __always_inline void on_accepted(__u64 pid_tgid, __u64 sk)
{
	struct ms_conn *c;
	struct ms_task *t;
	__u32 tid = (__u32)pid_tgid;
	__u16 rport;
	__u64 now;

	if (!sk)
		return;
	rport = sk_rport((struct sock *)sk, false);
	c = conn_of(sk, rport);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	c->accept_ns = now;
	c->accept_tid = tid;
	c->flags |= MS_CF_ACCEPTED;
	if (c->established_ns && now >= c->established_ns)
		hist_add(MS_H_LISTEN_Q, now - c->established_ns);
	t = task_of(tid);
	/* A prefork child serves what it accepts; worker/event listeners hand
	 * the connection over, so it is not "theirs" after accept. */
	if (t && t->role == MS_ROLE_PREFORK_CHILD)
		touch_conn(t, sk, rport, c);
	/* The thread of a threaded child that accepts is its listener. Most
	 * listeners are told when they first block in accept or epoll_wait
	 * (role_from_wait); one whose every accept found a connection queued
	 * (a load already waiting when it started) never blocks there. */
	if (t && t->role == MS_ROLE_WORKER)
		t->role = MS_ROLE_LISTENER;
	if (c->flags & MS_CF_SAMPLED)
		emit_step_task(MS_STEP_ACCEPT, sk, now - c->established_ns, 0, tid, t ? role_of(t) : MS_ROLE__MAX);
}

static __always_inline bool current_tracked(__u64 *pid_tgid)
{
	*pid_tgid = bpf_get_current_pid_tgid();
	return task_of((__u32)*pid_tgid) != NULL;
}

/* Apache's own tasks, not its CGIs, cgid or a backend: what they accept and
 * connect are the server's connections (cgid's and php-fpm's accepts are of
 * Apache's own requests to them, on their sockets). */
static __always_inline bool current_server(__u64 *pid_tgid)
{
	struct ms_task *t;

	*pid_tgid = bpf_get_current_pid_tgid();
	t = task_of((__u32)*pid_tgid);
	return t && t->role < MS_ROLE_CGI;
}

static __always_inline void on_accept_ret(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ms_task *t = task_of((__u32)pid_tgid);

	if (!t)
		return;
	/* a backend's task (a php-fpm pool process, the upstream) took one of
	 * Apache's connections from its queue: when, to be paired with
	 * Apache's connect (user space), is how long Apache waited for a free
	 * backend worker */
	if (t->role >= MS_ROLE_FPM_MASTER) {
		if (ret >= 0)
			emit_conn(MS_EV_ACCEPT, pid_tgid, (int)ret, MS_EVF_BACKEND);
		return;
	}
	if (t->role >= MS_ROLE_CGI)
		return;
	if (ret >= 0) {
		count(MS_C_ACCEPT_OK);
		on_accepted(pid_tgid, emit_conn(MS_EV_ACCEPT, pid_tgid, (int)ret, 0));
	} else {
		count(MS_C_ACCEPT_ERR);
		count_errno(&accept_errno, ret);
	}
}

/* prefork's parent connects to its own port to wake idle children
 * ("internal dummy connection"); EINPROGRESS (-115) is a connect under way
 * on a non-blocking socket. */
static __always_inline void on_connect_ret(long ret, int fd)
{
	__u64 pid_tgid;

	if ((ret == 0 || ret == -115) && current_server(&pid_tgid))
		emit_conn(MS_EV_CONNECT, pid_tgid, fd, 0);
}

static __always_inline void on_spawn_enter(void)
{
	struct ms_spawn_call call = {};
	__u64 pid_tgid;
	__u32 tid;

	if (!current_tracked(&pid_tgid))
		return;
	tid = (__u32)pid_tgid;
	call.enter_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&spawn_calls, &tid, &call, BPF_ANY);
}

static __always_inline void on_spawn_exit(long ret)
{
	struct ms_spawn_call *call;
	__u64 pid_tgid;
	__u32 tid;

	if (!current_tracked(&pid_tgid))
		return;
	if (ret < 0) {
		count(MS_C_CREATE_FAILED);
		count_errno(&create_errno, ret);
	}
	tid = (__u32)pid_tgid;
	call = bpf_map_lookup_elem(&spawn_calls, &tid);
	if (!call)
		return; /* the new child returning from fork/clone, or tracing began mid-call */
	if (call->kind) {
		__u64 dur = bpf_ktime_get_ns() - call->enter_ns;

		hist_add(call->kind == 2 ? MS_H_THREAD_CREATE : MS_H_PROC_CREATE, dur);
		if (ret > 0) {
			__u32 ctid = (__u32)ret;
			struct ms_task *life = task_of(ctid);

			if (life)
				life->create_dur_ns = dur;
		}
	}
	bpf_map_delete_elem(&spawn_calls, &tid);
}

static __always_inline void on_reap_enter(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), now;
	__u32 tid = (__u32)pid_tgid;

	if (!task_of(tid))
		return;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&reap_calls, &tid, &now, BPF_ANY);
}

/* Only the calls that reaped a child count: the parent's once-a-second
 * WNOHANG polls that find nothing are its maintenance, not reaping. */
static __always_inline void on_reap_exit(long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	__u64 *t0 = bpf_map_lookup_elem(&reap_calls, &tid);

	if (!t0)
		return;
	if (ret > 0)
		hist_add(MS_H_REAP, bpf_ktime_get_ns() - *t0);
	bpf_map_delete_elem(&reap_calls, &tid);
}

static __always_inline bool is_spawn_nr(long id)
{
	return id == MS_NR_CLONE || id == MS_NR_CLONE3 || id == MS_NR_FORK || id == MS_NR_VFORK;
}

/* the generic hooks: the cheapest test (the syscall number) first */
static __always_inline void on_sys_exit(struct pt_regs *regs, long ret)
{
	long id = BPF_CORE_READ(regs, orig_ax);

	if (id == MS_NR_ACCEPT4 || id == MS_NR_ACCEPT)
		on_accept_ret(ret);
	else if (id == MS_NR_CONNECT)
		on_connect_ret(ret, (int)PT_REGS_PARM1_CORE_SYSCALL(regs));
	else if (is_spawn_nr(id))
		on_spawn_exit(ret);
	else if (id == MS_NR_WAIT4)
		on_reap_exit(ret);
}

static __always_inline void on_sys_enter(long id)
{
	if (is_spawn_nr(id))
		on_spawn_enter();
	else if (id == MS_NR_WAIT4)
		on_reap_enter();
}

TWIN(ms_sys_enter, sys_enter, on_sys_enter(id), struct pt_regs *regs, long id)

TWIN(ms_sys_exit, sys_exit, on_sys_exit(regs, ret), struct pt_regs *regs, long ret)

/* the per-syscall tracepoints */
#define SC_EXIT(name, call)                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                               \
	int ms_sc_x_##name(struct trace_event_raw_sys_exit *ctx)                 \
	{                                                                        \
		call;                                                            \
		return 0;                                                        \
	}
#define SC_ENTER(name)                                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                              \
	int ms_sc_e_##name(struct trace_event_raw_sys_enter *ctx)                \
	{                                                                        \
		on_spawn_enter();                                                \
		return 0;                                                        \
	}

SC_EXIT(accept4, on_accept_ret(ctx->ret))
SC_EXIT(accept, on_accept_ret(ctx->ret))
SC_EXIT(clone, on_spawn_exit(ctx->ret))
SC_EXIT(clone3, on_spawn_exit(ctx->ret))
SC_EXIT(fork, on_spawn_exit(ctx->ret))
SC_EXIT(vfork, on_spawn_exit(ctx->ret))
SC_ENTER(clone)
SC_ENTER(clone3)
SC_ENTER(fork)
SC_ENTER(vfork)
SC_EXIT(wait4, on_reap_exit(ctx->ret))

SEC("tracepoint/syscalls/sys_enter_wait4")
int ms_sc_e_wait4(struct trace_event_raw_sys_enter *ctx)
{
	on_reap_enter();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int ms_sc_x_connect(struct trace_event_raw_sys_exit *ctx)
{
	/* the fd argument is still in the saved registers at exit */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	on_connect_ret(ctx->ret, regs ? (int)PT_REGS_PARM1_CORE_SYSCALL(regs) : -1);
	return 0;
}

/*
 * The kernel functions behind the syscalls: __sys_accept4 (accept and
 * accept4), __sys_connect, kernel_clone (clone, clone3, fork, vfork),
 * kernel_wait4 (wait4). Their signatures have held since 5.10 (kernel_clone's
 * name); a kernel where one differs fails the load or the attach of this set,
 * and the loader takes the next way in.
 */
#define FX(kind, fn, name, call, ...)                                            \
	SEC(#kind "/" #fn)                                                       \
	int BPF_PROG(ms_fx_##name, __VA_ARGS__)                                  \
	{                                                                        \
		call;                                                            \
		return 0;                                                        \
	}

FX(fexit, __sys_accept4, accept4, on_accept_ret(ret), int fd, void *addr, void *addrlen, int flags, int ret)
FX(fexit, __sys_connect, connect, on_connect_ret(ret, fd), int fd, void *addr, int addrlen, int ret)
FX(fentry, kernel_clone, clone_enter, on_spawn_enter(), void *args)
FX(fexit, kernel_clone, clone, on_spawn_exit(ret), void *args, int ret)
FX(fentry, kernel_wait4, wait4_enter, on_reap_enter(), int upid, void *stat_addr, int options, void *ru)
FX(fexit, kernel_wait4, wait4, on_reap_exit(ret), int upid, void *stat_addr, int options, void *ru, long ret)

/* The same functions through kprobes, where trampolines are not offered. */
#define KP_ENTER(fn, call)                                                       \
	SEC("kprobe/" #fn)                                                       \
	int BPF_KPROBE(ms_kp_##fn##_enter)                                       \
	{                                                                        \
		call;                                                            \
		return 0;                                                        \
	}
#define KP_RET(fn, type, call)                                                   \
	SEC("kretprobe/" #fn)                                                    \
	int BPF_KRETPROBE(ms_kp_##fn, type ret)                                  \
	{                                                                        \
		call;                                                            \
		return 0;                                                        \
	}

KP_RET(__sys_accept4, int, on_accept_ret(ret))
KP_ENTER(kernel_clone, on_spawn_enter())
KP_RET(kernel_clone, int, on_spawn_exit(ret))
KP_ENTER(kernel_wait4, on_reap_enter())
KP_RET(kernel_wait4, long, on_reap_exit(ret))

SEC("kretprobe/__sys_connect")
int BPF_KRETPROBE(ms_kp___sys_connect, int ret)
{
	/* the fd: the syscall's first argument, in the saved user registers */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	on_connect_ret(ret, regs ? (int)PT_REGS_PARM1_CORE_SYSCALL(regs) : -1);
	return 0;
}
