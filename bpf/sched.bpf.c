// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The scheduler: a new task's first run (sched_wakeup_new), every context
 * switch (sched_switch: CPU time, switches, why a task blocked, run-queue
 * latency, off-CPU time) and who woke whom (sched_waking). With them what
 * only they use: why a task blocked (offcpu_reason) and the registers it
 * tells that from, the scheduler's clock, the end of an off-CPU period,
 * and the per-CPU record of who runs that sched_switch keeps.
 */
#include "common.bpf.h"

/* The syscall a task is in, from its saved registers (a BTF pointer from
 * bpf_task_pt_regs: read directly). */
#if defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#else
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#endif

/* --- scheduler: a new task's first run ------------------------------------------ */

static __always_inline void on_wakeup_new(struct task_struct *p)
{
	__u32 tid;
	struct ms_task *life;

	tid = BPF_CORE_READ(p, pid);
	life = task_of(tid);
	if (life && !(life->flags & MS_TF_WOKEN)) {
		life->wakeup_ns = bpf_ktime_get_ns();
		life->flags |= MS_TF_WOKEN;
	}
}

TWIN(ms_wakeup_new, sched_wakeup_new, on_wakeup_new(p), struct task_struct *p)

#define S_IFMT_ 00170000
#define S_IFSOCK_ 0140000
#define S_IFIFO_ 0010000

/* What fd is in task: FD_SOCK (with its struct sock in *sk), FD_PIPE, or
 * FD_UNKNOWN. direct: task is a tp_btf pointer and bpf_rdonly_cast() exists,
 * so the file is read by direct loads after one helper call (the fd table's
 * slot); else through probe reads. The inode's type is checked before
 * private_data is taken for a socket: a pipe's is not one. */
enum { FD_UNKNOWN, FD_SOCK, FD_PIPE };

static __always_inline int fd_kind(struct task_struct *task, int fd, bool direct, struct sock **sk)
{
	struct file *file = NULL;
	unsigned int mode;

	*sk = NULL;
	if (fd < 0)
		return FD_UNKNOWN;
	if (direct) {
		struct files_struct *files = task->files;
		struct fdtable *fdt;
		unsigned long fds;

		if (!files)
			return FD_UNKNOWN;
		fdt = files->fdt;
		if (!fdt || (unsigned int)fd >= fdt->max_fds)
			return FD_UNKNOWN;
		fds = (unsigned long)fdt->fd;
		if (bpf_probe_read_kernel(&file, sizeof(file), (void *)(fds + (unsigned long)fd * sizeof(file))) ||
		    !file)
			return FD_UNKNOWN;
		file = CAST(file, struct file);
		mode = file->f_inode->i_mode & S_IFMT_;
		if (mode == S_IFSOCK_)
			*sk = CAST(file->private_data, struct socket)->sk;
	} else {
		struct file **fdp;

		if ((unsigned int)fd >= BPF_CORE_READ(task, files, fdt, max_fds))
			return FD_UNKNOWN;
		fdp = BPF_CORE_READ(task, files, fdt, fd);
		if (bpf_probe_read_kernel(&file, sizeof(file), &fdp[fd]) || !file)
			return FD_UNKNOWN;
		mode = BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT_;
		if (mode == S_IFSOCK_) {
			struct socket *so = BPF_CORE_READ(file, private_data);

			*sk = BPF_CORE_READ(so, sk);
		}
	}
	if (mode == S_IFIFO_)
		return FD_PIPE;
	return mode == S_IFSOCK_ && *sk ? FD_SOCK : FD_UNKNOWN;
}

/* A task that serves requests (where waiting for a backend can happen). */
static __always_inline bool serving_role(__u32 role)
{
	return role == MS_ROLE_PREFORK_CHILD || role == MS_ROLE_WORKER;
}

/* The task's current connection is still open on its side (no FIN sent). */
static __always_inline bool mid_conn(struct ms_task *t)
{
	struct ms_conn *c;

	if (!t->cur_sk)
		return false;
	c = conn_of(t->cur_sk, t->cur_rport);
	return c && !(c->flags & MS_CF_SERVER_FIN);
}

/* Why the task about to block (prev, current) left the CPU, from the syscall
 * it is in. */
