// SPDX-License-Identifier: MIT
#include "trace/tracer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/procfs.h"
#include "mpmscope.skel.h"
#include "trace/btf.h"
#include "trace/internal.h"


/* libbpf's own messages are kept, not printed: the last warning becomes the
 * detail of our one-line error, and --verbose prints them all, whole. When
 * the verifier rejects a program, its last word (the reason) is kept apart:
 * it says more than libbpf's closing "failed to load" lines. */
static bool libbpf_verbose;
static char libbpf_last[256];
static char libbpf_verifier[256];

static void keep_verifier_reason(const char *msg)
{
	const char *prog = strstr(msg, "prog '"), *end = strstr(msg, "-- END PROG LOAD LOG --");
	const char *l, *reason = NULL;
	int plen = 0;

	if (!end)
		return;
	if (prog) {
		const char *q = strchr(prog + 6, '\'');

		plen = q ? (int)(q - prog - 6) : 0;
	}
	/* the reason is the last line before the statistics ("processed N insns...") */
	for (l = msg; l && l < end; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (l == msg /* "prog 'x': -- BEGIN PROG LOAD LOG --" */ || l[0] == '\n' ||
		    !strncmp(l, "processed ", 10) || !strncmp(l, "verification time", 17) ||
		    !strncmp(l, "stack depth", 11))
			continue;
		reason = l;
	}
	if (reason)
		snprintf(libbpf_verifier, sizeof(libbpf_verifier), "program %.*s rejected by the verifier: %.*s",
			 plen, prog ? prog + 6 : "", (int)(strchrnul(reason, '\n') - reason), reason);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	size_t n;

	if (level == LIBBPF_DEBUG && !libbpf_verbose)
		return 0;
	if (vasprintf(&msg, fmt, ap) < 0)
		return 0;
	if (libbpf_verbose)
		fprintf(stderr, "libbpf: %s", msg);
	if (level != LIBBPF_DEBUG) {
		keep_verifier_reason(msg);
		n = strcspn(msg, "\n");
		while (n && msg[n - 1] == ' ')
			n--;
		if (n)
			snprintf(libbpf_last, sizeof(libbpf_last), "%.*s", (int)n, msg);
	}
	free(msg);
	return 0;
}

/* CAP_BPF is 39, CAP_PERFMON 38, CAP_SYS_ADMIN 21 (kernel >= 5.8 splits BPF
 * rights out of CAP_SYS_ADMIN; either set is enough to load and attach). */
static int check_caps(struct errbuf *e)
{
	unsigned long long eff = 0;

	if (procfs_capeff(&eff))
		return 0; /* cannot tell: let the kernel decide */
	if ((eff & (1ULL << 21)) || ((eff & (1ULL << 39)) && (eff & (1ULL << 38))))
		return 0;
	err_set(e, "tracing needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run as root");
	return -1;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;

	if (len < sizeof(struct ms_event))
		return 0;
	t->nrecords++;
	if (((const struct ms_event *)data)->type == MS_EV_LISTEN_HOT) {
		syn_watch_follow(t); /* the tracer's own: nobody else sees it */
		return 0;
	}
	if (t->on_event)
		t->on_event(t->on_event_ctx, data);
	if (!t->discard_events)
		memcpy(vec_push(((const struct ms_event *)data)->flags & MS_EVF_BACKEND ? &t->bevents : &t->events), data,
		       sizeof(struct ms_event));
	return 0;
}

static void *drain_thread(void *arg)
{
	struct tracer *t = arg;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		int r = ring_buffer__poll(t->rb, 100);

		/* the listeners are looked for again: a server restarted in
		 * full has new sockets (a graceful restart keeps its own) */
		if (t->listen_iter && now_ns() - __atomic_load_n(&t->last_scan, __ATOMIC_RELAXED) >= LISTEN_SCAN_NS)
			listen_scan(t);
		syn_watch_follow(t);

		/* The programs wake us only past a threshold: what stays below it
		 * is collected here, so records are at most 100 ms late. */
		if (r == 0)
			r = ring_buffer__consume(t->rb);
		if (r < 0 && r != -EINTR)
			break;
	}
	return NULL;
}

