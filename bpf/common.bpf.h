/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
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
 *
 * The programs are split by what they follow (tasks.bpf.c, syscalls.bpf.c,
 * sched.bpf.c, sockets.bpf.c), each compiled on its own and linked by
 * `bpftool gen object` (libbpf's static linker) into one object, with one
 * skeleton. This header is what they share: the type of every map with an
 * extern declaration of it, the extern declarations of the load-time knobs,
 * and the helpers more than one of them calls; maps.bpf.c holds the one
 * definition of each map and knob. The linker resolves an extern only
 * against a definition that agrees with it: a map's extern and its
 * definition are the one typedef below (type, key, value and max_entries
 * must all match; the loader may still resize before load), and a knob's
 * extern repeats its definition's type, const volatile included: the
 * linker ignores the qualifiers, but they keep clang loading the knob at
 * every use, as it did when knobs and programs were one file (the verifier
 * knows the frozen .rodata and drops the branch not taken).
 */
#ifndef MPMSCOPE_COMMON_BPF_H
#define MPMSCOPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "core_fixes.bpf.h"
#include "mpmscope.h"

/* ==== maps (defined in maps.bpf.c) ========================================== */

/* A map's type, for its extern here and its one definition in maps.bpf.c
 * (libbpf's linker wants the two to match). */
#define MAP(kind, entries, k, v)               \
	struct {                               \
		__uint(type, kind);            \
		__uint(max_entries, entries);  \
		__type(key, k);                \
		__type(value, v);              \
	}

typedef MAP(BPF_MAP_TYPE_HASH, MS_MAX_TRACKED, __u32, struct ms_proc) tracked_map_t;
extern tracked_map_t tracked SEC(".maps");

typedef MAP(BPF_MAP_TYPE_PERCPU_ARRAY, MS_C__MAX, __u32, __u64) counters_map_t;
extern counters_map_t counters SEC(".maps");

typedef MAP(BPF_MAP_TYPE_PERCPU_ARRAY, MS_ERRNO_SLOTS, __u32, __u64) accept_errno_map_t;
extern accept_errno_map_t accept_errno SEC(".maps");

typedef MAP(BPF_MAP_TYPE_PERCPU_ARRAY, MS_ERRNO_SLOTS, __u32, __u64) create_errno_map_t;
extern create_errno_map_t create_errno SEC(".maps");

/* The server's threads: their state in slots of an array, and the slot of
 * each tid (see MS_TASK_SLOTS). */
typedef MAP(BPF_MAP_TYPE_ARRAY, MS_TASK_SLOTS, __u32, struct ms_task) task_tab_map_t;
extern task_tab_map_t task_tab SEC(".maps");

typedef MAP(BPF_MAP_TYPE_HASH, 4096, __u32, struct ms_spawn_call) spawn_calls_map_t;
extern spawn_calls_map_t spawn_calls SEC(".maps");

typedef MAP(BPF_MAP_TYPE_PERCPU_ARRAY, MS_H__MAX, __u32, struct ms_hist) hists_map_t;
extern hists_map_t hists SEC(".maps");

typedef MAP(BPF_MAP_TYPE_PERCPU_ARRAY, 1, __u32, struct ms_sched) sched_map_t;
extern sched_map_t sched SEC(".maps");

/*
 * Connections of the server. The socket and request programs run for every
 * read and write on the machine, so a connection is found with one inlined
 * array lookup: its slot is its client port (unique among the connections
 * of one client address to one server port, which is all a loopback run
 * has). A slot names its socket; a second connection with the same client
 * port (another client address, another server port) spills into `conns`,
 * a hash keyed by the socket address, and the slot counts its spills so
 * that the common miss costs no hash lookup. (struct ms_conn_slot is in
 * mpmscope.h: user space reads the slots too.)
 */
typedef MAP(BPF_MAP_TYPE_ARRAY, 65536, __u32, struct ms_conn_slot) conn_tab_map_t;
extern conn_tab_map_t conn_tab SEC(".maps");

/* LRU: an entry whose close was never seen (a missed tracepoint) cannot fill the map. */
typedef MAP(BPF_MAP_TYPE_LRU_HASH, 8192, __u64, struct ms_conn) conns_map_t;
extern conns_map_t conns SEC(".maps");

/* The server's listening ports (host order): which handshakes are ours. */
typedef MAP(BPF_MAP_TYPE_HASH, 64, __u16, __u8) listen_ports_map_t;
extern listen_ports_map_t listen_ports SEC(".maps");

/* explain: client ports whose connections are recorded step by step. */
typedef MAP(BPF_MAP_TYPE_HASH, 64, __u16, __u8) sample_ports_map_t;
extern sample_ports_map_t sample_ports SEC(".maps");

typedef struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MS_RINGBUF_BYTES);
} events_map_t;
extern events_map_t events SEC(".maps");

