// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel side of mpmscope: follow exactly the tasks of one Apache server (the
 * seeded parent and every descendant); count what they create, accept and
 * how they end; give each a role; account their CPU, run-queue and off-CPU
 * time by why they blocked; follow each connection of the server from the
 * handshake to the close. Every program exists twice: tp_btf (BTF-typed tracepoint, the
 * default) and raw_tp (for kernels or setups without tp_btf); the loader
 * disables the twin it does not use. Both call one __always_inline handler
 * that reads kernel memory only through CO-RE reads, so the same code is
 * valid in either context.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
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

/* The server's threads: their state in slots of an array, and the slot of
 * each tid (see MS_TASK_SLOTS). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MS_TASK_SLOTS);
	__type(key, __u32);
	__type(value, struct ms_task);
} task_tab SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ms_spawn_call);
} spawn_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MS_H__MAX);
	__type(key, __u32);
	__type(value, struct ms_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_sched);
} sched SEC(".maps");

/*
 * Connections of the server. The socket and request programs run for every
 * read and write on the machine, so a connection is found with one inlined
 * array lookup: its slot is its client port (unique among the connections
 * of one client address to one server port, which is all a loopback run
 * has). A slot names its socket; a second connection with the same client
 * port (another client address, another server port) spills into `conns`,
 * a hash keyed by the socket address, and the slot counts its spills so
 * that the common miss costs no hash lookup.
 */
struct ms_conn_slot {
	__u64 sk;              /* the struct sock it holds; 0: free */
	__u32 spill;           /* connections with this client port in `conns` */
	__u32 pad;
	struct ms_conn c;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct ms_conn_slot);
} conn_tab SEC(".maps");

/* LRU: an entry whose close was never seen (a missed tracepoint) cannot fill the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct ms_conn);
} conns SEC(".maps");

/* The server's listening ports (host order): which handshakes are ours. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} listen_ports SEC(".maps");

/* explain: client ports whose connections are recorded step by step. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} sample_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MS_RINGBUF_BYTES);
} events SEC(".maps");

/* Wake the consumer only once this much is queued (or on rare events): a
 * wake-up per record would cost more than the record. */
const volatile __u64 wakeup_bytes = 64 * 1024;
/* The MPM under study (enum mpm in user space: 0 prefork, 1 worker, 2 event):
 * roles depend on it. */
const volatile __u32 targ_mpm = 0;
#define TARG_PREFORK 0

/* Task flags used only in the kernel. */
#define MS_TF_SAMPLED 0x100    /* it last touched a sampled connection (explain) */

/* TCP states (include/net/tcp_states.h) */
#define TCP_ESTABLISHED_ 1
#define TCP_SYN_RECV_ 3
#define TCP_FIN_WAIT1_ 4
#define TCP_CLOSE_ 7
#define TCP_CLOSE_WAIT_ 8


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
	/* per-CPU: plain adds, summed by user space */
	h->slots[slot]++;
	h->count++;
	h->sum_ns += ns;
}

/* The syscall a task is in, from its saved registers (a BTF pointer from
 * bpf_task_pt_regs: read directly). */
#if defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#else
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#endif

/* tp_btf programs get BTF-typed pointers they may dereference directly (a
 * CO-RE-relocated load); raw_tp ones must go through bpf_probe_read. The
 * handlers take `btf` as a constant, so each twin keeps only its own way. */
#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

/* bench/overhead also builds the programs with -DMS_HOOKS_ONLY: the four that
 * run for every request (sched_switch, sched_waking, sock_recv_length,
 * sock_send_length) then return at once, and the bench tells what the hooks
 * cost from what the work costs. */
#ifdef MS_HOOKS_ONLY
#define HOOKS_ONLY_RETURN() return
#else
#define HOOKS_ONLY_RETURN() do { } while (0)
#endif

