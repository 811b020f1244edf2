// SPDX-License-Identifier: MIT
/* Feature probes for `mpmscope doctor`: see probe.h. */
#include "trace/probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/procfs.h"
#include "trace/btf.h"

static void setf(struct probe *p, enum probe_verdict v, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void setf(struct probe *p, enum probe_verdict v, int err, const char *fmt, ...)
{
	va_list ap;

	p->v = v;
	p->err = err;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
}

const char *probe_verdict_name(enum probe_verdict v)
{
	switch (v) {
	case PROBE_OK: return "ok";
	case PROBE_ABSENT: return "absent";
	case PROBE_REFUSED: return "refused";
	case PROBE_SKIPPED: return "skipped";
	}
	return "?";
}

void probe_kernel(char *buf, size_t n)
{
	struct utsname u;

	if (uname(&u) < 0)
		snprintf(buf, n, "unknown (%s)", strerror(errno));
	else
		snprintf(buf, n, "%s %s", u.release, u.machine);
}

void probe_caps(struct probe_caps *c)
{
	unsigned long long eff = 0;

	memset(c, 0, sizeof(*c));
	if (procfs_capeff(&eff))
		return;
	c->known = true;
	c->sys_admin = eff & (1ULL << 21);
	c->perfmon = eff & (1ULL << 38);
	c->bpf = eff & (1ULL << 39);
	c->enough = c->sys_admin || (c->bpf && c->perfmon);
}

void probe_btf(const char *path, struct probe *p)
{
	const char *shown = path ? path : "/sys/kernel/btf/vmlinux";
	struct stat st;
	struct btf *btf;

	if (stat(shown, &st) < 0) {
		if (path)
			setf(p, PROBE_ABSENT, errno, "%s: %s", shown, strerror(errno));
		else
			setf(p, PROBE_ABSENT, errno,
			     "%s missing: this kernel was built without CONFIG_DEBUG_INFO_BTF; pass --btf PATH "
			     "(e.g. a BTFHub file for this exact kernel)", shown);
		return;
	}
	btf = kbtf_load(path);
	if (!btf) {
		setf(p, PROBE_REFUSED, errno, "%s: not readable as BTF: %s", shown, strerror(errno));
		return;
	}
	setf(p, PROBE_OK, 0, "%s (%.1f MiB, %u types)", shown, (double)st.st_size / (1024.0 * 1024.0),
	     btf__type_cnt(btf) - 1);
	btf__free(btf);
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

/* The last non-empty line of a verifier log. */
static const char *last_line(char *log)
{
	size_t n = strlen(log);
	char *s;

	while (n && (log[n - 1] == '\n' || log[n - 1] == ' '))
		log[--n] = 0;
	s = strrchr(log, '\n');
	return s ? s + 1 : log;
}

/* Load, and on failure load again with the verifier log to say why.
 * Returns the program fd or -errno. */
static int load_prog(enum bpf_prog_type type, const char *name, struct bpf_prog_load_opts *o, char *why,
		     size_t whylen)
{
	char log[4096];
	int fd, err;

	fd = bpf_prog_load(type, name, "GPL", ret0, 2, o);
	if (fd >= 0)
		return fd;
	err = errno;
	log[0] = 0;
	o->log_buf = log;
	o->log_size = sizeof(log);
	o->log_level = 1;
	fd = bpf_prog_load(type, name, "GPL", ret0, 2, o);
	if (fd >= 0) /* passed the second time: report success */
		return fd;
	snprintf(why, whylen, "%s%s%s", strerror(err), log[0] ? ": " : "", log[0] ? last_line(log) : "");
	return -err;
}

static enum probe_verdict verdict_of(int err)
{
	/* 524 is the kernel's ENOTSUPP: "this kernel cannot do that" */
	if (err == ENOENT || err == EOPNOTSUPP || err == 524)
		return PROBE_ABSENT;
	return PROBE_REFUSED;
}

/* Load a trivial program of type and attach it (to the raw tracepoint tp, or
 * for tracing programs to their BTF target), then close both: the verdict
 * in p says how far it got. */
static void load_attach(struct probe *p, enum bpf_prog_type type, const char *progname, struct bpf_prog_load_opts *o,
			const char *tp, const char *what)
{
	char why[300] = "";
	int fd = load_prog(type, progname, o, why, sizeof(why)), lfd;

	if (fd < 0) {
		setf(p, verdict_of(-fd), -fd, "load of a %s program: %s", tp ? "raw_tp" : what, why);
		return;
	}
	lfd = bpf_raw_tracepoint_open(tp, fd);
	if (lfd < 0) {
		int err = errno;

		if (tp)
			setf(p, verdict_of(err), err, "loaded, but attach to %s failed: %s", what, strerror(err));
		else
			setf(p, verdict_of(err), err, "loaded, but attach of a %s program failed: %s", what, strerror(err));
	} else {
		setf(p, PROBE_OK, 0, "a %s program loaded and attached", what);
		close(lfd);
	}
	close(fd);
}

/* A BTF-typed tracing program (tp_btf or fentry) attached to id. */
static void probe_tracing(const char *btf_path, const char *what, const char *type_name, int kind,
			  enum bpf_attach_type at, const char *progname, struct probe *p)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at);
	struct btf *btf = kbtf_load(btf_path);
	int id;

	if (!btf) {
		setf(p, PROBE_SKIPPED, errno, "no kernel BTF to find %s in", what);
		return;
	}
	id = btf__find_by_name_kind(btf, type_name, kind);
	btf__free(btf);
	if (id <= 0) {
		setf(p, PROBE_ABSENT, ENOENT, "%s not in the kernel's BTF", type_name);
		return;
	}
	o.attach_btf_id = (__u32)id;
	load_attach(p, BPF_PROG_TYPE_TRACING, progname, &o, NULL, what);
}