/* The slot in task_tab of every possible tid, 0 for tasks that are not the
 * server's (sized to the kernel's pid_max by the loader). Array lookups are
 * inlined by the verifier into a bounds check and a load: the many context
 * switches and wake-ups of other tasks are dismissed for a few
 * instructions, and the server's own found without a hash (a helper call
 * costs ~100 ns where returns are mitigated against speculation). Its size
 * is PID_MAX_LIMIT; the loader shrinks it to pid_max. */
typedef MAP(BPF_MAP_TYPE_ARRAY, 4194304, __u32, __u16) task_slot_map_t;
extern task_slot_map_t task_slot SEC(".maps");

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

typedef MAP(BPF_MAP_TYPE_PERCPU_ARRAY, 1, __u32, struct ms_oncpu) oncpu_map_t;
extern oncpu_map_t oncpu SEC(".maps");

/* In-flight wait4 of a server task (the parent reaping its children), by tid. */
typedef MAP(BPF_MAP_TYPE_HASH, 1024, __u32, __u64) reap_calls_map_t;
extern reap_calls_map_t reap_calls SEC(".maps");

/* The listening ports of the server, one per server_ports[] slot (inlined
 * array lookups for the SYN watcher): what was seen on each, and its
 * socket (struct sock address, 0 unknown) in listen_sk[slot]. The iterator
 * writes what it finds into listen_sk[4 + slot] (user space clears those
 * first), then user space moves the result into place: a listener that is
 * gone stops being watched, and the watched one never reads as unknown
 * while a scan runs. */
typedef MAP(BPF_MAP_TYPE_ARRAY, 4, __u32, struct ms_listener) listeners_map_t;
extern listeners_map_t listeners SEC(".maps");
typedef MAP(BPF_MAP_TYPE_ARRAY, 8, __u32, __u64) listen_sk_map_t;
extern listen_sk_map_t listen_sk SEC(".maps");

/* Clients whose handshake was dropped on a full accept queue, until they get
 * in (the entry moves into their connection) or user space reaps them. */
typedef MAP(BPF_MAP_TYPE_LRU_HASH, 4096, struct ms_client, struct ms_syn_wait) syn_wait_map_t;
extern syn_wait_map_t syn_wait SEC(".maps");

/* Server tasks blocked now, by why: [0] the kernel's, [1] user space's seed. */
typedef MAP(BPF_MAP_TYPE_ARRAY, 2, __u32, struct ms_gauge) gauge_map_t;
extern gauge_map_t gauge SEC(".maps");

/* ==== load-time knobs (.rodata, defined in maps.bpf.c, set by the loader) ==== */

/* Wake the consumer only once this much is queued (or on rare events): a
 * wake-up per record would cost more than the record. */
extern const volatile __u64 wakeup_bytes;
/* The MPM under study (enum mpm in user space: 0 prefork, 1 worker, 2 event):
 * roles depend on it. */
extern const volatile __u32 targ_mpm;
#define TARG_PREFORK 0
/* bpf_rdonly_cast() exists on this kernel (see CAST below) */
extern const volatile bool has_rdonly_cast;
/* sched_switch keeps the per-CPU record of who runs (struct ms_oncpu) */
extern const volatile bool fast_current;
/* times on the scheduler's clock, from its own accounting (sched.bpf.c) */
extern const volatile bool use_rq_clock;
/* sched_switch has its 4th argument, prev_state (sched.bpf.c) */
extern const volatile bool has_prev_state;
/* the server's listening ports, when known at load time (sockets.bpf.c) */
extern const volatile __u16 server_ports[4];
extern const volatile __u32 nserver_ports;
/* watch incoming SYNs for drops on a full accept queue (sockets.bpf.c):
 * only where packet headers can be read by direct loads (has_rdonly_cast) */