static __always_inline __u32 offcpu_reason(struct ms_task *t, __u32 role, struct pt_regs *regs, long nr,
					   struct task_struct *prev, bool btf)
{
	if (!regs)
		return MS_OFF_OTHER;
	if (nr == MS_NR_ACCEPT4 || nr == MS_NR_ACCEPT)
		return MS_OFF_WAIT_CONN;
	if (nr == MS_NR_EPOLL_WAIT || nr == MS_NR_EPOLL_PWAIT || nr == MS_NR_EPOLL_PWAIT2) {
		if (role == MS_ROLE_LISTENER)
			return MS_OFF_WAIT_CONN;
		/* mod_cgi polls the script's stdout and stderr in a pollset (an
		 * epoll): a serving task that does so on a connection it has not
		 * closed waits for the backend */
		return serving_role(role) && mid_conn(t) ? MS_OFF_BACKEND : MS_OFF_OTHER;
	}
	if (nr == MS_NR_FUTEX) {
		int op = (int)PT_REGS_PARM2_SYSCALL(regs) & 127; /* a BTF pointer: a direct load */

		if (op == 6 /* FUTEX_LOCK_PI */)
			return MS_OFF_ACCEPT_MUTEX;
		if (role == MS_ROLE_WORKER)
			return MS_OFF_IDLE_WORKER;
		if (role == MS_ROLE_LISTENER)
			return MS_OFF_WAIT_IDLER;
		return MS_OFF_OTHER;
	}
	if (nr == MS_NR_POLL || nr == MS_NR_PPOLL) {
		struct { int fd; short events, revents; } pfd = {};
		struct ms_conn *c;

		/* the pollfd array is on the caller's stack: resident */
		if (!bpf_probe_read_user(&pfd, sizeof(pfd), (void *)PT_REGS_PARM1_SYSCALL(regs)) &&
		    (pfd.events & 0x4 /* POLLOUT */))
			return MS_OFF_WRITE_RESP;
		{
			/* the connection polled: the socket behind the fd it waits
			 * on, by direct loads where the kernel allows them. A pipe
			 * (a CGI's output) or a socket that is no client's (cgid's,
			 * php-fpm's, a proxied upstream's) polled by a serving task:
			 * it waits for a backend. */
			struct sock *sk;
			int kind = fd_kind(btf ? prev : (struct task_struct *)bpf_get_current_task(), pfd.fd,
					   btf && has_rdonly_cast, &sk);
			bool direct = btf && has_rdonly_cast;
			__u64 key;

			if (kind == FD_PIPE)
				return serving_role(role) ? MS_OFF_BACKEND : MS_OFF_OTHER;
			key = sk ? (__u64)sk : t->cur_sk;
			if (!key)
				return MS_OFF_OTHER;
			c = conn_of(key, sk ? sk_rport(sk, direct) : t->cur_rport);
			if (!c && sk && serving_role(role))
				return MS_OFF_BACKEND;
		}
		if (!c)
			return MS_OFF_OTHER;
		if (c->flags & MS_CF_SERVER_FIN)
			return MS_OFF_LINGER;
		if (c->flags & MS_CF_RESP_SENT)
			return MS_OFF_KEEPALIVE;
		return MS_OFF_READ_REQ;
	}
	if (nr == MS_NR_READ) {
		if (role == MS_ROLE_CHILD_MAIN)
			return MS_OFF_POD;
		/* a blocking read of a pipe or of a socket that is no client's
		 * (mod_cgid's socket to its daemon, which hands it to the CGI) */
		if (serving_role(role)) {
			struct sock *sk;
			int kind = fd_kind(btf ? prev : (struct task_struct *)bpf_get_current_task(),
					   (int)PT_REGS_PARM1_SYSCALL(regs), btf && has_rdonly_cast, &sk);

			if (kind == FD_PIPE ||
			    (kind == FD_SOCK && !conn_of((__u64)sk, sk_rport(sk, btf && has_rdonly_cast))))
				return MS_OFF_BACKEND;
		}
		return MS_OFF_READ_REQ;
	}
	if (nr == MS_NR_WRITEV || nr == MS_NR_WRITE || nr == MS_NR_SENDFILE)
		return MS_OFF_WRITE_RESP;
	if (nr == MS_NR_PSELECT6 || nr == MS_NR_SELECT || nr == 61 /* wait4 */) {
		if (role == MS_ROLE_PARENT)
			return MS_OFF_MAINTENANCE;
		/* mod_cgi waits for its script's exit (apr_proc_wait, sleeps) */
		return serving_role(role) && mid_conn(t) ? MS_OFF_BACKEND : MS_OFF_OTHER;
	}
	return MS_OFF_OTHER;
}

static __always_inline struct ms_sched *sched_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sched, &zero);
}