/* Tracepoints that not every kernel has (sock_*_length: 6.3+). Their
 * programs are left out when the kernel's BTF does not know them; the
 * figures they give are then reported as unavailable, never as zero. */
static const char *const optional_tps[] = { "sock_recv_length", "sock_send_length" };

/* Whether the scheduler's own clock and accounting can replace
 * bpf_ktime_get_ns() in the hot programs (see use_rq_clock in the BPF
 * program): the fields must exist (CONFIG_FAIR_GROUP_SCHED gives
 * se.cfs_rq->rq, CONFIG_SCHED_INFO sched_info), and sched_info must count:
 * this process has been scheduled, so its pcount is not 0.
 * MPMSCOPE_KTIME_ONLY=1 forces the other way (tests compare the two). */
static bool sched_clock_usable(struct btf *vmlinux)
{
	unsigned long long exec = 0, delay = 0, pcount = 0;
	const char *env = getenv("MPMSCOPE_KTIME_ONLY");
	FILE *f;

	if ((env && *env && strcmp(env, "0")) || !vmlinux)
		return false;
	if (!kbtf_has_member(vmlinux, "sched_entity", "cfs_rq") || !kbtf_has_member(vmlinux, "cfs_rq", "rq") ||
	    !kbtf_has_member(vmlinux, "rq", "clock") || !kbtf_has_member(vmlinux, "sched_info", "last_queued") ||
	    !kbtf_has_member(vmlinux, "sched_info", "run_delay") ||
	    !kbtf_has_member(vmlinux, "sched_entity", "sum_exec_runtime"))
		return false;
	f = fopen("/proc/self/schedstat", "r");
	if (!f)
		return false;
	if (fscanf(f, "%llu %llu %llu", &exec, &delay, &pcount) != 3)
		pcount = 0;
	fclose(f);
	return pcount > 0;
}

/* Whether the verifier turns a lookup in a per-CPU array into inline
 * instructions (6.10+ where the JIT has per-CPU moves): load a probe that
 * makes one, and look for a call in what the kernel kept of it. Only then
 * does sched_switch keep the per-CPU record of who runs (see oncpu in the
 * BPF program); otherwise keeping it would cost a helper call per switch. */
static bool percpu_lookup_inlined(void)
{
	struct bpf_insn x[16] = {}, insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .off = -4 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD },
		{ 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool inlined = false;
	int map, prog;

	map = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, sizeof(__u32), sizeof(__u64), 1, NULL);
	if (map < 0)
		return false;
	insns[3].imm = map;
	prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", insns, ARRAY_SIZE(insns), NULL);
	if (prog >= 0) {
		info.xlated_prog_len = sizeof(x);
		info.xlated_prog_insns = (__u64)(unsigned long)x;
		if (!bpf_obj_get_info_by_fd(prog, &info, &len) && info.xlated_prog_len) {
			inlined = true;
			for (__u32 i = 0; i < info.xlated_prog_len / sizeof(x[0]) && i < ARRAY_SIZE(x); i++)
				if (x[i].code == (BPF_JMP | BPF_CALL))
					inlined = false;
		}
		close(prog);
	}
	close(map);
	return inlined;
}

/* Each program has a tp_btf twin and a raw_tp twin (name ending in _raw):
 * load one of the two, and neither when the tracepoint does not exist. */