/* bpf_rdonly_cast() (6.2+) makes any address a read-only BTF pointer of a
 * kernel type, for direct loads where a helper call would cost ~60-100 ns
 * here; the verifier turns the call into a move. Weak, and used only under
 * this load-time constant: kernels without it load the other path. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
const volatile bool has_rdonly_cast = false;
#define CAST(ptr, type) ((type *)bpf_rdonly_cast((void *)(ptr), bpf_core_type_id_kernel(type)))

/* The slot in task_tab of every possible tid, 0 for tasks that are not the
 * server's (sized to the kernel's pid_max by the loader). Array lookups are
 * inlined by the verifier into a bounds check and a load: the many context
 * switches and wake-ups of other tasks are dismissed for a few
 * instructions, and the server's own found without a hash (a helper call
 * costs ~100 ns where returns are mitigated against speculation). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4194304); /* PID_MAX_LIMIT; the loader shrinks it to pid_max */
	__type(key, __u32);
	__type(value, __u16);
} task_slot SEC(".maps");

static __always_inline struct ms_task *task_of(__u32 tid)
{
	__u16 *s = bpf_map_lookup_elem(&task_slot, &tid);
	struct ms_task *t;
	__u32 i;

	if (!s || !*s)
		return NULL;
	i = *s;
	t = bpf_map_lookup_elem(&task_tab, &i);
	/* the owner check costs a load and makes a stale slot number harmless */
	return t && t->tid == tid ? t : NULL;
}

/*
 * Who runs on each CPU, as sched_switch last left it. sched_waking's waker and
 * the reader in sock_recv_length are current, and this record names them
 * without bpf_get_current_pid_tgid() and bpf_get_current_task_btf() (a helper
 * call costs ~100 ns here). A program in interrupt context finds the
 * interrupted task, as the helpers would. Kept only where the kernel inlines
 * per-CPU array lookups (6.10+ on x86-64; the loader tries): elsewhere the
 * lookup would itself be a helper call at every switch.
 */
struct ms_oncpu {
	__u32 tid;
	__u32 tgid;
	__u32 kthread; /* PF_KTHREAD */
	__u32 valid;   /* sched_switch has run on this CPU */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ms_oncpu);
} oncpu SEC(".maps");

const volatile bool fast_current = false;

/* current's pid and tgid as bpf_get_current_pid_tgid() has them; *kthread
 * is whether current is a kernel thread, or -1 when that is not known yet
 * (see current_kthread) */
static __always_inline __u64 current_id(bool btf, long *kthread)
{
	if (btf && fast_current) {
		__u32 zero = 0;
		struct ms_oncpu *o = bpf_map_lookup_elem(&oncpu, &zero);

		if (o && o->valid) {
			*kthread = o->kthread;
			return (__u64)o->tgid << 32 | o->tid;
		}
	}
	*kthread = -1;
	return bpf_get_current_pid_tgid();
}

