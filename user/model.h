/* SPDX-License-Identifier: MIT */
/*
 * The run model: one plain struct per MPM run holding every fact, load side
 * and kernel side, already joined. It is filled once (model_build) and only
 * read by the renderers (table, JSON). A new figure = a field here, filled in
 * model.c, rendered in report.c.
 */
#ifndef MPMSCOPE_MODEL_H
#define MPMSCOPE_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "loadgen.h"
#include "mpmscope.h"
#include "scenario.h"
#include "tracer.h"

/* Load phases, cut on the load generator's CLOCK_MONOTONIC marks. */
enum phase { PHASE_STARTUP, PHASE_LOAD, PHASE_AFTER, PHASE__MAX };
const char *phase_name(enum phase p);

/* One process of the server, rebuilt from spawn/exit records. */
struct proc_fact {
	pid_t pid, parent;
	uint64_t t_created, t_exit;   /* 0: seeded before tracing / still alive at the end */
	uint32_t threads_created;     /* threads created by tasks of this process */
	uint32_t threads_exited;
	uint32_t max_threads;          /* most threads alive at once (1 = single-threaded) */
	uint32_t threads_alive;        /* at the end of the trace (0 once exited) */
	int32_t exit_code;            /* raw task->exit_code (valid when exited) */
	bool exited;
	bool is_root;                 /* the httpd parent */
};

struct kernel_facts {
	const char *attach_mode;      /* tp_btf / raw_tp */
	uint64_t processes_created, threads_created;
	uint64_t process_exits, thread_exits;
	uint64_t spawn_by_phase[PHASE__MAX][2]; /* [phase][0 process, 1 thread] */
	uint64_t create_failed;
	uint64_t create_errno[MS_ERRNO_SLOTS];
	/* accept(4) that returned a connection, split by whose connection it was */
	uint64_t accepts_total;
	uint64_t accepts;             /* connections from the load generator (joined by port and time) */
	uint64_t accepts_internal;    /* connected by the server itself (prefork's dummy connections) */
	uint64_t accepts_probe;       /* mpmscope's readiness probes */
	uint64_t accepts_other;       /* anyone else on the port */
	uint64_t accept_errors;       /* EAGAIN included (event's herd, nonblocking listeners) */
	uint64_t accept_errno[MS_ERRNO_SLOTS];
	uint64_t internal_connects;   /* connect() by server tasks */
	uint64_t load_conns_unaccepted; /* generator connections the kernel never saw accepted */
	uint64_t events_lost;         /* ring-buffer records dropped */
	uint64_t track_full;
	/* process tree */
	struct proc_fact *procs;
	size_t nprocs;
	uint32_t server_procs_max_threads; /* most threads any server process had at once (1 = single-threaded) */
};

struct run_model {
	enum mpm mpm;
	bool ran;                     /* the load ran (false: an error stopped this MPM) */
	bool interrupted;
	char error[512];              /* why it did not run, when !ran */
	char httpd_version[64];
	uint16_t port;
	pid_t httpd_pid;
	struct lg_config load_cfg;
	struct lg_result load;
	struct kernel_facts k;
	uint64_t t_ready, t_load_start, t_load_end, t_stopped;
	char errlog_tail[2048];
};

/* Build kernel facts from counters and records, joining accept records to the
 * generator's connections and the controller's probe ports. */
void model_build_kernel(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev,
			size_t nev, const uint16_t *probe_ports, size_t nprobe);
void model_free(struct run_model *r);

#endif
