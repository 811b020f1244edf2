// SPDX-License-Identifier: MIT
/*
 * The way in to the syscalls that matter (bpf/syscalls.bpf.c): which ones
 * this kernel offers, asked cheaply before the whole object is loaded for
 * one, and their names. tracer.c loads them cheapest first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "trace/internal.h"
#include "trace/probe.h"
#include "trace/tracer.h"

#define SC_EVENT MS_TRACEFS "/events/syscalls/sys_exit_accept4/id"

/*
 * The per-syscall tracepoints need tracefs at attach time only (libbpf reads
 * the event ids there). A machine without it mounted gets it for the moment
 * of the attach and loses it again right after: nothing is left changed.
 */
static bool syscall_tracepoints(struct tracer *t)
{
	if (!access(SC_EVENT, R_OK) || !access("/sys/kernel/debug/tracing/events/syscalls/sys_exit_accept4/id", R_OK))
		return true;
	if (access(MS_TRACEFS, F_OK) || mount("nodev", MS_TRACEFS, "tracefs", 0, NULL))
		return false;
	t->tracefs_mounted = true;
	if (!access(SC_EVENT, R_OK))
		return true;
	umount2(MS_TRACEFS, MNT_DETACH);
	t->tracefs_mounted = false;
	return false; /* a kernel without CONFIG_FTRACE_SYSCALLS */
}

const char *const scp_names[SCP__MAX] = { "auto", "fexit", "kprobe", "tracepoint", "generic" };

int tracer_syscall_probes_named(const char *name)
{
	for (int i = 0; i < SCP__MAX; i++)
		if (!strcmp(name, scp_names[i]))
			return i;
	return -1;
}

/* Whether the kernel offers this way in at all, asked cheaply before the
 * whole object is loaded for it; why not in why. t may be NULL but for the
 * tracepoints. */
bool scp_offered(struct tracer *t, const struct tracer_opts *o, int m, char *why, size_t n)
{
	struct probe p;

	switch (m) {
	case SCP_FEXIT:
		probe_fentry(o->btf_path, "kernel_clone", &p);
		if (p.v != PROBE_OK)
			snprintf(why, n, "%s", p.detail);
		return p.v == PROBE_OK;
	case SCP_KPROBE:
		probe_pmu("kprobe", &p);
		if (p.v != PROBE_OK)
			snprintf(why, n, "%s", p.detail);
		return p.v == PROBE_OK;
	case SCP_TRACEPOINT:
		if (syscall_tracepoints(t))
			return true;
		snprintf(why, n, "no syscall tracepoints (tracefs or CONFIG_FTRACE_SYSCALLS missing)");
		return false;
	default:
		return true;
	}
}

int tracer_syscall_probes(const struct tracer *t)
{
	return t->sc_mode;
}

const char *tracer_syscall_mode(struct tracer *t)
{
	static const char *const mode[SCP__MAX] = { "", "fexit", "kprobe", "syscall tracepoints", "sys_enter/sys_exit" };

	return t->sc_mode > SCP_AUTO && t->sc_mode < SCP__MAX ? mode[t->sc_mode] : "";
}

const char *tracer_syscall_refused(struct tracer *t)
{
	return t->sc_refused;
}