static __always_inline bool current_kthread(long kthread)
{
	if (kthread >= 0)
		return kthread;
	return bpf_get_current_task_btf()->flags & 0x00200000 /* PF_KTHREAD */;
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

/* A slot for a new task (the kernel's part of the table): the first free one
 * from tid's place on, claimed with a compare-and-swap, then published in
 * task_slot. A tid that still names a slot (a task whose exit was not seen)
 * gets that slot back. */
static __always_inline struct ms_task *task_add(__u32 tid)
{
	__u32 i = tid % (MS_TASK_SLOTS_USER - 1) + 1;
	struct ms_task *t = task_of(tid);
	__u16 *s;

	if (!t) {
		for (int n = 0; n < 64; n++) {
			t = bpf_map_lookup_elem(&task_tab, &i);
			if (t && __sync_val_compare_and_swap(&t->tid, 0, tid) == 0)
				break;
			t = NULL;
			if (++i >= MS_TASK_SLOTS_USER)
				i = 1;
		}
		if (!t) {
			count(MS_C_TRACK_FULL);
			return NULL;
		}
		s = bpf_map_lookup_elem(&task_slot, &tid);
		if (!s) {
			t->tid = 0;
			return NULL;
		}
		*s = (__u16)i;
	}
	return t;
}

/* The task is gone: its tid names nothing, its slot is free. */
static __always_inline void task_del(__u32 tid, struct ms_task *t)
{
	__u16 *s = bpf_map_lookup_elem(&task_slot, &tid);

	if (s)
		*s = 0;
	if (t)
		t->tid = 0;
}

static __always_inline struct ms_conn_slot *conn_slot(__u16 rport)
{
	__u32 k = rport;

	return bpf_map_lookup_elem(&conn_tab, &k);
}

/* The server connection of socket sk (client port rport), or NULL. */
static __always_inline struct ms_conn *conn_of(__u64 sk, __u16 rport)
{
	struct ms_conn_slot *cs = conn_slot(rport);

	if (!cs)
		return NULL;
	if (cs->sk == sk)
		return &cs->c;
	if (!cs->spill)
		return NULL;
	return bpf_map_lookup_elem(&conns, &sk);
}

/* A new connection: its client port's slot if free, else a spill. */
static __always_inline void conn_add(__u64 sk, __u16 rport, struct ms_conn *nc)
{
	struct ms_conn_slot *cs = conn_slot(rport);
	__u64 old;

	if (!cs)
		return;
	old = cs->sk;
	if ((old == 0 || old == sk) && __sync_val_compare_and_swap(&cs->sk, old, sk) == old) {
		cs->c = *nc;
		return;
	}
	if (!bpf_map_update_elem(&conns, &sk, nc, BPF_ANY))
		__sync_fetch_and_add(&cs->spill, 1);
}

/* The connection closed: free its slot or drop its spill. */
static __always_inline void conn_del(__u64 sk, __u16 rport)
{
	struct ms_conn_slot *cs = conn_slot(rport);

	if (!cs)
		return;
	if (cs->sk == sk)
		cs->sk = 0;
	else if (!bpf_map_delete_elem(&conns, &sk))
		__sync_fetch_and_sub(&cs->spill, 1);
}

static __always_inline __u16 sk_rport(struct sock *sk, bool btf)
{
	return __builtin_bswap16(RD(btf, sk, __sk_common.skc_dport));
}

static __always_inline struct ms_sched *sched_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sched, &zero);
}

/*
 * An array index the verifier can see is below n (an immediate): v, or 0 if
 * v >= n. The test is asm so that clang cannot drop it when it proves it
 * always holds, nor re-load an unchecked copy of v from a stack spill, which
 * older verifiers (Debian 12's 6.1) then reject as an unbounded access.
 */
#define BOUNDED(v, n)                                                                    \
	({                                                                               \
		__u64 __v = (v);                                                         \
		asm volatile("if %0 < %1 goto +1; %0 = 0" : "+r"(__v) : "i"(n));         \
		__v;                                                                     \
	})