static void choose_programs(struct tracer *t, struct mpmscope_bpf *s, bool raw, const struct tracer_opts *o)
{
	struct btf *vmlinux = kbtf_load(o->btf_path);
	struct bpf_program *p;

	t->nprogs = 0;
	t->missing[0] = 0;
	t->syn_watch = t->listen_iter = false;
	bpf_object__for_each_program(p, s->obj) {
		const char *name = bpf_program__name(p);
		const char *sec = bpf_program__section_name(p);
		const char *tp = strchr(sec, '/');
		size_t n = strlen(name);
		bool is_raw = n > 4 && !strcmp(name + n - 4, "_raw");
		bool load = is_raw == raw;

		/* the syscalls: one of four sets (bpf/syscalls.bpf.c) */
		if (!strncmp(name, "ms_fx_", 6))
			load = t->sc_mode == SCP_FEXIT;
		else if (!strncmp(name, "ms_kp_", 6))
			load = t->sc_mode == SCP_KPROBE;
		else if (!strncmp(name, "ms_sc_", 6))
			load = t->sc_mode == SCP_TRACEPOINT;
		else if (!strncmp(name, "ms_sys_", 7))
			load = load && t->sc_mode == SCP_GENERIC;

		/* the listen queue's programs: the SYN watcher reads packet
		 * headers by direct loads (bpf_rdonly_cast, 6.2+), the iterator
		 * needs iter/tcp (5.9+); both only with the ports known */
		if (!strcmp(name, "ms_syn_watch")) {
			load = load && o->nports > 0 && kbtf_func_id(vmlinux, "bpf_rdonly_cast") > 0;
			bpf_program__set_autoattach(p, false); /* by syn_watch_follow(), while wanted */
		}
		if (!strncmp(sec, "iter/", 5)) {
			load = o->nports > 0 && kbtf_has_struct(vmlinux, "bpf_iter__tcp");
			t->listen_iter = load;
			bpf_program__set_autoattach(p, false); /* run by scan_listeners() */
		}
		t->syn_watch |= load && !strcmp(name, "ms_syn_watch");
		tp = tp ? tp + 1 : sec;
		for (size_t i = 0; i < ARRAY_SIZE(optional_tps); i++)
			if (!strcmp(tp, optional_tps[i]) && !kbtf_has_tracepoint(vmlinux, tp)) {
				if (load && strlen(t->missing) + strlen(tp) + 2 < sizeof(t->missing)) {
					strcat(t->missing, t->missing[0] ? "," : "");
					strcat(t->missing, tp);
				}
				load = false;
			}
		bpf_program__set_autoload(p, load);
		t->nprogs += load;
	}
	t->rq_clock = sched_clock_usable(vmlinux);
	t->rdonly_cast = kbtf_func_id(vmlinux, "bpf_rdonly_cast") > 0;
	t->fast_current = !raw && percpu_lookup_inlined();
	/* sched_switch(preempt, prev, next[, prev_state]): 5.18 added the 4th */
	t->has_prev_state = kbtf_tp_nargs(vmlinux, "sched_switch") >= 4;
	btf__free(vmlinux);
}

static struct mpmscope_bpf *open_load(struct tracer *t, const struct tracer_opts *o, bool raw, struct errbuf *e)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct mpmscope_bpf *s;
	int err;

	s = mpmscope_bpf__open_opts(&oo);
	if (!s) {
		err_set(e, "cannot open the BPF object: %s", libbpf_last[0] ? libbpf_last : strerror(errno));
		return NULL;
	}
	choose_programs(t, s, raw, o);
	libbpf_verifier[0] = 0;
	s->rodata->targ_mpm = (__u32)o->mpm;
	{
		/* task_slot: a slot number per possible tid */
		long long pid_max = procfs_number("/proc/sys/kernel/pid_max", 0);

		if (pid_max >= 1024 && pid_max <= 4194304)
			bpf_map__set_max_entries(s->maps.task_slot, (__u32)pid_max);
	}
	s->rodata->has_prev_state = t->has_prev_state;
	s->rodata->use_rq_clock = t->rq_clock;
	s->rodata->has_rdonly_cast = t->rdonly_cast;
	s->rodata->fast_current = t->fast_current;
	if (o->nports > 0 && o->nports <= 4) {
		for (int i = 0; i < o->nports; i++)
			s->rodata->server_ports[i] = o->ports[i];
		s->rodata->nserver_ports = (__u32)o->nports;
		t->nports = o->nports;
	}
	s->rodata->watch_syns = t->syn_watch;
	{
		/* MPMSCOPE_RINGBUF_BYTES: a smaller ring buffer, to prove that
		 * drops are counted and reported (tests); a power of two and a
		 * multiple of the page size, as the kernel requires. */
		const char *env = getenv("MPMSCOPE_RINGBUF_BYTES");
		unsigned long long n = env ? strtoull(env, NULL, 0) : 0;
		long page = sysconf(_SC_PAGESIZE);

		if (n) {
			if (n < (unsigned long long)page || (n & (n - 1)) || n > (1ULL << 30)) {
				err_set(e, "MPMSCOPE_RINGBUF_BYTES=%s: must be a power of two between the page size and 1 GiB",
					env);
				mpmscope_bpf__destroy(s);
				return NULL;
			}
			bpf_map__set_max_entries(s->maps.events, (__u32)n);
			s->rodata->wakeup_bytes = n / 4 < s->rodata->wakeup_bytes ? n / 4 : s->rodata->wakeup_bytes;
		}
	}
	err = mpmscope_bpf__load(s);
	if (err) {
		err_set(e, "cannot load the BPF programs (%s): %s", raw ? "raw_tp" : "tp_btf",
			libbpf_verifier[0] ? libbpf_verifier : libbpf_last[0] ? libbpf_last : strerror(-err));
		mpmscope_bpf__destroy(s);
		return NULL;
	}
	return s;
}

