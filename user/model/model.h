/* SPDX-License-Identifier: MIT */
/*
 * The run model: one plain struct per MPM run holding every fact, load side
 * and kernel side, already joined. It is filled once (model_build_kernel,
 * model_build_memory, failures_build) and only read by the renderers
 * (report/). A new figure = a field here, filled in model/, rendered in
 * report/.
 */
#ifndef MPMSCOPE_MODEL_MODEL_H
#define MPMSCOPE_MODEL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/dist.h"
#include "load/loadgen.h"
#include "model/conns.h"
#include "model/failures.h"
#include "model/names.h"
#include "mpmscope.h"
#include "scenario/scenario.h"
#include "trace/memory.h"
#include "trace/tracer.h"

/* One 100 ms step of the spawn timeline. */
struct spawn_tick {
	uint64_t t_ns;
	uint32_t procs, threads;   /* server processes and threads alive at the end of the step */
	uint32_t procs_created, threads_created; /* during the step */
};

/* Process and thread creation (issue: the prefork-versus-threads lesson). */
struct spawn_facts {
	struct dist proc_create_us, thread_create_us;        /* fork/clone syscall in the creator */
	struct dist proc_first_run_us, thread_first_run_us;  /* wakeup_new -> first on a CPU */
	struct dist first_run_us;                            /* both */
	struct dist proc_ready_us, thread_ready_us;          /* created -> first wait for work */
	struct dist proc_lifetime_ms, thread_lifetime_ms;    /* tasks created and exited in the trace */
	struct dist child_minflt;                            /* minor faults of a new process over its life */
	struct ms_hist khist[MS_H__MAX];                     /* the kernel's own log2 histograms */
	uint64_t create_ns;        /* kernel time in fork/clone syscalls of the server */
	uint64_t reap_ns, reaped;  /* kernel time in the server's wait4 calls that reaped a child */
	uint64_t server_cpu_ns;    /* CPU time of every server thread (sum_exec_runtime at exit) */
	double create_cpu_share;   /* create_ns / server_cpu_ns */
	double create_reap_cpu_share; /* (create_ns + reap_ns) / server_cpu_ns */
	struct spawn_tick *timeline;
	size_t nticks;
};

/* Memory at the sample with the largest PSS, plus the cost of capacity. */
struct memory_facts {
	bool sampled;
	uint64_t rss_kb, pss_kb, uss_kb;   /* whole server */
	uint64_t parent_pss_kb;
	uint32_t children;
	struct dist child_pss_kb, child_uss_kb;
	uint32_t slots_per_child;          /* 1 for prefork, ThreadsPerChild for worker/event */
	double kb_per_slot;                /* child USS / slots: one more unit of capacity */
	struct mem_result raw;
	uint32_t *kernel_procs_at_sample;  /* processes alive per the kernel at each sample's time */
	/* alive per the kernel over the whole of each sample's read window, and
	 * at some moment of it: /proc's count lies between, give or take a
	 * process that has freed its memory and not yet reached its exit record */
	uint32_t *kernel_procs_min, *kernel_procs_max;
};