extern const volatile bool watch_syns;
/* listeners whose accept queue is at least half full, a bit per
 * server_ports[] slot (.bss, maps.bpf.c): set where the queue is seen to
 * grow (a connection established into it, the iterator's scan, a SYN-ACK
 * sent again on a full queue), cleared by the SYN watcher when a packet to
 * that port finds it under a quarter full. User space attaches the watcher
 * while a bit is set (trace/listen.c). */
extern __u32 listen_hot;

/* ==== helpers ================================================================ */

/* Task flags used only in the kernel (the others are in mpmscope.h), all
 * here so that their bits stay apart. */
#define MS_TF_SAMPLED 0x100    /* it last touched a sampled connection (explain) */
/* the scheduler state is valid (sched.bpf.c): */
#define MS_TF_ONCPU 0x200      /* exec_ns holds its sum_exec_runtime at switch-in */
#define MS_TF_OUT 0x400        /* rdelay_ns holds its run_delay at switch-out */

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

/* tp_btf programs get BTF-typed pointers they may dereference directly (a
 * CO-RE-relocated load); raw_tp ones must go through bpf_probe_read. The
 * handlers take `btf` as a constant, so each twin keeps only its own way. */
#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

/*
 * A program on tracepoint TP in its two forms, NAME (tp_btf, the default) and
 * NAME_raw (raw_tp: the loader keeps one of the two, see trace/tracer.c),
 * both making the same CALL, in which `btf` says which twin it is (a
 * constant: each twin keeps only its own way of reading, see RD). The rest
 * are the tracepoint's arguments, as BPF_PROG takes them.
 */