int tracer_preflight(const struct tracer_opts *o, struct errbuf *e)
{
	struct stat st;
	const char *btf = o->btf_path ? o->btf_path : "/sys/kernel/btf/vmlinux";

	if (check_caps(e))
		return -1;
	if (o->syscall_probes == SCP_FEXIT || o->syscall_probes == SCP_KPROBE) {
		/* a way forced that this kernel does not offer: said before any work */
		char why[256];

		if (!scp_offered(NULL, o, o->syscall_probes, why, sizeof(why))) {
			err_set(e, "--syscall-probes %s: %s", scp_names[o->syscall_probes], why);
			return -1;
		}
	}
	if (stat(btf, &st) < 0) {
		if (o->btf_path)
			err_set(e, "BTF file %s: %s", btf, strerror(errno));
		else
			err_set(e, "this kernel has no BTF (%s missing): it needs CONFIG_DEBUG_INFO_BTF=y, "
				   "or pass --btf PATH", btf);
		return -1;
	}
	return 0;
}

/* Open, load and attach the object for the syscall way in m (tp_btf,
 * falling back to raw_tp). 0 or -1 with e set. */
static int load_attach_mode(struct tracer *t, const struct tracer_opts *o, int m, struct errbuf *e)
{
	int err;

	t->sc_mode = m;
	t->raw_tp = o->raw_tp;
	t->skel = open_load(t, o, t->raw_tp, e);
	if (!t->skel && !t->raw_tp) {
		/* tp_btf needs BTF-typed tracepoints (5.5+): fall back to raw_tp. */
		struct errbuf e2;

		t->raw_tp = true;
		t->skel = open_load(t, o, true, &e2);
	}
	if (!t->skel)
		return -1;
	t->obj = t->skel->obj;
	t->listen_hot = t->skel->bss ? &t->skel->bss->listen_hot : NULL;
	err = mpmscope_bpf__attach(t->skel);
	if (t->tracefs_mounted) {
		umount2(MS_TRACEFS, MNT_DETACH);
		t->tracefs_mounted = false;
	}
	if (err) {
		err_set(e, "cannot attach the BPF programs: %s", libbpf_last[0] ? libbpf_last : strerror(-err));
		mpmscope_bpf__destroy(t->skel);
		t->skel = NULL;
		t->obj = NULL;
		t->listen_hot = NULL;
		return -1;
	}
	return 0;
}

/* The cheapest way in the kernel accepts (load and attach, not its version),
 * or the one forced; each refused one is said in t->sc_refused. */
