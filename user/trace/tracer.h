/* SPDX-License-Identifier: MIT */
/*
 * The tracer: loads the BPF programs of bpf/ (one linked object, one
 * skeleton), attaches them, follows the tasks of one server (seeded with
 * tracer_track() before the server's first instruction), drains the ring
 * buffer on a thread of its own, and reads the in-kernel counters. Knows
 * nothing of Apache or of the load.
 */
#ifndef MPMSCOPE_TRACE_TRACER_H
#define MPMSCOPE_TRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mpmscope.h"
#include "base/util.h"

/* How the few syscalls that matter (accept, connect, clone, wait4) are seen,
 * cheapest first: fexit programs on the kernel functions behind them,
 * kprobes on the same, the per-syscall tracepoints, the generic
 * sys_enter/sys_exit hooks. The last two send every syscall of the host
 * through the kernel's slow path while attached. */
enum syscall_probes { SCP_AUTO, SCP_FEXIT, SCP_KPROBE, SCP_TRACEPOINT, SCP_GENERIC, SCP__MAX };
/* "fexit" ... "generic" (the --syscall-probes names): its enum, -1 if none */
int tracer_syscall_probes_named(const char *name);

struct tracer_opts {
	bool raw_tp;          /* force the raw_tp twins (--no-btf-tracepoints) */
	const char *btf_path; /* --btf: kernel BTF file instead of /sys/kernel/btf/vmlinux */
	bool verbose;         /* pass libbpf's messages through */
	int mpm;              /* enum mpm: task roles depend on it */
	/* Long-running consumers (trace, serve) take records as they come
	 * instead of keeping them all: called on the draining thread. */
	void (*on_event)(void *ctx, const struct ms_event *ev);
	void *on_event_ctx;
	bool discard_events;  /* do not keep records (memory stays flat) */
	int syscall_probes;   /* enum syscall_probes: how the syscalls are seen (SCP_AUTO: cheapest first) */
	int syscall_from;     /* SCP_AUTO: the cheapest way to try first (serve: the one taken before) */
	uint16_t ports[4];    /* the server's listening ports if known before loading (a cheap filter) */
	int nports;
};

struct tracer_counts {
	uint64_t c[MS_C__MAX];
	uint64_t accept_errno[MS_ERRNO_SLOTS];
	uint64_t create_errno[MS_ERRNO_SLOTS];
	struct ms_hist hists[MS_H__MAX];
	struct ms_sched sched;
	struct ms_listener listen[4]; /* per server_ports[] slot (tracer_opts.ports) */
};

struct tracer;

/* Privileges and BTF: the usual failures, as one clear line, before any work. */
int tracer_preflight(const struct tracer_opts *o, struct errbuf *e);
/* Runs tracer_preflight, then opens, loads and attaches. */
int tracer_open(struct tracer **out, const struct tracer_opts *o, struct errbuf *e);
/* Follow pid and every task it creates from now on. */
int tracer_track(struct tracer *t, pid_t pid, struct errbuf *e);
/* The same for a backend's main process (php-fpm's master, the upstream),
 * seeded with its role (MS_ROLE_FPM_MASTER, MS_ROLE_BACKEND): the kernel
 * then gives what it creates the backend's roles, apart from Apache's. */
int tracer_track_backend(struct tracer *t, pid_t pid, int role, struct errbuf *e);
/* Attach mode: mark an existing task (thread tid of process tgid) as the
 * server's, with its role (enum ms_role) and, when it is blocked, why
 * (enum ms_offcpu, -1 running or not known): it counts in the gauge of
 * blocked tasks until it next runs. Entries the kernel made first win. */
int tracer_set_task(struct tracer *t, pid_t tid, pid_t tgid, pid_t parent_tgid, int role, int blocked,
		    struct errbuf *e);
/* The server's listening port: handshakes on it become connections. */
int tracer_listen_port(struct tracer *t, uint16_t port, struct errbuf *e);
/* The listen queue (bpf/listen.bpf.c). Look for the server's listening
 * sockets now (the draining thread looks again every 2 s): the number found,
 * -1 without the socket iterator. */
int tracer_scan_listeners(struct tracer *t);
/* Whether the SYN watcher runs (handshake drops per client). */
bool tracer_syn_watching(const struct tracer *t);
/* How drops on a full accept queue are seen per client: the SYN watcher, or
 * "off: " and why. */
const char *tracer_syn_watch(struct tracer *t);
/* Clients whose dropped handshake has not led to a connection: those that
 * gave up (no new SYN for twice as long as they had been retrying, plus 1 s,
 * and at least min_quiet_ns), or every one with all, are removed and passed
 * to cb. Returns how many. */
size_t tracer_reap_syn_waits(struct tracer *t, uint64_t min_quiet_ns, bool all,
			     void (*cb)(void *ctx, const struct ms_client *cl, const struct ms_syn_wait *w), void *ctx);
/* The server connections still open, with their state so far (a trace
 * that ends: connections in the listen queue whose client gave up are
 * failures already). Returns how many. */
size_t tracer_open_conns(struct tracer *t, void (*cb)(void *ctx, __u64 sk, const struct ms_conn *c), void *ctx);
/* Server tasks blocked now, by why (enum ms_offcpu). */
void tracer_read_gauge(struct tracer *t, int32_t blocked[MS_OFF__MAX]);
/* explain: record every step of connections from this client port. */
int tracer_sample_port(struct tracer *t, uint16_t port, struct errbuf *e);
/* Optional tracepoints this kernel lacks ("" if none), comma-separated. */
const char *tracer_missing_tps(struct tracer *t);
/* Stop draining (final drain included) and detach the probes. Idempotent. */
void tracer_stop(struct tracer *t);
void tracer_read_counts(struct tracer *t, struct tracer_counts *out);
/* The listeners' part of it alone (out: tracer_counts.listen). */
void tracer_read_listeners(struct tracer *t, struct ms_listener out[4]);
/* out = a + b, counter by counter (a server followed after another: the
 * totals go on); the listeners' backlog is b's, their peak the larger. */
void tracer_counts_add(struct tracer_counts *out, const struct tracer_counts *a, const struct tracer_counts *b);
/* Records received so far, in arrival order (valid after tracer_stop). */
const struct ms_event *tracer_events(struct tracer *t, size_t *n);
/* The backends' task records (spawn and exit of php-fpm's or the upstream's
 * tasks), kept apart: tracer_events() has the server's only. */
const struct ms_event *tracer_backend_events(struct tracer *t, size_t *n);
const char *tracer_attach_mode(struct tracer *t); /* "tp_btf" or "raw_tp" */
/* The way in to the syscalls taken: "fexit", "kprobe", "syscall tracepoints"
 * or "sys_enter/sys_exit"; and the cheaper ones refused, with why ("" none). */
const char *tracer_syscall_mode(struct tracer *t);
const char *tracer_syscall_refused(struct tracer *t);
/* The way taken, as enum syscall_probes (to take it again without asking). */
int tracer_syscall_probes(const struct tracer *t);
/* How the scheduler programs take time: "run-queue clock + sched_info" or "bpf_ktime_get_ns". */
const char *tracer_sched_clock(struct tracer *t);
/* How the hot programs learn the current task: "per-CPU record (sched_switch)" or "helper calls". */
const char *tracer_current_mode(struct tracer *t);
uint64_t tracer_records(struct tracer *t); /* ring-buffer records received so far */
/* Programs loaded and attached (the twins not used are not counted). */
int tracer_nprogs(struct tracer *t);
void tracer_close(struct tracer *t);

#endif
