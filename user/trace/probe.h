/* SPDX-License-Identifier: MIT */
/*
 * Feature probes: what this kernel offers BPF tracing, asked of the kernel
 * itself (tiny programs loaded and attached, PMUs listed in sysfs, BTF read)
 * rather than guessed from the version. Used by `mpmscope doctor`.
 * Every probe fills a struct probe with a verdict and one line of detail;
 * none prints. Programs and links a probe creates are closed before it
 * returns.
 */
#ifndef MPMSCOPE_TRACE_PROBE_H
#define MPMSCOPE_TRACE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum probe_verdict {
	PROBE_OK,      /* present and usable */
	PROBE_ABSENT,  /* the kernel does not have it (not configured, no such PMU, type missing) */
	PROBE_REFUSED, /* present but the kernel refused it (EPERM, lockdown, verifier) */
	PROBE_SKIPPED, /* not tried (no privileges, no BTF) */
};

struct probe {
	enum probe_verdict v;
	int err;          /* errno of the failure, 0 if none */
	char detail[256]; /* one line, no newline */
};

const char *probe_verdict_name(enum probe_verdict v); /* "ok", "absent", "refused", "skipped" */

/* uname -r and -m, as "6.1.0-56-amd64 x86_64". */
void probe_kernel(char *buf, size_t n);

/* Effective capabilities of this process. enough: CAP_SYS_ADMIN, or
 * CAP_BPF and CAP_PERFMON (kernel >= 5.8). */
struct probe_caps {
	bool known, bpf, perfmon, sys_admin, enough;
};
void probe_caps(struct probe_caps *c);

/* Kernel BTF: path (NULL: the kernel's own, /sys/kernel/btf/vmlinux) parsed
 * with libbpf; detail has its size and type count. */
void probe_btf(const char *path, struct probe *p);

/* Load (and attach, then close) a trivial program of each kind. btf_path is
 * where the attach target's BTF id is looked up (NULL: the kernel's). */
void probe_tp_btf(const char *btf_path, const char *tracepoint, struct probe *p);
void probe_raw_tp(const char *tracepoint, struct probe *p);
void probe_fentry(const char *btf_path, const char *func, struct probe *p);
void probe_ringbuf(struct probe *p);

/* A perf PMU in /sys/bus/event_source/devices (uprobe, kprobe). */
void probe_pmu(const char *name, struct probe *p);
/* Is tracefs mounted (at /sys/kernel/tracing or /sys/kernel/debug/tracing)? */
void probe_tracefs(struct probe *p);
/* The kernel.bpf_stats_enabled sysctl: -1 if unreadable. */
int probe_bpf_stats(void);

/* BTF facts behind the CO-RE choices of bpf/core_fixes.bpf.h, as one line:
 * which task_struct state field exists, whether task_struct has cpu, the mm
 * rss counters' shape, and the argument counts of the tracepoints whose
 * signatures changed (sched_switch, sched_process_exit). */
void probe_core_fields(const char *btf_path, struct probe *p);

#endif