/* Wake-ups, run queue, off-CPU and CPU per request, over the load phase. */
struct sched_facts {
	uint64_t wakeups;                  /* of server tasks */
	double wakeups_per_request;
	uint64_t pairs[MS_WAKERS][MS_ROLE__MAX];
	struct dist runq_us;               /* all roles */
	struct dist runq_us_by_role[MS_ROLE__MAX];
	/* the kernel's log2 histograms these come from, over the same phase
	 * (what trace --hist prints, interval by interval) */
	struct ms_hist runq_khist[MS_ROLE__MAX];
	struct ms_hist offcpu_khist[MS_OFF__MAX]; /* one blocked period, by reason */
	uint64_t off_ns_by_reason[MS_OFF__MAX];
	uint64_t off_cnt_by_reason[MS_OFF__MAX];
	struct ms_sched raw;               /* the load-phase difference, every role */
	uint64_t oncpu_ns;
	uint64_t vcsw, ivcsw;
	double cpu_us_per_request;
	double cpu_us_per_connection;      /* on-CPU / accepted load connections (NAN: none) */
	double cswitch_per_request, vcsw_per_request, ivcsw_per_request;
	uint64_t herd_eagain;              /* accept4 -> EAGAIN during the load */
	uint64_t listener_net_wakeups;     /* listeners woken by the network (client or softirq) */
	double herd_wakeups_per_conn;
	uint32_t tasks_by_role[MS_ROLE__MAX]; /* tasks seen with each role (at their exit) */
	uint64_t requests_seen;            /* requests begun on the server's connections (kernel) */
	const char *per_request_basis;     /* "load generator" or "kernel" (attach mode: requests_seen) */
	/* the two largest wake-up pairs and off-CPU reasons, idleness by design
	 * (waiting for connections, the pipe of death, maintenance) left out;
	 * waker/wakee/reason -1 when there is none */
	struct { int waker, wakee; uint64_t count; } top_pairs[2];
	struct { int reason; uint64_t ns; } top_off[2];
};

/* One process of the server, rebuilt from spawn/exit records. */
struct proc_fact {
	pid_t pid, parent;
	uint64_t t_created, t_exit;   /* 0: seeded before tracing / still alive at the end */
	uint32_t threads_created;     /* threads created by tasks of this process */
	uint32_t threads_exited;
	uint32_t max_threads;          /* most threads alive at once (1 = single-threaded) */
	uint32_t threads_alive;        /* at the end of the trace (0 once exited) */
	uint64_t min_flt;              /* minor faults of its threads that exited */
	uint64_t cpu_ns;               /* CPU time of its threads that exited */
	uint64_t ready_ns;             /* first accept/epoll_wait by any of its threads: serving */
	int32_t exit_code;            /* raw task->exit_code (valid when exited) */
	bool exited;
	bool is_root;                 /* the httpd parent */
};

struct kernel_facts {
	const char *attach_mode;      /* tp_btf / raw_tp */
	const char *syscall_mode;     /* fexit, kprobe, syscall tracepoints, sys_enter/sys_exit */
	const char *sched_clock;      /* run-queue clock + sched_info / bpf_ktime_get_ns */
	const char *current_task;     /* per-CPU record (sched_switch) / helper calls */
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
	uint64_t conn_unaccepted;     /* server connections closed without ever being accepted */
	uint64_t synack_retrans;      /* SYN-ACKs retransmitted on the server's port */
	uint64_t events_lost;         /* ring-buffer records dropped */
	uint64_t records;             /* ring-buffer records received */
	uint64_t track_full;
	/* process tree */
	struct proc_fact *procs;
	size_t nprocs;
	uint32_t server_procs_max_threads; /* most threads any server process had at once (1 = single-threaded) */
	uint32_t children;            /* server processes other than the parent */
	uint32_t child_max_threads;   /* most threads any child had at once */
	uint32_t children_signalled;  /* children ended by a signal other than SIGTERM */
	/* the scenario's backends (php-fpm, the upstream): their tasks, apart
	 * from the server's (their roles in sched.tasks_by_role, their CPU and
	 * off-CPU time in sched's per-role figures) */
	struct backend_facts {
		bool present;
		uint64_t processes_created, threads_created, exits;
		uint64_t cpu_ns;           /* sum_exec_runtime of its tasks at their exit */
		uint32_t processes;        /* its processes seen exit (the seeded main one included) */
		/* Apache's connections to it in the load phase (model/backend.c):
		 * accepted by its tasks, paired with Apache's connect, and how long
		 * each waited in its queue for a free backend worker */
		uint64_t accepts, paired;
		struct dist queue_us;
		/* its tasks' time per accepted connection: on CPU, or blocked
		 * other than waiting for the next one (NAN: none accepted) */
		double busy_us_per_connection;
	} backend;
	struct spawn_facts spawn;
	struct sched_facts sched;
	struct conn_facts conn;
	char missing_tps[128];
};