#define TWIN(name, tp, call, ...)                                              \
	SEC("tp_btf/" #tp)                                                     \
	int BPF_PROG(name, __VA_ARGS__)                                        \
	{                                                                      \
		const bool btf __attribute__((unused)) = true;                 \
		call;                                                          \
		return 0;                                                      \
	}                                                                      \
	SEC("raw_tp/" #tp)                                                     \
	int BPF_PROG(name##_raw, __VA_ARGS__)                                  \
	{                                                                      \
		const bool btf __attribute__((unused)) = false;                \
		call;                                                          \
		return 0;                                                      \
	}

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
 * the load-time constant has_rdonly_cast: kernels without it load the other
 * path. */
/* One kfunc declared in two objects is more than libbpf's linker can take
 * before 1.5 (its commit "Do not resolve size on duplicate FUNCs"; Debian 12
 * has 1.1): the first unit of BPF_UNITS that calls it declares it in .ksyms
 * (MS_KFUNC_HOME, listen.bpf.c, whose SYN watcher calls it in every build,
 * bench/overhead's hooks-only one included), the later ones as a plain
 * extern, which the linker resolves to that one. */
#ifdef MS_KFUNC_HOME
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;
#else
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __weak;
#endif
#define CAST(ptr, type) ((type *)bpf_rdonly_cast((void *)(ptr), bpf_core_type_id_kernel(type)))

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

/* Task t now works on connection sk: explain's steps follow it. */
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

static __always_inline __u16 sk_rport(struct sock *sk, bool btf)
{
	return __builtin_bswap16(RD(btf, sk, __sk_common.skc_dport));
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

/* A backend's role (php-fpm, the upstream): not one of Apache's tasks. */
static __always_inline bool backend_role(__u32 role)
{
	return role == MS_ROLE_FPM_MASTER || role == MS_ROLE_FPM_WORKER || role == MS_ROLE_BACKEND;
}

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
	ev->flags = 0;
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

/* The listener of port slot i (listen_sk, found by the iterator) and its
 * counters in *l: 0 when slot i has none yet. */
static __always_inline __u64 listener_at(__u32 i, struct ms_listener **l)
{
	__u64 *skp;

	if (i >= 4)
		return 0;
	*l = bpf_map_lookup_elem(&listeners, &i);
	skp = bpf_map_lookup_elem(&listen_sk, &i);
	return *l && skp ? *skp : 0;
}

/* The accept queue of the listener in port slot i holds queue connections
 * of backlog: at half of it, the SYN watcher is wanted (a ring-buffer record
 * wakes user space at once, so that it is attached before the queue is
 * full). */
static __always_inline void listen_hot_set(__u32 i, __u32 queue, __u32 backlog)
{
	struct ms_event *ev;

	if (!watch_syns || i >= 4 || queue < backlog / 2 || (listen_hot & (1u << i)))
		return;
	if (__sync_fetch_and_or(&listen_hot, 1u << i) & (1u << i))
		return; /* another CPU was first */
	ev = event_reserve(MS_EV_LISTEN_HOT, bpf_get_current_pid_tgid());
	if (!ev)
		return;
	__builtin_memset(&ev->conn, 0, sizeof(ev->conn));
	ev->conn.fd = -1;
	ev->conn.lport = server_ports[i & 3];
	event_submit(ev, true);
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

/* The slot of port in server_ports[] (and in `listeners`), or 4 when it is
 * not one of them: constant compares, no map lookup. */
static __always_inline __u32 port_index(__u16 port)
{
	if (nserver_ports > 0 && port == server_ports[0])
		return 0;
	if (nserver_ports > 1 && port == server_ports[1])
		return 1;
	if (nserver_ports > 2 && port == server_ports[2])
		return 2;
	if (nserver_ports > 3 && port == server_ports[3])
		return 3;
	return 4;
}

/* The client's side of a connection or request socket (its sock_common),
 * for the handshake's identity: IPv6, or IPv4 as ::ffff:a.b.c.d (an IPv4
 * client of a dual-stack listener has both; the v4 form is taken when the
 * v6 one is unset). */
static __always_inline void client_of(const struct sock_common *skc, struct ms_client *k, bool btf)
{
	k->addr[0] = k->addr[1] = k->addr[2] = k->addr[3] = 0;
	if (RD(btf, skc, skc_family) == 10 /* AF_INET6 */) {
		if (btf) {
			k->addr[0] = skc->skc_v6_daddr.in6_u.u6_addr32[0];
			k->addr[1] = skc->skc_v6_daddr.in6_u.u6_addr32[1];
			k->addr[2] = skc->skc_v6_daddr.in6_u.u6_addr32[2];
			k->addr[3] = skc->skc_v6_daddr.in6_u.u6_addr32[3];
		} else {
			BPF_CORE_READ_INTO(&k->addr, skc, skc_v6_daddr.in6_u.u6_addr32);
		}
	}
	if (!(k->addr[0] | k->addr[1] | k->addr[2] | k->addr[3])) {
		k->addr[2] = __builtin_bswap32(0xffff);
		k->addr[3] = RD(btf, skc, skc_daddr);
	}
	k->rport = __builtin_bswap16(RD(btf, skc, skc_dport));
	k->lport = RD(btf, skc, skc_num);
}

/* Server tasks blocked now for reason, from the gauge's two halves. */
static __always_inline __u16 gauge_of(struct ms_gauge *a, struct ms_gauge *b, __u32 reason)
{
	__s32 n = a->blocked[reason] + b->blocked[reason];

	return n > 0 ? (__u16)n : 0;
}

/* Server tasks free to take a new connection now, from the gauge: prefork's
 * children waiting in accept (or for the accept mutex), worker's and
 * event's idle workers; with busy, what the others are blocked in. */
static __always_inline __u16 free_tasks(struct ms_busy *busy)
{
	__u32 k0 = 0, k1 = 1;
	struct ms_gauge *a = bpf_map_lookup_elem(&gauge, &k0), *b = bpf_map_lookup_elem(&gauge, &k1);
	__u16 n;

	if (!a || !b)
		return 0;
	if (targ_mpm == TARG_PREFORK)
		n = gauge_of(a, b, MS_OFF_WAIT_CONN) + gauge_of(a, b, MS_OFF_ACCEPT_MUTEX);
	else
		n = gauge_of(a, b, MS_OFF_IDLE_WORKER);
	if (busy) {
		busy->free = n;
		busy->keepalive = gauge_of(a, b, MS_OFF_KEEPALIVE);
		busy->reading = gauge_of(a, b, MS_OFF_READ_REQ);
		busy->writing = gauge_of(a, b, MS_OFF_WRITE_RESP);
		busy->lingering = gauge_of(a, b, MS_OFF_LINGER);
		busy->other = gauge_of(a, b, MS_OFF_OTHER);
		busy->backend = gauge_of(a, b, MS_OFF_BACKEND);
	}
	return n;
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

#endif