static __always_inline __u32 role_of(struct ms_task *t)
{
	__u32 r = t->role;

	return BOUNDED(r < MS_ROLE__MAX ? r : MS_ROLE_OTHER, MS_ROLE__MAX);
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

/* explain: one step of a sampled connection, recorded as taken by pid_tgid
 * at time ts (0: now). */
static __always_inline void emit_step_as(__u64 pid_tgid, __u64 ts, __u32 step, __u64 sk, __u64 value, __u32 other,
					 __u32 task, __u32 task_role)
{
	struct ms_event *ev = event_reserve(MS_EV_STEP, pid_tgid);

	if (!ev)
		return;
	if (ts)
		ev->ts = ts;
	ev->step.sk = sk;
	ev->step.value = value;
	ev->step.step = step;
	ev->step.other = other;
	ev->step.task = task;
	ev->step.task_role = task_role;
	event_submit(ev, false);
}

/* A step about task, taken in the current task's context. */
static __always_inline void emit_step_task(__u32 step, __u64 sk, __u64 value, __u32 other, __u32 task,
					   __u32 task_role)
{
	emit_step_as(bpf_get_current_pid_tgid(), 0, step, sk, value, other, task, task_role);
}

/* A step done by the current task. */
static __always_inline void emit_step(__u32 step, __u64 sk, __u64 value, __u32 other)
{
	emit_step_task(step, sk, value, other, (__u32)bpf_get_current_pid_tgid(), MS_ROLE__MAX);
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

/* Returns the struct sock address (0 if unknown). */
static __always_inline __u64 emit_conn(__u32 type, __u64 pid_tgid, int fd)
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
			return 0;
		count(MS_C_CONNECT);
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
	if (sk) {
		ev->conn.family = BPF_CORE_READ(sk, __sk_common.skc_family);
		ev->conn.raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		ev->conn.rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		ev->conn.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
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
	if (t && t->role == MS_ROLE_PREFORK_CHILD) {
		t->cur_sk = sk;
		t->cur_rport = rport;
		if (c->flags & MS_CF_SAMPLED)
			t->flags |= MS_TF_SAMPLED;
		else
			t->flags &= ~MS_TF_SAMPLED;
	}
	if (c->flags & MS_CF_SAMPLED)
		emit_step_task(MS_STEP_ACCEPT, sk, now - c->established_ns, 0, tid, t ? role_of(t) : MS_ROLE__MAX);
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
	{
		/* Roles from the creator: the parent forks children; a worker/event
		 * child's main thread starts the starter, which starts the workers
		 * and, last, the listener (recognised later by what it waits on). */
		struct ms_task *creator = task_of(tid);
		__u32 crole = creator ? role_of(creator) : MS_ROLE_OTHER;

		if (!thread)
			life.role = crole == MS_ROLE_PARENT ? (targ_mpm == TARG_PREFORK ? MS_ROLE_PREFORK_CHILD
										: MS_ROLE_CHILD_MAIN)
							    : MS_ROLE_OTHER;
		else if (crole == MS_ROLE_CHILD_MAIN)
			life.role = MS_ROLE_STARTER;
		else if (crole == MS_ROLE_STARTER)
			life.role = MS_ROLE_WORKER;
		else
			life.role = MS_ROLE_OTHER;
	}
	{
		struct ms_task *t = task_add(ctid);

		if (t) {
			life.tid = ctid;
			*t = life;
		}
	}
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
	group_dead = task_group_dead(task);
	count(group_dead ? MS_C_PROC_EXITED : MS_C_THREAD_EXITED);
	life = task_of(tid);
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
	task_del(tid, life);
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

/*
 * Syscalls. Two ways in, same handlers: the per-syscall tracepoints
 * (tracepoint/syscalls/sys_exit_accept4 ...) fire only for the calls that
 * matter and are preferred; the generic sys_enter/sys_exit hooks fire for
 * every syscall on the machine and are the fallback where tracefs cannot be
 * had. The loader loads one set.
 */

static __always_inline bool current_tracked(__u64 *pid_tgid)
{
	*pid_tgid = bpf_get_current_pid_tgid();
	return task_of((__u32)*pid_tgid) != NULL;
}

static __always_inline void on_accept_ret(long ret)
{
	__u64 pid_tgid;

	if (!current_tracked(&pid_tgid))
		return;
	if (ret >= 0) {
		count(MS_C_ACCEPT_OK);
		on_accepted(pid_tgid, emit_conn(MS_EV_ACCEPT, pid_tgid, (int)ret));
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

	if ((ret == 0 || ret == -115) && current_tracked(&pid_tgid))
		emit_conn(MS_EV_CONNECT, pid_tgid, fd);
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

/* In-flight wait4 of a server task (the parent reaping its children), by tid. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} reap_calls SEC(".maps");

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

SEC("tp_btf/sys_enter")
int BPF_PROG(ms_sys_enter, struct pt_regs *regs, long id)
{
	on_sys_enter(id);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(ms_sys_enter_raw, struct pt_regs *regs, long id)
{
	on_sys_enter(id);
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

/* The socket behind fd in task (a tp_btf pointer), by direct loads: one
 * helper call (the fd table's slot) instead of the eight probe reads of
 * fd_to_socket(). */
static __always_inline struct sock *fd_sock_direct(struct task_struct *task, int fd)
{
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct file *file = NULL;
	unsigned long fds;

	if (!files || fd < 0)
		return NULL;
	fdt = files->fdt;
	if (!fdt || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = (unsigned long)fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), (void *)(fds + (unsigned long)fd * sizeof(file))) || !file)
		return NULL;
	return CAST(CAST(file, struct file)->private_data, struct socket)->sk;
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
	if (nr == MS_NR_EPOLL_WAIT || nr == MS_NR_EPOLL_PWAIT || nr == MS_NR_EPOLL_PWAIT2)
		return role == MS_ROLE_LISTENER ? MS_OFF_WAIT_CONN : MS_OFF_OTHER;
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
			 * on, by direct loads where the kernel allows them */
			bool direct = btf && has_rdonly_cast;
			struct socket *so = NULL;
			struct sock *sk;
			__u64 key;

			if (direct) {
				sk = fd_sock_direct(prev, pfd.fd);
			} else {
				if (pfd.fd >= 0)
					so = fd_to_socket((struct task_struct *)bpf_get_current_task(), pfd.fd);
				sk = so ? BPF_CORE_READ(so, sk) : NULL;
			}
			key = sk ? (__u64)sk : t->cur_sk;
			if (!key)
				return MS_OFF_OTHER;
			c = conn_of(key, sk ? sk_rport(sk, direct) : t->cur_rport);
		}
		if (!c)
			return MS_OFF_OTHER;
		if (c->flags & MS_CF_SERVER_FIN)
			return MS_OFF_LINGER;
		if (c->flags & MS_CF_RESP_SENT)
			return MS_OFF_KEEPALIVE;
		return MS_OFF_READ_REQ;
	}
	if (nr == MS_NR_READ)
		return role == MS_ROLE_CHILD_MAIN ? MS_OFF_POD : MS_OFF_READ_REQ;
	if (nr == MS_NR_WRITEV || nr == MS_NR_WRITE || nr == MS_NR_SENDFILE)
		return MS_OFF_WRITE_RESP;
	if (nr == MS_NR_PSELECT6 || nr == MS_NR_SELECT || nr == 61 /* wait4 */)
		return role == MS_ROLE_PARENT ? MS_OFF_MAINTENANCE : MS_OFF_OTHER;
	return MS_OFF_OTHER;
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
 * mode on when the kernel's BTF has these fields and sched_info counts
 * (/proc/self/schedstat); otherwise every time is bpf_ktime_get_ns() and
 * sched_waking ends the off-CPU period.
 */
const volatile bool use_rq_clock = false;

/*
 * The saved registers of the task that blocks, for why it blocked. They sit at
 * a fixed offset from the task's stack (task_pt_regs()), so once that offset
 * is known the tp_btf twin finds them with a load and an addition, made a BTF
 * pointer by bpf_rdonly_cast() (6.2+, a kfunc the verifier turns into a
 * move), instead of calling bpf_task_pt_regs() (~60 ns here) at every
 * blocking switch. The loader says whether the kfunc exists.
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

/* Task flags used only in the kernel: the scheduler state is valid. */
#define MS_TF_ONCPU 0x200      /* exec_ns holds its sum_exec_runtime at switch-in */
#define MS_TF_OUT 0x400        /* rdelay_ns holds its run_delay at switch-out */

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

			/* worker MPM: the listener is the thread that accepts;
			 * event: the only thread that epoll_waits */
			if (role == MS_ROLE_WORKER && conn_wait) {
				role = MS_ROLE_LISTENER;
				t->role = role;
			}
			reason = offcpu_reason(t, role, regs, nr, prev, btf);
			first_waits(t, nr, conn_wait, reason);
			s->vcsw[role]++;
			t->off_ns = now;
			t->off_reason = reason;
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
	t->flags |= MS_TF_ONCPU;
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
 * says whether this kernel has it (from its BTF). Reading ctx[3] only under
 * this constant keeps the program valid on older kernels too. */
const volatile bool has_prev_state = false;

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

SEC("tp_btf/sched_waking")
int BPF_PROG(ms_waking, struct task_struct *p)
{
	on_waking(p, true);
	return 0;
}

SEC("raw_tp/sched_waking")
int BPF_PROG(ms_waking_raw, struct task_struct *p)
{
	on_waking(p, false);
	return 0;
}

/* --- connections --------------------------------------------------------------- */

static __always_inline void touch_conn(struct ms_task *t, __u64 sk, __u16 rport, struct ms_conn *c)
{
	if (!t)
		return;
	t->cur_sk = sk;
	t->cur_rport = rport;
	if (c->flags & MS_CF_SAMPLED)
		t->flags |= MS_TF_SAMPLED;
	else
		t->flags &= ~MS_TF_SAMPLED;
}

/* Bytes read by a server task: the first read after a response starts a new
 * request, and ends a keep-alive idle gap. */
/* The server's listening ports, when known at load time: a socket whose
 * local port is not one of them is the client's, dismissed for the cost of
 * one load instead of a map lookup (the client reads and writes as often
 * as the server on loopback). */
const volatile __u16 server_ports[4] = {};
const volatile __u32 nserver_ports = 0;

static __always_inline bool server_socket(struct sock *sk, bool btf)
{
	__u16 port;

	if (!nserver_ports)
		return true;
	port = RD(btf, sk, __sk_common.skc_num);
	return port == server_ports[0] || (nserver_ports > 1 && port == server_ports[1]) ||
	       (nserver_ports > 2 && port == server_ports[2]) || (nserver_ports > 3 && port == server_ports[3]);
}

static __always_inline void on_recv(struct sock *sk, int ret, bool btf)
{
	__u64 pid_tgid, key = (__u64)sk, now;
	struct ms_conn *c;
	struct ms_task *t;
	__u32 tid, trole;
	__u16 rport;
	long kthread;

	HOOKS_ONLY_RETURN();
	if (ret <= 0)
		return;
	if (!server_socket(sk, btf))
		return;
	pid_tgid = current_id(btf, &kthread);
	tid = (__u32)pid_tgid;
	/* without known ports, only a server thread's reads count (the
	 * client's stop here); with them, the port test did that already */
	if (!nserver_ports && !task_of(tid))
		return;
	rport = sk_rport(sk, btf);
	c = conn_of(key, rport);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	t = c->flags & MS_CF_SAMPLED ? task_of(tid) : NULL; /* explain only */
	trole = t ? role_of(t) : MS_ROLE__MAX;
	if (!(c->flags & MS_CF_IN_REQ)) {
		if (c->flags & MS_CF_RESP_SENT) {
			__u64 gap = now - c->last_send_ns;

			hist_add(MS_H_KA_IDLE, gap);
			hist_add(MS_H_REQ_WRITE, c->last_send_ns - c->first_send_ns);
			c->idle_sum_ns += gap;
			if (gap > c->idle_max_ns)
				c->idle_max_ns = gap;
			c->idle_count++;
		}
		c->requests++;
		c->req_start_ns = now;
		c->flags |= MS_CF_IN_REQ;
		c->flags &= ~MS_CF_RESP_SENT;
		if (c->serve_tid != tid) {
			if (c->serve_tid)
				c->handoffs++;
			c->serve_tid = tid;
			c->serve_tgid = pid_tgid >> 32;
			if (c->flags & MS_CF_SAMPLED)
				emit_step_task(MS_STEP_HANDOFF, key, 0, 0, tid, trole);
		}
	}
	c->last_recv_ns = now;
	c->rx_bytes += ret;
	touch_conn(t, key, rport, c); /* explain: its steps follow the task */
	if (c->flags & MS_CF_SAMPLED)
		emit_step_task(MS_STEP_RECV, key, ret, 0, tid, trole);
}

static __always_inline void on_send(struct sock *sk, int ret, bool btf)
{
	__u64 pid_tgid, key = (__u64)sk, now;
	struct ms_conn *c;
	struct ms_task *t;
	__u16 rport;

	HOOKS_ONLY_RETURN();
	if (ret <= 0)
		return;
	if (!server_socket(sk, btf))
		return;
	/* the writer matters only without known ports and for explain */
	pid_tgid = nserver_ports ? 0 : bpf_get_current_pid_tgid();
	if (!nserver_ports && !task_of((__u32)pid_tgid))
		return;
	rport = sk_rport(sk, btf);
	c = conn_of(key, rport);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	if ((c->flags & MS_CF_SAMPLED) && !pid_tgid)
		pid_tgid = bpf_get_current_pid_tgid();
	t = c->flags & MS_CF_SAMPLED ? task_of((__u32)pid_tgid) : NULL; /* explain only */
	if (c->flags & MS_CF_IN_REQ) {
		hist_add(MS_H_REQ_READ, c->last_recv_ns - c->req_start_ns);
		hist_add(MS_H_REQ_HANDLE, now - c->last_recv_ns);
		c->first_send_ns = now;
		c->flags &= ~MS_CF_IN_REQ;
	}
	c->flags |= MS_CF_RESP_SENT;
	c->last_send_ns = now;
	c->tx_bytes += ret;
	touch_conn(t, key, rport, c);
	if (c->flags & MS_CF_SAMPLED)
		emit_step_task(MS_STEP_SEND, key, ret, 0, (__u32)pid_tgid, t ? role_of(t) : MS_ROLE__MAX);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(ms_sock_recv, struct sock *sk, int ret, int flags)
{
	on_recv(sk, ret, true);
	return 0;
}

SEC("raw_tp/sock_recv_length")
int BPF_PROG(ms_sock_recv_raw, struct sock *sk, int ret, int flags)
{
	on_recv(sk, ret, false);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(ms_sock_send, struct sock *sk, int ret, int flags)
{
	on_send(sk, ret, true);
	return 0;
}

SEC("raw_tp/sock_send_length")
int BPF_PROG(ms_sock_send_raw, struct sock *sk, int ret, int flags)
{
	on_send(sk, ret, false);
	return 0;
}

static __always_inline void end_idle_gap(struct ms_conn *c, __u64 now)
{
	/* a connection closed while idle after a response: its last idle gap */
	if ((c->flags & MS_CF_RESP_SENT) && !(c->flags & MS_CF_IN_REQ) && now > c->last_send_ns) {
		__u64 gap = now - c->last_send_ns;

		/* kept apart from the keep-alive gaps ended by a new request: a
		 * "Connection: close" response is followed by a close within
		 * microseconds, a KeepAliveTimeout expiry after seconds */
		hist_add(MS_H_IDLE_CLOSE, gap);
		if (gap > c->idle_max_ns)
			c->idle_max_ns = gap;
	}
}

/* TCP state changes (softirq or task context): the handshake that creates a
 * server connection, who leaves ESTABLISHED first, the final close. */
static __always_inline void on_sock_state(struct sock *sk, int old, int new)
{
	__u64 key = (__u64)sk, now;
	struct ms_conn *c;
	__u16 rport;

	if (new == TCP_ESTABLISHED_ && old == TCP_SYN_RECV_) {
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		struct ms_conn nc = {};

		if (!bpf_map_lookup_elem(&listen_ports, &lport))
			return;
		rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		nc.established_ns = bpf_ktime_get_ns();
		nc.lport = lport;
		nc.rport = rport;
		if (bpf_map_lookup_elem(&sample_ports, &rport))
			nc.flags = MS_CF_SAMPLED;
		conn_add(key, rport, &nc);
		if (nc.flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_ESTABLISHED, key, 0, 0);
		return;
	}
	rport = sk_rport(sk, false);
	c = conn_of(key, rport);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	if (old == TCP_ESTABLISHED_ && new == TCP_FIN_WAIT1_) {
		end_idle_gap(c, now);
		c->flags |= MS_CF_SERVER_FIN;
		c->fin_ns = now;
		if (c->flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_SERVER_FIN, key, 0, 0);
	} else if (old == TCP_ESTABLISHED_ && new == TCP_CLOSE_WAIT_) {
		end_idle_gap(c, now);
		c->flags |= MS_CF_CLIENT_FIN;
		c->fin_ns = now;
		if (c->flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_CLIENT_FIN, key, 0, 0);
	} else if (new == TCP_CLOSE_) {
		struct ms_event *ev;

		if (old == TCP_ESTABLISHED_)
			end_idle_gap(c, now);
		if (!(c->flags & MS_CF_ACCEPTED))
			count(MS_C_CONN_UNACCEPTED);
		if ((c->flags & MS_CF_SERVER_FIN) && c->fin_ns)
			hist_add(MS_H_LINGER, now - c->fin_ns);
		if (c->flags & MS_CF_SAMPLED)
			emit_step(MS_STEP_CLOSE, key, 0, 0);
		ev = event_reserve(MS_EV_CONN_END, bpf_get_current_pid_tgid());
		if (ev) {
			ev->conn_end.sk = key;
			ev->conn_end.c = *c;
			ev->ts = now;
			event_submit(ev, false);
		}
		conn_del(key, rport);
	}
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ms_sock_state, struct sock *sk, int old, int new)
{
	on_sock_state(sk, old, new);
	return 0;
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(ms_sock_state_raw, struct sock *sk, int old, int new)
{
	on_sock_state(sk, old, new);
	return 0;
}

static __always_inline void on_reset(struct sock *sk, __u32 flag, __u32 step)
{
	__u64 key = (__u64)sk;
	struct ms_conn *c;

	if (!sk)
		return;
	c = conn_of(key, sk_rport(sk, false));
	if (!c)
		return;
	c->flags |= flag;
	if (c->flags & MS_CF_SAMPLED)
		emit_step(step, key, 0, 0);
}

/* A SYN-ACK sent again: the handshake's last ACK did not make it, or the
 * accept queue was full and the kernel dropped it (listen overflow). */
static __always_inline void on_synack_retrans(struct sock *sk)
{
	__u16 lport;

	if (!sk)
		return;
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (bpf_map_lookup_elem(&listen_ports, &lport))
		count(MS_C_SYNACK_RETRANS);
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(ms_synack, struct sock *sk)
{
	on_synack_retrans(sk);
	return 0;
}

SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(ms_synack_raw, struct sock *sk)
{
	on_synack_retrans(sk);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(ms_rst_sent, struct sock *sk)
{
	on_reset(sk, MS_CF_RST_SENT, MS_STEP_RST_SENT);
	return 0;
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(ms_rst_sent_raw, struct sock *sk)
{
	on_reset(sk, MS_CF_RST_SENT, MS_STEP_RST_SENT);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(ms_rst_recv, struct sock *sk)
{
	on_reset(sk, MS_CF_RST_RECV, MS_STEP_RST_RECV);
	return 0;
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(ms_rst_recv_raw, struct sock *sk)
{
	on_reset(sk, MS_CF_RST_RECV, MS_STEP_RST_RECV);
	return 0;
}