static int open_syscall_probes(struct tracer *t, const struct tracer_opts *o, struct errbuf *e)
{
	int forced = o->syscall_probes;

	t->sc_refused[0] = 0;
	int first = o->syscall_from > SCP_AUTO ? o->syscall_from : SCP_FEXIT;

	for (int m = forced ? forced : first; m < SCP__MAX; m++) {
		char why[256] = "";
		size_t used = strlen(t->sc_refused);
		bool offered;

		if (!forced && m == SCP_KPROBE) {
			/* a kretprobe has maxactive instances (10 with 2 CPUs, and the
			 * perf kprobe PMU cannot raise it): with more tasks blocked in
			 * accept, returns are lost (951 of 1000 accepts, prefork in the
			 * 6.1 guest). Taken only when asked for. */
			snprintf(t->sc_refused + used, sizeof(t->sc_refused) - used,
				 "%skprobe: only when forced (kretprobes lose returns when more tasks wait in accept "
				 "than their maxactive)", used ? "; " : "");
			continue;
		}
		offered = scp_offered(t, o, m, why, sizeof(why));

		if (offered && !load_attach_mode(t, o, m, e))
			return 0;
		if (forced || m == SCP_GENERIC) {
			if (!offered)
				err_set(e, "--syscall-probes %s: %s", scp_names[m], why);
			return -1;
		}
		snprintf(t->sc_refused + used, sizeof(t->sc_refused) - used, "%s%s: %.200s", used ? "; " : "",
			 scp_names[m], offered ? e->msg : why);
	}
	return -1;
}

int tracer_open(struct tracer **out, const struct tracer_opts *o, struct errbuf *e)
{
	struct tracer *t;

	libbpf_verbose = o->verbose;
	libbpf_set_print(libbpf_print);
	if (tracer_preflight(o, e))
		return -1;

	t = xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->listen_lock, NULL);
	vec_init(&t->events, sizeof(struct ms_event));
	vec_init(&t->bevents, sizeof(struct ms_event));
	t->raw_tp = o->raw_tp;
	t->on_event = o->on_event;
	t->on_event_ctx = o->on_event_ctx;
	t->discard_events = o->discard_events;
	if (open_syscall_probes(t, o, e))
		goto fail;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, t, NULL);
	if (!t->rb) {
		err_set(e, "cannot open the BPF ring buffer: %s", strerror(errno));
		goto fail;
	}
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		err_set(e, "cannot count the possible CPUs");
		goto fail;
	}
	if (pthread_create(&t->thread, NULL, drain_thread, t)) {
		err_set(e, "cannot start the ring-buffer thread");
		goto fail;
	}
	t->thread_running = true;
	*out = t;
	return 0;
fail:
	tracer_close(t);
	return -1;
}

/* Give tid a task slot from user space's part of the table (the kernel fills
 * the rest, so the two never claim one slot). keep: a task the kernel already
 * follows keeps its state. */