/* The whole machine over the load phase: on loopback the load generator,
 * the server and mpmscope itself share the same CPUs, and what is left idle
 * or taken by other processes is no one's cost here. */
struct machine_facts {
	bool sampled;
	unsigned ncpu;
	uint64_t wall_ns;             /* the load phase */
	uint64_t user_ns, system_ns, irq_ns, idle_ns, steal_ns; /* /proc/stat, every CPU */
	uint64_t client_ns;           /* the load generator's threads */
	uint64_t self_ns;             /* the whole mpmscope process (client, tracer, sampler) */
};

struct run_model {
	enum mpm mpm;
	bool ran;                     /* the load ran (false: an error stopped this MPM) */
	bool refused;                 /* Apache did not start serving: its own error, in error[] */
	bool attached;                /* trace: no load of ours, the kernel's own counts stand for it */
	uint32_t seeded_procs, seeded_threads; /* attached: the server's, alive when the trace began */
	bool interrupted;
	char error[512];              /* why it did not run, when !ran */
	char httpd_version[64];
	uint16_t port;
	pid_t httpd_pid;
	struct lg_config load_cfg;
	struct lg_result load;
	struct kernel_facts k;
	struct memory_facts mem;
	struct failure_facts fail;
	/* the server's own account, from the kernel alone, as trace and serve
	 * give it (model/outcomes.h): beside the client-side join of fail */
	struct {
		bool known;
		uint64_t failed;
		uint64_t by_cause[FC__MAX];
		char example[FC__MAX][640]; /* the first failed connection of each cause */
	} server_side;
	struct machine_facts mach;
	uint64_t t_ready, t_load_start, t_load_end, t_stopped;
	struct tracer_counts snap_start, snap_end; /* kernel counters around the load */
	char errlog_tail[2048];
};

/* Sets k's attach_mode, syscall_mode, sched_clock, current_task, missing_tps
 * and records from the tracer that ran. */
void model_probe_paths(struct kernel_facts *k, struct tracer *t);

/* Build kernel facts from counters and records, joining accept records to the
 * generator's connections and the controller's probe ports. */
void model_build_kernel(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev,
			size_t nev, const uint16_t *probe_ports, size_t nprobe);
/* The backends' facts, from the counters, the server's records (sev: its
 * connects) and their own (after model_build_kernel: their roles join
 * sched.tasks_by_role). */
void model_build_backend(struct run_model *r, const struct tracer_counts *c, const struct ms_event *sev, size_t nsev,
			 const struct ms_event *ev, size_t nev);
/* The same pairing of Apache's connects (MS_EV_CONNECT) with the backends'
 * accepts (MS_EV_ACCEPT, MS_EVF_BACKEND) as their records arrive, in fixed
 * memory (trace, which keeps no connection records); then the backends'
 * facts from it, the counters and the backends' task records. */
struct backend_stream *backend_stream_new(void);
void backend_stream_connect(struct backend_stream *s, const struct ms_event *ev);
void backend_stream_accept(struct backend_stream *s, const struct ms_event *ev);
void backend_stream_finish(struct backend_stream *s); /* the accepts still in their slack */
/* What it paired so far, the waits in the kernel's log2 slots (serve). */
void backend_stream_counts(const struct backend_stream *s, uint64_t *accepts, uint64_t *paired, struct ms_hist *wait);
void backend_stream_free(struct backend_stream *s);
void model_build_backend_stream(struct run_model *r, const struct tracer_counts *c, const struct ms_event *ev,
				size_t nev, struct backend_stream *s);
/* Memory facts from the sampler's result (taken over by the model). */
void model_build_memory(struct run_model *r, struct mem_result *m, const struct scenario *sc);
void model_free(struct run_model *r);

#endif