void probe_tp_btf(const char *btf_path, const char *tracepoint, struct probe *p)
{
	char tname[128], what[160];

	snprintf(tname, sizeof(tname), "btf_trace_%s", tracepoint);
	snprintf(what, sizeof(what), "tp_btf/%s", tracepoint);
	probe_tracing(btf_path, what, tname, BTF_KIND_TYPEDEF, BPF_TRACE_RAW_TP, "ms_doctor_tpbtf", p);
}

void probe_fentry(const char *btf_path, const char *func, struct probe *p)
{
	char what[160];

	snprintf(what, sizeof(what), "fentry/%s", func);
	probe_tracing(btf_path, what, func, BTF_KIND_FUNC, BPF_TRACE_FENTRY, "ms_doctor_fentr", p);
}

void probe_raw_tp(const char *tracepoint, struct probe *p)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	char what[160];

	snprintf(what, sizeof(what), "raw_tp/%s", tracepoint);
	load_attach(p, BPF_PROG_TYPE_RAW_TRACEPOINT, "ms_doctor_rawtp", &o, tracepoint, what);
}

void probe_ringbuf(struct probe *p)
{
	int r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);

	if (r == 1)
		setf(p, PROBE_OK, 0, "BPF_MAP_TYPE_RINGBUF can be created");
	else if (r == 0)
		setf(p, PROBE_ABSENT, 0, "BPF_MAP_TYPE_RINGBUF not supported (kernel < 5.8)");
	else
		setf(p, verdict_of(-r), -r, "BPF_MAP_TYPE_RINGBUF probe failed: %s", strerror(-r));
}

void probe_pmu(const char *name, struct probe *p)
{
	char path[256];
	FILE *f;
	int type = -1;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", name);
	f = fopen(path, "r");
	if (!f) {
		setf(p, PROBE_ABSENT, errno, "no %s PMU in /sys/bus/event_source/devices", name);
		return;
	}
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	setf(p, PROBE_OK, 0, "%s PMU, perf type %d", name, type);
}

static bool is_tracefs_dir(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/available_events", dir);
	return access(path, F_OK) == 0;
}

void probe_tracefs(struct probe *p)
{
	if (is_tracefs_dir("/sys/kernel/tracing"))
		setf(p, PROBE_OK, 0, "mounted at /sys/kernel/tracing");
	else if (is_tracefs_dir("/sys/kernel/debug/tracing"))
		setf(p, PROBE_OK, 0, "mounted at /sys/kernel/debug/tracing");
	else
		setf(p, PROBE_ABSENT, ENOENT,
		     "not mounted (mount -t tracefs nodev /sys/kernel/tracing); tp_btf/raw_tp do not need it");
}

int probe_bpf_stats(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

void probe_core_fields(const char *btf_path, struct probe *p)
{
	struct btf *btf = kbtf_load(btf_path);
	int sw, ex;

	if (!btf) {
		setf(p, PROBE_SKIPPED, errno, "no kernel BTF");
		return;
	}
	sw = kbtf_tp_nargs(btf, "sched_switch");
	ex = kbtf_tp_nargs(btf, "sched_process_exit");
	setf(p, PROBE_OK, 0, "task_struct.%s, task_struct.cpu %s, mm rss counters %s, sched_switch %d args, "
			     "sched_process_exit %d args",
	     kbtf_has_member(btf, "task_struct", "__state") ? "__state (5.14+)"
	     : kbtf_has_member(btf, "task_struct", "state") ? "state (< 5.14)" : "?state",
	     kbtf_has_member(btf, "task_struct", "cpu") ? "present" : "absent (in thread_info)",
	     btf__find_by_name_kind(btf, "mm_rss_stat", BTF_KIND_STRUCT) > 0 ? "struct mm_rss_stat (< 6.2)"
									    : "percpu_counter[] (6.2+)",
	     sw, ex);
	btf__free(btf);
}