static int seed_task(struct tracer *t, pid_t tid, int role, int blocked, bool keep, struct errbuf *e)
{
	struct ms_task task = { .role = (__u32)role, .tid = (__u32)tid };

	if (blocked >= 0 && blocked < MS_OFF__MAX) {
		task.flags = MS_TF_BLOCKED;
		task.off_reason = (__u32)blocked;
	}
	__u32 key = (__u32)tid, slot = 0;
	__u16 cur = 0, s16;

	if (bpf_map__lookup_elem(t->skel->maps.task_slot, &key, sizeof(key), &cur, sizeof(cur), 0) == 0 && cur) {
		struct ms_task old;
		__u32 k = cur;

		if (bpf_map__lookup_elem(t->skel->maps.task_tab, &k, sizeof(k), &old, sizeof(old), 0) == 0 &&
		    old.tid == (__u32)tid) {
			if (keep)
				return 0;
			slot = cur; /* overwritten in place */
		}
	}
	for (__u32 n = 0; !slot && n < MS_TASK_SLOTS - MS_TASK_SLOTS_USER; n++) {
		struct ms_task old;
		__u32 k;

		if (t->next_slot < MS_TASK_SLOTS_USER || t->next_slot >= MS_TASK_SLOTS)
			t->next_slot = MS_TASK_SLOTS_USER;
		k = t->next_slot++;
		if (bpf_map__lookup_elem(t->skel->maps.task_tab, &k, sizeof(k), &old, sizeof(old), 0) == 0 && !old.tid)
			slot = k;
	}
	if (!slot) {
		err_set(e, "cannot follow task %d: more than %d server threads to seed", (int)tid,
			MS_TASK_SLOTS - MS_TASK_SLOTS_USER);
		return -1;
	}
	s16 = (__u16)slot;
	if (bpf_map__update_elem(t->skel->maps.task_tab, &slot, sizeof(slot), &task, sizeof(task), BPF_ANY) ||
	    bpf_map__update_elem(t->skel->maps.task_slot, &key, sizeof(key), &s16, sizeof(s16), BPF_ANY)) {
		err_set(e, "cannot follow task %d: %s", (int)tid, strerror(errno));
		return -1;
	}
	if (task.flags & MS_TF_BLOCKED) {
		/* the gauge's user-space half: the kernel's decrements when these
		 * tasks next run go to its own half, the sum stays right */
		__u32 one = 1;

		t->seed_gauge.blocked[task.off_reason]++;
		bpf_map__update_elem(t->skel->maps.gauge, &one, sizeof(one), &t->seed_gauge, sizeof(t->seed_gauge), BPF_ANY);
	}
	return 0;
}

static int track_root(struct tracer *t, pid_t pid, int role, struct errbuf *e)
{
	__u32 key = (__u32)pid;
	struct ms_proc v = { .created_ns = now_ns() };

	if (bpf_map__update_elem(t->skel->maps.tracked, &key, sizeof(key), &v, sizeof(v), BPF_ANY)) {
		err_set(e, "cannot track pid %d: %s", (int)pid, strerror(errno));
		return -1;
	}
	return seed_task(t, pid, role, -1, false, e);
}

int tracer_track(struct tracer *t, pid_t pid, struct errbuf *e)
{
	return track_root(t, pid, MS_ROLE_PARENT, e);
}

int tracer_track_backend(struct tracer *t, pid_t pid, int role, struct errbuf *e)
{
	return track_root(t, pid, role, e);
}

static int port_map_add(struct bpf_map *map, uint16_t port, const char *what, struct errbuf *e)
{
	__u16 key = port;
	__u8 one = 1;

	if (bpf_map__update_elem(map, &key, sizeof(key), &one, sizeof(one), BPF_ANY)) {
		err_set(e, "cannot add %s port %u: %s", what, port, strerror(errno));
		return -1;
	}
	return 0;
}

int tracer_set_task(struct tracer *t, pid_t tid, pid_t tgid, pid_t parent_tgid, int role, int blocked,
		    struct errbuf *e)
{
	__u32 k = (__u32)tgid;
	struct ms_proc p = { .created_ns = 0, .parent_tgid = (__u32)parent_tgid, .depth = parent_tgid ? 1 : 0 };

	/* BPF_NOEXIST: a process the kernel already added keeps its entry */
	bpf_map__update_elem(t->skel->maps.tracked, &k, sizeof(k), &p, sizeof(p), BPF_NOEXIST);
	return seed_task(t, tid, role, blocked, true, e);
}

int tracer_listen_port(struct tracer *t, uint16_t port, struct errbuf *e)
{
	return port_map_add(t->skel->maps.listen_ports, port, "listening", e);
}

int tracer_sample_port(struct tracer *t, uint16_t port, struct errbuf *e)
{
	return port_map_add(t->skel->maps.sample_ports, port, "sampled", e);
}

struct bpf_map *tracer_map(struct tracer *t, const char *name)
{
	return bpf_object__find_map_by_name(t->obj, name);
}

struct bpf_program *tracer_prog(struct tracer *t, const char *name)
{
	return bpf_object__find_program_by_name(t->obj, name);
}

