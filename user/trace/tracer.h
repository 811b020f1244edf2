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
	bool no_syscall_tps;  /* generic sys_enter/sys_exit instead of per-syscall tracepoints */
	uint16_t ports[4];    /* the server's listening ports if known before loading (a cheap filter) */
	int nports;
};

struct tracer_counts {
	uint64_t c[MS_C__MAX];
	uint64_t accept_errno[MS_ERRNO_SLOTS];
	uint64_t create_errno[MS_ERRNO_SLOTS];
	struct ms_hist hists[MS_H__MAX];
	struct ms_sched sched;
};

struct tracer;

/* Privileges and BTF: the usual failures, as one clear line, before any work. */
int tracer_preflight(const struct tracer_opts *o, struct errbuf *e);
/* Runs tracer_preflight, then opens, loads and attaches. */
int tracer_open(struct tracer **out, const struct tracer_opts *o, struct errbuf *e);
/* Follow pid and every task it creates from now on. */
int tracer_track(struct tracer *t, pid_t pid, struct errbuf *e);
/* Attach mode: mark an existing task (thread tid of process tgid) as the
 * server's, with its role (enum ms_role). Entries the kernel made first win. */
int tracer_set_task(struct tracer *t, pid_t tid, pid_t tgid, pid_t parent_tgid, int role, struct errbuf *e);
/* The server's listening port: handshakes on it become connections. */
int tracer_listen_port(struct tracer *t, uint16_t port, struct errbuf *e);
/* explain: record every step of connections from this client port. */
int tracer_sample_port(struct tracer *t, uint16_t port, struct errbuf *e);
/* Optional tracepoints this kernel lacks ("" if none), comma-separated. */
const char *tracer_missing_tps(struct tracer *t);
/* Stop draining (final drain included) and detach the probes. Idempotent. */
void tracer_stop(struct tracer *t);
void tracer_read_counts(struct tracer *t, struct tracer_counts *out);
/* Records received so far, in arrival order (valid after tracer_stop). */
const struct ms_event *tracer_events(struct tracer *t, size_t *n);
const char *tracer_attach_mode(struct tracer *t); /* "tp_btf" or "raw_tp" */
const char *tracer_syscall_mode(struct tracer *t); /* "syscall tracepoints" or "sys_enter/sys_exit" */
/* How the scheduler programs take time: "run-queue clock + sched_info" or "bpf_ktime_get_ns". */
const char *tracer_sched_clock(struct tracer *t);
/* How the hot programs learn the current task: "per-CPU record (sched_switch)" or "helper calls". */
const char *tracer_current_mode(struct tracer *t);
uint64_t tracer_records(struct tracer *t); /* ring-buffer records received so far */
/* Programs loaded and attached (the twins not used are not counted). */
int tracer_nprogs(struct tracer *t);
void tracer_close(struct tracer *t);

#endif