/*
 * The saved registers of the task that blocks, for why it blocked. They sit at
 * a fixed offset from the task's stack (task_pt_regs()), so once that offset
 * is known the tp_btf twin finds them with a load and an addition, made a BTF
 * pointer by bpf_rdonly_cast() (6.2+, a kfunc the verifier turns into a
 * move), instead of calling bpf_task_pt_regs() (~60 ns here) at every
 * blocking switch. The loader says whether the kfunc exists (has_rdonly_cast).
 */
static volatile long regs_off; /* task_pt_regs(task) - task->stack, learnt once */

static __always_inline struct pt_regs *blocked_regs(struct task_struct *prev, bool btf)
{
	long stack;

	if (!btf)
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!has_rdonly_cast)
		return (struct pt_regs *)bpf_task_pt_regs(prev);
	stack = (long)prev->stack;
	if (!regs_off)
		regs_off = (long)bpf_task_pt_regs(prev) - stack;
	return CAST(stack + regs_off, struct pt_regs);
}

/*
 * Clocks. A helper call costs ~100 ns where the kernel mitigates returns
 * against speculation (SRSO "safe RET" on this project's AMD VMs), and
 * bpf_ktime_get_ns() was a third of the BPF time per request. The scheduler
 * keeps its own clock and its own accounting, so the hot path reads them:
 * - now: the run-queue clock (rq->clock), which __schedule() has just
 *   updated when sched_switch fires: three loads through next->se.cfs_rq;
 * - CPU time: se.sum_exec_runtime, which it has just charged to prev;
 * - run-queue waits: sched_info (CONFIG_SCHED_INFO): last_queued, when the
 *   task was last put on a run queue (woken, or preempted), and run_delay,
 *   its waits already ended (a migration while queued ends one).
 * So a blocked task's wake-up time is when it was queued, and its off-CPU
 * time is settled when it next runs; sched_waking only counts who woke whom.
 * Times kept across programs in this mode are on the scheduler's clock;
 * those that reach user space (first run, ready) are still taken with
 * bpf_ktime_get_ns() (CLOCK_MONOTONIC), once per task. The loader turns the
 * mode on (use_rq_clock) when the kernel's BTF has these fields and
 * sched_info counts (/proc/self/schedstat); otherwise every time is
 * bpf_ktime_get_ns() and sched_waking ends the off-CPU period.
 */
static __always_inline __u64 sched_now(struct task_struct *p, bool btf)
{
	if (!use_rq_clock)
		return bpf_ktime_get_ns();
	if (btf)
		return p->se.cfs_rq->rq->clock;
	return BPF_CORE_READ(p, se.cfs_rq, rq, clock);
}

/* An off-CPU period of d ns ended (by a wake-up from waker). */
static __always_inline void end_offcpu(struct ms_sched *s, struct ms_task *t, __u32 tid, __u32 role, __u64 d,
				       __u32 waker, __u64 step_ts)
{
	__u32 reason = t->off_reason < MS_OFF__MAX ? t->off_reason : MS_OFF_OTHER;
	__u32 i = BOUNDED(role * MS_OFF__MAX + reason, MS_ROLE__MAX * MS_OFF__MAX);

	(&s->off_ns[0][0])[i] += d;
	(&s->off_cnt[0][0])[i]++;
	hist_add(MS_H_OFFCPU + reason, d);
	/* the record is the waker's, as a step taken in its context would be */
	if (t->flags & MS_TF_SAMPLED)
		emit_step_as((__u64)t->waker_tgid << 32 | t->waker_tid, step_ts, MS_STEP_WAKE, t->cur_sk, d, waker,
			     tid, role);
	t->off_ns = 0;
}

/* The gauge of blocked tasks (struct ms_gauge): the kernel's half. */
static __always_inline void gauge_add(__u32 reason, int d)
{
	__u32 zero = 0;
	struct ms_gauge *g = bpf_map_lookup_elem(&gauge, &zero);

	if (g)
		__sync_fetch_and_add(&g->blocked[BOUNDED(reason, MS_OFF__MAX)], d);
}

/* sched_switch: next now runs on this CPU */
static __always_inline void oncpu_set(struct task_struct *next, __u32 tid, bool btf)
{
	__u32 zero = 0;
	struct ms_oncpu *o;

	if (!btf || !fast_current)
		return;
	o = bpf_map_lookup_elem(&oncpu, &zero);
	if (o) {
		o->tid = tid;
		o->tgid = next->tgid;
		o->kthread = next->flags & 0x00200000 /* PF_KTHREAD */;
		o->valid = 1;
	}
}