void tracer_read_gauge(struct tracer *t, int32_t blocked[MS_OFF__MAX])
{
	struct ms_gauge g[2] = { 0 };

	for (__u32 k = 0; k < 2; k++)
		bpf_map__lookup_elem(t->skel->maps.gauge, &k, sizeof(k), &g[k], sizeof(g[k]), 0);
	for (int i = 0; i < MS_OFF__MAX; i++)
		blocked[i] = g[0].blocked[i] + g[1].blocked[i] > 0 ? g[0].blocked[i] + g[1].blocked[i] : 0;
}

const char *tracer_missing_tps(struct tracer *t)
{
	return t->missing;
}

/*
 * Detaching a tracepoint's program waits for an RCU grace period before
 * close() returns (72-88 ms each here, measured with strace -T): one link
 * at a time, the 14 of a run made a second of every run's stop, and of
 * every exit of trace and serve. Detached from a thread each they overlap
 * in part (the kernel still serializes some of the work): a 10-request run
 * takes 1.10 s instead of 1.34 s.
 */
#define MAX_LINKS 64

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

static void destroy_links(struct bpf_link **const links[], size_t n)
{
	pthread_t th[MAX_LINKS];
	bool started[MAX_LINKS];

	for (size_t i = 0; i < n && i < MAX_LINKS; i++) {
		started[i] = *links[i] && !pthread_create(&th[i], NULL, destroy_link, *links[i]);
		if (!started[i])
			bpf_link__destroy(*links[i]); /* no thread: at once (NULL: nothing) */
	}
	for (size_t i = 0; i < n && i < MAX_LINKS; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		*links[i] = NULL;
	}
}

void tracer_stop(struct tracer *t)
{
	if (!t || t->stopped)
		return;
	t->stopped = true;
	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	if (t->thread_running) {
		pthread_join(t->thread, NULL);
		t->thread_running = false;
	}
	if (t->rb)
		ring_buffer__consume(t->rb);
	if (t->skel) {
		/* sched_waking and sock_recv_length read the per-CPU record of
		 * who runs that sched_switch keeps: they go first, so that they
		 * never read one that sched_switch no longer updates */
		struct bpf_link **const first[] = { &t->skel->links.ms_waking, &t->skel->links.ms_sock_recv };
		const struct bpf_object_skeleton *sk = t->skel->skeleton;
		struct bpf_link **rest[MAX_LINKS];
		size_t n = 0;

		destroy_links(first, ARRAY_SIZE(first));
		syn_watch_detach(t);
		for (int i = 0; i < sk->prog_cnt && n < MAX_LINKS; i++)
			if (sk->progs[i].link && *sk->progs[i].link)
				rest[n++] = sk->progs[i].link;
		destroy_links(rest, n);
		mpmscope_bpf__detach(t->skel); /* any left (none: MAX_LINKS is above the programs' count) */
	}
}

const struct ms_event *tracer_events(struct tracer *t, size_t *n)
{
	*n = t->events.len;
	return t->events.data;
}

const struct ms_event *tracer_backend_events(struct tracer *t, size_t *n)
{
	*n = t->bevents.len;
	return t->bevents.data;
}

const char *tracer_attach_mode(struct tracer *t)
{
	return t->raw_tp ? "raw_tp" : "tp_btf";
}

const char *tracer_sched_clock(struct tracer *t)
{
	return t->rq_clock ? "run-queue clock + sched_info" : "bpf_ktime_get_ns";
}

const char *tracer_current_mode(struct tracer *t)
{
	return t->fast_current ? "per-CPU record (sched_switch)" : "helper calls";
}

uint64_t tracer_records(struct tracer *t)
{
	return t->nrecords;
}

int tracer_nprogs(struct tracer *t)
{
	const struct bpf_object_skeleton *s = t->skel->skeleton;
	int n = 0;

	for (int i = 0; i < s->prog_cnt; i++)
		if (s->progs[i].link && *s->progs[i].link)
			n++;
	return n;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	tracer_stop(t);
	ring_buffer__free(t->rb);
	mpmscope_bpf__destroy(t->skel);
	vec_free(&t->events);
	vec_free(&t->bevents);
	pthread_mutex_destroy(&t->listen_lock);
	free(t);
}
