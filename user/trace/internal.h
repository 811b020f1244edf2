/* SPDX-License-Identifier: MIT */
/*
 * Shared by the tracer's own files: the loader (tracer.c, the only one that
 * includes the skeleton) and the user half of a program file of bpf/ that
 * has one (listen.c for listen.bpf.c), which finds maps and programs by
 * name in the loaded object.
 */
#ifndef MPMSCOPE_TRACE_INTERNAL_H
#define MPMSCOPE_TRACE_INTERNAL_H

#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/util.h"
#include "mpmscope.h"
#include "trace/tracer.h"

struct mpmscope_bpf;

struct tracer {
	struct mpmscope_bpf *skel;
	struct bpf_object *obj; /* skel's: the other files of trace/ find maps by name */
	struct ring_buffer *rb;
	pthread_t thread;
	bool thread_running;
	bool stop;             /* the draining thread ends (set and read atomically) */
	bool stopped;
	bool raw_tp;
	struct vec events; /* struct ms_event */
	struct vec bevents; /* the backends' MS_EV_SPAWN / MS_EV_EXIT / MS_EV_ACCEPT (MS_EVF_BACKEND), apart */
	int ncpus;
	int nprogs;
	char missing[128]; /* optional tracepoints this kernel lacks */
	void (*on_event)(void *ctx, const struct ms_event *ev);
	void *on_event_ctx;
	bool discard_events;
	int sc_mode;           /* enum syscall_probes: the way in to the syscalls taken */
	char sc_refused[512];  /* the cheaper ways the kernel refused, and why */
	bool has_prev_state;   /* sched_switch has its prev_state argument (5.18+) */
	bool rq_clock;         /* scheduler accounting on the run-queue clock and sched_info */
	bool rdonly_cast;      /* the kernel has the bpf_rdonly_cast kfunc (6.2+) */
	bool fast_current;     /* per-CPU array lookups are inlined: sched_switch names current */
	bool syn_watch;        /* the SYN watcher is loaded (direct packet loads, known ports) */
	bool listen_iter;      /* the iter/tcp program that finds the listeners is loaded */
	int nports;            /* server ports known at load time */
	uint64_t last_scan;    /* of the listeners, by the draining thread */
	/* a scan of the listeners, and listen_sk0/drops0, the draining thread's
	 * and a caller's (tracer_scan_listeners, tracer_read_counts) apart */
	pthread_mutex_t listen_lock;
	const __u32 *listen_hot; /* the BPF side's listen_hot (its .bss, mapped) */
	struct bpf_link *syn_link; /* the SYN watcher, while attached */
	uint64_t syn_hot_ns;   /* when a listener's queue was last seen half full (listen_hot) */
	uint64_t syn_attach_ns; /* when the SYN watcher was last attached */
	uint64_t syn_watch_ns; /* how long it has been attached, before that */
	unsigned syn_attaches; /* how many times */
	__u64 listen_sk0[4];   /* each listener when first found, and its own drop count then: */
	__u64 drops0[4];       /* the counts are reported from there on */
	uint64_t nrecords;     /* ring-buffer records received */
	bool tracefs_mounted;  /* we mounted tracefs to attach them: unmounted once attached */
	__u32 next_slot;       /* where to look for a free task slot in user space's part */
	struct ms_gauge seed_gauge; /* the tasks seeded as blocked, by why */
};

/* A map or program of the loaded object, by its name in bpf/. */
struct bpf_map *tracer_map(struct tracer *t, const char *name);
struct bpf_program *tracer_prog(struct tracer *t, const char *name);

/* listen.c: look for the server's listening sockets (the draining thread
 * calls it every LISTEN_SCAN_NS). */
#define LISTEN_SCAN_NS (2 * NSEC_PER_SEC)
void listen_scan(struct tracer *t);
/* The SYN watcher attached while a listener's queue is half full (the BPF
 * side's listen_hot), detached a second after none is: the draining thread's
 * (each loop, and at once when the kernel says a queue is filling). */
void syn_watch_follow(struct tracer *t);
void syn_watch_detach(struct tracer *t);

/* sysway.c: the syscall ways (enum syscall_probes) */
#define MS_TRACEFS "/sys/kernel/tracing"
extern const char *const scp_names[SCP__MAX];
/* Whether the kernel offers way m at all (tracefs mounted for the
 * tracepoints if needed: t->tracefs_mounted); why not in why. */
bool scp_offered(struct tracer *t, const struct tracer_opts *o, int m, char *why, size_t n);

#endif