/* t blocks in syscall nr, for reason: its first waits. Ready to serve: its
 * first wait for work (a connection, or the queue for an idle worker);
 * listening: its first wait for a connection. Once per task each, on
 * CLOCK_MONOTONIC like its creation. */
static __always_inline void first_waits(struct ms_task *t, long nr, bool conn_wait, __u32 reason)
{
	bool first_ready = !(t->flags & MS_TF_READY) && (conn_wait || reason == MS_OFF_IDLE_WORKER);
	bool first_listen = conn_wait && !(t->flags & MS_TF_LISTEN);

	if (first_ready || first_listen) {
		__u64 mono = bpf_ktime_get_ns();

		if (first_ready) {
			t->ready_ns = mono;
			t->ready_nr = (__u32)nr;
			t->flags |= MS_TF_READY;
		}
		if (first_listen) {
			t->listen_ns = mono;
			t->flags |= MS_TF_LISTEN;
		}
	}
}

/* Roles told by what a task waits on: worker MPM's listener is the thread
 * that accepts, event's the only thread that epoll_waits; a threaded MPM's
 * "child" that accepts is mod_cgid's daemon (a child's main thread only
 * reads the pipe of death). */
static __always_inline __u32 role_from_wait(struct ms_task *t, __u32 role, long nr, bool conn_wait)
{
	if (role == MS_ROLE_WORKER && conn_wait)
		role = MS_ROLE_LISTENER;
	else if (role == MS_ROLE_CHILD_MAIN && (nr == MS_NR_ACCEPT4 || nr == MS_NR_ACCEPT))
		role = MS_ROLE_CGID;
	else
		return role;
	t->role = role;
	return role;
}

/*
 * The hottest program: every context switch on the machine. Two inlined
 * array lookups decide that neither task is ours; for ours: CPU time,
 * voluntary and involuntary switches, why it blocked, run-queue latency,
 * off-CPU time, first run.
 */
static __always_inline void on_switch(struct task_struct *prev, struct task_struct *next, long prev_state, bool btf)
{
	struct ms_sched *s = NULL;
	struct ms_task *t;
	__u64 now = 0, x;
	__u32 tid, role;

	HOOKS_ONLY_RETURN();
	tid = RD(btf, prev, pid);
	t = task_of(tid);
	if (t) {
		s = sched_stats();
		if (!s)
			return;
		now = sched_now(prev, btf);
		role = role_of(t);
		x = RD(btf, prev, se.sum_exec_runtime);
		if ((t->flags & MS_TF_ONCPU) && x > t->exec_ns)
			s->oncpu_ns[role] += x - t->exec_ns;
		t->flags &= ~MS_TF_ONCPU;
		if (use_rq_clock) {
			t->rdelay_ns = RD(btf, prev, sched_info.run_delay);
			t->flags |= MS_TF_OUT;
		}
		if ((btf ? prev_state : task_state(prev)) == 0 /* TASK_RUNNING: preempted */) {
			s->ivcsw[role]++;
			if (!use_rq_clock)
				t->runq_ns = now;
		} else {
			struct pt_regs *regs = blocked_regs(prev, btf);
			long nr = regs ? SYSCALL_NR(regs) : -1;
			bool conn_wait = nr == MS_NR_ACCEPT4 || nr == MS_NR_ACCEPT || nr == MS_NR_EPOLL_WAIT ||
					 nr == MS_NR_EPOLL_PWAIT || nr == MS_NR_EPOLL_PWAIT2;
			__u32 reason;

			role = role_from_wait(t, role, nr, conn_wait);
			reason = offcpu_reason(t, role, regs, nr, prev, btf);
			first_waits(t, nr, conn_wait, reason);
			s->vcsw[role]++;
			/* still counted blocked: user space seeded it so while it
			 * was in fact waking up; that count ends here */
			if (t->flags & MS_TF_BLOCKED)
				gauge_add(t->off_reason, -1);
			t->off_ns = now;
			t->off_reason = reason;
			/* the gauge is of Apache's own tasks: a CGI, cgid or a
			 * backend's task is no server task free or busy */
			if (role < MS_ROLE_CGI) {
				t->flags |= MS_TF_BLOCKED;
				gauge_add(reason, 1);
			} else {
				t->flags &= ~MS_TF_BLOCKED;
			}
			if (t->flags & MS_TF_SAMPLED)
				emit_step_task(MS_STEP_BLOCK, t->cur_sk, 0, reason, tid, role);
		}
	}

	tid = RD(btf, next, pid);
	oncpu_set(next, tid, btf);
	t = task_of(tid);
	if (!t)
		return;
	if (!s)
		s = sched_stats();
	if (!s)
		return;
	if (!now)
		now = sched_now(next, btf);
	role = role_of(t);
	t->exec_ns = RD(btf, next, se.sum_exec_runtime);
	if (t->flags & MS_TF_BLOCKED)
		gauge_add(t->off_reason, -1);
	t->flags = (t->flags & ~MS_TF_BLOCKED) | MS_TF_ONCPU;
	if (use_rq_clock) {
		/* its wait for this CPU: since it was queued, plus waits a
		 * migration ended since it last ran */
		__u64 queued = RD(btf, next, sched_info.last_queued), runq = 0, step_ts = 0;

		if (queued && now > queued)
			runq = now - queued;
		if (t->flags & MS_TF_OUT) {
			x = RD(btf, next, sched_info.run_delay);
			if (x > t->rdelay_ns)
				runq += x - t->rdelay_ns;
		}
		if (queued || runq) {
			hist_add(MS_H_RUNQ + role, runq);
			if (t->flags & MS_TF_SAMPLED) {
				step_ts = bpf_ktime_get_ns() - runq; /* when it was woken, on CLOCK_MONOTONIC */
				emit_step_task(MS_STEP_RUN, t->cur_sk, runq, 0, tid, role);
			}
		}
		/* blocked until it was queued: the wake-up */
		if (t->off_ns && now - runq > t->off_ns)
			end_offcpu(s, t, tid, role, now - runq - t->off_ns, t->waker, step_ts);
		t->off_ns = 0;
	} else if (t->runq_ns) {
		if (now > t->runq_ns)
			hist_add(MS_H_RUNQ + role, now - t->runq_ns);
		if (t->flags & MS_TF_SAMPLED)
			emit_step_task(MS_STEP_RUN, t->cur_sk, now - t->runq_ns, 0, tid, role);
		t->runq_ns = 0;
	}
	if ((t->flags & (MS_TF_WOKEN | MS_TF_RAN)) == MS_TF_WOKEN) {
		x = use_rq_clock ? bpf_ktime_get_ns() : now;
		t->first_run_ns = x;
		t->flags |= MS_TF_RAN;
		hist_add(t->flags & MS_TF_THREAD ? MS_H_THREAD_FIRST_RUN : MS_H_PROC_FIRST_RUN, x - t->wakeup_ns);
	}
}

