// SPDX-License-Identifier: MIT
/*
 * `mpmscope doctor [--btf PATH] [-v]`: what this machine offers BPF tracing,
 * one line per check ("name: verdict, detail"), each asked of the kernel
 * (tiny programs loaded and attached, PMUs, BTF), and finally which path
 * mpmscope's own probes take: the real programs are opened, loaded and
 * attached, once in the default mode (tp_btf, falling back to raw_tp; the
 * syscalls by the cheapest way the kernel accepts: fexit, kprobes, syscall
 * tracepoints, sys_enter/sys_exit) and once forced to raw_tp
 * (--no-btf-tracepoints).
 *
 * Exit status: 0 mpmscope can run here (tp_btf or raw_tp attached), 1 it
 * cannot, 2 bad usage (a --btf file that does not exist included).
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmds.h"
#include "cmd/opts.h"
#include "trace/probe.h"
#include "trace/tracer.h"

static const struct cmd_spec doctor_spec = {
	.name = "doctor",
	.usage = "[--btf PATH] [-v]",
	.about = "Checks what this kernel offers BPF tracing (BTF, privileges, tp_btf, raw_tp, ring\n"
		 "buffer, tracefs, uprobes, kprobes, fentry, bpf_stats) and which path mpmscope's\n"
		 "probes take, by loading and attaching them. One line per check.",
	.footer = "exit status: 0 mpmscope can run here, 1 it cannot, 2 bad usage",
	.opts = OPTS({ OPT_BTF }, { OPT_VERBOSE }),
};

static bool verbose;

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	fprintf(stderr, "libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

static void line(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(const char *name, const char *fmt, ...)
{
	char label[32];
	va_list ap;

	snprintf(label, sizeof(label), "%s:", name);
	printf("%-12s ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void pline(const char *name, const struct probe *p, const char *note)
{
	line(name, "%s, %s%s", probe_verdict_name(p->v), p->detail, note ? note : "");
}

/* Load and attach the real programs; "tp_btf (6 programs attached)". */
static bool try_probes(const char *name, const char *btf_path, bool raw, bool verb)
{
	struct tracer_opts o = { .raw_tp = raw, .btf_path = btf_path, .verbose = verb };
	struct tracer *t = NULL;
	struct errbuf e = { { 0 } };
	const char *mode;

	if (tracer_open(&t, &o, &e)) {
		line(name, "failed, %s", e.msg);
		return false;
	}
	mode = tracer_attach_mode(t);
	line(name, "%s (%d programs attached)%s; scheduler times: %s; current task: %s", mode, tracer_nprogs(t),
	     !raw && !strcmp(mode, "raw_tp") ? ", fallback: the tp_btf programs did not load" : "",
	     tracer_sched_clock(t), tracer_current_mode(t));
	if (!raw) {
		const char *sc = tracer_syscall_mode(t), *refused = tracer_syscall_refused(t);

		line("syscalls", "%s%s%s%s", sc,
		     !strcmp(sc, "fexit") || !strcmp(sc, "kprobe") ? " (no syscall tracepoint: the host's other syscalls "
								     "keep their fast path)"
								   : " (every syscall of the host takes the slow path while "
								     "attached)",
		     refused[0] ? "; not taken: " : "", refused);
	}
	tracer_close(t);
	libbpf_set_print(quiet_print); /* tracer_open installed its own */
	return true;
}

int cmd_doctor(int argc, char **argv)
{
	struct common_opts o;
	const char *btf_path;
	struct probe_caps caps;
	struct probe p, btf, tpb, raw;
	struct stat st;
	char buf[256];
	bool can_load, ok_default = false, ok_raw = false;
	int stats, rc = opts_get(&doctor_spec, argc, argv, &o, NULL);

	if (rc != OPTS_GO)
		return rc;
	btf_path = o.tracer.btf_path;
	verbose = o.tracer.verbose;
	/* A BTF file that was asked for and is not there is bad input: one line. */
	if (btf_path && stat(btf_path, &st) < 0) {
		fprintf(stderr, "mpmscope: BTF file %s: %s\n", btf_path, strerror(errno));
		return 2;
	}
	libbpf_set_print(quiet_print);

	probe_kernel(buf, sizeof(buf));
	line("kernel", "%s", buf);

	probe_btf(btf_path, &btf);
	pline("btf", &btf, NULL);

	probe_caps(&caps);
	if (!caps.known)
		line("privileges", "unknown, cannot read /proc/self/status");
	else
		line("privileges", "%s, CAP_BPF %s, CAP_PERFMON %s, CAP_SYS_ADMIN %s%s", caps.enough ? "ok" : "missing",
		     caps.bpf ? "yes" : "no", caps.perfmon ? "yes" : "no", caps.sys_admin ? "yes" : "no",
		     caps.enough ? "" : " (tracing needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN: run as root)");
	can_load = !caps.known || caps.enough;

	if (can_load) {
		probe_tp_btf(btf_path, "sched_switch", &tpb);
		probe_raw_tp("sched_switch", &raw);
	} else {
		tpb = (struct probe){ .v = PROBE_SKIPPED };
		raw = tpb;
		snprintf(tpb.detail, sizeof(tpb.detail), "needs privileges");
		snprintf(raw.detail, sizeof(raw.detail), "needs privileges");
	}
	pline("tp_btf", &tpb, NULL);
	pline("raw_tp", &raw, NULL);

	if (can_load)
		probe_ringbuf(&p);
	else
		p = (struct probe){ .v = PROBE_SKIPPED, .detail = "needs privileges" };
	pline("ringbuf", &p, NULL);

	probe_tracefs(&p);
	pline("tracefs", &p, NULL);
	probe_pmu("uprobe", &p);
	pline("uprobes", &p, NULL);
	probe_pmu("kprobe", &p);
	pline("kprobes", &p, " (the syscalls by kprobes: --syscall-probes kprobe)");
	if (can_load)
		probe_fentry(btf_path, "vfs_read", &p);
	else
		p = (struct probe){ .v = PROBE_SKIPPED, .detail = "needs privileges" };
	pline("fentry", &p, " (the cheapest way to the syscalls: fexit)");

	stats = probe_bpf_stats();
	if (stats < 0)
		line("bpf_stats", "absent, no kernel.bpf_stats_enabled sysctl");
	else
		line("bpf_stats", "%s, kernel.bpf_stats_enabled = %d%s", stats ? "on" : "off", stats,
		     stats ? " (per-program run time is being counted)" : " (sysctl -w kernel.bpf_stats_enabled=1 "
								       "counts per-program run time)");

	probe_core_fields(btf_path, &p);
	pline("co-re", &p, NULL);

	if (can_load && btf.v == PROBE_OK) {
		ok_default = try_probes("probes", btf_path, false, verbose);
		ok_raw = try_probes("probes-raw", btf_path, true, verbose);
	} else {
		line("probes", "skipped, %s", btf.v != PROBE_OK ? "no kernel BTF" : "no privileges");
	}

	if (ok_default)
		line("verdict", "ok, mpmscope can run here%s", ok_raw ? " (raw_tp fallback works too)" : "");
	else if (ok_raw)
		line("verdict", "ok, mpmscope can run here with --no-btf-tracepoints");
	else
		line("verdict", "no, mpmscope cannot trace on this machine (see the lines above)");
	return ok_default || ok_raw ? 0 : 1;
}