/* sched_switch's 4th argument, prev_state, exists since 5.18: the loader
 * says whether this kernel has it (has_prev_state, from its BTF). Reading
 * ctx[3] only under this constant keeps the program valid on older kernels
 * too. */

SEC("tp_btf/sched_switch")
int BPF_PROG(ms_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(prev, next, has_prev_state ? (long)(unsigned int)ctx[3] : task_state(prev), true);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(ms_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(prev, next, 0, false);
	return 0;
}

/*
 * sched_waking runs in the waker's context (sched_wakeup may run later on the
 * wakee's CPU, from an IPI): who woke whom. Without the scheduler's clock,
 * also the end of the wakee's off-CPU time and the start of its run-queue
 * wait.
 */
static __always_inline void on_waking(struct task_struct *p, bool btf)
{
	struct ms_sched *s;
	struct ms_task *t, *w;
	__u64 pid_tgid;
	__u32 tid, role, waker;
	long kthread;

	HOOKS_ONLY_RETURN();
	tid = RD(btf, p, pid);
	t = task_of(tid);
	if (!t)
		return;
	s = sched_stats();
	if (!s)
		return;
	role = role_of(t);
	pid_tgid = current_id(btf, &kthread);
	w = task_of((__u32)pid_tgid);
	if (w)
		waker = role_of(w);
	else if ((__u32)pid_tgid == 0 || current_kthread(kthread))
		waker = MS_WAKER_KERNEL;
	else
		waker = MS_WAKER_EXTERNAL;
	s->wakeups[BOUNDED(waker, MS_WAKERS)][role]++;
	t->waker = (__u16)waker;
	t->waker_tid = (__u32)pid_tgid;
	t->waker_tgid = pid_tgid >> 32;
	if (use_rq_clock)
		return;
	{
		__u64 now = bpf_ktime_get_ns();

		if (t->off_ns && now > t->off_ns)
			end_offcpu(s, t, tid, role, now - t->off_ns, waker, 0);
		if (!t->runq_ns)
			t->runq_ns = now;
	}
}

TWIN(ms_waking, sched_waking, on_waking(p, btf), struct task_struct *p)
